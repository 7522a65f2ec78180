"""The command line: `sections`, `check` and `synth …` (`main.py` parses and
dispatches), the headless face of the same cores the language server uses."""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """The console script's old entry point (`dlm_synth_lsp.cli:main`), kept so an
    environment installed before `cli/` became a package still starts."""
    from .main import main as run

    return run(argv)
