"""Document-core values ↔ lsprotocol types, in one place.

The core speaks 0-based lines and code-point columns of the normalised text; the
client speaks its negotiated position encoding (utf-16 for VS Code, utf-8 for
Neovim 0.11) over its own buffer, which may still hold a BOM and CRLF breaks.
`PositionMapper` does the column maths; everything here goes through it.
"""

from __future__ import annotations

from collections.abc import Iterable

from lsprotocol import types as lsp

from ..document import Document
from ..document.edits import TextEdit, editor_edits
from ..document.problems import Problem, Severity
from ..document.text import Position, PositionEncoding, Span, chars_to_units

ENCODINGS = {
    lsp.PositionEncodingKind.Utf8: PositionEncoding.UTF8,
    lsp.PositionEncodingKind.Utf16: PositionEncoding.UTF16,
    lsp.PositionEncodingKind.Utf32: PositionEncoding.UTF32,
}

_SEVERITY = {
    Severity.ERROR: lsp.DiagnosticSeverity.Error,
    Severity.WARNING: lsp.DiagnosticSeverity.Warning,
    Severity.INFO: lsp.DiagnosticSeverity.Information,
}

SOURCE = "dlm"


def encoding_of(kind: lsp.PositionEncodingKind | str | None) -> PositionEncoding:
    return ENCODINGS.get(
        lsp.PositionEncodingKind(kind) if kind else lsp.PositionEncodingKind.Utf16, PositionEncoding.UTF16
    )


def to_position(doc: Document, pos: Position, encoding: PositionEncoding) -> lsp.Position:
    line, character = doc.mapper.to_editor(pos, encoding)
    return lsp.Position(line=line, character=character)


def to_range(doc: Document, span: Span, encoding: PositionEncoding) -> lsp.Range:
    return lsp.Range(start=to_position(doc, span.start, encoding), end=to_position(doc, span.end, encoding))


def line_range(doc: Document, first: int, last: int, encoding: PositionEncoding) -> lsp.Range:
    """Lines `first`..`last` (0-based, inclusive), clamped to the document.

    Outlines and code lenses build thousands of these on a 1 MB document, so the
    common case (no BOM on line 0) skips the general position mapping: a line start
    is column 0 in every encoding, and only a non-ASCII last line needs counting."""
    lines = doc.lines
    last = max(first, min(last, len(lines) - 1))
    if last >= len(lines) or (first == 0 and doc.bom) or (last == 0 and doc.bom):
        return to_range(doc, Span.of(first, 0, last, len(lines[last]) if last < len(lines) else 0), encoding)
    text = lines[last]
    end = len(text) if text.isascii() else chars_to_units(text, len(text), encoding)
    return lsp.Range(start=lsp.Position(line=first, character=0), end=lsp.Position(line=last, character=end))


def from_position(doc: Document, pos: lsp.Position, encoding: PositionEncoding) -> Position:
    return doc.mapper.from_editor(pos.line, pos.character, encoding)


def to_diagnostic(doc: Document, problem: Problem, encoding: PositionEncoding) -> lsp.Diagnostic:
    """`data` carries the problem's machine-readable details, so code actions never
    parse messages."""
    return lsp.Diagnostic(
        range=to_range(doc, problem.span, encoding),
        message=problem.message,
        severity=_SEVERITY[problem.severity],
        code=problem.code.value,
        source=SOURCE,
        data=dict(problem.data) or None,
    )


def to_text_edits(doc: Document, edits: Iterable[TextEdit], encoding: PositionEncoding) -> list[lsp.TextEdit]:
    """Core edits as LSP edits on the client's buffer (its encoding, BOM and line
    breaks). LSP applies all edits of one call against the same original text, so
    their order does not matter."""
    return [
        lsp.TextEdit(
            range=lsp.Range(
                start=lsp.Position(line=change.range[0], character=change.range[1]),
                end=lsp.Position(line=change.range[2], character=change.range[3]),
            ),
            new_text=change.text,
        )
        for change in editor_edits(doc, edits, encoding)
        if change.range is not None
    ]
