"""`synth instructions PATH...` on a corpus, end to end: the real openai SDK
(vllm-server teacher) against the fake OpenAI-compatible server on 127.0.0.1, real
files, the real reply cache.

Mixed outcomes in one run, paths and globs, the reply cache across runs, runs killed
or interrupted and resumed without repeated calls, and the concurrency budget against
servers of different sizes."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from dlm_synth_lsp.cli.main import main
from dlm_synth_lsp.document import parse_text
from dlm_synth_lsp.synth.concurrency import Budget

from tests.fakes.llm_server import FakeLLMServer, Status, fake_llm_server
from tests.fakes.teacher_replies import passage_reply, user_text

WORDS = [
    "amber",
    "basalt",
    "cobalt",
    "dune",
    "ember",
    "fjord",
    "glacier",
    "harbor",
    "isthmus",
    "jade",
    "kelp",
    "lagoon",
    "mesa",
    "nectar",
    "onyx",
    "prairie",
]


def _words(seed: str, n: int) -> str:
    """`n` words picked by `seed`: distinct topics get sentences far apart, so the
    dedup filter keeps one pair per section."""
    value = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big")
    picked = []
    for _ in range(n):
        value, index = divmod(value, len(WORDS))
        picked.append(WORDS[index])
    return " ".join(picked)


def dlm(dlm_id: int, *topics: str, extra: str = "") -> str:
    """A document with one prose section per topic (each asks a distinct prompt)."""
    parts = [f"---\ndlm_id: 01KPQ9X1000000000000{dlm_id:06d}\nbase_model: smollm2-135m\n---\n"]
    for i, topic in enumerate(topics):
        if i:
            parts.append("::prose::\n")
        lead, rule = _words(f"{dlm_id}{topic}", 6), _words(topic, 4)
        parts.append(
            f"# {topic.title()}\n\n{topic.capitalize()} {lead} in document {dlm_id}. "
            f"The {topic} rule applies to {rule} of the kernel. Measurements of {topic} differ.\n\n"
        )
    return "".join(parts) + extra


def run(server: FakeLLMServer, *args: str) -> int:
    return main(
        [
            "synth",
            "instructions",
            *args,
            "--teacher",
            f"vllm-server:{server.url}",
            "--filter",
            "dedup-only",
            "-q",
        ]
    )


def auto_pairs(path: Path) -> list[tuple[str, str]]:
    return [pair for pair, section in parse_text(path.read_text()).instruction_pairs if section.auto_synth]


def staged(home: Path, dlm_id: int) -> list[dict[str, Any]]:
    pending = home / "store" / f"01KPQ9X1000000000000{dlm_id:06d}" / "synth" / "pending.json"
    return json.loads(pending.read_text())["sections"] if pending.exists() else []


def test_many_documents_in_one_run_with_mixed_outcomes(
    tmp_path: Path, server: FakeLLMServer, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a-good.dlm").write_text(dlm(1, "tiling", "unrolling"))
    (docs / "b-gone.dlm").symlink_to(tmp_path / "nowhere.dlm")  # unreadable
    (docs / "c-broken.dlm").write_text(dlm(3, "pinning") + "::instrution::\n")  # an error
    edited = docs / "d-edited.dlm"
    edited.write_text(dlm(4, "prefetching"))
    (docs / "e-nothing.dlm").write_text(dlm(5, "gibberish"))
    (docs / "f-good.dlm").write_text(dlm(6, "alignment"))
    lock = threading.Lock()

    def reply(request: Any) -> str:
        text = user_text(request)
        if "Gibberish" in text:
            return "I cannot help with that."
        if "Prefetching" in text:
            with lock:  # the user saves the document while its call is out
                if "typed" not in edited.read_text():
                    edited.write_text(edited.read_text() + "typed\n")
        return passage_reply(request)

    server.default_reply = reply
    code = run(server, str(docs), "--apply", "--per-section", "2", "--json")
    result = json.loads(capsys.readouterr().out)
    assert code == 1 and result["exit_status"] == 1  # a document failed
    by_name = {Path(d["path"]).name: d for d in result["documents"]}
    assert list(by_name) == sorted(by_name)  # in the order given (the directory's, sorted)

    good = by_name["a-good.dlm"]
    assert good["status"] == "completed" and good["outcome"]["kind"] == "applied"
    assert good["outcome"]["written"] == 4 and len(auto_pairs(docs / "a-good.dlm")) == 4
    assert by_name["f-good.dlm"]["outcome"]["written"] == 2 and len(auto_pairs(docs / "f-good.dlm")) == 2

    gone = by_name["b-gone.dlm"]
    assert gone["status"] == "failed" and "cannot read" in gone["error"] and gone["exit_status"] == 1
    broken = by_name["c-broken.dlm"]
    assert broken["status"] == "failed" and "DLM010" in broken["error"]
    assert "dlm-auto-synth" not in (docs / "c-broken.dlm").read_text()

    changed = by_name["d-edited.dlm"]
    assert changed["outcome"]["written"] == 0 and changed["outcome"]["staged"] == 2
    assert "changed on disk" in changed["outcome"]["problems"][0]
    assert edited.read_text() == dlm(4, "prefetching") + "typed\n"  # the user's save survives
    assert len(staged(home, 4)) == 2  # nothing lost

    nothing = by_name["e-nothing.dlm"]
    assert nothing["outcome"]["kind"] == "nothing-accepted" and nothing["exit_status"] == 2
    assert {r["reason"] for r in nothing["rejected"]} == {"invalid_output"}

    totals = result["totals"]
    assert totals["documents"] == 6 and totals["written"] == 6 and totals["staged"] == 2
    assert totals["by_outcome"] == {"applied": 3, "failed": 2, "nothing-accepted": 1}
    assert totals["requests"] == 5 and totals["calls_done"] == 5


def test_the_summary_table_names_every_document(
    tmp_path: Path, server: FakeLLMServer, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "one.dlm").write_text(dlm(1, "tiling"))
    (docs / "sub" / "two.dlm").write_text(dlm(2, "unrolling"))
    (docs / "sub" / "notes.txt").write_text("not a document")
    (docs / ".hidden").mkdir()
    (docs / ".hidden" / "skip.dlm").write_text(dlm(3, "ignored"))
    assert run(server, str(docs)) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith(str(docs))]
    assert [row.split()[0] for row in rows] == [str(docs / "one.dlm"), str(docs / "sub" / "two.dlm")]
    assert all(row.split()[1] == "staged" for row in rows)
    assert "2 document(s): 2 staged; 6 pair(s) accepted, 0 written, 6 staged" in out


def test_globs_and_explicit_files_share_one_run(
    tmp_path: Path,
    server: FakeLLMServer,
    home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    for i, name in enumerate(("x/a.dlm", "x/y/b.dlm", "c.dlm"), 1):
        Path(name).parent.mkdir(parents=True, exist_ok=True)
        Path(name).write_text(dlm(i, f"topic {i}"))
    assert run(server, "x/**/*.dlm", "c.dlm", "x/a.dlm", "--dry-run", "--json") == 0
    result = json.loads(capsys.readouterr().out)
    assert [d["path"] for d in result["documents"]] == ["x/a.dlm", "x/y/b.dlm", "c.dlm"]  # each once
    assert run(server, "nothing/**/*.dlm") == 2
    assert "no file matches nothing/**/*.dlm" in capsys.readouterr().err


def test_a_second_run_is_answered_from_the_reply_cache(
    tmp_path: Path, server: FakeLLMServer, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tmp_path / "notes.dlm"
    doc.write_text(dlm(1, "tiling", "unrolling"))
    assert run(server, str(doc), "--dry-run", "--json") == 0
    first = json.loads(capsys.readouterr().out)["report"]["usage"]
    assert first["requests"] == 2 and first["cached"] == 0
    assert len(list(Path(os.environ["DLM_SYNTH_CACHE_DIR"]).rglob("*.json"))) == 2
    assert run(server, str(doc), "--dry-run", "--json") == 0
    second = json.loads(capsys.readouterr().out)["report"]["usage"]
    assert second["requests"] == 0 and second["cached"] == 2
    assert len(server.generation_requests()) == 2  # the server was not asked again
    assert run(server, str(doc), "--dry-run", "--json", "--no-cache") == 0
    assert json.loads(capsys.readouterr().out)["report"]["usage"]["requests"] == 2
    assert len(server.generation_requests()) == 4


class Gate:
    """Answers the first `free` calls at once and holds the rest until opened."""

    def __init__(self, free: int) -> None:
        self.free = free
        self.count = 0
        self.lock = threading.Lock()
        self.open = threading.Event()

    def __call__(self, request: Any) -> str:
        with self.lock:
            self.count += 1
            held = self.count > self.free
        if held:
            self.open.wait(30)
        return passage_reply(request)


def cached(env: dict[str, str]) -> int:
    return len(list(Path(env["DLM_SYNTH_CACHE_DIR"]).rglob("*.json")))


def prompt_of(request: Any) -> str:
    return user_text(request.json)


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT])
def test_an_interrupted_run_resumes_without_repeated_calls(
    tmp_path: Path, server: FakeLLMServer, how: signal.Signals
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    topics = ["tiling", "unrolling", "pinning", "prefetching", "alignment", "packing"]
    for i in range(4):
        (docs / f"doc{i}.dlm").write_text(dlm(i, *topics[i : i + 3]))
    gate = Gate(free=6)
    server.default_reply = gate
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "ANTHROPIC"))},
        "DLM_HOME": str(tmp_path / "home"),
    }
    cmd = [
        sys.executable, "-m", "dlm_synth_lsp", "synth", "instructions", str(docs), "--apply", "--teacher",
        f"vllm-server:{server.url}", "--filter", "dedup-only", "--per-section", "1", "--json", "-q",
    ]  # fmt: skip
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # the first six replies have reached the run (and its reply cache)
        assert server.wait_for(lambda s: cached(env) >= 6, timeout=60), process.stderr
        process.send_signal(how)
        out, err = process.communicate(timeout=60)
    finally:
        gate.open.set()
        if process.poll() is None:
            process.kill()
    answered = {prompt_of(r) for r in server.generation_requests() if r.answered}
    assert len(answered) == 6
    if how == signal.SIGINT:
        assert process.returncode == 130, err
        assert json.loads(out)["exit_status"] == 130
    first_run = len(server.generation_requests())
    written_early = [p for p in docs.glob("*.dlm") if auto_pairs(p)]

    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode in (0, 2), done.stderr
    resumed = [prompt_of(r) for r in server.generation_requests()[first_run:]]
    assert len(resumed) == 12 - 6  # only the calls whose replies never arrived
    assert not set(resumed) & answered
    for path in docs.glob("*.dlm"):  # every document ends with each pair exactly once
        pairs = auto_pairs(path)
        assert len(pairs) == len(set(pairs)) == 3, path
    assert written_early or how == signal.SIGKILL  # an interrupted run lands what it has


def test_backs_off_on_429_and_recovers(
    tmp_path: Path, server: FakeLLMServer, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.owned_by = "vllm"
    server.latency_s = 0.25  # well above scheduling noise on a loaded machine (the latency rule allows 1.3x)
    server.script(*[Status(429, headers={"retry-after-ms": "20"})] * 8)  # the whole first wave
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(6):
        (docs / f"doc{i}.dlm").write_text(dlm(i, *[f"topic {i}.{j}" for j in range(10)]))
    assert run(server, str(docs), "--dry-run", "--per-section", "1", "--concurrency", "8", "--json") == 0
    totals = json.loads(capsys.readouterr().out)["totals"]
    assert totals["retries"] == 8 and totals["accepted"] == 60
    changes = totals["concurrency"]["changes"]
    limits = [c["limit"] for c in changes]
    overloads = [i for i, c in enumerate(changes) if c["why"] == "overloaded (429)"]
    assert len(overloads) == 1  # the eight 429s of one wave count once
    assert limits[: overloads[0] + 1] == [8, 4]  # started at the ceiling, halved
    assert 8 in limits[overloads[0] + 1 :]  # and grew back to it once the 429s stopped
    assert server.peak_in_flight <= 8


def test_a_many_slot_vllm_server_is_kept_busy(
    tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # half a second per call: even a loaded machine sends 64 requests before the first returns
    with fake_llm_server(default_reply=passage_reply, owned_by="vllm", slots=64, latency_s=0.5) as server:
        docs = tmp_path / "docs"
        docs.mkdir()
        for i in range(8):
            (docs / f"doc{i}.dlm").write_text(dlm(i, *[f"topic {i}.{j}" for j in range(25)]))
        assert run(server, str(docs), "--dry-run", "--per-section", "1", "--json") == 0
        totals = json.loads(capsys.readouterr().out)["totals"]
        assert totals["requests"] == 200 and totals["accepted"] == 200
        # vLLM batches continuously: the run starts wide (64) instead of at 4
        assert totals["concurrency"]["changes"][0]["limit"] == 64
        assert server.peak_in_flight >= 48


def test_a_llama_cpp_server_gets_no_more_than_its_slots(tmp_path: Path, home: Path) -> None:
    from dlm_synth_lsp.synth.backends import build_teacher
    from dlm_synth_lsp.synth.cancel import CancelToken
    from dlm_synth_lsp.synth.teachers.base import TeacherOptions

    with fake_llm_server(
        default_reply=passage_reply, owned_by="llamacpp", props={"total_slots": 2}, latency_s=0.05
    ) as server:
        doc = tmp_path / "notes.dlm"
        doc.write_text(dlm(1, *[f"topic {j}" for j in range(8)]))
        assert run(server, str(doc), "--dry-run") == 0
        assert server.peak_in_flight == 2
        teacher = build_teacher(f"vllm-server:{server.url}", TeacherOptions())

        async def budget() -> Budget:
            await teacher.prepare(CancelToken())
            await teacher.aclose()
            return teacher.budget  # type: ignore[attr-defined, no-any-return]

        import asyncio

        assert asyncio.run(budget()) == Budget(2, 2, adaptive=False)


def test_each_document_asks_its_own_adapter_when_vllm_serves_it(
    tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """vLLM serving the documents' adapters (`--lora-modules <dlm_id>=<dir>`): each
    document's calls ask its own adapter, over one connection; a document without one
    gets the base model."""
    own = "01KPQ9X1000000000000000001"
    with fake_llm_server(
        default_reply=passage_reply, owned_by="vllm", models=["org/base-model", own]
    ) as server:
        docs = tmp_path / "docs"
        docs.mkdir()
        (docs / "a.dlm").write_text(dlm(1, "tiling", "unrolling"))
        (docs / "b.dlm").write_text(dlm(2, "pinning"))
        assert run(server, str(docs), "--dry-run", "--per-section", "1", "--json") == 0
        asked = {(r.json["model"], "document 1" in user_text(r.json)) for r in server.generation_requests()}
        assert asked == {(own, True), ("org/base-model", False)}
        models_listed = [r for r in server.requests if r.kind == "models"]
        assert len(models_listed) == 1  # one teacher, prepared once, for both documents
        result = json.loads(capsys.readouterr().out)
        teachers = {p["report"]["teacher"] for p in result["documents"]}
        assert teachers == {f"vllm-server:{server.url}"}  # markers name the server, not the adapter
