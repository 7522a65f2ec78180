"""The synthesis run: sources → teacher calls → reply parsing → filters → result.

Differences from upstream's run (spec 5, 8), on purpose:

- calls run concurrently (bounded by the run's `Limiter`, which adapts to the server
  and may be shared by every document of a corpus), but results are filtered
  strictly in generation order (sources in document order, extraction before
  expansion), so decisions such as "first survivor wins" are deterministic;
- a teacher failure on one call is recorded and the run goes on; only a teacher
  that cannot be used at all (bad key, missing model) stops it, and even then the
  pairs already accepted are returned;
- the judge is loaded *before* the first teacher call, so a missing adapter costs
  no API spend (8.11);
- `none` accepts every valid pair, `dedup-only` also compares against the pairs
  already in the document (so a re-run adds nothing twice, 8.2, 8.6), and
  `max_pairs` caps accepted pairs (8.7);
- a cancel returns what was accepted so far.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from ..document import Document
from ..document.model import SectionType
from ..document.outline import prose_title, summary
from ..document.sanitize import sanitize_pair
from ..document.text import headline
from .cache import ReplyCache, cache_key, cacheable
from .cancel import CancelToken
from .concurrency import Limiter, budget_of
from .dedup import DedupIndex
from .errors import SynthCancelled, TeacherInvocationError, TeacherUnavailableError
from .grounding import SUPPORT_MARGIN, check_grounding
from .judges import ChecksSupport, Judge, SupportCheck
from .options import FilterKind, SynthOptions
from .prompts import Strategy, budget, build_prompt
from .replies import ParsedReply, parse_reply
from .staging import utc_now
from .teachers.base import Completion, Prompt, Teacher, Usage

Status = Literal["completed", "cancelled", "failed"]


@dataclass(frozen=True, slots=True)
class Source:
    """A prose section (or a selected part of one) the teacher writes pairs about.
    `content` is the whole section's content when the job started, kept to find the
    section again if its id changes while the job runs."""

    section_id: str
    text: str
    content: str
    start_line: int
    title: str


@dataclass(frozen=True, slots=True)
class Pair:
    question: str
    answer: str
    source: Source
    strategy: Strategy


@dataclass(frozen=True, slots=True)
class Rejection:
    """`reason` is a stable code: no_prose, invalid_output, invalid_item, unsafe_text,
    duplicate_pair, ungrounded, judge_disfavored, below_threshold, beyond_budget,
    max_pairs_reached, teacher_failed, not_run. The source is named for people by its
    title and 1-based line (None for the whole document)."""

    source_section_id: str
    source_title: str
    source_line: int | None
    strategy: Strategy | None
    reason: str
    detail: str
    question: str | None = None
    answer: str | None = None


@dataclass(slots=True)
class SynthReport:
    teacher: str
    filter: FilterKind
    synth_at: str
    calls: int = 0
    calls_done: int = 0
    generated: int = 0
    invalid: int = 0
    deduped: int = 0
    judged: int = 0
    accepted: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    wall_s: float = 0.0


@dataclass(slots=True)
class SynthResult:
    status: Status
    accepted: list[Pair]
    report: SynthReport
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Progress:
    """`done` of `total` calls consumed; `accepted` pairs and `usage` so far."""

    done: int
    total: int
    message: str
    accepted: int = 0
    usage: Usage | None = None

    @property
    def percentage(self) -> int:
        return 100 if self.total == 0 else min(100, round(100 * self.done / self.total))


ProgressFn = Callable[[Progress], None]


def select_sources(
    doc: Document,
    section_ids: Sequence[str] | None = None,
    selection: tuple[str, str] | None = None,
) -> list[Source]:
    """Non-empty prose sections in document order; only `section_ids` when given; or
    one source whose text is `selection = (section_id, selected text)` and whose
    pairs belong to that section. ValueError names an id that is not prose."""
    prose = [s for s in doc.sections if s.type is SectionType.PROSE]
    if selection is not None:
        section_id, text = selection
        match = next((s for s in prose if s.section_id == section_id), None)
        if match is None:
            raise ValueError(f"no prose section with id {section_id} in this document")
        if not text.strip():
            raise ValueError("the selection is empty")
        return [Source(section_id, text.strip(), match.content, match.start_line, prose_title(text))]
    if section_ids is not None:
        wanted = set(section_ids)
        known = {s.section_id for s in prose}
        missing = sorted(wanted - known)
        if missing:
            raise ValueError(f"no prose section with id {', '.join(missing)} in this document")
        prose = [s for s in prose if s.section_id in wanted]
    return [
        Source(s.section_id, s.content.strip(), s.content, s.start_line, summary(s, doc).title)
        for s in prose
        if s.content.strip()
    ]


@dataclass(frozen=True, slots=True)
class _Call:
    source: Source
    strategy: Strategy
    n: int

    def prompt(self) -> Prompt:
        return build_prompt(self.strategy, self.n, self.source.text)


def _plan_calls(sources: Sequence[Source], options: SynthOptions) -> list[_Call]:
    """The run's teacher calls in generation order: sources in document order, each
    source's extraction before its expansion."""
    return [
        _Call(src, strategy, n)
        for src in sources
        for strategy, n in budget(options.strategy, options.per_section)
    ]


