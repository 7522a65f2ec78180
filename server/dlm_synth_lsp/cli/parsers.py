"""The command line's grammar: every command's flags and help, and which function
runs it. Nothing here imports the cores: a command's module (and with it the parser,
the pipeline, the store) is imported when that command runs (`Command`), so `--help`,
`check` and `synth instructions` each pay only for what they use.
"""

from __future__ import annotations

import argparse
import importlib
from dataclasses import dataclass
from pathlib import Path

from .. import __version__

PROG = "dlm-synth-lsp"

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


@dataclass(frozen=True, slots=True)
class Command:
    """`function` of `cli/<module>.py`, imported when the command runs."""

    module: str
    function: str

    def __call__(self, args: argparse.Namespace) -> int:
        run = getattr(importlib.import_module(f"{__package__}.{self.module}"), self.function)
        status: int = run(args)
        return status


LIVE_RUN = Command("instructions", "cmd_instructions")
BATCH_RUN = Command("batch", "cmd_run")


def _instructions(args: argparse.Namespace) -> int:
    """`synth instructions`: through a provider batch with `--batch`, else live."""
    return (BATCH_RUN if args.batch else LIVE_RUN)(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Check, inspect and synthesize instruction pairs for .dlm documents.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.set_defaults(prefix=PROG)
    sub = parser.add_subparsers(dest="command", required=True)
    _check_parsers(sub)
    _synth_parsers(sub)
    return parser


def _check_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sections = sub.add_parser("sections", help="list the sections and problems of a .dlm file")
    sections.add_argument("file", type=Path)
    sections.add_argument("--json", action="store_true", help="machine-readable output")
    sections.set_defaults(func=Command("check", "cmd_sections"))

    check = sub.add_parser("check", help="report problems as path:line:col (exit 1 on errors)")
    check.add_argument("files", type=Path, nargs="+", metavar="FILE")
    check.set_defaults(func=Command("check", "cmd_check"))


def _synth_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    synth = sub.add_parser("synth", help="synthesize, list, apply and revert auto-synth instruction pairs")
    synth.set_defaults(prefix="synth", flags=FLAGS)
    synth_sub = synth.add_subparsers(dest="synth_command", required=True)

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("file", type=Path)
    common.add_argument("--home", help="DLM_HOME override (store location)")
    writes = argparse.ArgumentParser(add_help=False)
    writes.add_argument("--allow-read-only", action="store_true", help="also write into a read-only file")

    ins = synth_sub.add_parser(
        "instructions", help="generate Q/A pairs from the prose of one or many documents"
    )
    _instructions_arguments(ins)
    ins.set_defaults(func=_instructions)

    lst = synth_sub.add_parser("list", parents=[common], help="applied and staged auto-synth pairs")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=Command("synth", "cmd_list"))

    rev = synth_sub.add_parser(
        "revert", parents=[common, writes], help="remove auto-synth sections (minimal edit)"
    )
    rev.add_argument("--section", action="append", metavar="ID", help="only this section (repeatable)")
    rev.set_defaults(func=Command("synth", "cmd_revert"))

    app = synth_sub.add_parser("apply", parents=[common, writes], help="write the staged plan into the file")
    app.set_defaults(func=Command("synth", "cmd_apply"))

    _batch_parsers(synth_sub)


def _instructions_arguments(ins: argparse.ArgumentParser) -> None:
    ins.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="documents: files, directories (every .dlm below) or quoted globs ('docs/**/*.dlm')",
    )
    ins.add_argument("--home", help="DLM_HOME override (store location)")
    ins.add_argument(
        "--teacher",
        default="auto",
        help="auto | self | local | local:<file.gguf> | hf:<id|dir|file.gguf> | openai:<model> | "
        "anthropic:<model> | vllm-server:<url> (default auto: each document's trained adapter, "
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
    ins.add_argument("--max-pairs", type=int, default=None, help="cap on accepted pairs (per document)")
    ins.add_argument("--max-new-tokens", type=int, default=512)
    ins.add_argument("--temp", type=float, default=0.0)
    ins.add_argument("--top-p", type=float, default=None)
    ins.add_argument("--seed", type=int, default=None)
    ins.add_argument("--section", action="append", metavar="ID", help="only this prose section (repeatable)")
    ins.add_argument("--timeout", type=float, default=120.0, help="seconds per teacher request (default 120)")
    ins.add_argument(
        "--concurrency",
        type=int,
        default=None,
        help="most requests in flight across the run (default: by teacher kind; the run adapts below it)",
    )
    ins.add_argument("--threads", type=int, default=None, help="CPU threads for local models")
    ins.add_argument("--no-cache", action="store_true", help="ignore and do not fill the reply cache")
    ins.add_argument("--apply", action="store_true", help="write the pairs into each file")
    ins.add_argument("--dry-run", action="store_true", help="write and stage nothing")
    ins.add_argument(
        "--allow-read-only", action="store_true", help="with --apply, also write into read-only files"
    )
    ins.add_argument("--json", action="store_true", help="machine-readable result on stdout")
    ins.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    ins.add_argument(
        "--batch",
        action="store_true",
        help="openai:/anthropic: only: submit the calls as one provider batch (cheaper, no rate limits); "
        "a later run or `synth batch collect` picks the answers up",
    )
    ins.add_argument("--wait", action="store_true", help="with --batch: wait for the batch to end")
    ins.add_argument(
        "--poll-interval", type=float, default=30.0, help="with --wait: seconds between status checks"
    )


def _batch_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    batch = sub.add_parser("batch", help="provider batches submitted with `synth instructions --batch`")
    batch_sub = batch.add_subparsers(dest="batch_command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--home", help="DLM_HOME override (where batches are recorded)")
    common.add_argument("--json", action="store_true", help="machine-readable output")
    common.add_argument("--timeout", type=float, default=120.0, help="seconds per request (default 120)")

    status = batch_sub.add_parser("status", parents=[common], help="recorded batches and their state")
    status.add_argument("id", nargs="?", help="one batch (default: all)")
    status.set_defaults(func=Command("batch", "cmd_status"))

    collect = batch_sub.add_parser(
        "collect", parents=[common], help="fetch a batch's answers and run its documents from them"
    )
    collect.add_argument("id")
    collect.add_argument("--wait", action="store_true", help="wait for the batch to end")
    collect.add_argument("--poll-interval", type=float, default=30.0, help="seconds between status checks")
    collect.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    collect.set_defaults(func=Command("batch", "cmd_collect"))

    cancel = batch_sub.add_parser("cancel", parents=[common], help="cancel a batch at its provider")
    cancel.add_argument("id")
    cancel.set_defaults(func=Command("batch", "cmd_cancel"))
