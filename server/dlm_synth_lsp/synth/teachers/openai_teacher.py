"""The `openai:<model>` and `vllm-server:<url>` teachers (spec 5.6).

Both speak the OpenAI chat-completions API through `openai.AsyncOpenAI`, so request
building and reply reading are shared; they differ in where the key comes from and
how the model is chosen.

Credentials for `vllm-server:` are a deliberate departure from reusing
`$OPENAI_API_KEY`: the URL can point anywhere (a colleague's box, a tunnel), and
sending the user's real OpenAI key there would leak it. We send
`$DLM_SYNTH_SERVER_API_KEY` when it is set (for servers started with `--api-key`)
and otherwise a placeholder, which OpenAI-compatible servers without auth ignore.
Upstream sends no auth header at all, so the placeholder changes nothing for them.

The SDK (about half a second of imports) is imported when the first request goes
out, not when the teacher is built: a run whose replies all come from the cache
never loads it.
"""

from __future__ import annotations

import asyncio
import functools
import os
from typing import TYPE_CHECKING, Any

from ..cancel import CancelToken
from ..concurrency import BATCHING_SERVER, CLOUD, UNKNOWN_SERVER, Budget
from ..errors import TeacherUnavailableError
from .base import Completion, Prompt, SamplingParams, TeacherOptions
from .remote import (
    DEFAULT_POLICY,
    RetryPolicy,
    SdkErrors,
    call_usage,
    call_with_retries,
    chat_completion_text,
)
from .spec import server_base_url
from .structured import SchemaSupport, openai_response_format

if TYPE_CHECKING:
    import openai


@functools.cache
def openai_errors() -> SdkErrors:
    import openai

    return SdkErrors(
        status=openai.APIStatusError,
        connection=openai.APIConnectionError,
        timeout=openai.APITimeoutError,
        base=openai.OpenAIError,
    )


SERVER_KEY_ENV = "DLM_SYNTH_SERVER_API_KEY"
_PLACEHOLDER_KEY = "sk-no-key"
#: the model name used when a server lists none (upstream's choice)
DEFAULT_SERVER_MODEL = "dlm-synth"


def _new_client(api_key: str, base_url: str | None, options: TeacherOptions) -> openai.AsyncOpenAI:
    import openai

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
        self._secret = ""
        # Newer OpenAI models reject `max_tokens`; once seen, send the new name.
        self._use_max_completion_tokens = False
        self._schema: SchemaSupport | None = None

    @property
    def budget(self) -> Budget:
        return CLOUD.capped(self._options.concurrency)

    @property
    def max_in_flight(self) -> int:
        return self.budget.ceiling

    @property
    def name(self) -> str:
        raise NotImplementedError

    @property
    def model(self) -> str:
        raise NotImplementedError

    async def prepare(self, cancel: CancelToken) -> None:
        raise NotImplementedError

    def connect(self) -> openai.AsyncOpenAI:
        """The SDK client, created (and the SDK imported) on the first request."""
        raise NotImplementedError

    async def complete(self, prompt: Prompt, params: SamplingParams, cancel: CancelToken) -> Completion:
        import openai

        await self.prepare(cancel)
        client = self.connect()
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
            errors=openai_errors(),
            key_hint=self._key_hint,
            secrets=(self._secret,),
            policy=self._policy,
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
        if self._secret:
            return
        key = os.environ.get("OPENAI_API_KEY", "").strip()
        if not key:
            raise TeacherUnavailableError(
                f"{self.name} requires $OPENAI_API_KEY to be set "
                "(export it in the environment the editor / CLI starts from)"
            )
        self._secret = key

    def connect(self) -> openai.AsyncOpenAI:
        if self._client is None:
            # None lets the SDK apply $OPENAI_BASE_URL itself, as upstream relies on.
            self._client = _new_client(self._secret, self._options.openai_base_url or None, self._options)
        return self._client


