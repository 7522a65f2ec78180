"""Completion: what can be written at a position, from the parsed document.

Contexts, decided from the cursor's exact line and column:

- frontmatter, key position (`  lora_|`): the keys of the mapping the line sits in
  (found by indentation, so half-typed YAML works) that are not written yet;
- frontmatter, value position (`adapter: |`): the allowed values, the default, the
  base-model registry (plus the `hf:` form) for `base_model`, a fresh ULID for `dlm_id`;
- body, start of a line beginning with `:`: section fences, attribute fences with
  their required attributes, `#adapter` fences for the adapters the frontmatter
  declares (after `::type#`, only those);
- body, start of a line in an `::instruction::`/`::preference::` section beginning with
  `#` (or a blank line there): the `### Q`/`### A` or `### Prompt`/`### Chosen`/
  `### Rejected` headings, the expected one first, and a whole-item skeleton.

Everything else — prose, code blocks, comments, values with no known vocabulary —
gets nothing, decided from the line's first characters before any other work, so
typing prose (where editors ask on every word and every trigger character) never
pops a list and costs a few microseconds. Items replace a span of one line (the
partly typed token), in code points; the server maps it to the client's encoding.
"""

from __future__ import annotations

import bisect
import re
import secrets
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from .base_models import HF_PREFIX, card, hf_card, registry, summary
from .document import Document
from .fences import CODE_FENCE_PREFIX
from .grammar import CHOSEN, PROMPT, REJECTED, A, Q
from .model import SectionType
from .text import Position, Span
from .yaml_lines import FrontmatterLines, frontmatter_lines, in_frontmatter, scan_line

if TYPE_CHECKING:
    from .keys import KeyDoc

#: characters that ask for completion as they are typed; each is answered only in
#: its own context (`:` at a fence start, `#` in a fence or a Q/A section, `"` and a
#: space in frontmatter), so prose never pops a list
TRIGGER_CHARACTERS = (":", "#", '"', " ")

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_FENCE_PREFIX = re.compile(r"::?[A-Za-z0-9_-]*(?:#[A-Za-z0-9_]*)?")
_HEADING_PREFIX = re.compile(r"#{1,3}(?: [A-Za-z]*)?")
_KEY_PREFIX = re.compile(r"( *)(?:(-) +)?([A-Za-z0-9_][A-Za-z0-9_.\-]*)?")
_VALUE_PREFIX = re.compile(
    r"( *)(?:(-) +)?([A-Za-z0-9_][A-Za-z0-9_.\-]*)[ \t]*:[ \t]+([\"']?)([^\"'#\[\]{},]*)"
)
_KEY_CHARS = re.compile(r"[A-Za-z0-9_.\-]*")


class ItemKind(StrEnum):
    KEY = "key"  # a scalar frontmatter key
    GROUP = "group"  # a frontmatter key holding a mapping or list
    VALUE = "value"
    MODEL = "model"  # a base-model registry key
    FENCE = "fence"
    HEADING = "heading"
    SKELETON = "skeleton"  # a whole Q/A pair or preference triple


@dataclass(frozen=True, slots=True)
class Completion:
    """One item. `span` (one line, code points) is the text it replaces; `text` is
    inserted as is, `snippet` (when set) is the same in snippet syntax for clients that
    support it. `documentation` is markdown."""

    label: str
    kind: ItemKind
    detail: str
    documentation: str
    sort_text: str
    span: Span
    text: str
    snippet: str | None = None
    filter_text: str | None = None


def complete(doc: Document, pos: Position) -> list[Completion]:
    lines = doc.lines
    if not 0 <= pos.line < len(lines):
        return []
    line = lines[pos.line]
    column = min(pos.column, len(line))
    if in_frontmatter(doc, pos.line):
        return _frontmatter(doc, pos.line, column)
    # the body: only a line starting with ':' or '#', or a blank one, can get items
    if line.strip() and line[:1] not in (":", "#"):
        return []
    if column and line[:1] not in (":", "#"):
        return []
    kind = _block_kind(doc, pos.line)
    if kind is None:
        return []  # inside a code block
    prefix = line[:column]
    if not line.strip():
        found = _headings(doc, pos.line, kind, column, line) if kind in _HEADINGS else []
        return found + _fences(doc, pos.line, prefix, line)
    if line.startswith(":"):
        return _fences(doc, pos.line, prefix, line) if _FENCE_PREFIX.fullmatch(prefix) else []
    if kind in _HEADINGS and _HEADING_PREFIX.fullmatch(prefix):
        return _headings(doc, pos.line, kind, column, line)
    return []


