"""How the command line fails: one exception for what a command decides itself, and
the one map from every error a command can meet to its exit status and message."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from ..document.edits import EditError
from ..document.text import DlmEncodingError
from ..synth.errors import InvalidTeacherSpecError, JudgeUnavailableError, SynthError, TeacherUnavailableError
from ..synth.options import OptionError

#: 1: a document, file, teacher or judge could not be used; 2: bad usage (flags,
#: selectors, ids) or nothing to do
USAGE = 2
FAILURE = 1


class CliError(Exception):
    """A command's own verdict: `message` for stderr, `code` for the exit status."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def _option(exc: BaseException, args: argparse.Namespace) -> str:
    assert isinstance(exc, OptionError)
    return exc.named(getattr(args, "flags", {}).get(exc.option, exc.option))


def _os_error(exc: BaseException, _: argparse.Namespace) -> str:
    assert isinstance(exc, OSError)
    return f"{exc.filename}: {exc.strerror}" if exc.filename else str(exc)


def flag_hint(exc: BaseException) -> str:
    """The flag that fixes an unusable teacher or judge: the pipeline's messages name
    no flag (the editor names its setting instead)."""
    if isinstance(exc, JudgeUnavailableError):
        return " (choose the filter with --filter)"
    if isinstance(exc, TeacherUnavailableError):
        return " (choose the teacher with --teacher)"
    return ""


#: (error class, exit status, how to word it), the first match wins
EXIT_CODES: tuple[
    tuple[type[BaseException], int, Callable[[BaseException, argparse.Namespace], str]], ...
] = (
    (CliError, FAILURE, lambda exc, _: str(exc)),
    (OptionError, USAGE, _option),
    (InvalidTeacherSpecError, USAGE, lambda exc, _: str(exc)),
    # the pipeline words these for every front end; the command line names its flag
    (TeacherUnavailableError, FAILURE, lambda exc, _: f"{exc}{flag_hint(exc)}"),
    (JudgeUnavailableError, FAILURE, lambda exc, _: f"{exc}{flag_hint(exc)}"),
    (EditError, USAGE, lambda exc, _: str(exc)),
    (SynthError, FAILURE, lambda exc, _: str(exc)),
    (DlmEncodingError, FAILURE, lambda exc, _: str(exc)),
    (OSError, FAILURE, _os_error),
)


def exit_status(exc: BaseException, args: argparse.Namespace) -> tuple[int, str] | None:
    """(exit status, message) for an error a command may raise; None for a bug."""
    for cls, code, word in EXIT_CODES:
        if isinstance(exc, cls):
            return (exc.code if isinstance(exc, CliError) else code), word(exc, args)
    return None
