"""`anthropic:<model>` with the real 2.x SDK against the fake server. Retry and
cancellation mechanics are shared with openai (remote.py); these tests check that
the anthropic SDK's errors map onto them and that the request body is right."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from dlm_synth_lsp.synth.backends import build_teacher
from dlm_synth_lsp.synth.cancel import CancelToken
from dlm_synth_lsp.synth.errors import TeacherInvocationError, TeacherUnavailableError
from dlm_synth_lsp.synth.teachers.anthropic_teacher import AnthropicTeacher
from dlm_synth_lsp.synth.teachers.base import Prompt, SamplingParams, TeacherOptions, Usage

from tests.fakes.llm_server import Delay, FakeLLMServer, Reply, Status, unused_port
from tests.synth.remote.conftest import FAST, Notices, assert_no_secret

KEY = "sk-ant-test-secret-0123456789"
PROMPT = Prompt(system="You write Q/A pairs.", user="Section text here.")
Options = Callable[..., TeacherOptions]


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)


def teacher_for(server: FakeLLMServer, make_options: Options, **changes: Any) -> AnthropicTeacher:
    options = make_options(anthropic_base_url=server.anthropic_base_url, **changes)
    return AnthropicTeacher("claude-test", options, policy=FAST)


def sent_key(headers: dict[str, str]) -> str:
    return headers.get("x-api-key") or headers.get("authorization", "").removeprefix("Bearer ")


async def test_reply_and_request_body(server: FakeLLMServer, make_options: Options) -> None:
    server.script(Reply("\n  The reply.  "))
    teacher = teacher_for(server, make_options)
    assert teacher.name == "anthropic:claude-test"
    assert teacher.model == "claude-test"
    assert teacher.max_in_flight == 3
    completion = await teacher.complete(PROMPT, SamplingParams(max_new_tokens=64, seed=5), CancelToken())
    await teacher.aclose()

    assert completion.text == "The reply."
    [request] = server.requests
    assert request.path.split("?")[0] == "/v1/messages"
    assert sent_key(request.headers) == KEY
    assert request.json == {
        "model": "claude-test",
        "system": PROMPT.system,
        "messages": [{"role": "user", "content": PROMPT.user}],
        "max_tokens": 64,
        "temperature": 0.0,  # through extra_body; seed is never sent
    }
    assert completion.usage.requests == 1
    assert completion.usage.output_tokens == 2


async def test_top_p_sent_when_set(server: FakeLLMServer, make_options: Options) -> None:
    await teacher_for(server, make_options).complete(
        PROMPT, SamplingParams(temperature=0.5, top_p=0.8), CancelToken()
    )
    body = server.requests[0].json
    assert (body["temperature"], body["top_p"]) == (0.5, 0.8)
    assert "seed" not in body


async def test_auth_token_is_accepted(
    server: FakeLLMServer, make_options: Options, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", "tok-secret-987654")
    await teacher_for(server, make_options).complete(PROMPT, SamplingParams(), CancelToken())
    assert server.requests[0].headers["authorization"] == "Bearer tok-secret-987654"


async def test_text_blocks_joined(server: FakeLLMServer, make_options: Options) -> None:
    raw = {
        "type": "message",
        "role": "assistant",
        "content": [
            {"type": "thinking", "thinking": "hmm", "signature": "x"},
            {"type": "text", "text": ' ```json\n[{"question": "Q?", "answer": "A."}]\n``` '},
            {"type": "text", "text": "   "},
            {"type": "text", "text": "tail\n"},
        ],
    }
    server.script(Reply(raw=raw))
    completion = await teacher_for(server, make_options).complete(PROMPT, SamplingParams(), CancelToken())
    assert completion.text == '```json\n[{"question": "Q?", "answer": "A."}]\n```\ntail'
    assert completion.usage.input_tokens == 0


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"type": "message", "content": []}, "anthropic teacher response missing content blocks"),
        ({"type": "message"}, "anthropic teacher response missing content blocks"),
        (
            {"type": "message", "content": [{"type": "text", "text": " "}]},
            "anthropic teacher response missing non-empty text blocks",
        ),
    ],
)
async def test_malformed_replies(
    server: FakeLLMServer, make_options: Options, raw: Any, message: str
) -> None:
    server.script(Reply(raw=raw))
    with pytest.raises(TeacherInvocationError, match=f"^{message}$"):
        await teacher_for(server, make_options).complete(PROMPT, SamplingParams(), CancelToken())


async def test_429_honours_retry_after(
    server: FakeLLMServer, make_options: Options, notices: Notices
) -> None:
    rate_limited = {"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}}
    server.script(Status(429, body=rate_limited, headers={"retry-after": "1"}), Reply("done"))
    started = time.monotonic()
    completion = await teacher_for(server, make_options).complete(PROMPT, SamplingParams(), CancelToken())
    assert completion.text == "done"
    assert completion.usage.retries == 1
    assert 0.9 <= time.monotonic() - started < 2.0
    assert notices == ["anthropic:claude-test: rate limited (429), retrying in 1.0 s (attempt 2/3)"]


async def test_overloaded_then_success(server: FakeLLMServer, make_options: Options) -> None:
    overloaded = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    server.script(Status(529, body=overloaded), Reply("fine"))
    completion = await teacher_for(server, make_options).complete(PROMPT, SamplingParams(), CancelToken())
    assert (completion.text, completion.usage.retries) == ("fine", 1)


async def test_persistent_500_gives_up(server: FakeLLMServer, make_options: Options) -> None:
    error = {"type": "error", "error": {"type": "api_error", "message": "Internal server error"}}
    server.script(*[Status(500, body=error)] * 3)
    with pytest.raises(TeacherInvocationError) as info:
        await teacher_for(server, make_options).complete(PROMPT, SamplingParams(), CancelToken())
    assert str(info.value) == (
        "anthropic:claude-test request failed: HTTP 500 Internal Server Error: Internal server error "
        "(gave up after 3 attempts)"
    )
    assert len(server.requests) == 3


async def test_bad_request_not_retried(server: FakeLLMServer, make_options: Options) -> None:
    error = {"type": "error", "error": {"type": "invalid_request_error", "message": "max_tokens: too large"}}
    server.script(Status(400, body=error))
    with pytest.raises(TeacherInvocationError, match=r"HTTP 400 Bad Request: max_tokens: too large$"):
        await teacher_for(server, make_options).complete(PROMPT, SamplingParams(), CancelToken())
    assert len(server.requests) == 1


async def test_read_timeout(server: FakeLLMServer, make_options: Options) -> None:
    server.script(Delay(3.0))
    teacher = teacher_for(server, make_options, timeout_s=0.5, max_retries=0)
    started = time.monotonic()
    with pytest.raises(TeacherInvocationError, match=r"request failed: timed out after 0\.5 s"):
        await teacher.complete(PROMPT, SamplingParams(), CancelToken())
    assert time.monotonic() - started < 1.5


async def test_connection_refused(make_options: Options) -> None:
    port = unused_port()
    options = make_options(anthropic_base_url=f"http://127.0.0.1:{port}", max_retries=0)
    with pytest.raises(TeacherInvocationError) as info:
        await AnthropicTeacher("claude-test", options).complete(PROMPT, SamplingParams(), CancelToken())
    assert str(info.value) == f"anthropic:claude-test request failed: could not connect to 127.0.0.1:{port}"


async def test_missing_key_fails_at_prepare(
    server: FakeLLMServer, make_options: Options, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    with pytest.raises(TeacherUnavailableError, match=r"^anthropic:claude-test requires \$ANTHROPIC_API_KEY"):
        await teacher_for(server, make_options).prepare(CancelToken())
    assert server.requests == []


async def test_rejected_key(server: FakeLLMServer, make_options: Options) -> None:
    error = {
        "type": "error",
        "error": {"type": "authentication_error", "message": f"invalid x-api-key {KEY}"},
    }
    server.script(Status(401, body=error))
    with pytest.raises(TeacherUnavailableError) as info:
        await teacher_for(server, make_options).complete(PROMPT, SamplingParams(), CancelToken())
    assert str(info.value).endswith("check $ANTHROPIC_API_KEY")
    assert "HTTP 401 Unauthorized" in str(info.value)
    assert_no_secret(info.value, KEY)


async def test_usage_is_summed(server: FakeLLMServer, make_options: Options) -> None:
    server.script(Reply("a", usage=(11, 4)), Status(503), Reply("b", usage=(5, 1)))
    teacher = teacher_for(server, make_options)
    total = Usage()
    for _ in range(2):
        total.add((await teacher.complete(PROMPT, SamplingParams(), CancelToken())).usage)
    assert total == Usage(input_tokens=16, output_tokens=5, requests=2, retries=1)


async def test_base_url_from_environment(
    server: FakeLLMServer, make_options: Options, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.anthropic_base_url)
    teacher = build_teacher("anthropic:claude-env", make_options())
    assert isinstance(teacher, AnthropicTeacher)
    assert (await teacher.complete(PROMPT, SamplingParams(), CancelToken())).text == "ok"
    assert server.requests[0].json["model"] == "claude-env"
    await teacher.aclose()
