"""Semantic tokens (`textDocument/semanticTokens/full`, `/full/delta`, `/range`).

The tokens come from the document core (document/semantic_tokens.py); this keeps the
last result sent for each open document, so a delta request after a keystroke is
answered with the few integers that changed. A delta asked against any other result
id (an older one, or one from before a restart) gets the full data instead, as the
protocol allows.
"""

from __future__ import annotations

from lsprotocol import types as lsp

from ...document import Document
from ...document.semantic_tokens import TOKEN_MODIFIERS, TOKEN_TYPES, Tokens, document_tokens, range_data
from ...document.text import PositionEncoding
from ..convert import from_position

LEGEND = lsp.SemanticTokensLegend(token_types=list(TOKEN_TYPES), token_modifiers=list(TOKEN_MODIFIERS))


class SemanticTokensStore:
    def __init__(self) -> None:
        self._last: dict[str, Tokens] = {}

    def full(self, uri: str, doc: Document, enc: PositionEncoding) -> lsp.SemanticTokens:
        tokens = document_tokens(doc, enc, self._last.get(uri))
        self._last[uri] = tokens
        return lsp.SemanticTokens(data=tokens.data, result_id=tokens.result_id)

    def delta(
        self, uri: str, doc: Document, enc: PositionEncoding, previous_id: str
    ) -> lsp.SemanticTokens | lsp.SemanticTokensDelta:
        previous = self._last.get(uri)
        if previous is None or previous.result_id != previous_id:
            return self.full(uri, doc, enc)
        tokens = document_tokens(doc, enc, previous)
        self._last[uri] = tokens
        edits = [
            lsp.SemanticTokensEdit(start=e.start, delete_count=e.delete, data=e.data)
            for e in tokens.delta(previous)
        ]
        return lsp.SemanticTokensDelta(edits=edits, result_id=tokens.result_id)

    def range(self, doc: Document, enc: PositionEncoding, rng: lsp.Range) -> lsp.SemanticTokens:
        first = from_position(doc, rng.start, enc).line
        last = from_position(doc, rng.end, enc).line
        return lsp.SemanticTokens(data=range_data(doc, enc, first, last))

    def forget(self, uri: str) -> None:
        self._last.pop(uri, None)
