"""The reply schema travels with every request to a backend that can enforce it, and a
server that refuses it costs one extra request, never the call (real SDKs, fake server)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from dlm_synth_lsp.synth.cancel import CancelToken
from dlm_synth_lsp.synth.prompts import build_prompt
from dlm_synth_lsp.synth.replies import EXTRACTION_SCHEMA, REPLY_SCHEMA, parse_reply
from dlm_synth_lsp.synth.teachers.anthropic_teacher import AnthropicTeacher
from dlm_synth_lsp.synth.teachers.base import SamplingParams, TeacherOptions
from dlm_synth_lsp.synth.teachers.openai_teacher import OpenAITeacher
from dlm_synth_lsp.synth.teachers.server_teacher import ServerTeacher
from dlm_synth_lsp.synth.teachers.structured import SCHEMA_REJECTIONS, TOOL_NAME

from tests.fakes.llm_server import FakeLLMServer, Reply, Status
from tests.synth.remote.conftest import CHAT_KINDS, FAST, Notices, chat_teacher

Options = Callable[..., TeacherOptions]
PROMPT = build_prompt("extraction", 2, "DGEMM multiplies two double-precision matrices.")
QUOTE = "DGEMM multiplies two double-precision matrices."
PAIRS = [
    {"quote": QUOTE, "question": "What does DGEMM multiply?", "answer": "Two double-precision matrices."}
]


def _pairs_schema(sent: dict[str, object]) -> dict[str, object]:
    """The list schema inside an object-rooted request schema."""
    assert sent["type"] == "object" and sent["required"] == ["pairs"]
    assert sent["additionalProperties"] is False
    properties = sent["properties"]
    assert isinstance(properties, dict)
    items = properties["pairs"]
    assert isinstance(items, dict)
    return items


def _assert_reply_schema(list_schema: dict[str, object]) -> None:
    assert list_schema["type"] == "array"
    item = list_schema["items"]
    assert isinstance(item, dict)
    # an extraction prompt: the quote is generated first, so it comes first
    assert item["required"] == ["quote", "question", "answer"] and item["additionalProperties"] is False
    assert list(item["properties"]) == ["quote", "question", "answer"]
    assert "minItems" not in list_schema  # OpenAI's strict mode refuses it


async def test_openai_sends_a_strict_json_schema(
    server: FakeLLMServer, make_options: Options, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    server.script(Reply(json.dumps({"pairs": PAIRS})))
    teacher = OpenAITeacher("gpt-test", make_options(openai_base_url=server.openai_base_url), policy=FAST)
    completion = await teacher.complete(PROMPT, SamplingParams(), CancelToken())
    (request,) = server.generation_requests()
    fmt = request.json["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["strict"] is True and fmt["json_schema"]["name"]
    _assert_reply_schema(_pairs_schema(fmt["json_schema"]["schema"]))
    parsed = parse_reply(completion.text)
    assert parsed.pairs == [(PAIRS[0]["question"], PAIRS[0]["answer"])] and parsed.quotes == [QUOTE]
    await teacher.aclose()


async def test_vllm_server_sends_the_schema_and_keeps_sending_it(
    server: FakeLLMServer, make_options: Options
) -> None:
    teacher = ServerTeacher(server.url, make_options(), policy=FAST)
    for _ in range(2):
        await teacher.complete(PROMPT, SamplingParams(), CancelToken())
    assert [("response_format" in r.json) for r in server.generation_requests()] == [True, True]
    await teacher.aclose()


@pytest.mark.parametrize("kind", CHAT_KINDS)
@pytest.mark.parametrize("status", [500, 400, 422])
async def test_a_server_refusing_the_schema_falls_back_without_losing_the_call(
    server: FakeLLMServer,
    make_options: Options,
    notices: Notices,
    monkeypatch: pytest.MonkeyPatch,
    status: int,
    kind: str,
) -> None:
    """llama-cpp-python's server answers a json_schema response format with HTTP 500;
    both transports (the SDK's, and httpx2 for vllm-server:) read the refusal alike."""
    assert status in SCHEMA_REJECTIONS
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    server.script(Status(status, {"error": {"message": "response_format not supported"}}), Reply("[]"))
    teacher = chat_teacher(kind, server, make_options)
    first = await teacher.complete(PROMPT, SamplingParams(), CancelToken())
    second = await teacher.complete(PROMPT, SamplingParams(), CancelToken())
    assert (first.text, second.text) == ("[]", "ok")
    sent = [("response_format" in r.json) for r in server.generation_requests()]
    assert sent == [True, False, False]  # one refusal, then never again for this server
    assert first.usage.retries == 0
    assert [n for n in notices if "reply schema" in n] == [
        f"{teacher.name} does not accept a reply schema (HTTP {status}); going on without"
    ]
    await teacher.aclose()


async def test_a_real_failure_is_not_mistaken_for_a_refused_schema(
    server: FakeLLMServer, make_options: Options
) -> None:
    """A 429 is retried as usual, schema and all."""
    server.script(Status(429, headers={"Retry-After": "0"}))
    teacher = ServerTeacher(server.url, make_options(), policy=FAST)
    await teacher.complete(PROMPT, SamplingParams(), CancelToken())
    assert [("response_format" in r.json) for r in server.generation_requests()] == [True, True]
    await teacher.aclose()


async def test_no_schema_no_response_format(server: FakeLLMServer, make_options: Options) -> None:
    teacher = ServerTeacher(server.url, make_options(), policy=FAST)
    plain = build_prompt("extraction", 1, "text")
    await teacher.complete(type(plain)(plain.system, plain.user), SamplingParams(), CancelToken())
    assert "response_format" not in server.generation_requests()[0].json
    await teacher.aclose()


def _anthropic(server: FakeLLMServer, make_options: Options) -> AnthropicTeacher:
    options = make_options(anthropic_base_url=server.anthropic_base_url)
    return AnthropicTeacher("claude-test", options, policy=FAST)


async def test_anthropic_forces_the_schema_tool_and_reads_its_input(
    server: FakeLLMServer, make_options: Options, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    tool_reply = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-test",
        "content": [{"type": "tool_use", "id": "tu_1", "name": TOOL_NAME, "input": {"pairs": PAIRS}}],
        "stop_reason": "tool_use",
        "usage": {"input_tokens": 20, "output_tokens": 15},
    }
    server.script(Reply(raw=tool_reply))
    teacher = _anthropic(server, make_options)
    completion = await teacher.complete(PROMPT, SamplingParams(), CancelToken())
    (request,) = server.generation_requests()
    (tool,) = request.json["tools"]
    assert request.json["tool_choice"] == {"type": "tool", "name": TOOL_NAME}
    assert tool["name"] == TOOL_NAME
    _assert_reply_schema(_pairs_schema(tool["input_schema"]))
    parsed = parse_reply(completion.text)
    assert parsed.pairs == [(PAIRS[0]["question"], PAIRS[0]["answer"])] and parsed.quotes == [QUOTE]
    assert completion.usage.output_tokens == 15
    await teacher.aclose()


async def test_anthropic_falls_back_when_tools_are_refused(
    server: FakeLLMServer, make_options: Options, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    refusal = {"type": "error", "error": {"type": "invalid_request_error", "message": "tools"}}
    server.script(Status(400, refusal))
    teacher = _anthropic(server, make_options)
    completion = await teacher.complete(PROMPT, SamplingParams(), CancelToken())
    assert completion.text == "ok"
    assert [("tools" in r.json) for r in server.generation_requests()] == [True, False]
    await teacher.aclose()


def test_the_embedded_and_remote_schemas_describe_one_contract() -> None:
    assert REPLY_SCHEMA["type"] == EXTRACTION_SCHEMA["type"] == "array"
    assert PROMPT.schema is EXTRACTION_SCHEMA
    assert build_prompt("expansion", 2, "DGEMM multiplies matrices.").schema is REPLY_SCHEMA
    # a quoted item is a pair like any other: the quote only rides along
    assert EXTRACTION_SCHEMA["items"]["required"][1:] == REPLY_SCHEMA["items"]["required"]
