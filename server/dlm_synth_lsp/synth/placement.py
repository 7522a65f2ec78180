"""Placing pairs: accepted or staged pairs → minimal edits after their sources, or
the pairs that cannot be placed (to be staged).

Both front ends go through here: the CLI's `--apply` and `synth apply`, and the
language server, which runs the same planning against the editor's *current*
version when a job finishes. Sources are found again by id, or — when the user
re-flowed the prose while the teacher ran, which changes its id — by its text with
whitespace collapsed. A pair whose source is gone is never dropped: it is returned
as unplaced so the caller can stage it and say so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from ..document import Document
from ..document.edits import EditError, TextEdit, plan_insert
from ..document.model import SectionType
from ..document.sanitize import sanitize_pair
from .pipeline import Pair
from .staging import MarkedPair


def _squash(text: str) -> str:
    return " ".join(text.split())


def locate_source(doc: Document, section_id: str, content: str | None = None) -> str | None:
    """The id the source prose has in `doc`: `section_id` if a prose section still
    has it, else the id of the first prose section whose text equals `content` up to
    whitespace, else None."""
    prose = [s for s in doc.sections if s.type is SectionType.PROSE]
    if any(s.section_id == section_id for s in prose):
        return section_id
    if content is not None and (wanted := _squash(content)):
        for section in prose:
            if _squash(section.content) == wanted:
                return section.section_id
    return None


def mark(pairs: Sequence[Pair], teacher: str, synth_at: str) -> list[MarkedPair]:
    """Accepted pairs with the marker values of their run."""
    return [
        MarkedPair(p.question, p.answer, p.source.section_id, teacher, p.strategy, synth_at) for p in pairs
    ]


@dataclass(slots=True)
class Placement:
    """`placed` pairs are inserted by `edits`; `unplaced` lost their source;
    `present` are already in the document (applying twice adds nothing); `unusable`
    have nothing left once unsafe text is removed (a hand-edited staged plan), so
    they are never written, nor counted as written."""

    edits: list[TextEdit] = field(default_factory=list)
    placed: list[MarkedPair] = field(default_factory=list)
    unplaced: list[MarkedPair] = field(default_factory=list)
    present: list[MarkedPair] = field(default_factory=list)
    unusable: list[MarkedPair] = field(default_factory=list)


def plan_placement(
    doc: Document, pairs: Sequence[MarkedPair], contents: dict[str, str] | None = None
) -> Placement:
    """Edits inserting `pairs` after their sources in `doc` (one edit per source, all
    relative to `doc`). `contents` maps a source id to its text when the pairs were
    made, to find a source whose id changed."""
    result = Placement()
    known = {pair for pair, _ in doc.instruction_pairs}
    groups: dict[str, list[MarkedPair]] = {}
    for pair in pairs:
        clean = sanitize_pair(pair.question, pair.answer)
        if clean is None:
            result.unusable.append(pair)
            continue
        if clean in known or (pair.question, pair.answer) in known:
            result.present.append(pair)
            continue
        current = locate_source(doc, pair.source_section_id, (contents or {}).get(pair.source_section_id))
        if current is None:
            result.unplaced.append(pair)
            continue
        groups.setdefault(current, []).append(replace(pair, source_section_id=current))
    for source_id, group in groups.items():
        try:
            edits = plan_insert(
                doc,
                source_id,
                [(p.question, p.answer) for p in group],
                teacher=[p.teacher for p in group],
                strategy=[p.strategy for p in group],
                synth_at=[p.synth_at for p in group],
            )
        except EditError:
            result.unplaced.extend(group)
            continue
        result.edits.extend(edits)
        result.placed.extend(group)
    return result


def source_contents(pairs: Sequence[Pair]) -> dict[str, str]:
    return {p.source.section_id: p.source.content for p in pairs}
