"""`synth instructions --batch` and `synth batch status|collect|cancel`: runs through
a provider's batch API (`synth/batch.py` says how a batch fits the pipeline).

`--batch` submits the calls that have no answer yet (or finds the batch already
asking them), records it, and — once the batch has ended, now or on a later run —
collects the answers and runs the documents from them. `--wait` polls until it has
ended. `synth batch collect ID` does the same for a recorded batch, with the options
it was submitted with; `status` and `cancel` ask the provider.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ..synth.backends import build_teacher
from ..synth.batch import (
    Answers,
    BatchRecord,
    BatchState,
    BatchTeacher,
    answered,
    covering,
    list_records,
    load_record,
    new_record,
    note_state,
    requests_for,
    save_answers,
    save_record,
)
from ..synth.cache import ReplyCache, cacheable
from ..synth.cancel import CancelToken
from ..synth.errors import TeacherUnavailableError
from ..synth.options import AUTO
from ..synth.pipeline import call_prompts, select_sources
from ..synth.teachers.base import Completion, Teacher, TeacherOptions
from ..synth.teachers.spec import parse_teacher_spec
from .errors import CliError, flag_hint
from .instructions import Invocation, execute, install_signals, prepare, read_document, wanted_sections
from .output import print_json
from .progress import ProgressPrinter

#: the options a recorded batch runs with again when it is collected
RECORDED = (
    "paths",
    "home",
    "teacher",
    "per_section",
    "strategy",
    "filter",
    "threshold",
    "max_pairs",
    "max_new_tokens",
    "temp",
    "top_p",
    "seed",
    "section",
    "timeout",
    "concurrency",
    "threads",
    "no_cache",
    "apply",
    "dry_run",
    "allow_read_only",
)


def _teacher(selector: str, args: argparse.Namespace, notice: Any = None) -> Teacher:
    if selector == AUTO or parse_teacher_spec(selector).kind not in ("openai", "anthropic"):
        raise CliError("--batch needs an openai: or anthropic: teacher (their providers have batch APIs)", 2)
    return build_teacher(selector, TeacherOptions(timeout_s=args.timeout, dlm_home=args.home, notice=notice))


def _batch_api(teacher: Teacher) -> BatchTeacher:
    assert isinstance(teacher, BatchTeacher), teacher.name
    return teacher


def _command(args: argparse.Namespace) -> dict[str, Any]:
    values = {name: getattr(args, name) for name in RECORDED}
    values["paths"] = [str(Path(p).resolve()) if not Path(p).is_absolute() else p for p in args.paths]
    return values


def _restored(record: BatchRecord, args: argparse.Namespace) -> argparse.Namespace:
    values = dict(record.command)
    return argparse.Namespace(
        **values, json=args.json, quiet=args.quiet, batch=False, wait=False, poll_interval=args.poll_interval
    )


async def _state(
    teacher: BatchTeacher, record: BatchRecord, wait: bool, interval: float, cancel: CancelToken, printer: Any
) -> BatchState:
    """The batch's state, polled every `interval` seconds until it has ended when
    `wait` (a cancel stops waiting, not the batch)."""
    while True:
        state = await teacher.batch_state(record.id, cancel)
        if state.ended or not wait:
            return state
        printer.notice(f"batch {record.id}: {state.status}, {state.succeeded}/{state.total} done")
        await cancel.guard(asyncio.sleep(interval))


async def _collect(
    teacher: Teacher, record: BatchRecord, home: str | None, use_cache: bool, cancel: CancelToken
) -> None:
    answers = await _batch_api(teacher).batch_answers(record.id, cancel)
    save_answers(record, answers, home)
    if use_cache:
        cache = ReplyCache()
        for key, answer in answers.items():
            if answer.text is not None:
                cache.put(key, Completion(answer.text))


def _pending(record: BatchRecord, state: BatchState, submitted: bool, args: argparse.Namespace) -> int:
    data = {
        "id": record.id,
        "teacher": record.teacher,
        "submitted_now": submitted,
        "status": state.status,
        "total": state.total,
        "succeeded": state.succeeded,
        "failed": state.failed,
    }
    if args.json:
        print_json({"batch": data})
    else:
        what = "submitted" if submitted else "waiting for"
        print(
            f"synth: {what} batch {record.id} ({record.teacher}, {len(record.keys)} request(s)): "
            f"{state.status}, {state.succeeded}/{state.total} done. Collect it with "
            f"`dlm-synth-lsp synth batch collect {record.id}` (--wait to wait for it), "
            "or run this command again."
        )
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """`synth instructions --batch`."""
    invocation = prepare(args)
    options = invocation.options
    printer = ProgressPrinter(sys.stderr, args.quiet)
    cancel = CancelToken()
    received: list[int] = []

    async def main() -> tuple[str, BatchRecord | None, BatchState | None, bool]:
        install_signals(cancel, received)
        teacher = _teacher(options.teacher, args, printer.notice)
        try:
            try:
                await teacher.prepare(cancel)
            except TeacherUnavailableError as exc:
                raise CliError(f"{exc}{flag_hint(exc)}", 1) from exc
            requests = requests_for(teacher, _prompts(invocation), options.params)
            have = answered(teacher, args.home)
            cache = ReplyCache() if options.use_cache and cacheable(options.params) else None
            needed = [
                r
                for r in requests
                if not (r.key in have and have[r.key].text is not None)
                and not (cache is not None and cache.get(r.key) is not None)
            ]
            if not needed:
                return "ready", None, None, False
            record = covering(list_records(args.home), teacher, {r.key for r in needed})
            submitted = record is None
            if record is None:
                batch_id = await _batch_api(teacher).submit_batch(needed, cancel)
                record = new_record(batch_id, teacher, [r.key for r in needed], _command(args))
                save_record(record, args.home)
            state = await _state(_batch_api(teacher), record, args.wait, args.poll_interval, cancel, printer)
            note_state(record, state)
            save_record(record, args.home)
            if not state.ended:
                return "pending", record, state, submitted
            await _collect(teacher, record, args.home, options.use_cache, cancel)
            return "ready", record, state, submitted
        finally:
            await teacher.aclose()

    stage, record, state, submitted = asyncio.run(main())
    if stage == "pending":
        assert record is not None and state is not None
        return _pending(record, state, submitted, args)
    return _run_answered(invocation)


def _prompts(invocation: Invocation) -> list[Any]:
    ids = set(invocation.args.section) if invocation.args.section else None
    prompts = []
    for planned in invocation.planned:
        if planned.error is not None:
            continue
        try:
            _, doc = read_document(planned.path)
        except (CliError, ValueError):
            continue
        prompts += call_prompts(select_sources(doc, wanted_sections(doc, ids)), invocation.options)
    return prompts


def _run_answered(invocation: Invocation) -> int:
    """Runs the documents with every answer collected for their teacher."""
    home = invocation.args.home
    records = list_records(home)

    def wrap(teacher: Teacher) -> Teacher:
        ids = [r.id for r in records if r.collected and r.teacher == teacher.name]
        return Answers(teacher, answered(teacher, home), ids)

    return execute(invocation, wrap)


def cmd_collect(args: argparse.Namespace) -> int:
    record = _load(args)
    printer = ProgressPrinter(sys.stderr, args.quiet)
    cancel = CancelToken()
    received: list[int] = []

    async def main() -> BatchState | None:
        install_signals(cancel, received)
        teacher = _teacher(record.teacher, args, printer.notice)
        try:
            await teacher.prepare(cancel)
            if record.collected:
                return None
            state = await _state(_batch_api(teacher), record, args.wait, args.poll_interval, cancel, printer)
            note_state(record, state)
            save_record(record, args.home)
            if state.ended:
                await _collect(teacher, record, args.home, not record.command.get("no_cache"), cancel)
            return state
        finally:
            await teacher.aclose()

    state = asyncio.run(main())
    if state is not None and not state.ended:
        return _pending(record, state, False, args)
    restored = _restored(record, args)
    return _run_answered(prepare(restored))


def _load(args: argparse.Namespace) -> BatchRecord:
    try:
        return load_record(args.id, args.home)
    except FileNotFoundError:
        raise CliError(
            f"no batch {args.id} is recorded (see `dlm-synth-lsp synth batch status`)", 2
        ) from None
    except (ValueError, TypeError) as exc:
        raise CliError(f"the record of batch {args.id} cannot be read: {exc}", 1) from exc


def cmd_status(args: argparse.Namespace) -> int:
    records = [_load(args)] if args.id else list_records(args.home)
    cancel = CancelToken()

    async def refresh() -> None:
        for record in records:
            if not record.open:
                continue
            teacher = _teacher(record.teacher, args)
            try:
                await teacher.prepare(cancel)
                note_state(record, await _batch_api(teacher).batch_state(record.id, cancel))
                save_record(record, args.home)
            finally:
                await teacher.aclose()

    asyncio.run(refresh())
    if args.json:
        print_json({"batches": [_record_json(r) for r in records]})
    elif not records:
        print("synth: no batch recorded")
    for record in records if not args.json else ():
        counts = record.counts
        print(
            f"{record.id}  {record.teacher}  {record.status}  {counts.get('succeeded', 0)}/"
            f"{counts.get('total', len(record.keys))} done, {counts.get('failed', 0)} failed  "
            f"submitted {record.created_at}"
        )
    return 0


def _record_json(record: BatchRecord) -> dict[str, Any]:
    data = asdict(record)
    data["requests"] = len(data.pop("keys"))
    return data


def cmd_cancel(args: argparse.Namespace) -> int:
    record = _load(args)
    cancel = CancelToken()

    async def stop() -> BatchState:
        teacher = _teacher(record.teacher, args)
        try:
            await teacher.prepare(cancel)
            return await _batch_api(teacher).cancel_batch(record.id, cancel)
        finally:
            await teacher.aclose()

    state = asyncio.run(stop())
    note_state(record, state)
    # ours, whatever the provider's word ("canceling"): a later --batch run submits anew
    # rather than waiting for this one
    record.status = "cancelled"
    save_record(record, args.home)
    if args.json:
        print_json({"batch": _record_json(record)})
    else:
        print(f"synth: batch {record.id}: {state.status} ({state.succeeded}/{state.total} had finished)")
    return 0
