"""Instruction (`### Q`/`### A`) and preference (`### Prompt`/`### Chosen`/`### Rejected`)
body grammar.

Upstream's parser never checks these bodies; its trainer does, much later. Checking
them while the author types turns a failed training run into a squiggle. The rules
follow the trainer's, so our verdict is the trainer's verdict: bodies are split with
`str.splitlines`, headers compared after strip, nothing is code-fence aware, and a
field body ends at its first blank line (which it consumes) or at a header. So a
blank line *inside* a question or answer ends it, and the next line must then be a
header; blank lines are free only between pairs (or triples).
"""

from __future__ import annotations

from dataclasses import dataclass

Q, A = "### Q", "### A"
PROMPT, CHOSEN, REJECTED = "### Prompt", "### Chosen", "### Rejected"
PROBE_Q = "### Q !probe"
INSTRUCTION_HEADERS = frozenset({Q, A})
PREFERENCE_HEADERS = frozenset({PROMPT, CHOSEN, REJECTED})
#: Every line (after strip) that either grammar treats as structure.
ALL_HEADERS = INSTRUCTION_HEADERS | PREFERENCE_HEADERS | {PROBE_Q}


@dataclass(frozen=True, slots=True)
class Item:
    """A parsed pair or triple; `line` is the 1-based content line of its first header."""

    fields: tuple[str, ...]
    line: int


@dataclass(frozen=True, slots=True)
class GrammarError:
    message: str
    line: int  # 1-based within the content, as split by splitlines()


class _Cursor:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.at = 0

    def peek(self) -> str | None:
        return self.lines[self.at] if self.at < len(self.lines) else None

    def skip_blank(self) -> None:
        while self.at < len(self.lines) and not self.lines[self.at].strip():
            self.at += 1

    def field_body(self, headers: frozenset[str]) -> str:
        """Lines up to a header or the first blank line (consumed)."""
        start = self.at
        while self.at < len(self.lines):
            line = self.lines[self.at]
            if not line.strip():
                body = "\n".join(self.lines[start : self.at]).strip()
                self.at += 1
                return body
            if line.strip() in headers:
                break
            self.at += 1
        return "\n".join(self.lines[start : self.at]).strip()


def _items(
    content: str, order: tuple[str, ...], headers: frozenset[str], lines: list[str] | None = None
) -> tuple[list[Item], GrammarError | None]:
    cursor = _Cursor(lines if lines is not None else content.splitlines())
    items: list[Item] = []
    cursor.skip_blank()
    while cursor.peek() is not None:
        first = cursor.at
        fields: list[str] = []
        for position, header in enumerate(order):
            line = cursor.peek()
            if line is None:
                if order == (Q, A):
                    return items, GrammarError(f"{Q} without matching `{A}` at end of section", first + 1)
                return items, GrammarError(f"expected `{header}` header, got end of section", cursor.at)
            if line.strip() != header:
                if order == (Q, A) and position == 1:
                    message = f"{Q} must be followed by `{A}` alone on its line, got {line!r}"
                else:
                    message = f"expected `{header}` header alone on its line, got {line!r}"
                return items, GrammarError(message, cursor.at + 1)
            header_line = cursor.at
            cursor.at += 1
            text = cursor.field_body(headers)
            if not text:
                name = header if order == (Q, A) else f"`{header}`"
                return items, GrammarError(f"{name} body is empty", header_line + 1)
            fields.append(text)
        items.append(Item(tuple(fields), first + 1))
        cursor.skip_blank()
    return items, None


def parse_instruction(content: str) -> tuple[list[Item], GrammarError | None]:
    """Pairs up to the first error, and that error (None when the body is valid)."""
    lines = [Q if line.strip() == PROBE_Q else line for line in content.splitlines()]
    items, error = _items(content, (Q, A), INSTRUCTION_HEADERS, lines)
    if error is None and not items:
        error = GrammarError(f"instruction block has no {Q} / {A} pairs", 1)
    return items, error


def parse_preference(content: str) -> tuple[list[Item], GrammarError | None]:
    items, error = _items(content, (PROMPT, CHOSEN, REJECTED), PREFERENCE_HEADERS)
    if error is None and not items:
        error = GrammarError(f"preference block has no {PROMPT} / {CHOSEN} / {REJECTED} triples", 1)
    return items, error
