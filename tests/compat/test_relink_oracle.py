"""Re-linking pairs to edited prose, judged by the upstream parser.

Pairs are inserted after each prose section (our `plan_insert`), then the prose is
edited (a sentence added, a word changed, a line re-flowed), which leaves their
markers naming the old ids. The quick fix's edit (`plan_relink` for one run) and the
document-wide action (`plan_relink` for all) must change nothing but those id
values, and upstream's parser must then agree with ours on every section and see
every re-linked marker naming a prose section that exists.
"""

from __future__ import annotations

import re

import pytest
from dlm_synth_lsp.document import SectionType, parse_text
from dlm_synth_lsp.document.edits import apply_edits, plan_insert
from dlm_synth_lsp.document.problems import Code
from dlm_synth_lsp.document.relink import plan_relink

from tests.compat.oracle import comparable, ours, shared_oracle

pytestmark = pytest.mark.oracle

FM = "---\ndlm_id: 01KPQ9X1000000000000000000\nbase_model: smollm2-135m\n---\n"
BODY = (
    "\n# Caching\n\nThe cache keeps 3 replicas per shard.\n\n"
    "::prose::\nReads go to the nearest replica;\nwrites go to all of them.\n\n"
    "::prose#tone::\nKeep answers short.\n"
)
MARK = dict(
    teacher="vllm-server:http://localhost:8000/", strategy="extraction", synth_at="2026-04-24T10:18:42Z"
)
EDITS = [
    ("The cache keeps 3 replicas per shard.", "The cache keeps 3 replicas per shard. Reads never block."),
    ("writes go to all of them.", "writes go to all of them, in order."),
    ("Reads go to the nearest replica;\nwrites", "Reads go to the nearest replica; writes"),
    ("Keep answers short.", "Keep answers short and kind."),
]
ID_VALUE = re.compile(r'source_section_id="[0-9a-f]{16}"')


def with_pairs() -> str:
    """BODY with two pairs after each prose section."""
    text = FM + BODY
    prose = [s.section_id for s in parse_text(text).sections if s.type is SectionType.PROSE]
    for n, source in enumerate(prose):
        doc = parse_text(text)
        pairs = [(f"Question {n}.{k}?", f"Answer {n}.{k}.") for k in range(2)]
        text = apply_edits(doc.text, plan_insert(doc, source, pairs, **MARK))
    return text


def upstream_agrees(text: str) -> dict[str, object]:
    found = shared_oracle().parse(text)
    assert comparable(found) == comparable(ours(text))
    assert not found["error"]
    return found


def markers_name_prose(parsed: dict[str, object]) -> bool:
    sections = parsed["sections"]
    assert isinstance(sections, list)
    prose = {s["section_id"] for s in sections if s["type"] == "prose"}
    return all(s["source_section_id"] in prose for s in sections if s["auto_synth"])


@pytest.mark.parametrize("edit", EDITS, ids=lambda e: e[1][:24])
def test_the_quick_fix_relinks_one_run_and_upstream_agrees(edit: tuple[str, str]) -> None:
    original = with_pairs()
    assert markers_name_prose(upstream_agrees(original))
    edited = original.replace(edit[0], edit[1], 1)
    doc = parse_text(edited)
    relinkable = [p for p in doc.problems if p.code is Code.SOURCE_EDITED]
    assert len(relinkable) == 2 and not [p for p in doc.problems if p.code is Code.STALE_PROVENANCE]
    fixed = apply_edits(doc.text, plan_relink(doc, relinkable[0].get("section_id")))
    # nothing but the two id values changed
    assert ID_VALUE.sub("", fixed) == ID_VALUE.sub("", edited)
    assert sum(a != b for a, b in zip(fixed.split("\n"), edited.split("\n"), strict=True)) == 2
    parsed = upstream_agrees(fixed)
    assert markers_name_prose(parsed)
    assert not [
        p for p in parse_text(fixed).problems if p.code in (Code.SOURCE_EDITED, Code.STALE_PROVENANCE)
    ]


def test_the_document_wide_action_relinks_every_run() -> None:
    edited = with_pairs()
    for old, new in (EDITS[0], EDITS[1], EDITS[3]):
        edited = edited.replace(old, new, 1)
    doc = parse_text(edited)
    assert len([p for p in doc.problems if p.code is Code.SOURCE_EDITED]) == 6
    assert not markers_name_prose(upstream_agrees(edited))
    fixed = apply_edits(doc.text, plan_relink(doc))
    assert ID_VALUE.sub("", fixed) == ID_VALUE.sub("", edited)
    assert markers_name_prose(upstream_agrees(fixed))
    assert [p.code for p in parse_text(fixed).problems] == []
