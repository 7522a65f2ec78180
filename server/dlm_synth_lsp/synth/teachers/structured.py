"""The reply schema in the shapes each remote API accepts.

A schema makes the server constrain generation (OpenAI structured outputs, vLLM guided
decoding, llama.cpp server grammars, Ollama's structured outputs behind its
OpenAI-compatible endpoint; Anthropic through a forced tool call), so a reply cannot
drift into prose or markdown. Providers want an object at the root (OpenAI's strict
mode, a tool's input), so the list travels as `{"pairs": [...]}`, which the reply
parser reads as well as the bare list.

Servers that do not know the feature answer with an error instead (llama-cpp-python's
server with HTTP 500, some proxies with 400 or 422); `SCHEMA_REJECTIONS` are the
statuses after which a teacher retries the same call once without the schema and then
stops sending it, so the call is never lost to the feature.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

T = TypeVar("T")

SCHEMA_NAME = "question_answer_pairs"
TOOL_NAME = "record_question_answer_pairs"
SCHEMA_REJECTIONS = frozenset({400, 404, 415, 422, 500, 501})
#: keywords OpenAI's strict mode refuses (it validates the schema before generating)
_STRICT_UNSUPPORTED = ("minItems", "maxItems", "minLength", "maxLength")


def _strict(schema: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _STRICT_UNSUPPORTED:
            continue
        if isinstance(value, Mapping):
            out[key] = _strict(value)
        else:
            out[key] = value
    return out


def object_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """`schema` (the reply list) wrapped as the one property of an object."""
    return {
        "type": "object",
        "properties": {"pairs": _strict(schema)},
        "required": ["pairs"],
        "additionalProperties": False,
    }


def openai_response_format(schema: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "type": "json_schema",
        "json_schema": {"name": SCHEMA_NAME, "strict": True, "schema": object_schema(schema)},
    }


def anthropic_tool(schema: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "name": TOOL_NAME,
        "description": "Record the question/answer pairs written about the passage.",
        "input_schema": object_schema(schema),
    }


class SchemaSupport:
    """Whether one server accepts the reply schema: unknown until its first answer,
    and once it refused, the schema is not sent to it again."""

    def __init__(self, name: str, notice: Callable[[str], None] | None) -> None:
        self.name = name
        self.notice = notice
        self.accepted: bool | None = None

    async def call(
        self,
        with_schema: Callable[[], Awaitable[T]] | None,
        without: Callable[[], Awaitable[T]],
        status_error: type[Exception],
    ) -> T:
        """`with_schema()` unless this server is known to refuse it (or there is no
        schema); on a refusal, the same call once more through `without()`."""
        if with_schema is None or self.accepted is False:
            return await without()
        try:
            response = await with_schema()
        except status_error as exc:
            status = getattr(exc, "status_code", None)
            if status not in SCHEMA_REJECTIONS:
                raise
            response = await without()
            self.accepted = False
            if self.notice is not None:
                self.notice(f"{self.name} does not accept a reply schema (HTTP {status}); going on without")
            return response
        self.accepted = True
        return response