def call_prompts(sources: Sequence[Source], options: SynthOptions) -> list[Prompt]:
    """The prompts a run of `sources` sends, in order (a batch submits them ahead)."""
    return [call.prompt() for call in _plan_calls(sources, options)]


def _rejection(call: _Call, reason: str, detail: str, pair: tuple[str, str] | None = None) -> Rejection:
    q, a = pair if pair is not None else (None, None)
    source = call.source
    return Rejection(source.section_id, source.title, source.start_line, call.strategy, reason, detail, q, a)


class _Run:
    """State of one run; `run_synth` is the entry point."""

    def __init__(
        self,
        doc: Document,
        options: SynthOptions,
        teacher: Teacher,
        judge: Judge | None,
        checker: SupportCheck | None,
        cancel: CancelToken,
        progress: ProgressFn | None,
        cache: ReplyCache | None,
        report: SynthReport,
        limiter: Limiter,
    ) -> None:
        self.options = options
        self.teacher = teacher
        self.judge = judge
        self.checker = checker
        self.cancel = cancel
        self.progress = progress
        self.cache = cache if options.use_cache and cacheable(options.params) else None
        self.report = report
        self.limiter = limiter
        self.accepted: list[Pair] = []
        known = doc.instruction_pairs
        self.known_pairs = [pair for pair, _ in known]
        self.known_sections = [section for _, section in known]
        self.dedup = DedupIndex(self.known_pairs)
        self.threshold = options.threshold
        if self.threshold is None and judge is not None:
            self.threshold = judge.suggested_threshold
        self.full = False

    def _tell(self, message: str) -> None:
        if self.progress is not None:
            report = self.report
            self.progress(Progress(report.calls_done, report.calls, message, report.accepted, report.usage))

    async def _complete(self, call: _Call) -> Completion:
        prompt = call.prompt()
        key = cache_key(self.teacher.name, self.teacher.model, prompt, self.options.params)
        if self.cache is not None and (hit := self.cache.get(key)) is not None:
            return hit
        async with self.limiter.slot():
            self.cancel.raise_if_cancelled()
            completion = await self.teacher.complete(prompt, self.options.params, self.cancel)
        if self.cache is not None and completion.text.strip():
            # off the event loop (a file create costs a millisecond or more on a busy
            # disk, hundreds of times per corpus) but before the reply is used, so a
            # crash after a call never loses its reply
            await asyncio.to_thread(self.cache.put, key, completion)
        return completion

    def _reject(self, call: _Call, reason: str, detail: str, pair: tuple[str, str] | None = None) -> None:
        self.report.rejected.append(_rejection(call, reason, detail, pair))

    async def _filter(self, call: _Call, parsed: ParsedReply) -> int:
        """Runs one call's valid pairs through the filters, in reply order, until the
        call's budget is accepted: pairs a teacher returns beyond the number asked
        for stand in for earlier ones that a filter rejects. Returns how many were
        accepted."""
        accepted = 0
        options = self.options
        for raw, quote in zip(parsed.pairs, parsed.quotes, strict=True):
            if accepted >= call.n:
                why = f"the {call.n} pair(s) asked for were already accepted"
                self._reject(call, "beyond_budget", why, raw)
                continue
            if self.full:
                self._reject(
                    call, "max_pairs_reached", f"max_pairs={options.max_pairs} already accepted", raw
                )
                continue
            pair = sanitize_pair(*raw)
            if pair is None:
                self.report.invalid += 1
                self._reject(call, "unsafe_text", "nothing left after removing unsafe characters", raw)
                continue
            if options.filter != "none":
                dup = self.dedup.check(*pair)
                if dup is not None:
                    self.report.deduped += 1
                    if dup.kind == "existing":
                        question = headline(self.known_pairs[dup.index][0])
                        what = f"the pair “{question}” at line {self.known_sections[dup.index].start_line}"
                    else:
                        what = f"candidate {dup.index + 1} of this run"
                    self._reject(call, "duplicate_pair", f"near-duplicate of {what} ({dup.reason})", pair)
                    continue
            candidate = Pair(pair[0], pair[1], call.source, call.strategy)
            if not await self._judged_ok(call, pair, quote):
                continue
            self.accepted.append(candidate)
            self.report.accepted += 1
            accepted += 1
            if options.max_pairs is not None and len(self.accepted) >= options.max_pairs:
                self.full = True
        return accepted

    async def _judged_ok(self, call: _Call, pair: tuple[str, str], quote: str | None) -> bool:
        options = self.options
        if options.filter == "grounded":
            self.report.judged += 1
            verdict = check_grounding(
                pair[0], pair[1], call.source.text, call.strategy, threshold=self.threshold, quote=quote
            )
            if not verdict.ok:
                self._reject(call, "ungrounded", verdict.reason or "not supported by the source", pair)
                return False
            needed = SUPPORT_MARGIN[call.strategy]
            if self.checker is not None and needed is not None:
                margin = await self.checker.margin(
                    call.source.text, pair[0], pair[1], call.strategy, self.cancel
                )
                if margin < needed:
                    self._reject(
                        call,
                        "ungrounded",
                        f"{self.checker.name} does not find the answer supported by the passage "
                        f"(yes−no margin {margin:+.2f} < {needed:+.2f})",
                        pair,
                    )
                    return False
        elif options.filter == "sway" and self.judge is not None:
            self.report.judged += 1
            verdict_j = await self.judge.score(pair[0], pair[1], self.cancel)
            threshold = self.threshold if self.threshold is not None else 0.0
            if verdict_j.preferred != "a":
                self._reject(
                    call,
                    "judge_disfavored",
                    "the judge preferred “I don't know.” over the generated answer "
                    f"(margin {verdict_j.margin:+.3f})",
                    pair,
                )
                return False
            if verdict_j.margin < threshold:
                self._reject(
                    call,
                    "below_threshold",
                    f"margin {verdict_j.margin:.3f} < threshold {threshold:.3f}",
                    pair,
                )
                return False
        return True

    async def _consume(self, call: _Call, completion: Completion) -> None:
        self.report.usage.add(completion.usage)
        parsed = parse_reply(completion.text)
        if parsed.error is not None:
            self.report.invalid += 1
            self._reject(call, "invalid_output", parsed.error)
        for item in parsed.rejected:
            self.report.invalid += 1
            pair = (item.question, item.answer) if item.question and item.answer else None
            self._reject(call, "invalid_item", item.reason, pair)
        self.report.generated += len(parsed.pairs)
        accepted = await self._filter(call, parsed)
        self.report.calls_done += 1
        self._tell(
            f"“{call.source.title or call.source.section_id}” ({call.strategy}): "
            f"{accepted} of {len(parsed.pairs)} accepted"
        )

    async def execute(self, calls: list[_Call]) -> tuple[Status, str | None]:
        tasks = [asyncio.ensure_future(self._complete(call)) for call in calls]
        status: Status = "completed"
        error: str | None = None
        try:
            for index, (call, task) in enumerate(zip(calls, tasks, strict=True)):
                if self.full:
                    break
                try:
                    completion = await self.cancel.guard(task)
                except TeacherInvocationError as exc:
                    self.report.calls_done += 1
                    self._reject(call, "teacher_failed", str(exc))
                    self._tell(f"“{call.source.title or call.source.section_id}” failed: {exc}")
                    continue
                except TeacherUnavailableError as exc:
                    status, error = "failed", str(exc)
                    self._not_run(calls[index:], str(exc))
                    break
                await self._consume(call, completion)
        except SynthCancelled:
            status = "cancelled"
            self._not_run([c for c, t in zip(calls, tasks, strict=True) if not t.done()], "cancelled")
        finally:
            # every call started here ends before the run does, its outcome consumed
            # (an unretrieved failure would be printed raw by asyncio, key and all)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        if (
            status == "completed"
            and self.report.calls
            and self.report.calls == sum(1 for r in self.report.rejected if r.reason == "teacher_failed")
        ):
            status, error = "failed", "every teacher call failed; see the rejected list for each error"
        return status, error

    def _not_run(self, calls: Sequence[_Call], why: str) -> None:
        for call in calls:
            self._reject(call, "not_run", why)


