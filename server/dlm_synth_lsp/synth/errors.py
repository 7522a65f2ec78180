"""Errors the synth pipeline reports to its front ends.

The class names follow upstream's (spec 5.11) so the CLI can map them to the same
exit codes; every message is written to be shown to a user as-is and says what to
do next where there is something to do.
"""

from __future__ import annotations


class SynthError(RuntimeError):
    """Base class: the run (or one teacher call) could not be done."""


class InvalidTeacherSpecError(SynthError):
    """The `--teacher` string cannot be parsed (CLI exit 2)."""


class TeacherUnavailableError(SynthError):
    """The teacher cannot be used at all here: missing key, package, model or adapter."""


class TeacherInvocationError(SynthError):
    """One teacher call failed after its retries (network, HTTP error, timeout)."""


class PendingSynthPlanError(SynthError):
    """A staged `pending.json` cannot be read."""


class JudgeUnavailableError(SynthError):
    """The `sway` judge cannot be loaded (no adapter, no local inference stack)."""


class JudgeInvocationError(SynthError):
    """The judge loaded but failed while scoring."""


class SynthCancelled(SynthError):
    """Raised inside a stage when the run's cancel token fires; the pipeline turns it
    into a `cancelled` result carrying whatever was accepted so far."""

    def __init__(self, message: str = "synthesis was cancelled") -> None:
        super().__init__(message)
