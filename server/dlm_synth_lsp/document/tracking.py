"""Ranges that follow the text through edits, the way an editor's decorations do.

A synthesis job runs for seconds to minutes while the user keeps typing. It must
land its pairs right after its source *as the source is when it lands*: re-flowed,
typed into, moved by edits above it, or split. Finding the source again by id or by
text breaks as soon as the user adds a word, so the server follows the source's
range through every change the client sends from the moment the job starts
(`follow`), then asks which section is the source now (`source_block`).

The source range runs from the start of the section's first content line to the end
of its last non-blank line (`section_span`). Its start stays put when text is
inserted exactly there and its end moves past it, so typing at either edge of the
paragraph stays inside it; text replaced across one edge joins the range. A range
that collapses, or keeps only blank text, was deleted.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from .document import Document, TextChange
from .model import Section, SectionType
from .outline import content_row, last_content_line
from .text import Position, PositionEncoding, Span, has_text
from .tokenizer import Block


@dataclass(frozen=True, slots=True)
class Edit:
    """One change in normalised coordinates: [start, end) replaced by `text` (LF line
    breaks only)."""

    start: Position
    end: Position
    text: str

    @property
    def inserted_end(self) -> Position:
        """Where the inserted text ends, after the edit."""
        breaks = self.text.count("\n")
        if breaks == 0:
            return Position(self.start.line, self.start.column + len(self.text))
        return Position(self.start.line + breaks, len(self.text) - self.text.rfind("\n") - 1)


def edit_of(doc: Document, change: TextChange, encoding: PositionEncoding) -> Edit | None:
    """`change` (editor units, relative to `doc`) as an `Edit`; None for a change no
    range can be followed through: a whole-text replacement, or inserted text with a
    lone CR (it may join a line break already there, so lines would not line up)."""
    if change.range is None:
        return None
    text = change.text.replace("\r\n", "\n") if "\r" in change.text else change.text
    if "\r" in text:
        return None
    line, char, end_line, end_char = change.range
    start = doc.mapper.from_editor(line, char, encoding)
    end = doc.mapper.from_editor(end_line, end_char, encoding)
    if (end.line, end.column) < (start.line, start.column):
        start, end = end, start
    return Edit(start, end, text)


def _before(a: Position, b: Position) -> bool:
    return (a.line, a.column) < (b.line, b.column)


def move(pos: Position, edit: Edit, *, stays_left: bool) -> Position:
    """Where `pos` is after `edit`. Text inserted exactly at `pos` goes after it when
    `stays_left` (a range's start), before it otherwise (a range's end). A position
    inside replaced text goes to the replacement's start when `stays_left`, its end
    otherwise, so the replacement joins the range."""
    start, end = edit.start, edit.end
    if _before(pos, start):
        return pos
    if pos == start and (stays_left or start != end):
        return pos
    if _before(pos, end):
        return start if stays_left else edit.inserted_end
    # at or after the end of the replaced text: shifted by the edit
    after = edit.inserted_end
    if pos.line == end.line:
        return Position(after.line, after.column + pos.column - end.column)
    return Position(pos.line + after.line - end.line, pos.column)


def follow(span: Span, edit: Edit) -> Span:
    """`span` after `edit`."""
    return Span(move(span.start, edit, stays_left=True), move(span.end, edit, stays_left=False))


def section_span(doc: Document, section: Section) -> Span:
    """What is followed for a prose section: its text, from the start of its first
    content line to the end of its last non-blank line."""
    last = last_content_line(doc, section)
    return Span(Position(content_row(section), 0), Position(last, len(doc.lines[last])))


def _is_source(block: Block) -> bool:
    section = block.section
    return section is not None and section.type is SectionType.PROSE and has_text(section.content)


def _block_index(doc: Document, line: int) -> int:
    """The index of the block holding 0-based `line`, else of the first block after it."""
    index = bisect.bisect_right(doc.firsts, line) - 1
    while index >= 0:
        block = doc.blocks[index]
        if block.first <= line < max(block.stop, block.first + 1):
            return index
        if block.stop <= line:
            break
        index -= 1
    return index + 1


def is_deleted(doc: Document, span: Span) -> bool:
    """The followed range collapsed or holds only blank text."""
    return span.start == span.end or not doc.text_in(span).strip()


def source_block(doc: Document, span: Span) -> Block | None:
    """The prose block that is the followed source now: the one holding the range's
    start, else the first non-empty prose block the range reaches (its start was
    joined into a section of another type); None when the range was deleted (it
    collapsed or holds only blank text) or no prose section holds any of it (the
    text was swallowed by another section)."""
    if is_deleted(doc, span):
        return None
    blocks = doc.blocks
    for index in range(_block_index(doc, span.start.line), len(blocks)):
        block = blocks[index]
        if block.first > span.end.line:
            break
        if block.stop > span.start.line and _is_source(block):
            return block
    return None
