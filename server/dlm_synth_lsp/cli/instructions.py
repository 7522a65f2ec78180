"""`dlm-synth-lsp synth instructions PATH...`: one document, or a corpus in one run.

Every document runs the same pipeline with one teacher and one concurrency budget
(`synth/concurrency.py`, adapting to the server), one reply cache, and progress
across the corpus. A document is landed (`synth/writeback.py`: written with a
compare-and-swap under its lock, or staged) as soon as its own calls are done, so an
interrupted run keeps every finished document and a re-run answers the finished
calls from the reply cache at no teacher cost.

Exit status (docs/cli.md): per document 1 when it could not be read, has errors, its
teacher or judge could not be used, or its pairs could not be written or saved; 2
when nothing was accepted; else 0. The run exits 1 if any document did, else 2 if
no document accepted anything, else 0; 130 when interrupted (Ctrl-C), 143 when
terminated, after landing what was accepted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..document import Document, parse_bytes
from ..document.model import SectionType
from ..synth.backends import build_judge, build_teacher, for_document, per_document
from ..synth.cache import ReplyCache
from ..synth.cancel import CancelToken
from ..synth.concurrency import Limiter
from ..synth.corpus import Tally, run_corpus
from ..synth.defaults import resolve_defaults
from ..synth.errors import JudgeInvocationError, JudgeUnavailableError, SynthError, TeacherUnavailableError
from ..synth.options import AUTO, SynthOptions, check_option
from ..synth.pipeline import Progress, ProgressFn, SynthResult, run_synth, select_sources
from ..synth.placement import mark, source_contents
from ..synth.prompts import budget
from ..synth.results import as_json, rejection_summary, render_result, result_data
from ..synth.staging import MarkedPair
from ..synth.teachers.base import PerDocument, SamplingParams, Teacher, TeacherOptions
from ..synth.writeback import FileLanding, Mode, land_in_file
from .check import document_json, problem_line
from .errors import CliError, flag_hint
from .output import print_error, print_json
from .paths import expand, names_one_file
from .progress import ProgressPrinter, duration

OFFLINE_HINT = (
    "teachers that work without a network or key: --teacher local (the bundled offline model, "
    "the default for a document with no trained adapter), --teacher local:<file.gguf>, "
    "or --teacher vllm-server:http://127.0.0.1:8000 with a local vLLM / llama.cpp / Ollama server; "
    "see docs/teachers.md"
)
INTERRUPTED = 130
TERMINATED = 143

#: what a teacher becomes for a run (a collected batch's answers: synth/batch.py)
Wrap = Callable[[Teacher], Teacher]


def read_document(path: Path) -> tuple[bytes, Document]:
    """The file's bytes and its parse; CliError(1) when unreadable or invalid."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror or exc}", 1) from exc
    doc = parse_bytes(data, str(path))
    errors = [problem for problem in document_json(doc)["problems"] if problem["severity"] == "error"]
    if errors:
        lines = [problem_line(path, problem) for problem in errors]
        raise CliError(f"{path} has errors; fix them first:\n" + "\n".join(lines), 1)
    return data, doc


def options_from(args: argparse.Namespace) -> SynthOptions:
    """The run's options, each checked by synth/options.py (OptionError: exit 2)."""
    if args.apply and args.dry_run:
        raise CliError("--apply and --dry-run are mutually exclusive.", 2)
    for name, value in (("concurrency", args.concurrency), ("timeout_seconds", args.timeout)):
        check_option(name, value)
    check_option("threads", args.threads)
    options = SynthOptions(
        teacher=args.teacher,
        strategy=args.strategy,
        per_section=args.per_section,
        filter=args.filter,
        threshold=args.threshold,
        max_pairs=args.max_pairs,
        params=SamplingParams(args.max_new_tokens, args.temp, args.top_p, args.seed),
        use_cache=not args.no_cache,
    )
    options.validate()
    return options


def mode_of(args: argparse.Namespace) -> Mode:
    return "apply" if args.apply else "dry-run" if args.dry_run else "stage"


