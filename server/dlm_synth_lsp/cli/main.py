"""Command line: the headless face of the same cores the language server uses.

Exit codes follow linters: 0 clean (warnings allowed), 1 when any problem is an
error (upstream would refuse the document) or a file cannot be read, 2 for usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import __version__
from ..document import parse_bytes
from ..document.text import DlmEncodingError
from .report import document_json, encoding_problem_json
from .synth import add_synth_parser, run_synth_command


def _load(path: Path) -> dict[str, Any]:
    """Sections and problems of one file, as plain data."""
    try:
        doc = parse_bytes(path.read_bytes(), str(path))
    except DlmEncodingError as exc:
        return {"sections": [], "problems": [encoding_problem_json(exc)]}
    return document_json(doc)


def _has_error(result: dict[str, Any]) -> bool:
    return any(p["severity"] == "error" for p in result["problems"])


def cmd_sections(args: argparse.Namespace) -> int:
    result = _load(args.file)
    if args.json:
        json.dump(result, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        for s in result["sections"]:
            extra = f" auto_synth from {s['source_section_id']}" if s["auto_synth"] else ""
            adapter = f"#{s['adapter']}" if s["adapter"] else ""
            print(f"{s['start_line']:>6}-{s['end_line']:<6} {s['type']}{adapter} {s['section_id']}{extra}")
        _print_problems(args.file, result)
    return 1 if _has_error(result) else 0


def _print_problems(path: Path, result: dict[str, Any]) -> None:
    for p in result["problems"]:
        print(f"{path}:{p['line']}:{p['column']}: {p['severity']} {p['code']} {p['message']}")


def cmd_check(args: argparse.Namespace) -> int:
    status = 0
    for path in args.files:
        result = _load(path)
        _print_problems(path, result)
        if _has_error(result):
            status = 1
    return status


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dlm-synth-lsp",
        description="Check, inspect and synthesize instruction pairs for .dlm documents.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    sections = sub.add_parser("sections", help="list the sections and problems of a .dlm file")
    sections.add_argument("file", type=Path)
    sections.add_argument("--json", action="store_true", help="machine-readable output")
    sections.set_defaults(func=cmd_sections)

    check = sub.add_parser("check", help="report problems as path:line:col (exit 1 on errors)")
    check.add_argument("files", type=Path, nargs="+", metavar="FILE")
    check.set_defaults(func=cmd_check)

    add_synth_parser(sub)
    return parser


_SERVER_FLAGS = ("--stdio", "--tcp", "--host", "--port", "--log-file", "--log-level")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0].split("=")[0] in _SERVER_FLAGS:
        from ..lsp.main import main as serve

        return serve(argv)
    args = build_parser().parse_args(argv)
    if args.command == "synth":
        return run_synth_command(args)
    try:
        status: int = args.func(args)
    except OSError as exc:
        print(f"dlm-synth-lsp: {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 1
    return status


if __name__ == "__main__":
    sys.exit(main())