# -- where the cursor is ------------------------------------------------------------


def _block_kind(doc: Document, row: int) -> SectionType | None:
    """The section type owning body line `row`, or None when it is inside a code block
    (every block starts outside one, so counting its ``` lines above `row` says)."""
    blocks = doc.blocks
    index = bisect.bisect_right(doc.firsts, row) - 1
    if index < 0:
        return SectionType.PROSE  # before the first block: the blank line after `---`
    block = blocks[index]
    if row >= block.stop:
        return SectionType.PROSE
    first = block.first if block.section is None or not block.section.fenced else block.first + 1
    ticks = sum(1 for text in doc.lines[first:row] if text.startswith(CODE_FENCE_PREFIX))
    if ticks % 2:
        return None
    return block.section.type if block.section is not None else SectionType.PROSE


# -- body: fences and headings -------------------------------------------------------

_FENCE_DOCS: dict[SectionType, tuple[str, str]] = {
    SectionType.PROSE: (
        "prose section",
        "Text the model reads as continued pre-training; synthesis asks Q/A pairs about it.",
    ),
    SectionType.INSTRUCTION: (
        "### Q / ### A pairs",
        "Supervised fine-tuning examples: each `### Q` question is followed by its `### A` answer.",
    ),
    SectionType.PREFERENCE: (
        "### Prompt / ### Chosen / ### Rejected",
        "Preference-tuning triples: a prompt, the answer to prefer and the answer to avoid.",
    ),
    SectionType.IMAGE: (
        "image file",
        'An image for vision-language base models; `alt="…"` may follow the path.',
    ),
    SectionType.AUDIO: ("audio clip", "An audio clip and its transcript for audio-language base models."),
}
# (plain text, snippet) of the attribute fences, with their required attributes
_ATTRIBUTE_FENCES: dict[SectionType, tuple[str, str]] = {
    SectionType.IMAGE: ('::image path=""::', '::image path="${1:images/figure.png}"::'),
    SectionType.AUDIO: (
        '::audio path="" transcript=""::',
        '::audio path="${1:audio/clip.wav}" transcript="${2:what is said}"::',
    ),
}
_ROUTABLE = (SectionType.PROSE, SectionType.INSTRUCTION, SectionType.PREFERENCE)


def _token_end(line: str, start: int) -> int:
    end = start
    while end < len(line) and not line[end].isspace():
        end += 1
    return end


def _fences(doc: Document, row: int, prefix: str, line: str) -> list[Completion]:
    span = Span.of(row, 0, row, _token_end(line, 0))
    adapters = _adapters(doc)
    base, hashed, _ = prefix.lstrip(":").partition("#")
    items: list[Completion] = []
    if hashed:  # after `::type#`: only that type's adapter fences
        kinds = [k for k in _ROUTABLE if k.value == base]
        return [_fence(k, a, span, n) for k in kinds for n, a in enumerate(adapters)]
    for order, kind in enumerate(SectionType):
        detail, text = _FENCE_DOCS[kind]
        if kind in _ATTRIBUTE_FENCES:
            plain, snippet = _ATTRIBUTE_FENCES[kind]
            label = plain.replace('=""', '="…"')
            items.append(
                Completion(label, ItemKind.FENCE, detail, text, f"1{order}", span, plain, snippet, plain)
            )
        else:
            fence = f"::{kind.value}::"
            items.append(Completion(fence, ItemKind.FENCE, detail, text, f"1{order}", span, fence))
    items += [_fence(kind, adapter, span, n) for kind in _ROUTABLE for n, adapter in enumerate(adapters)]
    return items


def _fence(kind: SectionType, adapter: str, span: Span, order: int) -> Completion:
    fence = f"::{kind.value}#{adapter}::"
    detail = f"{_FENCE_DOCS[kind][0]} for adapter {adapter}"
    text = f"{_FENCE_DOCS[kind][1]}\n\nTrains the adapter `{adapter}` declared under `training.adapters`."
    return Completion(
        fence, ItemKind.FENCE, detail, text, f"2{_ROUTABLE.index(kind)}{order:03d}", span, fence
    )


