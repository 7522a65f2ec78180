"""`dlm-synth-lsp`: the server (no arguments, or `--stdio` / `--tcp`), or one of the
headless commands over the same cores: `sections` and `check` (`check.py`), `synth
instructions` (`instructions.py`, `batch.py` with `--batch`), `synth list|revert|apply`
(`synth.py`), `synth batch …` (`batch.py`). `parsers.py` holds their flags; only the
module of the command that runs is imported, after parsing (a cold
`synth instructions` pays for nothing else).

Exit codes follow linters: 0 clean (warnings allowed), 1 when a document has errors
or a file, teacher or judge cannot be used, 2 for usage; every error a command can
meet maps to one status and one message in `errors.py`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from .output import print_error
from .parsers import PROG, build_parser

__all__ = ["PROG", "build_parser", "main"]

_SERVER_FLAGS = ("--stdio", "--tcp", "--host", "--port", "--log-file", "--log-level")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0].split("=")[0] in _SERVER_FLAGS:
        from ..lsp.main import main as serve

        return serve(argv)
    args = build_parser().parse_args(argv)
    try:
        status: int = args.func(args)
    except Exception as exc:
        from .errors import exit_status

        found = exit_status(exc, args)
        if found is None:
            raise
        code, message = found
        print_error(args.prefix, message)
        return code
    return status


if __name__ == "__main__":
    sys.exit(main())
