"""The CLI with local models: `hf:` and `self` teachers and the `sway` judge, on the
tiny model built in-process (its output is junk by design, so these runs exercise
loading, prompting and the invalid-reply path, and the judge's decisions)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from dlm_synth_lsp.cli.main import main

from tests.fakes.llm_server import FakeLLMServer, fake_llm_server
from tests.fakes.teacher_replies import passage_reply

from .conftest import DLM_ID


def _doc(tmp_path: Path, base: str) -> Path:
    path = tmp_path / "notes.dlm"
    path.write_text(
        f"---\ndlm_id: {DLM_ID}\nbase_model: {base}\n---\n# Caches\n\n"
        "The L2 cache holds one megabyte per core. Blocking keeps tiles resident.\n"
    )
    return path


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with fake_llm_server(default_reply=passage_reply) as fake:
        yield fake


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DLM_SYNTH_CACHE_DIR", str(tmp_path / "cache"))


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, object]]:
    code = main(["synth", "instructions", *args, "--json", "-q", "--dry-run", "--threads", "1"])
    return code, json.loads(capsys.readouterr().out)


def test_hf_teacher_junk_reply_is_reported_not_crashed(
    tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _doc(tmp_path, "smollm2-135m")
    code, result = run_json(
        capsys, str(doc), "--teacher", f"hf:{tiny_model_dir}", "--filter", "none", "--max-new-tokens", "12"
    )
    assert code == 2  # nothing accepted
    assert result["status"] == "completed"
    assert result["report"]["teacher"] == f"hf:{tiny_model_dir}"  # type: ignore[index]
    assert result["report"]["usage"]["output_tokens"] > 0  # type: ignore[index]
    assert [r["reason"] for r in result["rejected"]] == ["invalid_output"]  # type: ignore[union-attr]


def test_self_teacher_with_sway_judge(
    tiny_model_dir: Path, trained_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _doc(tmp_path, f"hf:{tiny_model_dir}")
    code, result = run_json(capsys, str(doc), "--home", str(trained_home), "--max-new-tokens", "12")
    assert code == 2
    assert result["report"]["teacher"] == "self"  # type: ignore[index]
    assert result["rejected"][0]["reason"] == "invalid_output"  # type: ignore[index]


def test_sway_judges_every_candidate(
    tiny_model_dir: Path,
    trained_home: Path,
    tmp_path: Path,
    server: FakeLLMServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    doc = _doc(tmp_path, f"hf:{tiny_model_dir}")
    code, result = run_json(
        capsys,
        str(doc),
        "--home",
        str(trained_home),
        "--teacher",
        f"vllm-server:{server.url}",
        "--per-section",
        "3",
        "--filter",
        "sway",
        "--threshold",
        "0",
    )
    report = result["report"]
    judged = report["generated"] - report["deduped"]  # type: ignore[index]
    assert report["judged"] == judged >= 2  # type: ignore[index]
    reasons = [r["reason"] for r in result["rejected"]]  # type: ignore[union-attr]
    judged_out = [r for r in reasons if r in ("judge_disfavored", "below_threshold")]
    assert len(result["accepted"]) + len(judged_out) == judged  # type: ignore[arg-type]
    assert code == (0 if result["accepted"] else 2)


def test_sway_without_adapter_fails_before_any_teacher_call(
    tiny_model_dir: Path, tmp_path: Path, server: FakeLLMServer, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _doc(tmp_path, f"hf:{tiny_model_dir}")
    code = main(
        [
            "synth",
            "instructions",
            str(doc),
            "--home",
            str(tmp_path / "empty"),
            "--teacher",
            f"vllm-server:{server.url}",
            "--filter",
            "sway",
            "-q",
        ]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert "sway judge needs a trained adapter" in err
    assert "(choose the filter with --filter)" in err  # the command line names its flag
    assert server.generation_requests() == []
