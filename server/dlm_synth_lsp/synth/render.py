"""Results as plain data (CLI `--json`, LSP command results) and as plain text.

Text output is never passed through a markup engine, so brackets in generated text
print as they are (upstream's Rich output eats them, spec 8.9).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from typing import Any

from ..document import Document
from ..document.grammar import parse_instruction
from ..document.model import Section, SectionType
from ..document.text import shorten
from .pending import StagedPair
from .pipeline import Pair, Rejection, SynthResult

_FIRST_LINE = 79


def first_line(text: str | None) -> str:
    return shorten((text or "").strip().split("\n", 1)[0], _FIRST_LINE + 1)


def pair_json(pair: Pair) -> dict[str, Any]:
    return {
        "question": pair.question,
        "answer": pair.answer,
        "strategy": pair.strategy,
        "sourceSectionId": pair.source.section_id,
        "sourceTitle": pair.source.title,
    }


def rejection_json(rejection: Rejection) -> dict[str, Any]:
    return {
        "sourceSectionId": rejection.source_section_id,
        "strategy": rejection.strategy,
        "reason": rejection.reason,
        "detail": rejection.detail,
        "question": rejection.question,
        "answer": rejection.answer,
    }


def report_json(result: SynthResult) -> dict[str, Any]:
    report = result.report
    return {
        "teacher": report.teacher,
        "filter": report.filter,
        "synthAt": report.synth_at,
        "calls": report.calls,
        "callsDone": report.calls_done,
        "generated": report.generated,
        "invalid": report.invalid,
        "deduped": report.deduped,
        "judged": report.judged,
        "accepted": report.accepted,
        "usage": asdict(report.usage),
        "wallSeconds": round(report.wall_s, 3),
    }


def result_json(result: SynthResult) -> dict[str, Any]:
    return {
        "status": result.status,
        "error": result.error,
        "accepted": [pair_json(p) for p in result.accepted],
        "rejected": [rejection_json(r) for r in result.report.rejected],
        "report": report_json(result),
    }


def render_result(result: SynthResult) -> str:
    """A summary for people: counts, usage, accepted pairs, then every rejection."""
    r = result.report
    usage = r.usage
    lines = [
        f"synth: {result.status} with {r.teacher}, filter {r.filter}: generated {r.generated}, "
        f"invalid {r.invalid}, deduped {r.deduped}, judged {r.judged}, accepted {r.accepted}",
        f"synth: {r.calls_done}/{r.calls} teacher call(s), {usage.requests} request(s), "
        f"{usage.cached} from cache, {usage.retries} retr{'y' if usage.retries == 1 else 'ies'}, "
        f"tokens in {usage.input_tokens} / out {usage.output_tokens}, {r.wall_s:.1f} s",
    ]
    if result.error:
        lines.append(f"synth: error: {result.error}")
    if result.accepted:
        lines += ["", "accepted:"]
        for pair in result.accepted:
            lines.append(f"+ [{pair.strategy}] from {pair.source.section_id} “{pair.source.title}”")
            lines.append(f"  q: {first_line(pair.question)}")
            lines.append(f"  a: {first_line(pair.answer)}")
    if r.rejected:
        lines += ["", "rejected:"]
        for rej in r.rejected:
            what = f" q: {first_line(rej.question)}" if rej.question else ""
            lines.append(
                f"- {rej.source_section_id} [{rej.strategy or '-'}] {rej.reason}: {rej.detail}{what}"
            )
    return "\n".join(lines)


# -- listing ----------------------------------------------------------------


def _question(content: str) -> str:
    items, _ = parse_instruction(content)
    if not items:
        return "<unparseable>"
    return first_line(items[0].fields[0]) or "<blank>"


def applied_entry(section: Section, doc: Document) -> dict[str, Any]:
    """One applied auto-synth section; lines are 0-based for LSP ranges, with the
    fence line as `startLine` and the last line as `endLine`."""
    return {
        "sectionId": section.section_id,
        "sourceSectionId": section.source_section_id,
        "sourceExists": section.source_section_id is not None
        and doc.find(section.source_section_id) is not None,
        "teacher": section.synth_teacher,
        "strategy": section.synth_strategy,
        "synthAt": section.synth_at,
        "question": _question(section.content),
        "startLine": section.start_line - 1,
        "endLine": section.end_line - 1,
    }


def staged_pair_json(pair: StagedPair) -> dict[str, str]:
    """A staged pair in full (for results that hand pairs back to the client)."""
    return {
        "question": pair.question,
        "answer": pair.answer,
        "sourceSectionId": pair.source_section_id,
        "strategy": pair.strategy,
        "teacher": pair.teacher,
        "synthAt": pair.synth_at,
    }


def staged_entry(pair: StagedPair) -> dict[str, Any]:
    return {
        "sectionId": None,
        "sourceSectionId": pair.source_section_id,
        "teacher": pair.teacher,
        "strategy": pair.strategy,
        "synthAt": pair.synth_at,
        "question": first_line(pair.question),
    }


def applied_sections(doc: Document) -> list[Section]:
    return [s for s in doc.sections if s.type is SectionType.INSTRUCTION and s.auto_synth]


def _tally(title: str, values: Iterable[str | None]) -> list[str]:
    counts = Counter(v or "unknown" for v in values)
    return [f"  by {title}:"] + [f"    - {name}: {counts[name]}" for name in sorted(counts)]


def render_listing(
    path: str, applied: Sequence[dict[str, Any]], staged: Sequence[dict[str, Any]] | None
) -> str:
    lines = [path, f"  applied auto-synth: {len(applied)}", f"  staged pending:     {len(staged or [])}"]
    if not applied and not staged:
        lines.append("  no auto-synth instruction sections yet")
        return "\n".join(lines)
    for heading, entries in (("Applied", applied), ("Pending", staged or [])):
        if not entries:
            continue
        lines += ["", heading]
        lines += _tally("teacher", (e["teacher"] for e in entries))
        lines += _tally("strategy", (e["strategy"] for e in entries))
        lines += _tally("source section", (e["sourceSectionId"] for e in entries))
        lines.append("  sections:")
        for e in entries:
            where = f"line {e['startLine'] + 1}" if "startLine" in e else "staged"
            lines.append(
                f"    - {e['sectionId'] or '(staged)'}  teacher={e['teacher']}  strategy={e['strategy']}  "
                f"source={e['sourceSectionId']}  {where}  q={e['question']}"
            )
    return "\n".join(lines)