def _adapters(doc: Document) -> list[str]:
    data = doc.frontmatter.data or {}
    training = data.get("training")
    adapters = training.get("adapters") if isinstance(training, dict) else None
    return [name for name in adapters if isinstance(name, str)] if isinstance(adapters, dict) else []


_HEADINGS: dict[SectionType, tuple[str, ...]] = {
    SectionType.INSTRUCTION: (Q, A),
    SectionType.PREFERENCE: (PROMPT, CHOSEN, REJECTED),
}
_HEADING_DOCS = {
    Q: "question",
    A: "answer",
    PROMPT: "prompt",
    CHOSEN: "the answer to prefer",
    REJECTED: "the answer to avoid",
}
_SKELETONS: dict[SectionType, tuple[str, str, str]] = {
    SectionType.INSTRUCTION: (
        "Q/A pair",
        f"{Q}\n\n{A}\n",
        f"{Q}\n${{1:question}}\n{A}\n${{0:answer}}",
    ),
    SectionType.PREFERENCE: (
        "preference triple",
        f"{PROMPT}\n\n{CHOSEN}\n\n{REJECTED}\n",
        f"{PROMPT}\n${{1:prompt}}\n{CHOSEN}\n${{2:preferred answer}}\n{REJECTED}\n${{0:answer to avoid}}",
    ),
}


def _headings(doc: Document, row: int, kind: SectionType, column: int, line: str) -> list[Completion]:
    """The headings of `kind`, the one the grammar expects next first (after the last
    heading above the cursor in this section), and a whole-item skeleton."""
    headers = _HEADINGS[kind]
    last = None
    section = doc.section_at(row)
    top = section.content_start_line - 1 if section is not None else row
    for above in range(row - 1, top - 1, -1):
        if doc.lines[above].strip() in headers:
            last = doc.lines[above].strip()
            break
    expected = headers[(headers.index(last) + 1) % len(headers)] if last is not None else headers[0]
    span = Span.of(row, 0, row, max(column, len(line.rstrip())))
    items: list[Completion] = []
    for heading in headers:
        first = heading == expected
        text = (
            f"Starts the {_HEADING_DOCS[heading]}: its text goes on the lines below, "
            "up to the next heading or a blank line."
        )
        items.append(
            Completion(
                heading,
                ItemKind.HEADING,
                _HEADING_DOCS[heading],
                text,
                f"0{0 if first else 2}{headers.index(heading)}",
                span,
                heading,
            )
        )
    if expected == headers[0]:
        label, plain, snippet = _SKELETONS[kind]
        text = "A complete item. A blank line inside a field ends it: keep each field on consecutive lines."
        items.append(
            Completion(label, ItemKind.SKELETON, "skeleton", text, "01", span, plain, snippet, headers[0])
        )
    return items


# -- frontmatter ----------------------------------------------------------------------


def _frontmatter(doc: Document, row: int, column: int) -> list[Completion]:
    line = doc.lines[row]
    prefix = line[:column]
    if "#" in prefix and (prefix.lstrip().startswith("#") or " #" in prefix or "\t#" in prefix):
        return []  # a comment
    structure = frontmatter_lines(doc)
    key = _KEY_PREFIX.fullmatch(prefix)
    if key is not None:
        return _keys(structure, row, line, column, key)
    value = _VALUE_PREFIX.fullmatch(prefix)
    if value is not None:
        return _values(structure, row, line, value)
    return []


def _keys(
    structure: FrontmatterLines, row: int, line: str, column: int, match: re.Match[str]
) -> list[Completion]:
    # the key vocabulary, and with it the schema table, loads on the first frontmatter
    # completion rather than at server start
    from .keys import describe, keys_at

    indent = len(match.group(1))
    dash = match.group(2) is not None
    col = match.start(3) if match.group(3) is not None else column
    path = structure.path(row, col, indent if dash else None)
    if path is None:
        return []
    docs = keys_at(path)
    if docs is None:
        return []
    present = {k for k, at in structure.keys_in(path).items() if at.row != row}
    end = col + _KEY_CHARS.match(line, col).end() - col  # type: ignore[union-attr]
    has_colon = line[end:].lstrip(" \t").startswith(":")
    span = Span.of(row, col, row, end)
    items = []
    for order, (name, info) in enumerate(docs.items()):
        if name in present:
            continue
        plain, snippet = _key_insert(info, col, has_colon)
        kind = ItemKind.GROUP if info.shape != "scalar" else ItemKind.KEY
        sort = f"{0 if info.required else 1}{order:02d}"
        items.append(Completion(name, kind, _key_detail(info), describe(info), sort, span, plain, snippet))
    return items


