"""A scriptable fake of the OpenAI and Anthropic HTTP APIs for tests and benchmarks.

Real SDK clients talk to it over loopback, so retries, timeouts, cancellation and
request bodies are exercised exactly as against a real service, without network.

Endpoints (any path prefix is accepted, so `…/v1` base URLs of every shape work):
- `GET  …/models`            → `{"object": "list", "data": [{"id": m} for m in server.models]}`
- `POST …/chat/completions`  → an OpenAI chat completion
- `POST …/messages`          → an Anthropic message

Each generation request takes the next scripted behaviour (`server.script(...)`) or,
when the script is empty, replies with `server.default_reply(request_json)` after
`server.latency_s` (and, while `server.gate` holds a `threading.Event`, once that
event is set: a test decides when the teacher answers, without sleeping).
`GET …/models` only takes behaviours scripted with `path="models"`, so a teacher's
model discovery never eats a test's script.

Usage::

    with FakeLLMServer() as server:
        server.script(Status(429, headers={"Retry-After": "1"}), Reply("hi"))
        client = openai.AsyncOpenAI(base_url=server.openai_base_url, api_key="k")
"""

from __future__ import annotations

import contextlib
import json
import select
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = [
    "Close",
    "Delay",
    "FakeLLMServer",
    "Gate",
    "Hang",
    "RecordedRequest",
    "Reply",
    "Status",
    "fake_llm_server",
    "unused_port",
]


