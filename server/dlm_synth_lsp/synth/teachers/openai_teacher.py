"""The `openai:<model>` and `vllm-server:<url>` teachers (spec 5.6).

Both speak the OpenAI chat-completions API through `openai.AsyncOpenAI`, so request
building and reply reading are shared; they differ in where the key comes from and
how the model is chosen.

Credentials for `vllm-server:` are a deliberate departure from reusing
`$OPENAI_API_KEY`: the URL can point anywhere (a colleague's box, a tunnel, a
workspace's settings), and sending the user's real OpenAI key there would leak it. We
send `$DLM_SYNTH_SERVER_API_KEY` only to the host `$DLM_SYNTH_SERVER_API_KEY_HOST`
binds it to (`server_key.py`), and otherwise a placeholder, which OpenAI-compatible
servers without auth ignore. Upstream sends no auth header at all, so the placeholder
changes nothing for them. Credentials inside the URL (`http://user:pass@host`) are
used for the request only: the teacher's name, which is shown and written into
markers, leaves them out.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any
from urllib.parse import urlsplit

import openai

from ..cancel import CancelToken
from ..errors import TeacherUnavailableError
from .base import Completion, Prompt, SamplingParams, TeacherOptions
from .remote import (
    DEFAULT_POLICY,
    RetryPolicy,
    SdkErrors,
    call_usage,
    call_with_retries,
    chat_completion_text,
    endpoint_of,
)
from .server_key import HOST_ENV, KEY_ENV, choose_key
from .spec import server_base_url, without_userinfo
from .structured import SchemaSupport, openai_response_format

OPENAI_ERRORS = SdkErrors(
    status=openai.APIStatusError,
    connection=openai.APIConnectionError,
    timeout=openai.APITimeoutError,
    base=openai.OpenAIError,
)

_PLACEHOLDER_KEY = "sk-no-key"
#: the model name used when a server lists none (upstream's choice)
DEFAULT_SERVER_MODEL = "dlm-synth"


def _new_client(api_key: str, base_url: str | None, options: TeacherOptions) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(
        api_key=api_key,
        base_url=base_url,
        max_retries=0,  # call_with_retries owns retrying
        timeout=openai.Timeout(options.timeout_s, connect=options.connect_timeout_s),
    )


class _ChatTeacher:
    """Shared completion logic; subclasses provide the client and the model."""

    _kind = "openai"
    _key_hint = "$OPENAI_API_KEY"

    def __init__(self, options: TeacherOptions, policy: RetryPolicy | None) -> None:
        self._options = options
        self._policy = policy or DEFAULT_POLICY
        self._client: openai.AsyncOpenAI | None = None
        self._secrets: tuple[str, ...] = ()
        # Newer OpenAI models reject `max_tokens`; once seen, send the new name.
        self._use_max_completion_tokens = False
        self._schema: SchemaSupport | None = None

    @property
    def max_in_flight(self) -> int:
        return max(1, self._options.concurrency)

    @property
    def name(self) -> str:
        raise NotImplementedError

    @property
    def model(self) -> str:
        raise NotImplementedError

    async def prepare(self, cancel: CancelToken) -> None:
        raise NotImplementedError

    async def complete(self, prompt: Prompt, params: SamplingParams, cancel: CancelToken) -> Completion:
        await self.prepare(cancel)
        client = self._client
        assert client is not None
        messages: list[Any] = [
            {"role": "system", "content": prompt.system},
            {"role": "user", "content": prompt.user},
        ]
        extra: dict[str, Any] = {"temperature": params.temperature}
        if params.top_p is not None:
            extra["top_p"] = params.top_p
        if params.seed is not None:
            extra["seed"] = params.seed

        async def create(**more: Any) -> Any:
            if not self._use_max_completion_tokens:
                try:
                    return await client.chat.completions.create(
                        model=self.model, messages=messages, max_tokens=params.max_new_tokens, **extra, **more
                    )
                except openai.BadRequestError as exc:
                    if "max_completion_tokens" not in str(exc):
                        raise
                    self._use_max_completion_tokens = True
            return await client.chat.completions.create(
                model=self.model,
                messages=messages,
                max_completion_tokens=params.max_new_tokens,
                **extra,
                **more,
            )

        schema = prompt.schema
        if self._schema is None:
            self._schema = SchemaSupport(self.name, self._options.notice)
        support = self._schema

        async def call() -> Any:
            with_schema = None
            if schema is not None:

                async def with_schema() -> Any:
                    return await create(response_format=openai_response_format(schema))

            return await support.call(with_schema, create, openai.APIStatusError)

        result = await call_with_retries(
            call,
            name=self.name,
            options=self._options,
            cancel=cancel,
            errors=OPENAI_ERRORS,
            key_hint=self._key_hint,
            secrets=self._secrets,
            policy=self._policy,
            endpoint=endpoint_of(client.base_url),
        )
        response = result.value
        text = chat_completion_text(response, self._kind)
        return Completion(text, call_usage(response, "prompt_tokens", "completion_tokens", result.retries))

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()


class OpenAITeacher(_ChatTeacher):
    """`openai:<model>`. The key is read at `prepare()` (upstream checks lazily too),
    so building the teacher never fails on a missing key."""

    def __init__(self, model: str, options: TeacherOptions, *, policy: RetryPolicy | None = None) -> None:
        super().__init__(options, policy)
        self._model = model

    @property
    def name(self) -> str:
        return f"openai:{self._model}"

    @property
    def model(self) -> str:
        return self._model

    async def prepare(self, cancel: CancelToken) -> None:
        if self._client is not None:
            return
        key = os.environ.get("OPENAI_API_KEY", "").strip()
        if not key:
            raise TeacherUnavailableError(
                f"{self.name} requires $OPENAI_API_KEY to be set "
                "(export it in the environment the editor / CLI starts from)"
            )
        self._secrets = (key,)
        # None lets the SDK apply $OPENAI_BASE_URL itself, as upstream relies on.
        self._client = _new_client(key, self._options.openai_base_url or None, self._options)


class ServerTeacher(_ChatTeacher):
    """`vllm-server:<url>`: any OpenAI-compatible server; the served model is
    discovered once from `GET {base}/models` because users name the server, not the
    model."""

    _kind = "vllm-server"
    _key_hint = f"${KEY_ENV} (sent only to the host in ${HOST_ENV})"

    def __init__(self, url: str, options: TeacherOptions, *, policy: RetryPolicy | None = None) -> None:
        super().__init__(options, policy)
        self._url = url.strip()
        self._base = server_base_url(url)
        self._model: str | None = None
        self._lock = asyncio.Lock()

    @property
    def name(self) -> str:
        return f"vllm-server:{without_userinfo(self._url)}"

    @property
    def base_url(self) -> str:
        return self._base

    @property
    def model(self) -> str:
        if self._model is None:
            raise RuntimeError(f"{self.name}: the served model is known only after prepare()")
        return self._model

    async def prepare(self, cancel: CancelToken) -> None:
        if self._model is not None:
            return
        async with self._lock:
            if self._model is not None:
                return
            choice = choose_key(self._base)
            url = urlsplit(self._base)
            self._secrets = (choice.key, choice.withheld, url.username or "", url.password or "")
            if choice.note:
                self._key_hint = choice.note
                if self._options.notice is not None:
                    self._options.notice(choice.note)
            client = self._client or _new_client(choice.key or _PLACEHOLDER_KEY, self._base, self._options)
            self._client = client

            async def list_models() -> Any:
                return await client.models.list()

            def unavailable(reason: str) -> Exception:
                return TeacherUnavailableError(
                    f"vllm-server teacher could not query models from {without_userinfo(self._base)}: "
                    f"{reason} — is the server running?"
                )

            # A server that is not up should fail fast; one that is busy (429/5xx)
            # gets the usual retries.
            page = await call_with_retries(
                list_models,
                name=self.name,
                options=self._options,
                cancel=cancel,
                errors=OPENAI_ERRORS,
                key_hint=self._key_hint,
                secrets=self._secrets,
                policy=self._policy,
                fail=unavailable,
                retry_connection_errors=False,
                endpoint=endpoint_of(client.base_url),
            )
            self._model = _first_model_id(page.value)


def _first_model_id(page: object) -> str:
    data = getattr(page, "data", None)
    if isinstance(data, list) and data:
        first = data[0]
        model_id = first.get("id") if isinstance(first, dict) else getattr(first, "id", None)
        if isinstance(model_id, str) and model_id.strip():
            return model_id.strip()
    return DEFAULT_SERVER_MODEL

