"""`dlm-synth-lsp synth instructions|list|revert|apply`: the pipeline, headless.

Flags and exit codes mirror upstream's `dlm synth` (spec section 6): 0 done, 1 the
document or a teacher/judge could not be used, 2 bad flags or nothing accepted.
Differences, on purpose: `--apply` inserts each pair right after its source with
minimal edits (upstream rewrites the whole file and appends at the end), it refuses
to overwrite a file that changed while the teacher ran (the pairs are staged
instead), a run with nothing accepted keeps the previous staged plan, and `apply`
writes a staged plan (upstream can only list it). Staged plans are read, applied and
settled through `synth/staging.py`, as the language server does.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from pathlib import Path
from typing import Any, TextIO

from ..document import Document, parse_bytes
from ..document.edits import EditError, plan_revert, render
from ..synth.backends import build_judge, build_teacher, for_document
from ..synth.cancel import CancelToken
from ..synth.defaults import resolve_defaults
from ..synth.errors import JudgeInvocationError, SynthError
from ..synth.files import write_atomic
from ..synth.options import SynthOptions, check_option
from ..synth.pipeline import Progress, SynthResult, run_synth, select_sources
from ..synth.placement import mark, plan_placement, source_contents
from ..synth.results import applied_sections, as_json, listing, render_listing, render_result, result_data
from ..synth.staging import pending_for, read_staged, save_plan, settle
from ..synth.teachers.base import SamplingParams, TeacherOptions
from .check import document_json, problem_line
from .errors import CliError, flag_hint
from .output import print_error, print_json

OFFLINE_HINT = (
    "teachers that work without a network or key: --teacher local (the bundled offline model, "
    "the default for a document with no trained adapter), --teacher local:<file.gguf>, "
    "or --teacher vllm-server:http://127.0.0.1:8000 with a local vLLM / llama.cpp / Ollama server; "
    "see docs/teachers.md"
)
#: synth option → its flag (for messages from synth/options.py)
FLAGS = {
    "teacher": "--teacher",
    "strategy": "--strategy",
    "per_section": "--per-section",
    "filter": "--filter",
    "threshold": "--threshold",
    "max_pairs": "--max-pairs",
    "max_new_tokens": "--max-new-tokens",
    "temperature": "--temp",
    "top_p": "--top-p",
    "concurrency": "--concurrency",
    "timeout_seconds": "--timeout",
    "threads": "--threads",
}


def _read(path: Path) -> tuple[bytes, Document]:
    """The file's bytes and its parse; CliError(1) when unreadable or invalid."""
    data = path.read_bytes()
    doc = parse_bytes(data, str(path))
    errors = [problem for problem in document_json(doc)["problems"] if problem["severity"] == "error"]
    if errors:
        lines = [problem_line(path, problem) for problem in errors]
        raise CliError(f"{path} has errors; fix them first:\n" + "\n".join(lines), 1)
    return data, doc


def _write(path: Path, original: bytes, text: str) -> None:
    """Replace the file atomically, keeping its permissions, unless it changed since
    `original` was read (then CliError(1): we never write over someone's edits)."""
    target = path.resolve()
    try:
        if target.read_bytes() != original:
            raise CliError(f"{path} changed on disk while synth ran; not writing over it", 1)
        write_atomic(target, text, mode=target.stat().st_mode & 0o7777)
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror or exc}", 1) from exc


def _staging_path(doc: Document, path: Path, home: str | None) -> Path:
    pending = pending_for(doc, home)
    if pending is None:
        raise CliError(f"{path} has no dlm_id in its frontmatter, so there is no store to stage into", 1)
    return pending


class _ProgressPrinter:
    """A redrawn one-line bar on a terminal, plain lines otherwise."""

    def __init__(self, stream: TextIO, quiet: bool) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.quiet = quiet
        self.dirty = False

    def __call__(self, progress: Progress) -> None:
        if self.quiet:
            return
        if self.tty:
            filled = progress.percentage // 5
            bar = "#" * filled + "-" * (20 - filled)
            line = f"\r[{bar}] {progress.done}/{progress.total} {progress.message}"[:160]
            self.stream.write(line.ljust(100))
            self.dirty = True
        else:
            self.stream.write(f"synth: [{progress.done}/{progress.total}] {progress.message}\n")
        self.stream.flush()

    def notice(self, message: str) -> None:
        if not self.quiet:
            self.end()
            self.stream.write(f"synth: {message}\n")
            self.stream.flush()

    def end(self) -> None:
        if self.dirty:
            self.stream.write("\n")
            self.dirty = False


