"""Minimal text edits: insert synthesized pairs after their source, and revert them.

Upstream rewrites the whole file canonically on `synth --apply` and `synth revert`,
which drops YAML comments and `::prose::` fences and moves section ids (spec 8.1,
8.3, 8.4). These planners touch only the lines they must instead:

- `plan_insert` puts one `::instruction::` section per pair *directly after* the
  source prose: at the line where the source's block ends (the next fence line, or
  the end of the body). Every line of the source, trailing blank lines included,
  stays where it is, so the source's content, and with it its id, is unchanged and
  the new markers' `source_section_id` is valid in the edited document. Between an
  inserted section and a following fence there is exactly one blank line; at the
  end of a file that ends with a newline nothing extra is added; a file without a
  final newline gets "\\n" + the sections and still no final newline.
- `plan_revert` deletes each auto-synth section's lines from its fence up to the
  next block (merging adjacent ranges). A range that runs to the end of a file with
  no final newline, right after a content line, also takes the newline before it
  (after a blank line that newline belongs to the previous section's content and
  stays). Insert followed by revert therefore gives back the original bytes.

Positions are 0-based lines and code-point columns of the normalised text
(`Document.text`); `new_text` uses LF.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .document import Document, TextChange, parse_text
from .grammar import parse_instruction
from .marker import SynthMarker, format_synth_marker, is_iso8601
from .model import SectionType
from .problems import Severity
from .sanitize import sanitize_pair
from .text import LineOffsets, Position, PositionEncoding
from .tokenizer import Block

INSTRUCTION_FENCE = "::instruction::"


class EditError(ValueError):
    """The requested edit cannot be made on this document."""


@dataclass(frozen=True, slots=True)
class TextEdit:
    """Replace [start, end) of the normalised text with `new_text`."""

    start: Position
    end: Position
    new_text: str


def apply_edits(text: str, edits: Iterable[TextEdit]) -> str:
    """`text` with non-overlapping `edits` applied (positions refer to `text`)."""
    offsets = LineOffsets(text.split("\n"))
    spans = sorted(
        ((offsets.offset(e.start), offsets.offset(e.end), e.new_text) for e in edits),
        key=lambda item: (item[0], item[1]),
    )
    pieces: list[str] = []
    cursor = 0
    for start, end, new_text in spans:
        if start < cursor or end < start:
            raise EditError("edits overlap or have an end before their start")
        pieces.append(text[cursor:start])
        pieces.append(new_text)
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)


def format_pair_section(question: str, answer: str, marker: SynthMarker) -> str:
    """One auto-synth section, ending in a newline. The pair must already be sanitised."""
    return f"{INSTRUCTION_FENCE}\n{format_synth_marker(marker)}\n### Q\n{question}\n### A\n{answer}\n"


def _source_block(doc: Document, source_section_id: str, chosen: Block | None) -> Block:
    for block in doc.blocks if chosen is None else (chosen,):
        section = block.section
        if section is not None and section.section_id == source_section_id:
            if section.type is not SectionType.PROSE:
                raise EditError(f"section {source_section_id} is a {section.type.value} section, not prose")
            return block
    raise EditError(f"no prose section with id {source_section_id} in this document")


def _marker(teacher: str, strategy: str, synth_at: str, source_id: str) -> SynthMarker:
    for name, value in (("teacher", teacher), ("strategy", strategy), ("synth_at", synth_at)):
        if not value:
            raise EditError(f"{name} must be non-empty")
        if '"' in value or any(ch in value for ch in "\n\r"):
            raise EditError(f"{name} cannot contain double quotes or line breaks: {value!r}")
    if not is_iso8601(synth_at):
        raise EditError(f"synth_at must be ISO-8601, got {synth_at!r}")
    return SynthMarker(teacher, strategy, synth_at, source_id)


def _per_pair(name: str, value: str | Sequence[str], count: int) -> list[str]:
    values = [value] * count if isinstance(value, str) else list(value)
    if len(values) != count:
        raise EditError(f"{len(values)} values of {name} given for {count} pairs")
    return values


def plan_insert(
    doc: Document,
    source_section_id: str,
    pairs: Sequence[tuple[str, str]],
    *,
    teacher: str | Sequence[str],
    strategy: str | Sequence[str],
    synth_at: str | Sequence[str],
    block: Block | None = None,
) -> list[TextEdit]:
    """Edits that add one auto-synth `::instruction::` section per pair right after
    the prose section `source_section_id` (the first with that id, or `block` when
    given: a block of `doc` whose section has that id).

    `teacher`, `strategy` and `synth_at` are each one value for every pair or one per
    pair (a `both` run inserts its extraction pairs, then its expansion pairs, in one
    edit; a staged plan may mix runs). Pairs are sanitised here (`sanitize_pair`, a
    fixed point, so sanitised input is fine); pairs that sanitise to nothing are
    dropped, and no pairs means no edits. When several prose sections share the id,
    the first is used. Raises EditError when the frontmatter block is not closed, the
    id names no prose section, the source is swallowed by an unterminated code block,
    or the marker values are unusable.
    """
    if doc.frontmatter.closer is None:
        raise EditError("the document has no valid `---` frontmatter block")
    block = _source_block(doc, source_section_id, block)
    if doc.open_code is not None and doc.open_code >= block.first:
        raise EditError("the source section ends inside an unterminated ``` code block")
    teachers = _per_pair("teacher", teacher, len(pairs))
    strategies = _per_pair("strategy", strategy, len(pairs))
    times = _per_pair("synth_at", synth_at, len(pairs))
    markers: list[SynthMarker] = []
    clean: list[tuple[str, str]] = []
    for (q, a), who, how, when in zip(pairs, teachers, strategies, times, strict=True):
        marker = _marker(who, how, when, source_section_id)
        pair = sanitize_pair(q, a)
        if pair is not None:
            clean.append(pair)
            markers.append(marker)
    if not clean:
        return []
    sections = [format_pair_section(q, a, m) for (q, a), m in zip(clean, markers, strict=True)]
    lines = doc.lines
    stop = block.stop
    if stop < doc.body_stop:
        # a fence follows: one blank line after every inserted section
        at = stop
        edit = TextEdit(Position(stop, 0), Position(stop, 0), "\n".join(sections) + "\n")
    elif stop < len(lines):
        # end of a file with a final newline: the last line is the empty one after it
        at = stop
        edit = TextEdit(Position(stop, 0), Position(stop, 0), "\n".join(sections))
    else:
        # end of a file without a final newline: keep it that way
        last = len(lines) - 1
        at = last + 1
        end = Position(last, len(lines[last]))
        edit = TextEdit(end, end, "\n" + "\n".join(sections)[:-1])
    _verify_insert(doc, edit, at, source_section_id, clean, markers)
    return [edit]


def _error_count(doc: Document) -> int:
    return sum(1 for p in doc.problems if p.severity is Severity.ERROR)


def _verify_insert(
    doc: Document,
    edit: TextEdit,
    at: int,
    source_id: str,
    pairs: list[tuple[str, str]],
    markers: list[SynthMarker],
) -> None:
    """Re-parse the result and check the promises made above. A failure is a bug;
    it is reported instead of producing a document that breaks them."""
    # the editor's buffer keeps a leading BOM that `doc.text` dropped
    after = parse_text(("\ufeff" if doc.bom else "") + apply_edits(doc.text, [edit]))
    sections = list(after.sections)
    first = next((i for i, s in enumerate(sections) if s.start_line - 1 >= at), len(sections))
    inserted = sections[first : first + len(pairs)]
    others = sections[:first] + sections[first + len(pairs) :]
    ok = (
        len(inserted) == len(pairs)
        and [s.section_id for s in others] == [s.section_id for s in doc.sections]
        and after.find(source_id) is not None
        and _error_count(after) == _error_count(doc)
        and all(
            s.type is SectionType.INSTRUCTION
            and s.auto_synth
            and (s.synth_teacher, s.synth_strategy, s.synth_at, s.source_section_id)
            == (m.synth_teacher, m.synth_strategy, m.synth_at, source_id)
            and [tuple(item.fields) for item in parse_instruction(s.content)[0]] == [pair]
            and parse_instruction(s.content)[1] is None
            for s, pair, m in zip(inserted, pairs, markers, strict=False)
        )
    )
    if not ok:
        raise EditError(f"internal error: inserting pairs after {source_id} would not round-trip")


def _synth_blocks(doc: Document, wanted: frozenset[str] | None) -> list[Block]:
    return [
        block
        for block in doc.blocks
        if block.section is not None
        and block.section.type is SectionType.INSTRUCTION
        and block.section.auto_synth
        and (wanted is None or block.section.section_id in wanted)
    ]


def plan_revert(doc: Document, section_id: str | Iterable[str] | None = None) -> list[TextEdit]:
    """Edits that remove every auto-synth instruction section, or only those whose id
    is `section_id` (one id or several; EditError if none matches). Every other byte
    stays put, so no other section's id changes."""
    wanted: frozenset[str] | None = None
    if section_id is not None:
        wanted = frozenset({section_id} if isinstance(section_id, str) else section_id)
    blocks = _synth_blocks(doc, wanted)
    if wanted is not None and not blocks:
        raise EditError(
            f"no auto-synth instruction section with id {', '.join(sorted(wanted))} in this document"
        )
    ranges: list[list[int]] = []
    for block in blocks:
        if ranges and ranges[-1][1] == block.first:
            ranges[-1][1] = block.stop
        else:
            ranges.append([block.first, block.stop])
    lines = doc.lines
    edits: list[TextEdit] = []
    for first, stop in ranges:
        last, before = len(lines) - 1, first - 1
        if stop < len(lines):
            edits.append(TextEdit(Position(first, 0), Position(stop, 0), ""))
        elif before >= 0 and lines[before]:
            # runs to the end of a file with no final newline, right after a content
            # line: take the newline before it too (the inverse of an insertion there);
            # the line before stays the last content line, so its section keeps its id
            edits.append(TextEdit(Position(before, len(lines[before])), Position(last, len(lines[last])), ""))
        else:
            # after a blank line that newline is part of the previous section's content
            edits.append(TextEdit(Position(first, 0), Position(last, len(lines[last])), ""))
    return edits