# -- documents ---------------------------------------------------------------------


class Notes:
    """Tells each distinct note once (a corpus resolves `auto` for every document)."""

    def __init__(self, tell: Callable[[str], None]) -> None:
        self.tell = tell
        self.seen: set[str] = set()

    def add(self, note: str) -> None:
        if note not in self.seen:
            self.seen.add(note)
            self.tell(note)


@dataclass(slots=True)
class Planned:
    """A document as the scan found it: how many calls it will make, or why it
    cannot run."""

    path: Path
    calls: int = 0
    error: str | None = None


@dataclass(slots=True)
class DocumentOutcome:
    path: Path
    result: SynthResult | None = None
    landing: FileLanding | None = None
    error: str | None = None
    hint: bool = False  # the error is about the teacher or judge: name the alternatives

    @property
    def exit_status(self) -> int:
        if self.result is None or (self.landing is not None and self.landing.failed):
            return 1
        if self.landing is None or self.landing.kind == "nothing-accepted":
            return 2
        return 0

    @property
    def kind(self) -> str:
        if self.result is None:
            return "failed" if self.error != "not started" else "not-started"
        return self.landing.kind if self.landing is not None else "failed"


def wanted_sections(doc: Document, ids: set[str] | None) -> list[str] | None:
    if ids is None:
        return None
    return [s.section_id for s in doc.sections if s.type is SectionType.PROSE and s.section_id in ids]


def scan(paths: list[Path], options: SynthOptions, ids: set[str] | None) -> list[Planned]:
    """Reads every document once to count its calls (for progress and scheduling)
    and to report the ones that cannot run before any teacher call; CliError(2)
    when a `--section` id is in no document."""
    per_source = len(budget(options.strategy, options.per_section))
    planned: list[Planned] = []
    found: set[str] = set()
    for path in paths:
        try:
            _, doc = read_document(path)
        except (CliError, ValueError) as exc:
            planned.append(Planned(path, error=str(exc)))
            continue
        wanted = wanted_sections(doc, ids)
        found |= set(wanted or ())
        sources = select_sources(doc, wanted)
        planned.append(Planned(path, calls=len(sources) * per_source))
    missing = sorted((ids or set()) - found)
    if missing:
        where = "this document" if len(paths) == 1 else "any of the documents"
        raise CliError(f"no prose section with id {', '.join(missing)} in {where}", 2)
    return planned


class Teachers:
    """The run's teachers: one per selector, built once and shared by every document
    that resolves to it (`auto` may resolve differently per document), or one per
    document for teachers that depend on it (`self`); judges are per document (the
    `sway` judge scores with the document's adapter)."""

    def __init__(self, teacher_options: TeacherOptions, wrap: Wrap | None = None) -> None:
        self.teacher_options = teacher_options
        self.wrap = wrap
        self.shared: dict[str, Teacher] = {}

    async def prepare(self, selector: str, cancel: CancelToken) -> None:
        """Prepares a chosen (not `auto`) shared teacher up front: a missing key or a
        server that is not running stops the whole run with one message
        (TeacherUnavailableError) instead of failing every document."""
        if selector != AUTO and not per_document(selector):
            await self._shared(selector).prepare(cancel)

    def _shared(self, selector: str) -> Teacher:
        teacher = self.shared.get(selector)
        if teacher is None:
            teacher = build_teacher(selector, self.teacher_options)
            if self.wrap is not None:
                teacher = self.wrap(teacher)
            self.shared[selector] = teacher
        return teacher

    def for_document(self, selector: str, doc: Document, path: Path) -> Teacher:
        if per_document(selector):
            return build_teacher(selector, for_document(self.teacher_options, doc, path))
        shared = self._shared(selector)
        # a server that serves each document's own adapter (vLLM with LoRA modules
        # named by dlm_id) is asked for it, over the shared connection
        if isinstance(shared, PerDocument):
            return shared.for_document(doc.dlm_id)
        return shared

    async def release(self, teacher: Teacher) -> None:
        if all(teacher is not shared for shared in self.shared.values()):
            await teacher.aclose()

    async def aclose(self) -> None:
        for teacher in self.shared.values():
            await teacher.aclose()


