"""A recording pass-through between a synthesis tool and a local OpenAI-compatible server.

Both tools under test (ours and upstream's `dlm`) talk to a `vllm-server:` URL; pointing
that URL here instead of at llama.cpp's server lets the benchmark keep, for every teacher
call, exactly what was asked and answered (the raw reply text, the token counts and the
wall time) without touching either tool. Upstream prints no raw replies at all, so this
is the only honest way to see its failure modes.

Requests are forwarded unchanged, one at a time (the model server serialises them anyway,
so a lock here makes each wall time the call's own, not time spent queueing).
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Exchange:
    """One generation request as the model server saw it."""

    tag: dict[str, Any]
    request: dict[str, Any]
    status: int
    response: dict[str, Any] | None
    wall_s: float
    started: float
    client_gone: bool = False
    error: str | None = None
    #: llama.cpp's own timing of the call (see generate.llama_timings), when known
    timings: dict[str, float] | None = None

    @property
    def reply_text(self) -> str | None:
        if not self.response:
            return None
        try:
            content = self.response["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            return None
        return content if isinstance(content, str) else None

    @property
    def usage(self) -> dict[str, int]:
        usage = (self.response or {}).get("usage") or {}
        return {k: int(v) for k, v in usage.items() if isinstance(v, int)}

    @property
    def finish_reason(self) -> str | None:
        try:
            return str((self.response or {})["choices"][0]["finish_reason"])
        except (KeyError, IndexError, TypeError):
            return None

    def messages(self) -> tuple[str, str]:
        """(system, user) of the request."""
        system = user = ""
        for message in self.request.get("messages", []):
            if message.get("role") == "system":
                system = str(message.get("content", ""))
            elif message.get("role") == "user":
                user = str(message.get("content", ""))
        return system, user


@dataclass
class RecordingProxy:
    target: str  # http://127.0.0.1:PORT of the model server
    timeout_s: float = 900.0
    exchanges: list[Exchange] = field(default_factory=list)
    tag: dict[str, Any] = field(default_factory=dict)
    port: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def take(self) -> list[Exchange]:
        """The exchanges recorded since the last call."""
        with self._lock:
            taken, self.exchanges = self.exchanges, []
        return taken

    def _forward(self, method: str, path: str, body: bytes | None) -> tuple[int, bytes, str]:
        parts = urlsplit(self.target)
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=self.timeout_s)
        try:
            headers = {"Content-Type": "application/json", "Accept": "application/json"}
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.read(), resp.getheader("Content-Type", "application/json")
        finally:
            conn.close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(self, status: int, body: bytes, ctype: str) -> bool:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return True
                except OSError:  # the client gave up (e.g. its own timeout)
                    return False

            def do_GET(self) -> None:
                try:
                    status, body, ctype = proxy._forward("GET", self.path, None)
                except OSError as exc:
                    status, body, ctype = 502, json.dumps({"error": str(exc)}).encode(), "application/json"
                self._send(status, body, ctype)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    request = json.loads(raw)
                except ValueError:
                    request = {"unparsed": raw.decode("utf-8", "replace")}
                with proxy._lock:  # one generation at a time: wall time is the call's own
                    tag = dict(proxy.tag)
                    started = time.time()
                    t0 = time.perf_counter()
                    error = None
                    try:
                        status, body, ctype = proxy._forward("POST", self.path, raw)
                    except OSError as exc:
                        status, body, ctype = (
                            502,
                            json.dumps({"error": str(exc)}).encode(),
                            "application/json",
                        )
                        error = str(exc)
                    wall = time.perf_counter() - t0
                try:
                    response = json.loads(body)
                except ValueError:
                    response = {"unparsed": body.decode("utf-8", "replace")}
                delivered = self._send(status, body, ctype)
                if "chat/completions" in self.path:
                    exchange = Exchange(tag, request, status, response, wall, started, not delivered, error)
                    with proxy._lock:
                        proxy.exchanges.append(exchange)

        return Handler

    @contextmanager
    def running(self) -> Iterator[RecordingProxy]:
        server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        server.daemon_threads = True
        self.port = int(server.server_address[1])
        thread = threading.Thread(target=server.serve_forever, name="recording-proxy", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)
