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
from typing import TYPE_CHECKING, Any

from ..cancel import CancelToken
from ..concurrency import CLOUD, Budget
from ..errors import TeacherInvocationError, TeacherUnavailableError
from .base import Completion, Prompt, SamplingParams, TeacherOptions
from .remote import DEFAULT_POLICY, RetryPolicy, SdkErrors, call_usage, call_with_retries, join_text_parts
from .structured import SchemaSupport, anthropic_tool

if TYPE_CHECKING:
    import anthropic


@functools.cache
def anthropic_errors() -> SdkErrors:
    import anthropic

    return SdkErrors(
        status=anthropic.APIStatusError,
        connection=anthropic.APIConnectionError,
        timeout=anthropic.APITimeoutError,
        base=anthropic.AnthropicError,
    )


class AnthropicTeacher:
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

    @property
    def budget(self) -> Budget:
        return CLOUD.capped(self._options.concurrency)

    @property
    def max_in_flight(self) -> int:
        return self.budget.ceiling

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

    async def complete(self, prompt: Prompt, params: SamplingParams, cancel: CancelToken) -> Completion:
        import anthropic

        await self.prepare(cancel)
        client = self.connect()
        body: dict[str, Any] = {"temperature": params.temperature}
        if params.top_p is not None:
            body["top_p"] = params.top_p
        # seed: the Messages API has none (upstream ignores it too)

        async def create(**more: Any) -> Any:
            return await client.messages.create(
                model=self._model,
                system=prompt.system,
                messages=[{"role": "user", "content": prompt.user}],
                max_tokens=params.max_new_tokens,
                extra_body=body,
                **more,
            )

        schema = prompt.schema
        support = self._schema

        async def call() -> Any:
            with_schema = None
            if schema is not None:
                # the schema as a tool the model must call: Anthropic's way to constrain output
                tool = anthropic_tool(schema)

                async def with_schema() -> Any:
                    return await create(tools=[tool], tool_choice={"type": "tool", "name": tool["name"]})

            return await support.call(with_schema, create, anthropic.APIStatusError)

        result = await call_with_retries(
            call,
            name=self.name,
            options=self._options,
            cancel=cancel,
            errors=anthropic_errors(),
            key_hint=self._key_hint,
            secrets=(self._secret,),
            policy=self._policy,
        )
        response = result.value
        return Completion(
            _message_text(response), call_usage(response, "input_tokens", "output_tokens", result.retries)
        )

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
