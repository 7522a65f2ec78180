"""The failure-mode detectors of the quality benchmark, on hand-written replies."""

from __future__ import annotations

from typing import Any

from bench.quality.modes import call_modes, count_modes, modes_table, pair_modes

PASSAGE = (
    "bzip2 compresses files in blocks, usually 900 kbytes long. Each block is handled independently. "
    "If a media or transmission error causes a multi-block .bz2 file to become damaged, it may be "
    "possible to recover data from the undamaged blocks in the file."
)
GOOD = '[{"question": "How long are bzip2 blocks usually?", "answer": "900 kbytes."}]'


def call(
    reply: str, *, n: int = 1, valid: int = 1, strict: bool = True, finish: str = "stop"
) -> dict[str, Any]:
    return {
        "kind": "call", "system": "ours", "model": "m", "strategy": "extraction", "document": "d",
        "call_index": 0, "n": n, "raw_reply": reply, "finish_reason": finish,
        "ours_parse": {"valid": valid}, "upstream_parse": {"ok": strict},
    }  # fmt: skip


def pair(question: str, answer: str) -> dict[str, Any]:
    return {
        "kind": "pair", "system": "ours", "model": "m", "strategy": "extraction", "document": "d",
        "call_index": 0, "question": question, "answer": answer, "source_text": PASSAGE,
    }  # fmt: skip


def test_a_clean_reply_has_no_call_mode() -> None:
    assert call_modes(call(GOOD)) == []
    assert call_modes(call(f"```json\n{GOOD}\n```")) == []


def test_drift_into_markdown_and_a_second_fence() -> None:
    reply = (
        "### Mark the passage\n\n1. **Identify** the topic\n\n```json\n[]\n```\n\n"
        f"Here is the list:\n```json\n{GOOD}\n```"
    )
    modes = call_modes(call(reply, strict=False))
    assert "preamble before the list" in modes
    assert "markdown outside the JSON" in modes
    assert "more than one code fence" in modes
    assert "list in a second ```json fence" in modes
    assert "strict JSON parse fails (upstream's parser)" in modes


def test_echo_of_the_passage_and_a_list_broken_after_an_item() -> None:
    echo = call("Mark the passage with numbers:\n1. <<<\n2. bzip2 compresses files\n3. >>>", valid=0)
    assert "reply echoes the passage or the prompt's <<< >>> delimiters" in call_modes(echo)
    broken = call(GOOD[:-1] + ', {"question": "q", "answer": "say "hi""}]')
    broken["ours_parse"]["rejected"] = ["the reply is not valid JSON after item 1: Expecting ',' delimiter"]
    assert "JSON breaks after a valid item (e.g. an unescaped quote)" in call_modes(broken)


def test_a_question_repeated_in_one_reply() -> None:
    twice = GOOD[:-1] + ", " + GOOD[1:-1] + "]"
    assert "the same question twice in one reply" in call_modes(call(twice, valid=2))
    assert "the same question twice in one reply" not in call_modes(call(GOOD))


def test_counts_cut_off_object_wrapper_and_list_lengths() -> None:
    assert "cut off at the token limit" in call_modes(call('[{"question": "q', valid=0, finish="length"))
    assert "object wrapper instead of a list" in call_modes(call('{"pairs": ' + GOOD + "}"))
    assert "trailing comma before the closing ]" in call_modes(call(GOOD[:-1] + ",\n]", strict=False))
    assert "no JSON list at all" in call_modes(call("I cannot help with that.", valid=0))
    assert "more pairs than asked" in call_modes(call(GOOD, n=1, valid=4))
    assert "fewer pairs than asked" in call_modes(call(GOOD, n=3, valid=1))


def test_pair_modes() -> None:
    assert pair_modes(pair("How long are bzip2 blocks usually?", "900 kbytes.")) == []
    copy = pair_modes(pair("What does the passage say about bzip2?", PASSAGE))
    assert {"answer copies most of the passage", "question refers to 'the passage/text'",
            "'what does the text say about' question"} <= set(copy)  # fmt: skip
    restated = pair_modes(pair("What is a bzip2 block?", "A bzip2 block."))
    assert "answer adds no word beyond the question" in restated
    assert "number in the answer not in the passage" in pair_modes(pair("How long?", "About 64 kbytes."))
    assert "question without a question mark" in pair_modes(pair("Block length", "900 kbytes."))
    assert "code fence inside a question/answer" in pair_modes(pair("How?", "```\nbzip2 -d\n```"))


def test_count_modes_groups_and_table() -> None:
    groups = count_modes([call(GOOD), call("no list", valid=0), pair("Block length", "900 kbytes.")])
    (g,) = groups.values()
    assert (g.calls, g.pairs) == (2, 1)
    assert g.counts["no JSON list at all"] == 1 and g.examples["no JSON list at all"] == ["d#0"]
    table = modes_table(groups)
    assert "| question without a question mark | 1 |" in table
