"""The language server and the reply cache, and the server writing next to command
lines (issue 14, items 2 and 6): a re-run, or a run after a cancel, costs no teacher
call for the sections already done; CLI runs and the server staging into the same
document's plan lose no pair and keep none twice; applying a staged plan never drops
what another process staged meanwhile."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dlm_synth_lsp.document import parse_text
from dlm_synth_lsp.synth.staging import MarkedPair, load_plan, merge_plan, pending_path, save_plan
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from tests.fakes.llm_server import FakeLLMServer, fake_llm_server
from tests.fakes.teacher_replies import passage_reply, user_text

from .conftest import PROFILES, configure, file_uri, launch, make_editor, wait_until

ID = "01KPQ9X1000000000000000041"


def document(*topics: str) -> str:
    parts = [f"---\ndlm_id: {ID}\nbase_model: smollm2-135m\n---\n"]
    for i, (topic, detail) in enumerate(topics_with_details(topics)):
        if i:
            parts.append("::prose::\n")
        parts.append(f"# {topic.title()}\n\n{detail}\n\n")
    return "".join(parts)


def topics_with_details(topics: tuple[str, ...]) -> list[tuple[str, str]]:
    details = {
        "tiling": "Tiled loops keep a block of A in the L2 cache for a whole row of B.",
        "vectors": "AVX-512 registers hold eight doubles; two FMA units give sixteen flops.",
        "pinning": "Threads pinned to cores avoid migrations that flush private caches.",
        "prefetch": "Software prefetch hides DRAM latency when strides are predictable.",
    }
    return [(t, details[t]) for t in topics]


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with fake_llm_server(default_reply=passage_reply) as fake:
        yield fake


async def execute(client: LanguageClient, command: str, args: dict[str, Any]) -> Any:
    return await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command=command, arguments=[args])
    )


def cache_entries(cache: Path) -> int:
    return len(list(cache.rglob("*.json")))


@pytest.mark.parametrize("profile", PROFILES)
async def test_a_rerun_is_answered_from_the_reply_cache(
    profile: str, tmp_path: Path, server: FakeLLMServer
) -> None:
    cache = tmp_path / "cache"
    text = document("tiling", "vectors")
    path = tmp_path / "notes.dlm"
    path.write_text(text)
    uri = file_uri(path)
    async with launch(profile, None, env={"DLM_SYNTH_CACHE_DIR": str(cache)}, result_messages=True) as client:
        editor = make_editor(client)
        await configure(
            client,
            teacher=f"vllm-server:{server.url}",
            filter="dedup-only",
            dlmHome=str(tmp_path / "home"),
            applyMode="stage",
            useCache=True,
        )
        editor.open(uri, text)
        await wait_until(lambda: uri in client.diagnostics)
        first = await execute(client, "dlm-synth.synthesizeDocument", {"uri": uri})
        assert first["report"]["usage"]["requests"] == 2 and cache_entries(cache) == 2
        second = await execute(client, "dlm-synth.synthesizeDocument", {"uri": uri})
        usage = second["report"]["usage"]
        assert usage["requests"] == 0 and usage["cached"] == 2
        assert len(server.generation_requests()) == 2  # the teacher was not asked again
        await configure(
            client,
            teacher=f"vllm-server:{server.url}",
            filter="dedup-only",
            dlmHome=str(tmp_path / "home"),
            applyMode="stage",
            useCache=False,
        )
        third = await execute(client, "dlm-synth.synthesizeDocument", {"uri": uri})
        assert third["report"]["usage"]["requests"] == 2  # useCache false asks again


async def test_a_run_after_a_cancel_asks_only_what_was_not_answered(
    tmp_path: Path, server: FakeLLMServer
) -> None:
    cache = tmp_path / "cache"
    text = document("tiling", "vectors", "pinning", "prefetch")
    path = tmp_path / "notes.dlm"
    path.write_text(text)
    uri = file_uri(path)
    release = threading.Event()
    lock = threading.Lock()
    count = [0]

    def gate(request: Any) -> str:
        with lock:
            count[0] += 1
            held = count[0] > 2
        if held:
            release.wait(30)
        return passage_reply(request)

    server.default_reply = gate
    try:
        env = {"DLM_SYNTH_CACHE_DIR": str(cache)}
        async with launch(PROFILES[0], None, env=env, result_messages=True) as client:
            editor = make_editor(client)
            await configure(
                client,
                teacher=f"vllm-server:{server.url}",
                filter="dedup-only",
                dlmHome=str(tmp_path / "home"),
                useCache=True,
            )
            editor.open(uri, text)
            await wait_until(lambda: uri in client.diagnostics)
            job = asyncio.ensure_future(
                execute(client, "dlm-synth.synthesizeDocument", {"uri": uri})
            )
            await wait_until(lambda: cache_entries(cache) >= 2, timeout=30)
            cancelled = await execute(client, "dlm-synth.cancel", {"uri": uri})
            assert cancelled["cancelled"] == 1
            result = await job
            assert result["status"] == "cancelled"
            answered = {user_text(r.json) for r in server.generation_requests() if r.answered}
            assert len(answered) == 2
            before = len(server.generation_requests())
            release.set()
            again = await execute(client, "dlm-synth.synthesizeDocument", {"uri": uri})
            asked = [user_text(r.json) for r in server.generation_requests()[before:]]
            assert len(asked) == 2 and not set(asked) & answered  # the two done sections cost nothing
            assert again["report"]["usage"]["cached"] == 2
    finally:
        release.set()


def unique_reply(prefix: str) -> Any:
    counter = iter(range(10**6))
    lock = threading.Lock()

    def reply(request: Any) -> str:
        with lock:
            n = next(counter)
        return json.dumps(
            [{"question": f"{prefix} question {n} ({n * 7919})?", "answer": f"{prefix} answer {n}."}]
        )

    return reply


async def test_cli_runs_and_the_server_writing_at_once_lose_nothing(
    tmp_path: Path, server: FakeLLMServer
) -> None:
    """Four `--apply` command lines and a server job staging into the same plan."""
    home = tmp_path / "home"
    text = document("tiling", "vectors")
    path = tmp_path / "notes.dlm"
    path.write_text(text)
    uri = file_uri(path)
    server.default_reply = unique_reply("Shared")
    server.latency_s = 0.3  # every writer reads before any writes
    env = {**os.environ, "DLM_HOME": str(home)}
    cmd = [
        sys.executable, "-m", "dlm_synth_lsp", "synth", "instructions", str(path), "--apply", "--no-cache",
        "--teacher", f"vllm-server:{server.url}", "--filter", "none", "--per-section", "1", "--json", "-q",
    ]  # fmt: skip
    async with launch(PROFILES[0], None, result_messages=True) as client:
        editor = make_editor(client)
        await configure(
            client,
            teacher=f"vllm-server:{server.url}",
            filter="none",
            perSection=1,
            dlmHome=str(home),
            applyMode="stage",
        )
        editor.open(uri, text)
        await wait_until(lambda: uri in client.diagnostics)
        runs = [
            subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(4)
        ]
        job = await execute(client, "dlm-synth.synthesizeDocument", {"uri": uri})
        outputs = await asyncio.gather(*(asyncio.to_thread(run.communicate, None, 120) for run in runs))
    results = [json.loads(out) for out, _ in outputs]
    accepted = [(p["question"], p["answer"]) for r in results for p in r["accepted"]]
    accepted += [(p["question"], p["answer"]) for p in job["acceptedPairs"]]
    assert job["staged"] == 2 and len(accepted) == 10 and len(set(accepted)) == 10
    in_file = [pair for pair, s in parse_text(path.read_text()).instruction_pairs if s.auto_synth]
    plan = load_plan(pending_path(ID, str(home)))
    in_plan = [(p.question, p.answer) for p in plan.pairs] if plan is not None else []
    assert sorted(in_file + in_plan) == sorted(accepted)  # every pair once, in the file or the plan


async def test_applying_a_staged_plan_keeps_what_another_process_stages_meanwhile(tmp_path: Path) -> None:
    home = tmp_path / "home"
    text = document("tiling", "vectors")
    path = tmp_path / "notes.dlm"
    path.write_text(text)
    uri = file_uri(path)
    source = next(s.section_id for s in parse_text(text).sections if s.type.value == "prose")

    def pair(question: str) -> MarkedPair:
        return MarkedPair(
            question, "Staged answer.", source, "openai:x", "extraction", "2026-01-01T00:00:00Z"
        )

    plan_path = pending_path(ID, str(home))
    save_plan(plan_path, path, [pair("First staged?"), pair("Second staged?")])
    async with launch(PROFILES[0], None, result_messages=True) as client:
        editor = make_editor(client)
        await configure(client, dlmHome=str(home))
        # while the editor applies the plan, a command line run stages another pair
        editor.on_edit = lambda _: merge_plan(plan_path, path, [pair("Staged meanwhile?")])
        editor.open(uri, text)
        await wait_until(lambda: uri in client.diagnostics)
        result = await execute(client, "dlm-synth.applyStaged", {"uri": uri})
    assert result["applied"] == 2 and result["remaining"] == 1
    plan = load_plan(plan_path)
    assert plan is not None and [p.question for p in plan.pairs] == ["Staged meanwhile?"]
