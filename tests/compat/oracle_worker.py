"""Runs under the test-only upstream environment (.venv-oracle): reads one JSON
document text per line on stdin, prints upstream's parse of it as one JSON line.

It only *uses* the upstream package as a black box; nothing of it is copied here.
"""

from __future__ import annotations

import json
import sys

from dlm.doc.parser import parse_text
from oracle_fields import SECTION_FIELDS  # a sibling module: this runs as a script


def describe(text: str) -> dict[str, object]:
    try:
        parsed = parse_text(text)
    except Exception as exc:  # the verdict is what we compare, whatever the class
        return {"error": True, "kind": type(exc).__name__, "message": str(exc)}
    sections = []
    for section in parsed.sections:
        item = {name: getattr(section, name) for name in SECTION_FIELDS}
        item["type"] = section.type.value
        sections.append(item)
    return {"error": False, "sections": sections}


def grammar(kind: str, content: str) -> dict[str, object]:
    """The trainer's verdict on an instruction/preference body."""
    from dlm.data.instruction_parser import parse_instruction_body
    from dlm.data.preference_parser import parse_preference_body

    try:
        if kind == "instruction":
            from dlm.data.sections_to_rows import _normalize_probe_markers

            body = _normalize_probe_markers(content)  # what training does first
            items = [[p.question, p.answer] for p in parse_instruction_body(body, section_id="x")]
        else:
            items = [
                [t.prompt, t.chosen, t.rejected] for t in parse_preference_body(content, section_id="x")
            ]
    except Exception as exc:  # the grammar errors carry the bare message; location is in attributes
        return {"error": True, "message": str(exc)}
    return {"error": False, "items": items}


def main() -> None:
    for line in sys.stdin:
        request = json.loads(line)
        if isinstance(request, dict):
            result = grammar(request["grammar"], request["content"])
        else:
            result = describe(request)
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
