"""The Document snapshot: full parse and incremental update.

A Document is immutable. An edit produces a new Document that shares every
unchanged Block (and so every unchanged Section object) with the old one; only the
blocks between the block before the edit and the first untouched boundary after it
are re-tokenised (see tokenizer.py for why that is sound).

Following the editor's text is the one thing that must never fail: an editor keeps
sending changes relative to its own text, and a model that missed one would place
every later edit (and every synthesized block) on the wrong line. So `apply` and the
parse functions never raise for any text; a parser failure (a bug) becomes a DLM090
problem on a Document that still holds the text.
"""

from __future__ import annotations

import bisect
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TypeVar, cast

from .frontmatter import Frontmatter
from .grammar import parse_instruction
from .marker import SYNTH_RE, source_attribute
from .model import Section, SectionType
from .problems import Code, Problem, Severity
from .text import (
    PositionEncoding,
    PositionMapper,
    Span,
    decode_bytes,
    normalize,
    units_to_chars,
)
from .tokenizer import Block, scan

_BREAK_RE = re.compile(r"\r\n|\r|\n")
T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TextChange:
    """An LSP-style content change: `range` is (line, character, end line, end
    character) in the editor's units, or None to replace the whole text."""

    text: str
    range: tuple[int, int, int, int] | None = None


def body_bounds(lines: Sequence[str], raw_first: int) -> tuple[int, int]:
    """Upstream's body trimming as line indices: one blank line after the closing
    `---` and one trailing newline are not part of any section."""
    first = raw_first
    if len(lines) - first >= 2 and lines[first] == "":
        first += 1
    stop = len(lines)
    if stop - first >= 2 and lines[-1] == "":
        stop -= 1
    return first, stop


class FirstLines:
    """The blocks' first lines, for bisecting: read through the blocks instead of
    copied into a list, which would cost a pass over every block per version."""

    __slots__ = ("_blocks",)

    def __init__(self, blocks: tuple[Block, ...]) -> None:
        self._blocks = blocks

    def __len__(self) -> int:
        return len(self._blocks)

    def __getitem__(self, index: int) -> int:
        return self._blocks[index].first


