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

The SDK (about half a second of imports) is imported when the first request goes
out, not when the teacher is built: a run whose replies all come from the cache
never loads it.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from ..cancel import CancelToken
from ..concurrency import BATCHING_SERVER, CLOUD, UNKNOWN_SERVER, Budget
from ..errors import TeacherUnavailableError
from .base import Completion, Prompt, SamplingParams, Teacher, TeacherOptions
from .remote import (
    DEFAULT_POLICY,
    RemoteTeacher,
    RetryPolicy,
    SdkErrors,
    call_usage,
    call_with_retries,
    chat_completion_text,
    endpoint_of,
    sdk_errors,
    token_count,
)
from .server_key import HOST_ENV, KEY_ENV, choose_key
from .spec import server_base_url, without_userinfo
from .structured import SchemaSupport, openai_response_format

if TYPE_CHECKING:
    import openai

    from ..batch import Answer, BatchRequest, BatchState

T = TypeVar("T")


@functools.cache
def openai_errors() -> SdkErrors:
    import openai

    return sdk_errors(openai, "OpenAIError")


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


class _ChatTeacher(RemoteTeacher):
    """Shared completion logic; subclasses provide the client and the model."""

    _kind = "openai"
    _key_hint = "$OPENAI_API_KEY"

    def __init__(self, options: TeacherOptions, policy: RetryPolicy | None) -> None:
        self._options = options
        self._policy = policy or DEFAULT_POLICY
        self._client: openai.AsyncOpenAI | None = None
        self._secret = ""
        self._secrets: tuple[str, ...] = ()
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

    def _base_url(self) -> object:
        return self.connect().base_url

    def request_body(
        self, prompt: Prompt, params: SamplingParams, schema: bool = True, model: str | None = None
    ) -> dict[str, Any]:
        """The chat-completions request for one prompt (a live call's arguments, a
        batch line's body) to `model` (default: this teacher's), with the reply schema
        as a strict `response_format` unless `schema=False` or the prompt has none."""
        body: dict[str, Any] = {
            "model": model or self.model,
            "messages": [
                {"role": "system", "content": prompt.system},
                {"role": "user", "content": prompt.user},
            ],
            "temperature": params.temperature,
        }
        tokens = "max_completion_tokens" if self._use_max_completion_tokens else "max_tokens"
        body[tokens] = params.max_new_tokens
        if params.top_p is not None:
            body["top_p"] = params.top_p
        if params.seed is not None:
            body["seed"] = params.seed
        if schema and prompt.schema is not None:
            body["response_format"] = openai_response_format(prompt.schema)
        return body

    def _errors(self) -> SdkErrors:
        return openai_errors()

    async def complete(self, prompt: Prompt, params: SamplingParams, cancel: CancelToken) -> Completion:
        return await self.complete_with(None, prompt, params, cancel)

    async def complete_with(
        self, model: str | None, prompt: Prompt, params: SamplingParams, cancel: CancelToken
    ) -> Completion:
        """`complete`, asking `model` (default: this teacher's)."""
        import openai
        from openai.types.chat import ChatCompletion

        await self.prepare(cancel)
        client = self.connect()

        def create(schema: bool) -> Callable[[], Awaitable[Any]]:
            async def send() -> Any:
                # `post` with the finished body rather than `chat.completions.create`:
                # the same request, without the SDK re-walking every argument against
                # its typed schema (half a millisecond per call, a quarter of our CPU
                # per call in a corpus run)
                body = self.request_body(prompt, params, schema, model)
                return await client.post("/chat/completions", body=body, cast_to=ChatCompletion)

            async def fallback() -> Any:
                if not self._use_max_completion_tokens:
                    try:
                        return await send()
                    except openai.BadRequestError as exc:
                        if "max_completion_tokens" not in str(exc):
                            raise
                        self._use_max_completion_tokens = True
                return await send()

            return fallback

        if self._schema is None:
            self._schema = SchemaSupport(self.name, self._options.notice)
        support = self._schema

        async def call() -> Any:
            with_schema = create(True) if prompt.schema is not None else None
            return await support.call(with_schema, create(False), openai.APIStatusError)

        result = await self.retrying(call, cancel)
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
        self._secrets = (key,)

    def connect(self) -> openai.AsyncOpenAI:
        if self._client is None:
            # None lets the SDK apply $OPENAI_BASE_URL itself, as upstream relies on.
            self._client = _new_client(self._secret, self._options.openai_base_url or None, self._options)
        return self._client

    # -- the Batch API (synth/batch.py)

    async def submit_batch(self, requests: list[BatchRequest], cancel: CancelToken) -> str:
        """Uploads the requests as a JSONL file and starts a batch of them."""
        await self.prepare(cancel)
        client = self.connect()
        lines = [
            json.dumps(
                {
                    "custom_id": r.key,
                    "method": "POST",
                    "url": "/v1/chat/completions",
                    "body": self.request_body(r.prompt, r.params),
                },
                ensure_ascii=False,
            )
            for r in requests
        ]
        data = ("\n".join(lines) + "\n").encode("utf-8")

        async def upload() -> Any:
            return await client.files.create(file=("dlm-synth-batch.jsonl", data), purpose="batch")

        uploaded = (await self.retrying(upload, cancel)).value

        async def create() -> Any:
            return await client.batches.create(
                input_file_id=uploaded.id,
                endpoint="/v1/chat/completions",
                completion_window="24h",
                metadata={"created_by": "dlm-synth-lsp"},
            )

        batch = (await self.retrying(create, cancel)).value
        return str(batch.id)

    async def _batch(self, batch_id: str, cancel: CancelToken) -> Any:
        await self.prepare(cancel)
        client = self.connect()

        async def retrieve() -> Any:
            return await client.batches.retrieve(batch_id)

        return (await self.retrying(retrieve, cancel)).value

    async def batch_state(self, batch_id: str, cancel: CancelToken) -> BatchState:
        return _openai_state(await self._batch(batch_id, cancel))

    async def cancel_batch(self, batch_id: str, cancel: CancelToken) -> BatchState:
        await self.prepare(cancel)
        client = self.connect()

        async def stop() -> Any:
            return await client.batches.cancel(batch_id)

        return _openai_state((await self.retrying(stop, cancel)).value)

    async def batch_answers(self, batch_id: str, cancel: CancelToken) -> dict[str, Answer]:
        """Every request's answer: replies from the output file, failures from the
        error file (requests in neither expired or were cancelled)."""
        batch = await self._batch(batch_id, cancel)
        client = self.connect()
        answers: dict[str, Answer] = {}
        for file_id in (batch.error_file_id, batch.output_file_id):
            if not file_id:
                continue

            async def download(file_id: str = file_id) -> Any:
                return await client.files.content(file_id)

            content = (await self.retrying(download, cancel)).value
            for line in content.text.splitlines():
                if line.strip():
                    key, answer = _openai_answer(json.loads(line), self._kind)
                    answers[key] = answer
        return answers


