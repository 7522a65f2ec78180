"""Semantic tokens: the structure of a `.dlm` document as coloured spans, for every
editor that reads LSP semantic tokens (Neovim 0.10+ does by default).

What is marked, with standard token types so default themes colour it:

| what | type |
|---|---|
| `---` delimiters, `::` and `#` of fences, `-` list dashes, `=` in attributes | operator |
| frontmatter keys, fence and marker attribute names | property |
| frontmatter strings, attribute values, code-block lines | string |
| frontmatter numbers | number |
| frontmatter booleans and null | keyword |
| frontmatter comments, the `<!--`/`-->` of markers | comment |
| section type in a fence, `### Q`/`### A`/`### Prompt`/... headings | keyword |
| adapter name after `#` | namespace |
| marker head (`dlm-auto-synth:`, ...) | decorator |
| ```` ``` ```` code-block fences and their info string | macro |

Every token of an auto-synth section (fence, marker, headings) carries the
`synthesized` modifier. Headings are marked where the trainer reads them (it does not
know about code blocks), so what is coloured as a heading is one.

Cost: a block's tokens depend only on its own lines (every block starts outside a
code block), so they are computed once per distinct block text and encoding and kept
in a bounded cache, in LSP's relative form. A document's tokens are the blocks'
chunks in order; only each chunk's first line delta depends on the previous chunk.
After a keystroke every block but the edited one hits the cache, and the delta
between two results is found chunk by chunk, so it is as small as the edit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import count

import yaml

from .document import Document
from .fences import ATTR_FENCE_RE, CODE_FENCE_PREFIX, FENCE_RE
from .frontmatter import DELIMITER
from .grammar import PREFERENCE_HEADERS, PROBE_Q, A, Q
from .marker import MARKER_HEAD
from .memo import Lru
from .model import SectionType
from .text import PositionEncoding, chars_to_units
from .tokenizer import Block

TOKEN_TYPES = (
    "namespace",
    "keyword",
    "property",
    "string",
    "number",
    "comment",
    "operator",
    "decorator",
    "macro",
)
TOKEN_MODIFIERS = ("synthesized",)

NAMESPACE, KEYWORD, PROPERTY, STRING, NUMBER, COMMENT, OPERATOR, DECORATOR, MACRO = range(len(TOKEN_TYPES))
SYNTHESIZED = 1

_CACHE_SIZE = 65536
_ATTR_RE = re.compile(r'([a-z][a-z0-9_]*)(=)("[^"\n]*")')
_COMMENT_OPEN, _COMMENT_CLOSE = "<!--", "-->"
_NUMBER_RE = re.compile(
    r"[-+]?(?:\.?[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?|\.(?:inf|Inf|INF|nan|NaN|NAN))"
)
_YAML_WORDS = frozenset(
    {"true", "True", "TRUE", "false", "False", "FALSE", "yes", "Yes", "YES", "no", "No", "NO"}
    | {"on", "On", "ON", "off", "Off", "OFF", "y", "Y", "n", "N", "null", "Null", "NULL", "~"}
)
_HEADERS = {
    SectionType.INSTRUCTION: frozenset({Q, A, PROBE_Q}),
    SectionType.PREFERENCE: frozenset(PREFERENCE_HEADERS),
}

#: (line, start, length, type, modifiers), line relative to its block, columns in code points
Raw = tuple[int, int, int, int, int]
#: adds a token (line, start, end, type) to the frontmatter's list
_Add = Callable[[int, int, int, int], None]


@dataclass(frozen=True, slots=True)
class Token:
    """A decoded token in editor units, as tests and the range request see them."""

    line: int
    start: int
    length: int
    type: str
    modifiers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Chunk:
    """One block's tokens in LSP's relative encoding. `data[0]` (the first token's
    line delta) is relative to the block's first line; `last` is the last token's
    line, also relative to it."""

    data: tuple[int, ...]
    last: int


_EMPTY = Chunk((), 0)


# -- per block ------------------------------------------------------------------------


def _encode(
    raw: Sequence[Raw], lines: Sequence[str], base: int, encoding: PositionEncoding, bom: bool
) -> Chunk:
    """`raw` sorted, code points → editor units, relative encoding. `lines[base + line]`
    holds each token; `bom` shifts line 0 by the BOM the editor still has."""
    if not raw:
        return _EMPTY
    data: list[int] = []
    prev_line, prev_start = 0, 0
    for line, start, length, kind, mods in raw:
        text = lines[base + line]
        if text.isascii() or encoding is PositionEncoding.UTF32:
            begin, size = start, length
        else:
            begin = chars_to_units(text, start, encoding)
            size = chars_to_units(text, start + length, encoding) - begin
        if bom and base + line == 0:
            begin += 1
        delta = line - prev_line
        data += (delta, begin - prev_start if delta == 0 else begin, size, kind, mods)
        prev_line, prev_start = line, begin
    data[0] = raw[0][0]
    return Chunk(tuple(data), raw[-1][0])


def _fence_tokens(line: str, mods: int) -> list[Raw]:
    bare = FENCE_RE.match(line)
    if bare is not None:
        name = bare.group(1)
        base, hashed, adapter = name.partition("#")
        found: list[Raw] = [(0, 0, 2, OPERATOR, mods)]
        if base:
            found.append((0, 2, len(base), KEYWORD, mods))
        if hashed:
            found.append((0, 2 + len(base), 1, OPERATOR, mods))
            if adapter:
                found.append((0, 3 + len(base), len(adapter), NAMESPACE, mods))
        found.append((0, len(line) - 2, 2, OPERATOR, mods))
        return found
    attributed = ATTR_FENCE_RE.match(line)
    if attributed is None:
        return []
    found = [(0, 0, 2, OPERATOR, mods), (0, 2, len(attributed.group(1)), KEYWORD, mods)]
    for match in _ATTR_RE.finditer(line, attributed.start(2), attributed.end(2)):
        found.append((0, match.start(1), len(match.group(1)), PROPERTY, mods))
        found.append((0, match.start(2), 1, OPERATOR, mods))
        found.append((0, match.start(3), len(match.group(3)), STRING, mods))
    found.append((0, len(line) - 2, 2, OPERATOR, mods))
    return found


def _marker_tokens(row: int, line: str, mods: int) -> list[Raw]:
    """`<!--` and `-->` as comment, the head (`dlm-auto-synth:`) as decorator, then
    each attribute. Lines the parser lifted as markers start with MARKER_HEAD."""
    head = len(_COMMENT_OPEN) + 1
    colon = line.find(":", head)
    if not line.startswith(MARKER_HEAD) or colon < 0 or not line.endswith(_COMMENT_CLOSE):
        return []
    close = len(line) - len(_COMMENT_CLOSE)
    found: list[Raw] = [
        (row, 0, len(_COMMENT_OPEN), COMMENT, mods),
        (row, head, colon + 1 - head, DECORATOR, mods),
    ]
    for attr in _ATTR_RE.finditer(line, colon + 1, close):
        found.append((row, attr.start(1), len(attr.group(1)), PROPERTY, mods))
        found.append((row, attr.start(2), 1, OPERATOR, mods))
        found.append((row, attr.start(3), len(attr.group(3)), STRING, mods))
    found.append((row, close, len(_COMMENT_CLOSE), COMMENT, mods))
    return found


def block_tokens(lines: Sequence[str], block: Block, fenced: bool) -> list[Raw]:
    """The tokens of one block, lines relative to `block.first`, in order."""
    section = block.section
    kind = section.type if section is not None else SectionType.PROSE
    mods = SYNTHESIZED if section is not None and section.auto_synth else 0
    found: list[Raw] = []
    row = 0
    if fenced and block.stop > block.first:
        found += _fence_tokens(lines[block.first], mods)
        row = 1
    markers = section.marker_lines if section is not None else 0
    for offset in range(markers):
        found += _marker_tokens(row + offset, lines[block.first + row + offset], mods)
    row += markers
    headers = _HEADERS.get(kind)
    in_code = False
    for index in range(block.first + row, block.stop):
        line = lines[index]
        rel = index - block.first
        if line.startswith(CODE_FENCE_PREFIX):
            in_code = not in_code
            found.append((rel, 0, len(line.rstrip()), MACRO, 0))
            continue
        if headers is not None and line.strip() in headers:
            start = len(line) - len(line.lstrip())
            found.append((rel, start, len(line.strip()), KEYWORD, mods))
        elif in_code and line.strip():
            start = len(line) - len(line.lstrip())
            found.append((rel, start, len(line.rstrip()) - start, STRING, 0))
    return found


# -- frontmatter ------------------------------------------------------------------------


def frontmatter_tokens(lines: Sequence[str], closer: int | None) -> list[Raw]:
    """Absolute (line 0 based) tokens of the frontmatter block. Text after a YAML error
    keeps the tokens found before it."""
    if not lines or lines[0] != DELIMITER:
        return []
    stop = closer if closer is not None else len(lines)
    found: list[Raw] = [(0, 0, 3, OPERATOR, 0)]
    covered: dict[int, list[tuple[int, int]]] = {}

    def add(line: int, start: int, end: int, kind: int) -> None:
        if end > start:
            found.append((line, start, end - start, kind, 0))
            covered.setdefault(line, []).append((start, end))

    after_key = False
    try:
        for token in yaml.scan("\n".join(lines[1:stop])):
            start, end = token.start_mark, token.end_mark
            line = start.line + 1
            if isinstance(token, yaml.KeyToken):
                after_key = True
                continue
            if isinstance(token, yaml.ScalarToken):
                if after_key:
                    add(
                        line,
                        start.column,
                        end.column if end.line == start.line else len(lines[line]),
                        PROPERTY,
                    )
                else:
                    _scalar(token, lines, add)
            elif isinstance(token, yaml.BlockEntryToken):
                add(line, start.column, start.column + 1, OPERATOR)
            after_key = False
    except yaml.YAMLError:
        pass
    for line in range(1, stop):
        _comment(lines[line], line, covered.get(line, []), add)
    if closer is not None:
        found.append((closer, 0, 3, OPERATOR, 0))
    found.sort()
    return found


def _scalar(token: yaml.ScalarToken, lines: Sequence[str], add: _Add) -> None:
    start, end = token.start_mark, token.end_mark
    first, last = start.line + 1, end.line + 1
    if first == last:
        kind = STRING
        if token.plain:
            text = token.value
            kind = KEYWORD if text in _YAML_WORDS else NUMBER if _NUMBER_RE.fullmatch(text) else STRING
        add(first, start.column, end.column, kind)
        return
    for line in range(first, last + 1):  # multi-line: one token per line
        text = lines[line]
        begin = start.column if line == first else len(text) - len(text.lstrip())
        stop = end.column if line == last else len(text.rstrip())
        add(line, begin, stop, STRING)


def _comment(text: str, line: int, spans: list[tuple[int, int]], add: _Add) -> None:
    """A `#` at the line start or after whitespace, outside every token, starts a comment."""
    for index, ch in enumerate(text):
        if ch != "#" or (index and text[index - 1] not in " \t"):
            continue
        if any(a <= index < b for a, b in spans):
            continue
        add(line, index, len(text.rstrip()), COMMENT)
        return


# -- a document ------------------------------------------------------------------------------

#: a block's or the frontmatter's chunk, by the text it was computed from
_chunks: Lru[tuple[object, ...], Chunk] = Lru(_CACHE_SIZE)
_ids = count(1)


def _block_chunk(doc: Document, block: Block, fenced: bool, encoding: PositionEncoding) -> Chunk:
    lines = doc.lines
    section = block.section
    head = 1 if fenced else 0
    if section is not None:
        head += section.marker_lines
        body = section.content
    else:
        body = "\n".join(lines[block.first + head : block.stop])
    bom = doc.bom and block.first == 0
    key = (encoding, fenced, bom, lines[block.first : block.first + head], body, block.stop - block.first)
    return _chunks.get(
        key, lambda: _encode(block_tokens(lines, block, fenced), lines, block.first, encoding, bom)
    )


def _frontmatter_chunk(doc: Document, encoding: PositionEncoding) -> Chunk:
    """By the frontmatter's lines: a body edit finds it again, a frontmatter edit makes
    a new one."""
    closer = doc.frontmatter.closer
    stop = closer + 1 if closer is not None else len(doc.lines)
    lines = doc.lines
    key = ("frontmatter", encoding, doc.bom, lines[:stop])
    return _chunks.get(key, lambda: _encode(frontmatter_tokens(lines, closer), lines, 0, encoding, doc.bom))


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace `delete` integers at `start` of the previous data with `data`."""

    start: int
    delete: int
    data: list[int]


