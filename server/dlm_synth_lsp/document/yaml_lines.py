"""Frontmatter lines read as YAML block structure, without a YAML parser.

Completion and quick fixes work on frontmatter that is being typed, which is often
not YAML yet (`lora_` with no colon, a key with no value, an unclosed block). The
loader in frontmatter.py gives exact spans only for text that loads; this reads the
block-style subset every `.dlm` uses — `key: value` lines nested by indentation,
`- ` list entries — line by line, so a half-typed line still has a place: which
mapping it is in (its key path), which keys that mapping already holds, and which
lines an entry spans. Flow collections and multi-line scalars are treated as values
and never entered.

Paths are tuples of keys; a list entry appears as the row of its `- ` line (an int),
so two entries of one list are different mappings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .frontmatter import DELIMITER

if TYPE_CHECKING:
    from .document import Document

PathPart = str | int

_LINE_RE = re.compile(
    r"(?P<indent> *)(?:(?P<dash>-)(?:[ ]+|$))?(?P<rest>.*)",
)
_KEY_RE = re.compile(r"(?P<key>[A-Za-z0-9_][A-Za-z0-9_.\-]*)[ \t]*:(?=[ \t]|$)")
_COMMENT_RE = re.compile(r"(?:^|[ \t])#")


@dataclass(frozen=True, slots=True)
class KeyLine:
    """One non-blank, non-comment frontmatter line.

    `indent` is the column of the `-` (list entry) or of the content; `col` the column
    where the content (a key, a scalar) starts. `key` is None for a line that holds no
    `key:`, such as `- q_proj` or a continuation. `value_start`/`value_end` bracket the
    value after the colon without a trailing comment (equal when the value is empty).
    """

    row: int
    indent: int
    dash: bool
    col: int
    key: str | None
    key_end: int
    value_start: int
    value_end: int

    @property
    def empty_value(self) -> bool:
        return self.value_start >= self.value_end


def scan_line(text: str, row: int) -> KeyLine | None:
    match = _LINE_RE.match(text)
    assert match is not None  # every string matches
    rest = match.group("rest")
    col = match.start("rest")
    dash = match.group("dash") is not None
    if not rest.strip() and not dash:
        return None
    if rest.startswith("#") and not dash:
        return None
    indent = len(match.group("indent"))
    key_match = _KEY_RE.match(rest)
    if key_match is None:
        end = _value_end(text, col)
        return KeyLine(row, indent, dash, col, None, col, col, end)
    key_end = col + key_match.end("key")
    after = col + key_match.end()
    start = after
    while start < len(text) and text[start] in " \t":
        start += 1
    end = _value_end(text, start)
    return KeyLine(row, indent, dash, col, key_match.group("key"), key_end, min(start, end), end)


def _value_end(text: str, start: int) -> int:
    """End of the value starting at `start`: before a ` #` comment (outside quotes, which
    is all a one-line scalar needs) and trailing whitespace."""
    end = len(text)
    quote: str | None = None
    for index in range(start, len(text)):
        ch = text[index]
        if quote is not None:
            if ch == quote:
                quote = None
        elif ch in "'\"" and index == start:
            quote = ch
        elif ch == "#" and (index == start or text[index - 1] in " \t"):
            end = index
            break
    while end > start and text[end - 1] in " \t":
        end -= 1
    return end


class FrontmatterLines:
    """Frontmatter rows [first, stop) scanned once; answers are cheap index walks."""

    def __init__(self, lines: tuple[str, ...] | list[str], first: int, stop: int) -> None:
        self.lines = lines
        self.first = first
        self.stop = stop
        self.scanned: list[KeyLine | None] = [scan_line(lines[row], row) for row in range(first, stop)]

    def at(self, row: int) -> KeyLine | None:
        if not self.first <= row < self.stop:
            return None
        return self.scanned[row - self.first]

    def path(self, row: int, col: int, dash_col: int | None = None) -> tuple[PathPart, ...] | None:
        """The path of the mapping in which a key starting at column `col` of `row` sits
        (`dash_col`: the `-` before it on that row, for a list entry's first key). Only
        rows above are read, so `row` itself may hold anything. None when the lines
        above do not say (a deeper line under a scalar value, say)."""
        parts: list[PathPart] = []
        limit = col
        item: int | None = None  # dash column of the list entry the mapping is
        if dash_col is not None:
            item = dash_col
            parts.append(row)
        for above in range(row - 1, self.first - 1, -1):
            line = self.scanned[above - self.first]
            if line is None:
                continue
            if item is None:
                if line.col > limit:
                    continue  # inside an earlier sibling's value
                if line.col == limit:
                    if line.dash:  # a continuation line of this list entry
                        item = line.indent
                        parts.insert(0, line.row)
                    continue
            else:
                if line.indent > item or (line.dash and line.indent == item):
                    continue  # this entry's lines, or earlier entries of the same list
                if line.indent == item and (line.key is None or not line.empty_value):
                    return None
            # a line further left: the key owning this mapping (or list)
            if line.key is None or not line.empty_value:
                return None
            parts.insert(0, line.key)
            limit, item = line.col, None
            if line.dash:
                item = line.indent
                parts.insert(0, line.row)
        return tuple(parts)

    def path_of(self, line: KeyLine) -> tuple[PathPart, ...] | None:
        """The path of the mapping holding an existing key line."""
        return self.path(line.row, line.col, line.indent if line.dash else None)

    def keys_in(self, path: tuple[PathPart, ...]) -> dict[str, KeyLine]:
        """Keys of the mapping at `path`, first occurrence of each."""
        found: dict[str, KeyLine] = {}
        for line in self.scanned:
            if line is None or line.key is None or line.key in found:
                continue
            if self.path_of(line) == path:
                found[line.key] = line
        return found

    def entry_stop(self, row: int) -> int:
        """One past the last row of the entry whose key is on `row`: its nested lines
        (and a list written at the key's own indentation), not trailing blank lines."""
        line = self.at(row)
        if line is None:
            return row + 1
        end = row + 1
        for below in range(row + 1, self.stop):
            other = self.scanned[below - self.first]
            if other is None:
                continue
            nested = other.indent > line.col or (
                other.dash and other.indent == line.col and line.empty_value and not line.dash
            )
            if not nested:
                break
            end = below + 1
        return end


def in_frontmatter(doc: Document, row: int) -> bool:
    """Row `row` lies between the `---` lines (or after an opening `---` that is never
    closed, which is what a new document looks like while it is typed)."""
    if not doc.lines or doc.lines[0] != DELIMITER or row <= 0:
        return False
    closer = doc.frontmatter.closer
    return row < (closer if closer is not None else len(doc.lines))


def frontmatter_lines(doc: Document) -> FrontmatterLines:
    closer = doc.frontmatter.closer
    return FrontmatterLines(doc.lines, 1, closer if closer is not None else len(doc.lines))
