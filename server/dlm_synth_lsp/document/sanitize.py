"""Making teacher output safe to insert as one `### Q` / `### A` pair.

A generated question or answer is free text; pasted verbatim it can open a fence,
unbalance a code block or start a new pair (spec 8.8). `sanitize_pair` rewrites it
so that, placed under `### Q` / `### A` in an `::instruction::` section, both the
tokenizer and the trainer's grammar read back exactly the returned strings.

Rules, applied to the question and the answer separately, in this order:

1. **Line breaks.** CRLF, lone CR and every other break `str.splitlines()` knows
   (``\\v \\f \\x1c \\x1d \\x1e \\x85 \\u2028 \\u2029``) become LF, so the
   tokenizer (which splits on LF only) and the grammar (which uses `splitlines`)
   see the same lines.
2. **Characters that cannot be stored.** NUL is dropped (it makes git and editors
   treat the file as binary); lone surrogates, which cannot be written as UTF-8,
   become U+FFFD.
3. **Strip.** Surrounding whitespace is removed (the grammar strips bodies anyway).
   A pair whose question or answer is then empty is refused: the result is None.
4. **Blank lines are dropped.** Upstream's trainer (`dlm.data.instruction_parser`)
   ends a question or answer at the first whitespace-only line and then expects the
   next header, so a paragraph break, even inside a code block, would make training
   reject the section (this contradicts the spec's section 3, which says blank lines
   are kept; the upstream oracle decides). Paragraphs become consecutive lines.
5. **Structural lines are neutralised** by a one-character prefix; nothing else in
   the text changes:

   - a **fence line** (anything `fences.classify` recognises: bare, adapter or
     attribute `::...::` forms, valid or not) gets a leading space, so it no longer
     starts at column 0;
   - a **provenance marker line** (starting `<!-- dlm-auto-`) gets a leading space;
   - a **code-fence line** (starting with three backticks) that has no partner gets a
     leading space. Backtick lines pair up in order, as the tokenizer toggles on them,
     so only the last one of an odd count is touched and balanced code blocks stay
     intact;
   - a line whose `strip()` is a **grammar header** (`### Q`, `### A`,
     `### Q !probe`, `### Prompt`, `### Chosen`, `### Rejected`) gets a leading
     backslash (a markdown escape; it renders the same), because headers are
     recognised whatever their indentation.

   On the **first line** a leading space would be removed again by the grammar's
   strip, so there a backslash is used instead of a space (markdown renders
   ``\\::x::`` and a backslash before three backticks as the literal text).

The result is a fixed point: sanitising a sanitised pair returns it unchanged.
"""

from __future__ import annotations

import re

from .fences import CODE_FENCE_PREFIX, classify
from .grammar import ALL_HEADERS
from .marker import MARKER_HEAD
from .text import SPLITLINES_BREAKS

#: every line break `str.splitlines()` recognises, as LF
_BREAKS_RE = re.compile(f"\r\n|[{SPLITLINES_BREAKS}]")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def normalize_breaks(text: str) -> str:
    """Every `splitlines()` line break becomes LF."""
    return _BREAKS_RE.sub("\n", text)


def _unpaired_code_fence(lines: list[str]) -> int | None:
    """Index of the code-fence line left open at the end of `lines`, if any."""
    open_at: int | None = None
    for index, line in enumerate(lines):
        if line.startswith(CODE_FENCE_PREFIX):
            open_at = index if open_at is None else None
    return open_at


def _structural(line: str) -> bool:
    """A line that would end the text's section or start a marker if left alone."""
    return classify(line) is not None or line.startswith(MARKER_HEAD)


def sanitize_text(text: str) -> str:
    """One question or answer, made inert (empty string when nothing is left)."""
    text = normalize_breaks(text).replace("\x00", "")
    text = _SURROGATE_RE.sub("\ufffd", text).strip()
    if not text:
        return ""
    lines = [line for line in text.split("\n") if line.strip()]
    unpaired = _unpaired_code_fence(lines)
    for index, line in enumerate(lines):
        if line.strip() in ALL_HEADERS:
            lines[index] = "\\" + line
        elif _structural(line) or index == unpaired:
            lines[index] = ("\\" if index == 0 else " ") + line
    return "\n".join(lines)


def sanitize_pair(question: str, answer: str) -> tuple[str, str] | None:
    """The pair as it will be written and read back, or None when either side is empty."""
    q = sanitize_text(question)
    a = sanitize_text(answer)
    if not q or not a:
        return None
    return q, a
