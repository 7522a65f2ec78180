"""The pygls server: capabilities, document sync, settings, feature and command wiring.

Only glue lives here. Parsing is the document core's, synthesis the pipeline's,
feature answers come from pure functions in `features/`, command handlers are in
`commands.py`, and long work runs as jobs (`synthesis.py`, `jobs.py`). Every handler
that answers from the model is a plain function on the event loop: they are fast
(the core is incremental), and keeping them off pygls' thread pool avoids the
starvation described in the field notes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Generator
from typing import Any

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol, lsp_method

from .. import __version__
from ..document.memo import Lru
from ..document.text import PositionEncoding
from . import features, messages
from . import protocol as p
from .client import ClientProfile
from .commands import HANDLERS
from .config import SECTION, Settings, load_settings
from .convert import to_diagnostic
from .jobs import JobManager, ProgressSink
from .synthesis import Synthesizer
from .workspace import Documents, Snapshot

log = logging.getLogger("dlm_synth_lsp")

DIAGNOSTICS_DELAY_S = 0.15
SERIALISED_MEMO_SIZE = 50_000


class DlmProtocol(LanguageServerProtocol):
    def _handle_cancel_notification(self, msg_id: Any) -> None:
        """pygls answers `$/cancelRequest` for `workspace/executeCommand` but leaves
        the command's coroutine running (field notes §1.8); this also cancels our job."""
        server = self._server
        if isinstance(server, DlmLanguageServer):
            server.jobs.cancel_request(msg_id)
        super()._handle_cancel_notification(msg_id)

    @lsp_method(lsp.WORKSPACE_EXECUTE_COMMAND)
    def lsp_workspace__execute_command(self, params: lsp.ExecuteCommandParams) -> Generator[Any, Any, Any]:
        """Our commands take exactly one argument; pygls would call a handler without
        one (a -32603 with a Python class path) or count in its own words. A
        `workDoneToken` the client sent is kept for the command's job (by request id)."""
        if params.command in p.ALL_COMMANDS and len(params.arguments or []) != 1:
            raise p.CommandError(p.ONE_ARGUMENT)
        server = self._server
        token = params.work_done_token
        if isinstance(server, DlmLanguageServer) and token is not None:
            server.progress_tokens[self.msg_id] = token
        try:
            return (yield from super().lsp_workspace__execute_command(params))
        finally:
            if isinstance(server, DlmLanguageServer):
                server.progress_tokens.pop(self.msg_id, None)


class DlmLanguageServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "dlm-synth-lsp", __version__, protocol_cls=DlmProtocol, converter_factory=p.make_converter
        )
        self.documents = Documents()
        #: from initializationOptions or a pushed didChangeConfiguration; used when the
        #: client cannot be asked (no workspace/configuration) or does not answer
        self.settings = Settings()
        self.jobs = JobManager()
        self.client = ClientProfile()
        self.synthesizer = Synthesizer(self)
        self._diagnostics: dict[str, asyncio.TimerHandle] = {}
        self._waiters: dict[str, list[asyncio.Future[None]]] = {}
        self._serialised: Lru[int, tuple[Any, Any]] = Lru(SERIALISED_MEMO_SIZE)
        self._warned: set[str] = set()
        #: the client's workDoneToken of each running executeCommand, by request id
        self.progress_tokens: dict[Any, lsp.ProgressToken] = {}

    # -- helpers -------------------------------------------------------------

    @property
    def encoding(self) -> PositionEncoding:
        return self.client.encoding

    def show(self, kind: lsp.MessageType, message: str) -> None:
        self.window_show_message(lsp.ShowMessageParams(type=kind, message=message))

    # -- the synthesis host (synthesis.SynthesisHost) ---------------------------

    def current_request(self) -> Any:
        return self.protocol.msg_id

    def request_progress_token(self) -> lsp.ProgressToken | None:
        return self.progress_tokens.get(self.protocol.msg_id)

    def progress_sink(self) -> ProgressSink | None:
        return self.work_done_progress if self.client.work_done_progress else None

    async def ask(self, kind: lsp.MessageType, message: str, choices: list[p.Choice]) -> str | None:
        params = lsp.ShowMessageRequestParams(type=kind, message=message, actions=list(choices))
        picked = await self.window_show_message_request_async(params)
        return picked.title if picked is not None else None

    async def apply_edit(self, params: lsp.ApplyWorkspaceEditParams) -> lsp.ApplyWorkspaceEditResult:
        return await self.workspace_apply_edit_async(params)

    def snapshot(self, uri: str) -> Snapshot:
        snapshot = self.documents.get(uri)
        if snapshot is None:
            raise p.CommandError(f"{uri} is not open in the editor")
        return snapshot

    # -- settings ----------------------------------------------------------------

    def _checked(self, raw: Any) -> Settings:
        """Settings from a raw `dlmSynth` value; each bad value is reported once
        (until the configuration changes), not on every command that reads it."""
        settings, problems = load_settings(raw)
        for problem in problems:
            if problem not in self._warned:
                self._warned.add(problem)
                self.show(lsp.MessageType.Warning, messages.settings_problem(problem))
        return settings

    def apply_settings(self, raw: Any) -> None:
        self.settings = self._checked(raw)

    def configuration_changed(self) -> None:
        self._warned.clear()

    async def settings_for(self, uri: str) -> Settings:
        """The settings for the document `uri` now: asked of the client for that
        document (`scopeUri`, so folder and language overrides apply), else the
        global ones. A job keeps what this returned when it started."""
        if not self.client.configuration:
            return self.settings
        try:
            values = await self.workspace_configuration_async(
                lsp.ConfigurationParams(items=[lsp.ConfigurationItem(scope_uri=uri, section=SECTION)])
            )
        except Exception as exc:  # a client may answer with an error
            log.info("workspace/configuration for %s failed: %s", uri, exc)
            return self.settings
        if not values or values[0] is None:
            return self.settings
        return self._checked(values[0])

    # -- the command host (commands.CommandHost) ------------------------------------

    async def show_document(self, params: lsp.ShowDocumentParams) -> lsp.ShowDocumentResult | None:
        return await self.window_show_document_async(params)

    def serialised(self, value: Any) -> Any:
        """`value` as JSON data, remembered per object: the outline of a large
        document is mostly the same symbol objects between versions (see
        features/symbols.py), and converting them again costs ~20 ms per request."""
        held = self._serialised.get(id(value), lambda: (value, self.protocol._converter.unstructure(value)))
        if held[0] is not value:  # an id reused by a newer object
            held = (value, self.protocol._converter.unstructure(value))
            self._serialised.put(id(value), held)
        return held[1]

    # -- document changes ----------------------------------------------------

    def changed(self, uri: str) -> None:
        for waiter in self._waiters.pop(uri, []):
            if not waiter.done():
                waiter.set_result(None)

    async def document_changed(self, uri: str, timeout: float) -> None:
        """Returns after the next change of `uri` or `timeout` seconds."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(uri, []).append(waiter)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(waiter, max(0.0, timeout))

    def schedule_diagnostics(self, uri: str, delay: float = DIAGNOSTICS_DELAY_S) -> None:
        pending = self._diagnostics.pop(uri, None)
        if pending is not None:
            pending.cancel()
        snapshot = self.documents.get(uri)
        if snapshot is None:
            return
        if delay <= 0:
            self.publish_diagnostics(uri, snapshot.version)
            return
        loop = asyncio.get_running_loop()
        self._diagnostics[uri] = loop.call_later(delay, self.publish_diagnostics, uri, snapshot.version)

    def publish_diagnostics(self, uri: str, version: int | None) -> None:
        """Publishes for `version` only if it is still current: a late publish for an
        old version would show stale ranges."""
        self._diagnostics.pop(uri, None)
        snapshot = self.documents.get(uri)
        if snapshot is None or snapshot.version != version:
            return
        encoding = self.encoding
        diagnostics = [to_diagnostic(snapshot.doc, p, encoding) for p in snapshot.doc.problems]
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=uri, version=version, diagnostics=diagnostics)
        )


server = DlmLanguageServer()


# -- lifecycle and sync ---------------------------------------------------------


@server.feature(lsp.INITIALIZE)
def initialize(ls: DlmLanguageServer, params: lsp.InitializeParams) -> None:
    ls.client = ClientProfile.resolve(params.capabilities, ls.workspace.position_encoding)
    if params.initialization_options is not None:
        ls.apply_settings(params.initialization_options)


@server.feature(lsp.INITIALIZED)
async def initialized(ls: DlmLanguageServer, params: lsp.InitializedParams) -> None:
    await pull_settings(ls)


async def pull_settings(ls: DlmLanguageServer) -> None:
    if not ls.client.configuration:
        return
    try:
        values = await ls.workspace_configuration_async(
            lsp.ConfigurationParams(items=[lsp.ConfigurationItem(section=SECTION)])
        )
    except Exception as exc:  # a client may answer with an error
        log.info("workspace/configuration failed: %s", exc)
        return
    if values and values[0] is not None:
        ls.apply_settings(values[0])


@server.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
async def did_change_configuration(ls: DlmLanguageServer, params: lsp.DidChangeConfigurationParams) -> None:
    ls.configuration_changed()
    if ls.client.configuration:
        await pull_settings(ls)
    elif params.settings:
        ls.apply_settings(params.settings)


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: DlmLanguageServer, params: lsp.DidOpenTextDocumentParams) -> None:
    item = params.text_document
    ls.documents.open(item.uri, item.version, item.text)
    ls.changed(item.uri)
    ls.schedule_diagnostics(item.uri, delay=0)


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: DlmLanguageServer, params: lsp.DidChangeTextDocumentParams) -> None:
    uri = params.text_document.uri
    if ls.documents.change(uri, params.text_document.version, params.content_changes, ls.encoding) is None:
        return
    ls.changed(uri)
    ls.schedule_diagnostics(uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: DlmLanguageServer, params: lsp.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    ls.documents.close(uri)
    ls.changed(uri)
    ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


# -- read-only features -----------------------------------------------------------


@server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def document_symbol(ls: DlmLanguageServer, params: lsp.DocumentSymbolParams) -> list[Any]:
    snapshot = ls.documents.get(params.text_document.uri)
    if snapshot is None:
        return []
    return [ls.serialised(symbol) for symbol in features.document_symbols(snapshot.doc, ls.encoding)]


@server.feature(lsp.TEXT_DOCUMENT_FOLDING_RANGE)
def folding_range(ls: DlmLanguageServer, params: lsp.FoldingRangeParams) -> list[lsp.FoldingRange]:
    snapshot = ls.documents.get(params.text_document.uri)
    return [] if snapshot is None else features.folding_ranges(snapshot.doc)


@server.feature(lsp.TEXT_DOCUMENT_HOVER)
def hover(ls: DlmLanguageServer, params: lsp.HoverParams) -> lsp.Hover | None:
    snapshot = ls.documents.get(params.text_document.uri)
    return None if snapshot is None else features.hover(snapshot.doc, params.position, ls.encoding)


@server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
def definition(ls: DlmLanguageServer, params: lsp.DefinitionParams) -> lsp.Location | None:
    snapshot = ls.documents.get(params.text_document.uri)
    if snapshot is None:
        return None
    return features.definition(snapshot.doc, snapshot.uri, params.position, ls.encoding)


@server.feature(lsp.TEXT_DOCUMENT_CODE_LENS)
def code_lens(ls: DlmLanguageServer, params: lsp.CodeLensParams) -> list[lsp.CodeLens]:
    snapshot = ls.documents.get(params.text_document.uri)
    return [] if snapshot is None else features.code_lenses(snapshot.doc, snapshot.uri, ls.encoding)


@server.feature(
    lsp.TEXT_DOCUMENT_CODE_ACTION,
    lsp.CodeActionOptions(
        code_action_kinds=[
            lsp.CodeActionKind.QuickFix,
            lsp.CodeActionKind.RefactorRewrite,
            lsp.CodeActionKind.Source,
        ]
    ),
)
def code_action(ls: DlmLanguageServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
    snapshot = ls.documents.get(params.text_document.uri)
    if snapshot is None:
        return []
    return features.code_actions(
        snapshot.doc,
        snapshot.uri,
        params.range,
        list(params.context.diagnostics),
        ls.encoding,
        [str(k) for k in params.context.only] if params.context.only else None,
    )


# -- commands (commands.py) -----------------------------------------------------------

for _command_id, _handler in HANDLERS.items():
    server.command(_command_id)(_handler)