def _options(args: argparse.Namespace) -> SynthOptions:
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


async def _run(
    args: argparse.Namespace, doc: Document, options: SynthOptions, printer: _ProgressPrinter
) -> SynthResult:
    cancel = CancelToken()
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, RuntimeError):  # not on Windows
        loop.add_signal_handler(signal.SIGINT, lambda: cancel.cancel("interrupted (Ctrl-C)"))
    teacher_options = for_document(
        TeacherOptions(
            timeout_s=args.timeout,
            concurrency=args.concurrency,
            threads=args.threads,
            dlm_home=args.home,
            notice=printer.notice,
        ),
        doc,
        args.file,
    )
    try:
        sources = select_sources(doc, args.section or None)
    except ValueError as exc:
        raise CliError(str(exc), 2) from exc
    resolution = resolve_defaults(options, teacher_options)
    options = resolution.options
    if resolution.note is not None:
        printer.notice(resolution.note)
    teacher = build_teacher(options.teacher, teacher_options)
    judge = build_judge(options.filter_kind, teacher_options)
    try:
        return await run_synth(doc, sources, options, teacher, judge=judge, cancel=cancel, progress=printer)
    finally:
        await teacher.aclose()
        printer.end()


def cmd_instructions(args: argparse.Namespace) -> int:
    options = _options(args)
    original, doc = _read(args.file)
    printer = _ProgressPrinter(sys.stderr, args.quiet)
    try:
        result = asyncio.run(_run(args, doc, options, printer))
    except JudgeInvocationError:
        raise  # the judge loaded and then failed: no hint about other teachers helps
    except SynthError as exc:
        raise CliError(f"{exc}{flag_hint(exc)}\n{OFFLINE_HINT}", 1) from exc
    outcome = _settle(args, doc, original, result)
    if args.json:
        print_json({**as_json(result_data(result)), "outcome": outcome})
    else:
        print(render_result(result))
        print(f"\nsynth: {outcome['message']}")
    if outcome["kind"] == "nothing-accepted":
        return 2
    return 1 if result.status == "failed" else 0


def _settle(args: argparse.Namespace, doc: Document, original: bytes, result: SynthResult) -> dict[str, Any]:
    """Applies, stages or only reports the accepted pairs; nothing accepted is never
    an error that loses something: a previous staged plan stays."""
    pairs = mark(result.accepted, result.report.teacher, result.report.synth_at)
    if not pairs:
        return {"kind": "nothing-accepted", "message": "no pairs accepted; nothing written or staged."}
    if args.dry_run:
        return {"kind": "dry-run", "message": "dry-run only — nothing written or staged."}
    if args.apply:
        placement = plan_placement(doc, pairs, source_contents(result.accepted))
        leftover = placement.unplaced
        message = f"wrote {len(placement.placed)} section(s) to {args.file}"
        if placement.edits:
            try:
                _write(args.file, original, render(doc, placement.edits).source_text)
            except CliError as exc:
                print_error("synth", str(exc))
                leftover, message = pairs, "the file could not be written"
        if placement.present:
            message += f" ({len(placement.present)} already present)"
        if leftover:
            path = _staging_path(doc, args.file, args.home)
            save_plan(path, args.file, leftover)
            message += f"; staged {len(leftover)} pair(s) whose source is gone in {path}"
        return {
            "kind": "applied",
            "message": message,
            "written": len(placement.placed),
            "staged": len(leftover),
        }
    path = _staging_path(doc, args.file, args.home)
    save_plan(path, args.file, pairs)
    return {
        "kind": "staged",
        "message": f"staged {len(pairs)} auto-synth instruction section(s) in {path}. "
        f"Inspect with `dlm-synth-lsp synth list {args.file}`, write with "
        f"`dlm-synth-lsp synth apply {args.file}`.",
        "staged": len(pairs),
        "path": str(path),
    }


