"""The `workspace/executeCommand` handlers: a typed argument (structured and checked
by `protocol.py` before the handler runs) → calls into the cores → a typed result.

Handlers read the open document's snapshot and the document's settings; long work
(synthesis, and landing a staged plan) goes through the `Synthesizer`. A problem
with what the client asked for is a `CommandError` (JSON-RPC -32602, a message that
names the argument); an outcome, good or bad, is a result with a server-worded
`message`.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException, JsonRpcInternalError
from pygls.uris import to_fs_path

from .. import __version__
from ..document import Document
from ..document.edits import EditError, TextEdit, plan_revert
from ..document.model import SectionType
from ..document.relink import plan_relink
from ..document.text import Span
from ..synth import readiness
from ..synth.errors import PendingSynthPlanError
from ..synth.pipeline import Source, select_sources
from ..synth.results import SynthesizedEntry, applied_sections, listing
from ..synth.staging import read_staged, unstage
from . import messages
from . import protocol as p
from .config import Settings
from .convert import from_position, line_range
from .protocol import CommandError
from .synthesis import Landing, SynthesisHost, Synthesizer
from .workspace import Snapshot

log = logging.getLogger(__name__)


class CommandHost(SynthesisHost, Protocol):
    """What the handlers need from the server (`DlmLanguageServer` is one)."""

    #: the settings used when no document is named (or the client cannot be asked)
    settings: Settings

    @property
    def synthesizer(self) -> Synthesizer: ...

    def snapshot(self, uri: str) -> Snapshot:
        """The open document; CommandError when it is not open."""
        ...

    async def settings_for(self, uri: str) -> Settings:
        """The settings that apply to this document now."""
        ...

    async def show_document(self, params: lsp.ShowDocumentParams) -> lsp.ShowDocumentResult | None: ...


def _selection(host: CommandHost, snapshot: Snapshot, rng: lsp.Range) -> tuple[str, str | None]:
    """(prose section id, selected text or None for an empty selection)."""
    doc = snapshot.doc
    encoding = host.client.encoding
    if (rng.end.line, rng.end.character) < (rng.start.line, rng.start.character):
        raise CommandError("range: its start comes after its end")
    span = Span(from_position(doc, rng.start, encoding), from_position(doc, rng.end, encoding))
    section = doc.section_at(span.start.line)
    if section is None or section.type is not SectionType.PROSE:
        raise CommandError("the range is not inside a prose section")
    if span.start == span.end:
        return section.section_id, None
    if span.end.line > section.end_line - 1:
        raise CommandError("the selection must stay inside one prose section")
    return section.section_id, doc.text_in(span)


def _sources(host: CommandHost, snapshot: Snapshot, args: p.SynthesizeArgs) -> tuple[str, list[Source]]:
    section_id = args.section_id
    selection: tuple[str, str] | None = None
    if args.range is not None:
        section_id, text = _selection(host, snapshot, args.range)
        if text is not None:
            selection = (section_id, text)
    if section_id is None:
        raise CommandError("give a `sectionId` or a `range` inside a prose section")
    try:
        sources = select_sources(snapshot.doc, None if selection else [section_id], selection)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    if not sources:
        raise CommandError("that prose section is empty")
    return section_id, sources


async def _run(
    ls: CommandHost,
    snapshot: Snapshot,
    sources: list[Source],
    sections: frozenset[str] | None,
    args: p.SynthesizeDocumentArgs,
    title: str,
) -> p.SynthesizeResult:
    """A synthesis job with the document's settings as they are now."""
    settings = await ls.settings_for(snapshot.uri)
    chosen = {
        "strategy": args.strategy,
        "teacher": args.teacher,
        "per_section": args.per_section,
        "filter": args.filter,
    }
    overrides = {name: value for name, value in chosen.items() if value is not None}
    return await ls.synthesizer.run(snapshot.uri, sources, sections, settings, overrides, title)


async def synthesize(ls: CommandHost, args: p.SynthesizeArgs) -> p.SynthesizeResult:
    snapshot = ls.snapshot(args.uri)
    section_id, sources = _sources(ls, snapshot, args)
    # the progress messages name the section; the title stays short
    return await _run(ls, snapshot, sources, frozenset({section_id}), args, "Synthesizing instructions")


async def synthesize_document(ls: CommandHost, args: p.SynthesizeDocumentArgs) -> p.SynthesizeResult:
    snapshot = ls.snapshot(args.uri)
    sources = select_sources(snapshot.doc)
    if not sources:
        raise CommandError("the document has no non-empty prose section to synthesize from")
    return await _run(ls, snapshot, sources, None, args, "Synthesizing instructions for the document")


def _revert_targets(ls: CommandHost, snapshot: Snapshot, args: p.RevertArgs) -> list[str] | None:
    """The ids of the synthesized sections to remove (None: all of them)."""
    if args.section_id is not None:
        return [args.section_id]
    if args.section_ids is not None:
        present = {s.section_id for s in applied_sections(snapshot.doc)}
        return [i for i in args.section_ids if i in present]
    if args.range is None:
        return None
    doc = snapshot.doc
    section = doc.section_at(from_position(doc, args.range.start, ls.client.encoding).line)
    if section is None:
        return []
    if section.auto_synth and section.type is SectionType.INSTRUCTION:
        return [section.section_id]
    return [s.section_id for s in applied_sections(doc) if s.source_section_id == section.section_id]


