"""The tokenizer's regex fast path for instruction/preference bodies may only ever say
"valid" where grammar.py says so too (otherwise it defers to grammar.py)."""

from __future__ import annotations

import os

from dlm_synth_lsp.document import grammar
from dlm_synth_lsp.document.model import SectionType
from dlm_synth_lsp.document.problems import Problem
from dlm_synth_lsp.document.tokenizer import _grammar_problem
from hypothesis import given, settings
from hypothesis import strategies as st

LINES = (
    "",
    " ",
    "\t",
    "\u3000",
    "### Q",
    "### A",
    " ### Q",
    "### Q ",
    "### Q !probe",
    "###  Q",
    "### Prompt",
    "### Chosen",
    "### Rejected",
    "### Rejected\u2028",
    "### Details",
    "text",
    "more text ",
    "  indented",
    "a\x0bb",
    "c\x1c### A",
    "d\u2028### Q",
    "e\x85",
    "\u2029",
    "\r",
    "x\r### A",
    "😀",
)

contents = st.lists(st.sampled_from(LINES), max_size=14).map("\n".join)


@settings(max_examples=int(os.environ.get("DLM_PROPERTY_EXAMPLES", "300")) * 5, deadline=None)
@given(contents, st.sampled_from([SectionType.INSTRUCTION, SectionType.PREFERENCE]))
def test_fast_path_agrees_with_grammar(content: str, kind: SectionType) -> None:
    problems: list[Problem] = []
    _grammar_problem(kind, content, 0, problems)
    parse = grammar.parse_instruction if kind is SectionType.INSTRUCTION else grammar.parse_preference
    _, error = parse(content)
    assert (error is None) == (not problems)


def test_fast_path_handles_large_bodies_quickly() -> None:
    body = "\n".join(["### Q", "question?", "", "### A", "answer " * 20, ""] * 2000)
    for tail in ("", "\n### Q", "\n### A\n### A"):
        problems: list[Problem] = []
        _grammar_problem(SectionType.INSTRUCTION, body + tail, 0, problems)
        assert bool(problems) == (grammar.parse_instruction(body + tail)[1] is not None)
