"""A small client for the OpenAI chat-completions protocol (``POST {base_url}/chat/completions``), on the
standard library only: non-streaming, and streaming as server-sent events (``data: {…}`` lines ending
with ``data: [DONE]``).

Every way the endpoint can fail is a typed ``LLMError`` with a short Chinese ``reason``; callers fall
back to the extractive answer and say why in one line. The timeout is hard: it bounds the whole
request, connection to last byte, not each read.
"""

from __future__ import annotations

import http.client
import json
import ssl
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

from indexer.errors import PlanSearchError

from .settings import LLMSettings

MAX_BODY = 4 * 1024 * 1024  # a short answer is a few KB; anything near this is not one


class LLMError(PlanSearchError):
    """The model could not give an answer. ``reason`` says why in a few Chinese words."""

    reason = "模型服务出错"


class LLMUnavailable(LLMError):
    """Nothing answers at the endpoint (connection refused, unknown host, TLS failure …)."""

    reason = "无法连接模型服务"


class LLMTimeout(LLMError):
    """The answer did not arrive within the configured timeout."""

    reason = "模型响应超时"


class LLMRateLimited(LLMError):
    """HTTP 429: the endpoint is busy."""

    reason = "模型服务繁忙"


class LLMServerError(LLMError):
    """Any other HTTP error status (5xx, a 4xx such as an unknown model or a bad key)."""

    reason = "模型服务出错"


class LLMRefused(LLMError):
    """The model refused (a content filter, a refusal message, or it said the clauses do not answer)."""

    reason = "模型未作答"


class LLMMalformed(LLMError):
    """The reply is not the protocol: not JSON, no choices, no text, a stream that breaks off."""

    reason = "模型返回的内容无法读取"


