"""Our instruction/preference body grammar against the upstream trainer's parsers."""

from __future__ import annotations

import pytest
from dlm_synth_lsp.document import grammar
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.compat.oracle import Oracle

pytestmark = pytest.mark.oracle

LINES = st.sampled_from(
    ["### Q", "### A", "### Prompt", "### Chosen", "### Rejected", " ### Q ", "###Q", "### Q !probe",
     "", "  ", "\t", "text", "more text", "  ### A", "### Q what?", "```", "x\u2028### A", "a\x0bb"]
) | st.text(max_size=6)


def ours(kind: str, content: str) -> dict[str, object]:
    parse = grammar.parse_instruction if kind == "instruction" else grammar.parse_preference
    items, error = parse(content)
    if error is not None:
        return {"error": True, "message": error.message}
    return {"error": False, "items": [list(i.fields) for i in items]}


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(LINES, max_size=14), st.sampled_from(["instruction", "preference"]))
def test_grammar_matches_upstream_trainer(oracle: Oracle, lines: list[str], kind: str) -> None:
    content = "\n".join(lines)
    assert ours(kind, content) == oracle.grammar(kind, content)


@pytest.mark.parametrize(
    ("kind", "content"),
    [
        ("instruction", "### Q\nq\n### A\nyes\n\nreally"),  # a blank line ends the answer
        ("instruction", "### Q\nq\n\n### A\na\n\n\n### Q\nq2\n### A\na2"),
        ("instruction", "### Q\nq\n\n\n### A\na"),
        ("preference", "### Prompt\np\n\n\n### Chosen\nc\n### Rejected\nr"),
        ("preference", "### Prompt\np\n### Chosen\nc\n\n"),
        ("instruction", ""),
        ("instruction", ": "),  # the message quotes a line holding ": "
        ("preference", "### Prompt\nkey: value\n### Chosen: c"),
        ("preference", "\n\n"),
    ],
)
def test_pinned_cases(oracle: Oracle, kind: str, content: str) -> None:
    assert ours(kind, content) == oracle.grammar(kind, content)
