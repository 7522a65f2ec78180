"""The command line writing documents and staged plans (issue 14, items 6, 7, 9 and
10): concurrent writers lose nothing, staging merges, a full disk or a read-only
document or directory gets a clear message and keeps the document intact, and a
staged pair that sanitises to nothing is never reported as written.

Full disks are real: a 64 KiB tmpfs (needs the privilege to mount; skipped
without it). A read-only directory is a read-only bind mount when running as root
(root writes through 0555), else mode 0555."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from dlm_synth_lsp.cli.main import main
from dlm_synth_lsp.document import parse_text
from dlm_synth_lsp.synth.staging import MarkedPair, load_plan, merge_plan, save_plan

from tests.fakes.docs import cache_notes
from tests.fakes.llm_server import FakeLLMServer
from tests.fakes.teacher_replies import passage_reply

ID = "01KPQ9X1000000000000000031"
DOC = cache_notes(ID)


def pending(home: Path) -> Path:
    return home / "store" / ID / "synth" / "pending.json"


def plan_questions(home: Path) -> list[str]:
    plan = load_plan(pending(home))
    return [p.question for p in plan.pairs] if plan is not None else []


def auto_pairs(path: Path) -> list[tuple[str, str]]:
    return [pair for pair, s in parse_text(path.read_text()).instruction_pairs if s.auto_synth]


def instructions(path: Path, server: FakeLLMServer, *extra: str) -> int:
    return main(
        [
            "synth", "instructions", str(path), "--teacher", f"vllm-server:{server.url}",
            "--filter", "dedup-only", "--per-section", "1", "-q", *extra,
        ]
    )  # fmt: skip


def earlier_pair(source: str = "0123456789abcdef") -> MarkedPair:
    return MarkedPair(
        "What was staged before?",
        "An earlier pair.",
        source,
        "openai:x",
        "extraction",
        "2026-01-01T00:00:00Z",
    )


# -- 7: staging merges ---------------------------------------------------------------


def test_a_file_edited_during_a_run_keeps_the_earlier_staged_plan(
    tmp_path: Path, server: FakeLLMServer, home: Path
) -> None:
    doc = tmp_path / "notes.dlm"
    doc.write_text(DOC)
    save_plan(pending(home), doc, [earlier_pair()])
    edited = threading.Event()

    def edit_then_reply(request: Any) -> str:
        if not edited.is_set():
            edited.set()
            doc.write_text(doc.read_text() + "typed\n")
        return passage_reply(request)

    server.default_reply = edit_then_reply
    assert instructions(doc, server, "--apply") == 0
    questions = plan_questions(home)
    assert questions[0] == "What was staged before?" and len(questions) == 3  # merged, not replaced


def test_staging_twice_merges(tmp_path: Path, server: FakeLLMServer, home: Path) -> None:
    doc = tmp_path / "notes.dlm"
    doc.write_text(DOC)
    sections = [s.section_id for s in parse_text(DOC).sections if s.type.value == "prose"]
    assert instructions(doc, server, "--section", sections[0]) == 0
    assert instructions(doc, server, "--section", sections[1]) == 0
    assert len(plan_questions(home)) == 2  # the second run did not erase the first's pair


def test_merges_from_many_processes_at_once_lose_nothing(tmp_path: Path) -> None:
    """Twelve processes stage into one plan at the same moment."""
    path = tmp_path / "plan" / "pending.json"
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from dlm_synth_lsp.synth.staging import MarkedPair, merge_plan\n"
        "i = int(sys.argv[1]); path = Path(sys.argv[2]); start = Path(sys.argv[3])\n"
        "pairs = [MarkedPair(f'q{i}.{j}?', f'a{i}.{j}.', '0123456789abcdef', 't', 'extraction',"
        " '2026-01-01T00:00:00Z') for j in range(3)]\n"
        "while not start.exists(): pass\n"
        "merge_plan(path, Path('d.dlm'), pairs)\n"
    )
    start = tmp_path / "go"
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(i), str(path), str(start)]) for i in range(12)
    ]
    start.touch()
    assert [p.wait(60) for p in procs] == [0] * 12
    plan = load_plan(path)
    assert plan is not None
    assert sorted(p.question for p in plan.pairs) == sorted(f"q{i}.{j}?" for i in range(12) for j in range(3))


# -- 6: concurrent --apply runs ---------------------------------------------------------


def unique_reply() -> Callable[[Any], str]:
    """A teacher that never answers the same twice, so every run's pairs are its own."""
    counter = iter(range(10**6))
    lock = threading.Lock()

    def reply(request: Any) -> str:
        with lock:
            n = next(counter)
        return json.dumps([{"question": f"Question number {n} about {n * 7919}?", "answer": f"Answer {n}."}])

    return reply


