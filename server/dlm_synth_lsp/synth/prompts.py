"""Prompt wording for the two strategies, and the per-section call budget.

The wording is this project's own; only the reply contract is shared with upstream:
a JSON list of `{"question": …, "answer": …}` objects, optionally in one ```json
fence (see `replies.py`). Extraction items also carry a `"quote"` first: the teacher
copies the sentence that holds the fact before writing the question and answer, which
anchors the pair in one place of the passage and gives the grounding check something
narrower than the whole passage to hold the answer to (bench/README.md, "Quote first").
"""

from __future__ import annotations

from typing import Literal

from .replies import EXTRACTION_SCHEMA, REPLY_SCHEMA
from .teachers.base import Prompt

Strategy = Literal["extraction", "expansion"]
StrategyChoice = Literal["extraction", "expansion", "both"]
STRATEGY_CHOICES: tuple[StrategyChoice, ...] = ("extraction", "expansion", "both")

_CONTRACT = (
    "Reply with JSON only: a list of objects, each with exactly two string fields, "
    '"question" and "answer". Example: [{"question": "...", "answer": "..."}]. '
    "No commentary before or after the list."
)

_QUOTED_CONTRACT = (
    'Reply with JSON only: a list of objects with the string fields "quote", "question" and '
    '"answer", in that order.'
)

_SYSTEM = {
    "extraction": (
        "You write training data for a small language model. From a passage you are given, "
        "you produce question/answer pairs whose answers are stated in the passage itself. "
        "For each pair: first copy, word for word, the one sentence of the passage that holds "
        'the fact ("quote"); then write a question that this sentence answers; the question '
        "must name what it is about (the program, function, option or term), never just "
        '"the function" or "this tool", so that it makes sense without the passage; then '
        "answer that question directly and briefly, using only what the quoted sentence says. "
        "Never add facts the passage does not contain. " + _QUOTED_CONTRACT
    ),
    "expansion": (
        "You write training data for a small language model. From a passage you are given, "
        "you produce the follow-up questions a curious, careful reader would ask next, with "
        "correct, self-contained answers that stay consistent with the passage and never "
        "contradict it. " + _CONTRACT
    ),
}

_TASK = {
    "extraction": "Write {n} question/answer pair{s}, {each} of this passage.",
    "expansion": (
        "Write {n} follow-up question/answer pair{s} that go beyond what this passage states "
        "while staying faithful to it. Each question must make sense without seeing the passage."
    ),
}


def budget(strategy: StrategyChoice, per_section: int) -> list[tuple[Strategy, int]]:
    """The teacher calls for one section: `both` splits N as ⌈N/2⌉ extraction then
    ⌊N/2⌋ expansion and skips an empty branch (upstream's split)."""
    if per_section < 1:
        raise ValueError(f"per_section must be >= 1, got {per_section}")
    if strategy == "both":
        calls: list[tuple[Strategy, int]] = [("extraction", (per_section + 1) // 2)]
        if per_section // 2:
            calls.append(("expansion", per_section // 2))
        return calls
    return [(strategy, per_section)]


def build_prompt(strategy: Strategy, n: int, prose: str) -> Prompt:
    """The prompt for one call; `prose` is the section's stripped text."""
    each = "about one fact" if n == 1 else "each about a different fact"
    task = _TASK[strategy].format(n=n, s="" if n == 1 else "s", each=each)
    user = f"{task}\n\nPassage:\n<<<\n{prose.strip()}\n>>>"
    schema = EXTRACTION_SCHEMA if strategy == "extraction" else REPLY_SCHEMA
    return Prompt(system=_SYSTEM[strategy], user=user, schema=schema)
