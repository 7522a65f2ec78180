"""Code lenses (`textDocument/codeLens`), computed in one pass with their commands
already set (no `codeLens/resolve` round trip):

- above each prose section: "Synthesize instructions" (`dlm-synth.synthesize`
  for that section) and, when synthesized sections point at it, "N synthesized
  pairs" (`dlm-synth.list` for that source: the client lists them);
- above each synthesized section: "from <source title>" (`dlm-synth.revealSource`);
  when it follows prose edited after it was made (DLM041), "✎ source edited · keep
  pairs" (`dlm-synth.relink` for its run); when its source prose no longer exists,
  "⚠ source missing · remove" (`dlm-synth.revert` for that section; the editor's
  undo restores it).

A lens sits on the section's first line: the fence, or the first text line of the
leading prose.

A keystroke changes one section, so each section's lenses are kept (by the section,
which carries its lines, and the few facts about its neighbours they show) and
reused by the next version: a 1 MB document's lenses cost a pass over its sections,
not thousands of new lens objects (and the server reuses their JSON too).
"""

from __future__ import annotations

from functools import partial

from lsprotocol import types as lsp

from ...document import Document
from ...document.memo import Passes
from ...document.model import Section, SectionType
from ...document.outline import index, summary
from ...document.relink import relinkable
from ...document.text import PositionEncoding, has_text
from .. import protocol as p
from ..convert import line_range

#: (uri, section, what the lenses say about its neighbours) → its lenses, kept per
#: open document and encoding (`Document.shared`, `memo.Passes`): released on close
_Lenses = Passes[tuple[object, ...], tuple[lsp.CodeLens, ...]]


def code_lenses(doc: Document, uri: str, enc: PositionEncoding) -> list[lsp.CodeLens]:
    return list(doc.memo(f"lenses:{enc}:{uri}", lambda: _code_lenses(doc, uri, enc)))


def _code_lenses(doc: Document, uri: str, enc: PositionEncoding) -> list[lsp.CodeLens]:
    idx = index(doc)
    edited = {problem.get("section_id") for problem in relinkable(doc)} if idx.has_synth else set()
    lenses: list[lsp.CodeLens] = []
    passes: _Lenses = doc.shared(f"lenses:{enc}", Passes)
    made = passes.begin()
    for section in doc.sections:
        facts: tuple[object, ...]
        if section.type is SectionType.PROSE:
            if not has_text(section.content):
                continue
            facts = ("prose", idx.synthesized.get(section.section_id, (0, 0))[1])
        elif section.auto_synth and section.type is SectionType.INSTRUCTION:
            source = idx.source_of(section)
            if source is not None:
                facts = ("from", source.section_id, summary(source, doc).title)
            else:
                facts = ("edited",) if section.section_id in edited else ("missing",)
        else:
            continue
        lenses += made.get((uri, section, facts), partial(_lenses, doc, uri, section, enc, facts))
    passes.end(made)
    return lenses


def _lenses(
    doc: Document, uri: str, section: Section, enc: PositionEncoding, facts: tuple[object, ...]
) -> tuple[lsp.CodeLens, ...]:
    first = section.start_line - 1
    at = line_range(doc, first, first, enc)
    kind = facts[0]
    if kind == "prose":
        synthesize = p.command(
            "Synthesize instructions", p.SYNTHESIZE, p.SynthesizeArgs(uri=uri, section_id=section.section_id)
        )
        found = [lsp.CodeLens(range=at, command=synthesize)]
        pairs = int(str(facts[1]))
        if pairs:
            title = f"{pairs} synthesized pair{'' if pairs == 1 else 's'}"
            args = p.ListArgs(uri=uri, source_section_id=section.section_id)
            found.append(lsp.CodeLens(range=at, command=p.command(title, p.LIST, args)))
        return tuple(found)
    if kind == "from":
        command = p.command(
            f"from “{facts[2]}”", p.REVEAL_SOURCE, p.RevealSourceArgs(uri=uri, section_id=str(facts[1]))
        )
    elif kind == "edited":
        command = p.command(
            "✎ source edited · keep pairs", p.RELINK, p.RelinkArgs(uri=uri, section_id=section.section_id)
        )
    else:
        command = p.command(
            "⚠ source missing · remove", p.REVERT, p.RevertArgs(uri=uri, section_id=section.section_id)
        )
    return (lsp.CodeLens(range=at, command=command),)