@dataclass(slots=True)
class Run:
    args: argparse.Namespace
    options: SynthOptions
    mode: Mode
    ids: set[str] | None
    teachers: Teachers
    limiter: Limiter
    cache: ReplyCache | None
    cancel: CancelToken
    #: what `auto` resolved to, each said once (`defaults.resolve_defaults`)
    notes: Notes
    #: one landing at a time, as when they ran on the event loop
    landing: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def document(self, planned: Planned, progress: ProgressFn) -> DocumentOutcome:
        path = planned.path
        try:
            original, doc = read_document(path)
        except (CliError, ValueError) as exc:
            return DocumentOutcome(path, error=str(exc))
        sources = select_sources(doc, wanted_sections(doc, self.ids))
        teacher_options = for_document(self.teachers.teacher_options, doc, path)
        resolution = resolve_defaults(self.options, teacher_options)
        options = resolution.options
        if resolution.note is not None:
            self.notes.add(resolution.note)
        teacher = self.teachers.for_document(options.teacher, doc, path)
        try:
            judge = build_judge(options.filter_kind, teacher_options)
            result = await run_synth(
                doc,
                sources,
                options,
                teacher,
                judge=judge,
                cancel=self.cancel,
                progress=progress,
                cache=self.cache,
                limiter=self.limiter,
            )
        except JudgeInvocationError as exc:
            return DocumentOutcome(path, error=str(exc))
        except (TeacherUnavailableError, JudgeUnavailableError) as exc:
            return DocumentOutcome(path, error=f"{exc}{flag_hint(exc)}", hint=True)
        except SynthError as exc:
            return DocumentOutcome(path, error=str(exc))
        finally:
            await self.teachers.release(teacher)
        pairs = mark(result.accepted, result.report.teacher, result.report.synth_at)
        land = functools.partial(
            land_in_file,
            path,
            original,
            doc,
            pairs,
            source_contents(result.accepted),
            mode=self.mode,
            home=self.args.home,
            allow_read_only=self.args.allow_read_only,
        )
        # off the event loop: placing, verifying and rendering a document's pairs
        # re-parses it once per source (tens of milliseconds for ten sources), and
        # on the loop that stalls every other document's requests and replies, so
        # a many-slot server ran partly idle after each wave of finished documents
        async with self.landing:
            landing = await asyncio.to_thread(land)
        return DocumentOutcome(path, result, landing)


async def run_documents(
    args: argparse.Namespace,
    options: SynthOptions,
    planned: list[Planned],
    printer: ProgressPrinter,
    cancel: CancelToken,
    wrap: Wrap | None = None,
) -> tuple[list[DocumentOutcome], Limiter]:
    limiter = Limiter()
    teacher_options = TeacherOptions(
        timeout_s=args.timeout,
        concurrency=args.concurrency,
        threads=args.threads,
        dlm_home=args.home,
        notice=printer.notice,
        pressure=limiter.overloaded,
    )
    teachers = Teachers(teacher_options, wrap)
    cache = ReplyCache() if options.use_cache else None
    ids = set(args.section) if args.section else None
    run = Run(args, options, mode_of(args), ids, teachers, limiter, cache, cancel, Notes(printer.notice))
    runnable = [p for p in planned if p.error is None]
    tally = Tally(len(planned), sum(p.calls for p in runnable), limiter)
    listening = printer.corpus
    if listening:
        tally.listener = lambda snapshot: printer.corpus_progress(snapshot, False)
    outcomes: dict[Path, DocumentOutcome] = {}
    try:
        for p in planned:
            if p.error is not None:
                outcomes[p.path] = DocumentOutcome(p.path, error=p.error)
                tally.finish(None, f"{p.path}: failed")
        if runnable:
            try:
                await teachers.prepare(options.teacher, cancel)
            except TeacherUnavailableError as exc:
                raise CliError(f"{exc}{flag_hint(exc)}\n{OFFLINE_HINT}", 1) from exc

            async def work(index: int, item: Planned, progress: ProgressFn) -> DocumentOutcome:
                outcome = await run.document(item, progress if listening else _fan(progress, printer))
                line = f"{item.path}: {outcome_summary(outcome)}"
                tally.finish(index, line)
                if listening:
                    printer.corpus_progress(tally.snapshot(line), True)
                return outcome

            def not_started(_: int, item: Planned) -> DocumentOutcome:
                return DocumentOutcome(item.path, error="not started")

            done = await run_corpus(
                runnable, [p.calls for p in runnable], work, not_started, tally=tally, cancel=cancel
            )
            for outcome in done:
                outcomes[outcome.path] = outcome
    finally:
        await teachers.aclose()
        printer.end()
    return [outcomes[p.path] for p in planned], limiter