class Tokens:
    """A document's tokens: the non-empty chunks in order (`chunks`) with the first line
    of the block each belongs to (`starts`), and the flat LSP data built from them on
    demand. `result_id` names this result for delta requests. `blocks` and
    `block_chunks` (the document's blocks and one chunk per block) let the next result
    reuse the chunk of every block object an edit kept, without looking at its text.

    Plain lists of shared objects, no per-block containers: a result is rebuilt after
    every keystroke and held until the next, and thousands of small long-lived objects
    per request would soon make the collector walk the whole heap."""

    def __init__(
        self,
        starts: list[int],
        chunks: list[Chunk],
        encoding: PositionEncoding,
        blocks: Sequence[Block],
        block_chunks: list[Chunk],
    ) -> None:
        self.starts = starts
        self.chunks = chunks
        self.encoding = encoding
        self.blocks = blocks
        self.block_chunks = block_chunks
        self.result_id = str(next(_ids))

    @cached_property
    def heads(self) -> list[int]:
        """Each chunk's first integer in the flat data: its line delta from the last
        token of the chunk before."""
        out: list[int] = []
        prev = 0
        for first, chunk in zip(self.starts, self.chunks, strict=True):
            out.append(first + chunk.data[0] - prev)
            prev = first + chunk.last
        return out

    @cached_property
    def data(self) -> list[int]:
        return _flat(self.chunks, self.heads)

    def delta(self, previous: Tokens) -> list[Edit]:
        """Edits turning `previous.data` into `self.data`: the chunks both share at the
        start and at the end (same tokens, same line delta) are skipped whole."""
        old, new = previous.chunks, self.chunks
        old_heads, new_heads = previous.heads, self.heads
        limit = min(len(old), len(new))
        head = 0
        while head < limit and _same(old[head], new[head]) and old_heads[head] == new_heads[head]:
            head += 1
        tail = 0
        while (
            tail < limit - head
            and _same(old[-1 - tail], new[-1 - tail])
            and old_heads[-1 - tail] == new_heads[-1 - tail]
        ):
            tail += 1
        start = sum(len(chunk.data) for chunk in old[:head])
        removed = _flat(old[head : len(old) - tail], old_heads[head : len(old) - tail])
        added = _flat(new[head : len(new) - tail], new_heads[head : len(new) - tail])
        # within the changed chunks, keep what still matches at both ends
        same = 0
        while same < min(len(removed), len(added)) and removed[same] == added[same]:
            same += 1
        end = 0
        while end < min(len(removed), len(added)) - same and removed[-1 - end] == added[-1 - end]:
            end += 1
        if same == len(removed) == len(added):
            return []
        return [Edit(start + same, len(removed) - same - end, added[same : len(added) - end])]


