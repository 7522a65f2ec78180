"""The immutable section model and upstream's section identity."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from enum import StrEnum


class SectionType(StrEnum):
    PROSE = "prose"
    INSTRUCTION = "instruction"
    PREFERENCE = "preference"
    IMAGE = "image"
    AUDIO = "audio"


SECTION_TYPE_NAMES = tuple(t.value for t in SectionType)
MEDIA_TYPES = frozenset({SectionType.IMAGE, SectionType.AUDIO})


def section_id(kind: SectionType, content: str, media_path: str | None = None) -> str:
    """First 16 hex chars of SHA-256 over the type and the content (or media path).

    Position, adapter and provenance are deliberately not part of the identity, so a
    synthesized section hashes like a hand-written one with the same body. Content is
    only newline-normalised, never stripped, which is why ids move when trailing blank
    lines do.
    """
    if kind in MEDIA_TYPES:
        payload = f"{kind.value}\n{media_path or ''}"
    else:
        if content.startswith("\ufeff"):
            content = content[1:]
        if "\r" in content:
            content = content.replace("\r\n", "\n").replace("\r", "\n")
        payload = f"{kind.value}\n{content}"
    # lone surrogates can arrive over JSON-RPC; hash them rather than crash
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Section:
    """One parsed section. Field names and meanings match upstream's Section.

    `start_line` is upstream's 1-based start (the fence line, or the first body line
    for the leading prose); `end_line` is the last line the section owns, trailing
    blank lines included. `marker_lines` counts lifted provenance lines, which sit
    between the fence and the content.
    """

    type: SectionType
    content: str
    start_line: int
    end_line: int
    section_id: str
    fenced: bool = False
    marker_lines: int = 0
    adapter: str | None = None
    media_path: str | None = None
    media_alt: str | None = None
    media_transcript: str | None = None
    auto_harvest: bool = False
    harvest_source: str | None = None
    auto_mined: bool = False
    judge_name: str | None = None
    judge_score_chosen: float | None = None
    judge_score_rejected: float | None = None
    mined_at: str | None = None
    mined_run_id: int | None = None
    auto_synth: bool = False
    synth_teacher: str | None = None
    synth_strategy: str | None = None
    synth_at: str | None = None
    source_section_id: str | None = None

    @property
    def content_start_line(self) -> int:
        """1-based line of the first content line (after fence and markers)."""
        return self.start_line + (1 if self.fenced else 0) + self.marker_lines

    def shifted(self, delta: int) -> Section:
        if delta == 0:
            return self
        return replace(self, start_line=self.start_line + delta, end_line=self.end_line + delta)
