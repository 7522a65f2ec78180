"""Open documents as immutable snapshots, one per version.

Each change goes through the incremental document core (`Document.apply`), so a
keystroke costs a fraction of a millisecond even in a 1 MB file, and every feature
and job holds a consistent `Snapshot` it can use while newer versions arrive.
pygls keeps its own copy of the text too; nothing here reads it (its `lines` property
re-splits the whole text on every access).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lsprotocol import types as lsp

from ..document import Document, parse_text
from ..document.document import TextChange
from ..document.text import PositionEncoding


@dataclass(frozen=True, slots=True)
class Snapshot:
    uri: str
    version: int | None
    doc: Document


class Documents:
    def __init__(self) -> None:
        self._open: dict[str, Snapshot] = {}

    def open(self, uri: str, version: int | None, text: str) -> Snapshot:
        snapshot = Snapshot(uri, version, parse_text(text))
        self._open[uri] = snapshot
        return snapshot

    def change(
        self,
        uri: str,
        version: int | None,
        changes: Sequence[lsp.TextDocumentContentChangeEvent],
        encoding: PositionEncoding,
    ) -> Snapshot | None:
        """Applies `changes` in order (each is relative to the text after the previous
        one, as the protocol says). None for a document that is not open."""
        current = self._open.get(uri)
        if current is None:
            return None
        doc = current.doc
        for change in changes:
            if isinstance(change, lsp.TextDocumentContentChangePartial):
                r = change.range
                doc = doc.apply(
                    TextChange(change.text, (r.start.line, r.start.character, r.end.line, r.end.character)),
                    encoding,
                )
            else:
                doc = parse_text(change.text)
        snapshot = Snapshot(uri, version, doc)
        self._open[uri] = snapshot
        return snapshot

    def close(self, uri: str) -> None:
        self._open.pop(uri, None)

    def get(self, uri: str) -> Snapshot | None:
        return self._open.get(uri)

    def __contains__(self, uri: str) -> bool:
        return uri in self._open
