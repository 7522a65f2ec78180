"""The document's outline: what each section is called, which lines hold its pairs,
which prose ids exist, how many synthesized pairs point at each source.

Outline, hover, code lens, code actions and the synthesis pipeline all ask these
questions; the answers must stay cheap on a 1 MB document, so:

- a section's *summary* (title, item rows, code blocks) depends only on its type and
  content, which is exactly what its `section_id` hashes (media: path, plus the alt
  text in the key); summaries are kept by id in a bounded LRU (`memo.Lru`). An edit
  re-summarises only the sections it changed, and entries stay small (shortened
  titles and row numbers, never content).
- the document-wide *index* (prose by id, synthesized pairs per source, section
  starts) is one pass over `doc.sections`, kept on the Document (`Document.memo`).

Rows here are 0-based offsets into the content as split on "\\n", which is how the
tokenizer joined the document lines, so `content_row + offset` is a document line.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from .document import Document
from .fences import CODE_FENCE_PREFIX
from .grammar import Item, parse_instruction, parse_preference
from .memo import Lru
from .model import Section, SectionType
from .text import ODD_BREAKS, has_text, headline

#: a heading further down than this is not looked for (bounds the cost of a huge section)
HEADING_SCAN_LINES = 500

_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+|$)")
_ATX_CLOSE = re.compile(r"(?:^|[ \t]+)#+[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(?:=+|-+)[ \t]*$")


@dataclass(frozen=True, slots=True)
class ItemSummary:
    """One Q/A pair or preference triple: its clipped first field and rows."""

    name: str
    row: int  # the `### Q` / `### Prompt` header
    text_row: int  # the first line of the question / prompt text


@dataclass(frozen=True, slots=True)
class Summary:
    title: str  # never empty
    title_row: int  # the heading / first question line
    items: tuple[ItemSummary, ...] = ()
    code_blocks: tuple[tuple[int, int], ...] = ()  # ``` opener and closer rows (prose)


_summaries: Lru[tuple[str, str | None], Summary] = Lru(65536)


def summary(section: Section) -> Summary:
    """The section's summary, from the cache when its id was seen before. A media
    section's id covers only its path, so its alt text (its title) is in the key too."""
    return _summaries.get((section.section_id, section.media_alt), lambda: _summarise(section))


def _summarise(section: Section) -> Summary:
    kind = section.type
    if kind is SectionType.PROSE:
        return _prose_summary(section.content)
    if kind is SectionType.INSTRUCTION:
        return _items_summary(section.content, parse_instruction(section.content)[0], "(no Q/A pairs)")
    if kind is SectionType.PREFERENCE:
        return _items_summary(section.content, parse_preference(section.content)[0], "(no prompts)")
    # media: named by what the author wrote about the file
    label = section.media_alt or section.media_path or kind.value
    return Summary(headline(label) or kind.value, 0)


def _prose_summary(content: str) -> Summary:
    """First markdown heading (ATX or setext, outside code blocks), else the first
    non-blank line; plus the code blocks, for folding. The tokenizer's code rule
    (a line starting with ```) is used so our idea of "in code" matches the model's."""
    lines = content.split("\n")
    title: str | None = None
    title_row = 0
    first_text: tuple[int, str] | None = None
    blocks: list[tuple[int, int]] = []
    opener: int | None = None
    previous_text = False  # the line before was a non-blank paragraph line
    for row, line in enumerate(lines):
        if line.startswith(CODE_FENCE_PREFIX):
            if opener is None:
                opener = row
            else:
                blocks.append((opener, row))
                opener = None
            previous_text = False
            continue
        if opener is not None:
            continue
        if title is None and row < HEADING_SCAN_LINES:
            atx = _ATX.match(line)
            if atx is not None:
                text = _ATX_CLOSE.sub("", line[atx.end() :]).strip()
                if text:
                    title, title_row = text, row
            elif previous_text and _SETEXT.match(line) and first_text is not None:
                title, title_row = lines[row - 1].strip(), row - 1
            if first_text is None and has_text(line):
                first_text = (row, line.strip())
        previous_text = has_text(line) and _ATX.match(line) is None
    if title is None and first_text is not None:
        title_row, title = first_text
    return Summary(headline(title or "") or "(prose)", title_row, code_blocks=tuple(blocks))


