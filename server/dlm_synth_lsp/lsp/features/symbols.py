"""The outline (`textDocument/documentSymbol`).

One symbol per section, in document order, plus the frontmatter. Kinds are chosen
so each section type keeps one recognisable icon in every editor and reads sensibly
where the kind is printed as a word (Neovim's `[Module] Cache blocking`): a mapping
of settings, chapters of text, records of question-and-answer fields, a choice among
answers, files:

| what | kind | name | detail |
|---|---|---|---|
| frontmatter | Object | `frontmatter` | `base_model` |
| prose | Module | first heading, else first line | `prose` |
| instruction | Struct | first question | `instruction · #adapter · N pairs` |
| synthesized instruction | Struct | `✦ ` + first question | `auto-synth · <teacher> · <strategy> · ...` |
| Q/A pair (child, when >1) | Field | the question | `Q/A` |
| preference | Enum | first prompt | `preference · #adapter · N triples` |
| preference triple (child, when >1) | EnumMember | the prompt | `prompt` |
| image / audio | File | alt text, else path | `image · <path>` |

The `✦` prefix marks generated content in outlines that hide `detail` (Neovim's
default list, breadcrumbs). `range` is the whole section (fence to its last owned
line); `selectionRange` is the heading / question line, so "go to symbol" lands
on the text that names it.

Above `DETAILED_LIMIT` sections (about 600 KB of text) the outline is coarser, like
a markdown outline: one symbol per non-empty prose section, covering the sections
that follow it up to the next one (`detail` counts them: "prose · 3 instruction
(2 synthesized), 7 pairs"), and one for any sections before the first prose. The
full outline of a 1 MB document is ~0.8 MB of JSON, which editors take tens of
milliseconds to decode on every change; the coarse one is a fifth of that and keeps
navigation by heading.
"""

from __future__ import annotations

from lsprotocol import types as lsp

from ...document import Document
from ...document.memo import Lru
from ...document.model import MEDIA_TYPES, Section, SectionType
from ...document.outline import Summary, content_row, last_content_line, summary
from ...document.text import PositionEncoding, has_text
from ..convert import line_range

SYNTH_PREFIX = "✦ "
DETAILED_LIMIT = 1000

_KIND = {
    SectionType.PROSE: lsp.SymbolKind.Module,
    SectionType.INSTRUCTION: lsp.SymbolKind.Struct,
    SectionType.PREFERENCE: lsp.SymbolKind.Enum,
    SectionType.IMAGE: lsp.SymbolKind.File,
    SectionType.AUDIO: lsp.SymbolKind.File,
}
_CHILD_KIND = {
    SectionType.INSTRUCTION: (lsp.SymbolKind.Field, "Q/A"),
    SectionType.PREFERENCE: (lsp.SymbolKind.EnumMember, "prompt"),
}
_ITEM_NOUN = {SectionType.INSTRUCTION: "pair", SectionType.PREFERENCE: "triple"}


def document_symbols(doc: Document, enc: PositionEncoding) -> list[lsp.DocumentSymbol]:
    return list(doc.memo(f"symbols:{enc}", lambda: _document_symbols(doc, enc)))


def _document_symbols(doc: Document, enc: PositionEncoding) -> list[lsp.DocumentSymbol]:
    symbols: list[lsp.DocumentSymbol] = []
    closer = doc.frontmatter.closer
    if closer is not None:
        data = doc.frontmatter.data or {}
        base = data.get("base_model")
        symbols.append(
            lsp.DocumentSymbol(
                name="frontmatter",
                detail=str(base) if base is not None else None,
                kind=lsp.SymbolKind.Object,
                range=line_range(doc, 0, closer, enc),
                selection_range=line_range(doc, 0, 0, enc),
            )
        )
    sections = doc.sections
    if len(sections) <= DETAILED_LIMIT:
        symbols.extend(_cached_symbol(doc, section, enc) for section in sections)
    else:
        symbols.extend(_coarse_symbol(doc, group, enc) for group in _groups(sections))
    return symbols


def _heads(section: Section) -> bool:
    return section.type is SectionType.PROSE and has_text(section.content)


def _groups(sections: tuple[Section, ...]) -> list[tuple[Section, ...]]:
    """The sections cut before each non-empty prose section."""
    cuts = [i for i, section in enumerate(sections) if _heads(section)]
    if not cuts or cuts[0] != 0:
        cuts.insert(0, 0)
    return [sections[a:b] for a, b in zip(cuts, [*cuts[1:], len(sections)], strict=True)]


#: (first and last section's identity, size, encoding) → (the group, its symbol):
#: unchanged sections are the same objects from one version to the next
_coarse: dict[tuple[int, int, int, PositionEncoding], tuple[tuple[Section, ...], lsp.DocumentSymbol]] = {}
COARSE_CACHE_SIZE = 20_000


