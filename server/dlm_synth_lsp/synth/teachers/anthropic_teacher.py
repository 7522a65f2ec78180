"""The `anthropic:<model>` teacher (spec 5.6) on `anthropic.AsyncAnthropic`.

Differences from upstream, both forced by the 2.x SDK: `temperature` / `top_p` are no
longer keyword arguments of `messages.create`, so they travel in `extra_body`; and
the key may also come from `$ANTHROPIC_AUTH_TOKEN`, which the SDK accepts. We pass
the credential explicitly so the SDK never falls back to on-disk profiles, which
would make a run depend on files the user did not mention.

The SDK is imported when the first request goes out (as for openai:), so a run
answered from the reply cache never loads it.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from ..cancel import CancelToken
from ..errors import TeacherInvocationError, TeacherUnavailableError
from .base import Completion, Prompt, SamplingParams, TeacherOptions
from .remote import (
    DEFAULT_POLICY,
    RemoteTeacher,
    RetryPolicy,
    SdkErrors,
    call_usage,
    join_text_parts,
    sdk_errors,
    server_message,
    token_count,
)
from .structured import SchemaSupport, anthropic_tool

if TYPE_CHECKING:
    import anthropic

    from ..batch import Answer, BatchRequest, BatchState

T = TypeVar("T")


@functools.cache
def anthropic_errors() -> SdkErrors:
    import anthropic

    return sdk_errors(anthropic, "AnthropicError")


class AnthropicTeacher(RemoteTeacher):
    def __init__(self, model: str, options: TeacherOptions, *, policy: RetryPolicy | None = None) -> None:
        self._model = model
        self._options = options
        self._policy = policy or DEFAULT_POLICY
        self._client: anthropic.AsyncAnthropic | None = None
        self._secret = ""
        self._key_hint = "$ANTHROPIC_API_KEY"
        self._schema = SchemaSupport(self.name, options.notice)

    @property
    def name(self) -> str:
        return f"anthropic:{self._model}"

    @property
    def model(self) -> str:
        return self._model

    async def prepare(self, cancel: CancelToken) -> None:
        if self._secret:
            return
        api_key = os.environ.get("ANTHROPIC_API_KEY", "").strip()
        auth_token = os.environ.get("ANTHROPIC_AUTH_TOKEN", "").strip()
        if not api_key and not auth_token:
            raise TeacherUnavailableError(
                f"{self.name} requires $ANTHROPIC_API_KEY (or $ANTHROPIC_AUTH_TOKEN) to be set "
                "(export it in the environment the editor / CLI starts from)"
            )
        if api_key:
            self._secret = api_key
        else:
            self._secret, self._key_hint = auth_token, "$ANTHROPIC_AUTH_TOKEN"
        self._secrets = (self._secret,)

    def connect(self) -> anthropic.AsyncAnthropic:
        """The SDK client, created (and the SDK imported) on the first request."""
        if self._client is not None:
            return self._client
        import anthropic

        timeout = anthropic.Timeout(self._options.timeout_s, connect=self._options.connect_timeout_s)
        # None lets the SDK apply $ANTHROPIC_BASE_URL itself.
        base_url = self._options.anthropic_base_url or None
        if self._key_hint == "$ANTHROPIC_AUTH_TOKEN":
            self._client = anthropic.AsyncAnthropic(
                auth_token=self._secret, base_url=base_url, max_retries=0, timeout=timeout
            )
        else:
            self._client = anthropic.AsyncAnthropic(
                api_key=self._secret, base_url=base_url, max_retries=0, timeout=timeout
            )
        return self._client

    def _base_url(self) -> object:
        return self.connect().base_url

    def request_params(self, prompt: Prompt, params: SamplingParams, schema: bool = True) -> dict[str, Any]:
        """The Messages request for one prompt (a batch request's `params`); with the
        reply schema as a tool the model must call, Anthropic's way to constrain
        output, unless `schema=False` or the prompt has none."""
        body: dict[str, Any] = {
            "model": self._model,
            "system": prompt.system,
            "messages": [{"role": "user", "content": prompt.user}],
            "max_tokens": params.max_new_tokens,
            "temperature": params.temperature,
        }
        if params.top_p is not None:
            body["top_p"] = params.top_p
        # seed: the Messages API has none (upstream ignores it too)
        if schema and prompt.schema is not None:
            tool = anthropic_tool(prompt.schema)
            body["tools"] = [tool]
            body["tool_choice"] = {"type": "tool", "name": tool["name"]}
        return body

    def _errors(self) -> SdkErrors:
        return anthropic_errors()

    async def complete(self, prompt: Prompt, params: SamplingParams, cancel: CancelToken) -> Completion:
        import anthropic

        await self.prepare(cancel)
        client = self.connect()

        def create(schema: bool) -> Callable[[], Awaitable[Any]]:
            request = self.request_params(prompt, params, schema)
            # the 2.x SDK takes sampling values only in the body
            body = {key: request.pop(key) for key in ("temperature", "top_p") if key in request}

            async def send() -> Any:
                return await client.messages.create(**request, extra_body=body)

            return send

        async def call() -> Any:
            with_schema = create(True) if prompt.schema is not None else None
            return await self._schema.call(with_schema, create(False), anthropic.APIStatusError)

        result = await self.retrying(call, cancel)
        response = result.value
        return Completion(
            _message_text(response), call_usage(response, "input_tokens", "output_tokens", result.retries)
        )

    # -- Message Batches (synth/batch.py)

    async def submit_batch(self, requests: list[BatchRequest], cancel: CancelToken) -> str:
        await self.prepare(cancel)
        client = self.connect()
        items: list[Any] = [
            {"custom_id": r.key, "params": self.request_params(r.prompt, r.params)} for r in requests
        ]

        async def create() -> Any:
            return await client.messages.batches.create(requests=items)

        batch = (await self.retrying(create, cancel)).value
        return str(batch.id)

    async def batch_state(self, batch_id: str, cancel: CancelToken) -> BatchState:
        await self.prepare(cancel)
        client = self.connect()

        async def retrieve() -> Any:
            return await client.messages.batches.retrieve(batch_id)

        return _anthropic_state((await self.retrying(retrieve, cancel)).value)

    async def cancel_batch(self, batch_id: str, cancel: CancelToken) -> BatchState:
        await self.prepare(cancel)
        client = self.connect()

        async def stop() -> Any:
            return await client.messages.batches.cancel(batch_id)

        return _anthropic_state((await self.retrying(stop, cancel)).value)

    async def batch_answers(self, batch_id: str, cancel: CancelToken) -> dict[str, Answer]:

        await self.prepare(cancel)
        client = self.connect()

        async def results() -> Any:
            found: dict[str, Answer] = {}
            async for entry in await client.messages.batches.results(batch_id):
                found[str(entry.custom_id)] = _anthropic_answer(entry.result)
            return found

        answers: dict[str, Answer] = (await self.retrying(results, cancel)).value
        return answers

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()


def _message_text(response: object) -> str:
    blocks = getattr(response, "content", None)
    if not isinstance(blocks, list) or not blocks:
        raise TeacherInvocationError("anthropic teacher response missing content blocks")
    texts: list[str] = []
    for block in blocks:
        kind = block.get("type") if isinstance(block, dict) else getattr(block, "type", None)
        if kind == "tool_use":
            # a forced call of the schema tool: its input is the reply, as JSON
            tool_input = block.get("input") if isinstance(block, dict) else getattr(block, "input", None)
            if isinstance(tool_input, dict):
                return json.dumps(tool_input, ensure_ascii=False)
        text = block.get("text") if isinstance(block, dict) else getattr(block, "text", None)
        if kind == "text" and isinstance(text, str):
            texts.append(text)
    joined = join_text_parts(texts)
    if not joined:
        raise TeacherInvocationError("anthropic teacher response missing non-empty text blocks")
    return joined


def _anthropic_state(batch: Any) -> BatchState:
    from ..batch import BatchState

    counts = batch.request_counts
    processing = token_count(counts, "processing")
    succeeded = token_count(counts, "succeeded")
    failed = sum(token_count(counts, key) for key in ("errored", "canceled", "expired"))
    return BatchState(
        str(batch.id),
        str(batch.processing_status),
        batch.processing_status == "ended",
        processing + succeeded + failed,
        succeeded,
        failed,
    )


def _anthropic_answer(result: Any) -> Answer:
    """One entry of a batch's results: the message, or why there is none."""
    from ..batch import Answer

    kind = getattr(result, "type", None)
    if kind == "succeeded":
        message = result.message
        try:
            text = _message_text(message)
        except TeacherInvocationError as exc:
            return Answer(error=str(exc))
        usage = getattr(message, "usage", None)
        return Answer(text, None, token_count(usage, "input_tokens"), token_count(usage, "output_tokens"))
    if kind == "errored":
        error = getattr(result, "error", None)
        inner = getattr(error, "error", None)
        reason = getattr(inner, "message", None) or server_message(getattr(error, "model_dump", dict)())
        return Answer(error=str(reason or "errored"))
    return Answer(error=str(kind or "no result"))
