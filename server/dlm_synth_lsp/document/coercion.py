"""Lax scalar coercion: how upstream's validation library reads YAML-loaded values.

The frontmatter schema (`schema.py`) accepts exactly what upstream accepts, and
upstream validates in lax mode, so these rules are reproduced here:

* int: an int; a bool (as 0/1); a finite float with no fraction inside ±2**63; a
  string (or UTF-8 bytes) holding a decimal integer, trimmed of Unicode whitespace,
  optionally signed, with single underscores between digits and an optional `.0…`.
* float: an int, float or bool; a string such as `1e-4`, `.5`, `inf`, `nan`.
* bool: a bool, 0/1, 0.0/1.0, or (case-insensitively, untrimmed) one of
  0/1, f/t, n/y, no/yes, off/on, false/true.
* str: a string or UTF-8 bytes, never a number. Literal choices: exact strings only.
* lists/tuples: a list, tuple, set or frozenset, never a string or mapping.

`describe` words a rejected value for a message.
"""

from __future__ import annotations

import datetime
import math
import re
from typing import Any, Final

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


def as_text(value: Any) -> str | None:
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
        text = as_text(value)
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
        text = as_text(value)
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
        text = as_text(value)
        if text is not None and text.isascii():
            word = text.lower()
            if word in _TRUE_WORDS:
                return True
            if word in _FALSE_WORDS:
                return False
    raise Invalid("a boolean (true or false)")


def coerce_str(value: Any) -> str:
    text = as_text(value)
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
