"""Fixtures with the cursor written into the text as `$0`."""

from __future__ import annotations

from dlm_synth_lsp.document import Document, parse_text
from dlm_synth_lsp.document.text import Position

MARK = "$0"


def at_cursor(text: str) -> tuple[Document, Position]:
    """The document without the marker, and the marker's position (code points)."""
    assert text.count(MARK) == 1, "put exactly one $0 in the text"
    before = text[: text.index(MARK)]
    row = before.count("\n")
    column = len(before) - (before.rfind("\n") + 1)
    return parse_text(text.replace(MARK, "")), Position(row, column)
