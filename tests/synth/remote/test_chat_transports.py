"""The two chat-completions transports meet a server the same way: `openai:` through
the official SDK, `vllm-server:` through httpx2 straight to the server (issue 13: the
SDK's imports were most of a cold run). Rate limits with Retry-After (and the signal
that makes the run's budget back off), timeouts and refused or dropped connections
named by endpoint, usage, cancellation (anthropic: too); and for the server teacher, a connection pool
as large as its concurrency and no SDK import at all."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from dlm_synth_lsp.synth.cancel import CancelToken
from dlm_synth_lsp.synth.errors import SynthCancelled, TeacherInvocationError
from dlm_synth_lsp.synth.teachers.base import Prompt, SamplingParams, TeacherOptions

from tests.fakes.llm_server import Close, Delay, FakeLLMServer, Hang, Reply, Status, fake_llm_server
from tests.synth.remote.conftest import (
    CHAT_KINDS,
    REMOTE_KINDS,
    Notices,
    assert_no_secret,
    chat_teacher,
    remote_teacher,
)

PROMPT = Prompt(system="sys", user="usr")
KEY = "sk-transport-test-key-0123"
Options = Callable[..., TeacherOptions]
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)


@pytest.mark.parametrize("kind", CHAT_KINDS)
@pytest.mark.parametrize("status", [429, 503])
async def test_overload_with_retry_after_waits_and_tells_the_budget(
    server: FakeLLMServer, make_options: Options, notices: Notices, kind: str, status: int
) -> None:
    server.script(Status(status, headers={"Retry-After": "0.3"}), Reply("done", usage=(11, 4)))
    overloads: list[int] = []
    teacher = chat_teacher(kind, server, make_options, pressure=overloads.append)
    completion = await teacher.complete(PROMPT, SamplingParams(), CancelToken())
    assert (completion.text, completion.usage.retries) == ("done", 1)
    assert (completion.usage.input_tokens, completion.usage.output_tokens) == (11, 4)
    first, second = server.generation_requests()
    assert 0.25 <= second.received_at - first.received_at < 2.0
    assert overloads == [status]  # the run's limiter halves on this
    short = "rate limited (429)" if status == 429 else "server error (503)"
    assert notices[-1] == f"{teacher.name}: {short}, retrying in 0.3 s (attempt 2/3)"
    await teacher.aclose()


@pytest.mark.parametrize("kind", CHAT_KINDS)
async def test_a_persistent_rate_limit_gives_up_with_the_servers_words(
    server: FakeLLMServer, make_options: Options, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """The key each teacher sends (the server's own, bound to this host, for
    vllm-server:) is scrubbed from the message when the server echoes it."""
    monkeypatch.setenv("DLM_SYNTH_SERVER_API_KEY", KEY)
    monkeypatch.setenv("DLM_SYNTH_SERVER_API_KEY_HOST", f"127.0.0.1:{server.port}")
    body = {"error": {"message": f"slow down, key {KEY}"}}
    server.script(*[Status(429, body=body, headers={"Retry-After": "0"})] * 2)
    teacher = chat_teacher(kind, server, make_options, max_retries=1)
    with pytest.raises(TeacherInvocationError) as info:
        await teacher.complete(PROMPT, SamplingParams(), CancelToken())
    assert str(info.value) == (
        f"{teacher.name} request failed: HTTP 429 Too Many Requests: slow down, key *** "
        "(gave up after 2 attempts)"
    )
    assert_no_secret(info.value, KEY)
    assert {r.headers["authorization"] for r in server.requests} == {f"Bearer {KEY}"}
    await teacher.aclose()


@pytest.mark.parametrize("kind", CHAT_KINDS)
async def test_a_read_timeout_names_the_endpoint(
    server: FakeLLMServer, make_options: Options, kind: str
) -> None:
    teacher = chat_teacher(kind, server, make_options, timeout_s=0.5, max_retries=0)
    await teacher.prepare(CancelToken())
    server.script(Delay(3.0, Reply("late")))
    started = time.monotonic()
    with pytest.raises(TeacherInvocationError) as info:
        await teacher.complete(PROMPT, SamplingParams(), CancelToken())
    assert time.monotonic() - started < 1.5
    assert str(info.value) == (
        f"{teacher.name} request failed: timed out after 0.5 s waiting for 127.0.0.1:{server.port}"
    )
    assert server.wait_for_abandoned(1, 5.0)
    await teacher.aclose()


@pytest.mark.parametrize("kind", CHAT_KINDS)
async def test_a_server_that_went_away_is_a_refused_connection(make_options: Options, kind: str) -> None:
    with fake_llm_server() as server:
        teacher = chat_teacher(kind, server, make_options, max_retries=1)
        assert (await teacher.complete(PROMPT, SamplingParams(), CancelToken())).text == "ok"
        port = server.port
    with pytest.raises(TeacherInvocationError) as info:
        await teacher.complete(PROMPT, SamplingParams(), CancelToken())
    assert str(info.value) == (
        f"{teacher.name} request failed: could not connect to 127.0.0.1:{port} (gave up after 2 attempts)"
    )
    await teacher.aclose()


@pytest.mark.parametrize("kind", CHAT_KINDS)
async def test_a_dropped_connection_is_retried(
    server: FakeLLMServer, make_options: Options, kind: str
) -> None:
    server.script(Close(), Reply("after reset"))
    teacher = chat_teacher(kind, server, make_options)
    completion = await teacher.complete(PROMPT, SamplingParams(), CancelToken())
    assert (completion.text, completion.usage.retries) == ("after reset", 1)
    await teacher.aclose()


@pytest.mark.parametrize("kind", REMOTE_KINDS)
async def test_cancel_abandons_the_request_in_flight(
    server: FakeLLMServer, make_options: Options, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-transport-test")
    teacher = remote_teacher(kind, server, make_options, timeout_s=30.0)
    await teacher.prepare(CancelToken())
    server.script(Hang())
    cancel = CancelToken()
    task = asyncio.ensure_future(teacher.complete(PROMPT, SamplingParams(), cancel))
    assert await asyncio.to_thread(server.wait_for, lambda s: len(s.generation_requests()) == 1, 3.0)
    started = time.monotonic()
    cancel.cancel()
    with pytest.raises(SynthCancelled):
        await task
    assert time.monotonic() - started < 0.5
    assert await asyncio.to_thread(server.wait_for_abandoned, 1, 3.0)
    assert not server.generation_requests()[0].answered
    await teacher.aclose()


async def test_a_reply_that_is_not_json_is_a_clear_failure(
    server: FakeLLMServer, make_options: Options
) -> None:
    """A proxy's HTML page in place of a completion: one message, not retried."""
    server.script(Reply(raw="<html>gateway</html>"))
    teacher = chat_teacher("vllm-server", server, make_options)
    with pytest.raises(TeacherInvocationError) as info:
        await teacher.complete(PROMPT, SamplingParams(), CancelToken())
    assert str(info.value) == (
        f"{teacher.name} request failed: "
        "the server answered POST /v1/chat/completions with something that is not JSON"
    )
    assert len(server.generation_requests()) == 1
    await teacher.aclose()