def _fan(*listeners: ProgressFn) -> ProgressFn:
    def report(progress: Progress) -> None:
        for listener in listeners:
            listener(progress)

    return report


# -- output ------------------------------------------------------------------------


def outcome_summary(outcome: DocumentOutcome) -> str:
    """One short phrase: what happened to a document."""
    if outcome.result is None:
        first = (outcome.error or "failed").splitlines()[0]
        return "not started (interrupted)" if outcome.error == "not started" else f"failed: {first}"
    landing = outcome.landing
    assert landing is not None
    parts: list[str] = [landing.kind]
    if landing.written:
        parts.append(f"wrote {len(landing.written)}")
    if landing.staged:
        parts.append(f"staged {len(landing.staged)}")
    if landing.unsaved:
        parts.append(f"NOT SAVED {len(landing.unsaved)}")
    if outcome.result.status != "completed":
        parts.append(outcome.result.status)
    return ", ".join(parts)


def landing_json(outcome: DocumentOutcome, file: Path) -> dict[str, Any]:
    """The `outcome` object of docs/cli.md for one document."""
    landing = outcome.landing
    if landing is None:
        return {"kind": "failed", "message": outcome.error or "failed"}
    data: dict[str, Any] = {"kind": landing.kind, "message": landing_message(landing, file)}
    if landing.kind == "applied" or landing.written:
        data["written"] = len(landing.written)
        data["already_present"] = len(landing.present)
    if landing.kind != "nothing-accepted" and landing.kind != "dry-run":
        data["staged"] = len(landing.staged)
    if landing.staged_path is not None:
        data["path"] = str(landing.staged_path)
    if landing.problems:
        data["problems"] = list(landing.problems)
    if landing.unsaved:
        data["unsaved"] = [_pair_json(p) for p in landing.unsaved]
    return data


def _pair_json(pair: MarkedPair) -> dict[str, str]:
    return {"question": pair.question, "answer": pair.answer, "source_section_id": pair.source_section_id}


def landing_message(landing: FileLanding, file: Path) -> str:
    if landing.kind == "nothing-accepted":
        return "no pairs accepted; nothing written or staged."
    if landing.kind == "dry-run":
        return "dry-run only — nothing written or staged."
    staged = len(landing.staged)
    where = f" in {landing.staged_path}" if landing.staged_path is not None else ""
    if landing.kind == "staged" and not landing.problems:
        message = (
            f"staged {staged} auto-synth instruction section(s){where}. "
            f"Inspect with `dlm-synth-lsp synth list {file}`, write with `dlm-synth-lsp synth apply {file}`."
        )
    else:
        message = f"wrote {len(landing.written)} section(s) to {file}"
        if landing.present:
            message += f" ({len(landing.present)} already present)"
        if staged:
            why = "whose source is gone" if not landing.problems else "instead"
            message += f"; staged {staged} pair(s) {why}{where}"
    if landing.unsaved:
        message += f"; {len(landing.unsaved)} accepted pair(s) could not be saved (listed below)"
    return message