async def _edit(
    ls: CommandHost, snapshot: Snapshot, plan: Callable[[Document], list[TextEdit]], label: str, what: str
) -> tuple[int, str | None, p.Message | None]:
    """Plan edits on the open document's `snapshot` and send them as one versioned
    edit: (how many, the editor's error and the message for it when it refused
    them). A refusal is told through `window/showMessage` only to a client that does
    not show results itself."""
    try:
        edits = plan(snapshot.doc)
    except EditError as exc:
        raise CommandError(str(exc)) from exc
    if not edits:
        return 0, None, None
    edit = ls.synthesizer.workspace_edit(snapshot.uri, snapshot.version, snapshot.doc, edits)
    answer = await ls.apply_edit(lsp.ApplyWorkspaceEditParams(edit=edit, label=label))
    if answer.applied:
        return len(edits), None, None
    error = answer.failure_reason or "not applied"
    message = messages.edit_refused(what, error)
    if not ls.client.result_messages:
        ls.show(lsp.MessageType.Warning, message.text)
    return 0, error, message


async def revert(ls: CommandHost, args: p.RevertArgs) -> p.RevertResult:
    snapshot = ls.snapshot(args.uri)
    targets = _revert_targets(ls, snapshot, args)
    if targets == []:
        message = messages.nothing_to_revert(at_cursor=args.range is not None)
        return p.RevertResult(removed=0, message=message)
    count, error, refused = await _edit(
        ls,
        snapshot,
        lambda doc: plan_revert(doc, targets),
        "Revert synthesized instructions",
        "revert",
    )
    if refused is not None:
        return p.RevertResult(removed=0, error=error, message=refused)
    removed = 0 if count == 0 else len(applied_sections(snapshot.doc)) if targets is None else len(targets)
    return p.RevertResult(removed=removed, message=messages.reverted(removed))


async def relink(ls: CommandHost, args: p.RelinkArgs) -> p.RelinkResult:
    count, error, refused = await _edit(
        ls,
        ls.snapshot(args.uri),
        lambda doc: plan_relink(doc, args.section_id),
        "Re-link synthesized pairs",
        "re-link",
    )
    if refused is not None:
        return p.RelinkResult(relinked=0, error=error, message=refused)
    return p.RelinkResult(relinked=count, message=messages.relinked(count))


async def list_synthesized(ls: CommandHost, args: p.ListArgs) -> p.ListResult:
    snapshot = ls.snapshot(args.uri)
    doc, encoding = snapshot.doc, ls.client.encoding
    settings = await ls.settings_for(snapshot.uri)
    try:
        _, plan = read_staged(doc, settings.dlm_home)
    except (PendingSynthPlanError, ValueError) as exc:
        ls.show(lsp.MessageType.Warning, f"The staged plan cannot be read: {exc}")
        plan = None
    found = listing(doc, plan.pairs if plan is not None else ())

    def wanted(e: SynthesizedEntry) -> bool:
        if args.section_ids is not None and e.section_id not in args.section_ids:
            return False
        return args.source_section_id is None or e.source_section_id == args.source_section_id

    def entry(e: SynthesizedEntry) -> p.ListEntry:
        """An entry as the client sees it: its lines as an LSP range instead."""
        rng = None
        if e.start_line is not None and e.end_line is not None:
            rng = line_range(doc, e.start_line - 1, e.end_line - 1, encoding)
        return p.ListEntry(
            section_id=e.section_id,
            source_section_id=e.source_section_id,
            source_exists=e.source_exists,
            teacher=e.teacher,
            strategy=e.strategy,
            synth_at=e.synth_at,
            question=e.question,
            range=rng,
        )

    return p.ListResult(
        applied=[entry(e) for e in found.applied if wanted(e)],
        staged=[entry(e) for e in found.staged if wanted(e)],
    )


def cancel(ls: CommandHost, args: p.CancelArgs) -> p.CancelResult:
    cancelled = ls.jobs.cancel(args.uri)
    return p.CancelResult(cancelled=cancelled, message=messages.cancelled(cancelled))


