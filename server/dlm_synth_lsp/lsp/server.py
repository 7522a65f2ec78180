"""The pygls server: capabilities, document sync, feature and command wiring.

Only glue lives here. Parsing is the document core's, synthesis the pipeline's,
feature answers come from pure functions in `features/`, and long work runs as jobs
(`synthesis.py`, `jobs.py`). Every handler that answers from the model is a plain
function on the event loop: they are fast (the core is incremental), and keeping
them off pygls' thread pool avoids the starvation described in the field notes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.uris import to_fs_path

from .. import __version__
from ..document.edits import EditError, plan_revert
from ..document.model import SectionType
from ..document.text import PositionEncoding, Span
from ..synth.context import identity
from ..synth.errors import PendingSynthPlanError
from ..synth.pending import load_plan, save_plan
from ..synth.pipeline import select_sources
from ..synth.render import applied_entry, applied_sections, staged_entry
from ..synth.store import pending_path
from . import features
from . import protocol as ids
from .client import ClientProfile
from .config import SECTION, Settings, load_settings
from .convert import from_position, line_range, to_diagnostic
from .jobs import JobManager, ProgressSink
from .synthesis import Landing, Synthesizer
from .workspace import Documents, Snapshot

log = logging.getLogger("dlm_synth_lsp")

DIAGNOSTICS_DELAY_S = 0.15
SERIALISED_MEMO_SIZE = 50_000


class DlmProtocol(LanguageServerProtocol):
    """pygls answers `$/cancelRequest` for `workspace/executeCommand` but leaves the
    command's coroutine running (field notes §1.8); this also cancels our job."""

    def _handle_cancel_notification(self, msg_id: Any) -> None:
        server = self._server
        if isinstance(server, DlmLanguageServer):
            server.jobs.cancel_request(msg_id)
        super()._handle_cancel_notification(msg_id)


class CommandError(Exception):
    """Bad command arguments: answered as a JSON-RPC error with this message."""


class DlmLanguageServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("dlm-synth-lsp", __version__, protocol_cls=DlmProtocol)
        self.documents = Documents()
        self.settings = Settings()
        self.jobs = JobManager()
        self.client = ClientProfile()
        self.synthesizer = Synthesizer(self)
        self._diagnostics: dict[str, asyncio.TimerHandle] = {}
        self._waiters: dict[str, list[asyncio.Future[None]]] = {}
        self._serialised: dict[int, tuple[Any, Any]] = {}

    # -- helpers -------------------------------------------------------------

    @property
    def encoding(self) -> PositionEncoding:
        return self.client.encoding

    def show(self, kind: lsp.MessageType, message: str) -> None:
        self.window_show_message(lsp.ShowMessageParams(type=kind, message=message))

    # -- the synthesis host (synthesis.SynthesisHost) ---------------------------

    def current_request(self) -> Any:
        return self.protocol.msg_id

    def progress_sink(self) -> ProgressSink | None:
        return self.work_done_progress if self.client.work_done_progress else None

    async def ask(self, params: lsp.ShowMessageRequestParams) -> lsp.MessageActionItem | None:
        return await self.window_show_message_request_async(params)

    async def apply_edit(self, params: lsp.ApplyWorkspaceEditParams) -> lsp.ApplyWorkspaceEditResult:
        return await self.workspace_apply_edit_async(params)

    def snapshot(self, uri: str) -> Snapshot:
        snapshot = self.documents.get(uri)
        if snapshot is None:
            raise CommandError(f"{uri} is not open in the editor")
        return snapshot

    def apply_settings(self, raw: Any) -> None:
        settings, problems = load_settings(raw)
        self.settings = settings
        for problem in problems:
            self.show(lsp.MessageType.Warning, f"dlm-synth settings: {problem}")

    def serialised(self, value: Any) -> Any:
        """`value` as JSON data, remembered per object: the outline of a large
        document is mostly the same symbol objects between versions (see
        features/symbols.py), and converting them again costs ~20 ms per request."""
        key = id(value)
        held = self._serialised.get(key)
        if held is not None and held[0] is value:
            return held[1]
        data = self.protocol._converter.unstructure(value)
        self._serialised[key] = (value, data)
        if len(self._serialised) > SERIALISED_MEMO_SIZE:
            self._serialised.pop(next(iter(self._serialised)))
        return data

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


