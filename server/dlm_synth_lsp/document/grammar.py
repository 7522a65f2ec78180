"""Instruction (`### Q`/`### A`) and preference (`### Prompt`/`### Chosen`/`### Rejected`)
body grammar.

Upstream's parser never checks these bodies; its trainer does, much later. Checking
them while the author types turns a failed training run into a squiggle. The rules
(headers compared after strip, bodies split with `str.splitlines`, not code-fence
aware) follow the trainer's, so our verdict is the trainer's verdict.
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


def _blank(line: str) -> bool:
    return not line.strip()


def parse_instruction(content: str) -> tuple[list[Item], GrammarError | None]:
    """Pairs up to the first error, and that error (None when the body is valid)."""
    lines = [Q if ln.strip() == PROBE_Q else ln for ln in content.splitlines()]
    items: list[Item] = []
    i, n = 0, len(lines)

    def body(start: int) -> tuple[str, int]:
        end = start
        while end < n and lines[end].strip() not in INSTRUCTION_HEADERS:
            end += 1
        return "\n".join(lines[start:end]).strip(), end

    while True:
        while i < n and _blank(lines[i]):
            i += 1
        if i >= n:
            break
        if lines[i].strip() != Q:
            return items, GrammarError(
                f"expected `{Q}` header alone on its line, got {lines[i]!r}", i + 1
            )
        header = i
        question, i = body(i + 1)
        if not question:
            return items, GrammarError(f"{Q} body is empty", header + 1)
        if i >= n:
            return items, GrammarError(f"{Q} without matching `{A}` at end of section", header + 1)
        if lines[i].strip() != A:
            return items, GrammarError(
                f"{Q} must be followed by `{A}` alone on its line, got {lines[i]!r}", i + 1
            )
        answer_header = i
        answer, i = body(i + 1)
        if not answer:
            return items, GrammarError(f"{A} body is empty", answer_header + 1)
        items.append(Item((question, answer), header + 1))
    if not items:
        return items, GrammarError(f"instruction block has no {Q} / {A} pairs", 1)
    return items, None


def parse_preference(content: str) -> tuple[list[Item], GrammarError | None]:
    lines = content.splitlines()
    items: list[Item] = []
    i, n = 0, len(lines)
    while True:
        while i < n and _blank(lines[i]):
            i += 1
        if i >= n:
            break
        first = i
        fields: list[str] = []
        for header in (PROMPT, CHOSEN, REJECTED):
            if i >= n:
                return items, GrammarError(f"expected `{header}` header, got end of section", n)
            if lines[i].strip() != header:
                return items, GrammarError(
                    f"expected `{header}` header alone on its line, got {lines[i]!r}", i + 1
                )
            header_line = i
            i += 1
            start = i
            while i < n and lines[i].strip() not in PREFERENCE_HEADERS:
                i += 1
            text = "\n".join(lines[start:i]).strip()
            if not text:
                return items, GrammarError(f"`{header}` body is empty", header_line + 1)
            fields.append(text)
        items.append(Item(tuple(fields), first + 1))
    if not items:
        return items, GrammarError(
            f"preference block has no {PROMPT} / {CHOSEN} / {REJECTED} triples", 1
        )
    return items, None
