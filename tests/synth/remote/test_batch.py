"""Provider batch APIs end to end: `synth instructions --batch` and `synth batch
status|collect|cancel` with the real openai and anthropic SDKs against the fake's
OpenAI Batch API (files + batches) and Anthropic Message Batches endpoints."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from dlm_synth_lsp.cli.main import main
from dlm_synth_lsp.document import parse_text

from tests.fakes.llm_server import FakeLLMServer
from tests.fakes.teacher_replies import passage_reply, user_text

DOC = """---
dlm_id: 01KPQ9X1000000000000000077
base_model: smollm2-135m
---
# Cache blocking

Tiled loops keep a block of A in the L2 cache. Each block is reused for a whole row of B.

::prose::
# Vector units

AVX-512 registers hold eight doubles. Two FMA units give sixteen flops per cycle.
"""

PROVIDERS = ["openai", "anthropic"]


@pytest.fixture
def doc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DLM_HOME", str(tmp_path / "home"))
    path = tmp_path / "notes.dlm"
    path.write_text(DOC)
    return path


def provider_env(provider: str, server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """Points the provider's SDK at the fake and returns the teacher selector."""
    if provider == "openai":
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-batch-key")
        monkeypatch.setenv("OPENAI_BASE_URL", server.openai_base_url)
        return "openai:gpt-test"
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-batch-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.anthropic_base_url)
    return "anthropic:claude-test"


def synth(*args: str) -> int:
    return main(["synth", *args])


def submit(doc: Path, teacher: str, *extra: str) -> int:
    return synth(
        "instructions", str(doc), "--teacher", teacher, "--filter", "dedup-only", "--per-section", "2",
        "--batch", "--json", "-q", *extra,
    )  # fmt: skip


def out_json(capsys: pytest.CaptureFixture[str]) -> Any:
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_submit_poll_collect(
    provider: str,
    doc: Path,
    server: FakeLLMServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server.default_reply = passage_reply
    teacher = provider_env(provider, server, monkeypatch)
    assert submit(doc, teacher, "--apply") == 0
    batch = out_json(capsys)["batch"]
    assert batch["submitted_now"] and batch["status"] == "in_progress"
    # one batch with one request per call, keyed by the reply cache's key
    [fake] = server.batches.values()
    assert fake.id == batch["id"] and len(fake.requests) == 2
    assert all(re.fullmatch(r"[0-9a-f]{64}", custom_id) for custom_id in fake.requests)
    assert server.generation_requests() == []  # nothing went out live
    assert doc.read_text() == DOC

    # a second run finds the batch asking for the same calls: no second batch
    assert submit(doc, teacher, "--apply") == 0
    again = out_json(capsys)["batch"]
    assert again["id"] == batch["id"] and not again["submitted_now"] and len(server.batches) == 1

    assert synth("batch", "status", "--json") == 0
    [listed] = out_json(capsys)["batches"]
    assert listed["id"] == batch["id"] and listed["status"] == "in_progress" and listed["requests"] == 2

    server.complete_batches()
    assert synth("batch", "collect", batch["id"], "--json", "-q") == 0
    result = out_json(capsys)
    assert result["outcome"]["kind"] == "applied" and result["outcome"]["written"] == 4
    assert result["report"]["teacher"] == teacher
    assert server.generation_requests() == []  # the answers came from the batch
    pairs = [pair for pair, s in parse_text(doc.read_text()).instruction_pairs if s.auto_synth]
    assert len(pairs) == 4
    assert synth("batch", "status", "--json") == 0
    assert out_json(capsys)["batches"][0]["status"] == "collected"

    # everything is answered now: another --batch run submits nothing and finds the
    # pairs already in the document
    assert submit(doc, teacher, "--apply") == 2
    assert out_json(capsys)["outcome"]["kind"] == "nothing-accepted"
    assert len(server.batches) == 1 and server.generation_requests() == []


@pytest.mark.parametrize("provider", PROVIDERS)
def test_wait_polls_until_the_batch_ends(
    provider: str,
    doc: Path,
    server: FakeLLMServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server.default_reply = passage_reply
    server.batch_polls = 3  # ends on the third status request
    teacher = provider_env(provider, server, monkeypatch)
    assert submit(doc, teacher, "--wait", "--poll-interval", "0.01") == 0
    result = out_json(capsys)
    assert result["outcome"]["kind"] == "staged" and result["outcome"]["staged"] == 4
    [fake] = server.batches.values()
    assert fake.polls >= 3


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_failed_request_is_reported_for_its_section(
    provider: str,
    doc: Path,
    server: FakeLLMServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def reply(request: Any) -> str:
        if "AVX-512" in user_text(request):
            raise RuntimeError("the model is overloaded")
        return passage_reply(request)

    server.default_reply = reply
    teacher = provider_env(provider, server, monkeypatch)
    assert submit(doc, teacher, "--dry-run") == 0
    batch_id = out_json(capsys)["batch"]["id"]
    server.complete_batches()
    assert synth("batch", "collect", batch_id, "--json", "-q") == 0
    result = out_json(capsys)
    assert result["report"]["accepted"] == 2
    [failed] = [r for r in result["rejected"] if r["reason"] == "teacher_failed"]
    assert "the model is overloaded" in failed["detail"] and failed["source_title"] == "Vector units"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_cancel(
    provider: str,
    doc: Path,
    server: FakeLLMServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server.default_reply = passage_reply
    teacher = provider_env(provider, server, monkeypatch)
    assert submit(doc, teacher) == 0
    batch_id = out_json(capsys)["batch"]["id"]
    assert synth("batch", "cancel", batch_id, "--json") == 0
    record = out_json(capsys)["batch"]
    assert record["status"] in ("cancelled", "canceling")
    assert server.batches[batch_id].status in ("cancelled", "ended")
    assert synth("batch", "status", batch_id, "--json") == 0
    assert out_json(capsys)["batches"][0]["status"] in ("cancelled", "ended")
    # a cancelled batch is not waited for again: the next --batch run submits anew
    assert submit(doc, teacher) == 0
    assert out_json(capsys)["batch"]["submitted_now"] and len(server.batches) == 2


def test_batch_needs_a_provider_with_a_batch_api(
    doc: Path, server: FakeLLMServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert submit(doc, f"vllm-server:{server.url}") == 2
    assert "--batch needs an openai: or anthropic: teacher" in capsys.readouterr().err
    assert synth("instructions", str(doc), "--batch") == 2  # the default teacher (auto) is local
    assert "--batch needs an openai: or anthropic: teacher" in capsys.readouterr().err


def test_collecting_an_unknown_batch_is_a_usage_error(doc: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert synth("batch", "collect", "batch_nope") == 2
    assert "no batch batch_nope is recorded" in capsys.readouterr().err


def test_keys_stay_out_of_the_batch_record(
    doc: Path, server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    server.default_reply = passage_reply
    teacher = provider_env("openai", server, monkeypatch)
    assert submit(doc, teacher) == 0
    batch_id = out_json(capsys)["batch"]["id"]
    server.complete_batches()
    assert synth("batch", "collect", batch_id, "-q") == 0
    home = Path(doc.parent / "home")
    for path in home.rglob("*"):
        if path.is_file():
            assert "sk-test-batch-key" not in path.read_text(errors="replace"), path
