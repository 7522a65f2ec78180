"""What the server relies on inside pygls (pinned >=2.1,<2.2 in pyproject.toml).

`DlmProtocol` replaces pygls' built-in document-sync handlers so that pygls keeps
no copy of the open documents (its incremental update rebuilds the whole text per
keystroke), and frames already-encoded results itself; the server reads stdin with
`stdio.PipeReader`. These tests drive notifications and responses through pygls'
own dispatch (`_handle_notification`, `_send_response`) and fail if a pygls release
changes how built-ins are registered or run, or how responses are sent.
"""

from __future__ import annotations

import asyncio
import json
import os
from importlib.metadata import version
from typing import Any

import pytest
from dlm_synth_lsp.lsp.server import DlmProtocol, EncodedJson, server
from dlm_synth_lsp.lsp.stdio import PipeReader, pipe_capable
from lsprotocol import types as lsp
from pygls.workspace import Workspace
from pygls.workspace.text_document import TextDocument

URI = "file:///contract/notes.dlm"
TEXT = "---\ndlm_id: 01KPQ9X1000000000000000009\n---\nSome prose.\n"


def test_pygls_is_the_pinned_minor_version() -> None:
    major, minor = (int(part) for part in version("pygls").split(".")[:2])
    assert (major, minor) == (2, 1), "DlmProtocol overrides pygls 2.1 internals: re-check them first"


@pytest.mark.parametrize(
    "method", [lsp.TEXT_DOCUMENT_DID_OPEN, lsp.TEXT_DOCUMENT_DID_CHANGE, lsp.TEXT_DOCUMENT_DID_CLOSE]
)
def test_our_sync_handlers_are_the_registered_built_ins(method: str) -> None:
    builtin = server.protocol.fm.builtin_features[method]
    assert getattr(builtin, "__func__", None) in vars(DlmProtocol).values()


async def test_pygls_keeps_no_copy_of_an_open_document(monkeypatch: pytest.MonkeyPatch) -> None:
    created: list[Any] = []
    original_init = TextDocument.__init__

    def recording_init(self: TextDocument, *args: Any, **kwargs: Any) -> None:
        created.append(args)
        original_init(self, *args, **kwargs)

    monkeypatch.setattr(TextDocument, "__init__", recording_init)
    proto = server.protocol
    monkeypatch.setattr(proto, "_workspace", Workspace(None))
    monkeypatch.setattr(server, "text_document_publish_diagnostics", lambda params: None)

    def notify(method: str, params: Any) -> None:
        proto._handle_notification(method, params)

    notify(
        lsp.TEXT_DOCUMENT_DID_OPEN,
        lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(uri=URI, language_id="dlm", version=1, text=TEXT)
        ),
    )
    notify(
        lsp.TEXT_DOCUMENT_DID_CHANGE,
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=URI, version=2),
            content_changes=[
                lsp.TextDocumentContentChangePartial(
                    range=lsp.Range(
                        start=lsp.Position(line=3, character=4), end=lsp.Position(line=3, character=4)
                    ),
                    text=" more",
                )
            ],
        ),
    )
    await asyncio.sleep(0)  # let pygls run the generator's user-handler step
    snapshot = server.documents.get(URI)
    assert snapshot is not None and snapshot.version == 2
    assert snapshot.doc.lines[3] == "Some more prose."
    assert proto.workspace.text_documents == {} and created == []

    notify(
        lsp.TEXT_DOCUMENT_DID_CLOSE,
        lsp.DidCloseTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=URI)),
    )
    await asyncio.sleep(0)
    assert URI not in server.documents and created == []


class _Capture:
    def __init__(self) -> None:
        self.data = b""

    def write(self, data: bytes) -> None:
        self.data += data

    def close(self) -> None:
        pass


def _frames(data: bytes) -> list[Any]:
    """The JSON bodies of the LSP frames in `data`, checking each Content-Length."""
    found = []
    while data:
        head, _, rest = data.partition(b"\r\n\r\n")
        length = int(dict(line.split(b": ", 1) for line in head.split(b"\r\n"))[b"Content-Length"])
        found.append(json.loads(rest[:length]))
        data = rest[length:]
    return found


def test_an_encoded_result_is_framed_as_it_is_and_other_results_still_by_pygls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    proto = server.protocol
    capture = _Capture()
    monkeypatch.setattr(proto, "writer", capture)
    monkeypatch.setattr(proto, "_include_headers", True)
    proto._send_response("a", result=EncodedJson('[{"name":"é ✦","kind":15}]'))
    proto._send_response("b", result=lsp.Hover(contents="x"))
    first, second = _frames(capture.data)
    assert first == {"id": "a", "jsonrpc": "2.0", "result": [{"name": "é ✦", "kind": 15}]}
    assert second["id"] == "b" and second["result"]["contents"] == "x"


async def test_the_stdin_reader_reads_frames_without_threads() -> None:
    read_end, write_end = os.pipe()
    with os.fdopen(read_end, "rb", buffering=0) as stream, os.fdopen(write_end, "wb", buffering=0) as sink:
        assert pipe_capable(stream)
        reader = PipeReader(stream)
        sink.write(b"Content-Length: 2\r\n\r\n{}")
        assert await reader.readline() == b"Content-Length: 2\r\n"
        assert await reader.readline() == b"\r\n"
        assert await reader.readexactly(2) == b"{}"
        sink.close()
        assert await reader.readline() == b""
        assert await reader.readexactly(5) == b""
