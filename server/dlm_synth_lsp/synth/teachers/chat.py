"""What the two chat-completions teachers share: `openai:` (the official SDK,
`openai_teacher.py`) and `vllm-server:` (httpx2, `server_teacher.py`).

The request body, the reply-schema fallback, the `max_completion_tokens` fallback and
reading the reply are written once here; a subclass only says how a finished body
is posted (`_post_chat`) and which exception classes its transport raises
(`_errors`), so both transports meet every server quirk the same way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from ..cancel import CancelToken
from .base import Completion, Prompt, SamplingParams, TeacherOptions
from .remote import DEFAULT_POLICY, RemoteTeacher, RetryPolicy, call_usage, chat_completion_text
from .structured import SchemaSupport, openai_response_format


class ChatTeacher(RemoteTeacher):
    """Shared completion logic; subclasses provide the transport and the model."""

    _kind = "openai"
    _key_hint = "$OPENAI_API_KEY"

    def __init__(self, options: TeacherOptions, policy: RetryPolicy | None) -> None:
        self._options = options
        self._policy = policy or DEFAULT_POLICY
        self._secret = ""
        self._secrets: tuple[str, ...] = ()
        # Newer OpenAI models reject `max_tokens`; once seen, send the new name.
        self._use_max_completion_tokens = False
        self._schema: SchemaSupport | None = None

    @property
    def name(self) -> str:
        raise NotImplementedError

    @property
    def model(self) -> str:
        raise NotImplementedError

    async def prepare(self, cancel: CancelToken) -> None:
        raise NotImplementedError

    async def _post_chat(self, body: dict[str, Any]) -> object:
        """POST `body` to `…/chat/completions`; the completion (an SDK object or
        plain JSON: `chat_completion_text` reads both)."""
        raise NotImplementedError

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

    async def complete(self, prompt: Prompt, params: SamplingParams, cancel: CancelToken) -> Completion:
        return await self.complete_with(None, prompt, params, cancel)

    async def complete_with(
        self, model: str | None, prompt: Prompt, params: SamplingParams, cancel: CancelToken
    ) -> Completion:
        """`complete`, asking `model` (default: this teacher's)."""
        await self.prepare(cancel)
        status_error = self._errors().status

        def create(schema: bool) -> Callable[[], Awaitable[object]]:
            async def send() -> object:
                return await self._post_chat(self.request_body(prompt, params, schema, model))

            async def fallback() -> object:
                if not self._use_max_completion_tokens:
                    try:
                        return await send()
                    except status_error as exc:
                        if not _wants_max_completion_tokens(exc):
                            raise
                        self._use_max_completion_tokens = True
                return await send()

            return fallback

        if self._schema is None:
            self._schema = SchemaSupport(self.name, self._options.notice)
        support = self._schema

        async def call() -> object:
            with_schema = create(True) if prompt.schema is not None else None
            return await support.call(with_schema, create(False), status_error)

        result = await self.retrying(call, cancel)
        response = result.value
        text = chat_completion_text(response, self._kind)
        return Completion(text, call_usage(response, "prompt_tokens", "completion_tokens", result.retries))


def _wants_max_completion_tokens(exc: Exception) -> bool:
    """A 400 saying the model takes `max_completion_tokens` instead of `max_tokens`."""
    return getattr(exc, "status_code", None) == 400 and "max_completion_tokens" in str(exc)
