"""Frontmatter schema validation: every problem, each at its exact key or value.

The accept/reject decision mirrors upstream (`dlm_version` dispatch, the v1→v2
`training.dpo` migration, then strict-keys models in lax coercion mode), but the
rules are written here as a table of field specs, with no dependency on upstream's
models. Coercion follows the lax rules upstream's validation library applies to
YAML-loaded values:

* int: an int; a bool (as 0/1); a finite float with no fraction inside ±2**63; a
  string (or UTF-8 bytes) holding a decimal integer, trimmed of Unicode whitespace,
  optionally signed, with single underscores between digits and an optional `.0…`.
* float: an int, float or bool; a string such as `1e-4`, `.5`, `inf`, `nan`.
* bool: a bool, 0/1, 0.0/1.0, or (case-insensitively, untrimmed) one of
  0/1, f/t, n/y, no/yes, off/on, false/true.
* str: a string or UTF-8 bytes, never a number. Literal choices: exact strings only.
* lists/tuples: a list, tuple, set or frozenset, never a string or mapping.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from rapidfuzz import fuzz, process

from .frontmatter import KeyLocator
from .problems import Code, Problem
from .text import Span

CURRENT_VERSION: Final = 15
ULID_RE: Final = re.compile(r"[0-9A-HJ-KM-NP-TV-Z]{26}")
ADAPTER_NAME_RE: Final = re.compile(r"[a-z][a-z0-9_]{0,31}")

Path = tuple[str | int, ...]

# ---------------------------------------------------------------------------
# scalar coercion (lax mode)

_WHITESPACE: Final = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_DIGITS: Final = re.compile(r"[0-9]+", re.ASCII)
_SIGNED_DIGITS: Final = re.compile(r"[+-]?[0-9]+", re.ASCII)
_JSON_INT: Final = re.compile(r"-?(?:0|[1-9][0-9]*)", re.ASCII)
_FLOAT_TEXT: Final = re.compile(
    r"[+-]?(?:inf|infinity|nan|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)",
    re.ASCII | re.IGNORECASE,
)
_FALSE_WORDS: Final = frozenset({"0", "f", "n", "no", "off", "false"})
_TRUE_WORDS: Final = frozenset({"1", "t", "y", "on", "yes", "true"})
_I64_LIMIT: Final = float(2**63)
_MAX_INT_DIGITS: Final = 4300


class Invalid(Exception):
    """A value that does not fit; `expected` completes "expected …"."""

    def __init__(self, expected: str) -> None:
        super().__init__(expected)
        self.expected = expected


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return None
    return None


def _strip_underscores(text: str) -> str | None:
    if "_" not in text or text.startswith("_") or text.endswith("_") or "__" in text:
        return None
    return text.replace("_", "")


def _strip_zeros(text: str) -> str:
    """Leading `0`/`_` characters dropped; all of them gone leaves the last one."""
    index = 0
    while index < len(text) and text[index] in "0_":
        index += 1
    return text[-1] if index == len(text) else text[index:]


def _int_body(text: str) -> int | None:
    if _SIGNED_DIGITS.fullmatch(text):
        return int(text)
    negative = text.startswith("-")
    rest = text[1:] if text[:1] in ("+", "-") else text
    sign = "-" if negative else ""
    if rest.startswith("0"):
        # after leading zeros the rest is read as a JSON integer (so "0-1" is -1)
        candidate = sign + _strip_zeros(rest)
        for option in (candidate, _strip_underscores(candidate)):
            if option is not None and _JSON_INT.fullmatch(option):
                return int(option)
        return None
    joined = _strip_underscores(rest)
    if joined is not None and _DIGITS.fullmatch(joined):
        return int(sign + joined)
    return None


def _int_from_text(text: str) -> int | None:
    text = text.strip(_WHITESPACE)
    if len(text) > _MAX_INT_DIGITS:
        return None
    number = _int_body(text)
    if number is None:
        whole, dot, fraction = text.partition(".")
        if dot and fraction and not fraction.strip("0"):
            number = _int_body(whole)
    return number


def _float_from_text(text: str) -> float | None:
    trimmed = text.strip(_WHITESPACE)
    if _FLOAT_TEXT.fullmatch(trimmed):
        return float(trimmed)
    joined = _strip_underscores(text)
    if joined is not None and _FLOAT_TEXT.fullmatch(joined):
        return float(joined)
    return None


def coerce_int(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value) or value % 1 != 0 or not -_I64_LIMIT < value < _I64_LIMIT:
            raise Invalid("an integer")
        return int(value)
    if isinstance(value, str | bytes):
        text = _text(value)
        number = _int_from_text(text) if text is not None else None
        if number is not None:
            return number
    raise Invalid("an integer")


def coerce_float(value: Any) -> float:
    if isinstance(value, bool | int):
        try:
            return float(value)
        except OverflowError:
            raise Invalid("a number") from None
    if isinstance(value, float):
        return value
    if isinstance(value, str | bytes):
        text = _text(value)
        number = _float_from_text(text) if text is not None else None
        if number is not None:
            return number
    raise Invalid("a number")


def coerce_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str | bytes):
        text = _text(value)
        if text is not None and text.isascii():
            word = text.lower()
            if word in _TRUE_WORDS:
                return True
            if word in _FALSE_WORDS:
                return False
    raise Invalid("a boolean (true or false)")


def coerce_str(value: Any) -> str:
    text = _text(value)
    if text is None:
        raise Invalid("a string")
    return text


# ---------------------------------------------------------------------------
# describing values for messages


def describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the string {shown!r}"
    if isinstance(value, bytes | bytearray):
        return "binary data"
    if isinstance(value, datetime.datetime):
        return f"the timestamp {value.isoformat()}"
    if isinstance(value, datetime.date):
        return f"the date {value.isoformat()}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, set | frozenset):
        return "a set"
    return type(value).__name__


def dotted(path: Path) -> str:
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
class _Sourced:
    """A migrated value that still lives at `path` in the source."""

    value: Any
    path: Path


@dataclass
class Checker:
    locator: KeyLocator
    problems: list[Problem] = field(default_factory=list)

    def invalid(self, path: Path, message: str, **data: str) -> None:
        self.problems.append(
            Problem(Code.SCHEMA_INVALID_VALUE, self.locator.value(path), message, tuple(data.items()))
        )

    def report(self, code: Code, span_path: Path, message: str, *, key: bool = False, **data: str) -> None:
        span = self.locator.key(span_path) if key else self.locator.value(span_path)
        self.problems.append(Problem(code, span, message, tuple(data.items())))


_FAIL: Final = object()
"""Returned by a spec when the value did not validate (a problem was reported)."""


class Spec:
    default: Any = None

    def check(self, value: Any, path: Path, ck: Checker) -> Any:
        raise NotImplementedError

    def expected(self) -> str:
        raise NotImplementedError

    def fail(self, value: Any, path: Path, ck: Checker, expected: str | None = None) -> Any:
        ck.invalid(
            path,
            f"{dotted(path)}: expected {expected or self.expected()}, got {describe(value)}",
            expected=expected or self.expected(),
        )
        return _FAIL


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

    def check(self, value: Any, path: Path, ck: Checker) -> Any:
        try:
            result = self.coerce(value)
        except Invalid:
            return self.fail(value, path, ck)
        if isinstance(result, int | float) and not _in_bounds(result, self.ge, self.gt, self.le):
            return self.fail(value, path, ck)
        return result


def Int(default: Any = None, ge: float | None = None, le: float | None = None) -> Scalar:
    return Scalar(coerce_int, default, ge, None, le, "an integer")


def Float(
    default: Any = None, ge: float | None = None, gt: float | None = None, le: float | None = None
) -> Scalar:
    return Scalar(coerce_float, default, ge, gt, le, "a number")


def Bool(default: bool) -> Scalar:
    return Scalar(coerce_bool, default, kind="a boolean (true or false)")


@dataclass
class Str(Spec):
    default: Any = None
    min_length: int = 0
    pattern: re.Pattern[str] | None = None
    pattern_help: str = ""

    def expected(self) -> str:
        if self.pattern is not None:
            return self.pattern_help
        return "a non-empty string" if self.min_length else "a string"

    def check(self, value: Any, path: Path, ck: Checker) -> Any:
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

    def check(self, value: Any, path: Path, ck: Checker) -> Any:
        if isinstance(value, str) and value in self.choices:
            return value
        ck.invalid(
            path,
            f"{dotted(path)}: expected {self.expected()}; got {describe(value)}",
            expected=self.expected(),
            allowed=",".join(self.choices),
        )
        return _FAIL


@dataclass
class Optional(Spec):
    inner: Spec
    default: Any = None

    def expected(self) -> str:
        return f"{self.inner.expected()}, or null"

    def check(self, value: Any, path: Path, ck: Checker) -> Any:
        if value is None:
            return None
        result = self.inner.check(value, path, ck)
        if result is _FAIL:
            ck.problems.pop()  # re-worded so that it mentions null
            return self.fail(value, path, ck)
        return result


_SEQUENCES: Final = (list, tuple, set, frozenset)


@dataclass
class StrList(Spec):
    default: Any = None
    allow_auto: bool = False

    def expected(self) -> str:
        return "'auto' or a list of strings" if self.allow_auto else "a list of strings"

    def check(self, value: Any, path: Path, ck: Checker) -> Any:
        if self.allow_auto and value == "auto" and isinstance(value, str):
            return "auto"
        if not isinstance(value, _SEQUENCES):
            return self.fail(value, path, ck)
        items: list[str] = []
        ok = True
        for index, item in enumerate(value):
            text = _text(item)
            if text is None:
                item_path = (*path, index) if isinstance(value, list | tuple) else path
                ck.invalid(item_path, f"{dotted(item_path)}: expected a string, got {describe(item)}")
                ok = False
            else:
                items.append(text)
        return items if ok else _FAIL


@dataclass
class AutoOrPositiveInt(Spec):
    default: Any = "auto"

    def expected(self) -> str:
        return "'auto' or an integer >= 1"

    def check(self, value: Any, path: Path, ck: Checker) -> Any:
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
    after: Callable[[dict[str, Any], Path, Checker], None] | None = None
    default: Any = None

    def expected(self) -> str:
        return "a mapping"

    def check(self, value: Any, path: Path, ck: Checker) -> Any:
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
            item_path: Path = (*path, name)
            if isinstance(raw, _Sourced):
                raw, item_path = raw.value, raw.path
            result = spec.check(raw, item_path, ck)
            if result is _FAIL:
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
            # failed are _FAIL and the rules skip them), so every problem is reported
            before = len(ck.problems)
            self.after(out, path, ck)
            ok = ok and len(ck.problems) == before
        return out if ok else _FAIL

    @staticmethod
    def _missing_span(value: dict[Any, Any], path: Path, ck: Checker) -> Span:
        """The parent key; for a list entry (which has no key) its first key."""
        if not path:
            return ck.locator.fallback
        if isinstance(path[-1], int) and value:
            first = next(iter(value))
            return ck.locator.key((*path, first if isinstance(first, str | int) else str(first)))
        return ck.locator.key(path)

    def _unknown(self, key: Any, path: Path, ck: Checker) -> None:
        shown = key if isinstance(key, str) else describe(key)
        key_path: Path = (*path, str(key) if not isinstance(key, str | int) else key)
        where = dotted((*path, str(shown))) if isinstance(key, str) else f"{dotted(path) or 'top level'}"
        data: dict[str, str] = {"key": str(key)}
        if path == ("training",) and key == "dpo":
            message = (
                "training.dpo: unknown key; since dlm_version 2 these settings live under "
                "training.preference (method: dpo)"
            )
            data["suggestion"] = "preference"
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
    """`training.adapters`: null, or a non-empty mapping of adapter names to models."""

    inner: Model
    default: Any = None

    def expected(self) -> str:
        return "a mapping of adapter names to adapter settings, or null"

    def check(self, value: Any, path: Path, ck: Checker) -> Any:
        if value is None:
            return None
        if not isinstance(value, dict):
            return self.fail(value, path, ck)
        if not value:
            ck.invalid(
                path,
                f"{dotted(path)}: declare at least one adapter, or remove the key for a single adapter",
            )
            return _FAIL
        out: dict[str, Any] = {}
        ok = True
        for key, raw in value.items():
            name = _text(key) if isinstance(key, str | bytes) else None
            key_path: Path = (*path, str(key))
            if name is None or not ADAPTER_NAME_RE.fullmatch(name):
                ck.report(
                    Code.SCHEMA_INVALID_VALUE,
                    key_path,
                    f"{dotted(path)}: {describe(key)} is not a valid adapter name (a lowercase letter, "
                    "then up to 31 lowercase letters, digits or underscores)",
                    key=True,
                )
                ok = False
            result = self.inner.check(raw, key_path, ck)
            if result is _FAIL:
                ok = False
            out[str(name)] = result
        return out if ok else _FAIL


@dataclass
class ModelList(Spec):
    inner: Model
    default: Any = None

    def expected(self) -> str:
        return "a list of source entries, or null"

    def check(self, value: Any, path: Path, ck: Checker) -> Any:
        if value is None:
            return None
        if not isinstance(value, _SEQUENCES):
            return self.fail(value, path, ck)
        results = [self.inner.check(item, (*path, index), ck) for index, item in enumerate(value)]
        return _FAIL if any(r is _FAIL for r in results) else results


# ---------------------------------------------------------------------------
# the schema table

ADAPTER_KINDS: Final = ("lora", "qlora", "dora")
FLAT_ADAPTER_DEFAULTS: Final[dict[str, Any]] = {
    "adapter": "lora",
    "lora_r": 8,
    "lora_alpha": 16,
    "lora_dropout": 0.05,
    "target_modules": "auto",
    "learning_rate": 2e-4,
}


def _adapter_fields() -> dict[str, Spec]:
    return {
        "adapter": Choice(ADAPTER_KINDS, "lora"),
        "lora_r": Int(8, ge=1, le=256),
        "lora_alpha": Int(16, ge=1),
        "lora_dropout": Float(0.05, ge=0.0, le=0.5),
        "target_modules": StrList("auto", allow_auto=True),
        "learning_rate": Float(2e-4, gt=0.0),
    }


def _training_rules(values: dict[str, Any], path: Path, ck: Checker) -> None:
    adapters = values.get("adapters")
    gate = values.get("gate")
    if adapters is _FAIL:
        return
    if isinstance(gate, dict) and gate.get("enabled") is True and (adapters is None or len(adapters) < 2):
        ck.report(
            Code.SCHEMA_CROSS_FIELD,
            (*path, "gate", "enabled"),
            f"{dotted((*path, 'gate', 'enabled'))}: the gate routes between named adapters, so "
            f"{dotted((*path, 'adapters'))} must declare at least two "
            f"(found {0 if adapters is None else len(adapters)})",
        )
    if adapters is None:
        return
    for key, default in FLAT_ADAPTER_DEFAULTS.items():
        if values.get(key) is not _FAIL and values.get(key) != default:
            ck.report(
                Code.SCHEMA_CROSS_FIELD,
                (*path, key),
                f"{dotted((*path, key))}: must stay at its default ({default!r}) when "
                f"{dotted((*path, 'adapters'))} is declared; set it per adapter instead",
                key=True,
            )


PREFERENCE: Final = Model(
    "preference",
    {
        "enabled": Bool(False),
        "method": Choice(("dpo", "orpo"), "dpo"),
        "hyperparams": Model(
            "preference hyperparameter",
            {
                "beta": Float(0.1, ge=0.0, le=1.0),
                "alpha": Float(0.1, ge=0.0, le=1.0),
                "learning_rate": Float(5e-6, gt=0.0),
                "num_epochs": Int(1, ge=1),
            },
        ),
        "loss_type": Choice(("sigmoid", "hinge", "ipo"), "sigmoid"),
        "reference": Choice(("base", "pre_adapter"), "pre_adapter"),
    },
)

SOURCE: Final = Model(
    "source",
    {
        "path": Str(min_length=1),
        "include": StrList(("**/*",)),
        "exclude": StrList(()),
        "max_bytes_per_file": Optional(Int(ge=1)),
        "max_files": Optional(Int(ge=1)),
    },
    required=("path",),
)

TRAINING: Final = Model(
    "training",
    {
        **_adapter_fields(),
        "sequence_len": Int(2048, ge=64, le=32768),
        "micro_batch_size": AutoOrPositiveInt(),
        "grad_accum": AutoOrPositiveInt(),
        "num_epochs": Int(3, ge=1),
        "optimizer": Choice(
            ("adamw_torch", "adamw_bnb_8bit", "paged_adamw_8bit", "galore_adamw", "galore_adamw_8bit"),
            "adamw_torch",
        ),
        "lr_scheduler": Choice(("cosine", "linear", "constant"), "cosine"),
        "warmup_ratio": Float(0.1, ge=0.0, le=0.5),
        "precision": Optional(Choice(("bf16", "fp16", "fp32"))),
        "seed": Int(42),
        "preference": PREFERENCE,
        "cpt": Model(
            "cpt",
            {"schedule": Choice(("auto", "dapt", "sft"), "auto"), "embed_warmup_steps": Int(0, ge=0)},
        ),
        "gate": Model(
            "gate",
            {
                "enabled": Bool(False),
                "hidden_proj_dim": Int(64, ge=8, le=2048),
                "steps": Int(200, ge=1, le=10000),
                "lr": Float(3e-4, gt=0.0, le=1.0),
                "cold_start_floor": Int(4, ge=1, le=1024),
                "entropy_lambda": Float(0.01, ge=0.0, le=1.0),
            },
        ),
        "cache": Model(
            "cache",
            {
                "enabled": Bool(True),
                "max_bytes": Int(10 * 1024**3, ge=1),
                "prune_older_than_days": Int(90, ge=1),
            },
        ),
        "audio": Model("audio", {"auto_resample": Bool(False)}),
        "adapters": ModelMap(Model("adapter", _adapter_fields())),
        "sources": ModelList(SOURCE),
        "sources_policy": Choice(("permissive", "strict"), "permissive"),
    },
    after=_training_rules,
)

EXPORT: Final = Model(
    "export",
    {
        "default_quant": Choice(("Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0"), "Q4_K_M"),
        "default_temperature": Optional(Float(gt=0.0, le=2.0)),
        "default_top_p": Optional(Float(gt=0.0, le=1.0)),
    },
)

FRONTMATTER: Final = Model(
    "frontmatter",
    {
        "dlm_id": Str(pattern=ULID_RE, pattern_help="a 26-character uppercase Crockford base32 ULID"),
        "dlm_version": Int(CURRENT_VERSION, ge=1, le=CURRENT_VERSION),
        "base_model": Str(min_length=1),
        "training": TRAINING,
        "export": EXPORT,
        "system_prompt": Optional(Str()),
    },
    required=("dlm_id", "base_model"),
)

# ---------------------------------------------------------------------------
# dlm_version dispatch and migration


def _migrate_v1(data: dict[Any, Any]) -> dict[Any, Any]:
    """v1 → v2: `training.dpo` becomes `training.preference`, values keep their source."""
    training = data.get("training")
    if not isinstance(training, dict) or "dpo" not in training:
        return data
    training = dict(training)
    dpo = training.pop("dpo")
    src: Path = ("training", "dpo")
    if dpo is None:
        pass
    elif not isinstance(dpo, dict):
        training["preference"] = _Sourced(dpo, src)
    else:
        preference: dict[str, Any] = {"method": "dpo"}
        if "enabled" in dpo:
            preference["enabled"] = _Sourced(dpo["enabled"], (*src, "enabled"))
        hyper = {
            key: _Sourced(dpo[key], (*src, key))
            for key in ("beta", "learning_rate", "num_epochs")
            if key in dpo
        }
        if hyper:
            preference["hyperparams"] = _Sourced(hyper, src)
        if "loss_type" in dpo:
            preference["loss_type"] = _Sourced(dpo["loss_type"], (*src, "loss_type"))
        if "reference" in dpo:
            ref = dpo["reference"]
            ref = "pre_adapter" if ref == "pre_dpo_adapter" else ref
            preference["reference"] = _Sourced(ref, (*src, "reference"))
        training["preference"] = _Sourced(preference, src)
    return {**data, "training": training}


def _version_problem(data: dict[Any, Any], locator: KeyLocator) -> tuple[int, Problem | None]:
    version = data.get("dlm_version", 1)
    span = locator.value(("dlm_version",))
    if not isinstance(version, int) or isinstance(version, bool):
        return 0, Problem(
            Code.VERSION,
            span,
            f"dlm_version: expected an integer from 1 to {CURRENT_VERSION}, got {describe(version)}",
        )
    if version > CURRENT_VERSION:
        return 0, Problem(
            Code.VERSION,
            span,
            f"dlm_version {version} is newer than this tool supports (current: {CURRENT_VERSION}); "
            "upgrade dlm or check where the document came from",
        )
    if version < 1:
        return 0, Problem(
            Code.VERSION, span, f"dlm_version: expected an integer from 1 to {CURRENT_VERSION}, got {version}"
        )
    return version, None


def validate_frontmatter(data: dict[Any, Any], locator: KeyLocator) -> list[Problem]:
    version, problem = _version_problem(data, locator)
    if problem is not None:
        return [problem]
    if version == 1:
        data = _migrate_v1(data)
    data = {**data, "dlm_version": CURRENT_VERSION}
    checker = Checker(locator)
    FRONTMATTER.check(data, (), checker)
    return checker.problems
