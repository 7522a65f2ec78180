"""A scriptable fake of the OpenAI and Anthropic HTTP APIs for tests and benchmarks.

Real SDK clients talk to it over loopback, so retries, timeouts, cancellation and
request bodies are exercised exactly as against a real service, without network.

Endpoints (any path prefix is accepted, so `…/v1` base URLs of every shape work):
- `GET  …/models`            → `{"object": "list", "data": [{"id": m, "owned_by": server.owned_by}, …]}`
- `GET  …/props`             → `server.props` (llama.cpp's server description), 404 when None
- `POST …/chat/completions`  → an OpenAI chat completion
- `POST …/messages`          → an Anthropic message
- batch APIs: OpenAI `POST …/files` (multipart), `GET …/files/{id}/content`,
  `POST …/batches`, `GET …/batches/{id}`, `POST …/batches/{id}/cancel`; Anthropic
  `POST …/messages/batches`, `GET …/messages/batches/{id}`, `GET …/results`,
  `POST …/messages/batches/{id}/cancel`. A batch stays in progress until
  `server.complete_batches()` (or after `server.batch_polls` status reads); then
  every request in it is answered with `server.default_reply(body)` (an exception
  from it makes that request errored).

Each generation request takes the next scripted behaviour (`server.script(...)`) or,
when the script is empty, replies with `server.default_reply(request_json)` after
`server.latency_s` (and, while `server.gate` holds a `threading.Event`, once that
event is set: a test decides when the teacher answers, without sleeping).
`GET …/models` only takes behaviours scripted with `path="models"`, so a teacher's
model discovery never eats a test's script.
`server.slots` caps how many generation requests are served at once (a vLLM or
llama.cpp server's parallel slots): more wait in line, their latency growing as on
a real server; `in_flight`, `peak_in_flight` and each request's
`in_flight_at_arrival` show what a client sent at once.

Usage::

    with FakeLLMServer() as server:
        server.script(Status(429, headers={"Retry-After": "1"}), Reply("hi"))
        client = openai.AsyncOpenAI(base_url=server.openai_base_url, api_key="k")
"""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import itertools
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
    "Drip",
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
class Drip:
    """Answer `then`, sending its body one byte every `interval_s` seconds (a server
    or proxy that trickles: every read gets a byte before a read timeout fires)."""

    interval_s: float
    then: Reply = field(default_factory=Reply)


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


Behaviour = Reply | Status | Delay | Drip | Gate | Hang | Close


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    json: Any
    received_at: float
    abandoned: bool = False  # the client disconnected before we answered
    answered: bool = False
    in_flight_at_arrival: int = 0  # generation requests being handled when this one arrived
    answered_at: float | None = None

    @property
    def kind(self) -> str:
        """ "openai", "anthropic" or "models"."""
        return _kind(self.path)


def _kind(path: str) -> str:
    path = path.split("?", 1)[0].rstrip("/")
    if path.endswith("/chat/completions"):
        return "openai"
    if "/messages/batches" in path:
        return "anthropic-batch"
    if path.endswith("/messages"):
        return "anthropic"
    if path.endswith("/models"):
        return "models"
    if path.endswith("/props"):
        return "props"
    if "/files" in path:
        return "openai-files"
    if "/batches" in path:
        return "openai-batch"
    return "unknown"