async def apply_staged(ls: CommandHost, args: p.DocumentArgs) -> p.ApplyStagedResult:
    snapshot = ls.snapshot(args.uri)
    if snapshot.doc.dlm_id is None:
        raise CommandError("the document has no dlm_id, so it has no staged plan")
    settings = await ls.settings_for(snapshot.uri)
    try:
        path, plan = read_staged(snapshot.doc, settings.dlm_home)
    except PendingSynthPlanError as exc:
        raise CommandError(str(exc)) from exc
    if path is None or plan is None or not plan.pairs:
        return p.ApplyStagedResult(
            applied=0, already_present=0, remaining=0, message=messages.applied_staged(0, 0, 0)
        )
    landing = Landing()
    await ls.synthesizer.land_pairs(
        snapshot.uri, list(plan.pairs), {}, settings, landing, label="Apply staged instructions"
    )
    source = to_fs_path(snapshot.uri)
    # only what landed leaves the plan: pairs another run staged meanwhile stay
    try:
        remaining = unstage(
            path, Path(source) if source else Path(plan.source_path), landing.applied + landing.present
        )
    except (OSError, PendingSynthPlanError) as exc:
        # the pairs are in the document; a later apply finds them present and drops them
        log.warning("could not update the staged plan %s: %s", path, exc)
        remaining = len(plan.pairs) - len(landing.applied) - len(landing.present)
    applied, present = len(landing.applied), len(landing.present)
    return p.ApplyStagedResult(
        applied=applied,
        already_present=present,
        remaining=remaining,
        message=messages.applied_staged(applied, present, remaining),
    )


async def reveal_source(ls: CommandHost, args: p.RevealSourceArgs) -> p.RevealSourceResult:
    snapshot = ls.snapshot(args.uri)
    section = snapshot.doc.find(args.section_id)
    if section is None:
        raise CommandError("that source section no longer exists")
    first = section.start_line - 1
    target = line_range(snapshot.doc, first, first, ls.client.encoding)
    shown = await ls.show_document(
        lsp.ShowDocumentParams(uri=snapshot.uri, take_focus=True, selection=target)
    )
    return p.RevealSourceResult(shown=bool(shown and shown.success))


async def status(ls: CommandHost, args: p.StatusArgs) -> p.StatusResult:
    """What a synthesis would use now, and whether it can run (the status item in
    VS Code, `:checkhealth dlm_synth` in Neovim)."""
    snapshot = ls.documents.get(args.uri) if args.uri is not None else None
    settings = await ls.settings_for(args.uri) if args.uri is not None else ls.settings
    path = to_fs_path(snapshot.uri) if snapshot is not None else None
    found = await readiness.check(
        settings.synth_options(),
        settings.teacher_options(),
        snapshot.doc if snapshot is not None else None,
        Path(path) if path else None,
        probe=args.probe,
    )
    jobs = [p.JobStatus(title=job.title, uri=job.uri) for job in ls.jobs.running(args.uri)]
    return p.StatusResult(
        server_version=__version__,
        teacher=found.teacher,
        teacher_setting=settings.teacher,
        filter=found.filter,
        filter_setting=settings.filter,
        problem=found.problem,
        reachable=found.reachable,
        jobs=jobs,
    )


def review(ls: CommandHost, args: p.ReviewArgs) -> p.ReviewResult:
    ls.snapshot(args.uri)
    return ls.synthesizer.review(args.uri, args.review_id)


async def apply_review(ls: CommandHost, args: p.ApplyReviewArgs) -> p.ApplyReviewResult:
    ls.snapshot(args.uri)
    result = await ls.synthesizer.decide(args.uri, args.review_id, args.keep, args.stage)
    if not ls.client.result_messages and result.message.severity != "info":
        ls.show(lsp.MessageType.Warning, result.message.text)
    return result


def _failure(command: str, exc: Exception) -> JsonRpcInternalError:
    """What the client gets for an error a handler did not expect: one sentence. pygls
    would send the exception's traceback in `error.data`; that goes to the server log
    (at debug level) instead."""
    log.error("%s failed: %s", command, type(exc).__name__)
    log.debug("%s failed", command, exc_info=exc)
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return JsonRpcInternalError(f"{command} could not be completed ({detail})")


def contained(command: str, handler: Callable[..., Any]) -> Callable[..., Any]:
    """`handler` whose unexpected errors reach the client as `_failure`; CommandError
    and the other JSON-RPC errors pass as they are. The signature is kept (pygls
    structures the argument from the handler's annotations)."""
    if inspect.iscoroutinefunction(handler):

        @functools.wraps(handler)
        async def run_async(*args: Any, **kwargs: Any) -> Any:
            try:
                return await handler(*args, **kwargs)
            except JsonRpcException:
                raise
            except Exception as exc:
                raise _failure(command, exc) from None

        return run_async

    @functools.wraps(handler)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return handler(*args, **kwargs)
        except JsonRpcException:
            raise
        except Exception as exc:
            raise _failure(command, exc) from None

    return run


#: command id → handler, registered by the server
_HANDLERS: dict[str, Callable[..., Any]] = {
    p.SYNTHESIZE: synthesize,
    p.SYNTHESIZE_DOCUMENT: synthesize_document,
    p.REVERT: revert,
    p.LIST: list_synthesized,
    p.CANCEL: cancel,
    p.APPLY_STAGED: apply_staged,
    p.REVEAL_SOURCE: reveal_source,
    p.STATUS: status,
    p.RELINK: relink,
    p.REVIEW: review,
    p.APPLY_REVIEW: apply_review,
}
HANDLERS: dict[str, Callable[..., Any]] = {
    command: contained(command, handler) for command, handler in _HANDLERS.items()
}