async def run_synth(
    doc: Document,
    sources: Sequence[Source],
    options: SynthOptions,
    teacher: Teacher,
    *,
    judge: Judge | None = None,
    cancel: CancelToken | None = None,
    progress: ProgressFn | None = None,
    cache: ReplyCache | None = None,
    limiter: Limiter | None = None,
) -> SynthResult:
    """Runs the pipeline for `sources` of `doc` (from `select_sources`).

    The judge (required for `sway`) and the teacher are prepared here, judge first;
    their TeacherUnavailableError / JudgeUnavailableError propagate because nothing
    has been spent yet (a cancel meanwhile is a `cancelled` result). Anything after
    that ends in a SynthResult. `cache` answers calls made before (it is used only
    when `options.use_cache` and the sampling is reproducible); `limiter` bounds the
    calls in flight, shared with other runs when given (configured here from the
    teacher's budget if it is not yet), else one of the teacher's own."""
    options.validate()
    if options.filter == "sway" and judge is None:
        raise ValueError("filter 'sway' requires a judge")
    cancel = cancel if cancel is not None else CancelToken()
    started = time.monotonic()
    report = SynthReport(teacher=teacher.name, filter=options.filter_kind, synth_at=utc_now())
    if not sources:
        report.rejected.append(
            Rejection(
                "(document)",
                "the document",
                None,
                None,
                "no_prose",
                "the document has no non-empty prose section to use",
            )
        )
        return SynthResult("completed", [], report)
    calls = _plan_calls(sources, options)
    try:
        if judge is not None and options.filter == "sway":
            await judge.prepare(cancel)
        await teacher.prepare(cancel)
    except SynthCancelled:
        # cancelled while a model loaded or a server was asked for its model: no
        # call was made, nothing is lost
        report.calls = len(calls)
        report.rejected += [_rejection(call, "not_run", "cancelled") for call in calls]
        report.wall_s = time.monotonic() - started
        return SynthResult("cancelled", [], report)
    report.teacher = teacher.name
    report.calls = len(calls)
    checker = None
    if options.filter == "grounded" and isinstance(teacher, ChecksSupport):
        checker = teacher.support_check()
    if limiter is None:
        limiter = Limiter(budget_of(teacher))
    elif not limiter.configured:
        limiter.configure(budget_of(teacher))
    run = _Run(doc, options, teacher, judge, checker, cancel, progress, cache, report, limiter)
    run._tell(f"asking {teacher.name} about {len(sources)} section(s)")
    status, error = await run.execute(calls)
    report.wall_s = time.monotonic() - started
    return SynthResult(status, run.accepted, report, error)
