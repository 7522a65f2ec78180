"""Turning recorded teacher exchanges into the benchmark's call and pair records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dlm_synth_lsp.document import parse_text
from dlm_synth_lsp.synth.pipeline import select_sources
from dlm_synth_lsp.synth.prompts import build_prompt

from bench.quality import generate
from bench.quality.generate import Settings, build_records, expected_calls, match_exchanges
from bench.quality.proxy import Exchange
from bench.quality.records import pair_id, read_jsonl, write_jsonl
from tests.compat.oracle import require_oracle

DOC = """---
dlm_id: 01KQ9C0RP5000000000000000Z
dlm_version: 15
base_model: smollm2-135m
---

bzip2 compresses files in blocks, usually 900 kbytes long. Each block is handled
independently, and each block carries its own 32-bit CRC.

::prose::

The flags -1 through -9 specify the block size to be 100,000 bytes through 900,000 bytes.
"""


def exchange(system: str, user: str, reply: str, *, gone: bool = False) -> Exchange:
    return Exchange(
        tag={},
        request={"messages": [{"role": "system", "content": system}, {"role": "user", "content": user}]},
        status=200,
        response={
            "choices": [{"message": {"content": reply}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 50, "completion_tokens": 20},
        },
        wall_s=2.0,
        started=0.0,
        client_gone=gone,
    )


def reply(*pairs: tuple[str, str]) -> str:
    return json.dumps([{"question": q, "answer": a} for q, a in pairs])


@pytest.fixture
def doc(tmp_path: Path) -> Path:
    path = tmp_path / "blocks.dlm"
    path.write_text(DOC, encoding="utf-8")
    return path


def settings(doc: Path, strategy: str, per_section: int = 2) -> Settings:
    return Settings(
        Path("/models/m.gguf"), doc.parent / "run.jsonl", ["ours"], [strategy], per_section, [doc]
    )


def test_ours_exchanges_match_their_calls_by_exact_prompt(doc: Path) -> None:
    sources = select_sources(parse_text(doc.read_text()))
    calls = expected_calls(sources, "both", 3)
    assert [(c.source.section_id, c.strategy, c.n) for c in calls] == [
        (sources[0].section_id, "extraction", 2),
        (sources[0].section_id, "expansion", 1),
        (sources[1].section_id, "extraction", 2),
        (sources[1].section_id, "expansion", 1),
    ]
    prompts = [build_prompt(c.strategy, c.n, c.source.text) for c in calls]  # type: ignore[arg-type]
    # a retry of call 1 and the calls in order
    exchanges = [exchange(p.system, p.user, "[]") for p in (prompts[0], prompts[1], prompts[1], prompts[2])]
    matched = match_exchanges("ours", calls, exchanges)
    assert {i: len(v) for i, v in matched.items()} == {0: 1, 1: 2, 2: 1}


def test_build_records_marks_budget_filters_and_cli_agreement(doc: Path) -> None:
    require_oracle()
    sources = select_sources(parse_text(doc.read_text()))
    first, second = (build_prompt("extraction", 2, s.text) for s in sources)
    replies = [
        # three pairs for a budget of two: the third is an extra; the second answer invents a figure
        "Sure! Here they are:\n"
        + reply(
            ("How long are bzip2 blocks usually?", "Usually 900 kbytes long."),
            ("What checksum does each bzip2 block carry?", "A 64-bit CRC."),
            ("Are bzip2 blocks handled independently?", "Yes, each block is handled independently."),
        ),
        # the same first pair again (a near-duplicate within the document run)
        reply(("How long are bzip2 blocks usually?", "Usually 900 kbytes long.")),
    ]
    exchanges = [
        exchange(first.system, first.user, replies[0]),
        exchange(second.system, second.user, replies[1]),
    ]
    cli = {
        "status": "completed",
        "accepted": [
            {"question": "How long are bzip2 blocks usually?", "answer": "Usually 900 kbytes long."},
            {"question": "What checksum does each bzip2 block carry?", "answer": "A 64-bit CRC."},
            {"question": "How long are bzip2 blocks usually?", "answer": "Usually 900 kbytes long."},
        ],
    }
    replies_pairs = [(p["question"], p["answer"]) for p in cli["accepted"]]
    records = build_records(
        settings(doc, "extraction"), "ours", "extraction", doc, exchanges, (0, json.dumps(cli), ""), 5.0, None
    )
    calls = [r for r in records if r["kind"] == "call"]
    pairs = [r for r in records if r["kind"] == "pair"]
    (done,) = [r for r in records if r["kind"] == "doc"]
    assert [c["ours_parse"]["valid"] for c in calls] == [3, 1]
    assert calls[0]["upstream_parse"]["ok"] is False  # the preamble: upstream rejects the reply
    assert calls[1]["upstream_parse"]["ok"] is True
    assert [c["completion_tokens"] for c in calls] == [20, 20]
    assert [p["within_budget"] for p in pairs] == [True, True, False, True]
    # what the pipeline accepts: the extra stands in where grounded rejected the invented figure
    assert [p["accepted"] for p in pairs] == [
        {"none": True, "dedup-only": True, "grounded": True},
        {"none": True, "dedup-only": True, "grounded": False},  # 64 is not in the passage
        {"none": False, "dedup-only": False, "grounded": True},  # beyond the budget, stands in
        {"none": True, "dedup-only": False, "grounded": False},  # duplicate of the first
    ]
    # each filter's own verdict, budget aside
    assert [p["verdicts"] for p in pairs] == [
        {"none": True, "dedup-only": True, "grounded": True},
        {"none": True, "dedup-only": True, "grounded": False},
        {"none": True, "dedup-only": True, "grounded": True},
        {"none": True, "dedup-only": False, "grounded": False},
    ]
    assert [p["n"] for p in pairs] == [2, 2, 2, 2]
    # a label belongs to a pair *and* its passage: the same pair from another section is another item
    assert pairs[0]["id"] == pair_id(sources[0].text, *replies_pairs[0]) != pairs[3]["id"]
    assert done["cli_matches_records"] is True and done["calls_recorded"] == 2


def test_build_records_keeps_no_pairs_from_a_reply_the_tool_gave_up_on(
    doc: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        generate,
        "upstream_parse",
        lambda texts: [{"ok": True, "pairs": [["q", "a"]], "error": None}] * len(texts),
    )
    sources = select_sources(parse_text(doc.read_text()))
    user = f"... {sources[0].text} ..."
    exchanges = [exchange("upstream system", user, reply(("q", "a")), gone=True)]
    s = Settings(Path("/m.gguf"), doc.parent / "run.jsonl", ["upstream"], ["extraction"], 3, [doc])
    records = build_records(s, "upstream", "extraction", doc, exchanges, (1, "", "timed out"), 9.0, [])
    calls = [r for r in records if r["kind"] == "call"]
    assert [c["client_gone"] for c in calls] == [True, False]
    assert calls[1]["error"].startswith("not run")
    assert not [r for r in records if r["kind"] == "pair"]


def test_llama_timings_reads_the_per_call_performance_lines_in_order() -> None:
    log = """Llama.generate: 131 prefix-match hit, remaining 281 prompt tokens to eval
