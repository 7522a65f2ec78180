"""Folding ranges (`textDocument/foldingRange`): the frontmatter, each section, and
the code blocks inside prose.

Lines only (no characters), so no position encoding is involved. A section's fold
stops at its last non-blank line: folding the blank lines that separate it from
the next fence would hide the separation, and editors show the fold's last line.
"""

from __future__ import annotations

from functools import partial

from lsprotocol import types as lsp

from ...document import Document
from ...document.memo import Lru
from ...document.model import Section, SectionType
from ...document.outline import content_row, last_content_line, summary

REGION = lsp.FoldingRangeKind.Region

#: a section's folds depend on the section alone (it carries its lines): kept across
#: versions, so a keystroke re-folds one section (and the server reuses their JSON)
_made: Lru[Section, tuple[lsp.FoldingRange, ...]] = Lru(50_000)


def folding_ranges(doc: Document) -> list[lsp.FoldingRange]:
    return list(doc.memo("folding", lambda: _folding_ranges(doc)))


def _folding_ranges(doc: Document) -> list[lsp.FoldingRange]:
    ranges: list[lsp.FoldingRange] = []
    closer = doc.frontmatter.closer
    if closer is not None and closer > 0:
        ranges.append(lsp.FoldingRange(start_line=0, end_line=closer, kind=REGION))
    for section in doc.sections:
        ranges += _made.get(section, partial(_section_folds, doc, section))
    return ranges


def _section_folds(doc: Document, section: Section) -> tuple[lsp.FoldingRange, ...]:
    folds: list[lsp.FoldingRange] = []
    first = section.start_line - 1
    last = last_content_line(doc, section)
    if last > first:
        folds.append(lsp.FoldingRange(start_line=first, end_line=last, kind=REGION))
    if section.type is SectionType.PROSE:
        top = content_row(section)
        folds.extend(
            lsp.FoldingRange(start_line=top + opener, end_line=top + closer_row, kind=REGION)
            for opener, closer_row in summary(section).code_blocks
        )
    return tuple(folds)
