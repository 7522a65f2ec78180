"""`dlm-synth-lsp`: the server (no arguments, or `--stdio` / `--tcp`), or one of the
headless commands over the same cores: `sections` and `check` (`check.py`), `synth
instructions|list|revert|apply` (`synth.py`).

Exit codes follow linters: 0 clean (warnings allowed), 1 when a document has errors
or a file, teacher or judge cannot be used, 2 for usage; every error a command can
meet maps to one status and one message in `errors.py`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .. import __version__
from .check import add_parsers as add_check_parsers
from .errors import exit_status
from .output import print_error
from .synth import add_parsers as add_synth_parsers

PROG = "dlm-synth-lsp"
_SERVER_FLAGS = ("--stdio", "--tcp", "--host", "--port", "--log-file", "--log-level")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Check, inspect and synthesize instruction pairs for .dlm documents.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.set_defaults(prefix=PROG)
    sub = parser.add_subparsers(dest="command", required=True)
    add_check_parsers(sub)
    add_synth_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0].split("=")[0] in _SERVER_FLAGS:
        from ..lsp.main import main as serve

        return serve(argv)
    args = build_parser().parse_args(argv)
    try:
        status: int = args.func(args)
    except Exception as exc:
        found = exit_status(exc, args)
        if found is None:
            raise
        code, message = found
        print_error(args.prefix, message)
        return code
    return status


if __name__ == "__main__":
    sys.exit(main())
