"""Provenance marker lines: parse, validate and format.

Markers sit directly under an `::instruction::`/`::preference::` fence and are lifted
out of the content (so they never affect a section id). The accept/reject rules
mirror upstream exactly; what we add is *where* a problem is: each error names the
offending attribute so it can be underlined, instead of pointing at the fence.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime

#: how every provenance marker line starts
MARKER_HEAD = "<!-- dlm-auto-"
SYNTH_PREFIX = MARKER_HEAD + "synth:"
MINED_PREFIX = MARKER_HEAD + "mined:"
HARVEST_PREFIX = MARKER_HEAD + "harvest:"
MARKER_PREFIXES = (SYNTH_PREFIX, MINED_PREFIX, HARVEST_PREFIX)
SYNTH_RE = re.compile(r"^<!-- dlm-auto-synth:(.*) -->$")
MINED_RE = re.compile(r"^<!-- dlm-auto-mined:(.*) -->$")
HARVEST_RE = re.compile(r'^<!-- dlm-auto-harvest: source="([^"]*)" -->$')
_BLOB_RE = re.compile(r'(?:\s+[a-z][a-z0-9_]*="[^"\n]*")+')
_PAIR_RE = re.compile(r'([a-z][a-z0-9_]*)="([^"\n]*)"')
_HEX16_RE = re.compile(r"[0-9a-f]{16}")

SYNTH_KEYS = ("synth_teacher", "synth_strategy", "synth_at", "source_section_id")
MINED_KEYS = (
    "judge_name",
    "judge_score_chosen",
    "judge_score_rejected",
    "mined_at",
    "mined_run_id",
)
_SOURCE_ATTR = re.compile(r'\bsource_section_id="([^"\n]*)"')


class MarkerError(ValueError):
    """A marker line that upstream refuses. `key` names the attribute at fault, if any;
    `start`/`end` are code-point columns of the part of the line to underline."""

    def __init__(self, message: str, start: int, end: int, key: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.start = start
        self.end = end
        self.key = key


@dataclass(frozen=True, slots=True)
class SynthMarker:
    synth_teacher: str
    synth_strategy: str
    synth_at: str
    source_section_id: str


@dataclass(frozen=True, slots=True)
class MinedMarker:
    judge_name: str
    judge_score_chosen: float
    judge_score_rejected: float
    mined_at: str
    mined_run_id: int


def is_iso8601(value: str) -> bool:
    """Upstream's test: Python 3.11 `fromisoformat` after replacing every `Z`."""
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _attributes(
    kind: str, line: str, blob_start: int, blob: str, allowed: tuple[str, ...]
) -> tuple[dict[str, str], dict[str, tuple[int, int]]]:
    """Split a marker blob into attributes, enforcing syntax and the exact key set."""
    if not _BLOB_RE.fullmatch(blob):
        raise MarkerError(f"invalid {kind} marker syntax", 0, len(line))
    values: dict[str, str] = {}
    where: dict[str, tuple[int, int]] = {}
    for match in _PAIR_RE.finditer(blob):
        key = match.group(1)
        span = (blob_start + match.start(), blob_start + match.end())
        if key in values:
            raise MarkerError(f"{kind} marker repeats attribute {key!r}", *span, key=key)
        if key not in allowed:
            raise MarkerError(
                f"{kind} marker has unknown attribute {key!r} (allowed: {sorted(allowed)})",
                *span,
                key=key,
            )
        values[key] = match.group(2)
        where[key] = span
    missing = sorted(set(allowed) - set(values))
    if missing:
        raise MarkerError(f"{kind} marker is missing required attribute(s) {missing}", 0, len(line))
    return values, where


def parse_synth_marker(line: str, *, require_non_empty: bool = True) -> SynthMarker | None:
    """None when the line is not a synth marker at all; MarkerError when it is a
    marker upstream would refuse.

    Upstream checks non-empty `synth_teacher`/`synth_strategy` only on the section's
    final values (stacked markers: the last one wins), so the tokenizer passes
    `require_non_empty=False` and checks the winning marker itself."""
    match = SYNTH_RE.match(line)
    if match is None:
        return None
    kind = "dlm-auto-synth"
    values, where = _attributes(kind, line, match.start(1), match.group(1), SYNTH_KEYS)
    if not is_iso8601(values["synth_at"]):
        raise MarkerError(
            f"{kind} marker synth_at must be ISO-8601", *where["synth_at"], "synth_at"
        )
    if not _HEX16_RE.fullmatch(values["source_section_id"]):
        raise MarkerError(
            f"{kind} marker source_section_id must be a 16-char lowercase hex section id",
            *where["source_section_id"],
            "source_section_id",
        )
    for key in ("synth_teacher", "synth_strategy"):
        if require_non_empty and not values[key]:
            raise MarkerError(f"{key} must be non-empty", *where[key], key)
    return SynthMarker(
        values["synth_teacher"],
        values["synth_strategy"],
        values["synth_at"],
        values["source_section_id"],
    )


def parse_mined_marker(line: str) -> MinedMarker | None:
    match = MINED_RE.match(line)
    if match is None:
        return None
    kind = "dlm-auto-mined"
    values, where = _attributes(kind, line, match.start(1), match.group(1), MINED_KEYS)
    scores: list[float] = []
    for key in ("judge_score_chosen", "judge_score_rejected"):
        try:
            scores.append(float(values[key]))
        except ValueError:
            raise MarkerError(
                f"{kind} marker judge scores must be floats", *where[key], key
            ) from None
    for key, score in zip(("judge_score_chosen", "judge_score_rejected"), scores, strict=True):
        if not math.isfinite(score):
            raise MarkerError(f"{kind} marker judge scores must be finite", *where[key], key)
    if not is_iso8601(values["mined_at"]):
        raise MarkerError(
            f"{kind} marker mined_at must be ISO-8601", *where["mined_at"], "mined_at"
        )
    try:
        run_id = int(values["mined_run_id"])
    except ValueError:
        raise MarkerError(
            f"{kind} marker mined_run_id must be an integer", *where["mined_run_id"], "mined_run_id"
        ) from None
    if run_id < 1:
        raise MarkerError(
            f"{kind} marker mined_run_id must be >= 1", *where["mined_run_id"], "mined_run_id"
        )
    return MinedMarker(values["judge_name"], scores[0], scores[1], values["mined_at"], run_id)


def source_attribute(line: str) -> tuple[str, int, int] | None:
    """The `source_section_id` written on a marker line, with the columns of its
    value; found even on a line the marker grammar refuses for another attribute, so
    navigation and the stale-provenance range still work."""
    match = _SOURCE_ATTR.search(line)
    return (match.group(1), match.start(1), match.end(1)) if match else None


def format_synth_marker(marker: SynthMarker) -> str:
    """The canonical marker line (no newline). Values with `"` or newlines are refused
    because the marker grammar has no escaping."""
    fields = (
        ("synth_teacher", marker.synth_teacher),
        ("synth_strategy", marker.synth_strategy),
        ("synth_at", marker.synth_at),
        ("source_section_id", marker.source_section_id),
    )
    for _, value in fields:
        if '"' in value or "\n" in value or "\r" in value:
            raise ValueError("marker values cannot contain double quotes or line breaks")
    body = " ".join(f'{key}="{value}"' for key, value in fields)
    return f"{SYNTH_PREFIX} {body} -->"
