"""The trainer's body grammar, and the tokenizer's fast path agreeing with it."""

from __future__ import annotations

from dlm_synth_lsp.document import grammar
from dlm_synth_lsp.document.model import SectionType
from dlm_synth_lsp.document.problems import Problem
from dlm_synth_lsp.document.tokenizer import _grammar_problem
from hypothesis import given, settings
from hypothesis import strategies as st

LINES = st.sampled_from(
    [
        "### Q",
        "### A",
        "### Prompt",
        "### Chosen",
        "### Rejected",
        " ### Q ",
        "###Q",
        "### Q !probe",
        "",
        "  ",
        "text",
        "  ### A",
        "a ### Q",
        "x\u2028### A",
        "```",
        "### Q what?",
    ]
) | st.text(max_size=8)


@settings(max_examples=1500, deadline=None)
@given(st.lists(LINES, max_size=12), st.sampled_from([SectionType.INSTRUCTION, SectionType.PREFERENCE]))
def test_fast_path_agrees_with_grammar(lines: list[str], kind: SectionType) -> None:
    content = "\n".join(lines)
    found: list[Problem] = []
    _grammar_problem(kind, content, 0, found)
    parse = grammar.parse_instruction if kind is SectionType.INSTRUCTION else grammar.parse_preference
    _, error = parse(content)
    assert bool(found) == (error is not None)


def test_instruction_pairs_and_errors() -> None:
    items, error = grammar.parse_instruction(
        "### Q\nWhat?\n\n### A\nThis.\n\n### Q !probe\nWhy?\n### A\nBecause."
    )
    assert error is None and [i.fields for i in items] == [("What?", "This."), ("Why?", "Because.")]
    _, error = grammar.parse_instruction("### Q\nq\n### A\n")
    assert error is not None and error.message == "### A body is empty" and error.line == 3
    _, error = grammar.parse_instruction("### Q\nq")
    assert error is not None and "without matching" in error.message


def test_preference_triples() -> None:
    items, error = grammar.parse_preference("### Prompt\np\n### Chosen\nc\n### Rejected\nr\n")
    assert error is None and items[0].fields == ("p", "c", "r")
    _, error = grammar.parse_preference("")
    assert error is not None and "no ### Prompt" in error.message
