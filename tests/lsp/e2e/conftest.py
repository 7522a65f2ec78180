"""A real LSP client (pytest-lsp) driving `python -m dlm_synth_lsp --stdio`, once
with VS Code's and once with Neovim 0.11's recorded client capabilities.

The client answers `workspace/applyEdit` like an editor does: it applies the edit to
its own copy of the text and sends the resulting `didChange` back, unless a test
tells it to refuse or to pretend (`applied: true` without applying, as Neovim does
for edits it drops)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from dlm_synth_lsp.document import parse_text
from dlm_synth_lsp.document.document import TextChange
from dlm_synth_lsp.document.text import PositionEncoding
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

PROFILES = ["visual-studio-code", "neovim@v0.11"]

SERVER_ENV = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "ANTHROPIC", "DLM_"))}


def _make_client() -> LanguageClient:
    client = pytest_lsp.make_test_lsp_client()
    _fix_code_action_decoding(client)
    _record_publishes(client)
    return client


def _record_publishes(client: LanguageClient) -> None:
    """Keep every `textDocument/publishDiagnostics` in order in `client.published`
    (pytest-lsp's `client.diagnostics` holds only the latest one per uri)."""
    published: list[lsp.PublishDiagnosticsParams] = []
    client.published = published  # type: ignore[attr-defined]
    features = client.protocol.fm.features
    default = features[lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS]

    def record(params: lsp.PublishDiagnosticsParams) -> Any:
        published.append(params)
        return default(params)

    features[lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = record


def _fix_code_action_decoding(client: LanguageClient) -> None:
    """lsprotocol's client-side hook decodes a CodeAction that carries a `command`
    object as a Command (field notes §1.12); decide by the type of `command`."""
    converter = client.protocol._converter

    def structure(obj: Any, _: Any) -> lsp.Command | lsp.CodeAction:
        if isinstance(obj.get("command"), str):
            return converter.structure(obj, lsp.Command)
        return converter.structure(obj, lsp.CodeAction)

    converter.register_structure_hook(lsp.Command | lsp.CodeAction, structure)  # type: ignore[arg-type]


@dataclass
class Editor:
    """The client side of open documents, applying server edits like an editor."""

    client: LanguageClient
    encoding: PositionEncoding
    texts: dict[str, str] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    edits: list[lsp.ApplyWorkspaceEditParams] = field(default_factory=list)
    #: "apply" | "refuse" | "pretend" (say applied, change nothing)
    mode: str = "apply"
    on_edit: Callable[[lsp.ApplyWorkspaceEditParams], None] | None = None
    message_choice: str | None = None
    message_requests: list[lsp.ShowMessageRequestParams] = field(default_factory=list)

    def open(self, uri: str, text: str) -> None:
        self.texts[uri] = text
        self.versions[uri] = 1
        self.client.text_document_did_open(
            lsp.DidOpenTextDocumentParams(
                text_document=lsp.TextDocumentItem(uri=uri, language_id="dlm", version=1, text=text)
            )
        )

    def change(self, uri: str, start: tuple[int, int], end: tuple[int, int], text: str) -> None:
        """Replace [start, end) (editor units) and tell the server, as typing does."""
        doc = parse_text(self.texts[uri]).apply(TextChange(text, (*start, *end)), self.encoding)
        self.texts[uri] = doc.source_text
        self.versions[uri] += 1
        self.client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
                content_changes=[
                    lsp.TextDocumentContentChangePartial(
                        range=lsp.Range(
                            start=lsp.Position(line=start[0], character=start[1]),
                            end=lsp.Position(line=end[0], character=end[1]),
                        ),
                        text=text,
                    )
                ],
            )
        )

    def apply(self, params: lsp.ApplyWorkspaceEditParams) -> lsp.ApplyWorkspaceEditResult:
        self.edits.append(params)
        if self.on_edit is not None:
            self.on_edit(params)
        if self.mode == "refuse":
            return lsp.ApplyWorkspaceEditResult(applied=False, failure_reason="refused by the test")
        if self.mode == "pretend":
            return lsp.ApplyWorkspaceEditResult(applied=True)
        edit = params.edit
        groups: list[tuple[str, int | None, list[lsp.TextEdit]]] = []
        for change in edit.document_changes or []:
            assert isinstance(change, lsp.TextDocumentEdit)
            groups.append((change.text_document.uri, change.text_document.version, list(change.edits)))
        for uri, edits in (edit.changes or {}).items():
            groups.append((uri, None, list(edits)))
        for uri, version, edits in groups:
            if version is not None and version != self.versions[uri]:
                return lsp.ApplyWorkspaceEditResult(applied=False, failure_reason="version mismatch")
            ordered = sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True)
            for e in ordered:
                self.change(
                    uri,
                    (e.range.start.line, e.range.start.character),
                    (e.range.end.line, e.range.end.character),
                    e.new_text,
                )
        return lsp.ApplyWorkspaceEditResult(applied=True)