# ---- behaviours -----------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """A successful reply carrying `text`, shaped for the endpoint. `raw` replaces
    the whole JSON body (for malformed or unusual responses)."""

    text: str = "ok"
    raw: Any = None
    usage: tuple[int, int] | None = None  # (input, output); default: word counts
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Status:
    """An error response. `body` is sent as JSON unless it is a str."""

    code: int
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Delay:
    """Wait `seconds` (noticing a client that gives up), then do `then`."""

    seconds: float
    then: Behaviour = field(default_factory=Reply)


@dataclass(frozen=True)
class Gate:
    """Wait until `event` is set (noticing a client that gives up), then do `then`."""

    event: threading.Event
    then: Behaviour = field(default_factory=Reply)


@dataclass(frozen=True)
class Hang:
    """Never answer; the request ends when the client disconnects or the server stops."""


@dataclass(frozen=True)
class Close:
    """Drop the connection without a response (a crash or a proxy reset)."""


Behaviour = Reply | Status | Delay | Gate | Hang | Close


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    json: Any
    received_at: float
    abandoned: bool = False  # the client disconnected before we answered
    answered: bool = False

    @property
    def kind(self) -> str:
        """ "openai", "anthropic" or "models"."""
        return _kind(self.path)


def _kind(path: str) -> str:
    path = path.split("?", 1)[0].rstrip("/")
    if path.endswith("/chat/completions"):
        return "openai"
    if path.endswith("/messages"):
        return "anthropic"
    if path.endswith("/models"):
        return "models"
    return "unknown"


def _default_reply(request: Any) -> str:
    return "ok"


def _words(value: Any) -> int:
    if isinstance(value, str):
        return len(value.split())
    if isinstance(value, list):
        return sum(_words(v) for v in value)
    if isinstance(value, dict):
        return sum(_words(v) for k, v in value.items() if k in ("content", "text", "system", "messages"))
    return 0


# ---- server -----------------------------------------------------------------------


class FakeLLMServer:
    """Thread-backed HTTP server on 127.0.0.1 with a random free port.

    All attributes may be changed while it runs: `models` (ids listed by
    `/models`), `default_reply` (request JSON → text), `latency_s` (delay of default
    replies), `gate` (default replies wait until this event is set)."""

    def __init__(
        self,
        *,
        default_reply: Callable[[Any], str] = _default_reply,
        models: list[str] | None = None,
        latency_s: float = 0.0,
    ) -> None:
        self.default_reply = default_reply
        self.models: list[str] = ["fake-model"] if models is None else models
        self.latency_s = latency_s
        self.gate: threading.Event | None = None
        self.requests: list[RecordedRequest] = []
        self._script: deque[tuple[str | None, Behaviour]] = deque()
        self._cond = threading.Condition()
        self._stopping = threading.Event()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.fake = self
        self._thread: threading.Thread | None = None

    # -- lifecycle

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def openai_base_url(self) -> str:
        return self.url + "/v1"

    @property
    def anthropic_base_url(self) -> str:
        return self.url

    def start(self) -> FakeLLMServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- scripting

    def script(self, *behaviours: Behaviour, path: str | None = None) -> None:
        """Queue behaviours for the next requests. `path=None` applies to generation
        endpoints; `path="models"` to model listing."""
        with self._cond:
            self._script.extend((path, b) for b in behaviours)

    def _next_behaviour(self, kind: str) -> Behaviour | None:
        with self._cond:
            for index, (path, behaviour) in enumerate(self._script):
                if (path is None and kind in ("openai", "anthropic")) or path == kind:
                    del self._script[index]
                    return behaviour
        return None

    @property
    def pending_script(self) -> int:
        with self._cond:
            return len(self._script)

    # -- observations

    def _record(self, request: RecordedRequest) -> None:
        with self._cond:
            self.requests.append(request)
            self._cond.notify_all()

    def _mark(self, request: RecordedRequest, *, abandoned: bool = False, answered: bool = False) -> None:
        with self._cond:
            request.abandoned = request.abandoned or abandoned
            request.answered = request.answered or answered
            self._cond.notify_all()

    def generation_requests(self) -> list[RecordedRequest]:
        with self._cond:
            return [r for r in self.requests if r.kind in ("openai", "anthropic")]

    @property
    def abandoned(self) -> list[RecordedRequest]:
        with self._cond:
            return [r for r in self.requests if r.abandoned]

    def wait_for(self, predicate: Callable[[FakeLLMServer], bool], timeout: float = 5.0) -> bool:
        """Block until `predicate(self)` holds (re-checked on every request event)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(self):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.05))
            return True

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> bool:
        return self.wait_for(lambda s: len(s.requests) >= count, timeout)

    def wait_for_abandoned(self, count: int = 1, timeout: float = 5.0) -> bool:
        return self.wait_for(lambda s: sum(r.abandoned for r in s.requests) >= count, timeout)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    fake: FakeLLMServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        # headers and body go out in two writes; without this, Nagle + delayed ACK
        # adds ~40 ms to every reply, which dominates latency benchmarks
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        request = RecordedRequest(
            method=self.command,
            path=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            json=body,
            received_at=time.monotonic(),
        )
        fake._record(request)
        kind = request.kind
        if kind == "unknown":
            self._send_json(404, {"error": {"message": f"no route for {self.path}"}})
            return
        behaviour = fake._next_behaviour(kind)
        if behaviour is None:
            if kind == "models":
                behaviour = Reply(raw={"object": "list", "data": [_model(m) for m in fake.models]})
            else:
                text = fake.default_reply(body)
                behaviour = Delay(fake.latency_s, Reply(text)) if fake.latency_s > 0 else Reply(text)
                if fake.gate is not None:
                    behaviour = Gate(fake.gate, behaviour)
        self._perform(behaviour, request)

    def _perform(self, behaviour: Behaviour, request: RecordedRequest) -> None:
        fake = self.server.fake
        while isinstance(behaviour, Delay | Gate):
            if isinstance(behaviour, Gate):
                while not behaviour.event.is_set():
                    if not self._wait(0.005, request):
                        return
            elif not self._wait(behaviour.seconds, request):
                return
            behaviour = behaviour.then
        if isinstance(behaviour, Hang):
            self._wait(None, request)
            return
        if isinstance(behaviour, Close):
            self.close_connection = True
            with contextlib.suppress(OSError):
                # linger 0: closing resets the connection, as after a crash
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            fake._mark(request, answered=True)
            return
        if isinstance(behaviour, Status):
            payload = behaviour.body
            if payload is None:
                payload = {"error": {"message": f"fake error {behaviour.code}", "type": "fake_error"}}
            self._send_json(behaviour.code, payload, behaviour.headers)
        else:
            payload = behaviour.raw if behaviour.raw is not None else _reply_body(request, behaviour)
            self._send_json(200, payload, behaviour.headers)
        fake._mark(request, answered=True)

    def _wait(self, seconds: float | None, request: RecordedRequest) -> bool:
        """Sleep, watching the socket; False (and the request marked abandoned) if
        the client hung up or the server is stopping."""
        fake = self.server.fake
        deadline = None if seconds is None else time.monotonic() + seconds
        while True:
            if fake._stopping.is_set():
                return False
            timeout = 0.02 if deadline is None else min(0.02, deadline - time.monotonic())
            if timeout <= 0:
                return True
            try:
                readable, _, _ = select.select([self.connection], [], [], timeout)
                if readable:
                    if self.connection.recv(1, socket.MSG_PEEK) == b"":
                        raise ConnectionResetError
                    time.sleep(timeout)  # unexpected early bytes: don't spin on them
            except (OSError, ValueError):
                fake._mark(request, abandoned=True)
                self.close_connection = True
                return False

    def _send_json(self, code: int, payload: Any, headers: Mapping[str, str] | None = None) -> None:
        data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
        try:
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:
            self.close_connection = True


def _model(model_id: str) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": 0, "owned_by": "fake"}


def _reply_body(request: RecordedRequest, reply: Reply) -> dict[str, Any]:
    body = request.json if isinstance(request.json, dict) else {}
    model = str(body.get("model", "fake-model"))
    tokens_in, tokens_out = reply.usage or (_words(body), len(reply.text.split()))
    if request.kind == "anthropic":
        return {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": reply.text}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": tokens_in, "output_tokens": tokens_out},
        }
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply.text},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": tokens_in,
            "completion_tokens": tokens_out,
            "total_tokens": tokens_in + tokens_out,
        },
    }


# ---- helpers ------------------------------------------------------------------------


@contextlib.contextmanager
def fake_llm_server(**kwargs: Any) -> Iterator[FakeLLMServer]:
    server = FakeLLMServer(**kwargs).start()
    try:
        yield server
    finally:
        server.stop()


def unused_port() -> int:
    """A loopback port nothing listens on (bound then released), for
    connection-refused tests."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