def line_break(doc: Document) -> str:
    """The line break the document mostly uses, so inserted lines match their
    neighbours in a CRLF (or CR) file."""
    original = doc.original
    if original is None:
        return "\n"
    crlf = original.count("\r\n")
    cr = original.count("\r") - crlf
    lf = original.count("\n") - crlf
    best = max((lf, "\n"), (crlf, "\r\n"), (cr, "\r"), key=lambda item: item[0])
    return best[1]


def editor_edits(
    doc: Document, edits: Iterable[TextEdit], encoding: PositionEncoding
) -> list[TextChange]:
    """`edits` in the editor's coordinates (`encoding` units, BOM counted) with the
    document's own line breaks, sorted from last to first so they can be applied
    one after another."""
    mapper = doc.mapper
    brk = line_break(doc)
    changes = []
    for edit in sorted(edits, key=lambda e: (e.start.line, e.start.column), reverse=True):
        start = mapper.to_editor(edit.start, encoding)
        end = mapper.to_editor(edit.end, encoding)
        text = edit.new_text if brk == "\n" else edit.new_text.replace("\n", brk)
        changes.append(TextChange(text, (*start, *end)))
    return changes


def render(doc: Document, edits: Iterable[TextEdit]) -> Document:
    """The document after `edits`, keeping its BOM and line breaks: what gets written
    back to a file (`result.source_text`)."""
    for change in editor_edits(doc, edits, PositionEncoding.UTF32):
        doc = doc.apply(change, PositionEncoding.UTF32)
    return doc
