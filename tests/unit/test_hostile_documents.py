"""Hostile documents: the core reports a problem and keeps following the text.

Issue 14 items 0, 12 and 13. A frontmatter nested hundreds of levels deep made PyYAML
raise RecursionError out of the parser, so the server kept a stale copy of the
document; and a frontmatter with many unknown keys cost quadratic time.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from dlm_synth_lsp.document import Code, parse_text
from dlm_synth_lsp.document import document as document_module
from dlm_synth_lsp.document.document import TextChange
from dlm_synth_lsp.document.frontmatter import MAX_DEPTH
from dlm_synth_lsp.document.text import PositionEncoding, chars_to_units
from dlm_synth_lsp.lsp import features
from lsprotocol import types as lsp

FM = "---\ndlm_id: 01KPQ9X1000000000000000000\nbase_model: smollm2-135m\n---\n"
BODY = "\n# Intro\nSome prose.\n\n::instruction::\n### Q\nq?\n### A\na.\n"
FLOW_600 = "deep: " + "[" * 600 + "]" * 600
BLOCK_5000 = "".join("  " * level + f"k{level}:\n" for level in range(5000)).rstrip("\n")


def _with_frontmatter_line(line: str) -> str:
    return FM.replace("---\n", "---\n" + line + "\n", 1) + BODY


@pytest.mark.parametrize("line", [FLOW_600, BLOCK_5000], ids=["flow-600", "block-5000"])
def test_deep_nesting_is_a_yaml_problem_and_the_body_still_parses(line: str) -> None:
    doc = parse_text(_with_frontmatter_line(line))
    (problem,) = [p for p in doc.problems if p.code is Code.YAML_SYNTAX]
    assert f"nested more than {MAX_DEPTH} levels deep" in problem.message
    # the problem is where the nesting goes too deep, inside the frontmatter
    assert 1 <= problem.span.start.line < doc.frontmatter.closer  # type: ignore[operator]
    assert [s.type.value for s in doc.sections] == ["prose", "instruction"]


def test_nesting_within_the_limit_is_read() -> None:
    ok = parse_text(_with_frontmatter_line("deep: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)))
    assert [p.code for p in ok.problems] == [Code.SCHEMA_UNKNOWN_KEY]


def test_an_edit_that_nests_too_deep_is_followed_and_so_are_the_next_ones() -> None:
    """The issue's item 0 in the core: the edit that breaks the frontmatter and every
    edit after it land on the text the editor has."""
    text = FM + BODY
    doc = parse_text(text)
    steps = [
        ((1, 0, 1, 0), FLOW_600 + "\n"),  # the frontmatter now nests 600 levels
        ((7, 0, 7, 0), "More prose.\n"),  # typing in the body meanwhile
        ((1, 0, 2, 0), ""),  # the deep line removed again
        ((0, 0, 0, 0), ""),
    ]
    for rng, new in steps:
        doc = doc.apply(TextChange(new, rng), PositionEncoding.UTF16)
        text = parse_text(text).apply(TextChange(new, rng), PositionEncoding.UTF16).source_text
        assert doc.source_text == text
        assert doc.sections == parse_text(text).sections
    assert not doc.has_errors
    assert "More prose." in doc.sections[0].content


def test_a_parser_failure_keeps_the_text_and_reports_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fault injection: whatever a future parser bug raises, the document keeps the
    editor's text (with a DLM090 problem) and recovers on the next edit that parses."""
    doc = parse_text(FM + BODY)
    real_scan = document_module.scan

    def broken_scan(*args: object, **kwargs: object) -> object:
        raise IndexError("a parser bug")

    monkeypatch.setattr(document_module, "scan", broken_scan)
    broken = doc.apply(TextChange("x", (6, 0, 6, 0)), PositionEncoding.UTF16)
    expected = (FM + BODY).replace("Some prose.", "xSome prose.")
    assert broken.source_text == expected
    assert [p.code for p in broken.problems] == [Code.PARSE_FAILED]
    assert broken.sections == ()
    more = broken.apply(TextChange("y", (6, 0, 6, 0)), PositionEncoding.UTF16)
    assert more.source_text == expected.replace("xSome", "yxSome")
    monkeypatch.setattr(document_module, "scan", real_scan)
    healed = more.apply(TextChange("", (6, 0, 6, 1)), PositionEncoding.UTF16)
    assert healed.source_text == expected.replace("xSome", "xSome")
    assert healed.sections == parse_text(healed.source_text).sections
    assert not healed.problems


@pytest.mark.parametrize("command", ["check", "sections"])
def test_cli_reports_deep_nesting_without_a_traceback(tmp_path: Path, command: str) -> None:
    path = tmp_path / "deep.dlm"
    path.write_text(_with_frontmatter_line(FLOW_600))
    result = subprocess.run(
        [sys.executable, "-m", "dlm_synth_lsp", command, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "Traceback" not in result.stderr and "RecursionError" not in result.stderr
    assert result.returncode == 1  # a document with errors
    assert "nested more than 100 levels deep" in result.stdout


def _many_keys(count: int) -> str:
    keys = "".join(f"key_{index}: {index}\n" for index in range(count))
    return FM.replace("---\n", "---\n" + keys, 1) + BODY


def _calls_to_check(count: int) -> int:
    """Python and builtin calls made while parsing a frontmatter with `count` unknown
    keys: a deterministic stand-in for time (speed itself is measured in bench/)."""
    text = _many_keys(count)
    calls = 0

    def profile(frame: object, event: str, arg: object) -> None:
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    sys.setprofile(profile)
    try:
        problems = parse_text(text).problems
    finally:
        sys.setprofile(None)
    assert [p.span.start.line for p in problems] == list(range(1, count + 1))
    return calls


def test_checking_many_unknown_keys_is_linear() -> None:
    """Ten times the keys cost about ten times the work (quadratic was ~100x: every
    problem's location scanned every key)."""
    parse_text(_many_keys(10))  # first-use imports are not part of the count
    small, large = _calls_to_check(200), _calls_to_check(2000)
    assert large < 12 * small, (small, large)


def _python_calls(action: Callable[[], object]) -> int:
    """Python-level function calls made by `action` (builtins such as str.encode are
    not counted: they run at C speed)."""
    calls = 0

    def profile(frame: object, event: str, arg: object) -> None:
        nonlocal calls
        if event == "call":
            calls += 1

    sys.setprofile(profile)
    try:
        action()
    finally:
        sys.setprofile(None)
    return calls


@pytest.mark.parametrize("encoding", [PositionEncoding.UTF16, PositionEncoding.UTF8])
def test_a_keystroke_in_a_long_line_does_no_work_per_character(encoding: PositionEncoding) -> None:
    """Issue 14, item 13: a 10 MB line made every keystroke (edit + hover) cost
    seconds, columns being converted one character at a time in Python. The Python
    work of a keystroke must not grow with the line (C-speed copies and hashing of
    the line remain)."""

    def keystroke_calls(length: int) -> int:
        line = "wörd 😀 " * (length // 8)
        doc = parse_text(FM + "\n# Title\n" + line + "\n")
        row = doc.lines.index(line)
        column = chars_to_units(line, len(line) // 2, encoding)

        def keystroke() -> None:
            typed = doc.apply(TextChange("x", (row, column, row, column)), encoding)
            assert typed.lines[row] == line[: len(line) // 2] + "x" + line[len(line) // 2 :]
            features.hover(typed, lsp.Position(line=row, character=column), encoding)
            assert not typed.has_errors

        return _python_calls(keystroke)

    short, long = keystroke_calls(8_000), keystroke_calls(800_000)
    assert long <= short + 50, (short, long)
