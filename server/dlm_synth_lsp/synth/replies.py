"""Reading a teacher's reply into question/answer pairs, honestly and leniently.

Upstream rejects the whole reply when any item is bad and refuses a preamble before
the JSON (spec 5.4). Small models wrap the list in a code fence, open with a sentence
or a stray markdown block, put the list in a second fence, write raw line breaks or
```-fenced code inside JSON strings, or get cut off by the token limit, so here:

- the reply is searched for the JSON itself, not for fences: the first list that
  decodes completely and holds objects is used (or an object holding exactly one such
  list, `{"pairs": [...]}`, or a single `{"question", "answer"}` object); fences,
  preambles and trailing text are simply what surrounds it, so backticks inside a
  string never confuse the search;
- strings may contain raw control characters (a line break inside an answer);
- a list that starts but never ends is decoded item by item, so a reply cut off in
  the middle keeps every complete item before the cut;
- each bad item is rejected with its own reason and the good ones are kept;
- every valid pair is returned, also beyond the number requested: the pipeline uses
  the extras as candidates when earlier pairs are filtered out;
- an item's `quote` (the passage sentence an extraction answer is taken from, asked for
  by `EXTRACTION_SCHEMA`) is kept beside its pair for the grounding check; an item
  without one is still a pair (upstream's contract has no quote).

Nothing is silently dropped: every item ends up in `pairs` or in `rejected`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


def _list_of_strings(*fields: str) -> dict[str, Any]:
    """A non-empty JSON list of objects with exactly these string fields, in this order
    (a grammar or a provider generates them in schema order)."""
    return {
        "type": "array",
        "minItems": 1,
        "items": {
            "type": "object",
            "properties": {name: {"type": "string"} for name in fields},
            "required": list(fields),
            "additionalProperties": False,
        },
    }


#: the reply contract as a JSON schema, for teachers that can enforce one (a bare list
#: of objects, as upstream asks for, so a constrained and an unconstrained reply read
#: the same way)
REPLY_SCHEMA: dict[str, Any] = _list_of_strings("question", "answer")

#: extraction replies quote their evidence first: copying the sentence before writing
#: the question anchors both in one place of the passage, and the grounding check can
#: hold the answer to that sentence instead of to the whole passage (bench/README.md,
#: "Quote first")
EXTRACTION_SCHEMA: dict[str, Any] = _list_of_strings("quote", "question", "answer")

_WS = " \t\r\n"
_DECODER = json.JSONDecoder(strict=False)


@dataclass(frozen=True, slots=True)
class RejectedItem:
    """`index` is the item's 0-based position in the reply's list (None when the
    problem concerns the reply as a whole)."""

    index: int | None
    reason: str
    question: str | None = None
    answer: str | None = None


@dataclass(slots=True)
class ParsedReply:
    pairs: list[tuple[str, str]] = field(default_factory=list)
    #: one per pair: the item's non-empty `quote`, else None
    quotes: list[str | None] = field(default_factory=list)
    rejected: list[RejectedItem] = field(default_factory=list)
    #: set when no list could be read at all
    error: str | None = None


def _starts(text: str) -> Iterator[int]:
    """Positions where a JSON list or object could start, in order."""
    for pos, char in enumerate(text):
        if char in "[{":
            yield pos


def _items_of(value: Any) -> list[Any] | None:
    """The pair items `value` holds, if it is shaped like a reply."""
    if isinstance(value, list):
        return value if any(isinstance(item, dict) for item in value) else None
    if isinstance(value, dict):
        if {"question", "answer"} <= value.keys():
            return [value]
        lists = [v for v in value.values() if isinstance(v, list)]
        if len(lists) == 1 and any(isinstance(item, dict) for item in lists[0]):
            return lists[0]
    return None


def _partial_list(text: str, start: int) -> tuple[list[Any], str]:
    """Items of a list at `start` that does not decode as a whole, one by one,
    with the reason decoding stopped."""
    items: list[Any] = []
    pos = start + 1
    while True:
        while pos < len(text) and text[pos] in _WS + ",":
            pos += 1
        if pos >= len(text):
            return items, "the JSON list is cut off (no closing `]`)"
        try:
            item, pos = _DECODER.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            return items, f"the reply is not valid JSON after item {len(items)}: {exc.msg}"
        items.append(item)


def _find_items(text: str) -> tuple[list[Any], str | None]:
    """The reply's items and, when the list was incomplete, why decoding stopped."""
    empty = False
    first_failure: str | None = None
    for pos in _starts(text):
        try:
            value, _ = _DECODER.raw_decode(text, pos)
        except json.JSONDecodeError:
            if text[pos] == "[":
                items, stopped = _partial_list(text, pos)
                if any(isinstance(item, dict) for item in items):
                    return items, stopped
                first_failure = first_failure or stopped
            continue
        if value == []:
            empty = True
            continue
        items_or_none = _items_of(value)
        if items_or_none is not None:
            return items_or_none, None
    if first_failure is not None and not empty:
        return [], first_failure
    return [], "the teacher returned an empty list" if empty else "the reply contains no JSON list"


def _check(index: int, item: Any) -> tuple[str, str, str | None] | RejectedItem:
    if not isinstance(item, dict):
        return RejectedItem(index, f"item {index} is not an object")
    question, answer = item.get("question"), item.get("answer")
    if not isinstance(question, str) or not isinstance(answer, str):
        return RejectedItem(index, f"item {index} needs string fields question and answer")
    question, answer = question.strip(), answer.strip()
    if not question or not answer:
        return RejectedItem(index, f"item {index} has an empty question or answer", question, answer)
    quote = item.get("quote")
    return question, answer, (quote.strip() or None) if isinstance(quote, str) else None


def parse_reply(text: str) -> ParsedReply:
    """Every pair in reply `text`, in order, and every item that is not one."""
    result = ParsedReply()
    text = text.strip()
    if not text:
        result.error = "the teacher returned an empty reply"
        return result
    items, stopped = _find_items(text)
    for index, item in enumerate(items):
        checked = _check(index, item)
        if isinstance(checked, RejectedItem):
            result.rejected.append(checked)
        else:
            result.pairs.append(checked[:2])
            result.quotes.append(checked[2])
    if not items:
        result.error = stopped
    elif stopped is not None:
        result.rejected.append(RejectedItem(None, stopped))
    return result