@dataclass(frozen=True)
class Document:
    lines: tuple[str, ...]
    frontmatter: Frontmatter
    body_first: int
    body_stop: int
    blocks: tuple[Block, ...]
    open_code: int | None
    #: the editor's text when it differs from the normalised one (BOM or CR present)
    original: str | None = None

    # ------------------------------------------------------------------ views
    @cached_property
    def text(self) -> str:
        return "\n".join(self.lines)

    @cached_property
    def sections(self) -> tuple[Section, ...]:
        return tuple([b.section for b in self.blocks if b.section is not None])

    @cached_property
    def firsts(self) -> FirstLines:
        return FirstLines(self.blocks)

    @property
    def bom(self) -> bool:
        return self.original is not None and self.original.startswith("\ufeff")

    @property
    def source_text(self) -> str:
        """The text as the editor holds it."""
        return self.original if self.original is not None else self.text

    @cached_property
    def mapper(self) -> PositionMapper:
        return PositionMapper(self.lines, self.bom)

    @cached_property
    def problems(self) -> tuple[Problem, ...]:
        found: list[Problem] = list(self.frontmatter.problems)
        for block_problems in [b.problems for b in self.blocks if b.problems]:
            found.extend(block_problems)
        if self.open_code is not None:
            found.append(
                Problem(
                    Code.UNTERMINATED_CODE,
                    Span.of(self.open_code, 0, self.open_code, len(self.lines[self.open_code])),
                    "unterminated triple-backtick code block in body: this ``` opens a code "
                    "block that is never closed, so no fence after it is recognised",
                )
            )
        found.extend(self._stale_provenance())
        found.sort(key=lambda p: (p.span.start.line, p.span.start.column))
        return tuple(found)

    # ------------------------------------------------------- identity and caches
    @cached_property
    def dlm_id(self) -> str | None:
        """The frontmatter's `dlm_id` (names the document's store), if it is a string."""
        return self._frontmatter_text("dlm_id")

    @cached_property
    def base_model(self) -> str | None:
        return self._frontmatter_text("base_model")

    def _frontmatter_text(self, key: str) -> str | None:
        value = (self.frontmatter.data or {}).get(key)
        return value if isinstance(value, str) and value else None

    @cached_property
    def instruction_pairs(self) -> tuple[tuple[tuple[str, str], Section], ...]:
        """Every Q/A pair of every instruction section, with its section, in order."""
        return tuple(
            ((item.fields[0], item.fields[1]), section)
            for section in self.sections
            if section.type is SectionType.INSTRUCTION
            for item in parse_instruction(section.content)[0]
        )

    def memo(self, key: str, compute: Callable[[], T]) -> T:
        """`compute()`, once per Document and `key`: answers derived from one version
        (an outline, the lenses) live and die with it, so nothing here needs evicting
        or can be served for another version."""
        cache = self._memo
        if key in cache:
            return cast("T", cache[key])
        value = cache[key] = compute()
        return value

    @cached_property
    def _memo(self) -> dict[str, object]:
        return {}

    @property
    def has_errors(self) -> bool:
        return any(p.severity is Severity.ERROR for p in self.problems)

    def section_at(self, line: int) -> Section | None:
        """The section owning 0-based line `line`, if any."""
        index = bisect.bisect_right(self.firsts, line) - 1
        while index >= 0:
            block = self.blocks[index]
            if block.first <= line < max(block.stop, block.first + 1):
                return block.section
            if block.stop <= line:
                return None
            index -= 1
        return None

    def text_in(self, span: Span) -> str:
        """The normalised text `span` covers, lines joined with "\\n"."""
        start, end = span.start, span.end
        lines = self.lines
        if start.line == end.line:
            return lines[start.line][start.column : end.column]
        middle = lines[start.line + 1 : end.line]
        return "\n".join([lines[start.line][start.column :], *middle, lines[end.line][: end.column]])

    def find(self, section_id: str) -> Section | None:
        for section in self.sections:
            if section.section_id == section_id:
                return section
        return None

    def _stale_provenance(self) -> list[Problem]:
        """DLM040 for an auto-synth section whose source id names no prose section;
        DLM041 instead when it sits in the run of auto-synth sections right after a
        non-empty prose section that no section of the run names: that prose was
        most likely edited after the pairs were made (`relink.py` re-links them)."""
        prose = {s.section_id for s in self.sections if s.type is SectionType.PROSE}
        stale: list[Problem] = []
        source: Section | None = None  # the prose section the current run follows
        run: list[Section] = []

        def end_run() -> None:
            edited = source is not None and not any(m.source_section_id == source.section_id for m in run)
            for member in run:
                if member.source_section_id not in prose:
                    stale.append(self._stale(member, source if edited else None))
            run.clear()

        for section in self.sections:
            if section.auto_synth:  # only instruction sections carry synth markers
                run.append(section)
                continue
            end_run()
            source = section if section.type is SectionType.PROSE and section.content.strip() else None
        end_run()
        return stale

    def _stale(self, section: Section, edited: Section | None) -> Problem:
        row = self._synth_marker_line(section)
        line = self.lines[row]
        found = source_attribute(line)
        span = Span.of(row, found[1], row, found[2]) if found else Span.of(row, 0, row, len(line))
        data = (("source_section_id", section.source_section_id or ""), ("section_id", section.section_id))
        if edited is None:
            return Problem(
                Code.STALE_PROVENANCE,
                span,
                f"stale provenance: source_section_id {section.source_section_id} matches "
                "no prose section in this document (the source was edited or removed)",
                data,
            )
        return Problem(
            Code.SOURCE_EDITED,
            span,
            f"source edited: the prose section above (line {edited.start_line}) changed after these pairs "
            f"were synthesized, so source_section_id {section.source_section_id} names its earlier text; "
            "the pairs may no longer match the new text: keep them (re-link to the edited paragraph) "
            "or regenerate them",
            (*data, ("relink_to", edited.section_id), ("run", str(edited.start_line))),
        )

    def _synth_marker_line(self, section: Section) -> int:
        fence = section.start_line - 1
        rows = range(fence + 1, fence + 1 + section.marker_lines)
        matches = [row for row in rows if SYNTH_RE.match(self.lines[row])]
        return matches[-1] if matches else fence

    # -------------------------------------------------------------- updates
    def apply(self, change: TextChange, encoding: PositionEncoding) -> Document:
        """The document after one LSP content change. Never raises: should the
        incremental update fail, the changed text is parsed from scratch (see the
        module docstring)."""
        try:
            return self._apply(change, encoding)
        except Exception as exc:  # a bug in the incremental path; the text must still follow
            log.error("incremental update failed (%s); parsing the changed text again", type(exc).__name__)
            if change.range is None:
                return parse_text(change.text)
            return parse_text(_splice_original(self, change, encoding))

    def _apply(self, change: TextChange, encoding: PositionEncoding) -> Document:
        if change.range is None:
            return parse_text(change.text)
        if self.original is not None or "\r" in change.text:
            return parse_text(_splice_original(self, change, encoding))
        line, char, end_line, end_char = change.range
        start = self.mapper.from_editor(line, char, encoding)
        end = self.mapper.from_editor(end_line, end_char, encoding)
        if (end.line, end.column) < (start.line, start.column):
            start, end = end, start
        lines = self.lines
        pieces = change.text.split("\n")
        pieces[0] = lines[start.line][: start.column] + pieces[0]
        pieces[-1] = pieces[-1] + lines[end.line][end.column :]
        new_lines = (*lines[: start.line], *pieces, *lines[end.line + 1 :])
        if new_lines[0].startswith("\ufeff"):
            # the text now starts with a BOM (inserted, or uncovered by a deletion)
            return parse_text("\n".join(new_lines))
        return self._reparse(new_lines, start.line, end.line, len(pieces))

    def _reparse(self, lines: tuple[str, ...], first: int, last: int, written: int) -> Document:
        """Re-tokenise after old lines [first, last] became `written` new lines."""
        closer = self.frontmatter.closer
        if closer is None or first <= closer + 2:
            return _build(lines, None)
        delta = written - (last - first + 1)
        body_first, body_stop = body_bounds(lines, closer + 1)
        old_firsts = self.firsts
        start = bisect.bisect_right(old_firsts, first - 1) - 1
        start = max(start, 0)
        written_last = first + written - 1

        def resync(index: int) -> bool:
            if index <= written_last:
                return False
            old = index - delta
            at = bisect.bisect_left(old_firsts, old)
            return at < len(old_firsts) and old_firsts[at] == old

        result = scan(
            lines,
            self.blocks[start].first if start > 0 else body_first,
            body_stop,
            leading_prose=start == 0,
            resync=resync,
        )
        if result.resumed_at is None:
            tail: tuple[Block, ...] = ()
            open_code = result.open_code
        else:
            old_index = bisect.bisect_left(old_firsts, result.resumed_at - delta)
            # several empty blocks can share a first line; resume at the fenced one
            while (
                old_index + 1 < len(old_firsts)
                and old_firsts[old_index + 1] == old_firsts[old_index]
            ):
                old_index += 1
            tail = (
                self.blocks[old_index:]
                if delta == 0
                else tuple([b.shifted(delta) for b in self.blocks[old_index:]])
            )
            open_code = None if self.open_code is None else self.open_code + delta
        blocks = (*self.blocks[:start], *result.blocks, *tail)
        return Document(lines, self.frontmatter, body_first, body_stop, blocks, open_code)