def _flat(chunks: Sequence[Chunk], heads: Sequence[int]) -> list[int]:
    out: list[int] = []
    for chunk, head in zip(chunks, heads, strict=True):
        out.append(head)
        out += chunk.data[1:]
    return out


def _same(a: Chunk, b: Chunk) -> bool:
    """Equal encodings: the same cached chunk, or an edited block whose tokens did not
    change (typing in prose)."""
    return a is b or a.data == b.data


def document_tokens(doc: Document, encoding: PositionEncoding, previous: Tokens | None = None) -> Tokens:
    """The tokens of `doc`. With `previous` (the result for an earlier version of the
    same document), the blocks the incremental parser kept as the same objects — all
    before the edit, and all after it when no line moved — reuse their chunks; the
    others are looked up by their text."""
    blocks = doc.blocks
    count = len(blocks)
    head = tail = 0
    if previous is not None and previous.encoding is encoding:
        old = previous.blocks
        limit = min(len(old), count)
        while head < limit and old[head] is blocks[head]:
            head += 1
        while tail < limit - head and old[-1 - tail] is blocks[-1 - tail]:
            tail += 1
    block_chunks: list[Chunk] = previous.block_chunks[:head] if previous is not None and head else []
    for index in range(head, count - tail):
        block_chunks.append(_block_chunk(doc, blocks[index], index > 0, encoding))
    if tail:
        assert previous is not None
        block_chunks += previous.block_chunks[len(previous.blocks) - tail :]
    starts: list[int] = []
    chunks: list[Chunk] = []
    front = _frontmatter_chunk(doc, encoding)
    if front.data:
        starts.append(0)
        chunks.append(front)
    for block, chunk in zip(blocks, block_chunks, strict=True):
        if chunk.data:
            starts.append(block.first)
            chunks.append(chunk)
    return Tokens(starts, chunks, encoding, blocks, block_chunks)


