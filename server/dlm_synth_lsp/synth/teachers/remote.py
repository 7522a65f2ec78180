"""Shared plumbing for teachers that call an HTTP API (openai, anthropic, vllm-server).

Both SDKs can retry on their own, but their loop cannot be cancelled mid-wait, does
not tell the user why a run stalls, and its messages embed whole response bodies.
The teachers therefore build their clients with `max_retries=0` and run every call
through `call_with_retries`, which:

- retries rate limits (429), 408/409, 5xx, connection failures and timeouts with full
  jitter exponential backoff, or exactly as long as the server's `Retry-After` asks;
- makes each wait and each request abandonable through the run's `CancelToken`;
- reports each retry through `TeacherOptions.notice` so progress can show it;
- turns the final failure into one short sentence (status + server message, "timed
  out after N s", "could not connect to host:port") with any credential scrubbed.

The exception classes are passed in (`SdkErrors`) rather than imported here, so
the anthropic teacher never imports openai and vice versa; the two SDKs come from
the same generator and share attribute names (`status_code`, `response`, `body`,
`request`), which the httpx2 transport of `vllm-server:` (`http_client.py`) copies.
"""

from __future__ import annotations

import asyncio
import email.utils
import math
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar, cast

from ..cancel import CancelToken
from ..concurrency import CLOUD, Budget
from ..errors import TeacherInvocationError, TeacherUnavailableError
from .base import TeacherOptions, Usage

T = TypeVar("T")

#: statuses worth another try besides 5xx: request timeout, conflict (transient lock), rate limit
_RETRYABLE_4XX = frozenset({408, 409, 429})
_AUTH_STATUSES = frozenset({401, 403})
#: statuses that mean "too much at once" (rate limited, overloaded; 529 is Anthropic's):
#: the run's concurrency limiter backs off on them (`TeacherOptions.pressure`)
OVERLOAD_STATUSES = frozenset({429, 503, 529})
_MAX_REASON_CHARS = 300


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Backoff shape. `max_retry_after_s` bounds how long a server may make us wait:
    beyond it we fail at once, because an editor-driven run should not sit silently
    for many minutes (the message tells the user to try later)."""

    base_s: float = 1.0
    cap_s: float = 30.0
    max_retry_after_s: float = 120.0

    def backoff(self, retry_index: int) -> float:
        """Full jitter (uniform in [0, min(cap, base·2^n)]) so concurrent calls that
        failed together do not come back together."""
        return random.uniform(0.0, min(self.cap_s, self.base_s * (2.0**retry_index)))


DEFAULT_POLICY = RetryPolicy()


@dataclass(frozen=True, slots=True)
class SdkErrors:
    """One SDK's exception classes. `timeout` must be a subclass of `connection`
    or unrelated; it is checked first. `base` catches the SDK's other errors
    (response validation and the like), which are not retried."""

    status: type[Exception]
    connection: type[Exception]
    timeout: type[Exception]
    base: type[Exception]


class _StatusError(Protocol):
    status_code: int
    body: object

    @property
    def response(self) -> Any: ...


@dataclass(frozen=True, slots=True)
class Retried(Generic[T]):
    value: T
    retries: int


@dataclass(frozen=True, slots=True)
class _Failure:
    reason: str
    retryable: bool
    retry_after: float | None = None
    auth: bool = False
    network: bool = False
    short: str = ""  # for the retry notice ("rate limited (429)")
    status: int | None = None


def sdk_errors(sdk: Any, base: str) -> SdkErrors:
    """The exception classes of an SDK module generated like openai's and anthropic's
    (same class names, except the base one: `base`)."""
    return SdkErrors(
        status=sdk.APIStatusError,
        connection=sdk.APIConnectionError,
        timeout=sdk.APITimeoutError,
        base=getattr(sdk, base),
    )


def redact(text: str, secrets: Iterable[str]) -> str:
    """Servers sometimes echo the key they rejected; never pass that on."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


def parse_retry_after(headers: Mapping[str, str] | None, now: float | None = None) -> float | None:
    """Seconds the server asks us to wait: `retry-after-ms`, then `retry-after` as
    seconds or as an HTTP date. None when absent or unreadable."""
    if headers is None:
        return None
    lowered = {str(k).lower(): str(v) for k, v in headers.items()}
    raw_ms = lowered.get("retry-after-ms")
    if raw_ms is not None:
        try:
            value = float(raw_ms) / 1000.0
        except ValueError:
            value = math.nan
        if math.isfinite(value):
            return max(0.0, value)
    raw = lowered.get("retry-after")
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
        return max(0.0, when.timestamp() - (time.time() if now is None else now))
    return max(0.0, value) if math.isfinite(value) else None


def server_message(body: object) -> str:
    """The human part of an error body, for both APIs' shapes
    (`{"error": {"message"}}`, `{"type": "error", "error": {...}}`, `{"detail"}`)."""
    if isinstance(body, Mapping):
        error = body.get("error")
        if isinstance(error, Mapping):
            message = error.get("message")
            if isinstance(message, str) and message.strip():
                return message.strip()
        if isinstance(error, str) and error.strip():
            return error.strip()
        for key in ("message", "detail"):
            value = body.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
        return ""
    if isinstance(body, str):
        return body.strip()
    return ""


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_REASON_CHARS else text[: _MAX_REASON_CHARS - 1] + "…"


