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
import inspect
import json
import logging
import sys
import threading
from collections.abc import Callable, Generator
from typing import Any, BinaryIO, ClassVar

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcInvalidParams
from pygls.io_ import StdoutWriter, run_async
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol, lsp_method

from .. import __version__
from ..document import Document
from ..document.memo import Lru, Passes
from ..document.text import PositionEncoding
from . import features, messages
from . import protocol as p
from .client import ClientProfile
from .commands import HANDLERS
from .config import SECTION, Settings, load_settings
from .convert import to_diagnostic
from .frames import AsyncFrameStream, FrameStream
from .jobs import JobManager, ProgressSink
from .stdio import PipeReader, pipe_capable
from .synthesis import Synthesizer
from .workspace import Documents, Snapshot

log = logging.getLogger("dlm_synth_lsp")

DIAGNOSTICS_DELAY_S = 0.15
#: how long a command waits for a settings pull in flight before it uses what it has
SETTINGS_WAIT_S = 5.0
#: code actions encoded per open document (few, small: a count bounds them)
ENCODED_MEMO_SIZE = 4096


class EncodedJson(str):
    """A result already encoded as JSON text (`DlmLanguageServer.encoded`): sent as
    it is, without pygls' conversion and `json.dumps` of the whole answer."""


class DlmProtocol(LanguageServerProtocol):
    """pygls' protocol with four built-in handlers replaced (pygls >=2.1,<2.2, pinned;
    `tests/lsp/unit/test_pygls_contract.py` fails if pygls changes underneath).

    Document sync: pygls' built-in didOpen/didChange/didClose keep a `TextDocument`
    copy of every open document in its `Workspace`, and its incremental update
    re-splits and rebuilds the whole text on every change (~16 ms per keystroke on a
    1 MB document). Nothing here reads that copy: the open documents are our own
    incremental snapshots (`workspace.Documents`). So these handlers only pass the
    notification on to ours, and pygls' workspace never holds a text document.
    (They must stay generator functions: pygls drives only those as built-ins.)"""

    #: writes in flight on an asynchronous transport (kept so they are not collected)
    _writes: ClassVar[set[asyncio.Future[Any]]] = set()

    def _ours(self, method: str, params: Any) -> Generator[Any, Any, None]:
        if (handler := self.fm.features.get(method)) is not None:
            yield handler, (params,), None

    @lsp_method(lsp.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: lsp.DidOpenTextDocumentParams) -> Generator[Any, Any, None]:
        yield from self._ours(lsp.TEXT_DOCUMENT_DID_OPEN, params)

    @lsp_method(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(
        self, params: lsp.DidChangeTextDocumentParams
    ) -> Generator[Any, Any, None]:
        yield from self._ours(lsp.TEXT_DOCUMENT_DID_CHANGE, params)

    @lsp_method(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(
        self, params: lsp.DidCloseTextDocumentParams
    ) -> Generator[Any, Any, None]:
        yield from self._ours(lsp.TEXT_DOCUMENT_DID_CLOSE, params)

    def _send_data(self, data: Any) -> None:
        """A response whose result is `EncodedJson` is framed here, the text spliced
        in as it is; everything else goes through pygls (`json.dumps` of the whole)."""
        result = getattr(data, "result", None)
        if not isinstance(result, EncodedJson) or self.writer is None or not self._include_headers:
            super()._send_data(data)
            return
        body = f'{{"id": {json.dumps(data.id)}, "jsonrpc": "{self.VERSION}", "result": {result}}}'.encode()
        kind = f"{self.CONTENT_TYPE}; charset={self.CHARSET}"
        written = self.writer.write(
            f"Content-Length: {len(body)}\r\nContent-Type: {kind}\r\n\r\n".encode() + body
        )
        if inspect.isawaitable(written):  # a websocket: pygls leaves these running too
            task = asyncio.ensure_future(written)
            self._writes.add(task)
            task.add_done_callback(self._writes.discard)

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
        one (a -32603 with a Python class path) or count in its own words. A bad
        argument is answered in our words only (pygls prefixes "Invalid Params: "). A
        `workDoneToken` the client sent is kept for the command's job (by request id)."""
        if params.command in p.ALL_COMMANDS and len(params.arguments or []) != 1:
            raise p.CommandError(p.ONE_ARGUMENT)
        server = self._server
        token = params.work_done_token
        if isinstance(server, DlmLanguageServer) and token is not None:
            server.progress_tokens[self.msg_id] = token
        try:
            return (yield from super().lsp_workspace__execute_command(params))
        except JsonRpcInvalidParams as exc:
            if isinstance(exc.__context__, p.CommandError):
                raise exc.__context__ from None
            raise
        finally:
            if isinstance(server, DlmLanguageServer):
                server.progress_tokens.pop(self.msg_id, None)


class DlmLanguageServer(LanguageServer):
    """pygls' server with the two overrides documented here (pinned to pygls 2.1, see
    pyproject): `DlmProtocol`, and input read through `frames.py` so that a malformed
    frame cannot desynchronise the session, from stdin on the event loop
    (`_start_io_async`, `stdio.py`) or a TCP connection (`start_tcp`)."""

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
        self.semantic_tokens = features.SemanticTokensStore()
        self._diagnostics: dict[str, asyncio.TimerHandle] = {}
        self._waiters: dict[str, list[asyncio.Future[None]]] = {}
        self._warned: set[str] = set()
        #: the client's workDoneToken of each running executeCommand, by request id
        self.progress_tokens: dict[Any, lsp.ProgressToken] = {}
        #: the pull of the global settings in flight (after `initialized` or a change)
        self._settings_pull: asyncio.Future[None] | None = None

    def start_tcp(self, host: str, port: int) -> None:
        """pygls 2.1's `start_tcp`, each connection's input read by `AsyncFrameStream`."""
        self._stop_event = stop_event = threading.Event()

        async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.protocol.set_writer(writer)
            await run_async(
                stop_event=stop_event,
                reader=AsyncFrameStream(reader),
                protocol=self.protocol,
                logger=log,
                error_handler=self.report_server_error,
            )
            self.shutdown()  # type: ignore[no-untyped-call]

        async def serve() -> None:
            self._server = await asyncio.start_server(connection, host, port)
            async with self._server:
                await self._server.serve_forever()

        with contextlib.suppress(asyncio.CancelledError):
            asyncio.run(serve())

    def _start_io_async(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        """pygls' start-up (pinned 2.1) with `stdio.PipeReader` in place of its
        thread-pool reader, which costs three thread hand-offs per message, and every
        frame checked by `frames.py` on the way in."""
        stream = stdin or sys.stdin.buffer
        if not pipe_capable(stream):
            super()._start_io_async(FrameStream(stream), stdout or sys.stdout.buffer)  # type: ignore[arg-type]
            return
        self._stop_event = threading.Event()
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
        try:
            asyncio.run(
                run_async(
                    stop_event=self._stop_event,
                    reader=AsyncFrameStream(PipeReader(stream)),
                    protocol=self.protocol,
                    logger=log,
                    error_handler=self.report_server_error,
                )
            )
        except BrokenPipeError:
            log.error("the connection to the client is lost; shutting down")
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.shutdown()  # type: ignore[no-untyped-call]

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

    async def pull_settings(self) -> None:
        """Ask the client for the global settings (when it can be asked); commands
        that fall back to them wait for this pull."""
        if not self.client.configuration:
            return
        pull = self._settings_pull = asyncio.ensure_future(self._pull_settings())
        await pull

    async def _pull_settings(self) -> None:
        try:
            values = await self.workspace_configuration_async(
                lsp.ConfigurationParams(items=[lsp.ConfigurationItem(section=SECTION)])
            )
        except Exception as exc:  # a client may answer with an error
            log.info("workspace/configuration failed: %s", exc)
            return
        if values and values[0] is not None:
            self.apply_settings(values[0])

    async def _global_settings(self) -> Settings:
        """The global settings, once a pull in flight has ended: a command sent right
        after `initialized` (or a configuration change) must not run with what was
        there before (the defaults, at first)."""
        pull = self._settings_pull
        if pull is not None and not pull.done():
            try:
                await asyncio.wait_for(asyncio.shield(pull), SETTINGS_WAIT_S)
            except TimeoutError:
                log.info("the client has not answered workspace/configuration; using the settings so far")
        return self.settings

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
            return await self._global_settings()
        if not values or values[0] is None:
            return await self._global_settings()
        return self._checked(values[0])

    # -- the command host (commands.CommandHost) ------------------------------------

    async def show_document(self, params: lsp.ShowDocumentParams) -> lsp.ShowDocumentResult | None:
        return await self.window_show_document_async(params)

    def encoded(self, doc: Document, name: str, values: list[Any]) -> EncodedJson:
        """`values` (the whole answer `name` for `doc`: its outline, lenses, folds) as
        one JSON array, each value's text remembered per object: they are mostly the
        same objects from one version to the next (see features/), and converting and
        encoding them again cost ~20 ms per request (and garbage for the collector;
        the remembered texts are strings, which it never scans). Remembered per open
        document and answer, for the values of the last answer only (`memo.Passes`):
        closing the document releases them."""
        passes: Passes[int, tuple[Any, str]] = doc.shared(f"encoded:{name}", Passes)
        made = passes.begin()
        text = EncodedJson(f"[{','.join(self._encoded_one(made.get, value) for value in values)}]")
        passes.end(made)
        return text

    def encoded_some(self, doc: Document, values: list[Any]) -> EncodedJson:
        """Like `encoded` for answers about a part of `doc` (code actions): what was
        encoded is kept per open document, a bounded number of (small) values."""
        memo: Lru[int, tuple[Any, str]] = doc.shared("encoded:some", lambda: Lru(ENCODED_MEMO_SIZE))
        return EncodedJson(f"[{','.join(self._encoded_one(memo.get, value) for value in values)}]")

    def _encoded_one(
        self, get: Callable[[int, Callable[[], tuple[Any, str]]], tuple[Any, str]], value: Any
    ) -> str:
        held = get(id(value), lambda: (value, self._encode(value)))
        if held[0] is not value:  # an id reused by a newer object
            held = (value, self._encode(value))
        return held[1]

    def _encode(self, value: Any) -> str:
        return json.dumps(self.protocol._converter.unstructure(value), separators=(",", ":"))

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
    await ls.pull_settings()


@server.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
async def did_change_configuration(ls: DlmLanguageServer, params: lsp.DidChangeConfigurationParams) -> None:
    ls.configuration_changed()
    if ls.client.configuration:
        await ls.pull_settings()
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
    ls.semantic_tokens.forget(uri)
    ls.synthesizer.document_closed(uri)
    ls.changed(uri)
    ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


# -- read-only features -----------------------------------------------------------


@server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def document_symbol(ls: DlmLanguageServer, params: lsp.DocumentSymbolParams) -> EncodedJson | list[Any]:
    snapshot = ls.documents.get(params.text_document.uri)
    if snapshot is None:
        return []
    return ls.encoded(snapshot.doc, "symbols", features.document_symbols(snapshot.doc, ls.encoding))


@server.feature(lsp.TEXT_DOCUMENT_FOLDING_RANGE)
def folding_range(ls: DlmLanguageServer, params: lsp.FoldingRangeParams) -> EncodedJson | list[Any]:
    snapshot = ls.documents.get(params.text_document.uri)
    if snapshot is None:
        return []
    return ls.encoded(snapshot.doc, "folds", features.folding_ranges(snapshot.doc))


@server.feature(lsp.TEXT_DOCUMENT_HOVER)
def hover(ls: DlmLanguageServer, params: lsp.HoverParams) -> lsp.Hover | None:
    snapshot = ls.documents.get(params.text_document.uri)
    return None if snapshot is None else features.hover(snapshot.doc, params.position, ls.encoding)


@server.feature(lsp.TEXT_DOCUMENT_COMPLETION, features.completion.OPTIONS)
def completion(ls: DlmLanguageServer, params: lsp.CompletionParams) -> lsp.CompletionList | None:
    snapshot = ls.documents.get(params.text_document.uri)
    if snapshot is None:
        return None
    return features.completions(snapshot.doc, params.position, ls.encoding, ls.client.snippets)


@server.feature(lsp.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL, features.LEGEND)
def semantic_tokens_full(
    ls: DlmLanguageServer, params: lsp.SemanticTokensParams
) -> lsp.SemanticTokens | None:
    snapshot = ls.documents.get(params.text_document.uri)
    return None if snapshot is None else ls.semantic_tokens.full(snapshot.uri, snapshot.doc, ls.encoding)


@server.feature(lsp.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL_DELTA, features.LEGEND)
def semantic_tokens_delta(
    ls: DlmLanguageServer, params: lsp.SemanticTokensDeltaParams
) -> lsp.SemanticTokens | lsp.SemanticTokensDelta | None:
    snapshot = ls.documents.get(params.text_document.uri)
    if snapshot is None:
        return None
    return ls.semantic_tokens.delta(snapshot.uri, snapshot.doc, ls.encoding, params.previous_result_id)


@server.feature(lsp.TEXT_DOCUMENT_SEMANTIC_TOKENS_RANGE, features.LEGEND)
def semantic_tokens_range(
    ls: DlmLanguageServer, params: lsp.SemanticTokensRangeParams
) -> lsp.SemanticTokens | None:
    snapshot = ls.documents.get(params.text_document.uri)
    return None if snapshot is None else ls.semantic_tokens.range(snapshot.doc, ls.encoding, params.range)


@server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
def definition(ls: DlmLanguageServer, params: lsp.DefinitionParams) -> lsp.Location | None:
    snapshot = ls.documents.get(params.text_document.uri)
    if snapshot is None:
        return None
    return features.definition(snapshot.doc, snapshot.uri, params.position, ls.encoding)


@server.feature(lsp.TEXT_DOCUMENT_CODE_LENS)
def code_lens(ls: DlmLanguageServer, params: lsp.CodeLensParams) -> EncodedJson | list[Any]:
    snapshot = ls.documents.get(params.text_document.uri)
    if snapshot is None:
        return []
    return ls.encoded(snapshot.doc, "lenses", features.code_lenses(snapshot.doc, snapshot.uri, ls.encoding))


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
def code_action(ls: DlmLanguageServer, params: lsp.CodeActionParams) -> EncodedJson | list[Any]:
    snapshot = ls.documents.get(params.text_document.uri)
    if snapshot is None:
        return []
    found = features.code_actions(
        snapshot.doc,
        snapshot.uri,
        params.range,
        list(params.context.diagnostics),
        ls.encoding,
        [str(k) for k in params.context.only] if params.context.only else None,
    )
    # most actions are the same objects from one request to the next (see features)
    return ls.encoded_some(snapshot.doc, found)


# -- commands (commands.py) -----------------------------------------------------------

for _command_id, _handler in HANDLERS.items():
    server.command(_command_id)(_handler)