def cmd_list(args: argparse.Namespace) -> int:
    _, doc = _read(args.file)
    _, plan = read_staged(doc, args.home)
    found = listing(doc, plan.pairs if plan is not None else ())
    if args.json:
        print_json(as_json(found))
    else:
        print(render_listing(str(args.file), found))
    return 0


def cmd_revert(args: argparse.Namespace) -> int:
    original, doc = _read(args.file)
    try:
        edits = plan_revert(doc, args.section or None)
    except EditError as exc:
        raise CliError(str(exc), 2) from exc
    removed = len(applied_sections(doc)) - len(applied_sections(render(doc, edits)))
    if edits:
        _write(args.file, original, render(doc, edits).source_text)
    print(f"synth: removed {removed} auto-synth instruction section(s) from {args.file}")
    return 0


def cmd_apply(args: argparse.Namespace) -> int:
    original, doc = _read(args.file)
    pending, plan = read_staged(doc, args.home)
    if pending is None or plan is None or not plan.pairs:
        raise CliError(f"nothing staged for {args.file}", 2)
    placement = plan_placement(doc, plan.pairs)
    if placement.edits:
        _write(args.file, original, render(doc, placement.edits).source_text)
    settle(pending, args.file, placement.unplaced)
    print(
        f"synth: wrote {len(placement.placed)} section(s) to {args.file}; "
        f"{len(placement.present)} already present; {len(placement.unplaced)} still staged (source not found)"
    )
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    synth = sub.add_parser("synth", help="synthesize, list, apply and revert auto-synth instruction pairs")
    synth.set_defaults(prefix="synth", flags=FLAGS)
    synth_sub = synth.add_subparsers(dest="synth_command", required=True)

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("file", type=Path)
    common.add_argument("--home", help="DLM_HOME override (store location)")

    ins = synth_sub.add_parser(
        "instructions", parents=[common], help="generate Q/A pairs from prose sections"
    )
    ins.add_argument(
        "--teacher",
        default="auto",
        help="auto | self | local | local:<file.gguf> | hf:<id|dir|file.gguf> | openai:<model> | "
        "anthropic:<model> | vllm-server:<url> (default auto: the document's trained adapter, "
        "else the bundled offline model)",
    )
    ins.add_argument("--per-section", type=int, default=3, help="pairs per section (default 3)")
    ins.add_argument("--strategy", default="extraction", help="extraction | expansion | both")
    ins.add_argument(
        "--filter",
        default="auto",
        help="auto | sway | grounded | dedup-only | none (default auto: sway with a trained adapter, "
        "else grounded)",
    )
    ins.add_argument("--threshold", type=float, default=None)
    ins.add_argument("--max-pairs", type=int, default=None, help="cap on accepted pairs")
    ins.add_argument("--max-new-tokens", type=int, default=512)
    ins.add_argument("--temp", type=float, default=0.0)
    ins.add_argument("--top-p", type=float, default=None)
    ins.add_argument("--seed", type=int, default=None)
    ins.add_argument("--section", action="append", metavar="ID", help="only this prose section (repeatable)")
    ins.add_argument("--timeout", type=float, default=120.0, help="seconds per teacher request (default 120)")
    ins.add_argument("--concurrency", type=int, default=4, help="requests in flight (default 4)")
    ins.add_argument("--threads", type=int, default=None, help="CPU threads for local models")
    ins.add_argument("--no-cache", action="store_true", help="ignore and do not fill the reply cache")
    ins.add_argument("--apply", action="store_true", help="write the pairs into the file")
    ins.add_argument("--dry-run", action="store_true", help="write and stage nothing")
    ins.add_argument("--json", action="store_true", help="machine-readable result on stdout")
    ins.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    ins.set_defaults(func=cmd_instructions)

    lst = synth_sub.add_parser("list", parents=[common], help="applied and staged auto-synth pairs")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=cmd_list)

    rev = synth_sub.add_parser("revert", parents=[common], help="remove auto-synth sections (minimal edit)")
    rev.add_argument("--section", action="append", metavar="ID", help="only this section (repeatable)")
    rev.set_defaults(func=cmd_revert)

    app = synth_sub.add_parser("apply", parents=[common], help="write the staged plan into the file")
    app.set_defaults(func=cmd_apply)
