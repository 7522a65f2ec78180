"""`sections` and `check`: a document's sections and problems, for people and CI.

JSON follows the CLI's one convention (docs/cli.md): snake_case keys, 1-based lines
and columns (columns count code points; `end_column` is the column just after the
range), as upstream and editors' `path:line:col` have them.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..document import Document, Problem, Section, parse_bytes
from ..document.problems import Code
from ..document.text import DlmEncodingError
from .output import print_json


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


def load(path: Path) -> dict[str, Any]:
    """Sections and problems of one file, as plain data (OSError when unreadable)."""
    try:
        doc = parse_bytes(path.read_bytes(), str(path))
    except DlmEncodingError as exc:
        return {"sections": [], "problems": [encoding_problem_json(exc)]}
    return document_json(doc)


def has_error(result: dict[str, Any]) -> bool:
    return any(p["severity"] == "error" for p in result["problems"])


def problem_line(path: Path | str, problem: dict[str, Any]) -> str:
    """`path:line:col: severity CODE message`, as compilers and linters print."""
    p = problem
    return f"{path}:{p['line']}:{p['column']}: {p['severity']} {p['code']} {p['message']}"


def cmd_sections(args: argparse.Namespace) -> int:
    result = load(args.file)
    if args.json:
        print_json(result)
    else:
        for s in result["sections"]:
            extra = f" auto_synth from {s['source_section_id']}" if s["auto_synth"] else ""
            adapter = f"#{s['adapter']}" if s["adapter"] else ""
            print(f"{s['start_line']:>6}-{s['end_line']:<6} {s['type']}{adapter} {s['section_id']}{extra}")
        for problem in result["problems"]:
            print(problem_line(args.file, problem))
    return 1 if has_error(result) else 0


def cmd_check(args: argparse.Namespace) -> int:
    status = 0
    for path in args.files:
        result = load(path)
        for problem in result["problems"]:
            print(problem_line(path, problem))
        if has_error(result):
            status = 1
    return status
