"""The timeout bounds a whole request, connect and every read together (issue 14,
item 14): a server that trickles its reply a byte at a time never lets a per-read
timeout fire, so without an overall deadline it could hold a job for minutes."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from dlm_synth_lsp.synth.cancel import CancelToken
from dlm_synth_lsp.synth.errors import TeacherInvocationError
from dlm_synth_lsp.synth.teachers.base import Prompt, SamplingParams, TeacherOptions
from dlm_synth_lsp.synth.teachers.server_teacher import ServerTeacher

from tests.fakes.llm_server import Drip, FakeLLMServer, Reply
from tests.synth.remote.conftest import FAST, REMOTE_KINDS, remote_teacher

PROMPT = Prompt(system="sys", user="usr")
Options = Callable[..., TeacherOptions]
#: long enough that the dripped reply would take ~10 s to arrive
TEXT = "x" * 120


@pytest.fixture(autouse=True)
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-deadline-test")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-deadline-test")


@pytest.mark.parametrize("kind", REMOTE_KINDS)
async def test_a_dripping_reply_times_out_after_the_timeout(
    server: FakeLLMServer, make_options: Options, kind: str
) -> None:
    teacher = remote_teacher(kind, server, make_options, timeout_s=0.6, max_retries=0)
    await teacher.prepare(CancelToken())
    server.script(Drip(0.05, Reply(TEXT)))
    started = time.monotonic()
    with pytest.raises(TeacherInvocationError) as info:
        await teacher.complete(PROMPT, SamplingParams(), CancelToken())
    elapsed = time.monotonic() - started
    assert str(info.value).endswith(f"timed out after 0.6 s waiting for 127.0.0.1:{server.port}")
    assert elapsed < 3.0, elapsed  # the drip alone would take > 10 s
    # the request was abandoned (connection closed), not read to its end
    assert server.wait_for_abandoned(1, 5.0)
    await teacher.aclose()


@pytest.mark.parametrize("kind", REMOTE_KINDS)
async def test_a_slow_but_steady_reply_within_the_timeout_is_read(
    server: FakeLLMServer, make_options: Options, kind: str
) -> None:
    teacher = remote_teacher(kind, server, make_options, timeout_s=20.0, max_retries=0)
    server.script(Drip(0.001, Reply("a short reply")))
    completion = await teacher.complete(PROMPT, SamplingParams(), CancelToken())
    assert completion.text == "a short reply"
    await teacher.aclose()


async def test_model_discovery_has_the_same_deadline(server: FakeLLMServer, make_options: Options) -> None:
    teacher = ServerTeacher(server.url, make_options(timeout_s=0.6, max_retries=0), policy=FAST)
    server.script(Drip(0.05, Reply(raw={"data": [{"id": "m" * 200}]})), path="models")
    with pytest.raises(Exception, match=r"timed out after 0\.6 s waiting for 127\.0\.0\.1"):
        await teacher.prepare(CancelToken())
    await teacher.aclose()
