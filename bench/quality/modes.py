"""`modes`: count the failure modes visible in raw replies and pairs, per group.

These are mechanical detectors (no labels needed) for the shapes a small model's replies
take when they go wrong; they guide prompt and parser work and are not quality labels (a
"number not in the passage" may be a correct derived figure). Each mode keeps a few
example references (document, call index) so a reader can look them up in the run file.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dlm_synth_lsp.synth.grounding import check_grounding
from dlm_synth_lsp.synth.replies import parse_reply
from rapidfuzz import fuzz

_FENCE = re.compile(r"```")
_JSON_FENCE = re.compile(r"```[ \t]*json", re.IGNORECASE)
_MARKDOWN = re.compile(r"^(#{1,6} |\*\*|[-*] |\d+\. )", re.MULTILINE)
_TEXT_REF = re.compile(
    r"\b(the|this) (passage|text|paragraph|section|document|excerpt|prose)\b", re.IGNORECASE
)
_SAYS_ABOUT = re.compile(
    r"\bwhat (does|do) (the|this) (passage|text|paragraph|section|document|prose) "
    r"(say|state|mention|tell|describe)|\bwhat is (the|this) (passage|text|paragraph) about\b",
    re.IGNORECASE,
)
_NUMBER_REASON = re.compile(r"^numbers? ")
_TRAILING_COMMA = re.compile(r"\}\s*,\s*\]")

CALL_MODES = (
    "preamble before the list",
    "text after the list",
    "markdown outside the JSON",
    "more than one code fence",
    "list in a second ```json fence",
    "no JSON list at all",
    "reply echoes the passage or the prompt's <<< >>> delimiters",
    "JSON breaks after a valid item (e.g. an unescaped quote)",
    "trailing comma before the closing ]",
    "the same question twice in one reply",
    "strict JSON parse fails (upstream's parser)",
    "cut off at the token limit",
    "fewer pairs than asked",
    "more pairs than asked",
    "object wrapper instead of a list",
)
PAIR_MODES = (
    "answer copies most of the passage",
    "answer is a long verbatim stretch of the passage",
    "answer adds no word beyond the question",
    "question refers to 'the passage/text'",
    "'what does the text say about' question",
    "question without a question mark",
    "code fence inside a question/answer",
    "number in the answer not in the passage",
    "answer longer than 80 words",
)


@dataclass
class ModeCounts:
    calls: int = 0
    pairs: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def hit(self, mode: str, where: str) -> None:
        self.counts[mode] += 1
        self.examples.setdefault(mode, [])
        if len(self.examples[mode]) < 3:
            self.examples[mode].append(where)


def _list_span(text: str) -> tuple[int, int] | None:
    """Start and end of the outermost JSON list (bracket matching, strings respected)."""
    start = text.find("[")
    if start < 0:
        return None
    depth, in_str, escape = 0, False, False
    for i in range(start, len(text)):
        ch = text[i]
        if in_str:
            if escape:
                escape = False
            elif ch == "\\":
                escape = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth == 0:
                return start, i + 1
    return None


def call_modes(call: Mapping[str, Any]) -> list[str]:
    text = str(call.get("raw_reply") or "").strip()
    if not text:
        return ["no JSON list at all"]
    modes: list[str] = []
    span = _list_span(text)
    brace = text.find("{")
    if span is None:
        modes.append("no JSON list at all")
    if brace != -1 and (span is None or brace < span[0]):
        modes.append("object wrapper instead of a list")
    if span is not None:
        before = _FENCE.sub("", text[: span[0]]).replace("json", "", 1).strip()
        after = _FENCE.sub("", text[span[1] :]).strip()
        if before:
            modes.append("preamble before the list")
        if after:
            modes.append("text after the list")
        outside = text[: span[0]] + "\n" + text[span[1] :]
        if _MARKDOWN.search(outside):
            modes.append("markdown outside the JSON")
    outside_list = text if span is None else text[: span[0]] + "\n" + text[span[1] :]
    prompt = str(call.get("user_prompt") or "")
    if (
        "<<<" in outside_list
        or ">>>" in outside_list
        or (len(outside_list) >= 200 and prompt and fuzz.partial_ratio(outside_list[:300], prompt) >= 85)
    ):
        modes.append("reply echoes the passage or the prompt's <<< >>> delimiters")
    if any("not valid JSON after item" in r for r in (call.get("ours_parse") or {}).get("rejected", [])):
        modes.append("JSON breaks after a valid item (e.g. an unescaped quote)")
    questions = [" ".join(q.casefold().split()) for q, _ in parse_reply(text).pairs]
    if len(set(questions)) < len(questions):
        modes.append("the same question twice in one reply")
    if _TRAILING_COMMA.search(text):
        modes.append("trailing comma before the closing ]")
    fences = len(_FENCE.findall(text))
    if fences > 2:
        modes.append("more than one code fence")
    json_fences = [m.start() for m in _JSON_FENCE.finditer(text)]
    if len(json_fences) >= 2 or (json_fences and span is not None and span[0] < json_fences[0]):
        modes.append("list in a second ```json fence")
    up = call.get("upstream_parse") or {}
    if not up.get("ok"):
        modes.append("strict JSON parse fails (upstream's parser)")
    if call.get("finish_reason") == "length":
        modes.append("cut off at the token limit")
    valid = int((call.get("ours_parse") or {}).get("valid", 0))
    if valid < int(call["n"]):
        modes.append("fewer pairs than asked")
    if valid > int(call["n"]):
        modes.append("more pairs than asked")
    return modes


def pair_modes(pair: Mapping[str, Any]) -> list[str]:
    question, answer, source = str(pair["question"]), str(pair["answer"]), str(pair["source_text"])
    modes: list[str] = []
    answer_words = len(answer.split())
    lifted = fuzz.partial_ratio(answer, source)
    if answer_words >= 0.5 * len(source.split()) and lifted >= 85:
        modes.append("answer copies most of the passage")
    elif answer_words >= 25 and lifted >= 95:
        modes.append("answer is a long verbatim stretch of the passage")
    # every content word of the answer is already in the question: it adds nothing
    if answer.strip() and check_grounding("", answer, question, "extraction", threshold=1.0).ok:
        modes.append("answer adds no word beyond the question")
    if _TEXT_REF.search(question):
        modes.append("question refers to 'the passage/text'")
    if _SAYS_ABOUT.search(question):
        modes.append("'what does the text say about' question")
    if "?" not in question:
        modes.append("question without a question mark")
    if "```" in question or "```" in answer:
        modes.append("code fence inside a question/answer")
    verdict = check_grounding(question, answer, source, "extraction")
    if verdict.reason and _NUMBER_REASON.match(verdict.reason):
        modes.append("number in the answer not in the passage")
    if answer_words > 80:
        modes.append("answer longer than 80 words")
    return modes


def count_modes(records: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str, str], ModeCounts]:
    groups: dict[tuple[str, str, str], ModeCounts] = {}
    for record in records:
        kind = record.get("kind")
        if kind not in ("call", "pair"):
            continue
        key = (str(record["system"]), str(record["model"]), str(record["strategy"]))
        g = groups.setdefault(key, ModeCounts())
        where = f"{record['document']}#{record['call_index']}"
        if kind == "call":
            if record.get("raw_reply") is None:
                continue
            g.calls += 1
            for mode in call_modes(record):
                g.hit(mode, where)
        else:
            g.pairs += 1
            for mode in pair_modes(record):
                g.hit(mode, where)
    return groups


def modes_table(groups: Mapping[tuple[str, str, str], ModeCounts]) -> str:
    keys = list(groups)
    head = "| mode | " + " | ".join(f"{s} · {m} · {st}" for s, m, st in keys) + " |"
    rows = [head, "|---" * (len(keys) + 1) + "|"]
    rows.append("| replies | " + " | ".join(str(groups[k].calls) for k in keys) + " |")
    for mode in CALL_MODES:
        rows.append(f"| {mode} | " + " | ".join(str(groups[k].counts[mode]) for k in keys) + " |")
    rows.append("| pairs (all, extras included) | " + " | ".join(str(groups[k].pairs) for k in keys) + " |")
    for mode in PAIR_MODES:
        rows.append(f"| {mode} | " + " | ".join(str(groups[k].counts[mode]) for k in keys) + " |")
    return "\n".join(rows)
