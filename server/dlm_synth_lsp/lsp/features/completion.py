"""Completion (`textDocument/completion`): the document core's items as LSP items.

Each item replaces its span with a `textEdit` in the client's position encoding, so a
partly typed token is replaced whole and astral characters before the cursor cannot
shift it. Snippet text (placeholders, choice lists) is sent only to clients that
advertise snippet support; others get the same insertion as plain text. Multi-line
insertions (a mapping key opening its block) already carry their indentation, so they
ask the client to insert them as they are.
"""

from __future__ import annotations

from lsprotocol import types as lsp

from ...document import Document
from ...document.completion import TRIGGER_CHARACTERS, Completion, ItemKind, complete
from ...document.text import PositionEncoding
from ..convert import from_position, to_range

OPTIONS = lsp.CompletionOptions(trigger_characters=list(TRIGGER_CHARACTERS), resolve_provider=False)

_KIND = {
    ItemKind.KEY: lsp.CompletionItemKind.Property,
    ItemKind.GROUP: lsp.CompletionItemKind.Module,
    ItemKind.VALUE: lsp.CompletionItemKind.Value,
    ItemKind.MODEL: lsp.CompletionItemKind.Constant,
    ItemKind.FENCE: lsp.CompletionItemKind.Keyword,
    ItemKind.HEADING: lsp.CompletionItemKind.Keyword,
    ItemKind.SKELETON: lsp.CompletionItemKind.Snippet,
}


def completions(
    doc: Document, position: lsp.Position, enc: PositionEncoding, snippets: bool
) -> lsp.CompletionList:
    found = complete(doc, from_position(doc, position, enc))
    return lsp.CompletionList(is_incomplete=False, items=[_item(doc, c, enc, snippets) for c in found])


def _item(doc: Document, item: Completion, enc: PositionEncoding, snippets: bool) -> lsp.CompletionItem:
    as_snippet = snippets and item.snippet is not None
    text = item.snippet if as_snippet and item.snippet is not None else item.text
    return lsp.CompletionItem(
        label=item.label,
        kind=_KIND[item.kind],
        detail=item.detail,
        documentation=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=item.documentation),
        sort_text=item.sort_text,
        filter_text=item.filter_text,
        text_edit=lsp.TextEdit(range=to_range(doc, item.span, enc), new_text=text),
        insert_text_format=lsp.InsertTextFormat.Snippet if as_snippet else lsp.InsertTextFormat.PlainText,
        insert_text_mode=lsp.InsertTextMode.AsIs if "\n" in text else None,
    )
