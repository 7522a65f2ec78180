"""A run's result and a document's synthesized pairs as plain data, and as text.

One casing: the classes here have snake_case fields and 1-based lines (as `Section`
and upstream have them). The CLI prints them as JSON as they are (`as_json`) or as
text (`render_result`, `render_listing`); the server sends the same classes with
camelCase keys (`lsp/protocol.py` renames at the edge). Text is never passed
through a markup engine, so brackets in generated text print as they are (upstream's
Rich output eats them, spec 8.9).
"""

from __future__ import annotations

import dataclasses
import textwrap
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..document import Document
from ..document.grammar import parse_instruction
from ..document.model import Section, SectionType
from ..document.text import headline
from .options import FilterKind
from .pipeline import Rejection, SynthResult
from .staging import MarkedPair
from .teachers.base import Usage

#: how much of a question or answer a listing shows
QUOTE_CHARS = 80


@dataclass(frozen=True, slots=True)
class AcceptedPair:
    question: str
    answer: str
    strategy: str
    source_section_id: str
    source_title: str
    source_line: int


@dataclass(frozen=True, slots=True)
class Report:
    teacher: str
    filter: FilterKind
    synth_at: str
    calls: int
    calls_done: int
    generated: int
    invalid: int
    deduped: int
    judged: int
    accepted: int
    usage: Usage
    wall_seconds: float


@dataclass(frozen=True, slots=True)
class ResultData:
    status: str
    error: str | None
    accepted: list[AcceptedPair]
    rejected: list[Rejection]
    report: Report


def accepted_pairs(result: SynthResult) -> list[AcceptedPair]:
    return [
        AcceptedPair(
            p.question, p.answer, p.strategy, p.source.section_id, p.source.title, p.source.start_line
        )
        for p in result.accepted
    ]


def report_of(result: SynthResult) -> Report:
    r = result.report
    return Report(
        r.teacher,
        r.filter,
        r.synth_at,
        r.calls,
        r.calls_done,
        r.generated,
        r.invalid,
        r.deduped,
        r.judged,
        r.accepted,
        r.usage,
        round(r.wall_s, 3),
    )


def result_data(result: SynthResult) -> ResultData:
    return ResultData(
        result.status, result.error, accepted_pairs(result), list(result.report.rejected), report_of(result)
    )


def as_json(value: Any) -> Any:
    """A data class of this module (or a list or dict of them) as JSON data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: as_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [as_json(item) for item in value]
    if isinstance(value, dict):
        return {key: as_json(item) for key, item in value.items()}
    return value


def where(title: str, line: int | None) -> str:
    """How a message names a section: “Title” (line N)."""
    return f"“{title}”" + (f" (line {line})" if line is not None else "")


def rejection_line(rejection: Rejection) -> str:
    """One rejection as one line of text."""
    quoted = f" — q: {headline(rejection.question, QUOTE_CHARS)}" if rejection.question else ""
    return (
        f"{where(rejection.source_title, rejection.source_line)} [{rejection.strategy or '-'}] "
        f"{rejection.reason}: {rejection.detail}{quoted}"
    )


def rejection_summary(rejections: Iterable[Rejection]) -> str:
    """Rejections counted by reason, most common first: “ungrounded ×2, duplicate_pair ×1”."""
    counts = Counter(r.reason for r in rejections)
    return ", ".join(f"{reason} ×{n}" for reason, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _wrapped(head: str, text: str, width: int = 100) -> str:
    indent = " " * len(head)
    paragraphs = [" ".join(line.split()) for line in text.splitlines() if line.strip()] or [""]
    out = [
        textwrap.fill(p, width, initial_indent=head if i == 0 else indent, subsequent_indent=indent)
        for i, p in enumerate(paragraphs)
    ]
    return "\n".join(out)


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
            lines.append(f"+ [{pair.strategy}] from {where(pair.source.title, pair.source.start_line)}")
            # whole, not shortened: reading the pairs is the point of a dry run
            lines.append(_wrapped("  q: ", pair.question))
            lines.append(_wrapped("  a: ", pair.answer))
    if r.rejected:
        lines += ["", "rejected:"]
        lines += [f"- {rejection_line(rej)}" for rej in r.rejected]
    return "\n".join(lines)


# -- what a document has synthesized ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class SynthesizedEntry:
    """An applied auto-synth section (`section_id` and its 1-based lines set) or a
    staged pair (those None)."""

    section_id: str | None
    source_section_id: str | None
    source_exists: bool
    teacher: str | None
    strategy: str | None
    synth_at: str | None
    question: str
    start_line: int | None
    end_line: int | None


@dataclass(frozen=True, slots=True)
class Listing:
    applied: list[SynthesizedEntry]
    staged: list[SynthesizedEntry]


def applied_sections(doc: Document) -> list[Section]:
    return [s for s in doc.sections if s.type is SectionType.INSTRUCTION and s.auto_synth]


def _question(content: str) -> str:
    items, _ = parse_instruction(content)
    if not items:
        return "<unparseable>"
    return headline(items[0].fields[0], QUOTE_CHARS) or "<blank>"


def _source_exists(doc: Document, source_id: str | None) -> bool:
    return source_id is not None and doc.find(source_id) is not None


def listing(doc: Document, staged: Iterable[MarkedPair] = ()) -> Listing:
    """The document's applied auto-synth sections and the `staged` pairs of its plan."""
    applied = [
        SynthesizedEntry(
            s.section_id,
            s.source_section_id,
            _source_exists(doc, s.source_section_id),
            s.synth_teacher,
            s.synth_strategy,
            s.synth_at,
            _question(s.content),
            s.start_line,
            s.end_line,
        )
        for s in applied_sections(doc)
    ]
    pending = [
        SynthesizedEntry(
            None,
            p.source_section_id,
            _source_exists(doc, p.source_section_id),
            p.teacher,
            p.strategy,
            p.synth_at,
            headline(p.question, QUOTE_CHARS),
            None,
            None,
        )
        for p in staged
    ]
    return Listing(applied, pending)


def _tally(title: str, values: Iterable[str | None]) -> list[str]:
    counts = Counter(v or "unknown" for v in values)
    return [f"  by {title}:"] + [f"    - {name}: {counts[name]}" for name in sorted(counts)]


def render_listing(path: str, found: Listing) -> str:
    lines = [
        path,
        f"  applied auto-synth: {len(found.applied)}",
        f"  staged pending:     {len(found.staged)}",
    ]
    if not found.applied and not found.staged:
        lines.append("  no auto-synth instruction sections yet")
        return "\n".join(lines)
    for heading, entries in (("Applied", found.applied), ("Pending", found.staged)):
        if not entries:
            continue
        lines += ["", heading]
        lines += _tally("teacher", (e.teacher for e in entries))
        lines += _tally("strategy", (e.strategy for e in entries))
        lines += _tally("source section", (e.source_section_id for e in entries))
        lines.append("  sections:")
        for e in entries:
            at = f"line {e.start_line}" if e.start_line is not None else "staged"
            lines.append(
                f"    - {e.section_id or '(staged)'}  teacher={e.teacher}  strategy={e.strategy}  "
                f"source={e.source_section_id}  {at}  q={e.question}"
            )
    return "\n".join(lines)
