"""JSON over HTTP for the `vllm-server:` teacher, on `httpx2` directly.

An OpenAI-compatible server (vLLM, SGLang, llama.cpp's llama-server, Ollama, LM
Studio) is asked two things: its model list and chat completions. The official SDK
would do, but importing it builds hundreds of typed models (half a second or more
of a cold CLI run, most of its start-up), and we use none of them: the request body
is ours (`chat.py`) and the reply is read as plain JSON. So this module speaks to the
server with httpx2, the HTTP client the openai and anthropic SDKs use underneath, and
raises errors shaped like the SDK's (`status_code`, `body`, `response`, `request`;
the same three kinds), so `remote.call_with_retries` classifies both the same way:
429/503 with Retry-After, timeouts naming the endpoint, connection failures, HTTP
messages, keys redacted.

Why httpx2 and not httpx 0.28 (the same API): httpcore 1.x's pool re-counts every
connection for each idle one each time a request is queued or released, so with the
hundred-odd connections a vLLM run keeps open the client spent most of its CPU there
(a 500-call corpus reached 26% of the server's capacity instead of 82%, bench/
README.md); httpcore2's pool does one pass.

httpx2 itself is imported when the client is made (the teacher's first request), not
when this module is.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .base import TeacherOptions
from .remote import SdkErrors

if TYPE_CHECKING:
    import ssl

    import httpx2


class HttpError(Exception):
    """Any failure of a request (the base class; an answer that is not JSON)."""


class HttpStatusError(HttpError):
    """The server answered with a non-2xx status; `body` is its JSON, else its text."""

    def __init__(self, response: httpx2.Response, body: object) -> None:
        super().__init__(f"Error code: {response.status_code} - {body}")
        self.response = response
        self.request = response.request
        self.status_code = response.status_code
        self.body = body


class HttpConnectionError(HttpError):
    """No answer: the connection could not be made or was lost (the httpx2 error is
    the cause, which tells a refused connection from a reset one)."""

    def __init__(self, request: httpx2.Request | None) -> None:
        super().__init__("connection error")
        self.request = request


class HttpTimeoutError(HttpConnectionError):
    """Connecting, or a read, took longer than the client's timeout."""


#: what `remote.call_with_retries` needs to classify this module's errors
HTTP_ERRORS = SdkErrors(
    status=HttpStatusError, connection=HttpConnectionError, timeout=HttpTimeoutError, base=HttpError
)


def _tls_for(base_url: str) -> ssl.SSLContext | bool:
    """httpx2's default TLS set-up, except for a plain-http server (a local vLLM, a
    llama-server): every URL this client asks is under the base URL and redirects are
    not followed, so it never speaks TLS, and loading the CA bundle would only cost a
    cold run tens of milliseconds. The context given instead trusts no CA, so an https
    peer would be refused, never trusted unverified."""
    if urlsplit(base_url).scheme != "http":
        return True
    import ssl

    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def _decoded(response: httpx2.Response) -> object:
    try:
        return json.loads(response.content)
    except ValueError:
        return response.text


class JsonClient:
    """One connection pool to one server. `pool` connections at most (the teacher's
    concurrency ceiling: fewer would make calls wait for a connection inside httpx2,
    where neither the budget nor the timeout message can see them); `api_key` goes
    as a bearer token, unless the base URL carries `user:password@`, which httpx2
    sends as basic auth instead."""

    def __init__(self, base_url: str, *, api_key: str, options: TeacherOptions, pool: int) -> None:
        import httpx2

        self._client = httpx2.AsyncClient(
            base_url=base_url,
            verify=_tls_for(base_url),
            headers={
                "Authorization": f"Bearer {api_key}",
                "Accept": "application/json",
                "User-Agent": "dlm-synth-lsp",
            },
            timeout=httpx2.Timeout(options.timeout_s, connect=options.connect_timeout_s),
            limits=httpx2.Limits(max_connections=pool, max_keepalive_connections=pool),
        )

    @property
    def base_url(self) -> httpx2.URL:
        return self._client.base_url

    async def get(self, url: str) -> object:
        """The JSON at `url` (relative to the base URL, or absolute)."""
        return await self._send("GET", url, None)

    async def post(self, url: str, body: dict[str, Any]) -> object:
        return await self._send("POST", url, body)

    async def _send(self, method: str, url: str, body: dict[str, Any] | None) -> object:
        import httpx2  # imported by __init__ already

        content = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = None if content is None else {"Content-Type": "application/json"}
        request = self._client.build_request(method, url.lstrip("/"), content=content, headers=headers)
        try:
            response = await self._client.send(request)
        except httpx2.TimeoutException as exc:
            raise HttpTimeoutError(request) from exc
        except httpx2.TransportError as exc:
            raise HttpConnectionError(request) from exc
        if not response.is_success:
            raise HttpStatusError(response, _decoded(response))
        try:
            return json.loads(response.content)
        except ValueError:
            raise HttpError(
                f"the server answered {method} {response.request.url.path} with something that is not JSON"
            ) from None

    async def aclose(self) -> None:
        await self._client.aclose()
