"""No key in anything the CLI prints or writes, whatever way a remote teacher fails
(issue 14, items 1 and 3).

For each remote teacher, every failure mode (401, 403, 429, 5xx, timeout, cancel by
Ctrl-C, connection refused) runs as a real `dlm-synth-lsp synth instructions`
process against a fake server that echoes the key in every error body, once with
`--json` and once without; stdout, stderr, the document, the dlm store (staged plans)
and the reply cache directory are scanned for the key (and, for `vllm-server:`, for
the password of a `user:pass@` URL)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fakes.llm_server import FakeLLMServer, fake_llm_server, unused_port
from tests.fakes.secrets import (
    DOC,
    MODES,
    Leak,
    cancel_when_ready,
    prepare,
    scan_files,
    scan_text,
    selector,
    teacher_env,
)

TEACHERS = ("openai", "anthropic", "vllm-server")


@dataclass
class Run:
    mode: str
    json: bool
    returncode: int
    stdout: str
    stderr: str
    leaks: list[Leak]
    files: int


def _env(teacher: str, base: str, tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "ANTHROPIC", "DLM_"))}
    env.update(DLM_HOME=str(tmp / "home"), DLM_SYNTH_CACHE_DIR=str(tmp / "cache"))
    return {**env, **teacher_env(teacher, base)}


def _run(teacher: str, mode: str, as_json: bool, tmp: Path) -> Run:
    tmp.mkdir()
    doc = tmp / "notes.dlm"
    doc.write_text(DOC, encoding="utf-8")
    with fake_llm_server() as server:
        prepare(server, mode, teacher)
        base = f"http://127.0.0.1:{unused_port()}" if mode == "refused" else server.url
        command = [
            sys.executable, "-m", "dlm_synth_lsp", "synth", "instructions", str(doc),
            "--teacher", selector(teacher, base), "--filter", "none", "--per-section", "1",
            "--timeout", "0.5" if mode == "timeout" else "20",
        ]  # fmt: skip
        if as_json:
            command.append("--json")
        proc = subprocess.Popen(
            command, env=_env(teacher, base, tmp), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        early = _interrupt_when_ready(proc, server) if mode == "cancel" else ""
        stdout, stderr = proc.communicate(timeout=120)
        stderr = early + stderr
    leaks = scan_text("stdout", stdout) + scan_text("stderr", stderr)
    found, files = scan_files([doc, tmp / "home", tmp / "cache"])
    return Run(mode, as_json, proc.returncode, stdout, stderr, leaks + found, files)


def _interrupt_when_ready(proc: subprocess.Popen[str], server: FakeLLMServer) -> str:
    """Interrupts the run once its three calls arrived and the CLI has accepted the
    answered one (its progress line says so: the server having sent the answer is not
    enough, the CLI may not have read it yet). Returns the stderr read meanwhile."""
    ready = cancel_when_ready(server)
    assert proc.stderr is not None
    seen = []
    while ready and (line := proc.stderr.readline()):
        seen.append(line)
        if "accepted" in line:
            break
    proc.send_signal(signal.SIGINT)
    assert ready, "the calls to cancel never arrived"
    return "".join(seen)


@pytest.mark.parametrize("teacher", TEACHERS)
def test_no_key_in_any_output_in_any_failure_mode(teacher: str, tmp_path: Path) -> None:
    # every mode with --json; the text rendering of the failures that print rejections
    cases = [(mode, True) for mode in MODES] + [("401", False), ("timeout", False)]
    with ThreadPoolExecutor(max_workers=7) as pool:
        runs = list(
            pool.map(lambda case: _run(teacher, case[0], case[1], tmp_path / f"{case[0]}-{case[1]}"), cases)
        )
    for run in runs:
        where = f"{teacher} {run.mode}{' --json' if run.json else ''}"
        assert run.leaks == [], (where, run.leaks)
        # nothing printed by asyncio about abandoned calls, no traceback
        assert "Traceback" not in run.stderr and "never retrieved" not in run.stderr, (where, run.stderr)
        if run.json and run.stdout:  # empty when the run could not start (the error is on stderr)
            data = json.loads(run.stdout)
            assert data["status"] in ("completed", "failed", "cancelled"), where
        # 130: interrupted
        assert run.returncode in (0, 1, 2, 130), (where, run.returncode, run.stderr[-2000:])
    by_mode = {(run.mode, run.json): run for run in runs}
    # the failures are reported, in words, with the key redacted where it was echoed
    auth = json.loads(by_mode["401", True].stdout)
    assert auth["status"] == "failed" and "rejected the credentials" in auth["error"]
    assert "Incorrect API key provided: ***" in auth["error"]
    assert by_mode["401", False].returncode == 2  # nothing accepted (docs/cli.md)
    assert ": timed out, retrying in" in by_mode["timeout", False].stderr
    assert json.loads(by_mode["cancel", True].stdout)["status"] == "cancelled"
    for mode in ("429", "5xx", "cancel"):  # one call succeeded: its pair was staged
        assert by_mode[mode, True].files >= 2, mode
    if teacher == "vllm-server":
        staged = json.loads(by_mode["429", True].stdout)
        assert staged["report"]["teacher"].startswith("vllm-server:http://127.0.0.1:")