def test_concurrent_apply_runs_lose_no_pair_and_write_none_twice(
    tmp_path: Path, server: FakeLLMServer, home: Path
) -> None:
    doc = tmp_path / "notes.dlm"
    doc.write_text(DOC)
    server.default_reply = unique_reply()
    server.latency_s = 0.2  # the runs overlap: each reads the file before any writes
    env = {**os.environ, "DLM_HOME": str(home)}
    cmd = [
        sys.executable, "-m", "dlm_synth_lsp", "synth", "instructions", str(doc), "--apply", "--no-cache",
        "--teacher", f"vllm-server:{server.url}", "--filter", "none", "--per-section", "1", "--json", "-q",
    ]  # fmt: skip
    runs = [
        subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(6)
    ]
    results = [json.loads(run.communicate(timeout=120)[0]) for run in runs]
    accepted = [(p["question"], p["answer"]) for r in results for p in r["accepted"]]
    assert len(accepted) == 12 and len(set(accepted)) == 12
    in_file = auto_pairs(doc)
    plan = load_plan(pending(home))
    in_plan = [(p.question, p.answer) for p in plan.pairs] if plan is not None else []
    everywhere = in_file + in_plan
    assert sorted(everywhere) == sorted(accepted)  # each accepted pair once, in the file or the plan
    written = sum(r["outcome"].get("written", 0) for r in results)
    assert written == len(in_file)  # what each run says it wrote is in the file


# -- 9: a full disk -----------------------------------------------------------------------


@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """Mounts 64 KiB tmpfs directories; skips when mounting is not permitted."""
    mounted: list[Path] = []

    def make(name: str) -> Path:
        directory = tmp_path / name
        directory.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(directory)],
            capture_output=True,
            check=False,
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
        mounted.append(directory)
        return directory

    yield make
    for directory in mounted:
        subprocess.run(["umount", "-l", str(directory)], check=False)


def fill(directory: Path) -> None:
    """Takes every free block of `directory`'s filesystem."""
    with contextlib.suppress(OSError), open(directory / "filler", "wb") as handle:
        while True:
            handle.write(b"\0" * 4096)
            handle.flush()
    # and the last bytes of a partial block
    with contextlib.suppress(OSError), open(directory / "filler2", "wb") as handle:
        while True:
            handle.write(b"\0")
            handle.flush()