def document_json_entry(outcome: DocumentOutcome) -> dict[str, Any]:
    if outcome.result is None:
        return {
            "path": str(outcome.path),
            "status": "not-started" if outcome.error == "not started" else "failed",
            "error": outcome.error,
            "accepted": [],
            "rejected": [],
            "report": None,
            "outcome": landing_json(outcome, outcome.path),
            "exit_status": outcome.exit_status,
        }
    return {
        "path": str(outcome.path),
        **as_json(result_data(outcome.result)),
        "outcome": landing_json(outcome, outcome.path),
        "exit_status": outcome.exit_status,
    }


def aggregate_status(outcomes: list[DocumentOutcome], signal_status: int | None) -> int:
    if signal_status is not None:
        return signal_status
    statuses = [o.exit_status for o in outcomes]
    if any(s == 1 for s in statuses):
        return 1
    if statuses and all(s == 2 for s in statuses):
        return 2
    return 0


def totals_json(outcomes: list[DocumentOutcome], wall_s: float, limiter: Limiter) -> dict[str, Any]:
    reports = [o.result.report for o in outcomes if o.result is not None]
    landings = [o.landing for o in outcomes if o.landing is not None]
    kinds: dict[str, int] = {}
    for outcome in outcomes:
        kinds[outcome.kind] = kinds.get(outcome.kind, 0) + 1
    return {
        "documents": len(outcomes),
        "by_outcome": kinds,
        "calls": sum(r.calls for r in reports),
        "calls_done": sum(r.calls_done for r in reports),
        "requests": sum(r.usage.requests for r in reports),
        "cached": sum(r.usage.cached for r in reports),
        "retries": sum(r.usage.retries for r in reports),
        "input_tokens": sum(r.usage.input_tokens for r in reports),
        "output_tokens": sum(r.usage.output_tokens for r in reports),
        "accepted": sum(r.accepted for r in reports),
        "rejected": sum(len(r.rejected) for r in reports),
        "written": sum(len(landing.written) for landing in landings),
        "staged": sum(len(landing.staged) for landing in landings),
        "unsaved": sum(len(landing.unsaved) for landing in landings),
        "concurrency": {
            "start": limiter.budget.start,
            "ceiling": limiter.budget.ceiling,
            "final": limiter.limit,
            "peak": limiter.peak,
            "changes": [{"at": c.at, "limit": c.limit, "why": c.why} for c in limiter.changes],
        },
        "wall_seconds": round(wall_s, 3),
    }


