"""Judges score a generated answer against a baseline; the filter keeps the pairs the
judge prefers by at least a threshold (spec 5.7). This is the interface the pipeline
sees; the one judge there is, `sway`, runs a local model (`local/judge.py`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from .cancel import CancelToken
from .errors import JudgeInvocationError
from .prompts import Strategy

Preferred = Literal["a", "b", "tie"]


@dataclass(frozen=True, slots=True)
class JudgeVerdict:
    """`a` is the generated answer, `b` the baseline; margin = score_answer - score_baseline."""

    score_answer: float
    score_baseline: float
    margin: float
    preferred: Preferred

    @classmethod
    def from_scores(cls, score_answer: float, score_baseline: float) -> JudgeVerdict:
        if not (math.isfinite(score_answer) and math.isfinite(score_baseline)):
            raise JudgeInvocationError(
                "sway judge failed to score candidates: judge scores must be finite floats "
                f"(answer {score_answer}, baseline {score_baseline})"
            )
        preferred: Preferred = "tie"
        if score_answer > score_baseline:
            preferred = "a"
        elif score_answer < score_baseline:
            preferred = "b"
        return cls(score_answer, score_baseline, score_answer - score_baseline, preferred)

    @property
    def reasoning(self) -> str:
        """Upstream's wording, for reports."""
        return f"ft mean-logprob delta={self.margin:+.3f}"


class Judge(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def suggested_threshold(self) -> float:
        """The margin a pair needs when the user gives no --threshold."""
        ...

    async def prepare(self, cancel: CancelToken) -> None:
        """Load whatever scoring needs; JudgeUnavailableError with an actionable
        message if it cannot be. Idempotent."""
        ...

    async def score(self, question: str, answer: str, cancel: CancelToken) -> JudgeVerdict:
        """JudgeInvocationError if scoring fails, SynthCancelled if cancelled."""
        ...


class SupportCheck(Protocol):
    """A model asked whether a passage supports a pair (the model part of the
    `grounded` filter): a margin above the threshold means supported."""

    @property
    def name(self) -> str: ...

    async def margin(
        self, passage: str, question: str, answer: str, strategy: Strategy, cancel: CancelToken
    ) -> float:
        """JudgeInvocationError if checking fails, SynthCancelled if cancelled."""
        ...


@runtime_checkable
class ChecksSupport(Protocol):
    """A teacher that can also check pairs, with the model it has already loaded (the
    in-process `local` teacher); asked after `prepare`."""

    def support_check(self) -> SupportCheck | None: ...
