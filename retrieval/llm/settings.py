"""Which chat model writes answers, if any: one frozen record read from the environment or the ``[llm]``
section of ``plansearch.toml`` (the same file the embedding settings use; the environment wins).

    PLANSEARCH_LLM_BASE_URL   http://127.0.0.1:8000/v1   (an OpenAI-compatible endpoint: vLLM, Ollama, …)
    PLANSEARCH_LLM_MODEL      Qwen2.5-7B-Instruct
    PLANSEARCH_LLM_API_KEY    (optional; sent as a bearer token)
    PLANSEARCH_LLM_TIMEOUT    30   (seconds for the whole answer, streamed or not)

No base URL → no model: ``LLMSettings.from_env()`` returns None and answers stay extractive.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from indexer.embedding.settings import InvalidSettings, settings_section

SETTINGS_SECTION = "llm"
DEFAULT_TIMEOUT = 30.0
ENV_VARS = {
    "base_url": "PLANSEARCH_LLM_BASE_URL",
    "model": "PLANSEARCH_LLM_MODEL",
    "api_key": "PLANSEARCH_LLM_API_KEY",
    "timeout": "PLANSEARCH_LLM_TIMEOUT",
}


@dataclass(frozen=True, slots=True)
class LLMSettings:
    """An OpenAI-compatible chat-completions endpoint. ``repr`` never shows the key."""

    base_url: str  # up to and including the version, e.g. http://127.0.0.1:8000/v1
    model: str = ""  # empty: the server's default (Ollama and vLLM with one model accept that)
    api_key: str = ""
    timeout: float = DEFAULT_TIMEOUT  # seconds for the whole request, first byte to [DONE]

    def __post_init__(self) -> None:
        url = urlsplit(self.base_url.strip() if isinstance(self.base_url, str) else "")
        if url.scheme not in ("http", "https") or not url.hostname:
            raise InvalidSettings(f"llm base_url must be an http(s) URL, not {self.base_url!r}")
        object.__setattr__(self, "base_url", self.base_url.strip().rstrip("/"))
        for name in ("model", "api_key"):
            if not isinstance(getattr(self, name), str):
                raise InvalidSettings(f"llm {name} must be a string")
            object.__setattr__(self, name, getattr(self, name).strip())
        timeout = self.timeout
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, int | float)
            or not math.isfinite(timeout)
            or timeout <= 0
        ):
            raise InvalidSettings(f"llm timeout must be a positive number of seconds, not {timeout!r}")
        object.__setattr__(self, "timeout", float(timeout))

    def __repr__(self) -> str:
        return f"LLMSettings(base_url={self.base_url!r}, model={self.model!r}, timeout={self.timeout})"

    @classmethod
    def from_env(cls) -> LLMSettings | None:
        """The configured endpoint (``PLANSEARCH_LLM_*`` > ``[llm]`` of plansearch.toml), or None."""
        values = _from_file()
        values.update(_from_env())
        if not values.get("base_url"):
            return None
        return cls(**values)


def _from_env() -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, var in ENV_VARS.items():
        raw = os.environ.get(var)
        if raw is None or not raw.strip():
            continue
        if name == "timeout":
            try:
                values[name] = float(raw.strip())
            except ValueError:
                raise InvalidSettings(f"{var}={raw!r} is not a number of seconds") from None
        else:
            values[name] = raw.strip()
    return values


def _from_file() -> dict[str, Any]:
    return settings_section(SETTINGS_SECTION, ENV_VARS)
