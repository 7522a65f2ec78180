"""Reply parsing: every item ends up accepted or rejected with a reason."""

from __future__ import annotations

import json

import pytest
from dlm_synth_lsp.synth.replies import parse_reply

GOOD = [
    {"question": "What is BLAS?", "answer": "A linear algebra API."},
    {"question": "Q2?", "answer": "A2."},
]


def test_bare_list() -> None:
    r = parse_reply(json.dumps(GOOD))
    assert r.pairs == [("What is BLAS?", "A linear algebra API."), ("Q2?", "A2.")]
    assert r.rejected == [] and r.error is None


@pytest.mark.parametrize(
    "wrap",
    [
        "```json\n{}\n```",
        "```\n{}\n```",
        "```JSON {}```",
        "Sure! Here are the pairs:\n\n```json\n{}\n```\nHope this helps.",
        "Here you go: {}",
        "{} trailing words",
    ],
)
def test_fences_and_preambles(wrap: str) -> None:
    r = parse_reply(wrap.format(json.dumps(GOOD)))
    assert [q for q, _ in r.pairs] == ["What is BLAS?", "Q2?"]
    assert r.error is None


def test_object_holding_the_list() -> None:
    assert len(parse_reply(json.dumps({"pairs": GOOD})).pairs) == 2


def test_partly_invalid_keeps_the_good_items() -> None:
    items = [GOOD[0], "text", {"question": 3, "answer": "x"}, {"question": " ", "answer": "x"}, GOOD[1]]
    r = parse_reply(json.dumps(items))
    assert r.pairs == [("What is BLAS?", "A linear algebra API."), ("Q2?", "A2.")]
    reasons = [(x.index, x.reason) for x in r.rejected]
    assert reasons == [
        (1, "item 1 is not an object"),
        (2, "item 2 needs string fields question and answer"),
        (3, "item 3 has an empty question or answer"),
    ]


def test_cut_off_reply_keeps_complete_items() -> None:
    text = json.dumps(GOOD)[:-25]
    r = parse_reply(text)
    assert r.pairs == [("What is BLAS?", "A linear algebra API.")]
    assert r.error is None
    assert r.rejected[-1].index is None and "after item 1" in r.rejected[-1].reason


def test_every_valid_pair_is_returned_the_budget_is_the_pipelines() -> None:
    many = GOOD * 3
    r = parse_reply(json.dumps(many))
    assert len(r.pairs) == 6 and r.rejected == [] and r.error is None


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "the teacher returned an empty reply"),
        ("   \n", "the teacher returned an empty reply"),
        ("[]", "the teacher returned an empty list"),
        ("I cannot help with that.", "the reply contains no JSON list"),
        ("[{", "the reply is not valid JSON after item 0: Expecting property name enclosed in double quotes"),
        ('[{"question": "a", "answer": "b"}', "the JSON list is cut off (no closing `]`)"),
    ],
)
def test_whole_reply_errors(text: str, error: str) -> None:
    r = parse_reply(text)
    if r.pairs:
        assert r.rejected[-1].reason == error
    else:
        assert r.error == error


def test_extra_keys_ignored_and_newlines_kept() -> None:
    r = parse_reply('[{"question": "Q?", "answer": "line 1\\nline 2", "difficulty": 3}]')
    assert r.pairs == [("Q?", "line 1\nline 2")]


FENCED_ANSWER = [
    {
        "question": "How do I time a statement?",
        "answer": "Run:\n```python\nimport timeit\ntimeit.timeit('x=[1]')\n```\nthen read the result.",
    },
    {"question": "Is the list balanced?", "answer": "No: ``` opens a block that never closes"},
]


@pytest.mark.parametrize(
    "wrap",
    [
        "{}",
        "```json\n{}\n```",
        "Here it is:\n```\n{}\n```",
    ],
)
def test_code_fences_inside_json_strings(wrap: str) -> None:
    r = parse_reply(wrap.format(json.dumps(FENCED_ANSWER)))
    assert [q for q, _ in r.pairs] == ["How do I time a statement?", "Is the list balanced?"]
    assert "```python" in r.pairs[0][1]
    assert r.error is None and r.rejected == []


def test_the_list_in_a_second_fence_after_a_drift() -> None:
    text = (
        "Mark the passage with a unique identifier:\n\n```markdown\n# [Passage 1](#p1)\n"
        "Some [link](http://x) and a list [a, b]\n```\n\nAnd the pairs:\n\n```json\n"
        + json.dumps(GOOD)
        + "\n```"
    )
    r = parse_reply(text)
    assert [q for q, _ in r.pairs] == ["What is BLAS?", "Q2?"]
    assert r.error is None


def test_raw_line_breaks_inside_strings_are_read() -> None:
    # a real line break inside the string: invalid strict JSON, common in model output
    r = parse_reply('[{"question": "Q?", "answer": "line 1\nline 2"}]')
    assert r.pairs == [("Q?", "line 1\nline 2")]


def test_a_list_of_other_things_before_the_pairs_is_skipped() -> None:
    r = parse_reply("The flags are [1, 2, 3]. Pairs: " + json.dumps(GOOD))
    assert len(r.pairs) == 2 and r.error is None


def test_a_single_pair_object() -> None:
    r = parse_reply('Answer: {"question": "Q?", "answer": "A."}')
    assert r.pairs == [("Q?", "A.")]


def test_quotes_ride_along_with_their_pairs() -> None:
    """An extraction item's quote is kept beside its pair; an item without one (upstream's
    contract, a server without the schema) is still a pair, with no quote."""
    items = [
        {"quote": "  BLAS is an API. ", "question": "What is BLAS?", "answer": "An API."},
        {"question": "Q2?", "answer": "A2."},
        {"quote": "", "question": "Q3?", "answer": "A3."},
        {"quote": 7, "question": "Q4?", "answer": "A4."},
        {"quote": "Orphan.", "question": "", "answer": "A5."},
    ]
    r = parse_reply(json.dumps(items))
    assert r.pairs == [("What is BLAS?", "An API."), ("Q2?", "A2."), ("Q3?", "A3."), ("Q4?", "A4.")]
    assert r.quotes == ["BLAS is an API.", None, None, None]
    assert len(r.rejected) == 1
