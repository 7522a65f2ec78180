"""`openai:<model>` with the real SDK against the fake server: request bodies, reply
text, retries (429 / 5xx / network), timeouts, cancellation and credential errors."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest
from dlm_synth_lsp.synth.backends import build_teacher
from dlm_synth_lsp.synth.cancel import CancelToken
from dlm_synth_lsp.synth.errors import SynthCancelled, TeacherInvocationError, TeacherUnavailableError
from dlm_synth_lsp.synth.teachers.base import Prompt, SamplingParams, TeacherOptions, Usage
from dlm_synth_lsp.synth.teachers.openai_teacher import OpenAITeacher

from tests.fakes.llm_server import Close, Delay, FakeLLMServer, Reply, Status, unused_port
from tests.synth.remote.conftest import FAST, Notices, assert_no_secret

KEY = "sk-test-secret-0123456789"
PROMPT = Prompt(system="You write Q/A pairs.", user="Section text here.")
Options = Callable[..., TeacherOptions]


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)


def teacher_for(server: FakeLLMServer, make_options: Options, **changes: Any) -> OpenAITeacher:
    options = make_options(openai_base_url=server.openai_base_url, **changes)
    return OpenAITeacher("gpt-test", options, policy=FAST)


async def test_reply_and_request_body(server: FakeLLMServer, make_options: Options) -> None:
    server.script(Reply("  Hello there.  \n"))
    teacher = teacher_for(server, make_options)
    assert teacher.name == "openai:gpt-test"
    assert teacher.model == "gpt-test"
    assert teacher.max_in_flight == 3
    completion = await teacher.complete(PROMPT, SamplingParams(max_new_tokens=77), CancelToken())
    await teacher.aclose()

    assert completion.text == "Hello there."
    [request] = server.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.json == {
        "model": "gpt-test",
        "messages": [
            {"role": "system", "content": PROMPT.system},
            {"role": "user", "content": PROMPT.user},
        ],
        "max_tokens": 77,
        "temperature": 0.0,
    }
    assert completion.usage.requests == 1
    assert completion.usage.retries == 0
    assert completion.usage.output_tokens == 2


async def test_top_p_and_seed_sent_when_set(server: FakeLLMServer, make_options: Options) -> None:
    teacher = teacher_for(server, make_options)
    await teacher.complete(PROMPT, SamplingParams(temperature=0.7, top_p=0.9, seed=42), CancelToken())
    body = server.requests[0].json
    assert body["temperature"] == 0.7
    assert body["top_p"] == 0.9
    assert body["seed"] == 42
    assert body["max_tokens"] == 512


@pytest.mark.parametrize(
    "text",
    [
        '```json\n[{"question": "Q?", "answer": "A."}]\n```',
        'Here are the pairs:\n\n[{"question": "Q?", "answer": "A."}]\nHope this helps!',
        "Q: what?\nA: that.\n\nQ: why?\nA: because.",
    ],
)
async def test_reply_text_arrives_intact(server: FakeLLMServer, make_options: Options, text: str) -> None:
    server.script(Reply(text))
    completion = await teacher_for(server, make_options).complete(PROMPT, SamplingParams(), CancelToken())
    assert completion.text == text


async def test_content_as_list_of_parts(server: FakeLLMServer, make_options: Options) -> None:
    raw = {
        "choices": [
            {
                "message": {
                    "role": "assistant",
                    "content": [
                        {"type": "text", "text": " a "},
                        {"type": "text", "text": ""},
                        {"type": "text", "text": "b\n"},
                    ],
                }
            }
        ]
    }
    server.script(Reply(raw=raw))
    completion = await teacher_for(server, make_options).complete(PROMPT, SamplingParams(), CancelToken())
    assert completion.text == "a\nb"
    assert completion.usage.input_tokens == 0  # no usage in the reply


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"choices": []}, "openai teacher response missing choices"),
        ({"id": "x"}, "openai teacher response missing choices"),
        ({"choices": [{"index": 0}]}, "openai teacher response missing choices[0].message"),
        (
            {"choices": [{"message": {"content": "  "}}]},
            "openai teacher response missing non-empty message content",
        ),
        (
            {"choices": [{"message": {"content": None}}]},
            "openai teacher response missing non-empty message content",
        ),
    ],
)
async def test_malformed_replies(
    server: FakeLLMServer, make_options: Options, raw: Any, message: str
) -> None:
    server.script(Reply(raw=raw))
    with pytest.raises(TeacherInvocationError, match=message.replace("[", r"\[").replace("]", r"\]")):
        await teacher_for(server, make_options).complete(PROMPT, SamplingParams(), CancelToken())
    assert len(server.requests) == 1  # a bad reply is not retried


async def test_429_honours_retry_after(
    server: FakeLLMServer, make_options: Options, notices: Notices
) -> None:
    server.script(Status(429, headers={"Retry-After": "1"}), Reply("done"))
    teacher = teacher_for(server, make_options)
    started = time.monotonic()
    completion = await teacher.complete(PROMPT, SamplingParams(), CancelToken())
    elapsed = time.monotonic() - started
    assert completion.text == "done"
    assert completion.usage.retries == 1
    assert 0.9 <= elapsed < 2.0
    gap = server.requests[1].received_at - server.requests[0].received_at
    assert 0.9 <= gap < 2.0
    assert notices == ["openai:gpt-test: rate limited (429), retrying in 1.0 s (attempt 2/3)"]


async def test_429_retry_after_ms(server: FakeLLMServer, make_options: Options) -> None:
    server.script(Status(429, headers={"retry-after-ms": "150"}), Reply("done"))
    started = time.monotonic()
    completion = await teacher_for(server, make_options).complete(PROMPT, SamplingParams(), CancelToken())
    assert completion.text == "done"
    assert 0.14 <= time.monotonic() - started < 1.0


async def test_retry_after_beyond_limit_fails_at_once(server: FakeLLMServer, make_options: Options) -> None:
    server.script(Status(429, headers={"Retry-After": "3600"}))
    started = time.monotonic()
    with pytest.raises(TeacherInvocationError) as info:
        await teacher_for(server, make_options).complete(PROMPT, SamplingParams(), CancelToken())
    assert time.monotonic() - started < 1.0
    message = str(info.value)
    assert message.startswith("openai:gpt-test request failed: HTTP 429 Too Many Requests")
    assert "asks to wait 3600 s" in message
    assert "try again later" in message


async def test_500_then_success(server: FakeLLMServer, make_options: Options, notices: Notices) -> None:
    server.script(Status(500), Status(503, body="overloaded"), Reply("fine"))
    completion = await teacher_for(server, make_options).complete(PROMPT, SamplingParams(), CancelToken())
    assert completion.text == "fine"
    assert completion.usage.retries == 2
    assert len(notices) == 2
    assert notices[0].startswith("openai:gpt-test: server error (500), retrying in ")
    assert notices[1].endswith("(attempt 3/3)")


async def test_persistent_500_gives_up(server: FakeLLMServer, make_options: Options) -> None:
    server.script(*[Status(500, body={"error": {"message": "upstream exploded"}})] * 5)
    with pytest.raises(TeacherInvocationError) as info:
        await teacher_for(server, make_options, max_retries=3).complete(
            PROMPT, SamplingParams(), CancelToken()
        )
    assert str(info.value) == (
        "openai:gpt-test request failed: HTTP 500 Internal Server Error: upstream exploded "
        "(gave up after 4 attempts)"
    )
    assert len(server.requests) == 4
    assert_no_secret(info.value, KEY)


async def test_client_errors_are_not_retried(server: FakeLLMServer, make_options: Options) -> None:
    server.script(Status(404, body={"error": {"message": "The model `gpt-test` does not exist"}}))
    with pytest.raises(
        TeacherInvocationError, match=r"HTTP 404 Not Found: The model `gpt-test` does not exist$"
    ):
        await teacher_for(server, make_options).complete(PROMPT, SamplingParams(), CancelToken())
    assert len(server.requests) == 1


async def test_max_completion_tokens_fallback(server: FakeLLMServer, make_options: Options) -> None:
    rejected = {
        "error": {
            "message": "Unsupported parameter: 'max_tokens' is not supported with this model. "
            "Use 'max_completion_tokens' instead."
        }
    }
    server.script(Status(400, body=rejected), Reply("one"), Reply("two"))
    teacher = teacher_for(server, make_options)
    assert (await teacher.complete(PROMPT, SamplingParams(max_new_tokens=9), CancelToken())).text == "one"
    assert (await teacher.complete(PROMPT, SamplingParams(max_new_tokens=9), CancelToken())).text == "two"
    bodies = [r.json for r in server.requests]
    assert "max_tokens" in bodies[0]
    assert [b.get("max_completion_tokens") for b in bodies[1:]] == [9, 9]
    assert all("max_tokens" not in b for b in bodies[1:])


async def test_timeout_then_success(server: FakeLLMServer, make_options: Options, notices: Notices) -> None:
    server.script(Delay(2.0), Reply("second try"))
    teacher = teacher_for(server, make_options, timeout_s=0.3, max_retries=1)
    completion = await teacher.complete(PROMPT, SamplingParams(), CancelToken())
    assert completion.text == "second try"
    assert completion.usage.retries == 1
    assert "timed out" in notices[0]


async def test_cancel_during_retry_wait(server: FakeLLMServer, make_options: Options) -> None:
    server.script(Status(429, headers={"Retry-After": "4"}))
    teacher = teacher_for(server, make_options)
    cancel = CancelToken()
    task = asyncio.ensure_future(teacher.complete(PROMPT, SamplingParams(), cancel))
    assert await asyncio.to_thread(server.wait_for_requests, 1, 3.0)
    await asyncio.sleep(0.1)
    started = time.monotonic()
    cancel.cancel()
    with pytest.raises(SynthCancelled):
        await task
    assert time.monotonic() - started < 0.5
    assert len(server.requests) == 1


async def test_already_cancelled_sends_nothing(server: FakeLLMServer, make_options: Options) -> None:
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(SynthCancelled):
        await teacher_for(server, make_options).complete(PROMPT, SamplingParams(), cancel)
    assert server.requests == []


async def test_connection_refused(make_options: Options, notices: Notices) -> None:
    port = unused_port()
    options = make_options(openai_base_url=f"http://127.0.0.1:{port}/v1", max_retries=1)
    with pytest.raises(TeacherInvocationError) as info:
        await OpenAITeacher("gpt-test", options, policy=FAST).complete(
            PROMPT, SamplingParams(), CancelToken()
        )
    assert str(info.value) == (
        f"openai:gpt-test request failed: could not connect to 127.0.0.1:{port} (gave up after 2 attempts)"
    )
    assert len(notices) == 1 and "connection failed" in notices[0]
    assert_no_secret(info.value, KEY)


async def test_dropped_connection_message(server: FakeLLMServer, make_options: Options) -> None:
    server.script(Close())
    with pytest.raises(
        TeacherInvocationError, match=r"request failed: (lost the connection|could not connect) to"
    ):
        await teacher_for(server, make_options, max_retries=0).complete(
            PROMPT, SamplingParams(), CancelToken()
        )


async def test_missing_key_fails_at_prepare(
    server: FakeLLMServer, make_options: Options, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    teacher = teacher_for(server, make_options)
    with pytest.raises(TeacherUnavailableError) as info:
        await teacher.prepare(CancelToken())
    assert str(info.value) == (
        "openai:gpt-test requires $OPENAI_API_KEY to be set "
        "(export it in the environment the editor / CLI starts from)"
    )
    assert server.requests == []


@pytest.mark.parametrize("code", [401, 403])
async def test_rejected_key(server: FakeLLMServer, make_options: Options, code: int) -> None:
    # real servers echo (part of) the rejected key; it must not reach the user
    server.script(Status(code, body={"error": {"message": f"Incorrect API key provided: {KEY}."}}))
    with pytest.raises(TeacherUnavailableError) as info:
        await teacher_for(server, make_options).complete(PROMPT, SamplingParams(), CancelToken())
    message = str(info.value)
    assert message.startswith(f"openai:gpt-test: the server rejected the credentials (HTTP {code} ")
    assert message.endswith("check $OPENAI_API_KEY")
    assert_no_secret(info.value, KEY)
    assert len(server.requests) == 1


async def test_usage_is_summed(server: FakeLLMServer, make_options: Options) -> None:
    server.script(Reply("a", usage=(10, 3)), Status(500), Reply("b", usage=(7, 2)))
    teacher = teacher_for(server, make_options)
    total = Usage()
    for _ in range(2):
        total.add((await teacher.complete(PROMPT, SamplingParams(), CancelToken())).usage)
    assert total == Usage(input_tokens=17, output_tokens=5, requests=2, retries=1)


async def test_base_url_from_environment(
    server: FakeLLMServer, make_options: Options, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", server.openai_base_url)
    teacher = build_teacher("openai:gpt-env", make_options())
    assert isinstance(teacher, OpenAITeacher)
    completion = await teacher.complete(PROMPT, SamplingParams(), CancelToken())
    assert completion.text == "ok"
    assert server.requests[0].json["model"] == "gpt-env"
    await teacher.aclose()


async def test_concurrent_calls(server: FakeLLMServer, make_options: Options) -> None:
    server.default_reply = lambda body: f"reply to {body['messages'][1]['content']}"
    server.latency_s = 0.2
    teacher = teacher_for(server, make_options)
    started = time.monotonic()
    prompts = [Prompt("s", f"u{i}") for i in range(6)]
    results = await asyncio.gather(*(teacher.complete(p, SamplingParams(), CancelToken()) for p in prompts))
    assert [r.text for r in results] == [f"reply to u{i}" for i in range(6)]
    assert time.monotonic() - started < 1.0  # not serialised


def test_parse_retry_after_forms() -> None:
    from email.utils import formatdate

    from dlm_synth_lsp.synth.teachers.remote import parse_retry_after

    now = 1_700_000_000.0
    assert parse_retry_after({"Retry-After": "2"}) == 2.0
    assert parse_retry_after({"retry-after": "1.5", "retry-after-ms": "250"}) == 0.25
    assert parse_retry_after({"Retry-After": formatdate(now + 30, usegmt=True)}, now=now) == 30.0
    assert parse_retry_after({"Retry-After": formatdate(now - 30, usegmt=True)}, now=now) == 0.0
    assert parse_retry_after({"Retry-After": "soon"}) is None
    assert parse_retry_after({"Retry-After": "nan"}) is None
    assert parse_retry_after({}) is None
    assert parse_retry_after(None) is None
