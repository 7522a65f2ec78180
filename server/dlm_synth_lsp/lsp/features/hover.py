"""Hover (`textDocument/hover`) on the two kinds of structural line:

- an auto-synth marker: who synthesized the section, how, when, and where from, with
  a preview of the source prose (or a warning that the source is gone or was edited
  since, which is what the diagnostic on that line is about);
- a fence: section type, adapter, id and how many pairs/triples it holds (media: the
  file), plus the provenance for a synthesized section.

In the frontmatter, a key shows what it is for and a `base_model` value its registry
card (document/frontmatter_help.py). Other lines get no hover: their content is the
author's own text. Values from the
document are shown in code spans and the preview in a block quote, so nothing in
them can turn into markup around it.
"""

from __future__ import annotations

import re

from lsprotocol import types as lsp

from ...document import Document
from ...document.frontmatter_help import hover_at
from ...document.marker import MarkerError, parse_synth_marker
from ...document.model import Section, SectionType
from ...document.outline import DocIndex, index, summary
from ...document.relink import relink_target
from ...document.text import PositionEncoding
from ..convert import from_position, line_range, to_range
from .navigation import synth_marker_at

PREVIEW_LINES = 5
PREVIEW_CHARS = 300
_ITEM_NOUN = {SectionType.INSTRUCTION: "Q/A pair", SectionType.PREFERENCE: "preference triple"}
#: what can start markup in the middle of a line (emphasis, code, links, html,
#: strikethrough); nothing else is escaped, since clients that show the markdown as
#: text (Neovim's hover) would show every backslash
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<~])")


def hover(doc: Document, position: lsp.Position, enc: PositionEncoding) -> lsp.Hover | None:
    at = from_position(doc, position, enc)
    line = at.line
    if line >= len(doc.lines):
        return None
    card = hover_at(doc, at)
    if card is not None:
        return lsp.Hover(
            contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=card[1]),
            range=to_range(doc, card[0], enc),
        )
    marked = synth_marker_at(doc, line)
    if marked is not None:
        text = _marker_hover(doc, marked, doc.lines[line])
    else:
        section = doc.section_at(line)
        if section is None or not section.fenced or section.start_line - 1 != line:
            return None
        text = _fence_hover(doc, section)
    if text is None:
        return None
    return lsp.Hover(
        contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=text),
        range=line_range(doc, line, line, enc),
    )


def code(value: str) -> str:
    """`value` as one markdown code span, whatever backticks it holds."""
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if value.startswith("`") or value.endswith("`") or not value.strip() else ""
    return f"{ticks}{pad}{value}{pad}{ticks}"


def escape(text: str) -> str:
    """Plain text safe to embed in the middle of a markdown line."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def _marker_hover(doc: Document, section: Section, line: str) -> str | None:
    try:
        marker = parse_synth_marker(line, require_non_empty=False)
    except MarkerError:
        return None  # the diagnostic on this line says what is wrong
    if marker is None:
        return None
    idx = index(doc)
    rows = ["**✦ auto-synth** instruction section", ""]
    rows += _provenance(
        idx,
        marker.synth_teacher,
        marker.synth_strategy,
        marker.synth_at,
        marker.source_section_id,
        relink_target(doc, section),
    )
    source = idx.prose.get(marker.source_section_id)
    if source is not None:
        rows += ["", "---", "", *_preview(source.content)]
    return "\n".join(rows)


def _provenance(
    idx: DocIndex,
    teacher: str | None,
    strategy: str | None,
    at: str | None,
    source_id: str | None,
    edited: Section | None,
) -> list[str]:
    rows = [
        f"- teacher: {code(teacher or '?')}",
        f"- strategy: {code(strategy or '?')}",
        f"- synthesized: {code(at or '?')}",
    ]
    source = idx.prose.get(source_id) if source_id else None
    if source is None and edited is not None:
        title = escape(summary(edited).title)
        rows.append(
            f"- source: {code(source_id or '?')} — ✎ edited: the prose above (“{title}”, line "
            f"{edited.start_line}) changed after these pairs were made, so they may no longer "
            "match it: keep them (re-link) or regenerate them"
        )
    elif source is None:
        rows.append(
            f"- source: {code(source_id or '?')} — ⚠ missing: no prose section in this document "
            "has this id (the source was edited or removed)"
        )
    else:
        title = escape(summary(source).title)
        rows.append(f"- source: {code(source.section_id)} — “{title}”, line {source.start_line}")
    return rows


def _preview(content: str) -> list[str]:
    """The start of the source prose as a markdown block quote: at most
    PREVIEW_LINES non-leading-blank lines and PREVIEW_CHARS characters."""
    lines = content.strip("\n").split("\n")[: PREVIEW_LINES + 1]
    kept: list[str] = []
    budget = PREVIEW_CHARS
    for text in lines[:PREVIEW_LINES]:
        text = text.rstrip()
        if len(text) > budget:
            kept.append(text[:budget] + "…")
            budget = 0
            break
        kept.append(text)
        budget -= len(text)
    if budget > 0 and len(lines) > PREVIEW_LINES:
        kept.append("…")
    return [f"> {text}" if text else ">" for text in kept]


def _fence_hover(doc: Document, section: Section) -> str:
    idx = index(doc)
    info = summary(section, doc)
    head = f"**{section.type.value}** section"
    if section.adapter:
        head += f" for adapter {code('#' + section.adapter)}"
    rows = [head, "", f"- id: {code(section.section_id)}"]
    noun = _ITEM_NOUN.get(section.type)
    if noun is not None:
        count = len(info.items)
        rows.append(f"- {count} {noun}{'' if count == 1 else 's'}")
    elif section.type is SectionType.PROSE:
        rows.append(f"- “{escape(info.title)}”")
    if section.media_path is not None:
        rows.append(f"- path: {code(section.media_path)}")
    if section.media_alt:
        rows.append(f"- alt: {escape(section.media_alt)}")
    if section.media_transcript:
        rows.append(f"- transcript: {escape(section.media_transcript)}")
    if section.type is SectionType.PROSE:
        count, pairs = idx.synthesized.get(section.section_id, (0, 0))
        if count:
            rows.append(f"- {pairs} synthesized pair{'' if pairs == 1 else 's'} in {count} section(s)")
    if section.auto_synth:
        rows += ["", "**✦ auto-synth**", ""]
        rows += _provenance(
            idx,
            section.synth_teacher,
            section.synth_strategy,
            section.synth_at,
            section.source_section_id,
            relink_target(doc, section),
        )
    return "\n".join(rows)