def prose_title(text: str) -> str:
    """What prose is called: its first heading, else its first line (shortened)."""
    return _prose_summary(text).title


def _items_summary(content: str, items: list[Item], empty: str) -> Summary:
    if not items:
        first = next((row for row, line in enumerate(content.split("\n")) if line.strip()), 0)
        return Summary(empty, first)
    rows = _rows(content, [line for item in items for line in (item.line, item.line + 1)])
    summaries = tuple(
        ItemSummary(headline(item.fields[0]) or "(empty)", rows[2 * n], rows[2 * n + 1])
        for n, item in enumerate(items)
    )
    return Summary(summaries[0].name, summaries[0].text_row, summaries)


def _rows(content: str, numbers: list[int]) -> list[int]:
    """Map 1-based `str.splitlines()` line numbers to 0-based "\\n" rows. They are the
    same unless the content holds other line breaks (rare: \\r, \\x0c, U+2028, ...)."""
    if not ODD_BREAKS.search(content):
        return [n - 1 for n in numbers]
    starts: list[int] = []
    offset = 0
    for piece in content.splitlines(keepends=True):
        starts.append(offset)
        offset += len(piece)
    starts.append(offset)
    return [content.count("\n", 0, starts[min(n - 1, len(starts) - 1)]) for n in numbers]


# -- the document-wide index -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DocIndex:
    #: the first non-empty prose section with each id (ids repeat for equal content)
    prose: dict[str, Section]
    #: source id → (synthesized sections, their Q/A pairs) pointing at it
    synthesized: dict[str, tuple[int, int]]
    #: doc.sections' start lines, for bisecting
    starts: list[int]
    has_synth: bool
    has_prose: bool

    def source_of(self, section: Section) -> Section | None:
        """The prose section a synthesized section came from, if it still exists."""
        if section.source_section_id is None:
            return None
        return self.prose.get(section.source_section_id)

    def prose_above(self, doc: Document, line: int) -> Section | None:
        """The nearest non-empty prose section starting before 0-based `line`."""
        at = bisect.bisect_left(self.starts, line + 1) - 1
        sections = doc.sections
        while at >= 0:
            candidate = sections[at]
            if candidate.type is SectionType.PROSE and has_text(candidate.content):
                return candidate
            at -= 1
        return None


def index(doc: Document) -> DocIndex:
    """The document's index, computed once per Document (one pass over every
    section: features that run after each keystroke use the cheaper questions below)."""
    return doc.memo("outline.index", lambda: _build_index(doc))


def has_prose(doc: Document) -> bool:
    """Whether some prose section has text (usually answered by the first block)."""
    return doc.memo("outline.has_prose", lambda: any(_is_text(b.section) for b in doc.blocks))


def has_synth(doc: Document) -> bool:
    """Whether some section was synthesized (stops at the first one)."""
    return doc.memo(
        "outline.has_synth",
        lambda: any(b.section is not None and b.section.auto_synth for b in doc.blocks),
    )


def _is_text(section: Section | None) -> bool:
    return section is not None and section.type is SectionType.PROSE and has_text(section.content)


def _build_index(doc: Document) -> DocIndex:
    prose: dict[str, Section] = {}
    synthesized: dict[str, tuple[int, int]] = {}
    has_synth = False
    for section in doc.sections:
        if section.type is SectionType.PROSE:
            if section.section_id not in prose and has_text(section.content):
                prose[section.section_id] = section
        elif section.auto_synth and section.type is SectionType.INSTRUCTION:
            has_synth = True
            source = section.source_section_id or ""
            count, pairs = synthesized.get(source, (0, 0))
            synthesized[source] = (count + 1, pairs + len(summary(section).items))
    return DocIndex(
        prose,
        synthesized,
        [s.start_line - 1 for s in doc.sections],
        has_synth,
        bool(prose),
    )


def last_content_line(doc: Document, section: Section) -> int:
    """0-based last line of the section that is not blank (trailing blank lines
    belong to a section but are not worth folding or selecting)."""
    first = section.start_line - 1
    last = min(section.end_line, len(doc.lines)) - 1
    while last > first and not doc.lines[last].strip():
        last -= 1
    return max(last, first)


def content_row(section: Section) -> int:
    """0-based document line of the section's first content line."""
    return section.content_start_line - 1
