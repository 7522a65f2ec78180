"""Prompt wording for the two strategies, and the per-section call budget.

The wording is this project's own; only the reply contract is shared with upstream:
a JSON list of `{"question": …, "answer": …}` objects, optionally in one ```json
fence (see `replies.py`).
"""

from __future__ import annotations

from typing import Literal

from .replies import REPLY_SCHEMA
from .teachers.base import Prompt

Strategy = Literal["extraction", "expansion"]
StrategyChoice = Literal["extraction", "expansion", "both"]
STRATEGY_CHOICES: tuple[StrategyChoice, ...] = ("extraction", "expansion", "both")

_CONTRACT = (
    "Reply with JSON only: a list of objects, each with exactly two string fields, "
    '"question" and "answer": [{"question": "...", "answer": "..."}]. '
    "No commentary before or after the list."
)

# The rules answer the failures measured on a small local model (bench/quality/NOTES.md):
# questions that only make sense next to the passage ("the two standards mentioned in the
# passage"), answers that quote a neighbouring sentence instead of answering, fragments
# instead of sentences, whole paragraphs copied, and invented options and defaults.
SYSTEM_PROMPTS: dict[Strategy, str] = {
    "extraction": (
        "You write question/answer pairs that teach a small language model the facts in a "
        "passage of documentation.\n"
        "Rules for every pair:\n"
        "- The question asks about one specific fact that the passage states: what something "
        "does, a default or a limit, a condition, an option, a number, a consequence.\n"
        "- The question names what it is about (the program, function, option or setting), so "
        'that it can be understood without the passage. Never write "the passage", "the text" '
        'or "mentioned above".\n'
        "- The answer answers exactly that question, in one or two complete sentences, using "
        "only what the passage says. Numbers, options and names are copied exactly; nothing is "
        "added.\n"
        "- The pairs are about different facts, and no answer copies the whole passage.\n"
        + _CONTRACT
    ),
    "expansion": (
        "You write follow-up question/answer pairs that extend a passage of documentation, to "
        "teach a small language model.\n"
        "Rules for every pair:\n"
        "- The question is one a careful reader would ask next: why something works this way, "
        "when to use it, what happens in a related case, or how it compares with an "
        "alternative.\n"
        "- The question names what it is about, so that it can be understood without the "
        'passage. Never write "the passage", "the text" or "mentioned above".\n'
        "- The answer is two or three sentences of correct, general knowledge that agrees with "
        "the passage. Facts taken from the passage are stated exactly; no option, default, "
        "number or function is invented.\n"
        "- The pairs are about different points.\n"
        + _CONTRACT
    ),
}

_TASK = {
    "extraction": "Write {n} question/answer pair{s} about facts stated in this passage.",
    "expansion": (
        "Write {n} follow-up question/answer pair{s} that go beyond this passage while staying "
        "consistent with it."
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
    task = _TASK[strategy].format(n=n, s="" if n == 1 else "s")
    # the passage first and the task last: small models follow the instruction they read last
    user = f"Passage:\n<<<\n{prose.strip()}\n>>>\n\n{task}"
    return Prompt(system=SYSTEM_PROMPTS[strategy], user=user, schema=REPLY_SCHEMA)
