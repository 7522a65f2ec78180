"""Runs under the test-only upstream environment (.venv-oracle): reads one JSON
document text per line on stdin, prints upstream's parse of it as one JSON line.

It only *uses* the upstream package as a black box; nothing of it is copied here.
"""

from __future__ import annotations

import json
import sys

from dlm.doc.parser import parse_text


def describe(text: str) -> dict[str, object]:
    try:
        parsed = parse_text(text)
    except Exception as exc:  # the verdict is what we compare, whatever the class
        return {"error": True, "kind": type(exc).__name__, "message": str(exc)}
    fields = (
        "content",
        "start_line",
        "adapter",
        "media_path",
        "media_alt",
        "media_transcript",
        "auto_harvest",
        "harvest_source",
        "auto_mined",
        "judge_name",
        "judge_score_chosen",
        "judge_score_rejected",
        "mined_at",
        "mined_run_id",
        "auto_synth",
        "synth_teacher",
        "synth_strategy",
        "synth_at",
        "source_section_id",
    )
    sections = []
    for section in parsed.sections:
        item = {name: getattr(section, name) for name in fields}
        item["type"] = section.type.value
        item["section_id"] = section.section_id
        sections.append(item)
    return {"error": False, "sections": sections}


def main() -> None:
    for line in sys.stdin:
        text = json.loads(line)
        sys.stdout.write(json.dumps(describe(text)) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
