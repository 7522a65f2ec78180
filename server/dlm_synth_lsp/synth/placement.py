"""Placing pairs: accepted or staged pairs → minimal edits after their sources, or
the pairs that cannot be placed (to be staged).

Both front ends go through here: the CLI's `--apply` and `synth apply`, and the
language server, which runs the same planning against the editor's *current*
version when a job finishes. The server follows each source's range through the
user's edits (`document/tracking.py`) and passes those `spans`: the source is then
the prose section the range leads to, whatever its id has become. Without a span
(the CLI, a staged plan, a change that could not be followed) a source is found by
id, or — after a re-flow, which changes its id — by its text with whitespace
collapsed. A pair whose source is gone is never dropped: it is returned as unplaced
(with the reason) so the caller can stage it and say why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from ..document import Document
from ..document.edits import EditError, TextEdit, plan_insert
from ..document.model import SectionType
from ..document.sanitize import sanitize_pair
from ..document.text import Span
from ..document.tokenizer import Block
from ..document.tracking import is_deleted, source_block
from .pipeline import Pair
from .staging import MarkedPair


def _squash(text: str) -> str:
    return " ".join(text.split())


SOURCE_CHANGED = "their source section changed"
SOURCE_DELETED = "their source section was deleted"
SOURCE_SWALLOWED = "their source text became part of a section that is not prose"
NOT_PLACEABLE = "they cannot be inserted after their source"


def _prose_blocks(doc: Document) -> list[Block]:
    return [b for b in doc.blocks if b.section is not None and b.section.type is SectionType.PROSE]


def locate_source(doc: Document, section_id: str, content: str | None = None) -> Block | None:
    """The source prose's block in `doc`: the first prose block whose id is still
    `section_id`, else the first whose text equals `content` up to whitespace, else
    None."""
    prose = _prose_blocks(doc)
    for block in prose:
        if block.section is not None and block.section.section_id == section_id:
            return block
    if content is not None and (wanted := _squash(content)):
        for block in prose:
            if block.section is not None and _squash(block.section.content) == wanted:
                return block
    return None


def _target(
    doc: Document, pair: MarkedPair, contents: Mapping[str, str], spans: Mapping[str, Span] | None
) -> tuple[Block | None, str]:
    """The block to insert `pair` after, or None and why not."""
    span = spans.get(pair.source_section_id) if spans is not None else None
    if span is not None:
        block = source_block(doc, span)
        if block is None:
            return None, SOURCE_DELETED if is_deleted(doc, span) else SOURCE_SWALLOWED
        return block, ""
    block = locate_source(doc, pair.source_section_id, contents.get(pair.source_section_id))
    return block, "" if block is not None else SOURCE_CHANGED


def mark(pairs: Sequence[Pair], teacher: str, synth_at: str) -> list[MarkedPair]:
    """Accepted pairs with the marker values of their run."""
    return [
        MarkedPair(p.question, p.answer, p.source.section_id, teacher, p.strategy, synth_at) for p in pairs
    ]


@dataclass(slots=True)
class Placement:
    """`placed` pairs are inserted by `edits`; `unplaced` lost their source (`reasons`
    says why, one phrase per distinct reason); `present` are already in the document
    (applying twice adds nothing); `unusable` have nothing left once unsafe text is
    removed (a hand-edited staged plan), so they are never written, nor counted as
    written."""

    edits: list[TextEdit] = field(default_factory=list)
    placed: list[MarkedPair] = field(default_factory=list)
    unplaced: list[MarkedPair] = field(default_factory=list)
    present: list[MarkedPair] = field(default_factory=list)
    unusable: list[MarkedPair] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    def add_unplaced(self, pairs: Sequence[MarkedPair], reason: str) -> None:
        self.unplaced.extend(pairs)
        if reason not in self.reasons:
            self.reasons.append(reason)


def plan_placement(
    doc: Document,
    pairs: Sequence[MarkedPair],
    contents: Mapping[str, str] | None = None,
    spans: Mapping[str, Span] | None = None,
) -> Placement:
    """Edits inserting `pairs` after their sources in `doc` (one edit per source, all
    relative to `doc`); each marker names its source's id in `doc`. `spans` maps a
    source id (as the pairs name it) to the source's followed range in `doc`;
    `contents` maps it to its text when the pairs were made, to find a source whose
    id changed when there is no span."""
    result = Placement()
    known = {pair for pair, _ in doc.instruction_pairs}
    groups: dict[int, tuple[Block, list[MarkedPair]]] = {}
    for pair in pairs:
        clean = sanitize_pair(pair.question, pair.answer)
        if clean is None:
            result.unusable.append(pair)
            continue
        if clean in known or (pair.question, pair.answer) in known:
            result.present.append(pair)
            continue
        block, why = _target(doc, pair, contents or {}, spans)
        if block is None or block.section is None:
            result.add_unplaced([pair], why)
            continue
        current = block.section.section_id
        groups.setdefault(block.first, (block, []))[1].append(replace(pair, source_section_id=current))
    for block, group in groups.values():
        try:
            edits = plan_insert(
                doc,
                group[0].source_section_id,
                [(p.question, p.answer) for p in group],
                teacher=[p.teacher for p in group],
                strategy=[p.strategy for p in group],
                synth_at=[p.synth_at for p in group],
                block=block,
            )
        except EditError:
            result.add_unplaced(group, NOT_PLACEABLE)
            continue
        result.edits.extend(edits)
        result.placed.extend(group)
    return result


def source_contents(pairs: Sequence[Pair]) -> dict[str, str]:
    return {p.source.section_id: p.source.content for p in pairs}