def _coarse_symbol(doc: Document, group: tuple[Section, ...], enc: PositionEncoding) -> lsp.DocumentSymbol:
    """One group's symbol, reused while the group holds the same section objects."""
    key = (id(group[0]), id(group[-1]), len(group), enc)
    held = _coarse.get(key)
    if held is not None and all(a is b for a, b in zip(held[0], group, strict=True)):
        return held[1]
    symbol = _make_coarse(doc, group, enc)
    if len(_coarse) >= COARSE_CACHE_SIZE:
        _coarse.clear()  # old versions' groups; the next request rebuilds what it needs
    _coarse[key] = (group, symbol)
    return symbol


def _make_coarse(doc: Document, group: tuple[Section, ...], enc: PositionEncoding) -> lsp.DocumentSymbol:
    head = group[0]
    rest = group[1:] if _heads(head) else group
    kinds: dict[str, int] = {}
    pairs = synthesized = 0
    for section in rest:
        kinds[section.type.value] = kinds.get(section.type.value, 0) + 1
        pairs += len(summary(section).items) if section.type is SectionType.INSTRUCTION else 0
        synthesized += section.auto_synth
    parts = [f"{n} {kind}" for kind, n in kinds.items()]
    if synthesized:
        parts.append(f"{synthesized} synthesized")
    if pairs:
        parts.append(f"{pairs} pair{'' if pairs == 1 else 's'}")
    first = head.start_line - 1
    last = max(first, group[-1].end_line - 1)
    if _heads(head):
        info = summary(head)
        title = min(content_row(head) + info.title_row, last)
        name, kind, detail = info.title, lsp.SymbolKind.String, " · ".join(["prose", *parts])
    else:
        title = first
        name, kind, detail = (
            f"{len(group)} sections before the first prose",
            lsp.SymbolKind.Namespace,
            " · ".join(parts),
        )
    return lsp.DocumentSymbol(
        name=name,
        detail=detail,
        kind=kind,
        range=line_range(doc, first, last, enc),
        selection_range=line_range(doc, title, title, enc),
    )


_symbols: Lru[tuple[Section, PositionEncoding, str], lsp.DocumentSymbol] = Lru(50_000)


def _cached_symbol(doc: Document, section: Section, enc: PositionEncoding) -> lsp.DocumentSymbol:
    """A keystroke changes one section; the outline of a 1 MB document must not be
    rebuilt (~20 ms) for it. A symbol depends only on the section's fields and its
    fence line (attributes), so equal inputs share the same symbol object, which also
    lets the server reuse its serialised form."""
    row = section.start_line - 1
    key = (section, enc, doc.lines[row] if 0 <= row < len(doc.lines) else "")
    return _symbols.get(key, lambda: _section_symbol(doc, section, enc))


def section_detail(section: Section, info: Summary) -> str:
    """Type, adapter, item count and provenance, as shown next to the name (hover and
    code lens say the same things at more length)."""
    parts: list[str] = []
    if section.auto_synth:
        parts += ["auto-synth", section.synth_teacher or "?", section.synth_strategy or "?"]
    else:
        parts.append(section.type.value)
    if section.adapter:
        parts.append(f"#{section.adapter}")
    noun = _ITEM_NOUN.get(section.type)
    if noun is not None:
        count = len(info.items)
        parts.append(f"{count} {noun}{'' if count == 1 else 's'}")
    if section.media_path and section.media_alt:
        parts.append(section.media_path)
    return " · ".join(parts)


def _section_symbol(doc: Document, section: Section, enc: PositionEncoding) -> lsp.DocumentSymbol:
    info = summary(section)
    first = section.start_line - 1
    last = max(first, section.end_line - 1)
    top = content_row(section)
    name = info.title
    kind = _KIND[section.type]
    if section.auto_synth:
        name = SYNTH_PREFIX + name
    children: list[lsp.DocumentSymbol] | None = None
    if len(info.items) > 1:
        child_kind, child_detail = _CHILD_KIND[section.type]
        stops = [top + item.row - 1 for item in info.items[1:]] + [last_content_line(doc, section)]
        children = []
        for item, stop in zip(info.items, stops, strict=True):
            start = top + item.row
            children.append(
                lsp.DocumentSymbol(
                    name=item.name,
                    detail=child_detail,
                    kind=child_kind,
                    range=line_range(doc, start, max(start, stop), enc),
                    selection_range=line_range(doc, top + item.text_row, top + item.text_row, enc),
                )
            )
    # a media section is named by its fence's attributes; others by a content line
    title = first if section.type in MEDIA_TYPES else min(top + info.title_row, last)
    return lsp.DocumentSymbol(
        name=name,
        detail=section_detail(section, info),
        kind=kind,
        range=line_range(doc, first, last, enc),
        selection_range=line_range(doc, title, title, enc),
        children=children,
    )
