"""The `openai:<model>` teacher (spec 5.6) on `openai.AsyncOpenAI`, and its Batch API.

Requests are built and replies read in `chat.py`, shared with the `vllm-server:`
teacher (`server_teacher.py`), which talks to its server with httpx2 instead of the
SDK. The SDK (half a second or more of imports) is imported when the first request
goes out, not when the teacher is built: a run whose replies all come from the cache
never loads it.
"""

from __future__ import annotations

import functools
import json
import os
from typing import TYPE_CHECKING, Any

from ..cancel import CancelToken
from ..errors import TeacherUnavailableError
from .base import TeacherOptions
from .chat import ChatTeacher
from .remote import RetryPolicy, SdkErrors, chat_completion_text, sdk_errors, token_count

if TYPE_CHECKING:
    import openai

    from ..batch import Answer, BatchRequest, BatchState


@functools.cache
def openai_errors() -> SdkErrors:
    import openai

    return sdk_errors(openai, "OpenAIError")


def _new_client(api_key: str, base_url: str | None, options: TeacherOptions) -> openai.AsyncOpenAI:
    import openai

    return openai.AsyncOpenAI(
        api_key=api_key,
        base_url=base_url,
        max_retries=0,  # call_with_retries owns retrying
        timeout=openai.Timeout(options.timeout_s, connect=options.connect_timeout_s),
    )


class OpenAITeacher(ChatTeacher):
    """`openai:<model>`. The key is read at `prepare()` (upstream checks lazily too),
    so building the teacher never fails on a missing key."""

    def __init__(self, model: str, options: TeacherOptions, *, policy: RetryPolicy | None = None) -> None:
        super().__init__(options, policy)
        self._model = model
        self._client: openai.AsyncOpenAI | None = None

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
        """The SDK client, created (and the SDK imported) on the first request."""
        if self._client is None:
            # None lets the SDK apply $OPENAI_BASE_URL itself, as upstream relies on.
            self._client = _new_client(self._secret, self._options.openai_base_url or None, self._options)
        return self._client

    def _base_url(self) -> object:
        return self.connect().base_url

    def _errors(self) -> SdkErrors:
        return openai_errors()

    async def _post_chat(self, body: dict[str, Any]) -> object:
        from openai.types.chat import ChatCompletion

        # `post` with the finished body rather than `chat.completions.create`: the
        # same request, without the SDK re-walking every argument against its typed
        # schema (half a millisecond per call, a quarter of our CPU per call in a
        # corpus run)
        return await self.connect().post("/chat/completions", body=body, cast_to=ChatCompletion)

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()

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