def _key_detail(info: KeyDoc) -> str:
    return ("required · " if info.required else "") + info.type_text


def _key_insert(info: KeyDoc, col: int, has_colon: bool) -> tuple[str, str | None]:
    """(plain, snippet) for a key at column `col`. Nested shapes open their block on the
    next line, indented two spaces more (text the client must insert as is)."""
    name = info.name
    if has_colon:
        return name, None
    inner = " " * (col + 2)
    if info.shape in ("mapping", "named"):
        return f"{name}:\n{inner}", f"{name}:\n{inner}$0"
    if info.shape == "list":
        return f"{name}:\n{inner}- ", f"{name}:\n{inner}- $0"
    if info.values:
        return f"{name}: ", f"{name}: ${{1|{','.join(_escape_choice(v) for v in info.values)}|}}"
    if info.default is not None and info.default != "null":
        return f"{name}: ", f"{name}: ${{1:{_escape(info.default)}}}"
    return f"{name}: ", None


def _values(structure: FrontmatterLines, row: int, line: str, match: re.Match[str]) -> list[Completion]:
    from .keys import key_doc

    indent = len(match.group(1))
    dash = match.group(2) is not None
    path = structure.path(row, match.start(3), indent if dash else None)
    if path is None:
        return []
    full = (*path, match.group(3))
    scanned = scan_line(line, row)
    if scanned is None:
        return []
    start, end = scanned.value_start, scanned.value_end
    quote = match.group(4)
    if quote:
        start += 1
        if end > start and line[end - 1] == quote:
            end -= 1
    span = Span.of(row, start, row, max(end, start))
    if full == ("base_model",):
        return _base_models(span)
    if full == ("dlm_id",):
        ulid = new_ulid()
        text = "A new, unique document id (a ULID: the time now, then random bits)."
        return [Completion(ulid, ItemKind.VALUE, "new dlm_id", text, "0", span, ulid)]
    info = key_doc(full)
    if info is None or info.shape != "scalar":
        return []
    choices = list(info.values)
    if not choices and info.default is not None and info.default != "null":
        choices = [info.default]
    items = []
    for order, value in enumerate(choices):
        default = value == info.default
        detail = "default" if default else info.type_text
        text = f"`{info.path}` — {info.description}" if info.description else f"`{info.path}`"
        sort = f"{0 if default else 1}{order:02d}"
        items.append(Completion(value, ItemKind.VALUE, detail, text, sort, span, value))
    return items


def _base_models(span: Span) -> list[Completion]:
    reg = registry()
    items = [
        Completion(
            model.key,
            ItemKind.MODEL,
            summary(model),
            card(model, reg.source),
            f"0{order:03d}",
            span,
            model.key,
        )
        for order, model in enumerate(reg.models)
    ]
    items.append(
        Completion(
            "hf:",
            ItemKind.VALUE,
            "any Hugging Face model: hf:<org>/<name>",
            hf_card(),
            "1",
            span,
            HF_PREFIX,
            "hf:${1:org}/${0:name}",
        )
    )
    return items


# -- small helpers ------------------------------------------------------------------------


def new_ulid(now_ms: int | None = None) -> str:
    """A ULID: 48 bits of milliseconds since the epoch, then 80 random bits, in Crockford
    base32 (what `dlm init` writes as dlm_id)."""
    stamp = time.time_ns() // 1_000_000 if now_ms is None else now_ms
    value = (stamp << 80) | secrets.randbits(80)
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def _escape(text: str) -> str:
    """Literal text inside a snippet placeholder."""
    return text.replace("\\", "\\\\").replace("$", "\\$").replace("}", "\\}")


def _escape_choice(text: str) -> str:
    return _escape(text).replace(",", "\\,").replace("|", "\\|")
