"""Plain-data views of a Document for the headless surface (`sections --json`, `check`).

Lines and columns are 1-based here (editors and CI tools expect that); columns count
code points, and `end_column` is the column just after the range.
"""

from __future__ import annotations

from typing import Any

from ..document import Document, Problem, Section
from ..document.problems import Code
from ..document.text import DlmEncodingError


def section_json(section: Section) -> dict[str, Any]:
    return {
        "type": section.type.value,
        "section_id": section.section_id,
        "start_line": section.start_line,
        "end_line": section.end_line,
        "adapter": section.adapter,
        "auto_synth": section.auto_synth,
        "synth_teacher": section.synth_teacher,
        "synth_strategy": section.synth_strategy,
        "synth_at": section.synth_at,
        "source_section_id": section.source_section_id,
    }


def problem_json(problem: Problem) -> dict[str, Any]:
    span = problem.span
    return {
        "code": problem.code.value,
        "severity": problem.severity.value,
        "line": span.start.line + 1,
        "column": span.start.column + 1,
        "end_line": span.end.line + 1,
        "end_column": span.end.column + 1,
        "message": problem.message,
    }


def encoding_problem_json(error: DlmEncodingError) -> dict[str, Any]:
    """Undecodable bytes are reported like any other problem, at the file start."""
    return {
        "code": Code.ENCODING.value,
        "severity": "error",
        "line": 1,
        "column": 1,
        "end_line": 1,
        "end_column": 1,
        "message": f"invalid UTF-8 at byte {error.byte_offset}: {error.reason}",
    }


def document_json(doc: Document) -> dict[str, Any]:
    return {
        "sections": [section_json(s) for s in doc.sections],
        "problems": [problem_json(p) for p in doc.problems],
    }
