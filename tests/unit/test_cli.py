from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dlm_synth_lsp", *args], capture_output=True, text=True, check=False
    )


def test_sections_json_shape_and_exit_status() -> None:
    result = run("sections", str(ROOT / "examples" / "all-sections.dlm"), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [s["type"] for s in data["sections"]] == [
        "prose",
        "instruction",
        "instruction",
        "preference",
        "image",
        "audio",
        "prose",
    ]
    synth = data["sections"][1]
    assert synth["auto_synth"] and synth["adapter"] == "facts"
    assert synth["source_section_id"] == data["sections"][0]["section_id"]
    assert set(synth) == {
        "type",
        "section_id",
        "start_line",
        "end_line",
        "adapter",
        "auto_synth",
        "synth_teacher",
        "synth_strategy",
        "synth_at",
        "source_section_id",
    }
    assert data["problems"] == []


def test_check_reports_path_line_col_and_fails_on_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.dlm"
    bad.write_text(
        "---\ndlm_id: 01KPQ9X1000000000000000000\nbase_model: smollm2-135m\n---\n\n::Instruction::\nx\n"
    )
    good = ROOT / "examples" / "blas-notes.dlm"
    result = run("check", str(good), str(bad))
    assert result.returncode == 1
    assert result.stdout.splitlines()[0].startswith(f"{bad}:6:1: error DLM010 unknown section fence")
    assert run("check", str(good)).returncode == 0


def test_undecodable_file_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.dlm"
    bad.write_bytes(b"---\ndlm_id: caf\xe9\n---\n")
    result = run("sections", str(bad), "--json")
    assert result.returncode == 1
    (problem,) = json.loads(result.stdout)["problems"]
    assert problem["code"] == "DLM000" and "byte 15" in problem["message"]
    missing = run("check", str(tmp_path / "nope.dlm"))
    assert missing.returncode == 1 and "No such file" in missing.stderr