def _splice_original(doc: Document, change: TextChange, encoding: PositionEncoding) -> str:
    """Apply a ranged change to the editor's own text (CR line breaks or a BOM present):
    positions address the editor's lines, where CRLF, CR and LF each end a line."""
    assert change.range is not None
    original = doc.source_text
    starts = [0] + [m.end() for m in _BREAK_RE.finditer(original)]
    ends = [m.start() for m in _BREAK_RE.finditer(original)] + [len(original)]

    def offset(line: int, char: int) -> int:
        line = max(0, line)
        if line >= len(starts):
            return len(original)
        text = original[starts[line] : ends[line]]
        return starts[line] + units_to_chars(text, char, encoding)

    line, char, end_line, end_char = change.range
    a, b = sorted((offset(line, char), offset(end_line, end_char)))
    return original[:a] + change.text + original[b:]


def _build(lines: tuple[str, ...], original: str | None) -> Document:
    try:
        return _parse(lines, original)
    except Exception as exc:  # a parser bug: keep the text, report the failure
        log.error("parsing a document failed (%s)", type(exc).__name__)
        failure = Problem(
            Code.PARSE_FAILED,
            Span.line(lines, 0),
            f"this text could not be parsed ({type(exc).__name__}, a bug in dlm-synth-lsp: please "
            "report it); it is still followed, and sections come back with the next edit that parses",
        )
        frontmatter = Frontmatter(None, len(lines), None, (failure,))
        return Document(lines, frontmatter, len(lines), len(lines), (), None, original)


def _parse(lines: tuple[str, ...], original: str | None) -> Document:
    # imported on the first parse, not at start-up: the schema table (and rapidfuzz
    # for its suggestions) would add ~30 ms before the server can answer `initialize`
    from .schema import read_frontmatter

    frontmatter = read_frontmatter(lines)
    body_first, body_stop = body_bounds(lines, frontmatter.body_raw_first)
    if frontmatter.closer is None and frontmatter.body_raw_first >= len(lines):
        body_first = body_stop = len(lines)
    result = scan(lines, body_first, body_stop, leading_prose=True)
    return Document(
        lines,
        frontmatter,
        body_first,
        body_stop,
        tuple(result.blocks),
        result.open_code,
        original,
    )


def parse_text(text: str) -> Document:
    """Parse editor or file text. BOM and CR/CRLF are normalised as upstream's file
    reader does; the original is kept so editor positions still map."""
    normalised, bom = normalize(text)
    original = text if bom or "\r" in text else None
    return _build(tuple(normalised.split("\n")), original)


def parse_bytes(data: bytes, path: str | None = None) -> Document:
    """Parse file bytes; raises DlmEncodingError (only) for invalid UTF-8."""
    return parse_text(decode_bytes(data, path))