@pytest_lsp.fixture(
    config=ClientServerConfig(
        server_command=[sys.executable, "-m", "dlm_synth_lsp", "--stdio"],
        server_env=SERVER_ENV,
        client_factory=_make_client,
    ),
    params=PROFILES,
)
async def client(lsp_client: LanguageClient, request: pytest.FixtureRequest) -> AsyncIterator[LanguageClient]:
    profile: str = request.param
    caps = pytest_lsp.client_capabilities(profile)
    result = await lsp_client.initialize_session(
        lsp.InitializeParams(capabilities=caps, initialization_options={"dlmSynth": {"useCache": False}})
    )
    lsp_client.initialize_result = result  # type: ignore[attr-defined]
    yield lsp_client
    await lsp_client.shutdown_session()


@pytest.fixture
def editor(client: LanguageClient) -> Editor:
    return make_editor(client)


def make_editor(client: LanguageClient) -> Editor:
    """An `Editor` answering the server's applyEdit and showMessageRequest on `client`."""
    enc = client.initialize_result.capabilities.position_encoding  # type: ignore[attr-defined]
    encoding = PositionEncoding.UTF8 if enc == lsp.PositionEncodingKind.Utf8 else PositionEncoding.UTF16
    ed = Editor(client, encoding)

    @client.feature(lsp.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: lsp.ApplyWorkspaceEditParams) -> lsp.ApplyWorkspaceEditResult:
        return ed.apply(params)

    @client.feature(lsp.WINDOW_SHOW_MESSAGE_REQUEST)
    def message_request(params: lsp.ShowMessageRequestParams) -> lsp.MessageActionItem | None:
        ed.message_requests.append(params)
        if ed.message_choice is None:
            return None
        return next((a for a in params.actions or [] if a.title == ed.message_choice), None)

    return ed


def removed(count: int) -> dict[str, Any]:
    """The `dlm-synth.revert` result for `count` removed sections, message included."""
    text = f"Removed {count} synthesized section{'' if count == 1 else 's'}."
    return {"removed": count, "error": None, "message": message("info", text)}


def message(
    severity: str, text: str, details: list[str] | None = None, actions: Any = None
) -> dict[str, Any]:
    """A command result's `message`, as the server words it."""
    return {"severity": severity, "text": text, "details": details or [], "actions": actions or []}


async def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


def file_uri(path: Path) -> str:
    return path.resolve().as_uri()


async def configure(client: LanguageClient, scope_uri: str | None = None, **settings: Any) -> None:
    """Set `dlmSynth` settings the way an editor does: answer workspace/configuration
    with them (for documents under `scope_uri` only, when given) and notify the server
    that they changed. Nothing to wait for: the server asks for a document's settings
    when a command needs them."""
    client.set_configuration({"useCache": False, **settings}, section="dlmSynth", scope_uri=scope_uri)
    client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=None))


@contextlib.asynccontextmanager
async def launch(
    profile: str,
    initialization_options: Any = None,
    env: Mapping[str, str] | None = None,
    result_messages: bool = False,
    command: Sequence[str] | None = None,
    before_initialize: Callable[[LanguageClient], None] | None = None,
) -> AsyncIterator[LanguageClient]:
    """A client/server pair like the `client` fixture, with chosen initialization
    options, extra server environment variables and, optionally, another command
    (e.g. the server behind `tests/fakes/recorder.py`) and a client set up further
    before the session starts; `result_messages`: the client says it shows every
    result's message (as the bundled clients do)."""
    config = ClientServerConfig(
        server_command=list(command or [sys.executable, "-m", "dlm_synth_lsp", "--stdio"]),
        server_env={**SERVER_ENV, **(env or {})},
        client_factory=_make_client,
    )
    client: LanguageClient = await config.start()  # type: ignore[assignment]
    if before_initialize is not None:
        before_initialize(client)
    try:
        capabilities = pytest_lsp.client_capabilities(profile)
        if result_messages:
            capabilities.experimental = {"dlmSynth": {"resultMessages": True}}
        result = await client.initialize_session(
            lsp.InitializeParams(capabilities=capabilities, initialization_options=initialization_options)
        )
        client.initialize_result = result  # type: ignore[attr-defined]
        yield client
    finally:
        # shut down even when the test failed: `stop()` alone waits for a server
        # that never exits
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.shutdown_session(), 10)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.stop(), 10)
