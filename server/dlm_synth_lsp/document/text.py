"""Decoding, newline normalisation and position arithmetic.

Upstream normalises files before parsing (strict UTF-8, one leading BOM dropped,
CRLF/CR to LF). Editors address the *original* buffer in utf-8, utf-16 or utf-32
units, so the normalised text must map back to those positions. Normalisation never
merges or splits lines (CRLF, CR and LF are each one line break for both LSP and
upstream), so line numbers are shared; only columns on the first line move when a
BOM was dropped, and column units differ by encoding.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

BOM = "\ufeff"
#: the line breaks `str.splitlines()` honours besides "\n": the body grammar (like
#: the trainer) splits that way, the tokenizer and editors on "\n" alone
SPLITLINES_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
ODD_BREAKS = re.compile(f"[{SPLITLINES_BREAKS}]")
#: how long a title (a section's, a pair's) may be where one line shows it
TITLE_LIMIT = 60


class DlmEncodingError(ValueError):
    """The bytes are not valid UTF-8; this is the only error the core raises for input."""

    def __init__(self, byte_offset: int, reason: str, path: str | None = None) -> None:
        self.byte_offset = byte_offset
        self.reason = reason
        self.path = path
        where = path if path is not None else "<text>"
        super().__init__(f"{where}: invalid UTF-8 at byte {byte_offset}: {reason}")


class PositionEncoding(StrEnum):
    """Column units of an editor position (LSP `PositionEncodingKind` values)."""

    UTF8 = "utf-8"
    UTF16 = "utf-16"
    UTF32 = "utf-32"


def decode_bytes(data: bytes, path: str | None = None) -> str:
    """Strict UTF-8 decoding with the byte offset of the first bad sequence."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DlmEncodingError(exc.start, exc.reason, path) from None


def has_text(text: str) -> bool:
    """Whether `text` holds anything but whitespace (`text.strip()` would copy it, a
    cost per keystroke when a section is one 10 MB line)."""
    return bool(text) and not text.isspace()


