"""Code actions (`textDocument/codeAction`). Cheap by design: no model call and no
edit computed here except the one-word quick fixes; every synthesis or revert action
carries a `dlm-synth.*` command that the server runs as a job.

In a non-empty prose section (refactor.rewrite): "Synthesize instructions for this
section" (synthesize {uri, sectionId}), the same once per strategy (+ strategy), and
for a non-blank selection inside it "Synthesize instructions for the selection"
(synthesize {uri, range}). In a synthesized section (refactor.rewrite): "Remove this
synthesized section" (revert {uri, sectionId}). Anywhere (source): "Synthesize
instructions for all prose sections" (synthesizeDocument {uri}) when there is prose,
"Revert all synthesized instructions" (revert {uri}) when something was synthesized.
"Keep synthesized pairs after edited prose (re-link)" (an edit) when some pairs
follow prose that was edited after they were made (DLM041); finding those takes a
pass over every section, so it is offered when the client asks for source actions
(`only`) or sends a DLM041 diagnostic, not on every cursor move.
Quick fixes: on DLM041 (source edited) "Keep these pairs (re-link to the edited
paragraph)" (an edit of the run's marker attributes, preferred), then "Regenerate
from the current prose" and "Remove the stale synthesized section"; on DLM040
(stale provenance) the last two (regenerate from the nearest prose section above);
on DLM010 with a suggestion, the corrected fence (an edit, preferred); on DLM005 with
a suggestion, DLM050 (duplicate key) and DLM051 (unknown base model), the frontmatter
edits of document/frontmatter_help.py, none of which ever leaves a key twice in one
mapping.

Quick fixes read only `diagnostic.code` and `diagnostic.data` (set from the core's
`Problem.data`), never the message, and check the text still says what the
diagnostic claims before editing it (the diagnostic may be a version old).

A request without diagnostics costs no pass over the document: it runs after every
keystroke and cursor move, also in a 1 MB file (bench/bench_lsp.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lsprotocol import types as lsp

from ...document import Document
from ...document.fences import FENCE_RE
from ...document.frontmatter_help import Fix, base_model_fixes, duplicate_key_fixes, unknown_key_fixes
from ...document.memo import Lru
from ...document.model import Section, SectionType
from ...document.outline import content_row, has_prose, has_synth, index
from ...document.problems import Code
from ...document.relink import plan_relink, relinkable
from ...document.text import Position, PositionEncoding, Span
from ...synth.prompts import STRATEGY_CHOICES
from .. import protocol as p
from ..convert import from_position, to_position, to_range, to_text_edits

REWRITE = lsp.CodeActionKind.RefactorRewrite
SOURCE = lsp.CodeActionKind.Source
QUICK_FIX = lsp.CodeActionKind.QuickFix

SYNTHESIZE_SECTION = "Synthesize instructions for this section"
SYNTHESIZE_SELECTION = "Synthesize instructions for the selection"
SYNTHESIZE_ALL = "Synthesize instructions for all prose sections"
REVERT_ALL = "Revert all synthesized instructions"
REMOVE_SECTION = "Remove this synthesized section"
REGENERATE = "Regenerate from the current prose"
REMOVE_STALE = "Remove the stale synthesized section"
KEEP_PAIRS = "Keep these pairs (re-link to the edited paragraph)"
RELINK_ALL = "Keep synthesized pairs after edited prose (re-link)"

#: the actions of a section (and the source actions of a document) depend only on
#: the uri and the section's id, type and origin: built once, shared across versions
#: (the server also reuses their JSON, see `DlmLanguageServer.serialised`)
_made: Lru[tuple[object, ...], tuple[lsp.CodeAction, ...]] = Lru(4096)


def code_actions(
    doc: Document,
    uri: str,
    range: lsp.Range,
    diagnostics: list[lsp.Diagnostic],
    enc: PositionEncoding,
    only: list[str] | None,
) -> list[lsp.CodeAction]:
    def wanted(kind: str) -> bool:
        return not only or any(kind == o or kind.startswith(o + ".") for o in only)

    start, end = sorted(
        (from_position(doc, range.start, enc), from_position(doc, range.end, enc)),
        key=lambda p: (p.line, p.column),
    )
    actions: list[lsp.CodeAction] = []
    if wanted(QUICK_FIX):
        for diagnostic in diagnostics:
            actions += _quick_fixes(doc, uri, diagnostic, enc)
    if wanted(REWRITE):
        actions += _rewrites(doc, uri, Span(start, end), enc)
    if wanted(SOURCE):
        prose, synth = has_prose(doc), has_synth(doc)
        actions += _made.get(("source", uri, prose, synth), lambda: _source_actions(uri, prose, synth))
        if synth:
            asked = bool(only) or any(d.code == Code.SOURCE_EDITED.value for d in diagnostics)
            if asked and relinkable(doc):
                edit = lsp.WorkspaceEdit(changes={uri: to_text_edits(doc, plan_relink(doc), enc)})
                actions.append(lsp.CodeAction(title=RELINK_ALL, kind=SOURCE, edit=edit))
    return actions


def _source_actions(uri: str, prose: bool, synth: bool) -> tuple[lsp.CodeAction, ...]:
    actions = []
    if prose:
        whole = p.SynthesizeDocumentArgs(uri=uri)
        actions.append(_action(SYNTHESIZE_ALL, SOURCE, p.SYNTHESIZE_DOCUMENT, whole))
    if synth:
        actions.append(_action(REVERT_ALL, SOURCE, p.REVERT, p.RevertArgs(uri=uri)))
    return tuple(actions)


def _action(
    title: str,
    kind: str,
    command_id: str,
    argument: object,
    diagnostics: list[lsp.Diagnostic] | None = None,
) -> lsp.CodeAction:
    return lsp.CodeAction(
        title=title,
        kind=kind,
        command=p.command(title, command_id, argument),
        diagnostics=diagnostics,
    )


def _rewrites(doc: Document, uri: str, span: Span, enc: PositionEncoding) -> list[lsp.CodeAction]:
    section = doc.section_at(span.start.line)
    if section is None:
        return []
    key = ("rewrite", uri, section.section_id, section.type, section.auto_synth)
    made = _made.get(key, lambda: _section_actions(uri, section))
    if not made or section.type is not SectionType.PROSE:
        return list(made)
    selected = _selection(doc, section, span, enc)
    if selected is None:
        return list(made)
    args = p.SynthesizeArgs(uri=uri, range=selected)
    return [_action(SYNTHESIZE_SELECTION, REWRITE, p.SYNTHESIZE, args), *made]


def _section_actions(uri: str, section: Section) -> tuple[lsp.CodeAction, ...]:
    if section.auto_synth and section.type is SectionType.INSTRUCTION:
        remove = p.RevertArgs(uri=uri, section_id=section.section_id)
        return (_action(REMOVE_SECTION, REWRITE, p.REVERT, remove),)
    if section.type is not SectionType.PROSE or not section.content.strip():
        return ()
    base = p.SynthesizeArgs(uri=uri, section_id=section.section_id)
    actions = [_action(SYNTHESIZE_SECTION, REWRITE, p.SYNTHESIZE, base)]
    for strategy in STRATEGY_CHOICES:
        title = f"{SYNTHESIZE_SECTION} ({strategy})"
        args = p.SynthesizeArgs(uri=uri, section_id=section.section_id, strategy=strategy)
        actions.append(_action(title, REWRITE, p.SYNTHESIZE, args))
    return tuple(actions)


def _selection(doc: Document, section: Section, span: Span, enc: PositionEncoding) -> lsp.Range | None:
    """The selection clipped to the section's text, when it is non-blank and stays
    inside the section. A selection of whole lines ends at column 0 of the next line
    (the fence of the next section, perhaps): that line is not part of it. The
    fence line of a `::prose::` section is not text, so a selection starting there
    starts at the first content line."""
    if span.start == span.end:
        return None
    start, end = span.start, span.end
    if end.column == 0 and end.line > start.line:
        end = Position(end.line - 1, len(doc.lines[end.line - 1]))
    if end.line > section.end_line - 1:
        return None
    top = content_row(section)
    if start.line < top:
        start = Position(top, 0)
    if (end.line, end.column) <= (start.line, start.column):
        return None
    if not doc.text_in(Span(start, end)).strip():
        return None
    return lsp.Range(start=to_position(doc, start, enc), end=to_position(doc, end, enc))


_DATA_FIELDS = ("key", "suggestion", "value", "hf", "first_line")


def _text(data: Mapping[str, Any], name: str) -> str | None:
    found = data.get(name)
    return found if isinstance(found, str) else None


def _quick_fixes(
    doc: Document, uri: str, diagnostic: lsp.Diagnostic, enc: PositionEncoding
) -> list[lsp.CodeAction]:
    data: Mapping[str, Any] = diagnostic.data if isinstance(diagnostic.data, Mapping) else {}
    if diagnostic.code in (Code.STALE_PROVENANCE.value, Code.SOURCE_EDITED.value):
        return _stale_fixes(doc, uri, diagnostic, data, enc)
    key, suggestion, value, hf, first = (_text(data, name) for name in _DATA_FIELDS)
    rng = diagnostic.range
    span = Span(from_position(doc, rng.start, enc), from_position(doc, rng.end, enc))
    fixes: list[Fix] = []
    if diagnostic.code == Code.UNKNOWN_FENCE.value and suggestion:
        return _fence_fix(doc, uri, diagnostic, suggestion, enc)
    if diagnostic.code == Code.SCHEMA_UNKNOWN_KEY.value and key and suggestion:
        fixes = unknown_key_fixes(doc, span, key, suggestion)
    elif diagnostic.code == Code.DUPLICATE_KEY.value and key and first and first.isdigit():
        fixes = duplicate_key_fixes(doc, span.start.line, key, int(first))
    elif diagnostic.code == Code.UNKNOWN_BASE_MODEL.value and value:
        fixes = base_model_fixes(doc, span, value, suggestion, hf)
    return [
        _edit_action(fix.title, uri, to_text_edits(doc, fix.edits, enc), diagnostic, fix.preferred)
        for fix in fixes
    ]


def _stale_fixes(
    doc: Document,
    uri: str,
    diagnostic: lsp.Diagnostic,
    data: Mapping[str, Any],
    enc: PositionEncoding,
) -> list[lsp.CodeAction]:
    wanted = data.get("section_id")
    if not isinstance(wanted, str):
        return []
    # the diagnostic sits on the section's marker line; equal sections share an id
    section = doc.section_at(diagnostic.range.start.line)
    if section is None or section.section_id != wanted:
        section = doc.find(wanted)
    if section is None or not section.auto_synth:
        return []  # already removed: the diagnostic is from an older version
    fixes: list[lsp.CodeAction] = []
    if diagnostic.code == Code.SOURCE_EDITED.value and any(
        p.get("section_id") == wanted for p in relinkable(doc)
    ):
        edits = to_text_edits(doc, plan_relink(doc, wanted), enc)
        fixes.append(_edit_action(KEEP_PAIRS, uri, edits, diagnostic, True))
    source = index(doc).prose_above(doc, section.start_line - 1)
    if source is not None:
        regenerate = p.SynthesizeArgs(uri=uri, section_id=source.section_id)
        fixes.append(_action(REGENERATE, QUICK_FIX, p.SYNTHESIZE, regenerate, [diagnostic]))
    remove = p.RevertArgs(uri=uri, section_id=wanted)
    fixes.append(_action(REMOVE_STALE, QUICK_FIX, p.REVERT, remove, [diagnostic]))
    return fixes


def _edit_action(
    title: str, uri: str, edits: list[lsp.TextEdit], diagnostic: lsp.Diagnostic, preferred: bool
) -> lsp.CodeAction:
    return lsp.CodeAction(
        title=title,
        kind=QUICK_FIX,
        diagnostics=[diagnostic],
        is_preferred=preferred or None,
        edit=lsp.WorkspaceEdit(changes={uri: edits}),
    )


def _fence_fix(
    doc: Document, uri: str, diagnostic: lsp.Diagnostic, suggestion: str, enc: PositionEncoding
) -> list[lsp.CodeAction]:
    """Replace only the type name, so an adapter suffix (`::instrution#facts::`) stays."""
    row = diagnostic.range.start.line
    intended = suggestion.strip(":")
    match = FENCE_RE.match(doc.lines[row]) if row < len(doc.lines) else None
    if match is None or not intended:
        return []
    base, hashed, adapter = match.group(1).partition("#")
    if base == intended:
        return []
    fixed = f"::{intended}{hashed}{adapter}::"
    edit = lsp.TextEdit(range=to_range(doc, Span.of(row, 2, row, 2 + len(base)), enc), new_text=intended)
    return [_edit_action(f"Change to {fixed}", uri, [edit], diagnostic, True)]
