"""Keeping synthesized pairs after their prose was edited: re-link them.

Editing a paragraph changes its id, so the markers of the pairs synthesized from it
name an id that no longer exists. When those pairs still sit in the run of
auto-synth sections right after that paragraph (and nothing in the run names its
new id), the document reports DLM041 (`Document._stale_provenance`) rather than
DLM040, and the user may say "these pairs still belong here": re-linking rewrites
only the `source_section_id` value on each such section's (last, winning) synth
marker line to the paragraph's current id. Markers are lifted out of section
content, so no section id changes, and upstream's parser then sees every re-linked
marker naming an existing prose section.
"""

from __future__ import annotations

from .document import Document
from .edits import EditError, TextEdit
from .model import Section
from .problems import Code, Problem


def relinkable(doc: Document) -> list[Problem]:
    """The DLM041 problems of `doc`: one per section that can be re-linked."""
    return [p for p in doc.problems if p.code is Code.SOURCE_EDITED]


def relink_target(doc: Document, section: Section) -> Section | None:
    """The edited prose section that `section` (auto-synth) can be re-linked to."""
    rows = range(section.start_line - 1, section.end_line)
    for problem in relinkable(doc):
        if problem.get("section_id") == section.section_id and problem.span.start.line in rows:
            return doc.find(problem.get("relink_to") or "")
    return None


def plan_relink(doc: Document, section_id: str | None = None) -> list[TextEdit]:
    """Edits re-linking every relinkable section, or (`section_id`) those of the run
    that section is in. EditError when `section_id` is not relinkable."""
    found = relinkable(doc)
    if section_id is not None:
        target = next((p for p in found if p.get("section_id") == section_id), None)
        if target is None:
            raise EditError(f"section {section_id} is not a synthesized section that follows edited prose")
        found = [p for p in found if p.get("run") == target.get("run")]
    return [TextEdit(p.span.start, p.span.end, p.get("relink_to") or "") for p in found]
