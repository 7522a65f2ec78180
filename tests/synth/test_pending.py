"""The staged plan: upstream's exact format, read back by us and by upstream."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dlm_synth_lsp.document import parse_text
from dlm_synth_lsp.synth.errors import PendingSynthPlanError
from dlm_synth_lsp.synth.staging import (
    MarkedPair,
    current_adapter,
    dlm_home,
    load_plan,
    pending_path,
    save_plan,
)

from tests.compat.oracle import Oracle, upstream_cli

DOC = """---
dlm_id: 01KPQ9X1000000000000000001
base_model: smollm2-135m
---
# Caches

The L2 cache holds 1 MiB per core.
"""


def _pairs(source_id: str) -> list[MarkedPair]:
    return [
        MarkedPair(
            "How big is L2?",
            "1 MiB per core — “ü”",
            source_id,
            "vllm-server:http://x/",
            "extraction",
            "2026-11-24T10:00:00Z",
        ),
        MarkedPair(
            "Why [care]?",
            "Locality.\nMore.",
            source_id,
            "vllm-server:http://x/",
            "expansion",
            "2026-11-24T10:00:00Z",
        ),
    ]


def test_format_matches_upstreams(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    source = tmp_path / "doc.dlm"
    save_plan(path, source, _pairs("0123456789abcdef"))
    raw = path.read_text(encoding="utf-8")
    assert raw.endswith("}\n") and raw.isascii()  # ASCII escapes, like upstream
    data = json.loads(raw)
    assert sorted(data) == ["created_at", "schema_version", "sections", "source_path"]
    assert data["schema_version"] == 1 and data["source_path"] == str(source.resolve())
    assert data["created_at"].endswith("Z")
    section = data["sections"][0]
    assert len(section) == 22 and section["type"] == "instruction" and section["auto_synth"] is True
    assert section["content"] == "### Q\nHow big is L2?\n### A\n1 MiB per core — “ü”"
    assert json.dumps(data, indent=2, sort_keys=True) + "\n" == raw


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    pairs = _pairs("0123456789abcdef")
    save_plan(path, tmp_path / "d.dlm", pairs)
    plan = load_plan(path)
    assert plan is not None and list(plan.pairs) == pairs
    assert load_plan(tmp_path / "missing.json") is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "staged synth plan is not valid JSON"),
        ("[]", "staged synth plan must be a JSON object"),
        ('{"schema_version": 2}', "unsupported staged synth plan schema_version=2"),
        (
            '{"schema_version": 1, "created_at": "x", "sections": []}',
            "staged synth plan is missing source_path",
        ),
        (
            '{"schema_version": 1, "created_at": "x", "source_path": "p", "sections": '
            '[{"type": "instruction", "auto_synth": true, "content": "no grammar"}]}',
            "invalid section payload at index 0",
        ),
    ],
)
def test_load_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "p.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(PendingSynthPlanError, match=message.replace("[", r"\[")):
        load_plan(path)


def test_store_paths_follow_dlm_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DLM_HOME", str(tmp_path / "home"))
    assert dlm_home() == (tmp_path / "home").resolve()
    assert pending_path("ID") == (tmp_path / "home").resolve() / "store" / "ID" / "synth" / "pending.json"
    assert current_adapter("ID") is None
    store = tmp_path / "home" / "store" / "ID"
    (store / "adapter" / "versions" / "v0001").mkdir(parents=True)
    (store / "adapter" / "current.txt").write_text("adapter/versions/v0001\n")
    assert current_adapter("ID") == (store / "adapter" / "versions" / "v0001").resolve()
    (store / "adapter" / "current.txt").write_text("../../../etc\n")
    with pytest.raises(ValueError, match="outside the store"):
        current_adapter("ID")
    with pytest.raises(ValueError):
        pending_path("../x")


@pytest.mark.oracle
def test_upstream_lists_our_staged_plan(oracle: Oracle, tmp_path: Path) -> None:
    doc_path = tmp_path / "doc.dlm"
    doc_path.write_text(DOC, encoding="utf-8")
    source_id = parse_text(DOC).sections[0].section_id
    home = tmp_path / "home"
    save_plan(pending_path("01KPQ9X1000000000000000001", home), doc_path, _pairs(source_id))
    done = upstream_cli("synth", "list", str(doc_path), env={"DLM_HOME": str(home), "COLUMNS": "300"})
    assert done.returncode == 0, done.stderr
    assert "staged pending:     2" in done.stdout
    assert "by strategy:" in done.stdout and "extraction: 1" in done.stdout and "expansion: 1" in done.stdout
