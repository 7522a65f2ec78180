"""The synthesize commands: run the pipeline as a job, then land the result.

Landing follows invariant 7 of docs/architecture.md: when the job starts it asks
the open documents to follow its sources' ranges through every change the client
sends (`workspace.Tracker`); when it ends it reads the *current* version, takes the
prose section each range leads to (re-flowed, typed into, moved: whatever its id is
now), plans minimal edits with the core and sends a versioned `workspace/applyEdit`.
A rejected edit, or one the client claims to have applied but did not (Neovim
answers `applied: true` for edits it drops), is recomputed and retried a bounded
number of times. Whatever cannot be placed (its source was deleted or swallowed, the
document was closed) is staged in the dlm store and the user is told why; nothing
is dropped and the user's text is never overwritten (every edit is a pure
insertion computed on the version it is sent for).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol, cast

from lsprotocol import types as lsp
from pygls.uris import to_fs_path

from ..document import Document
from ..document.edits import TextEdit
from ..document.outline import last_content_line, summary
from ..document.text import Span
from ..document.tracking import section_span, source_block
from ..synth.backends import build_judge, build_teacher, for_document
from ..synth.cache import ReplyCache
from ..synth.concurrency import Limiter
from ..synth.defaults import resolve_defaults
from ..synth.errors import JudgeUnavailableError, SynthError, TeacherUnavailableError
from ..synth.options import FilterKind, SynthOptions
from ..synth.pipeline import Source, SynthResult, run_synth
from ..synth.placement import mark, plan_placement, source_contents
from ..synth.results import accepted_pairs, report_of
from ..synth.staging import MarkedPair, merge_plan, pending_path
from . import messages
from . import protocol as p
from .client import ClientProfile
from .config import Settings
from .convert import line_range, to_text_edits
from .jobs import Job, JobManager, JobProgress, ProgressSink
from .review import Review, Reviews
from .workspace import Documents, Tracker

log = logging.getLogger(__name__)

APPLY_ATTEMPTS = 3
#: how long to wait for the client's didChange after it reports an applied edit
APPLY_CONFIRM_S = 3.0


@dataclass(slots=True)
class Landing:
    applied: list[MarkedPair] = field(default_factory=list)
    staged: list[MarkedPair] = field(default_factory=list)
    present: list[MarkedPair] = field(default_factory=list)
    lost: list[MarkedPair] = field(default_factory=list)  # could not even be staged: returned to the client
    note: str = ""
    #: why pairs were staged (placement's reasons, a refused edit, a closed document)
    reasons: list[str] = field(default_factory=list)
    #: preview mode: the pairs wait for the user's review instead
    review: Review | None = None

    def because(self, reasons: Sequence[str]) -> None:
        self.reasons += [r for r in reasons if r not in self.reasons]


class SynthesisHost(Protocol):
    """What a synthesis job needs from the server: the open documents, the job
    registry, what the client can do, and the requests it sends to the client.
    `DlmLanguageServer` is one; a test can be another."""

    documents: Documents
    jobs: JobManager

    @property
    def client(self) -> ClientProfile: ...

    def current_request(self) -> Any:
        """The id of the request being handled (to cancel its job by that id)."""
        ...

    def request_progress_token(self) -> lsp.ProgressToken | None:
        """The `workDoneToken` the client sent with the request being handled: the
        job reports on it (into the client's own progress UI) instead of creating one."""
        ...

    def progress_sink(self) -> ProgressSink | None: ...

    def show(self, kind: lsp.MessageType, message: str) -> None: ...

    async def ask(self, kind: lsp.MessageType, message: str, choices: list[p.Choice]) -> str | None:
        """`window/showMessageRequest`; the title the user picked, or None."""
        ...

    async def apply_edit(self, params: lsp.ApplyWorkspaceEditParams) -> lsp.ApplyWorkspaceEditResult: ...

    async def document_changed(self, uri: str, timeout: float) -> None:
        """Returns after the next change of `uri` or `timeout` seconds."""
        ...


class Synthesizer:
    def __init__(self, host: SynthesisHost) -> None:
        self.ls = host
        self.reviews = Reviews()
        self._frozen = False

    # -- running -------------------------------------------------------------

    async def run(
        self,
        uri: str,
        sources: Sequence[Source],
        sections: frozenset[str] | None,
        settings: Settings,
        overrides: dict[str, Any],
        title: str,
    ) -> p.SynthesizeResult:
        """`settings` are the document's, frozen into the job for its whole run."""
        ls = self.ls
        busy = ls.jobs.conflict(uri, sections)
        if busy is not None:
            message = p.Message(severity="info", text=messages.busy(busy.title))
            self._interrupt(message)
            return self._failed(message, message.text)
        job = Job(
            uri,
            sections,
            title,
            settings,
            request_id=ls.current_request(),
            progress_token=ls.request_progress_token(),
        )
        ls.jobs.add(job)
        tracker = ls.documents.track(uri, self._source_spans(uri, sources))
        try:
            return await self._run_job(job, sources, overrides, tracker)
        finally:
            if not any(review.tracker is tracker for review in self.reviews.of(uri)):
                ls.documents.untrack(tracker)
            ls.jobs.remove(job)
            self._freeze_model_stack()

    def _source_spans(self, uri: str, sources: Sequence[Source]) -> dict[str, Span]:
        """Each source's range in the current version, to follow while the job runs."""
        snapshot = self.ls.documents.get(uri)
        spans: dict[str, Span] = {}
        if snapshot is None:
            return spans
        for source in sources:
            section = snapshot.doc.find(source.section_id)
            if section is not None and source.section_id not in spans:
                spans[source.section_id] = section_span(snapshot.doc, section)
        return spans

    def _freeze_model_stack(self) -> None:
        """A local model brings millions of long-lived objects (torch, transformers);
        each full garbage collection would walk them all (~0.5 s on this class of
        machine) and stall every request. Once loaded they stay for the session, so
        they are moved out of the collector's reach, once."""
        if not self._frozen and "torch" in sys.modules:
            self._frozen = True
            gc.freeze()

    async def _run_job(
        self, job: Job, sources: Sequence[Source], overrides: dict[str, Any], tracker: Tracker
    ) -> p.SynthesizeResult:
        ls = self.ls
        settings = job.settings
        async with JobProgress(ls.progress_sink(), job) as progress:
            options = settings.synth_options(**overrides)
            for _ in range(3):  # the user may pick an alternative twice
                try:
                    result = await self._pipeline(job, sources, options, progress)
                    break
                except (TeacherUnavailableError, JudgeUnavailableError) as exc:
                    alternative = await self._ask_alternative(exc, settings, options)
                    if alternative is None:
                        progress.final = "not started"
                        message = messages.not_run(exc)
                        self._interrupt(message)
                        return self._failed(message, str(exc))
                    options = alternative
                except (SynthError, ValueError) as exc:
                    progress.final = "failed"
                    message = messages.not_run(exc if isinstance(exc, SynthError) else str(exc))
                    self._interrupt(message)
                    return self._failed(message, str(exc))
            else:
                return self._failed(messages.not_run("no usable teacher"), "no usable teacher")
            if result.status != "cancelled":
                progress.message("placing the accepted pairs")
            landing = await self._land(job, result, tracker)
            progress.final = ("cancelled, " if result.status == "cancelled" else "") + messages.counts(
                len(result.accepted),
                len(result.report.rejected),
                len(landing.applied),
                len(landing.staged),
                review=len(landing.review.pairs) if landing.review is not None else 0,
            )
        return self._answer(job, result, landing)

    async def _pipeline(
        self, job: Job, sources: Sequence[Source], options: SynthOptions, progress: JobProgress
    ) -> SynthResult:
        ls = self.ls
        snapshot = ls.documents.get(job.uri)
        if snapshot is None:
            raise SynthError("the document is not open")
        path = to_fs_path(job.uri)
        teacher_options = for_document(
            job.settings.teacher_options(), snapshot.doc, Path(path) if path else None
        )
        limiter = Limiter()
        teacher_options = replace(teacher_options, notice=progress.message, pressure=limiter.overloaded)
        resolution = resolve_defaults(options, teacher_options)
        options = resolution.options
        if resolution.note is not None:
            progress.message(resolution.note)
        teacher = build_teacher(options.teacher, teacher_options)
        judge = build_judge(options.filter_kind, teacher_options)
        try:
            return await run_synth(
                snapshot.doc,
                sources,
                options,
                teacher,
                judge=judge,
                cancel=job.cancel,
                progress=progress.report,
                cache=ReplyCache() if options.use_cache else None,
                limiter=limiter,
            )
        finally:
            await teacher.aclose()

    async def _ask_alternative(
        self, exc: SynthError, settings: Settings, options: SynthOptions
    ) -> SynthOptions | None:
        """The cold-start case: the configured teacher or judge cannot run here. Offer
        what the user has configured instead (and the model-free filters), rather than
        failing; a choice that `remember`s is also kept in the settings by the client
        (`messages.alternatives`). None: nothing to offer, or the user declined."""
        choices, values = messages.alternatives(exc, settings.fallback_teachers, options.teacher)
        if not choices or not self.ls.client.message_actions:
            return None
        if not self.ls.client.choice_data:
            choices = [p.Choice(title=c.title) for c in choices if c.remember is None]
        try:
            picked = await self.ls.ask(
                lsp.MessageType.Warning, f"{exc}", [*choices, p.Choice(title="Cancel")]
            )
        except Exception as error:  # the client could not ask
            log.info("showMessageRequest failed: %s", error)
            return None
        chosen = values.get(picked or "")
        if chosen is None:
            return None
        if "filter" in chosen:
            return replace(options, filter=cast(FilterKind, chosen["filter"]), threshold=None)
        return replace(options, teacher=str(chosen["teacher"]))

    # -- landing -------------------------------------------------------------

    async def _land(self, job: Job, result: SynthResult, tracker: Tracker) -> Landing:
        settings = job.settings
        pairs = mark(result.accepted, result.report.teacher, result.report.synth_at)
        landing = Landing()
        if not pairs:
            return landing
        if result.status == "cancelled" or settings.apply_mode == "stage":
            # a cancelled job never edits the document; what it accepted is kept
            landing.note = "cancelled: " if result.status == "cancelled" else ""
            self._stage(job.uri, pairs, settings, landing, tracker)
            return landing
        if settings.apply_mode == "preview":
            titles = {p.source.section_id: p.source.title for p in result.accepted}
            review = Review(job.uri, pairs, source_contents(result.accepted), titles, settings, tracker)
            for evicted in self.reviews.add(review):
                self._end_review(evicted, evicted.pairs, stage=True)
            landing.review = review
            return landing
        await self.land_pairs(
            job.uri, pairs, source_contents(result.accepted), settings, landing, tracker=tracker
        )
        return landing

    async def land_pairs(
        self,
        uri: str,
        pairs: list[MarkedPair],
        contents: dict[str, str],
        settings: Settings,
        landing: Landing,
        label: str = "Insert synthesized instructions",
        tracker: Tracker | None = None,
    ) -> None:
        """Insert `pairs` into the open document `uri` (or stage them): after the
        sources `tracker` followed, when given."""
        remaining = pairs  # as made: the tracker knows their sources by these ids
        to_stage: list[MarkedPair] = []
        reasons: list[str] = []
        for _ in range(APPLY_ATTEMPTS):
            snapshot = self.ls.documents.get(uri)
            if snapshot is None:
                to_stage, reasons = remaining, [messages.DOCUMENT_CLOSED]
                break
            spans = tracker.spans() if tracker is not None else None
            placement = plan_placement(snapshot.doc, remaining, contents, spans)
            landing.present += placement.present
            # placed pairs name their source's current id: that is what gets staged
            to_stage, reasons = placement.placed + placement.unplaced, placement.reasons
            if not placement.edits:
                break
            edit = self.workspace_edit(uri, snapshot.version, snapshot.doc, placement.edits)
            answer = await self.ls.apply_edit(lsp.ApplyWorkspaceEditParams(edit=edit, label=label))
            if answer.applied and await self._arrived(uri, placement.placed):
                landing.applied += placement.placed
                to_stage = placement.unplaced
                break
            log.info("applyEdit for %s not applied (%s); recomputing", uri, answer.failure_reason)
            present = {(pair.question, pair.answer) for pair in placement.present}
            remaining = [pair for pair in remaining if (pair.question, pair.answer) not in present]
        else:
            reasons = [*reasons, messages.EDIT_NOT_APPLIED]
        if to_stage:
            landing.because(reasons)
            self._stage(uri, to_stage, settings, landing, tracker)

    async def _arrived(self, uri: str, placed: list[MarkedPair]) -> bool:
        """True once the document the client sent back holds every placed pair."""
        wanted = {(p.question, p.answer) for p in placed}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + APPLY_CONFIRM_S
        while True:
            snapshot = self.ls.documents.get(uri)
            if snapshot is not None and wanted <= {pair for pair, _ in snapshot.doc.instruction_pairs}:
                return True
            if loop.time() >= deadline:
                return False
            await self.ls.document_changed(uri, deadline - loop.time())

    def workspace_edit(
        self, uri: str, version: int | None, doc: Document, edits: Sequence[TextEdit]
    ) -> lsp.WorkspaceEdit:
        text_edits = to_text_edits(doc, edits, self.ls.client.encoding)
        if self.ls.client.document_changes:
            return lsp.WorkspaceEdit(
                document_changes=[
                    lsp.TextDocumentEdit(
                        text_document=lsp.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version),
                        edits=list(text_edits),
                    )
                ],
            )
        return lsp.WorkspaceEdit(changes={uri: text_edits})

    # -- reviews (applyMode preview) -------------------------------------------------

    def review(self, uri: str, review_id: str | None) -> p.ReviewResult:
        """The pairs of a pending review, each with where it would land now."""
        review = self._pending(uri, review_id)
        snapshot = self.ls.documents.get(uri)
        spans = review.tracker.spans()
        pairs = []
        for index, pair in enumerate(review.pairs):
            title = review.titles.get(pair.source_section_id, "")
            where = None
            span = spans.get(pair.source_section_id) if spans is not None else None
            block = source_block(snapshot.doc, span) if snapshot is not None and span is not None else None
            if snapshot is not None and block is not None and block.section is not None:
                doc, section = snapshot.doc, block.section
                title = summary(section, doc).title
                where = line_range(doc, block.first, last_content_line(doc, section), self.ls.client.encoding)
            pairs.append(
                p.ReviewPair(
                    index=index,
                    question=pair.question,
                    answer=pair.answer,
                    strategy=pair.strategy,
                    source_title=title,
                    source_range=where,
                )
            )
        return p.ReviewResult(review_id=review.id, pairs=pairs, message=messages.review_listed(len(pairs)))

    async def decide(
        self, uri: str, review_id: str | None, keep: Sequence[int], stage: bool
    ) -> p.ApplyReviewResult:
        """Insert the kept pairs; drop the others, or stage them when `stage`."""
        review = self._pending(uri, review_id)
        wanted = set(keep)
        if any(index < 0 or index >= len(review.pairs) for index in wanted):
            raise p.CommandError(f"keep: indexes must be between 0 and {len(review.pairs) - 1}")
        self.reviews.remove(review)
        kept = [pair for index, pair in enumerate(review.pairs) if index in wanted]
        others = [pair for index, pair in enumerate(review.pairs) if index not in wanted]
        landing = Landing()
        try:
            if kept:
                await self.land_pairs(
                    uri, kept, review.contents, review.settings, landing, tracker=review.tracker
                )
            if stage and others:
                self._stage(uri, others, review.settings, landing, review.tracker)
        finally:
            self.ls.documents.untrack(review.tracker)
        dropped = 0 if stage else len(others)
        return p.ApplyReviewResult(
            applied=len(landing.applied),
            staged=len(landing.staged),
            dropped=dropped,
            already_present=len(landing.present),
            message=messages.reviewed(
                uri,
                inserted=len(landing.applied),
                staged=len(landing.staged),
                dropped=dropped,
                present=len(landing.present),
                lost=len(landing.lost),
                reasons=landing.reasons,
            ),
        )

    def document_closed(self, uri: str) -> None:
        """Closing is not a decision: the pairs of its pending reviews are staged."""
        for review in self.reviews.of(uri):
            self._end_review(review, review.pairs, stage=True)

    def _pending(self, uri: str, review_id: str | None) -> Review:
        review = self.reviews.find(uri, review_id)
        if review is None:
            raise p.CommandError("no synthesized pairs await review for this document")
        return review

    def _end_review(self, review: Review, pairs: list[MarkedPair], *, stage: bool) -> None:
        self.reviews.remove(review)
        landing = Landing()
        if stage and pairs:
            self._stage(review.uri, pairs, review.settings, landing, review.tracker)
            self.ls.show(lsp.MessageType.Info, messages.review_staged(len(landing.staged), len(landing.lost)))
        self.ls.documents.untrack(review.tracker)

    def _stage(
        self,
        uri: str,
        pairs: list[MarkedPair],
        settings: Settings,
        landing: Landing,
        tracker: Tracker | None = None,
    ) -> None:
        """Into the store of `settings`: the job's, frozen when it started, so a
        settings change while it ran cannot move where its pairs go. A document the
        editor closed meanwhile is still a file with a store: its `dlm_id` is the
        one it had when it was closed."""
        snapshot = self.ls.documents.get(uri)
        doc = snapshot.doc if snapshot is not None else tracker.closed_doc if tracker is not None else None
        path = to_fs_path(uri)
        dlm_id = doc.dlm_id if doc is not None else None
        if dlm_id is None or path is None:
            landing.lost += pairs
            return
        try:
            merge_plan(pending_path(dlm_id, settings.dlm_home), Path(path), pairs)
        except (OSError, ValueError) as exc:
            log.warning("could not stage: %s", exc)
            landing.lost += pairs
            return
        landing.staged += pairs

    # -- answers -------------------------------------------------------------

    def _failed(self, message: p.Message, error: str) -> p.SynthesizeResult:
        return p.SynthesizeResult(
            status="failed",
            accepted=0,
            rejected=0,
            applied=0,
            staged=0,
            already_present=0,
            error=error,
            report=None,
            accepted_pairs=[],
            rejected_pairs=[],
            unstaged_pairs=[],
            message=message,
        )

    def _interrupt(self, message: p.Message) -> None:
        """`window/showMessage` for a client that does not show results itself."""
        if not self.ls.client.result_messages:
            self.ls.show(_MESSAGE_TYPES[message.severity], message.text)

    def _inserted_sections(self, uri: str, pairs: list[MarkedPair]) -> list[str]:
        """The ids of the synthesized sections that now hold `pairs` (what Review
        lists and Undo removes)."""
        snapshot = self.ls.documents.get(uri)
        if snapshot is None or not pairs:
            return []
        wanted = {(pair.question, pair.answer) for pair in pairs}
        ids: list[str] = []
        for pair, section in snapshot.doc.instruction_pairs:
            if pair in wanted and section.auto_synth and section.section_id not in ids:
                ids.append(section.section_id)
        return ids

    def _answer(self, job: Job, result: SynthResult, landing: Landing) -> p.SynthesizeResult:
        status: p.SynthStatus
        if result.status == "cancelled":
            status = "cancelled"
        elif landing.review is not None:
            status = "review"
        elif result.status == "failed" and not result.accepted:
            status = "failed"
        elif landing.applied:
            status = "applied"
        elif landing.staged or landing.lost:
            status = "staged"
        else:
            status = "nothing-accepted"
        message = messages.synthesis(
            status,
            result,
            job.uri,
            review=landing.review.id if landing.review is not None else None,
            inserted=self._inserted_sections(job.uri, landing.applied),
            inserted_pairs=len(landing.applied),
            staged=len(landing.staged),
            present=len(landing.present),
            lost=landing.lost,
            note=landing.note,
            reasons=landing.reasons,
        )
        interrupting = status in ("failed", "nothing-accepted", "review") or bool(
            landing.staged or landing.lost or messages.teacher_failures(result.report.rejected)
        )
        if interrupting:
            self._interrupt(message)
        return p.SynthesizeResult(
            status=status,
            accepted=len(result.accepted),
            rejected=len(result.report.rejected),
            applied=len(landing.applied),
            staged=len(landing.staged),
            already_present=len(landing.present),
            error=result.error,
            report=report_of(result),
            accepted_pairs=accepted_pairs(result),
            rejected_pairs=list(result.report.rejected),
            unstaged_pairs=landing.lost,
            message=message,
        )


_MESSAGE_TYPES: dict[p.Severity, lsp.MessageType] = {
    "info": lsp.MessageType.Info,
    "warning": lsp.MessageType.Warning,
    "error": lsp.MessageType.Error,
}