@dataclass
class FakeBatch:
    """A batch as the fake keeps it: the requests (custom_id → body) and, once
    completed, each one's reply text or error."""

    id: str
    api: str  # "openai" or "anthropic"
    requests: dict[str, Any]
    status: str = "in_progress"
    polls: int = 0
    results: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)  # id → (text, error)
    output_file_id: str | None = None
    error_file_id: str | None = None


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
        slots: int | None = None,
        owned_by: str = "fake",
        props: dict[str, Any] | None = None,
    ) -> None:
        self.default_reply = default_reply
        self.models: list[str] = ["fake-model"] if models is None else models
        self.latency_s = latency_s
        #: when set, chooses the behaviour for a generation request by its content
        #: (None: the script, then the default reply, as usual)
        self.respond: Callable[[RecordedRequest], Behaviour | None] | None = None
        self.owned_by = owned_by
        self.props = props
        self.slots = slots
        self._slot_gate = threading.BoundedSemaphore(slots) if slots else None
        self.in_flight = 0
        self.peak_in_flight = 0
        self.batches: dict[str, FakeBatch] = {}
        self.files: dict[str, bytes] = {}
        self._inputs: dict[str, str] = {}  # batch id → its input file
        self.batch_polls: int | None = None
        self.batch_requests = 0  # requests answered inside batches
        self._ids = itertools.count(1)
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

    def clear_script(self) -> None:
        """Drop the behaviours no request took (a run that stopped early)."""
        with self._cond:
            self._script.clear()

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
            if answered and not request.answered:
                request.answered_at = time.monotonic()
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

    # -- in flight

    def _enter(self, request: RecordedRequest) -> None:
        with self._cond:
            request.in_flight_at_arrival = self.in_flight
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)

    def _leave(self) -> None:
        with self._cond:
            self.in_flight -= 1
            self._cond.notify_all()

    # -- batches

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids):06d}"

    def complete_batches(self) -> None:
        """Answer every request of every batch still in progress."""
        with self._cond:
            pending = [b for b in self.batches.values() if b.status in ("in_progress", "validating")]
        for batch in pending:
            self._complete(batch)

    def _complete(self, batch: FakeBatch) -> None:
        results: dict[str, tuple[str | None, str | None]] = {}
        for custom_id, body in batch.requests.items():
            try:
                results[custom_id] = (self.default_reply(body), None)
            except Exception as exc:  # the test's way to make one request fail
                results[custom_id] = (None, str(exc) or type(exc).__name__)
        with self._cond:
            if batch.status not in ("in_progress", "validating"):
                return
            batch.results = results
            self.batch_requests += len(results)
            batch.status = "completed" if batch.api == "openai" else "ended"
            if batch.api == "openai":
                ok = [(c, t) for c, (t, e) in results.items() if e is None]
                bad = [(c, e) for c, (t, e) in results.items() if e is not None]
                if ok:
                    batch.output_file_id = self.new_id("file")
                    self.files[batch.output_file_id] = _openai_output(batch, ok)
                if bad:
                    batch.error_file_id = self.new_id("file")
                    self.files[batch.error_file_id] = _openai_errors(bad)
            self._cond.notify_all()


class _Server(ThreadingHTTPServer):
    # a real server's listen backlog (uvicorn: 2048); socketserver's 5 refuses the
    # connections of a client that opens dozens at once
    request_queue_size = 1024
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    fake: FakeLLMServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # a client that dies or hangs up mid-request (a killed run, a cancelled
        # call) is expected here, not a fault of the fake
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


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
        if fake._stopping.is_set():
            # a stopped server's kept-alive connections die with it: this request
            # gets no answer, and the client's next connection is refused
            self.close_connection = True
            return
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
        if kind in ("openai-files", "openai-batch", "anthropic-batch"):
            status, payload, content_type = _batch_api(fake, self.command, self.path, kind, raw, self.headers)
            self._send_json(status, payload, content_type=content_type)
            fake._mark(request, answered=True)
            return
        if kind == "props" and fake._next_behaviour(kind) is None:
            if fake.props is None:
                self._send_json(404, {"error": {"message": "no /props here"}})
            else:
                self._send_json(200, fake.props)
            fake._mark(request, answered=True)
            return
        if kind == "models":
            behaviour = fake._next_behaviour(kind) or Reply(
                raw={"object": "list", "data": [_model(m, fake.owned_by) for m in fake.models]}
            )
            self._perform(behaviour, request)
            return
        fake._enter(request)
        try:
            behaviour = fake.respond(request) if fake.respond is not None else None
            if behaviour is None:
                behaviour = fake._next_behaviour(kind)
            if behaviour is None:
                text = fake.default_reply(body)
                behaviour = Delay(fake.latency_s, Reply(text)) if fake.latency_s > 0 else Reply(text)
                if fake.gate is not None:
                    behaviour = Gate(fake.gate, behaviour)
            gate = fake._slot_gate
            if gate is None:
                self._perform(behaviour, request)
                return
            # wait for a free slot (as a vLLM or llama.cpp server queues), noticing a
            # client that gives up meanwhile
            while not gate.acquire(timeout=0.05):
                if fake._stopping.is_set() or not self._wait(0.0, request):
                    return
            try:
                self._perform(behaviour, request)
            finally:
                gate.release()
        finally:
            fake._leave()

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
        if isinstance(behaviour, Drip):
            reply = behaviour.then
            payload = reply.raw if reply.raw is not None else _reply_body(request, reply)
            self._drip(json.dumps(payload).encode(), behaviour.interval_s, request)
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
            timeout = 0.25 if deadline is None else min(0.25, deadline - time.monotonic())
            if timeout <= 0:
                if seconds == 0.0:  # a bare check whether the client is still there
                    return self._still_connected(request)
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

    def _drip(self, data: bytes, interval_s: float, request: RecordedRequest) -> None:
        fake = self.server.fake
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.flush()
            for index in range(len(data)):
                if not self._wait(interval_s, request):
                    return
                self.wfile.write(data[index : index + 1])
                self.wfile.flush()
        except OSError:
            fake._mark(request, abandoned=True)
            self.close_connection = True
            return
        fake._mark(request, answered=True)

    def _still_connected(self, request: RecordedRequest) -> bool:
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if readable and self.connection.recv(1, socket.MSG_PEEK) == b"":
                raise ConnectionResetError
        except (OSError, ValueError):
            self.server.fake._mark(request, abandoned=True)
            self.close_connection = True
            return False
        return True

    def _send_json(
        self,
        code: int,
        payload: Any,
        headers: Mapping[str, str] | None = None,
        content_type: str = "application/json",
    ) -> None:
        if isinstance(payload, bytes):
            data = payload
        else:
            data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
        try:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:
            self.close_connection = True