def range_data(doc: Document, encoding: PositionEncoding, first: int, last: int) -> list[int]:
    """The tokens on lines `first`..`last` (inclusive), LSP-encoded from line 0."""
    picked = [t for t in decode(document_tokens(doc, encoding).data) if first <= t[0] <= last]
    return encode(picked)


# -- plain tuples, for ranges and tests -------------------------------------------------------


def decode(data: Sequence[int]) -> list[tuple[int, int, int, int, int]]:
    """LSP data → absolute (line, start, length, type, modifiers)."""
    out = []
    line = start = 0
    for index in range(0, len(data), 5):
        delta, offset, length, kind, mods = data[index : index + 5]
        line += delta
        start = start + offset if delta == 0 else offset
        out.append((line, start, length, kind, mods))
    return out


def encode(tokens: Iterable[tuple[int, int, int, int, int]]) -> list[int]:
    out: list[int] = []
    prev_line = prev_start = 0
    for line, start, length, kind, mods in tokens:
        delta = line - prev_line
        out += (delta, start - prev_start if delta == 0 else start, length, kind, mods)
        prev_line, prev_start = line, start
    return out


def named(data: Sequence[int]) -> list[Token]:
    """Decoded tokens with their type and modifier names."""
    return [
        Token(
            line,
            start,
            length,
            TOKEN_TYPES[kind],
            tuple(m for b, m in enumerate(TOKEN_MODIFIERS) if mods >> b & 1),
        )
        for line, start, length, kind, mods in decode(data)
    ]


def apply_edits(data: Sequence[int], edits: Iterable[Edit]) -> list[int]:
    """What a client does with a delta (edits are relative to the previous data)."""
    out = list(data)
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        out[edit.start : edit.start + edit.delete] = edit.data
    return out