@pytest.mark.parametrize(("concurrency", "calls", "peak"), [(4, 10, 4), (None, 40, 40)])
async def test_the_server_teachers_connections_follow_its_concurrency(
    server: FakeLLMServer, make_options: Options, concurrency: int | None, calls: int, peak: int
) -> None:
    """Every call the budget lets go reaches the server at once (the SDK's pool was
    sized the same, with room to spare), and no more than `--concurrency`. The server
    holds every reply until the expected number is in flight (a fixed latency would
    let early replies come back before a loaded machine has sent the last request)."""
    server.owned_by = "vllm"
    server.gate = threading.Event()
    teacher = chat_teacher("vllm-server", server, make_options, concurrency=concurrency)
    prompts = [Prompt("s", f"u{i}") for i in range(calls)]
    run = asyncio.gather(*(teacher.complete(p, SamplingParams(), CancelToken()) for p in prompts))
    try:
        assert await asyncio.to_thread(server.wait_for, lambda s: s.in_flight >= peak, 30.0)
        if peak < calls:  # the rest wait for a free slot instead of reaching the server
            assert not await asyncio.to_thread(server.wait_for, lambda s: s.in_flight > peak, 0.5)
    finally:
        server.gate.set()
    await run
    assert server.peak_in_flight == peak
    await teacher.aclose()


def test_a_server_run_never_imports_the_openai_sdk(server: FakeLLMServer, tmp_path: Path) -> None:
    """The CLI's whole `synth instructions` against a vllm-server: teacher, in a fresh
    interpreter: the SDK (most of a cold run's start-up) stays unloaded."""
    doc = tmp_path / "doc.dlm"
    doc.write_text(
        "---\ndlm_id: 01KPQ9X1000000000000000001\nbase_model: smollm2-135m\n---\n\n"
        "DGEMM multiplies two double-precision matrices and adds the result to a third.\n",
        encoding="utf-8",
    )
    code = textwrap.dedent(
        f"""
        import json, sys
        from dlm_synth_lsp.cli.main import main
        status = main([
            "synth", "instructions", {str(doc)!r}, "--teacher", "vllm-server:{server.url}",
            "--filter", "dedup-only", "--dry-run", "--no-cache", "--json", "-q",
        ])
        print(json.dumps({{"status": status, "openai": "openai" in sys.modules}}), file=sys.stderr)
        """
    )
    env = {"DLM_HOME": str(tmp_path / "home"), "DLM_SYNTH_CACHE_DIR": str(tmp_path / "cache"), "PATH": ""}
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    outcome = json.loads(done.stderr.strip().splitlines()[-1])
    assert outcome == {"status": 2, "openai": False}, done.stderr
    assert len(server.generation_requests()) == 1