def first_text_line(text: str) -> str:
    """The first non-blank line, stripped: how a section or field is named in
    listings, progress and the outline."""
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def shorten(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, the last one an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def headline(text: str | None, limit: int = TITLE_LIMIT) -> str:
    """The first non-blank line of `text`, stripped and shortened to `limit`: how a
    section, a question or an answer is named in one line."""
    return shorten(first_text_line(text or ""), limit)


def normalize_newlines(text: str) -> str:
    """CRLF and lone CR become LF; nothing else changes."""
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def normalize(text: str) -> tuple[str, bool]:
    """Return (normalised text, whether a leading BOM was dropped)."""
    bom = text.startswith(BOM)
    if bom:
        text = text[1:]
    return normalize_newlines(text), bom


def char_units(ch: str, encoding: PositionEncoding) -> int:
    """How many units of `encoding` one code point occupies."""
    if encoding is PositionEncoding.UTF32:
        return 1
    cp = ord(ch)
    if encoding is PositionEncoding.UTF16:
        return 2 if cp > 0xFFFF else 1
    if cp < 0x80:
        return 1
    if cp < 0x800:
        return 2
    if cp < 0x10000:
        return 3
    return 4


#: the codec that counts each encoding's units: bytes per unit
_CODECS = {PositionEncoding.UTF16: ("utf-16-le", 2), PositionEncoding.UTF8: ("utf-8", 1)}


def units_to_chars(line: str, units: int, encoding: PositionEncoding) -> int:
    """Code-point column for an editor column; columns inside a character round down,
    columns past the end clamp to the line end (LSP's rule for out-of-range columns).

    Counted by the codec (C speed), and only over the first `units` characters (a
    character is at least one unit): a keystroke in a 10 MB line must not walk it
    character by character in Python."""
    units = max(0, units)
    if encoding is PositionEncoding.UTF32 or line.isascii():
        return min(units, len(line))
    codec, width = _CODECS[encoding]
    prefix = line[:units]
    try:
        data = prefix.encode(codec)
    except UnicodeEncodeError:  # lone surrogates (they can arrive over JSON-RPC)
        return _units_to_chars_slowly(line, units, encoding)
    if len(data) == len(prefix) * width:  # one unit per character (no astral ones)
        return len(prefix)
    # a character cut by the boundary is dropped: the column rounds down to its start
    return len(data[: units * width].decode(codec, "ignore"))


def _units_to_chars_slowly(line: str, units: int, encoding: PositionEncoding) -> int:
    seen = 0
    for index, ch in enumerate(line):
        width = char_units(ch, encoding)
        if seen + width > units:
            return index
        seen += width
    return len(line)


def chars_to_units(line: str, chars: int, encoding: PositionEncoding) -> int:
    """Editor column for a code-point column (counted by the codec, see above)."""
    prefix = line[: max(0, chars)]
    if encoding is PositionEncoding.UTF32 or prefix.isascii():
        return len(prefix)
    codec, width = _CODECS[encoding]
    return len(prefix.encode(codec, "surrogatepass")) // width


@dataclass(frozen=True, slots=True)
class Position:
    """A 0-based (line, code-point column) position in normalised text."""

    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open range in normalised text, in code points."""

    start: Position
    end: Position

    @staticmethod
    def of(line: int, column: int, end_line: int, end_column: int) -> Span:
        return Span(Position(line, column), Position(end_line, end_column))

    @staticmethod
    def line(lines: Sequence[str], index: int) -> Span:
        """The whole of line `index` (clamped to the text)."""
        index = max(0, min(index, len(lines) - 1)) if lines else 0
        width = len(lines[index]) if lines else 0
        return Span.of(index, 0, index, width)

    def shifted(self, delta: int) -> Span:
        return Span.of(
            self.start.line + delta, self.start.column, self.end.line + delta, self.end.column
        )


class PositionMapper:
    """Converts between normalised code-point positions and editor positions.

    `lines` are the normalised lines; `bom` says whether the editor's buffer still
    starts with a BOM that normalisation dropped (it shifts line 0 by one unit in
    every encoding, since U+FEFF is one unit in utf-16/utf-32 and the mapping treats
    it as a character in utf-8 too).
    """

    __slots__ = ("bom", "lines")

    def __init__(self, lines: Sequence[str], bom: bool = False) -> None:
        self.lines = lines
        self.bom = bom

    def _bom_units(self, line: int, encoding: PositionEncoding) -> int:
        return char_units(BOM, encoding) if self.bom and line == 0 else 0

    def to_editor(self, pos: Position, encoding: PositionEncoding) -> tuple[int, int]:
        if pos.line >= len(self.lines):
            return pos.line, pos.column
        text = self.lines[pos.line]
        return pos.line, self._bom_units(pos.line, encoding) + chars_to_units(
            text, pos.column, encoding
        )

    def from_editor(self, line: int, units: int, encoding: PositionEncoding) -> Position:
        if line >= len(self.lines):
            last = len(self.lines) - 1
            return Position(max(last, 0), len(self.lines[last]) if self.lines else 0)
        units = max(0, units - self._bom_units(line, encoding))
        return Position(line, units_to_chars(self.lines[line], units, encoding))


class LineOffsets:
    """Code-point offsets of line starts, for converting positions to string indices."""

    __slots__ = ("starts",)

    def __init__(self, lines: Sequence[str]) -> None:
        starts = [0] * len(lines)
        total = 0
        for index, text in enumerate(lines):
            starts[index] = total
            total += len(text) + 1
        self.starts = starts

    def offset(self, pos: Position) -> int:
        return self.starts[pos.line] + pos.column

    def position(self, offset: int) -> Position:
        line = bisect.bisect_right(self.starts, offset) - 1
        return Position(line, offset - self.starts[line])