def _status_phrase(code: int) -> str:
    from http import HTTPStatus

    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        return str(code)


def endpoint_of(url: object) -> str:
    """`host:port` (or `host`) of an httpx(2) URL, for messages; never its credentials."""
    host = getattr(url, "host", None)
    if not host:
        return "the server"
    port = getattr(url, "port", None)
    return f"{host}:{port}" if port else str(host)


def _endpoint(exc: BaseException) -> str:
    return endpoint_of(getattr(getattr(exc, "request", None), "url", None))


def _is_connect_timeout(exc: BaseException) -> bool:
    cause: BaseException | None = exc.__cause__ or exc.__context__
    seen = 0
    while cause is not None and seen < 5:
        if "ConnectTimeout" in type(cause).__name__ or "PoolTimeout" in type(cause).__name__:
            return True
        cause = cause.__cause__ or cause.__context__
        seen += 1
    return False


def _classify(exc: Exception, errors: SdkErrors, options: TeacherOptions) -> _Failure | None:
    if isinstance(exc, errors.status):
        status = cast(_StatusError, exc)
        code = int(status.status_code)
        detail = server_message(status.body)
        reason = f"HTTP {_status_phrase(code)}" + (f": {detail}" if detail else "")
        headers = getattr(status.response, "headers", None)
        if code in _AUTH_STATUSES:
            return _Failure(reason, retryable=False, auth=True)
        if code == 429:
            return _Failure(reason, True, parse_retry_after(headers), short="rate limited (429)", status=code)
        if code in _RETRYABLE_4XX or code >= 500:
            short = f"server error ({code})" if code >= 500 else f"HTTP {code}"
            return _Failure(reason, True, parse_retry_after(headers), short=short, status=code)
        return _Failure(reason, retryable=False)
    if isinstance(exc, errors.timeout):
        if _is_connect_timeout(exc):
            reason = f"connecting to {_endpoint(exc)} timed out after {options.connect_timeout_s:g} s"
        else:
            reason = f"timed out after {options.timeout_s:g} s waiting for {_endpoint(exc)}"
        return _Failure(reason, True, network=True, short="timed out")
    if isinstance(exc, errors.connection):
        cause = exc.__cause__ or exc.__context__
        what = "could not connect to" if _looks_refused(cause) else "lost the connection to"
        return _Failure(f"{what} {_endpoint(exc)}", True, network=True, short="connection failed")
    if isinstance(exc, errors.base):
        return _Failure(str(exc) or type(exc).__name__, retryable=False)
    return None


def _looks_refused(cause: BaseException | None) -> bool:
    seen = 0
    while cause is not None and seen < 5:
        if isinstance(cause, OSError) and not isinstance(cause, TimeoutError):
            return True
        name = type(cause).__name__
        if "ConnectError" in name:
            return True
        cause = cause.__cause__ or cause.__context__
        seen += 1
    return False


async def call_with_retries(
    make_call: Callable[[], Awaitable[T]],
    *,
    name: str,
    options: TeacherOptions,
    cancel: CancelToken,
    errors: SdkErrors,
    key_hint: str,
    secrets: Sequence[str] = (),
    policy: RetryPolicy = DEFAULT_POLICY,
    max_retries: int | None = None,
    fail: Callable[[str], Exception] | None = None,
    retry_connection_errors: bool = True,
    endpoint: str = "the server",
) -> Retried[T]:
    """Run `make_call()` (a fresh SDK coroutine per attempt) until it succeeds.

    `name` prefixes messages ("openai:gpt-4o"). `key_hint` names where the key comes
    from, for the 401/403 message. `fail(reason)` builds the final error (default:
    TeacherInvocationError "<name> request failed: <reason>"). Raises SynthCancelled
    as soon as `cancel` fires, abandoning the request in flight.
    `retry_connection_errors=False` fails at once on network errors, for probes
    where "nothing is listening" should be reported without a backoff.

    Each attempt, connect and every read included, ends after `options.timeout_s`
    (`endpoint`, host:port, names the server in that message): the SDKs' own
    timeouts bound each read, so a server that sends a byte now and then would
    otherwise hold the call forever."""
    retries_allowed = options.max_retries if max_retries is None else max_retries
    retries_allowed = max(0, retries_allowed)
    attempts = retries_allowed + 1

    def final(reason: str) -> Exception:
        reason = _shorten(redact(reason, secrets))
        if fail is not None:
            return fail(reason)
        return TeacherInvocationError(f"{name} request failed: {reason}")

    retry = 0
    while True:
        cancel.raise_if_cancelled()  # before make_call(), so no coroutine is left unawaited
        try:
            value = await cancel.guard(_within(make_call(), options.timeout_s))
            return Retried(value, retry)
        except TimeoutError:
            reason = f"timed out after {options.timeout_s:g} s waiting for {endpoint}"
            failure = _Failure(reason, True, network=True, short="timed out")
        except Exception as exc:
            classified = _classify(exc, errors, options)
            if classified is None:
                raise
            failure = classified
        if failure.status in OVERLOAD_STATUSES and options.pressure is not None:
            options.pressure(failure.status)
        # `from None` throughout: the SDK exception's text embeds the raw response,
        # which may echo a credential, and would be printed with any traceback.
        if failure.auth:
            detail = _shorten(redact(failure.reason, secrets))
            raise TeacherUnavailableError(
                f"{name}: the server rejected the credentials ({detail}); check {key_hint}"
            ) from None
        if not failure.retryable or (failure.network and not retry_connection_errors):
            raise final(failure.reason) from None
        if retry >= retries_allowed:
            gave_up = f" (gave up after {attempts} attempts)" if attempts > 1 else ""
            raise final(failure.reason + gave_up) from None
        if failure.retry_after is not None:
            if failure.retry_after > policy.max_retry_after_s:
                raise final(
                    f"{failure.reason}; the server asks to wait {failure.retry_after:.0f} s, longer than "
                    f"the {policy.max_retry_after_s:.0f} s limit, try again later"
                ) from None
            delay = failure.retry_after
        else:
            delay = policy.backoff(retry)
        retry += 1
        if options.notice is not None:
            options.notice(
                f"{name}: {failure.short or 'request failed'}, retrying in {delay:.1f} s "
                f"(attempt {retry + 1}/{attempts})"
            )
        if delay > 0:
            await cancel.guard(asyncio.sleep(delay))
        else:
            cancel.raise_if_cancelled()