def test_full_document_filesystem_keeps_the_document_and_stages(
    tiny_fs: Callable[[str], Path], server: FakeLLMServer, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tiny_fs("docs") / "notes.dlm"
    doc.write_text(DOC)
    fill(doc.parent)
    assert instructions(doc, server, "--apply") == 1
    captured = capsys.readouterr()
    assert "No space left on device" in captured.err and "the file is unchanged" in captured.err
    assert "Traceback" not in captured.err + captured.out
    assert doc.read_text() == DOC
    assert len(plan_questions(home)) == 2 and "staged 2 pair(s) instead" in captured.out


def test_full_store_says_what_was_not_saved(
    tiny_fs: Callable[[str], Path],
    tmp_path: Path,
    server: FakeLLMServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    home = tiny_fs("home")
    monkeypatch.setenv("DLM_HOME", str(home))
    (home / "store").mkdir()
    fill(home)
    doc = tmp_path / "notes.dlm"
    doc.write_text(DOC)
    assert instructions(doc, server, "--json") == 1
    captured = capsys.readouterr()
    outcome = json.loads(captured.out)["outcome"]
    assert "No space left on device" in captured.err and "2 pair(s) not saved" in captured.err
    assert "Traceback" not in captured.err
    unsaved = outcome["unsaved"]
    assert len(unsaved) == 2 and all(p["question"] and p["answer"] for p in unsaved)
    assert doc.read_text() == DOC


def test_both_full_prints_the_pairs_that_were_not_saved(
    tiny_fs: Callable[[str], Path],
    server: FakeLLMServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    home = tiny_fs("home")
    monkeypatch.setenv("DLM_HOME", str(home))
    (home / "store").mkdir()
    fill(home)
    doc = tiny_fs("docs") / "notes.dlm"
    doc.write_text(DOC)
    fill(doc.parent)
    assert instructions(doc, server, "--apply") == 1
    captured = capsys.readouterr()
    assert doc.read_text() == DOC
    assert captured.out.count("not saved:\n### Q\n") == 2  # the pairs themselves, to copy
    assert "could not be saved" in captured.out


# -- 10: read-only documents and directories ---------------------------------------------------


def test_a_read_only_document_is_refused_unless_asked(
    tmp_path: Path, server: FakeLLMServer, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tmp_path / "notes.dlm"
    doc.write_text(DOC)
    doc.chmod(0o444)
    assert instructions(doc, server, "--apply") == 1
    captured = capsys.readouterr()
    assert "is read-only" in captured.err and "--allow-read-only" in captured.err
    assert doc.read_text() == DOC and len(plan_questions(home)) == 2  # staged instead
    assert instructions(doc, server, "--apply", "--allow-read-only") == 0
    assert len(auto_pairs(doc)) == 2 and doc.stat().st_mode & 0o777 == 0o444


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Callable[[Path], None]]:
    undo: list[list[str]] = []

    def make(directory: Path) -> None:
        if os.geteuid() != 0:
            directory.chmod(0o555)
            return
        for cmd in (
            ["mount", "--bind", str(directory), str(directory)],
            ["mount", "-o", "remount,bind,ro", str(directory)],
        ):
            done = subprocess.run(cmd, capture_output=True, check=False)
            if done.returncode != 0:
                pytest.skip(f"cannot make a read-only directory here: {done.stderr.decode(errors='replace')}")
            if cmd[1] == "--bind":
                undo.append(["umount", "-l", str(directory)])

    yield make
    for cmd in undo:
        subprocess.run(cmd, check=False)
    for path in tmp_path.rglob("*"):
        with contextlib.suppress(OSError):
            if path.is_dir():
                path.chmod(0o755)


def test_a_read_only_directory_exits_1_and_stages(
    tmp_path: Path,
    server: FakeLLMServer,
    home: Path,
    read_only_dir: Callable[[Path], None],
    capsys: pytest.CaptureFixture[str],
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    doc = docs / "notes.dlm"
    doc.write_text(DOC)
    read_only_dir(docs)
    assert instructions(doc, server, "--apply") == 1  # docs/cli.md: a file that cannot be written is 1
    captured = capsys.readouterr()
    assert "cannot write" in captured.err and "the file is unchanged" in captured.err
    assert doc.read_text() == DOC and len(plan_questions(home)) == 2


def test_a_staged_pair_that_sanitises_to_nothing_is_not_reported_as_written(
    tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tmp_path / "notes.dlm"
    doc.write_text(DOC)
    source = next(s.section_id for s in parse_text(DOC).sections if s.type.value == "prose")
    good = MarkedPair("What is kept?", "This pair.", source, "openai:x", "extraction", "2026-01-01T00:00:00Z")
    empty = MarkedPair("\x00", "Nothing asks this.", source, "openai:x", "extraction", "2026-01-01T00:00:00Z")
    save_plan(pending(home), doc, [good, empty])
    assert main(["synth", "apply", str(doc)]) == 0
    out = capsys.readouterr().out
    assert "wrote 1 section(s)" in out and "1 not written" in out
    assert auto_pairs(doc) == [("What is kept?", "This pair.")]
    assert plan_questions(home) == ["\x00"]  # not silently dropped from the plan


def test_disk_errors_name_the_reason_not_a_traceback() -> None:
    from dlm_synth_lsp.synth.writeback import os_reason

    assert os_reason(OSError(errno.ENOSPC, "No space left on device")) == "No space left on device"


def test_merge_plan_leaves_the_plan_as_it_was_when_it_cannot_write(
    tiny_fs: Callable[[str], Path],
) -> None:
    store = tiny_fs("store")
    path = store / "pending.json"
    save_plan(path, Path("d.dlm"), [earlier_pair()])
    fill(store)
    with pytest.raises(OSError):
        merge_plan(
            path,
            Path("d.dlm"),
            [MarkedPair("q?", "a.", "0123456789abcdef", "t", "e", "2026-01-01T00:00:00Z")],
        )
    plan = load_plan(path)
    assert plan is not None and [p.question for p in plan.pairs] == ["What was staged before?"]