# -- commands ---------------------------------------------------------------------


def _arguments(args: Sequence[Any]) -> dict[str, Any]:
    """Commands take one JSON object; an LSP client sends `arguments: [ {...} ]`."""
    if len(args) != 1 or not isinstance(args[0], dict):
        raise CommandError('expected one argument: a JSON object such as {"uri": "file:///…"}')
    payload: dict[str, Any] = args[0]
    if not isinstance(payload.get("uri"), str):
        raise CommandError("the argument object needs a string `uri`")
    return payload


_OVERRIDES = {"teacher": "teacher", "strategy": "strategy", "perSection": "per_section", "filter": "filter"}


def _overrides(payload: dict[str, Any]) -> dict[str, Any]:
    given = {key: payload[key] for key in _OVERRIDES if payload.get(key) is not None}
    checked, problems = load_settings(given)
    if problems:
        raise CommandError("; ".join(problems).replace("dlmSynth.", ""))
    return {name: getattr(checked, name) for key, name in _OVERRIDES.items() if key in given}


def _range(snapshot: Snapshot, raw: Any, encoding: PositionEncoding) -> Span:
    try:
        rng = lsp.Range(
            start=lsp.Position(line=int(raw["start"]["line"]), character=int(raw["start"]["character"])),
            end=lsp.Position(line=int(raw["end"]["line"]), character=int(raw["end"]["character"])),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise CommandError("`range` must be an LSP range {start: {line, character}, end: {…}}") from exc
    doc = snapshot.doc
    return Span(from_position(doc, rng.start, encoding), from_position(doc, rng.end, encoding))


def _selection(snapshot: Snapshot, span: Span) -> tuple[str, str | None]:
    """(prose section id, selected text or None for an empty selection)."""
    section = snapshot.doc.section_at(span.start.line)
    if section is None or section.type is not SectionType.PROSE:
        raise CommandError("the range is not inside a prose section")
    if span.start == span.end:
        return section.section_id, None
    lines = snapshot.doc.lines
    if span.end.line > section.end_line - 1:
        raise CommandError("the selection must stay inside one prose section")
    if span.start.line == span.end.line:
        text = lines[span.start.line][span.start.column : span.end.column]
    else:
        text = "\n".join(
            [
                lines[span.start.line][span.start.column :],
                *lines[span.start.line + 1 : span.end.line],
                lines[span.end.line][: span.end.column],
            ]
        )
    return section.section_id, text


@server.command(ids.SYNTHESIZE)
async def synthesize(ls: DlmLanguageServer, *args: Any) -> dict[str, Any]:
    payload = _arguments(args)
    snapshot = ls.snapshot(payload["uri"])
    overrides = _overrides(payload)
    selection: tuple[str, str] | None = None
    section_id = payload.get("sectionId")
    if payload.get("range") is not None:
        section_id, text = _selection(snapshot, _range(snapshot, payload["range"], ls.encoding))
        if text is not None:
            selection = (section_id, text)
    if not isinstance(section_id, str):
        raise CommandError("give a `sectionId` or a `range` inside a prose section")
    try:
        sources = select_sources(snapshot.doc, None if selection else [section_id], selection)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    if not sources:
        raise CommandError("that prose section is empty")
    # the progress messages name the section; the title stays short
    return await ls.synthesizer.run(
        snapshot.uri,
        sources,
        frozenset({section_id}),
        ls.settings,
        overrides,
        "Synthesizing instructions",
        quiet=payload.get("quiet") is True,
    )


@server.command(ids.SYNTHESIZE_DOCUMENT)
async def synthesize_document(ls: DlmLanguageServer, *args: Any) -> dict[str, Any]:
    payload = _arguments(args)
    snapshot = ls.snapshot(payload["uri"])
    sources = select_sources(snapshot.doc)
    if not sources:
        raise CommandError("the document has no non-empty prose section to synthesize from")
    return await ls.synthesizer.run(
        snapshot.uri,
        sources,
        None,
        ls.settings,
        _overrides(payload),
        "Synthesizing instructions for the document",
        quiet=payload.get("quiet") is True,
    )


@server.command(ids.REVERT)
async def revert(ls: DlmLanguageServer, *args: Any) -> dict[str, Any]:
    payload = _arguments(args)
    snapshot = ls.snapshot(payload["uri"])
    try:
        edits = plan_revert(snapshot.doc, payload.get("sectionId"))
    except EditError as exc:
        raise CommandError(str(exc)) from exc
    removed = len(applied_sections(snapshot.doc)) if payload.get("sectionId") is None else 1
    if not edits:
        return {"removed": 0}
    edit = ls.synthesizer.workspace_edit(
        snapshot.uri, snapshot.version, snapshot.doc, edits, False, "Revert synthesized instructions"
    )
    label = "Revert synthesized instructions"
    answer = await ls.apply_edit(lsp.ApplyWorkspaceEditParams(edit=edit, label=label))
    if not answer.applied:
        ls.show(
            lsp.MessageType.Warning, "The editor did not apply the revert (the document changed?); try again."
        )
        return {"removed": 0, "error": answer.failure_reason or "not applied"}
    return {"removed": removed}


@server.command(ids.LIST)
def list_synthesized(ls: DlmLanguageServer, *args: Any) -> dict[str, Any]:
    payload = _arguments(args)
    snapshot = ls.snapshot(payload["uri"])
    doc, encoding = snapshot.doc, ls.encoding
    applied = []
    for section in applied_sections(doc):
        entry = applied_entry(section, doc)
        entry["range"] = _json(line_range(doc, entry["startLine"], entry["endLine"], encoding))
        applied.append(entry)
    staged: list[dict[str, Any]] = []
    dlm_id = identity(doc).dlm_id
    if dlm_id is not None:
        try:
            plan = load_plan(pending_path(dlm_id, ls.settings.dlm_home))
        except (PendingSynthPlanError, ValueError) as exc:
            ls.show(lsp.MessageType.Warning, f"The staged plan cannot be read: {exc}")
            plan = None
        if plan is not None:
            staged = [{**staged_entry(p), "range": None} for p in plan.pairs]
    return {"applied": applied, "staged": staged}


@server.command(ids.CANCEL)
def cancel(ls: DlmLanguageServer, *args: Any) -> dict[str, Any]:
    uri = args[0].get("uri") if args and isinstance(args[0], dict) else None
    return {"cancelled": ls.jobs.cancel(uri)}


@server.command(ids.APPLY_STAGED)
async def apply_staged(ls: DlmLanguageServer, *args: Any) -> dict[str, Any]:
    payload = _arguments(args)
    snapshot = ls.snapshot(payload["uri"])
    dlm_id = identity(snapshot.doc).dlm_id
    if dlm_id is None:
        raise CommandError("the document has no dlm_id, so it has no staged plan")
    path = pending_path(dlm_id, ls.settings.dlm_home)
    try:
        plan = load_plan(path)
    except PendingSynthPlanError as exc:
        raise CommandError(str(exc)) from exc
    if plan is None or not plan.pairs:
        return {"applied": 0, "alreadyPresent": 0, "remaining": 0}
    landing = Landing()
    await ls.synthesizer.land_pairs(
        snapshot.uri, list(plan.pairs), {}, ls.settings, landing, label="Apply staged instructions"
    )
    done = {(p.question, p.answer) for p in landing.applied + landing.present}
    remaining = [p for p in plan.pairs if (p.question, p.answer) not in done]
    source = to_fs_path(snapshot.uri)
    if remaining:
        save_plan(path, Path(source) if source else Path(plan.source_path), remaining)
    else:
        path.unlink(missing_ok=True)
    return {
        "applied": len(landing.applied),
        "alreadyPresent": len(landing.present),
        "remaining": len(remaining),
    }


@server.command(ids.REVEAL_SOURCE)
async def reveal_source(ls: DlmLanguageServer, *args: Any) -> dict[str, Any]:
    payload = _arguments(args)
    snapshot = ls.snapshot(payload["uri"])
    section = snapshot.doc.find(str(payload.get("sectionId")))
    if section is None:
        raise CommandError("that source section no longer exists")
    first = section.start_line - 1
    target = line_range(snapshot.doc, first, first, ls.encoding)
    result = await ls.window_show_document_async(
        lsp.ShowDocumentParams(uri=snapshot.uri, take_focus=True, selection=target)
    )
    return {"shown": bool(result and result.success)}


def _json(value: Any) -> Any:
    # the converter pygls itself uses, so ranges serialise exactly as in responses
    return server.protocol._converter.unstructure(value)
