"""Code lenses (`textDocument/codeLens`), computed in one pass with their commands
already set (no `codeLens/resolve` round trip):

- above each prose section: "Synthesize instructions" (`dlm-synth.synthesize`
  for that section) and, when synthesized sections point at it, "N synthesized
  pairs" (`dlm-synth.list` for that source: the client lists them);
- above each synthesized section: "from <source title>" (`dlm-synth.revealSource`),
  or, when its source prose no longer exists, "⚠ source missing · remove"
  (`dlm-synth.revert` for that section; the editor's undo restores it).

A lens sits on the section's first line: the fence, or the first text line of the
leading prose.
"""

from __future__ import annotations

from lsprotocol import types as lsp

from ...document import Document
from ...document.model import SectionType
from ...document.outline import index, summary
from ...document.text import PositionEncoding
from .. import protocol as p
from ..convert import line_range


def code_lenses(doc: Document, uri: str, enc: PositionEncoding) -> list[lsp.CodeLens]:
    return list(doc.memo(f"lenses:{enc}:{uri}", lambda: _code_lenses(doc, uri, enc)))


def _code_lenses(doc: Document, uri: str, enc: PositionEncoding) -> list[lsp.CodeLens]:
    idx = index(doc)
    lenses: list[lsp.CodeLens] = []
    for section in doc.sections:
        first = section.start_line - 1
        if section.type is SectionType.PROSE:
            if not section.content.strip():
                continue
            at = line_range(doc, first, first, enc)
            lenses.append(
                lsp.CodeLens(
                    range=at,
                    command=p.command(
                        "Synthesize instructions",
                        p.SYNTHESIZE,
                        p.SynthesizeArgs(uri=uri, section_id=section.section_id),
                    ),
                )
            )
            _, pairs = idx.synthesized.get(section.section_id, (0, 0))
            if pairs:
                title = f"{pairs} synthesized pair{'' if pairs == 1 else 's'}"
                args = p.ListArgs(uri=uri, source_section_id=section.section_id)
                lenses.append(lsp.CodeLens(range=at, command=p.command(title, p.LIST, args)))
        elif section.auto_synth and section.type is SectionType.INSTRUCTION:
            source = idx.source_of(section)
            if source is not None:
                command = p.command(
                    f"from “{summary(source).title}”",
                    p.REVEAL_SOURCE,
                    p.RevealSourceArgs(uri=uri, section_id=source.section_id),
                )
            else:
                command = p.command(
                    "⚠ source missing · remove",
                    p.REVERT,
                    p.RevertArgs(uri=uri, section_id=section.section_id),
                )
            lenses.append(lsp.CodeLens(range=line_range(doc, first, first, enc), command=command))
    return lenses