llama_perf_context_print:        load time =       1.08 ms
llama_perf_context_print: prompt eval time =   17265.06 ms /   281 tokens (…)
llama_perf_context_print:        eval time =   26321.22 ms /   228 runs (…)
llama_perf_context_print:       total time =   44293.53 ms /   509 tokens
INFO:     127.0.0.1:60680 - "POST /v1/chat/completions HTTP/1.1" 200 OK
llama_perf_context_print: prompt eval time =     900.00 ms /    30 tokens (…)
llama_perf_context_print:        eval time =    1000.00 ms /    10 runs (…)
"""
    assert generate.llama_timings(log) == [
        {"prompt_eval_ms": 17265.06, "prompt_eval_tokens": 281, "eval_ms": 26321.22, "eval_tokens": 228},
        {"prompt_eval_ms": 900.0, "prompt_eval_tokens": 30, "eval_ms": 1000.0, "eval_tokens": 10},
    ]


def test_refilter_recomputes_decisions_of_a_stored_run(tmp_path: Path) -> None:
    passage = "bzip2 compresses files in blocks, usually 900 kbytes long."
    raw = reply(
        ("How long are bzip2 blocks?", "900 kbytes."), ("How long are bzip2 blocks?", "About 64 kbytes.")
    )
    base = {"system": "ours", "model": "m", "strategy": "extraction", "document": "d"}
    call = {**base, "kind": "call", "call_index": 0, "n": 1, "raw_reply": raw}
    pairs = [
        {**base, "kind": "pair", "call_index": 0, "item_index": i, "within_budget": i < 1, "question": q,
         "answer": a, "call_strategy": "extraction", "source_text": passage,
         "filters": {"none": True, "dedup-only": True, "grounded": True}}  # an older run's field
        for i, (q, a) in enumerate([("How long are bzip2 blocks?", "900 kbytes."),
                                     ("How long are bzip2 blocks?", "About 64 kbytes.")])
    ]  # fmt: skip
    run = tmp_path / "run.jsonl"
    write_jsonl(run, [call, *pairs, {**base, "kind": "doc"}])
    assert generate.refilter(run) == []
    stored = list(read_jsonl(run))
    new_pairs = [r for r in stored if r["kind"] == "pair"]
    assert all("filters" not in p and p["n"] == 1 for p in new_pairs)
    assert [p["accepted"]["none"] for p in new_pairs] == [True, False]
    assert [p["verdicts"]["dedup-only"] for p in new_pairs] == [True, False]  # same question twice
    assert new_pairs[1]["grounding"]["ok"] is False
    (new_call,) = [r for r in stored if r["kind"] == "call"]
    assert new_call["ours_parse_now"] == {"error": None, "valid": 2, "rejected": [], "same_pairs": True}
