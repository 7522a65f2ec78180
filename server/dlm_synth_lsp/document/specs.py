"""The vocabulary the frontmatter schema is written in: field specs that check one
value each and report every problem at its exact key or value.

A spec's `check` returns the coerced value, or `FAIL` after recording a problem in
the `Checker`; models keep checking after a failure so that every problem of a
document is reported at once. The dlm table itself is in `schema.py`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from rapidfuzz import fuzz, process

from .coercion import Invalid, as_text, coerce_bool, coerce_float, coerce_int, coerce_str, describe
from .frontmatter import KeyLocator
from .problems import Code, Problem
from .text import Span

#: a key path into the frontmatter, such as ("training", "adapters", "tone")
KeyPath = tuple[str | int, ...]


def dotted(path: KeyPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _bound(ge: float | None, gt: float | None, le: float | None) -> str:
    parts = []
    if ge is not None:
        parts.append(f">= {ge:g}")
    if gt is not None:
        parts.append(f"> {gt:g}")
    if le is not None:
        parts.append(f"<= {le:g}")
    return " and ".join(parts)


def _in_bounds(number: float, ge: float | None, gt: float | None, le: float | None) -> bool:
    # written as positive comparisons so NaN fails every bound, as upstream
    return (ge is None or number >= ge) and (gt is None or number > gt) and (le is None or number <= le)


# ---------------------------------------------------------------------------
# validation context


@dataclass
class Sourced:
    """A migrated value that still lives at `path` in the source."""

    value: Any
    path: KeyPath


@dataclass
class Checker:
    locator: KeyLocator
    problems: list[Problem] = field(default_factory=list)

    def invalid(self, path: KeyPath, message: str, **data: str) -> None:
        self.problems.append(
            Problem(Code.SCHEMA_INVALID_VALUE, self.locator.value(path), message, tuple(data.items()))
        )

    def report(self, code: Code, span_path: KeyPath, message: str, *, key: bool = False, **data: str) -> None:
        span = self.locator.key(span_path) if key else self.locator.value(span_path)
        self.problems.append(Problem(code, span, message, tuple(data.items())))


FAIL: Final = object()
"""Returned by a spec when the value did not validate (a problem was reported)."""


class Spec:
    default: Any = None

    def check(self, value: Any, path: KeyPath, ck: Checker) -> Any:
        raise NotImplementedError

    def expected(self) -> str:
        raise NotImplementedError

    def fail(self, value: Any, path: KeyPath, ck: Checker, expected: str | None = None) -> Any:
        ck.invalid(
            path,
            f"{dotted(path)}: expected {expected or self.expected()}, got {describe(value)}",
            expected=expected or self.expected(),
        )
        return FAIL


@dataclass
class Scalar(Spec):
    coerce: Callable[[Any], Any]
    default: Any = None
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    kind: str = ""

    def expected(self) -> str:
        bound = _bound(self.ge, self.gt, self.le)
        return f"{self.kind} {bound}" if bound else self.kind

    def check(self, value: Any, path: KeyPath, ck: Checker) -> Any:
        try:
            result = self.coerce(value)
        except Invalid:
            return self.fail(value, path, ck)
        if isinstance(result, int | float) and not _in_bounds(result, self.ge, self.gt, self.le):
            return self.fail(value, path, ck)
        return result


def Integer(default: Any = None, ge: float | None = None, le: float | None = None) -> Scalar:
    return Scalar(coerce_int, default, ge, None, le, "an integer")


def Number(
    default: Any = None, ge: float | None = None, gt: float | None = None, le: float | None = None
) -> Scalar:
    return Scalar(coerce_float, default, ge, gt, le, "a number")


def Boolean(default: bool) -> Scalar:
    return Scalar(coerce_bool, default, kind="a boolean (true or false)")


@dataclass
class Text(Spec):
    default: Any = None
    min_length: int = 0
    pattern: re.Pattern[str] | None = None
    pattern_help: str = ""

    def expected(self) -> str:
        if self.pattern is not None:
            return self.pattern_help
        return "a non-empty string" if self.min_length else "a string"

    def check(self, value: Any, path: KeyPath, ck: Checker) -> Any:
        try:
            text = coerce_str(value)
        except Invalid:
            return self.fail(value, path, ck)
        if len(text) < self.min_length or (self.pattern and not self.pattern.fullmatch(text)):
            return self.fail(value, path, ck)
        return text


@dataclass
class Choice(Spec):
    choices: tuple[str, ...]
    default: Any = None

    def expected(self) -> str:
        return "one of " + ", ".join(self.choices)

    def check(self, value: Any, path: KeyPath, ck: Checker) -> Any:
        if isinstance(value, str) and value in self.choices:
            return value
        ck.invalid(
            path,
            f"{dotted(path)}: expected {self.expected()}; got {describe(value)}",
            expected=self.expected(),
            allowed=",".join(self.choices),
        )
        return FAIL


@dataclass
class Nullable(Spec):
    inner: Spec
    default: Any = None

    def expected(self) -> str:
        return f"{self.inner.expected()}, or null"

    def check(self, value: Any, path: KeyPath, ck: Checker) -> Any:
        if value is None:
            return None
        result = self.inner.check(value, path, ck)
        if result is FAIL:
            ck.problems.pop()  # re-worded so that it mentions null
            return self.fail(value, path, ck)
        return result


SEQUENCES: Final = (list, tuple, set, frozenset)


@dataclass
class StrList(Spec):
    default: Any = None
    allow_auto: bool = False

    def expected(self) -> str:
        return "'auto' or a list of strings" if self.allow_auto else "a list of strings"

    def check(self, value: Any, path: KeyPath, ck: Checker) -> Any:
        if self.allow_auto and value == "auto" and isinstance(value, str):
            return "auto"
        if not isinstance(value, SEQUENCES):
            return self.fail(value, path, ck)
        items: list[str] = []
        ok = True
        for index, item in enumerate(value):
            text = as_text(item)
            if text is None:
                item_path = (*path, index) if isinstance(value, list | tuple) else path
                ck.invalid(item_path, f"{dotted(item_path)}: expected a string, got {describe(item)}")
                ok = False
            else:
                items.append(text)
        return items if ok else FAIL


@dataclass
class AutoOrPositiveInt(Spec):
    default: Any = "auto"

    def expected(self) -> str:
        return "'auto' or an integer >= 1"

    def check(self, value: Any, path: KeyPath, ck: Checker) -> Any:
        if isinstance(value, str) and value == "auto":
            return value
        try:
            number = coerce_int(value)
        except Invalid:
            return self.fail(value, path, ck)
        return number if number >= 1 else self.fail(value, path, ck)


@dataclass
class Model(Spec):
    name: str
    fields: dict[str, Spec]
    required: tuple[str, ...] = ()
    after: Callable[[dict[str, Any], KeyPath, Checker], None] | None = None
    default: Any = None
    #: keys that moved elsewhere: old key → (new key, where it lives now)
    moved: dict[str, tuple[str, str]] = field(default_factory=dict)

    def expected(self) -> str:
        return "a mapping"

    def check(self, value: Any, path: KeyPath, ck: Checker) -> Any:
        if not isinstance(value, dict):
            return self.fail(value, path, ck, f"a mapping of {self.name} settings")
        out: dict[str, Any] = {}
        ok = True
        for key, raw in value.items():
            name = key if isinstance(key, str) else None
            spec = self.fields.get(name) if name is not None else None
            if spec is None:
                self._unknown(key, path, ck)
                ok = False
                continue
            assert name is not None
            item_path: KeyPath = (*path, name)
            if isinstance(raw, Sourced):
                raw, item_path = raw.value, raw.path
            result = spec.check(raw, item_path, ck)
            if result is FAIL:
                ok = False
            out[name] = result
        for name in self.required:
            if name not in value:
                where = dotted(path) or "frontmatter"
                ck.problems.append(
                    Problem(
                        Code.SCHEMA_MISSING_KEY,
                        self._missing_span(value, path, ck),
                        f"{where}: missing required key '{name}' ({self.fields[name].expected()})",
                        (("key", name),),
                    )
                )
                ok = False
        for name, spec in self.fields.items():
            out.setdefault(name, spec.default)
        if self.after is not None:
            # cross-field rules still run when an unrelated field failed (values that
            # failed are FAIL and the rules skip them), so every problem is reported
            before = len(ck.problems)
            self.after(out, path, ck)
            ok = ok and len(ck.problems) == before
        return out if ok else FAIL

    @staticmethod
    def _missing_span(value: dict[Any, Any], path: KeyPath, ck: Checker) -> Span:
        """The parent key; for a list entry (which has no key) its first key."""
        if not path:
            return ck.locator.fallback
        if isinstance(path[-1], int) and value:
            first = next(iter(value))
            return ck.locator.key((*path, first if isinstance(first, str | int) else str(first)))
        return ck.locator.key(path)

    def _unknown(self, key: Any, path: KeyPath, ck: Checker) -> None:
        shown = key if isinstance(key, str) else describe(key)
        key_path: KeyPath = (*path, str(key) if not isinstance(key, str | int) else key)
        where = dotted((*path, str(shown))) if isinstance(key, str) else f"{dotted(path) or 'top level'}"
        data: dict[str, str] = {"key": str(key)}
        moved = self.moved.get(key) if isinstance(key, str) else None
        if moved is not None:
            message = f"{where}: unknown key; {moved[1]}"
            data["suggestion"] = moved[0]
        else:
            suggestion = suggest(str(key), self.fields)
            allowed = ", ".join(self.fields)
            if isinstance(key, str):
                message = f"{where}: unknown key"
            else:
                message = f"{where}: unknown key {shown} (keys must be strings)"
            if suggestion is not None:
                message += f"; did you mean '{suggestion}'?"
                data["suggestion"] = suggestion
            else:
                message += f"; allowed keys: {allowed}"
        ck.problems.append(
            Problem(Code.SCHEMA_UNKNOWN_KEY, ck.locator.key(key_path), message, tuple(data.items()))
        )


def suggest(key: str, candidates: Sequence[str] | dict[str, Any]) -> str | None:
    names = list(candidates)
    if not names or not key:
        return None
    found = process.extractOne(key, names, scorer=fuzz.ratio, score_cutoff=60)
    if found is None:
        found = process.extractOne(key, names, scorer=fuzz.partial_ratio, score_cutoff=85)
    return str(found[0]) if found is not None else None


@dataclass
class ModelMap(Spec):
    """Null, or a non-empty mapping of names (each matching `key_pattern`, described
    by `key_help`) to models; `noun` names one entry in messages."""

    inner: Model
    key_pattern: re.Pattern[str]
    key_help: str
    noun: str
    default: Any = None

    def expected(self) -> str:
        return f"a mapping of {self.noun} names to {self.noun} settings, or null"

    def check(self, value: Any, path: KeyPath, ck: Checker) -> Any:
        if value is None:
            return None
        if not isinstance(value, dict):
            return self.fail(value, path, ck)
        if not value:
            ck.invalid(
                path,
                f"{dotted(path)}: declare at least one {self.noun}, "
                f"or remove the key for a single {self.noun}",
            )
            return FAIL
        out: dict[str, Any] = {}
        ok = True
        for key, raw in value.items():
            name = as_text(key) if isinstance(key, str | bytes) else None
            key_path: KeyPath = (*path, str(key))
            if name is None or not self.key_pattern.fullmatch(name):
                ck.report(
                    Code.SCHEMA_INVALID_VALUE,
                    key_path,
                    f"{dotted(path)}: {describe(key)} is not a valid {self.noun} name ({self.key_help})",
                    key=True,
                )
                ok = False
            result = self.inner.check(raw, key_path, ck)
            if result is FAIL:
                ok = False
            out[str(name)] = result
        return out if ok else FAIL


@dataclass
class ModelList(Spec):
    """Null, or a list of models; `noun` names the entries in messages."""

    inner: Model
    noun: str
    default: Any = None

    def expected(self) -> str:
        return f"a list of {self.noun}, or null"

    def check(self, value: Any, path: KeyPath, ck: Checker) -> Any:
        if value is None:
            return None
        if not isinstance(value, SEQUENCES):
            return self.fail(value, path, ck)
        results = [self.inner.check(item, (*path, index), ck) for index, item in enumerate(value)]
        return FAIL if any(r is FAIL for r in results) else results


# ---------------------------------------------------------------------------
# the schema table