class ChatClient:
    """``complete(messages)`` → the whole reply; ``stream(messages)`` → its text in pieces as they come."""

    def __init__(self, settings: LLMSettings):
        self.settings = settings
        url = urlsplit(settings.base_url)
        self._https = url.scheme == "https"
        self._host = url.hostname or ""
        self._port = url.port
        self._path = (url.path.rstrip("/") or "") + "/chat/completions"

    def complete(self, messages: list[dict], **options) -> str:
        deadline = time.monotonic() + self.settings.timeout
        conn, resp, sock = self._post(messages, False, deadline, options)
        try:
            body = _read_all(sock, resp, deadline)
        finally:
            conn.close()
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise LLMMalformed(f"reply is not JSON: {err}") from None
        choice = _first_choice(data)
        message = choice.get("message")
        if not isinstance(message, dict):
            raise LLMMalformed("choice has no message")
        _check_refusal(choice, message)
        content = message.get("content")
        if not isinstance(content, str) or not content.strip():
            raise LLMMalformed("message has no text")
        return content

    def stream(self, messages: list[dict], **options) -> Iterator[str]:
        """The reply's text in pieces. Raises an LLMError at any point (a stream can fail midway)."""
        deadline = time.monotonic() + self.settings.timeout
        conn, resp, sock = self._post(messages, True, deadline, options)
        try:
            got_text = False
            for data in _events(sock, resp, deadline):
                if data == "[DONE]":
                    if not got_text:
                        raise LLMMalformed("stream ended without text")
                    return
                try:
                    event = json.loads(data)
                except json.JSONDecodeError as err:
                    raise LLMMalformed(f"stream event is not JSON: {err}") from None
                if isinstance(event, dict) and event.get("choices") == []:
                    continue  # a usage-only event (stream_options.include_usage)
                choice = _first_choice(event)
                delta = choice.get("delta") or {}
                if not isinstance(delta, dict):
                    raise LLMMalformed("stream delta is not an object")
                _check_refusal(choice, delta)
                piece = delta.get("content")
                if isinstance(piece, str) and piece:
                    got_text = True
                    yield piece
            raise LLMMalformed("stream ended without [DONE]")
        finally:
            conn.close()

    # --- transport -----------------------------------------------------------------------------------

    def _post(self, messages, stream: bool, deadline: float, options: dict):
        payload = {"model": self.settings.model, "messages": messages, "stream": stream, **options}
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream" if stream else "application/json"}
        if self.settings.api_key:
            headers["Authorization"] = f"Bearer {self.settings.api_key}"
        timeout = _remaining(deadline)
        if self._https:
            conn = http.client.HTTPSConnection(
                self._host, self._port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            conn = http.client.HTTPConnection(self._host, self._port, timeout=timeout)
        try:
            conn.request("POST", self._path, body=body, headers=headers)
            # Kept: http.client drops conn.sock once a response says "Connection: close", but the
            # response still reads from this socket, whose timeout we keep shrinking to the deadline.
            sock = conn.sock
            _settimeout(sock, deadline)
            resp = conn.getresponse()
        except TimeoutError:
            conn.close()
            raise LLMTimeout(f"no reply within {self.settings.timeout:g} s") from None
        except (OSError, http.client.HTTPException) as err:
            conn.close()
            raise LLMUnavailable(f"cannot reach {self.settings.base_url}: {err}") from None
        if resp.status != 200:
            detail = _error_detail(sock, resp, deadline)
            conn.close()
            if resp.status == 429:
                raise LLMRateLimited(f"HTTP 429 {detail}".strip())
            raise LLMServerError(f"HTTP {resp.status} {detail}".strip())
        return conn, resp, sock


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise LLMTimeout("timed out")
    return left


def _settimeout(sock, deadline: float) -> None:
    """Every blocking read waits at most what is left of the whole request's time."""
    left = _remaining(deadline)  # raises LLMTimeout once the deadline has passed
    if sock is not None:
        sock.settimeout(left)


def _read_all(sock, resp, deadline: float) -> bytes:
    chunks, size = [], 0
    try:
        while True:
            _settimeout(sock, deadline)
            chunk = resp.read1(65536) if hasattr(resp, "read1") else resp.read(65536)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > MAX_BODY:
                raise LLMMalformed("reply too large")
            chunks.append(chunk)
    except TimeoutError:
        raise LLMTimeout("reply did not finish in time") from None
    except (OSError, http.client.HTTPException) as err:
        raise LLMMalformed(f"reply broke off: {err}") from None


def _events(sock, resp, deadline: float) -> Iterator[str]:
    """The ``data:`` payloads of a server-sent event stream (comments and other fields skipped)."""
    size = 0
    try:
        while True:
            _settimeout(sock, deadline)
            line = resp.readline(65536)
            if not line:
                return
            size += len(line)
            if size > MAX_BODY:
                raise LLMMalformed("stream too large")
            text = line.decode("utf-8", "replace").strip()
            if text.startswith("data:"):
                yield text[5:].strip()
    except TimeoutError:
        raise LLMTimeout("stream did not finish in time") from None
    except (OSError, http.client.HTTPException) as err:
        raise LLMMalformed(f"stream broke off: {err}") from None


def _error_detail(sock, resp, deadline: float) -> str:
    """The error message an endpoint sent with its status, if it sent one quickly (for the log line)."""
    try:
        _settimeout(sock, deadline)
        data = json.loads(resp.read(8192) or b"{}")
        error = data.get("error") if isinstance(data, dict) else None
        message = error.get("message") if isinstance(error, dict) else error
        return str(message)[:200] if message else ""
    except Exception:  # the status alone says enough
        return ""


def _first_choice(data) -> dict:
    if isinstance(data, dict) and isinstance(data.get("error"), dict | str):
        raise LLMServerError(f"endpoint error: {str(data['error'])[:200]}")
    choices = data.get("choices") if isinstance(data, dict) else None
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise LLMMalformed("reply has no choices")
    return choices[0]


def _check_refusal(choice: dict, message: dict) -> None:
    if choice.get("finish_reason") == "content_filter":
        raise LLMRefused("content filter")
    refusal = message.get("refusal")
    if isinstance(refusal, str) and refusal.strip():
        raise LLMRefused(f"refused: {refusal[:200]}")
