"""Which section a followed source range leads to after the user's edits, and how
editor changes become edits in normalised coordinates."""

from __future__ import annotations

from dlm_synth_lsp.document import SectionType, parse_text
from dlm_synth_lsp.document.document import Document, TextChange
from dlm_synth_lsp.document.text import Position, PositionEncoding, Span
from dlm_synth_lsp.document.tracking import Edit, edit_of, follow, is_deleted, section_span, source_block

HEAD = "---\ndlm_id: 01KPQ9X1000000000000000003\n---\n"
DOC = HEAD + (
    "# Intro\n\nFirst paragraph.\n\n"
    "::prose::\nSecond paragraph,\ntwo lines.\n\n"
    "::instruction::\n### Q\nq\n### A\na\n"
)


def followed(
    doc: Document, title_line: str, *changes: tuple[tuple[int, int, int, int], str]
) -> tuple[Document, Span]:
    """The document after `changes` (utf-32 editor ranges) and the followed range of
    the prose section whose content contains `title_line`."""
    section = next(s for s in doc.sections if title_line in s.content)
    span = section_span(doc, section)
    for rng, text in changes:
        change = TextChange(text, rng)
        edit = edit_of(doc, change, PositionEncoding.UTF32)
        assert edit is not None
        span = follow(span, edit)
        doc = doc.apply(change, PositionEncoding.UTF32)
    return doc, span


def test_the_span_is_the_text_of_the_section() -> None:
    doc = parse_text(DOC)
    second = next(s for s in doc.sections if "Second" in s.content)
    span = section_span(doc, second)
    assert doc.text_in(span) == "Second paragraph,\ntwo lines."


def test_words_typed_at_the_start_and_end_stay_in_the_source() -> None:
    doc, span = followed(parse_text(DOC), "Second", ((8, 0, 8, 0), "New words. "), ((9, 10, 9, 10), " More."))
    assert doc.text_in(span) == "New words. Second paragraph,\ntwo lines. More."
    block = source_block(doc, span)
    assert block is not None and block.section is not None and "New words" in block.section.content


def test_a_new_prose_fence_inside_splits_and_the_first_half_is_the_source() -> None:
    doc, span = followed(parse_text(DOC), "Second", ((9, 0, 9, 0), "::prose::\n"))
    block = source_block(doc, span)
    assert block is not None and block.section is not None
    assert block.section.content.strip() == "Second paragraph,"


def test_a_deleted_source_leads_nowhere() -> None:
    doc, span = followed(parse_text(DOC), "Second", ((8, 0, 9, 10), ""))
    assert is_deleted(doc, span) and source_block(doc, span) is None


def test_a_source_joined_into_an_instruction_section_is_swallowed() -> None:
    text = HEAD + "::instruction::\n### Q\nq\n### A\na\n::prose::\nOnly prose.\n"
    doc, span = followed(parse_text(text), "Only prose", ((8, 1, 9, 0), ""))  # join the fence with the text
    assert not is_deleted(doc, span)
    assert all(s.type is not SectionType.PROSE for s in doc.sections)
    assert source_block(doc, span) is None


def test_a_start_joined_into_other_prose_leads_to_that_section() -> None:
    doc, span = followed(parse_text(DOC), "Second", ((7, 9, 8, 0), ""))  # `::prose::` + first line
    block = source_block(doc, span)
    assert block is not None and block.section is not None and "First paragraph" in block.section.content


def test_editor_units_and_crlf_become_normalised_edits() -> None:
    doc = parse_text("---\r\na: 1\r\n---\r\n😋 x\r\n")
    edit = edit_of(doc, TextChange("y\r\nz", (3, 3, 3, 3)), PositionEncoding.UTF16)
    assert edit == Edit(Position(3, 2), Position(3, 2), "y\nz")
    assert edit_of(doc, TextChange("lone\rcr", (3, 0, 3, 0)), PositionEncoding.UTF16) is None
    assert edit_of(doc, TextChange("all new"), PositionEncoding.UTF16) is None
