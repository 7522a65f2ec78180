"""Synthesis options and the one place their values are checked.

The CLI's flags, the server's settings and command arguments, and the pipeline all
check a value with `check_option`, so a bad value is worded the same everywhere:
`<name>: <problem>`, where each front end supplies the name its users know
(`--per-section`, `dlmSynth.perSection`, `perSection`) and this module the problem
("must be >= 1, got 0").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from .errors import InvalidTeacherSpecError
from .prompts import STRATEGY_CHOICES, StrategyChoice
from .teachers.base import SamplingParams
from .teachers.spec import parse_teacher_spec

#: the teacher and filter a run uses when none is chosen: resolved per document by
#: `defaults.resolve_defaults` (the trained adapter when there is one, else the offline model)
AUTO: Literal["auto"] = "auto"
FilterKind = Literal["sway", "dedup-only", "none", "grounded"]
FilterChoice = Literal["auto", "sway", "dedup-only", "none", "grounded"]
FILTER_CHOICES: tuple[FilterChoice, ...] = ("auto", "sway", "dedup-only", "none", "grounded")
#: filters that take a threshold
THRESHOLD_FILTERS: tuple[FilterKind, ...] = ("sway", "grounded")


class OptionError(ValueError):
    """A value an option cannot take. `option` is the option's name in this module
    (snake_case); front ends show `problem` under their own name for it."""

    def __init__(self, option: str, problem: str) -> None:
        super().__init__(f"{option}: {problem}")
        self.option = option
        self.problem = problem

    def named(self, name: str) -> str:
        return f"{name}: {self.problem}"


Rule = Callable[[Any], str | None]


def at_least(minimum: float) -> Rule:
    def rule(value: Any) -> str | None:
        return None if value is None or value >= minimum else f"must be >= {minimum:g}, got {value!r}"

    return rule


def one_of(choices: tuple[str, ...]) -> Rule:
    def rule(value: Any) -> str | None:
        return None if value in choices else f"must be one of {', '.join(choices)}, got {value!r}"

    return rule


def _probability(value: Any) -> str | None:
    return None if value is None or 0 < value <= 1 else f"must be in (0, 1], got {value!r}"


def _teacher(value: Any) -> str | None:
    if value == AUTO:
        return None
    try:
        parse_teacher_spec(value)
    except InvalidTeacherSpecError as exc:
        return str(exc)
    return None


def _teachers(values: Any) -> str | None:
    return next((problem for value in values if (problem := _teacher(value)) is not None), None)


#: option name → its rule (None passes every rule: "not set")
RULES: dict[str, Rule] = {
    "teacher": _teacher,
    "fallback_teachers": _teachers,
    "strategy": one_of(STRATEGY_CHOICES),
    "per_section": at_least(1),
    "filter": one_of(FILTER_CHOICES),
    "threshold": at_least(0),
    "max_pairs": at_least(1),
    "max_new_tokens": at_least(1),
    "temperature": at_least(0),
    "top_p": _probability,
    "concurrency": at_least(1),
    "timeout_seconds": at_least(0.001),
    "threads": at_least(1),
}


def check_option(name: str, value: Any) -> None:
    """OptionError when `value` breaks the rule of option `name`."""
    problem = RULES[name](value)
    if problem is not None:
        raise OptionError(name, problem)


@dataclass(frozen=True, slots=True)
class SynthOptions:
    """What to generate and how to filter it (teacher connection settings are
    `TeacherOptions`)."""

    teacher: str = AUTO
    strategy: StrategyChoice = "extraction"
    per_section: int = 3
    filter: FilterChoice = AUTO
    threshold: float | None = None
    max_pairs: int | None = None
    params: SamplingParams = field(default_factory=SamplingParams)
    use_cache: bool = True

    def validate(self) -> None:
        """OptionError for the first value that breaks its rule (the CLI exits 2)."""
        for name in ("teacher", "strategy", "per_section", "filter", "threshold", "max_pairs"):
            check_option(name, getattr(self, name))
        params = self.params
        for name, value in (
            ("max_new_tokens", params.max_new_tokens),
            ("temperature", params.temperature),
            ("top_p", params.top_p),
        ):
            check_option(name, value)
        if self.threshold is not None and self.filter not in THRESHOLD_FILTERS:
            raise OptionError("threshold", "only valid with the sway or grounded filter")

    @property
    def filter_kind(self) -> FilterKind:
        """The filter a run applies; `auto` must have been resolved by then."""
        if self.filter == AUTO:
            raise OptionError("filter", "'auto' is resolved for the document before a run (resolve_defaults)")
        return self.filter


#: the options a run can be given, besides the sampling parameters
RUN_OPTIONS = tuple(f.name for f in fields(SynthOptions) if f.name not in ("params", "use_cache"))