def render_table(outcomes: list[DocumentOutcome]) -> str:
    rows = [("document", "outcome", "accepted", "written", "staged", "rejected", "calls (cached)")]
    for o in outcomes:
        r = o.result.report if o.result is not None else None
        landing = o.landing
        rows.append(
            (
                str(o.path),
                o.kind,
                str(r.accepted) if r else "-",
                str(len(landing.written)) if landing else "-",
                str(len(landing.staged)) if landing else "-",
                str(len(r.rejected)) if r else "-",
                f"{r.calls_done}/{r.calls} ({r.usage.cached})" if r else "-",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
        cells += [cell.rjust(width) for cell, width in zip(row[2:], widths[2:], strict=True)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def render_corpus(outcomes: list[DocumentOutcome], totals: dict[str, Any]) -> str:
    lines = [render_table(outcomes), ""]
    for o in outcomes:
        notes: list[str] = []
        if o.result is None:
            notes.append(o.error or "failed")
        else:
            if o.result.error:
                notes.append(o.result.error)
            if o.result.report.rejected:
                notes.append("rejected: " + rejection_summary(o.result.report.rejected))
            if o.landing is not None:
                notes += o.landing.problems
                notes += [f"not saved: Q: {p.question}\n  A: {p.answer}" for p in o.landing.unsaved]
        if notes:
            lines.append(f"{o.path}:")
            lines += ["  " + note.replace("\n", "\n  ") for note in notes]
    by = ", ".join(f"{n} {kind}" for kind, n in totals["by_outcome"].items())
    lines.append(
        f"synth: {totals['documents']} document(s): {by}; {totals['accepted']} pair(s) accepted, "
        f"{totals['written']} written, {totals['staged']} staged; {totals['calls_done']} teacher call(s), "
        f"{totals['requests']} request(s), {totals['cached']} from cache, {totals['retries']} retries; "
        f"tokens in {totals['input_tokens']} / out {totals['output_tokens']}; "
        f"{duration(totals['wall_seconds'])} (concurrency peak {totals['concurrency']['peak']})"
    )
    return "\n".join(lines)


# -- the command -------------------------------------------------------------------


def install_signals(cancel: CancelToken, received: list[int]) -> None:
    loop = asyncio.get_running_loop()
    for signum, why in ((signal.SIGINT, "interrupted (Ctrl-C)"), (signal.SIGTERM, "terminated")):

        def handler(signum: int = signum, why: str = why) -> None:
            received.append(signum)
            cancel.cancel(why)

        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # not on Windows
            loop.add_signal_handler(signum, handler)


@dataclass(slots=True)
class Invocation:
    """A `synth instructions` command line, checked and scanned, before any call."""

    args: argparse.Namespace
    options: SynthOptions
    single: bool
    planned: list[Planned]


def prepare(args: argparse.Namespace) -> Invocation:
    """Usage errors (exit 2) and the scan, before anything is spent."""
    options = options_from(args)
    paths = expand(args.paths)
    planned = scan(paths, options, set(args.section) if args.section else None)
    return Invocation(args, options, names_one_file(args.paths), planned)


def execute(invocation: Invocation, wrap: Wrap | None = None) -> int:
    """Runs the documents, prints the result, returns the exit status."""
    args, options, single = invocation.args, invocation.options, invocation.single
    printer = ProgressPrinter(sys.stderr, args.quiet, corpus=not single)
    cancel = CancelToken()
    received: list[int] = []

    async def main() -> tuple[list[DocumentOutcome], Limiter, float]:
        install_signals(cancel, received)
        loop = asyncio.get_running_loop()
        started = loop.time()
        outcomes, limiter = await run_documents(args, options, invocation.planned, printer, cancel, wrap)
        return outcomes, limiter, loop.time() - started

    outcomes, limiter, wall = asyncio.run(main())
    status_by_signal = None
    if received:
        status_by_signal = INTERRUPTED if received[0] == signal.SIGINT else TERMINATED
    if single:
        return _single(args, outcomes[0], status_by_signal)
    totals = totals_json(outcomes, wall, limiter)
    status = aggregate_status(outcomes, status_by_signal)
    if args.json:
        documents = [document_json_entry(o) for o in outcomes]
        print_json({"documents": documents, "totals": totals, "exit_status": status})
    else:
        print(render_corpus(outcomes, totals))
    return status


def cmd_instructions(args: argparse.Namespace) -> int:
    """`synth instructions` without `--batch`."""
    if args.wait:
        raise CliError("--wait only waits for a --batch run", 2)
    return execute(prepare(args))


def _single(args: argparse.Namespace, outcome: DocumentOutcome, signal_status: int | None) -> int:
    """One document: the output it always had (the result, then one line saying what
    was written or staged)."""
    if outcome.result is None:
        message = outcome.error or "failed"
        print_error("synth", f"{message}\n{OFFLINE_HINT}" if outcome.hint else message)
        return 1
    landing = outcome.landing
    assert landing is not None
    for problem in landing.problems:
        print_error("synth", problem)
    if args.json:
        print_json({**as_json(result_data(outcome.result)), "outcome": landing_json(outcome, args.paths[0])})
    else:
        print(render_result(outcome.result))
        print(f"\nsynth: {landing_message(landing, Path(args.paths[0]))}")
        for pair in landing.unsaved:
            print(f"not saved:\n### Q\n{pair.question}\n### A\n{pair.answer}")
    return aggregate_status([outcome], signal_status)
