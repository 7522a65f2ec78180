"""Reading a teacher's reply into question/answer pairs, honestly and leniently.

Upstream rejects the whole reply when any item is bad and refuses a preamble before
the JSON (spec 5.4). Models often add a sentence before the list, wrap it in a code
fence, or get cut off by the token limit, so here:

- the JSON list is taken from the first ```json (or bare ```) fence if there is one,
  else from the first `[` in the text (text before it is a preamble, text after the
  matching `]` is ignored); a top-level object holding exactly one list of objects
  (`{"pairs": [...]}`) is accepted too;
- items are decoded one at a time, so a reply cut off in the middle keeps every
  complete item before the cut;
- each bad item is rejected with its own reason and the good ones are kept;
- only the first `n` valid pairs are used; the rest are reported as over budget.

Nothing is silently dropped: every item ends up in `pairs` or in `rejected`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

#: the reply contract as a JSON schema, for teachers that can enforce one (a bare list
#: of objects, as upstream asks for, so a constrained and an unconstrained reply read
#: the same way)
REPLY_SCHEMA: dict[str, Any] = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "properties": {"question": {"type": "string"}, "answer": {"type": "string"}},
        "required": ["question", "answer"],
        "additionalProperties": False,
    },
}

_FENCE_RE = re.compile(r"```[ \t]*(?:json)?[ \t]*\n?(.*?)(?:```|\Z)", re.DOTALL | re.IGNORECASE)
_WS = " \t\r\n"


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
    rejected: list[RejectedItem] = field(default_factory=list)
    #: set when no list could be read at all
    error: str | None = None


def _payload(text: str) -> str:
    match = _FENCE_RE.search(text)
    return match.group(1) if match else text


def _decode_items(payload: str) -> tuple[list[Any], str | None]:
    """Items of the first JSON list in `payload`, decoded one by one; the second
    value says why decoding stopped early (None when the list was complete)."""
    decoder = json.JSONDecoder()
    start = payload.find("[")
    brace = payload.find("{")
    if brace != -1 and (start == -1 or brace < start):
        # maybe {"pairs": [...]}: accept an object whose only list value holds the items
        try:
            obj, _ = decoder.raw_decode(payload, brace)
        except json.JSONDecodeError:
            obj = None
        if isinstance(obj, dict):
            lists = [v for v in obj.values() if isinstance(v, list)]
            if len(lists) == 1:
                return lists[0], None
            if {"question", "answer"} <= obj.keys():
                return [obj], None
    if start == -1:
        return [], "the reply contains no JSON list"
    items: list[Any] = []
    pos = start + 1
    while True:
        while pos < len(payload) and payload[pos] in _WS + ",":
            pos += 1
        if pos >= len(payload):
            return items, "the JSON list is cut off (no closing `]`)"
        if payload[pos] == "]":
            return items, None
        try:
            item, pos = decoder.raw_decode(payload, pos)
        except json.JSONDecodeError as exc:
            return items, f"the reply is not valid JSON after item {len(items)}: {exc.msg}"
        items.append(item)


def _check(index: int, item: Any) -> tuple[str, str] | RejectedItem:
    if not isinstance(item, dict):
        return RejectedItem(index, f"item {index} is not an object")
    question, answer = item.get("question"), item.get("answer")
    if not isinstance(question, str) or not isinstance(answer, str):
        return RejectedItem(index, f"item {index} needs string fields question and answer")
    question, answer = question.strip(), answer.strip()
    if not question or not answer:
        return RejectedItem(index, f"item {index} has an empty question or answer", question, answer)
    return question, answer


def parse_reply(text: str, n: int) -> ParsedReply:
    """Pairs from reply `text` (at most `n`)."""
    result = ParsedReply()
    text = text.strip()
    if not text:
        result.error = "the teacher returned an empty reply"
        return result
    items, stopped = _decode_items(_payload(text))
    for index, item in enumerate(items):
        checked = _check(index, item)
        if isinstance(checked, RejectedItem):
            result.rejected.append(checked)
        elif len(result.pairs) >= n:
            result.rejected.append(
                RejectedItem(index, f"item {index} is beyond the {n} pair(s) requested", *checked)
            )
        else:
            result.pairs.append(checked)
    if stopped is not None:
        if items:
            result.rejected.append(RejectedItem(None, stopped))
        else:
            result.error = stopped
    elif not items:
        result.error = "the teacher returned an empty list"
    return result
