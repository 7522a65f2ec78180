"""`dlm-synth-lsp synth …` end to end: the real openai SDK (vllm-server teacher)
against the fake OpenAI-compatible server on 127.0.0.1, real files, and the
upstream package as the oracle for what it can read back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dlm_synth_lsp.cli.main import main
from dlm_synth_lsp.document import SectionType, parse_text

from tests.compat.oracle import Oracle, upstream_cli
from tests.fakes.docs import cache_notes
from tests.fakes.llm_server import FakeLLMServer, Status, fake_llm_server, unused_port
from tests.fakes.teacher_replies import passage_reply

DOC = cache_notes("01KPQ9X1000000000000000002", comment="comments survive: we never rewrite the whole file")

ID = "01KPQ9X1000000000000000002"


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with fake_llm_server(default_reply=passage_reply) as fake:
        yield fake


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("DLM_HOME", str(home))
    monkeypatch.setenv("DLM_SYNTH_CACHE_DIR", str(tmp_path / "cache"))
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def doc_path(tmp_path: Path) -> Path:
    path = tmp_path / "notes.dlm"
    path.write_bytes(DOC.encode())
    return path


def synth(*args: str) -> int:
    return main(["synth", *args])


def instructions(path: Path, server: FakeLLMServer, *extra: str) -> int:
    return synth(
        "instructions",
        str(path),
        "--teacher",
        f"vllm-server:{server.url}",
        "--filter",
        "dedup-only",
        "-q",
        *extra,
    )


def test_stage_then_list_then_apply(
    doc_path: Path, server: FakeLLMServer, env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert instructions(doc_path, server, "--per-section", "2") == 0
    out = capsys.readouterr().out
    assert "accepted 4" in out and "staged 4" in out
    assert doc_path.read_bytes() == DOC.encode()  # staging leaves the file alone
    pending = env / "store" / ID / "synth" / "pending.json"
    assert len(json.loads(pending.read_text())["sections"]) == 4

    assert synth("list", str(doc_path), "--json") == 0
    listing = json.loads(capsys.readouterr().out)
    assert listing["applied"] == [] and len(listing["staged"]) == 4
    assert {e["teacher"] for e in listing["staged"]} == {f"vllm-server:{server.url}"}

    assert synth("apply", str(doc_path)) == 0
    assert "wrote 4 section(s)" in capsys.readouterr().out
    assert not pending.exists()
    doc = parse_text(doc_path.read_text())
    assert [s.auto_synth for s in doc.sections] == [False, True, True, False, False, True, True]
    assert doc_path.read_text().startswith(DOC.split("# Cache")[0])  # frontmatter comment kept
    # the listing follows the CLI's one JSON convention: snake_case, 1-based lines
    assert synth("list", str(doc_path), "--json") == 0
    listing = json.loads(capsys.readouterr().out)
    applied = [s for s in doc.sections if s.auto_synth]
    assert [(e["section_id"], e["start_line"], e["end_line"]) for e in listing["applied"]] == [
        (s.section_id, s.start_line, s.end_line) for s in applied
    ]
    assert set(listing["applied"][0]) == {
        "section_id",
        "source_section_id",
        "source_exists",
        "teacher",
        "strategy",
        "synth_at",
        "question",
        "start_line",
        "end_line",
    }
    assert listing["staged"] == []


def test_apply_inserts_after_sources_and_rerun_adds_nothing(
    doc_path: Path, server: FakeLLMServer, env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert instructions(doc_path, server, "--strategy", "both", "--per-section", "3", "--apply") == 0
    doc = parse_text(doc_path.read_text())
    kinds = [(s.type.value, s.synth_strategy) for s in doc.sections]
    assert kinds == [
        ("prose", None),
        ("instruction", "extraction"),
        ("instruction", "extraction"),
        ("instruction", "expansion"),
        ("instruction", None),
        ("prose", None),
        ("instruction", "extraction"),
        ("instruction", "extraction"),
        ("instruction", "expansion"),
    ]
    prose_ids = {s.section_id for s in doc.sections if s.type is SectionType.PROSE}
    assert all(s.source_section_id in prose_ids for s in doc.sections if s.auto_synth)
    before = doc_path.read_bytes()
    capsys.readouterr()
    # the same replies again (cache off, so the teacher is really asked): all duplicates
    assert (
        instructions(doc_path, server, "--strategy", "both", "--per-section", "3", "--apply", "--no-cache")
        == 2
    )
    assert "no pairs accepted" in capsys.readouterr().out
    assert doc_path.read_bytes() == before
    # revert restores the original bytes exactly
    assert synth("revert", str(doc_path)) == 0
    assert "removed 6 auto-synth" in capsys.readouterr().out
    assert doc_path.read_bytes() == DOC.encode()


def test_crlf_and_permissions_survive_apply(doc_path: Path, server: FakeLLMServer, env: Path) -> None:
    doc_path.write_bytes(DOC.replace("\n", "\r\n").encode())
    os.chmod(doc_path, 0o640)
    assert instructions(doc_path, server, "--apply", "--per-section", "1") == 0
    data = doc_path.read_bytes()
    assert b"dlm-auto-synth" in data and b"\n" not in data.replace(b"\r\n", b"")
    assert doc_path.stat().st_mode & 0o777 == 0o640


def test_file_changed_during_run_is_not_overwritten(
    doc_path: Path, server: FakeLLMServer, env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edited = threading.Event()
    lock = threading.Lock()

    def edit_then_reply(request: Any) -> str:
        # replies are served concurrently: the user "types" exactly once
        with lock:
            if not edited.is_set():
                doc_path.write_text(doc_path.read_text() + "typed\n")
                edited.set()
        return passage_reply(request)

    server.default_reply = edit_then_reply
    assert instructions(doc_path, server, "--apply", "--per-section", "1") == 0
    captured = capsys.readouterr()
    assert "changed on disk" in captured.err
    assert doc_path.read_text() == DOC + "typed\n"
    staged = json.loads((env / "store" / ID / "synth" / "pending.json").read_text())
    assert len(staged["sections"]) == 2  # nothing lost: staged instead


def test_json_result(
    doc_path: Path, server: FakeLLMServer, env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        instructions(doc_path, server, "--dry-run", "--json", "--per-section", "1", "--filter", "grounded")
        == 0
    )
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "completed" and result["outcome"]["kind"] == "dry-run"
    report = result["report"]
    assert report["generated"] == 2 and report["accepted"] == 2 and report["judged"] == 2
    assert report["usage"]["requests"] == 2 and report["usage"]["input_tokens"] > 0
    assert report["calls_done"] == report["calls"] == 2 and report["wall_seconds"] >= 0
    # snake_case throughout, and sources named by title and 1-based line
    sources = {s.section_id: s for s in parse_text(DOC).sections}
    for pair in result["accepted"]:
        keys = {"question", "answer", "strategy", "source_section_id", "source_title", "source_line"}
        assert set(pair) == keys
        source = sources[pair["source_section_id"]]
        assert pair["source_line"] == source.start_line and pair["source_title"] in source.content
    assert not (env / "store" / ID / "synth" / "pending.json").exists()


def test_teacher_failures_are_reported_without_traceback(
    doc_path: Path, server: FakeLLMServer, env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.script(*[Status(500, {"error": {"message": "boom"}})] * 20)
    code = instructions(doc_path, server, "--timeout", "2")
    captured = capsys.readouterr()
    assert code == 2  # nothing accepted
    assert "teacher_failed" in captured.out and "500" in captured.out


def test_connection_refused(doc_path: Path, env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = synth(
        "instructions",
        str(doc_path),
        "--teacher",
        f"vllm-server:http://127.0.0.1:{unused_port()}",
        "--filter",
        "dedup-only",
        "-q",
    )
    err = capsys.readouterr().err
    assert code == 1 and "could not query models" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--apply", "--dry-run"], "mutually exclusive"),
        (["--teacher", "gpt4"], "unknown teacher selector"),
        (["--strategy", "all"], "--strategy: must be one of extraction, expansion, both, got 'all'"),
        (["--per-section", "0"], "--per-section: must be >= 1, got 0"),
        (["--filter", "dedup-only", "--threshold", "0.5"], "--threshold: only valid with the sway or"),
        (["--teacher", "vllm-server:localhost:8000", "--filter", "none"], "must be http(s) with a host"),
    ],
)
def test_usage_errors_exit_2(
    doc_path: Path, env: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert synth("instructions", str(doc_path), *args) == 2
    assert message in capsys.readouterr().err


def _fresh_run(doc_path: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI as on a fresh machine: no key in the environment, nothing trained; the
    offline model `local` is the test suite's stand-in (see tests/synth/offline)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "ANTHROPIC"))}
    env.update(DLM_SYNTH_LOCAL_MODEL="smollm2-135m", DLM_SYNTH_MODEL_DIR=str(tmp_path / "models"))
    return subprocess.run(
        [sys.executable, "-m", "dlm_synth_lsp", "synth", "instructions", str(doc_path), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )


def test_fresh_machine_defaults_to_the_offline_teacher(doc_path: Path, env: Path, tmp_path: Path) -> None:
    done = _fresh_run(doc_path, tmp_path, "--dry-run", "--json", "--max-new-tokens", "64")
    assert "Traceback" not in done.stderr
    assert "using teacher local (the bundled offline model: no trained adapter" in done.stderr
    assert "filter grounded (sway needs a trained adapter)" in done.stderr
    result = json.loads(done.stdout)
    assert result["report"]["teacher"] == "local:smollm2-135m"
    assert result["report"]["filter"] == "grounded"
    assert result["report"]["calls_done"] == result["report"]["calls"] == 2


def test_an_explicit_self_on_a_fresh_machine_names_the_way_out(
    doc_path: Path, env: Path, tmp_path: Path
) -> None:
    done = _fresh_run(doc_path, tmp_path, "--teacher", "self", "--filter", "grounded")
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "adapter" in done.stderr and "--teacher local" in done.stderr


def test_broken_document_is_refused(tmp_path: Path, env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.dlm"
    path.write_text("---\ndlm_id: 01KPQ9X1000000000000000002\n---\n::instrution::\n")
    assert synth("instructions", str(path), "--teacher", "openai:x", "--filter", "none") == 1
    assert "DLM010" in capsys.readouterr().err


@pytest.mark.oracle
def test_upstream_reads_our_apply_and_reverts_exactly_our_sections(
    oracle: Oracle, doc_path: Path, server: FakeLLMServer, env: Path, tmp_path: Path
) -> None:
    assert instructions(doc_path, server, "--strategy", "both", "--per-section", "2", "--apply") == 0
    text = doc_path.read_text()
    upstream = oracle.parse(text)
    assert not upstream["error"], upstream
    sections = upstream["sections"]
    ids = {s["section_id"] for s in sections if s["type"] == "prose"}
    synthesized = [s for s in sections if s["auto_synth"]]
    assert len(synthesized) == 4
    assert all(s["source_section_id"] in ids for s in synthesized)

    done = upstream_cli("synth", "revert", str(doc_path), env={"DLM_HOME": str(env)})
    assert done.returncode == 0, done.stderr
    # upstream's revert rewrites canonically (and merges a `::prose::` that follows an
    # instruction, spec 8.4), so compare with upstream's revert of the untouched file
    control = tmp_path / "control.dlm"
    control.write_text(DOC)
    assert upstream_cli("synth", "revert", str(control), env={"DLM_HOME": str(env)}).returncode == 0
    assert doc_path.read_text() == control.read_text()