class ServerTeacher(_ChatTeacher):
    """`vllm-server:<url>`: any OpenAI-compatible server; the served model is
    discovered once from `GET {base}/models` because users name the server, not the
    model."""

    _kind = "vllm-server"
    _key_hint = f"${SERVER_KEY_ENV}"

    def __init__(self, url: str, options: TeacherOptions, *, policy: RetryPolicy | None = None) -> None:
        super().__init__(options, policy)
        self._url = url.strip()
        self._base = server_base_url(url)
        self._model: str | None = None
        self._budget = UNKNOWN_SERVER
        self._lock = asyncio.Lock()

    @property
    def name(self) -> str:
        return f"vllm-server:{self._url}"

    @property
    def base_url(self) -> str:
        return self._base

    @property
    def model(self) -> str:
        if self._model is None:
            raise RuntimeError(f"{self.name}: the served model is known only after prepare()")
        return self._model

    @property
    def budget(self) -> Budget:
        """By what the server says it is (known after prepare): vLLM and SGLang batch
        continuously; llama.cpp serves its `total_slots` at once and queues the rest;
        anything else starts low and grows."""
        return self._budget.capped(self._options.concurrency)

    def connect(self) -> openai.AsyncOpenAI:
        assert self._client is not None, "prepare() creates the client"
        return self._client

    async def prepare(self, cancel: CancelToken) -> None:
        if self._model is not None:
            return
        async with self._lock:
            if self._model is not None:
                return
            key = os.environ.get(SERVER_KEY_ENV, "").strip()
            self._secret = key
            client = self._client or _new_client(key or _PLACEHOLDER_KEY, self._base, self._options)
            self._client = client

            async def list_models() -> Any:
                return await client.models.list()

            def unavailable(reason: str) -> Exception:
                return TeacherUnavailableError(
                    f"vllm-server teacher could not query models from {self._base}: {reason}"
                    " — is the server running?"
                )

            # A server that is not up should fail fast; one that is busy (429/5xx)
            # gets the usual retries.
            page = await call_with_retries(
                list_models,
                name=self.name,
                options=self._options,
                cancel=cancel,
                errors=openai_errors(),
                key_hint=self._key_hint,
                secrets=(key,),
                policy=self._policy,
                fail=unavailable,
                retry_connection_errors=False,
            )
            first = _first_model(page.value)
            self._budget = await self._server_budget(client, _field_str(first, "owned_by"))
            self._model = _field_str(first, "id") or DEFAULT_SERVER_MODEL

    async def _server_budget(self, client: openai.AsyncOpenAI, owner: str) -> Budget:
        """The starting budget for this server, from the `owned_by` its model listing
        carries (vLLM "vllm", SGLang "sglang", llama.cpp "llamacpp"; OpenAI's own API
        says "openai"/"system", which tells nothing) and, for llama.cpp, the slot
        count its `/props` reports. Any failure leaves the cautious default."""
        if owner in ("vllm", "sglang"):
            return BATCHING_SERVER
        if owner != "llamacpp":
            return UNKNOWN_SERVER
        root = self._base[: -len("/v1")] if self._base.endswith("/v1") else self._base
        try:
            props = await asyncio.wait_for(client.get(f"{root}/props", cast_to=object), 5.0)
        except Exception:  # an older llama.cpp, a proxy in front: the default is safe
            return Budget(1, 16)
        slots = props.get("total_slots") if isinstance(props, dict) else None
        if isinstance(slots, int) and not isinstance(slots, bool) and slots >= 1:
            return Budget(slots, slots, adaptive=False)
        return Budget(1, 16)


def _first_model(page: object) -> object:
    data = getattr(page, "data", None)
    return data[0] if isinstance(data, list) and data else None


def _field_str(item: object, key: str) -> str:
    value = item.get(key) if isinstance(item, dict) else getattr(item, key, None)
    return value.strip() if isinstance(value, str) else ""