def _model(model_id: str, owned_by: str = "fake") -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": 0, "owned_by": owned_by}


def _reply_body(request: RecordedRequest, reply: Reply) -> dict[str, Any]:
    return _generation(request.kind, request.json, reply.text, reply.usage)


def _generation(
    kind: str, request_body: Any, text: str, usage: tuple[int, int] | None = None
) -> dict[str, Any]:
    """An OpenAI chat completion or an Anthropic message answering `request_body`."""
    body = request_body if isinstance(request_body, dict) else {}
    model = str(body.get("model", "fake-model"))
    tokens_in, tokens_out = usage or (_words(body), len(text.split()))
    if kind == "anthropic":
        return {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": text}],
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
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": tokens_in,
            "completion_tokens": tokens_out,
            "total_tokens": tokens_in + tokens_out,
        },
    }


# ---- batch APIs ---------------------------------------------------------------------


def _multipart(raw: bytes, content_type: str) -> dict[str, tuple[str | None, bytes]]:
    """Form fields of a multipart/form-data body: name → (filename, content)."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw
    )
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str):
            fields[name] = (part.get_filename(), payload if isinstance(payload, bytes) else b"")
    return fields


def _openai_batch_json(batch: FakeBatch, input_file_id: str) -> dict[str, Any]:
    done = sum(1 for _, error in batch.results.values() if error is None)
    return {
        "id": batch.id,
        "object": "batch",
        "endpoint": "/v1/chat/completions",
        "errors": None,
        "input_file_id": input_file_id,
        "completion_window": "24h",
        "status": batch.status,
        "output_file_id": batch.output_file_id,
        "error_file_id": batch.error_file_id,
        "created_at": 0,
        "request_counts": {
            "total": len(batch.requests),
            "completed": done,
            "failed": len(batch.results) - done,
        },
        "metadata": None,
    }


def _openai_output(batch: FakeBatch, ok: list[tuple[str, str | None]]) -> bytes:
    lines = []
    for index, (custom_id, text) in enumerate(ok):
        body = _generation("openai", batch.requests[custom_id], text or "")
        response = {"status_code": 200, "request_id": f"req_{index}", "body": body}
        lines.append(
            {"id": f"batch_req_{index}", "custom_id": custom_id, "response": response, "error": None}
        )
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


def _openai_errors(bad: list[tuple[str, str | None]]) -> bytes:
    lines = []
    for index, (custom_id, error) in enumerate(bad):
        body = {"error": {"message": error, "type": "server_error"}}
        response = {"status_code": 500, "request_id": f"req_e{index}", "body": body}
        lines.append(
            {"id": f"batch_req_e{index}", "custom_id": custom_id, "response": response, "error": None}
        )
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


def _anthropic_batch_json(fake: FakeLLMServer, batch: FakeBatch, base: str) -> dict[str, Any]:
    ended = batch.status == "ended"
    counts = {
        "processing": 0 if ended else len(batch.requests),
        "succeeded": 0,
        "errored": 0,
        "canceled": 0,
        "expired": 0,
    }
    for text, error in batch.results.values():
        if error == "canceled":
            counts["canceled"] += 1
        elif error is not None:
            counts["errored"] += 1
        elif text is not None:
            counts["succeeded"] += 1
    return {
        "id": batch.id,
        "type": "message_batch",
        "processing_status": batch.status,
        "request_counts": counts,
        "created_at": "2026-01-05T10:00:00Z",
        "expires_at": "2026-01-06T10:00:00Z",
        "ended_at": "2026-01-05T10:05:00Z" if ended else None,
        "archived_at": None,
        "cancel_initiated_at": None,
        "results_url": f"{fake.url}{base}/{batch.id}/results" if ended else None,
    }


def _anthropic_results(batch: FakeBatch) -> bytes:
    lines = []
    for custom_id, (text, error) in batch.results.items():
        if error == "canceled":
            result: dict[str, Any] = {"type": "canceled"}
        elif error is not None:
            result = {
                "type": "errored",
                "error": {"type": "error", "error": {"type": "api_error", "message": error}},
            }
        else:
            body = batch.requests[custom_id]
            result = {"type": "succeeded", "message": _generation("anthropic", body, text or "")}
        lines.append({"custom_id": custom_id, "result": result})
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


def _batch_api(
    fake: FakeLLMServer, method: str, path: str, kind: str, raw: bytes, headers: Any
) -> tuple[int, Any, str]:
    """(status, payload, content type) for one call of the batch APIs."""
    path = path.split("?", 1)[0].rstrip("/")
    parts = path.split("/")
    missing = (404, {"error": {"message": f"no such object: {path}"}}, "application/json")
    if kind == "openai-files":
        if method == "POST":
            form = _multipart(raw, headers.get("Content-Type", ""))
            filename, content = form.get("file", (None, b""))
            file_id = fake.new_id("file")
            with fake._cond:
                fake.files[file_id] = content
            purpose = form.get("purpose", (None, b""))[1].decode()
            return (
                200,
                {
                    "id": file_id,
                    "object": "file",
                    "bytes": len(content),
                    "created_at": 0,
                    "filename": filename or "upload.jsonl",
                    "purpose": purpose,
                    "status": "processed",
                },
                "application/json",
            )
        if parts[-1] == "content" and parts[-2] in fake.files:
            return 200, fake.files[parts[-2]], "application/octet-stream"
        return missing
    if kind == "openai-batch":
        if method == "POST" and parts[-1] == "batches":
            request = json.loads(raw)
            content = fake.files.get(request.get("input_file_id", ""))
            if content is None:
                return 400, {"error": {"message": "unknown input_file_id"}}, "application/json"
            lines = [json.loads(line) for line in content.decode().splitlines() if line.strip()]
            batch = FakeBatch(
                fake.new_id("batch"), "openai", {line["custom_id"]: line["body"] for line in lines}
            )
            with fake._cond:
                fake.batches[batch.id] = batch
                fake._inputs[batch.id] = request["input_file_id"]
            return 200, _openai_batch_json(batch, request["input_file_id"]), "application/json"
        batch_id = parts[-2] if parts[-1] == "cancel" else parts[-1]
        batch = fake.batches.get(batch_id)
        if batch is None:
            return missing
        if parts[-1] == "cancel":
            with fake._cond:
                if batch.status == "in_progress":
                    batch.status = "cancelled"
        else:
            _polled(fake, batch)
        return 200, _openai_batch_json(batch, fake._inputs[batch.id]), "application/json"
    # anthropic
    base = path[: path.index("/messages/batches") + len("/messages/batches")]
    if method == "POST" and path.endswith("/messages/batches"):
        request = json.loads(raw)
        items = {item["custom_id"]: item["params"] for item in request.get("requests", [])}
        batch = FakeBatch(fake.new_id("msgbatch"), "anthropic", items)
        with fake._cond:
            fake.batches[batch.id] = batch
        return 200, _anthropic_batch_json(fake, batch, base), "application/json"
    tail = path[len(base) + 1 :].split("/") if len(path) > len(base) else []
    batch = fake.batches.get(tail[0]) if tail else None
    if batch is None:
        return missing
    if tail[1:] == ["results"]:
        if batch.status != "ended":
            return (
                400,
                {"type": "error", "error": {"type": "invalid_request_error", "message": "not ended"}},
                "application/json",
            )
        return 200, _anthropic_results(batch), "application/binary"
    if tail[1:] == ["cancel"]:
        with fake._cond:
            if batch.status == "in_progress":
                batch.results = {custom_id: (None, "canceled") for custom_id in batch.requests}
                batch.status = "ended"
        return (
            200,
            {**_anthropic_batch_json(fake, batch, base), "processing_status": "canceling"},
            "application/json",
        )
    _polled(fake, batch)
    return 200, _anthropic_batch_json(fake, batch, base), "application/json"


def _polled(fake: FakeLLMServer, batch: FakeBatch) -> None:
    with fake._cond:
        batch.polls += 1
        due = fake.batch_polls is not None and batch.polls >= fake.batch_polls
    if due and batch.status == "in_progress":
        fake._complete(batch)


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