async def _within(call: Awaitable[T], seconds: float) -> T:
    """`call`'s result, or TimeoutError once `seconds` have passed (the call is then
    cancelled, which closes its connection)."""
    async with asyncio.timeout(seconds):
        return await call


class RemoteTeacher:
    """What the API teachers share: the run's options, the retry policy, the key
    (redacted from every message) and where it comes from. Subclasses set them and
    say which SDK's errors they meet (`_errors`)."""

    _options: TeacherOptions
    _policy: RetryPolicy
    _secrets: tuple[str, ...] = ()
    _key_hint: str

    @property
    def name(self) -> str:
        raise NotImplementedError

    @property
    def budget(self) -> Budget:
        """A cloud API's (`vllm-server:` knows better once it has asked its server)."""
        return CLOUD.capped(self._options.concurrency)

    @property
    def max_in_flight(self) -> int:
        return self.budget.ceiling

    def _errors(self) -> SdkErrors:
        raise NotImplementedError

    def _base_url(self) -> object:
        """The URL requests go to (an httpx(2) URL), named in timeout messages."""
        raise NotImplementedError

    async def retrying(self, make_call: Callable[[], Awaitable[T]], cancel: CancelToken) -> Retried[T]:
        """`make_call()` under this teacher's retry policy, with its keys redacted."""
        return await call_with_retries(
            make_call,
            name=self.name,
            options=self._options,
            cancel=cancel,
            errors=self._errors(),
            key_hint=self._key_hint,
            secrets=self._secrets,
            policy=self._policy,
            endpoint=endpoint_of(self._base_url()),
        )


def join_text_parts(parts: Iterable[str]) -> str:
    """Both APIs may split a reply into parts; upstream strips each and joins with
    newlines, dropping empty ones."""
    return "\n".join(stripped for part in parts if (stripped := part.strip()))


def _field(obj: object, key: str) -> object:
    """Attribute or mapping access: SDK models built without validation may hold
    plain dicts for shapes the typed model does not know (e.g. a list of parts)."""
    if isinstance(obj, Mapping):
        return obj.get(key)
    return getattr(obj, key, None)


def chat_completion_text(response: object, kind: str) -> str:
    """The reply text of an OpenAI-style chat completion, with upstream's messages
    (spec 5.6) for malformed responses; `kind` is "openai" or "vllm-server"."""
    choices = _field(response, "choices")
    if not isinstance(choices, Sequence) or isinstance(choices, str) or not choices:
        raise TeacherInvocationError(f"{kind} teacher response missing choices")
    message = _field(choices[0], "message")
    if message is None:
        raise TeacherInvocationError(f"{kind} teacher response missing choices[0].message")
    content = _field(message, "content")
    text = ""
    if isinstance(content, str):
        text = content.strip()
    elif isinstance(content, Sequence):
        texts = [t for part in content if isinstance(t := _field(part, "text"), str)]
        text = join_text_parts(texts)
    if not text:
        raise TeacherInvocationError(f"{kind} teacher response missing non-empty message content")
    return text


def call_usage(response: object, input_key: str, output_key: str, retries: int) -> Usage:
    """One request's usage from a response, an SDK object or plain JSON (the two
    APIs name the counts differently)."""
    usage = _field(response, "usage")
    return Usage(
        input_tokens=token_count(usage, input_key),
        output_tokens=token_count(usage, output_key),
        requests=1,
        retries=retries,
    )


def token_count(usage: object, key: str) -> int:
    """A usage field as an int; servers that omit usage count as 0."""
    value = _field(usage, key) if usage is not None else None
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
