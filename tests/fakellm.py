"""A local OpenAI-compatible chat-completions server for tests, on 127.0.0.1, scripted per test.

    with FakeLLM(Reply("答复[1]。")) as llm:           # every request gets this reply
        os.environ["PLANSEARCH_LLM_BASE_URL"] = llm.base_url
        ...
        assert llm.requests[0]["body"]["stream"] is True

A script is one step for every request, or a list of steps taken in order (the last one repeats), or a
callable ``request → step``. Steps:

- ``Reply(text)``: a completion; streamed as SSE ``data: {…}`` chunks ending ``data: [DONE]`` when the
  request asks for ``stream: true``, else one JSON object. ``finish_reason`` and ``refusal`` as given.
- ``Status(code, body)``: an HTTP error (429, 500 …) with an OpenAI-style error body.
- ``Raw(body, content_type)``: these bytes as a 200 reply (malformed output).
- ``Stall(seconds, after)``: send ``after`` chunks of a stream (or nothing), then hang (timeouts).
- ``Drip(interval)``: a reply that trickles in forever, a piece per interval (the hard timeout).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Reply:
    text: str
    finish_reason: str = "stop"
    refusal: str | None = None
    chunk: int = 4  # characters per streamed chunk
    delay: float = 0.0  # seconds between streamed chunks (to watch a page fill in)


@dataclass(frozen=True)
class Status:
    code: int
    message: str = "error"


@dataclass(frozen=True)
class Raw:
    body: bytes
    content_type: str = "application/json"


@dataclass(frozen=True)
class Stall:
    seconds: float
    after: str = ""  # text streamed before the stall


@dataclass(frozen=True)
class Drip:
    """A reply that never ends: a little text every ``interval`` seconds (up to ``limit``), so only a
    deadline on the whole request stops the client, not a timeout per read."""

    interval: float
    limit: float = 20.0


Step = Reply | Status | Raw | Stall | Drip


class FakeLLM:
    """The server; a context manager. ``requests``: every request received, as {path, headers, body}."""

    def __init__(
        self, script: Step | list[Step] | Callable[[dict], Step], model: str = "fake-qwen", *, chunked: bool = False
    ):
        # chunked: replies in Transfer-Encoding: chunked on a kept-alive connection, as uvicorn (vLLM) and
        # Ollama send them; otherwise a plain body and Connection: close.
        self.script, self.model, self.chunked = script, model, chunked
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fakellm", daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> FakeLLM:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()  # stalled handlers return
        self._server.shutdown()
        self._server.server_close()

    def _step(self, request: dict) -> Step:
        with self._lock:
            self.requests.append(request)
            n = len(self.requests)
        if callable(self.script):
            return self.script(request)
        if isinstance(self.script, list):
            return self.script[min(n, len(self.script)) - 1]
        return self.script

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except json.JSONDecodeError:
                    body = None
                request = {"path": self.path, "headers": dict(self.headers), "body": body}
                step = fake._step(request)
                if self.path != "/v1/chat/completions":
                    return self._send(404, {"error": {"message": "not found"}})
                stream = bool(isinstance(body, dict) and body.get("stream"))
                if isinstance(step, Status):
                    return self._send(step.code, {"error": {"message": step.message, "code": step.code}})
                if isinstance(step, Raw):
                    return self._send(200, step.body, step.content_type)
                if isinstance(step, Stall):
                    if stream:
                        self._start_stream()
                        if step.after:
                            self._event(self._delta(step.after))
                    fake._stop.wait(step.seconds)
                    self.close_connection = True
                    return None
                if isinstance(step, Drip):
                    if stream:
                        self._start_stream()
                    else:
                        self.send_response(200)
                        self.send_header("Content-Type", "application/json")
                        self.send_header("Content-Length", "100000000")
                        self.end_headers()
                        self.wfile.write(b'{"choices": [{"message": {"content": "')
                        self.chunking = False
                    end = time.monotonic() + step.limit
                    while time.monotonic() < end and not fake._stop.wait(step.interval):
                        if stream:
                            self._event(self._delta("知识产权"))
                        else:
                            self._write("知识产权".encode())
                    self.close_connection = True
                    return None
                if stream:
                    self._start_stream()
                    self._event({**self._chunk(), "choices": [{"index": 0, "delta": {"role": "assistant"}}]})
                    for i in range(0, len(step.text), step.chunk):
                        if i and step.delay and fake._stop.wait(step.delay):
                            break
                        self._event(self._delta(step.text[i : i + step.chunk]))
                    last = {"index": 0, "delta": {}, "finish_reason": step.finish_reason}
                    if step.refusal:
                        last["delta"] = {"refusal": step.refusal}
                    self._event({**self._chunk(), "choices": [last]})
                    self._write(b"data: [DONE]\n\n")
                    return self._finish()
                message = {"role": "assistant", "content": step.text, "refusal": step.refusal}
                return self._send(
                    200,
                    {
                        **self._chunk("chat.completion"),
                        "choices": [{"index": 0, "message": message, "finish_reason": step.finish_reason}],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                    },
                )

            def _chunk(self, kind: str = "chat.completion.chunk") -> dict:
                return {"id": "chatcmpl-fake", "object": kind, "created": int(time.time()), "model": fake.model}

            def _delta(self, text: str) -> dict:
                return {**self._chunk(), "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}

            def _start_stream(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self._framing()
                self._write(b": a comment line, which clients skip\n\n")

            def _framing(self) -> None:
                self.chunking = fake.chunked
                self.send_header(*(("Transfer-Encoding", "chunked") if fake.chunked else ("Connection", "close")))
                self.end_headers()

            def _write(self, data: bytes) -> None:
                if getattr(self, "chunking", False):
                    data = b"%x\r\n%s\r\n" % (len(data), data)
                self.wfile.write(data)
                self.wfile.flush()

            def _finish(self) -> None:
                if getattr(self, "chunking", False):
                    self.wfile.write(b"0\r\n\r\n")  # the connection stays open for the next request
                else:
                    self.close_connection = True

            def _event(self, data: dict) -> None:
                self._write(b"data: " + json.dumps(data, ensure_ascii=False).encode() + b"\n\n")

            def _send(self, code: int, body, content_type: str = "application/json") -> None:
                data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
                self.send_response(code)
                self.send_header("Content-Type", content_type)
                if fake.chunked:  # in two chunks, split inside a character: the client must join them
                    self._framing()
                    self._write(data[: len(data) // 2 + 1])
                    self._write(data[len(data) // 2 + 1 :])
                else:
                    self.send_header("Content-Length", str(len(data)))
                    self._framing()
                    self.wfile.write(data)
                return self._finish()

        return Handler


def closed_port_url() -> str:
    """The base URL of a port on 127.0.0.1 where nothing listens (a down endpoint)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"
