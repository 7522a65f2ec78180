"""Folding ranges (`textDocument/foldingRange`): the frontmatter, each section, and
the code blocks inside prose.

Lines only (no characters), so no position encoding is involved. A section's fold
stops at its last non-blank line: folding the blank lines that separate it from
the next fence would hide the separation, and editors show the fold's last line.
"""

from __future__ import annotations

from lsprotocol import types as lsp

from ...document import Document
from ...document.model import SectionType
from ...document.outline import content_row, last_content_line, summary


def folding_ranges(doc: Document) -> list[lsp.FoldingRange]:
    return list(doc.memo("folding", lambda: _folding_ranges(doc)))


def _folding_ranges(doc: Document) -> list[lsp.FoldingRange]:
    region = lsp.FoldingRangeKind.Region
    ranges: list[lsp.FoldingRange] = []
    closer = doc.frontmatter.closer
    if closer is not None and closer > 0:
        ranges.append(lsp.FoldingRange(start_line=0, end_line=closer, kind=region))
    for section in doc.sections:
        first = section.start_line - 1
        last = last_content_line(doc, section)
        if last > first:
            ranges.append(lsp.FoldingRange(start_line=first, end_line=last, kind=region))
        if section.type is SectionType.PROSE:
            top = content_row(section)
            ranges.extend(
                lsp.FoldingRange(start_line=top + opener, end_line=top + closer_row, kind=region)
                for opener, closer_row in summary(section).code_blocks
            )
    return ranges
