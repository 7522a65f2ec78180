"""Runs in `.venv-oracle` (upstream installed): upstream's own synth code for the benchmarks.

As a script: upstream's reply parser over recorded raw replies (stdin: a JSON list of
reply texts; stdout: a JSON list of {"ok", "pairs", "error"}, one per reply, where `pairs`
is every item upstream's `json_list` parser returns, before its cut to the first n, and
`error` is its ValueError text; the teacher's text reaches that parser stripped, spec 5.4,
so it is stripped here too), or with the argument `dedupe` upstream's own dedup over a
document run's pairs (stdin: [[question, answer], ...]; stdout: the indices it keeps).
`planned_additions` is also imported by bench_dedup.py's oracle process.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def planned_additions(pairs: list[list[str]]) -> tuple[Any, ...]:
    """Upstream's `PlannedSynthInstruction`s for (question, answer) pairs, as its run
    builds them, ready for its `_dedupe`."""
    from dlm.doc.sections import Section, SectionType
    from dlm.synth.run import PlannedSynthInstruction, SynthPair, SynthSourceSection

    source = SynthSourceSection(section_id="0" * 16, content="prose")
    return tuple(
        PlannedSynthInstruction(
            source=source,
            strategy="extraction",
            pair=SynthPair(question=q, answer=a),
            section=Section(type=SectionType.INSTRUCTION, content=f"### Q\n{q}\n### A\n{a}"),
        )
        for q, a in pairs
    )


def dedupe() -> None:
    from dlm.synth.filter import _dedupe

    additions = planned_additions(json.load(sys.stdin))
    index = {id(addition): i for i, addition in enumerate(additions)}
    survivors, _ = _dedupe(additions)
    json.dump(sorted(index[id(s)] for s in survivors), sys.stdout)


def main() -> None:
    if sys.argv[1:] == ["dedupe"]:
        dedupe()
        return
    from dlm.synth.run import _parse_generated_pairs

    out = []
    for text in json.load(sys.stdin):
        try:
            pairs = _parse_generated_pairs(text.strip(), parser="json_list")
        except ValueError as exc:
            out.append({"ok": False, "pairs": [], "error": str(exc)})
        else:
            out.append({"ok": True, "pairs": [[p.question, p.answer] for p in pairs], "error": None})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
