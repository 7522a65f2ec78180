"""Settings: the `dlmSynth` section, from `initializationOptions` and
`workspace/configuration`, structured with cattrs into typed, validated classes.

A bad value never stops the server: it is reported once (which key, what was
expected, what was given) and that key keeps its default; every other key is used.
Unknown keys are ignored, so newer clients can talk to an older server.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Any, Literal, get_args, get_origin

import attrs
import cattrs

from ..synth.options import (
    AUTO,
    THRESHOLD_FILTERS,
    FilterChoice,
    OptionError,
    SynthOptions,
    check_option,
    one_of,
)
from ..synth.prompts import StrategyChoice
from ..synth.teachers.base import SamplingParams, TeacherOptions

SECTION = "dlmSynth"
ApplyMode = Literal["edit", "preview", "stage"]
APPLY_MODES: tuple[ApplyMode, ...] = ("edit", "preview", "stage")


def _option(name: str) -> Any:
    """An attrs validator applying the synth option rule `name` (synth/options.py)."""

    def check(_: Any, __: Any, value: Any) -> None:
        try:
            check_option(name, value)
        except OptionError as exc:
            raise ValueError(exc.problem) from None

    return check


def _apply_mode(_: Any, __: Any, value: Any) -> None:
    problem = one_of(APPLY_MODES)(value)
    if problem is not None:
        raise ValueError(problem)


@attrs.frozen
class Settings:
    """Defaults are the issue's documented defaults; field names are the settings'
    camelCase names in snake_case."""

    teacher: str = attrs.field(default=AUTO, validator=_option("teacher"))
    strategy: StrategyChoice = attrs.field(default="extraction", validator=_option("strategy"))
    per_section: int = attrs.field(default=3, validator=_option("per_section"))
    filter: FilterChoice = attrs.field(default=AUTO, validator=_option("filter"))
    threshold: float | None = attrs.field(default=None, validator=_option("threshold"))
    max_pairs: int | None = attrs.field(default=None, validator=_option("max_pairs"))
    max_new_tokens: int = attrs.field(default=512, validator=_option("max_new_tokens"))
    temperature: float = attrs.field(default=0.0, validator=_option("temperature"))
    top_p: float | None = attrs.field(default=None, validator=_option("top_p"))
    seed: int | None = None
    #: the ceiling of requests in flight; None: by teacher kind (synth/concurrency.py)
    concurrency: int | None = attrs.field(default=None, validator=_option("concurrency"))
    timeout_seconds: float = attrs.field(default=120.0, validator=_option("timeout_seconds"))
    apply_mode: ApplyMode = attrs.field(default="edit", validator=_apply_mode)
    threads: int | None = attrs.field(default=None, validator=_option("threads"))
    dlm_home: str | None = None
    use_cache: bool = True
    #: teachers offered when the configured one cannot run (e.g. `self` before training)
    fallback_teachers: tuple[str, ...] = attrs.field(default=(), validator=_option("fallback_teachers"))

    def synth_options(self, **overrides: Any) -> SynthOptions:
        """Options for one run; `overrides` (already validated settings values, by
        field name) come from a command's arguments."""
        merged = attrs.evolve(self, **{k: v for k, v in overrides.items() if v is not None})
        return SynthOptions(
            teacher=merged.teacher,
            strategy=merged.strategy,
            per_section=merged.per_section,
            filter=merged.filter,
            threshold=merged.threshold if merged.filter in THRESHOLD_FILTERS else None,
            max_pairs=merged.max_pairs,
            params=SamplingParams(self.max_new_tokens, self.temperature, self.top_p, self.seed),
            use_cache=self.use_cache,
        )

    def teacher_options(self) -> TeacherOptions:
        return TeacherOptions(
            timeout_s=self.timeout_seconds,
            concurrency=self.concurrency,
            threads=self.threads,
            dlm_home=self.dlm_home,
        )


attrs.resolve_types(Settings)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


_converter = cattrs.Converter(forbid_extra_keys=False)
_FIELDS = attrs.fields(Settings)
_NAMES = {_camel(f.name): f.name for f in _FIELDS}


def _optional_of(tp: Any) -> Any:
    """`X` for `X | None`, else `tp`."""
    if get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


def json_problem(tp: Any, value: Any) -> str | None:
    """Why a JSON `value` cannot be a `tp` (None when it can), worded like every
    settings and command-argument problem: `must be …, got …`. Stricter than cattrs,
    which would turn "3" or 2.5 into 3 or 2, and true into 1."""
    tp = _optional_of(tp)
    if tp in (int, float) and (isinstance(value, bool | str) or not isinstance(value, int | float)):
        return f"must be a number, got {value!r}"
    if tp is int and isinstance(value, float) and not value.is_integer():
        return f"must be a whole number, got {value!r}"
    if tp is bool and not isinstance(value, bool):
        return f"must be true or false, got {value!r}"
    if get_origin(tp) is Literal and value not in get_args(tp):
        return f"must be one of {', '.join(get_args(tp))}, got {value!r}"
    if tp in (tuple[str, ...], list[str]) and not (
        isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)
    ):
        return f"must be a list of strings, got {value!r}"
    if tp == tuple[int, ...] and not (
        isinstance(value, list | tuple) and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        return f"must be a list of whole numbers, got {value!r}"
    if tp is str and not isinstance(value, str):
        return f"must be a string, got {value!r}"
    return None


def _structure_field(field: attrs.Attribute[Any], value: Any) -> Any:
    problem = json_problem(field.type, value)
    if problem is not None:
        raise ValueError(problem)
    return _converter.structure(value, field.type)  # type: ignore[arg-type]


def load_settings(raw: Any) -> tuple[Settings, list[str]]:
    """Settings from a `dlmSynth` mapping (or a whole settings object holding one),
    and one message per rejected value. Unknown keys and `null` values are ignored,
    and so is "" for a setting whose default is null (`dlmHome`)."""
    problems: list[str] = []
    if isinstance(raw, Mapping) and isinstance(raw.get(SECTION), Mapping):
        raw = raw[SECTION]
    if raw is None:
        return Settings(), problems
    if not isinstance(raw, Mapping):
        return Settings(), [f"{SECTION}: expected an object, got {type(raw).__name__}"]
    values: dict[str, Any] = {}
    fields = {f.name: f for f in _FIELDS}
    for key, value in raw.items():
        name = _NAMES.get(str(key))
        if name is None or value is None:
            continue
        field = fields[name]
        if value == "" and field.default is None and _optional_of(field.type) is str:
            continue  # an empty path field (VS Code's Settings UI has no "unset") is the default
        try:
            structured = _structure_field(field, value)
            if field.validator is not None:
                field.validator(None, field, structured)
        except (ValueError, TypeError, cattrs.BaseValidationError, cattrs.errors.CattrsError) as exc:
            problems.append(f"{SECTION}.{key}: {_reason(exc)}; using the default {_default(field)!r}")
            continue
        values[name] = structured
    return Settings(**values), problems


def _reason(exc: Exception) -> str:
    if isinstance(exc, cattrs.BaseValidationError) and exc.exceptions:
        return str(exc.exceptions[0])
    return str(exc)


def _default(field: attrs.Attribute[Any]) -> Any:
    return field.default
