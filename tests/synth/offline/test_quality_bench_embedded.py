"""The quality benchmark's embedded run: our prompts through the product's own `local:`
teacher, recorded as a server run would be (bench/quality/generate.py)."""

from __future__ import annotations

from pathlib import Path

from dlm_synth_lsp.document import parse_text
from dlm_synth_lsp.synth.pipeline import select_sources
from dlm_synth_lsp.synth.prompts import build_prompt

from bench.quality.generate import EMBEDDED, Settings, generate_embedded
from bench.quality.records import read_jsonl

DOC = """---
dlm_id: 01KQ9C0RP5000000000000000Z
dlm_version: 15
base_model: smollm2-135m
---

bzip2 compresses files in blocks, usually 900 kbytes long. Each block is handled
independently, and each block carries its own 32-bit CRC.
"""


def test_embedded_run_records_each_call_with_its_exact_prompt_and_resumes(
    smol_path: Path, tmp_path: Path, fresh_engine: None
) -> None:
    doc = tmp_path / "blocks.dlm"
    doc.write_text(DOC, encoding="utf-8")
    run = tmp_path / "run.jsonl"
    settings = Settings(smol_path, run, [EMBEDDED], ["extraction"], 2, [doc], threads=1)

    generate_embedded(settings)

    records = list(read_jsonl(run))
    calls = [r for r in records if r["kind"] == "call"]
    docs = [r for r in records if r["kind"] == "doc"]
    assert len(calls) == 1 and len(docs) == 1
    call = calls[0]
    (source,) = select_sources(parse_text(DOC))
    prompt = build_prompt("extraction", 2, source.text)
    assert (call["system"], call["system_prompt"], call["user_prompt"]) == (
        EMBEDDED,
        prompt.system,
        prompt.user,
    )
    assert call["http_status"] == 200 and call["raw_reply"]
    assert call["completion_tokens"] > 0 and call["prompt_tokens"] > 0
    # the reply was generated under the schema's grammar: it reads as a JSON list
    assert call["raw_reply"].lstrip().startswith("[")
    assert docs[0]["calls_recorded"] == 1 and docs[0]["exit_code"] == 0
    assert all(p["system"] == EMBEDDED and p["source_text"] for p in records if p["kind"] == "pair")

    generate_embedded(settings)  # the document is done: nothing is asked again
    assert list(read_jsonl(run)) == records
