"""Incremental `Document.apply` must always agree with a full parse of the same text.

Hypothesis drives random edit sequences, in LSP positions of every encoding, over
documents built from the lines the tokenizer cares about (fences, ``` toggles,
markers, frontmatter, blank lines, astral characters, CR/CRLF, BOM). The expected
text after each edit comes from an independent reference splice (tests/property/_docs.py).
"""

from __future__ import annotations

import os

from dlm_synth_lsp.document.document import Document, TextChange, parse_text
from dlm_synth_lsp.document.text import PositionEncoding
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ._docs import BODY_LINES, FRONTMATTER, documents, from_lsp, inserted_text, line_starts, splice, to_lsp

ENCODINGS = list(PositionEncoding)


def assert_same(doc: Document, reference: str) -> None:
    full = parse_text(reference)
    assert doc.source_text == reference
    assert doc.lines == full.lines
    assert doc.frontmatter == full.frontmatter
    assert (doc.body_first, doc.body_stop) == (full.body_first, full.body_stop)
    assert doc.blocks == full.blocks
    assert doc.sections == full.sections
    assert doc.open_code == full.open_code
    assert doc.problems == full.problems


@st.composite
def edit(draw: st.DrawFn, reference: str) -> tuple[TextChange, PositionEncoding, str]:
    """One change and the reference text after it."""
    encoding = draw(st.sampled_from(ENCODINGS))
    new = draw(inserted_text())
    mode = draw(st.integers(0, 19))
    if mode == 0:
        return TextChange(new, None), encoding, new
    if mode <= 2:
        # raw positions, possibly past the end of a line or of the text, or inside a character
        count = len(line_starts(reference)[0])
        line = draw(st.integers(0, count + 1))
        units = draw(st.integers(0, 120))
        end_line = draw(st.integers(0, count + 1))
        end_units = draw(st.integers(0, 120))
    else:
        a = draw(st.integers(0, len(reference)))
        if draw(st.booleans()):
            b = min(len(reference), a + draw(st.integers(0, 12)))
        else:
            b = draw(st.integers(0, len(reference)))
        if draw(st.integers(0, 9)) == 0:
            a, b = b, a  # a reversed range
        line, units = to_lsp(reference, a, encoding)
        end_line, end_units = to_lsp(reference, b, encoding)
    start = from_lsp(reference, line, units, encoding)
    end = from_lsp(reference, end_line, end_units, encoding)
    expected = splice(reference, start, end, new)
    return TextChange(new, (line, units, end_line, end_units)), encoding, expected


@settings(
    max_examples=int(os.environ.get("DLM_PROPERTY_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(documents(), st.integers(10, 20), st.data())
def test_incremental_matches_full_parse(text: str, steps: int, data: st.DataObject) -> None:
    reference = text
    doc = parse_text(reference)
    assert_same(doc, reference)
    for _ in range(steps):
        change, encoding, reference = data.draw(edit(reference))
        doc = doc.apply(change, encoding)
        assert_same(doc, reference)


def _big_document() -> str:
    body = []
    for index in range(40):
        body += [
            "::prose::",
            f"# Heading {index}",
            f"Paragraph {index} with émoji 😀.",
            "```python",
            "::instruction::",
            "```",
            "",
            "::instruction::",
            "### Q",
            f"Question {index}?",
            "### A",
            f"Answer {index}.",
            "",
        ]
    return "\n".join([*FRONTMATTER, "", *body]) + "\n"


def test_unchanged_sections_are_reused_same_line_count() -> None:
    doc = parse_text(_big_document())
    row = doc.lines.index("Question 20?")
    col = len("Question 2")
    new = doc.apply(TextChange("X", (row, col, row, col + 1)), PositionEncoding.UTF16)
    assert new.text == doc.text.replace("Question 20?", "Question 2X?")
    assert len(new.sections) == len(doc.sections)
    changed = [i for i, (a, b) in enumerate(zip(doc.sections, new.sections, strict=True)) if a is not b]
    assert len(changed) == 1
    assert new.sections[changed[0]].content_start_line <= row + 1 <= new.sections[changed[0]].end_line
    assert new.sections == parse_text(new.text).sections


def test_sections_before_edit_are_reused_when_line_count_changes() -> None:
    doc = parse_text(_big_document())
    row = doc.lines.index("Question 20?")
    new = doc.apply(TextChange("more\nlines\n", (row, 0, row, 0)), PositionEncoding.UTF8)
    assert len(new.lines) == len(doc.lines) + 2
    assert new.sections == parse_text(new.text).sections
    before = [s for s in doc.sections if s.end_line < row]
    assert before
    for old, fresh in zip(before, new.sections, strict=False):
        assert old is fresh
    # sections after the edit are shifted copies, equal up to their line numbers
    after_old = [s for s in doc.sections if s.start_line > row + 1]
    after_new = new.sections[-len(after_old) :]
    for old, fresh in zip(after_old, after_new, strict=True):
        assert fresh == old.shifted(2)


def test_body_lines_pool_is_line_shaped() -> None:
    assert all("\n" not in line and "\r" not in line for line in BODY_LINES)
