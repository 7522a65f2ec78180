"""Feature fixtures: a document written inline in the test, with cursor markers, and
each feature's answer rendered as text to compare with an inline snapshot.

- `$0`, `$1`, … in the text mark positions; they are removed before parsing, and
  `fx.at(n)` / `fx.between(a, b)` give them back in the client's position encoding.
- `{id:Title}` is replaced by the id of the section whose outline title is `Title`
  (a provenance marker's `source_section_id`), so no test spells a hash.
- Renderings name sections as `§Title` instead of by id, and give lines 0-based
  (as the protocol does).
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from dlm_synth_lsp.document import Document, parse_text
from dlm_synth_lsp.document.outline import summary
from dlm_synth_lsp.document.text import Position, PositionEncoding
from dlm_synth_lsp.lsp.convert import to_diagnostic
from lsprotocol import types as lsp
from lsprotocol.converters import get_converter

U16, U8 = PositionEncoding.UTF16, PositionEncoding.UTF8
URI = "file:///work/notes.dlm"
_MARK = re.compile(r"\$(\d+)")
_SENTINEL = re.compile("\x00(\\d+)\x00")
_ID_PLACEHOLDER = re.compile(r"\{id:([^}]*)\}")
_PLACEHOLDER_ID = "0" * 16
_converter = get_converter()


@dataclass
class Fixture:
    doc: Document
    marks: dict[int, Position] = field(default_factory=dict)
    encoding: PositionEncoding = U16

    def at(self, mark: int) -> lsp.Position:
        line, character = self.doc.mapper.to_editor(self.marks[mark], self.encoding)
        return lsp.Position(line=line, character=character)

    def between(self, start: int, end: int) -> lsp.Range:
        return lsp.Range(start=self.at(start), end=self.at(end))

    def id_of(self, title: str) -> str:
        return next(s.section_id for s in self.doc.sections if summary(s).title == title)

    def names(self) -> dict[str, str]:
        """section id → `§Title` (the first section with that id names it)."""
        named: dict[str, str] = {}
        for section in self.doc.sections:
            named.setdefault(section.section_id, f"§{summary(section).title}")
        return named

    def diagnostics(self, code: str) -> list[lsp.Diagnostic]:
        """The document's diagnostics with `code`, as a client sends them back."""
        found = [to_diagnostic(self.doc, p, self.encoding) for p in self.doc.problems if p.code.value == code]
        return [_converter.structure(_converter.unstructure(d), lsp.Diagnostic) for d in found]


def fixture(
    text: str, *, encoding: PositionEncoding = U16, newline: str = "\n", bom: bool = False
) -> Fixture:
    """The document of `text` (dedented), its cursor marks and id placeholders resolved."""
    # marks become sentinels first, so an id put next to one cannot extend its number
    text = _MARK.sub(lambda m: f"\x00{m.group(1)}\x00", textwrap.dedent(text))
    if _ID_PLACEHOLDER.search(text):
        draft = parse_text(_SENTINEL.sub("", _ID_PLACEHOLDER.sub(_PLACEHOLDER_ID, text)))
        titles = {summary(s).title: s.section_id for s in draft.sections}
        text = _ID_PLACEHOLDER.sub(lambda m: titles[m.group(1)], text)
    marks: dict[int, Position] = {}
    lines = text.split("\n")
    for row, line in enumerate(lines):
        while (found := _SENTINEL.search(line)) is not None:
            marks[int(found.group(1))] = Position(row, found.start())
            line = line[: found.start()] + line[found.end() :]
        lines[row] = line
    source = "\n".join(lines).replace("\n", newline)
    return Fixture(parse_text(("\ufeff" if bom else "") + source), marks, encoding)


# -- renderings ------------------------------------------------------------------------


def _lines(rng: lsp.Range) -> str:
    start, end = rng.start.line, rng.end.line
    return f"{start}" if start == end else f"{start}-{end}"


def outline(fx: Fixture, symbols: Iterable[lsp.DocumentSymbol]) -> str:
    """`Kind name · detail  lines a-b, name on c`, children indented."""
    rows: list[str] = []

    def add(symbol: lsp.DocumentSymbol, depth: int) -> None:
        detail = f" · {symbol.detail}" if symbol.detail else ""
        rows.append(
            f"{'  ' * depth}{symbol.kind.name} {symbol.name}{detail}  "
            f"lines {_lines(symbol.range)}, name on {_lines(symbol.selection_range)}"
        )
        for child in symbol.children or []:
            add(child, depth + 1)

    for symbol in symbols:
        add(symbol, 0)
    return "\n".join(rows)


def arguments(fx: Fixture, command: lsp.Command) -> str:
    """A command's one argument as JSON, section ids as `§Title`, the uri left out."""
    names = fx.names()
    (argument,) = command.arguments or [{}]
    shown = {k: names.get(v, v) if isinstance(v, str) else v for k, v in argument.items() if k != "uri"}
    assert argument.get("uri") in (URI, None), argument
    return json.dumps(shown, ensure_ascii=False) if shown else "{}"


def call(fx: Fixture, command: lsp.Command | None) -> str:
    if command is None:
        return "(no command)"
    return f"{command.command} {arguments(fx, command)}"


def lenses(fx: Fixture, found: Iterable[lsp.CodeLens]) -> str:
    return "\n".join(
        f"{lens.range.start.line}: {lens.command.title if lens.command else '?'} → {call(fx, lens.command)}"
        for lens in found
    )


def actions(fx: Fixture, found: Iterable[lsp.CodeAction]) -> str:
    rows = []
    for action in found:
        if action.edit is not None:
            edits = [e for changes in (action.edit.changes or {}).values() for e in changes]
            what = "; ".join(
                f"edit {_lines(e.range)}:{e.range.start.character}-{e.range.end.character} → {e.new_text!r}"
                for e in edits
            )
        else:
            what = call(fx, action.command)
        flags = " (preferred)" if action.is_preferred else ""
        rows.append(f"{getattr(action.kind, 'value', action.kind)}: {action.title}{flags} → {what}")
    return "\n".join(rows)


def markdown(fx: Fixture, hover: lsp.Hover | None) -> str:
    """A hover's markdown with section ids as `§Title`, after the range it covers."""
    if hover is None:
        return "(no hover)"
    contents = hover.contents
    assert isinstance(contents, lsp.MarkupContent) and contents.kind == lsp.MarkupKind.Markdown
    text = contents.value
    for section_id, name in fx.names().items():
        text = text.replace(section_id, name)
    rng = hover.range
    assert rng is not None
    return f"[{rng.start.line}:{rng.start.character}-{rng.end.line}:{rng.end.character}]\n{text}"


def as_json(value: Any) -> Any:
    return json.loads(json.dumps(_converter.unstructure(value)))
