"""Problems: every one reported, each with its code, severity and exact range."""

from __future__ import annotations

from dlm_synth_lsp.document import Code, Severity, parse_text

FM = "---\ndlm_id: 01KPQ9X1000000000000000000\ndlm_version: 15\nbase_model: smollm2-135m\n---\n"
BODY_LINE = 6  # 0-based index of the first line after FM + blank line


def codes(text: str) -> list[tuple[str, int, int, int]]:
    return [
        (p.code.value, p.span.start.line, p.span.start.column, p.span.end.column)
        for p in parse_text(text).problems
    ]


def test_all_problems_reported_and_parsing_recovers() -> None:
    text = (
        FM
        + "\nProse.\n\n::instuction::\n### Q\nq\n### A\na\n\n"
        + '::instruction#Tone::\nnot a pair\n\n::widget path="x"::\n'
    )
    found = codes(text)
    assert ("DLM010", 8, 0, 14) in found  # misspelled fence, whole line
    assert ("DLM012", 14, 14, 18) in found  # the bad adapter name only
    assert ("DLM030", 15, 0, 10) in found  # grammar problem on the offending line
    assert ("DLM013", 17, 2, 8) in found  # unknown attribute fence type
    doc = parse_text(text)
    # the misspelling is recovered as the intended section type
    assert [s.type.value for s in doc.sections] == ["prose", "instruction", "instruction"]
    suggestion = next(p for p in doc.problems if p.code is Code.UNKNOWN_FENCE)
    assert suggestion.get("suggestion") == "::instruction::"
    assert doc.has_errors


def test_unterminated_code_points_at_the_backticks() -> None:
    text = FM + "\nIntro\n\n```python\nx = 1\n::instruction::\n"
    doc = parse_text(text)
    problem = next(p for p in doc.problems if p.code is Code.UNTERMINATED_CODE)
    assert (problem.span.start.line, problem.span.start.column, problem.span.end.column) == (8, 0, 9)
    assert [s.type.value for s in doc.sections] == ["prose"]


def test_marker_problem_points_at_the_bad_field() -> None:
    marker = (
        '<!-- dlm-auto-synth: synth_teacher="t" synth_strategy="extraction" '
        'synth_at="2026-01-01T00:00:00Z" source_section_id="NOT-HEX" -->'
    )
    text = FM + f"\nProse\n\n::instruction::\n{marker}\n### Q\nq\n### A\na\n"
    problem = next(p for p in parse_text(text).problems if p.code is Code.SYNTH_MARKER)
    assert problem.span.start.line == 9
    assert marker[problem.span.start.column : problem.span.end.column] == 'source_section_id="NOT-HEX"'
    assert problem.get("key") == "source_section_id"


STALE_MARKER = (
    '<!-- dlm-auto-synth: synth_teacher="t" synth_strategy="extraction" '
    'synth_at="2026-01-01T00:00:00Z" source_section_id="0123456789abcdef" -->'
)


def test_stale_provenance_is_a_warning_with_the_id() -> None:
    # no prose right before the synthesized section: its source is gone
    doc = parse_text(
        FM
        + "\nProse\n\n::instruction::\n### Q\nmine\n### A\nx\n\n"
        + f"::instruction::\n{STALE_MARKER}\n### Q\nq\n### A\na\n"
    )
    (problem,) = doc.problems
    assert problem.code is Code.STALE_PROVENANCE and problem.severity is Severity.WARNING
    row = problem.span.start.line
    assert doc.lines[row][problem.span.start.column : problem.span.end.column] == "0123456789abcdef"
    assert not doc.has_errors


def test_pairs_right_after_edited_prose_are_an_info_that_names_the_prose() -> None:
    doc = parse_text(FM + f"\nProse\n\n::instruction::\n{STALE_MARKER}\n### Q\nq\n### A\na\n")
    (problem,) = doc.problems
    assert problem.code is Code.SOURCE_EDITED and problem.severity is Severity.INFO
    prose = doc.sections[0]
    assert problem.get("relink_to") == prose.section_id and problem.get("run") == str(prose.start_line)
    assert doc.lines[9][problem.span.start.column : problem.span.end.column] == "0123456789abcdef"
    assert "may no longer match" in problem.message


def test_a_run_that_still_names_its_prose_means_the_stale_one_lost_its_source() -> None:
    text = (
        FM
        + f"\nProse\n\n::instruction::\n{STALE_MARKER.replace('0123456789abcdef', 'f' * 16)}\n"
        + "### Q\nq1\n### A\na1\n\n"
        + f"::instruction::\n{STALE_MARKER}\n### Q\nq2\n### A\na2\n"
    )
    prose_id = parse_text(text).sections[0].section_id  # markers are not content
    doc = parse_text(text.replace("f" * 16, prose_id))
    assert [p.code for p in doc.problems] == [Code.STALE_PROVENANCE]


def test_whitespace_around_fence_is_content_with_a_hint() -> None:
    doc = parse_text(FM + "\nProse\n::instruction:: \nmore prose\n")
    assert [s.type.value for s in doc.sections] == ["prose"]
    (problem,) = doc.problems
    assert problem.code is Code.FENCE_LIKE_CONTENT and problem.severity is Severity.INFO


def test_preference_grammar_problem() -> None:
    doc = parse_text(FM + "\n::preference::\n### Prompt\np\n### Chosen\nc\n")
    (problem,) = doc.problems
    assert problem.code is Code.PREFERENCE_GRAMMAR and problem.severity is Severity.WARNING
    assert "### Rejected" in problem.message