def _openai_state(batch: Any) -> BatchState:
    from ..batch import BatchState

    counts = batch.request_counts
    ended = batch.status in ("failed", "completed", "expired", "cancelled")
    return BatchState(
        str(batch.id),
        str(batch.status),
        ended,
        token_count(counts, "total"),
        token_count(counts, "completed"),
        token_count(counts, "failed"),
    )


def _openai_answer(line: dict[str, Any], kind: str) -> tuple[str, Answer]:
    """One line of a batch's output or error file."""
    from ..batch import Answer
    from .remote import server_message

    key = str(line.get("custom_id"))
    response = line.get("response") or {}
    body = response.get("body") if isinstance(response, dict) else None
    status = response.get("status_code") if isinstance(response, dict) else None
    if status == 200 and isinstance(body, dict):
        try:
            text = chat_completion_text(body, kind)
        except Exception as exc:  # a malformed completion fails this request only
            return key, Answer(error=str(exc))
        usage = body.get("usage")
        return key, Answer(
            text, None, token_count(usage, "prompt_tokens"), token_count(usage, "completion_tokens")
        )
    reason = server_message(body) or server_message(line.get("error")) or f"HTTP {status}"
    return key, Answer(error=reason)


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
        self._served: set[str] = set()
        self._budget = UNKNOWN_SERVER
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
                errors=openai_errors(),
                key_hint=self._key_hint,
                secrets=self._secrets,
                policy=self._policy,
                fail=unavailable,
                retry_connection_errors=False,
                endpoint=endpoint_of(client.base_url),
            )
            models = _listed(page.value)
            first = models[0] if models else None
            self._served = {_field_str(m, "id") for m in models}
            self._budget = await self._server_budget(client, _field_str(first, "owned_by"))
            self._model = self.model_for(
                self._options.dlm_id, _field_str(first, "id") or DEFAULT_SERVER_MODEL
            )

    def model_for(self, dlm_id: str | None, default: str | None = None) -> str:
        """The document's own adapter when the server serves one under its `dlm_id`
        (vLLM: `--lora-modules <dlm_id>=<adapter dir>`), else the server's first model."""
        if dlm_id and dlm_id in self._served:
            return dlm_id
        return default if default is not None else self.model

    def for_document(self, dlm_id: str | None) -> Teacher:
        """This teacher for one document of a corpus: the same connection, budget and
        name, asking the document's adapter when the server serves it."""
        return _DocumentView(self, dlm_id)

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


def _listed(page: object) -> list[object]:
    data = getattr(page, "data", None)
    return list(data) if isinstance(data, list) else []


class _DocumentView:
    """`ServerTeacher.for_document`: shares the teacher's client and budget; only the
    model it asks differs (known once the teacher is prepared)."""

    def __init__(self, teacher: ServerTeacher, dlm_id: str | None) -> None:
        self._teacher = teacher
        self._dlm_id = dlm_id

    @property
    def name(self) -> str:
        return self._teacher.name

    @property
    def model(self) -> str:
        return self._teacher.model_for(self._dlm_id)

    @property
    def budget(self) -> Budget:
        return self._teacher.budget

    @property
    def max_in_flight(self) -> int:
        return self._teacher.max_in_flight

    async def prepare(self, cancel: CancelToken) -> None:
        await self._teacher.prepare(cancel)

    async def complete(self, prompt: Prompt, params: SamplingParams, cancel: CancelToken) -> Completion:
        return await self._teacher.complete_with(self.model, prompt, params, cancel)

    async def aclose(self) -> None:
        return None  # the connection is the shared teacher's


def _field_str(item: object, key: str) -> str:
    value = item.get(key) if isinstance(item, dict) else getattr(item, key, None)
    return value.strip() if isinstance(value, str) else ""
