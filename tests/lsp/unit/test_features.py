"""The editor features as pure functions over real documents: outline, folding,
hover, definition, code lenses and code actions, in utf-16 and utf-8."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dlm_synth_lsp.document import Document, parse_text
from dlm_synth_lsp.document.problems import Code
from dlm_synth_lsp.document.text import PositionEncoding
from dlm_synth_lsp.lsp import features
from dlm_synth_lsp.lsp import protocol as ids
from dlm_synth_lsp.lsp.convert import to_diagnostic
from dlm_synth_lsp.lsp.features.code_actions import (
    REGENERATE,
    REMOVE_SECTION,
    REMOVE_STALE,
    REVERT_ALL,
    SYNTHESIZE_ALL,
    SYNTHESIZE_SECTION,
    SYNTHESIZE_SELECTION,
)
from lsprotocol import types as lsp
from lsprotocol.converters import get_converter

ROOT = Path(__file__).resolve().parents[3]
URI = "file:///work/notes.dlm"
U16, U8 = PositionEncoding.UTF16, PositionEncoding.UTF8
FRONT = "---\ndlm_id: 01KPQ9X1000000000000000003\ndlm_version: 15\nbase_model: smollm2-135m\n---\n"
MARKER = (
    '<!-- dlm-auto-synth: synth_teacher="openai:gpt-4o-mini" synth_strategy="expansion" '
    'synth_at="2026-11-21T10:00:00Z" source_section_id="{sid}" -->'
)
MISSING = "0123456789abcdef"


def pos(line: int, character: int) -> lsp.Position:
    return lsp.Position(line=line, character=character)


def rng(a: int, b: int, c: int, d: int) -> lsp.Range:
    return lsp.Range(start=pos(a, b), end=pos(c, d))


def lines_of(r: lsp.Range) -> tuple[int, int]:
    return r.start.line, r.end.line


@pytest.fixture(scope="module")
def example() -> Document:
    return parse_text((ROOT / "examples" / "all-sections.dlm").read_text(encoding="utf-8"))


def synth_doc(
    prose: str = "# Caching\n\nThe cache keeps 3 replicas per shard.\n", newline: str = "\n"
) -> Document:
    """Prose, a synthesized section pointing at it (two pairs), a stale synthesized
    section (its source is gone), and a hand-written instruction section."""
    head = FRONT + "\n" + prose
    # the prose's content (and so its id) includes the blank line before the next fence
    sid = parse_text(head + "\n::instruction::\n").sections[0].section_id
    text = (
        head
        + "\n::instruction::\n"
        + MARKER.format(sid=sid)
        + "\n### Q\nHow many replicas does the cache keep?\n### A\nThree per shard.\n\n"
        + "### Q\nWhat is replicated?\n### A\nEach shard.\n\n"
        + "::instruction#facts::\n"
        + MARKER.format(sid=MISSING)
        + "\n### Q\nWhat was the old text about?\n### A\nSomething removed.\n\n"
        + "::instruction::\n### Q\nHand written?\n### A\nYes.\n"
    )
    return parse_text(text.replace("\n", newline))


def by_name(symbols: list[lsp.DocumentSymbol], prefix: str) -> lsp.DocumentSymbol:
    return next(s for s in symbols if s.name.startswith(prefix))


def as_json(value: object) -> str:
    return json.dumps(get_converter().unstructure(value))


# -- outline ---------------------------------------------------------------------


def test_outline_of_every_section_type(example: Document) -> None:
    symbols = features.document_symbols(example, U16)
    assert [(s.name, s.kind) for s in symbols] == [
        ("frontmatter", lsp.SymbolKind.Module),
        ("Rotating TLS certificates", lsp.SymbolKind.String),
        ("✦ How long are internal certificates valid?", lsp.SymbolKind.Event),
        ("How does the proxy pick up a renewed certificate?", lsp.SymbolKind.Interface),
        ("The renewal job failed overnight. What should I do?", lsp.SymbolKind.Enum),
        ("Renewal job flow", lsp.SymbolKind.File),
        ("audio/oncall-briefing.wav", lsp.SymbolKind.File),
        ("Notes", lsp.SymbolKind.String),
    ]
    front, prose, synth, hand, pref, image, _, notes = symbols
    assert front.detail == "smollm2-135m" and lines_of(front.range) == (0, 9)
    assert synth.detail == "auto-synth · vllm-server:http://127.0.0.1:8000 · extraction · #facts · 1 pair"
    assert hand.detail == "instruction · 1 pair"
    assert pref.detail == "preference · #tone · 1 triple"
    assert image.detail == "image · figures/renewal-flow.png"
    # range: fence (or first prose line) to the last owned line; selection: the naming line
    assert lines_of(prose.range) == (11, 16) and lines_of(prose.selection_range) == (11, 11)
    assert lines_of(synth.range) == (17, 23) and lines_of(synth.selection_range) == (20, 20)
    assert lines_of(notes.range) == (43, 47) and lines_of(notes.selection_range) == (45, 45)
    assert lines_of(image.selection_range) == (38, 38)
    for symbol in symbols:
        assert symbol.range.start.line <= symbol.selection_range.start.line <= symbol.range.end.line
        assert symbol.children is None


def test_outline_children_per_pair_and_synth_marking() -> None:
    doc = synth_doc()
    symbols = features.document_symbols(doc, U16)
    synth = by_name(symbols, "✦ How many replicas")
    assert synth.kind is lsp.SymbolKind.Event
    assert synth.detail == "auto-synth · openai:gpt-4o-mini · expansion · 2 pairs"
    assert synth.children is not None
    assert [c.name for c in synth.children] == [
        "How many replicas does the cache keep?",
        "What is replicated?",
    ]
    first, second = synth.children
    assert first.kind is lsp.SymbolKind.Field
    fence = synth.range.start.line
    assert doc.lines[fence] == "::instruction::"
    assert first.range.start.line == fence + 2  # fence, marker, ### Q
    assert doc.lines[first.selection_range.start.line] == "How many replicas does the cache keep?"
    assert doc.lines[second.selection_range.start.line] == "What is replicated?"
    assert first.range.end.line < second.range.start.line <= second.range.end.line <= synth.range.end.line
    stale = by_name(symbols, "✦ What was the old text")
    assert stale.detail is not None and "#facts" in stale.detail
    assert by_name(symbols, "Hand written?").kind is lsp.SymbolKind.Interface


def test_prose_titles() -> None:
    doc = parse_text(
        FRONT
        + "\nIntro line that is not a heading\n\n## Second level ##\n"
        + "::prose::\n```\n# not a heading: code\n```\nSetext title\n============\n"
        + "::prose::\n"
        + "word " * 40
        + "\n"
    )
    names = [s.name for s in features.document_symbols(doc, U16)[1:]]
    assert names[0] == "Second level"
    assert names[1] == "Setext title"
    assert names[2].endswith("…") and len(names[2]) == 60


def test_preference_children() -> None:
    triple = "### Prompt\n{p}\n### Chosen\nGood.\n### Rejected\nBad.\n\n"
    doc = parse_text(FRONT + "\n::preference::\n" + triple.format(p="First?") + triple.format(p="Second?"))
    (pref,) = features.document_symbols(doc, U16)[1:]
    assert pref.name == "First?" and pref.detail == "preference · 2 triples"
    assert pref.children is not None
    assert [(c.name, c.kind) for c in pref.children] == [
        ("First?", lsp.SymbolKind.EnumMember),
        ("Second?", lsp.SymbolKind.EnumMember),
    ]


def test_outline_is_memoised_per_document_but_returned_as_a_copy(example: Document) -> None:
    first = features.document_symbols(example, U16)
    first.clear()
    again = features.document_symbols(example, U16)
    assert len(again) == 8


# -- folding ---------------------------------------------------------------------


def test_folding_per_section_without_trailing_blank_lines(example: Document) -> None:
    folds = [(f.start_line, f.end_line) for f in features.folding_ranges(example)]
    assert folds == [(0, 9), (11, 15), (17, 22), (24, 28), (30, 36), (38, 39), (43, 47)]
    assert all(f.kind == lsp.FoldingRangeKind.Region for f in features.folding_ranges(example))


def test_folding_code_blocks_in_prose() -> None:
    doc = parse_text(FRONT + "\n# Title\n\n```python\nx = 1\n::instruction::\n```\n\ntext\n")
    code = doc.lines.index("```python")
    folds = [(f.start_line, f.end_line) for f in features.folding_ranges(doc)]
    assert (code, code + 3) in folds
    assert (6, len(doc.lines) - 2) in folds  # the whole prose section


# -- hover -----------------------------------------------------------------------


def test_hover_on_marker_with_source() -> None:
    doc = synth_doc()
    marker = next(i for i, line in enumerate(doc.lines) if "dlm-auto-synth" in line)
    result = features.hover(doc, pos(marker, 5), U16)
    assert result is not None
    assert isinstance(result.contents, lsp.MarkupContent)
    assert result.contents.kind == lsp.MarkupKind.Markdown
    text = result.contents.value
    assert "`openai:gpt-4o-mini`" in text and "`expansion`" in text and "2026-11-21T10:00:00Z" in text
    assert "“Caching”, line 7" in text
    assert "> # Caching" in text and "> The cache keeps 3 replicas per shard." in text
    assert result.range == rng(marker, 0, marker, len(doc.lines[marker]))


def test_hover_on_marker_with_missing_source() -> None:
    doc = synth_doc()
    marker = next(i for i, line in enumerate(doc.lines) if MISSING in line)
    result = features.hover(doc, pos(marker, 0), U16)
    assert result is not None and isinstance(result.contents, lsp.MarkupContent)
    assert "missing" in result.contents.value and f"`{MISSING}`" in result.contents.value
    assert "> " not in result.contents.value  # no preview


def test_hover_preview_is_bounded() -> None:
    prose = "# Long\n" + "".join(f"line {n} " + "x" * 80 + "\n" for n in range(20))
    doc = synth_doc(prose)
    marker = next(i for i, line in enumerate(doc.lines) if "dlm-auto-synth" in line)
    result = features.hover(doc, pos(marker, 0), U16)
    assert result is not None and isinstance(result.contents, lsp.MarkupContent)
    quoted = [row for row in result.contents.value.split("\n") if row.startswith(">")]
    assert len(quoted) <= 6
    assert sum(len(row) for row in quoted) <= 300 + 6 * 3


def test_hover_on_fences(example: Document) -> None:
    synth = features.hover(example, pos(17, 2), U16)
    assert synth is not None and isinstance(synth.contents, lsp.MarkupContent)
    text = synth.contents.value
    assert text.startswith("**instruction** section for adapter `#facts`")
    assert "`35aef62a49843642`" in text and "1 Q/A pair" in text and "auto-synth" in text
    pref = features.hover(example, pos(30, 0), U16)
    assert pref is not None and isinstance(pref.contents, lsp.MarkupContent)
    assert "1 preference triple" in pref.contents.value and "`#tone`" in pref.contents.value
    image = features.hover(example, pos(38, 0), U16)
    assert image is not None and isinstance(image.contents, lsp.MarkupContent)
    assert "`figures/renewal-flow.png`" in image.contents.value
    notes = features.hover(example, pos(43, 0), U16)
    assert notes is not None and isinstance(notes.contents, lsp.MarkupContent)
    assert "**prose** section" in notes.contents.value


def test_hover_elsewhere_is_none(example: Document) -> None:
    assert features.hover(example, pos(20, 3), U16) is None  # a question
    assert features.hover(example, pos(13, 0), U16) is None  # prose text
    assert features.hover(example, pos(2, 0), U16) is None  # frontmatter
    assert features.hover(example, pos(999, 0), U16) is None


# -- definition ------------------------------------------------------------------


def test_definition_from_marker_to_source(example: Document) -> None:
    line = example.lines[18]
    on_id = line.index("88bf51f00bbd1850") + 3
    for character in (0, on_id, len(line)):
        location = features.definition(example, URI, pos(18, character), U16)
        assert location is not None
        assert location.uri == URI
        assert lines_of(location.range) == (11, 15)
        assert location.range.start.character == 0


def test_definition_none_without_source_or_marker() -> None:
    doc = synth_doc()
    stale = next(i for i, line in enumerate(doc.lines) if MISSING in line)
    assert features.definition(doc, URI, pos(stale, 10), U16) is None
    assert features.definition(doc, URI, pos(stale - 1, 0), U16) is None  # the fence
    assert features.definition(doc, URI, pos(0, 0), U16) is None


# -- code lens -------------------------------------------------------------------


def test_code_lenses(example: Document) -> None:
    lenses = features.code_lenses(example, URI, U16)
    got = [
        (lens.range.start.line, lens.command.title, lens.command.command, lens.command.arguments)
        for lens in lenses
        if lens.command is not None
    ]
    assert got == [
        (11, "Synthesize instructions", ids.SYNTHESIZE, [{"uri": URI, "sectionId": "88bf51f00bbd1850"}]),
        (11, "1 synthesized pair", ids.LIST, [{"uri": URI}]),
        (
            17,
            "from “Rotating TLS certificates”",
            ids.REVEAL_SOURCE,
            [{"uri": URI, "sectionId": "88bf51f00bbd1850"}],
        ),
        (43, "Synthesize instructions", ids.SYNTHESIZE, [{"uri": URI, "sectionId": "b2c879287c331a03"}]),
    ]
    json.loads(as_json(lenses))


def test_code_lens_counts_pairs_and_flags_missing_sources() -> None:
    doc = synth_doc()
    titles = [lens.command.title for lens in features.code_lenses(doc, URI, U16) if lens.command]
    assert titles == [
        "Synthesize instructions",
        "2 synthesized pairs",
        "from “Caching”",
        "⚠ source missing · remove",
    ]
    missing = features.code_lenses(doc, URI, U16)[-1].command
    assert missing is not None and missing.command == ids.REVERT
    stale = next(s for s in doc.sections if s.source_section_id == MISSING)
    assert missing.arguments == [{"uri": URI, "sectionId": stale.section_id}]


# -- code actions ----------------------------------------------------------------


def titles(actions: list[lsp.CodeAction]) -> list[str]:
    return [a.title for a in actions]


def test_actions_on_prose_cursor(example: Document) -> None:
    actions = features.code_actions(example, URI, rng(13, 4, 13, 4), [], U16, None)
    assert titles(actions) == [
        SYNTHESIZE_SECTION,
        f"{SYNTHESIZE_SECTION} (extraction)",
        f"{SYNTHESIZE_SECTION} (expansion)",
        f"{SYNTHESIZE_SECTION} (both)",
        SYNTHESIZE_ALL,
        REVERT_ALL,
    ]
    kinds = [a.kind for a in actions]
    assert kinds == [lsp.CodeActionKind.RefactorRewrite] * 4 + [lsp.CodeActionKind.Source] * 2
    section = actions[0].command
    assert section is not None and section.command == ids.SYNTHESIZE
    assert section.arguments == [{"uri": URI, "sectionId": "88bf51f00bbd1850"}]
    both = actions[3].command
    assert both is not None and both.arguments == [
        {"uri": URI, "sectionId": "88bf51f00bbd1850", "strategy": "both"}
    ]
    everything = actions[4].command
    assert everything is not None and everything.command == ids.SYNTHESIZE_DOCUMENT
    assert everything.arguments == [{"uri": URI}]
    revert = actions[5].command
    assert revert is not None and (revert.command, revert.arguments) == (ids.REVERT, [{"uri": URI}])
    json.loads(as_json(actions))


def test_action_for_a_selection(example: Document) -> None:
    actions = features.code_actions(example, URI, rng(13, 0, 14, 5), [], U16, None)
    assert actions[0].title == SYNTHESIZE_SELECTION
    command = actions[0].command
    assert command is not None and command.command == ids.SYNTHESIZE
    assert command.arguments == [
        {"uri": URI, "range": {"start": {"line": 13, "character": 0}, "end": {"line": 14, "character": 5}}}
    ]
    # whole lines selected up to column 0 of the next section's fence: clipped to the section
    whole = features.code_actions(example, URI, rng(13, 0, 17, 0), [], U16, None)
    assert whole[0].title == SYNTHESIZE_SELECTION
    assert whole[0].command is not None
    assert whole[0].command.arguments == [
        {
            "uri": URI,
            "range": {"start": {"line": 13, "character": 0}, "end": {"line": 16, "character": 0}},
        }
    ]
    # reaching into the next section, or selecting only blank text: no selection action
    assert SYNTHESIZE_SELECTION not in titles(
        features.code_actions(example, URI, rng(13, 0, 19, 3), [], U16, None)
    )
    assert SYNTHESIZE_SELECTION not in titles(
        features.code_actions(example, URI, rng(12, 0, 12, 0), [], U16, None)
    )
    assert SYNTHESIZE_SELECTION not in titles(
        features.code_actions(example, URI, rng(16, 0, 16, 0), [], U16, None)
    )


def test_selection_on_prose_fence_starts_at_its_text(example: Document) -> None:
    actions = features.code_actions(example, URI, rng(43, 0, 45, 7), [], U16, None)
    assert actions[0].title == SYNTHESIZE_SELECTION and actions[0].command is not None
    assert actions[0].command.arguments == [
        {"uri": URI, "range": {"start": {"line": 44, "character": 0}, "end": {"line": 45, "character": 7}}}
    ]


def test_actions_on_synthesized_and_plain_sections(example: Document) -> None:
    actions = features.code_actions(example, URI, rng(21, 0, 21, 0), [], U16, None)
    assert titles(actions) == [REMOVE_SECTION, SYNTHESIZE_ALL, REVERT_ALL]
    assert actions[0].kind == lsp.CodeActionKind.RefactorRewrite and actions[0].command is not None
    assert actions[0].command.arguments == [{"uri": URI, "sectionId": "35aef62a49843642"}]
    assert titles(features.code_actions(example, URI, rng(27, 0, 27, 0), [], U16, None)) == [
        SYNTHESIZE_ALL,
        REVERT_ALL,
    ]


def test_only_filters_by_kind_prefix(example: Document) -> None:
    at = rng(13, 4, 13, 4)
    source = features.code_actions(example, URI, at, [], U16, [lsp.CodeActionKind.Source])
    assert titles(source) == [SYNTHESIZE_ALL, REVERT_ALL]
    refactor = features.code_actions(example, URI, at, [], U16, [lsp.CodeActionKind.Refactor])
    assert {a.kind for a in refactor} == {lsp.CodeActionKind.RefactorRewrite} and len(refactor) == 4
    assert features.code_actions(example, URI, at, [], U16, [lsp.CodeActionKind.QuickFix]) == []
    assert features.code_actions(example, URI, at, [], U16, ["refactor.extract"]) == []


def test_no_revert_all_without_synthesized_sections() -> None:
    doc = parse_text(FRONT + "\n# Only prose\n\nText.\n")
    assert titles(features.code_actions(doc, URI, rng(6, 0, 6, 0), [], U16, [lsp.CodeActionKind.Source])) == [
        SYNTHESIZE_ALL
    ]


def diagnostics_of(doc: Document, code: Code, enc: PositionEncoding = U16) -> list[lsp.Diagnostic]:
    found = [to_diagnostic(doc, p, enc) for p in doc.problems if p.code is code]
    # what the client sends back: the diagnostic as JSON, data included
    converter = get_converter()
    return [converter.structure(converter.unstructure(d), lsp.Diagnostic) for d in found]


def test_stale_provenance_quick_fixes() -> None:
    doc = synth_doc()
    (diagnostic,) = diagnostics_of(doc, Code.STALE_PROVENANCE)
    line = diagnostic.range.start.line
    actions = features.code_actions(
        doc, URI, diagnostic.range, [diagnostic], U16, [lsp.CodeActionKind.QuickFix]
    )
    assert titles(actions) == [REGENERATE, REMOVE_STALE]
    assert all(a.kind == lsp.CodeActionKind.QuickFix and a.diagnostics == [diagnostic] for a in actions)
    regenerate, remove = (a.command for a in actions)
    prose = doc.sections[0]
    stale = doc.section_at(line)
    assert stale is not None and stale.source_section_id == MISSING
    assert regenerate is not None and regenerate.command == ids.SYNTHESIZE
    assert regenerate.arguments == [{"uri": URI, "sectionId": prose.section_id}]
    assert remove is not None and remove.command == ids.REVERT
    assert remove.arguments == [{"uri": URI, "sectionId": stale.section_id}]
    # an old diagnostic for a section that is gone gives no fixes
    fixed = parse_text(doc.text.replace(doc.lines[line] + "\n", ""))
    assert (
        features.code_actions(fixed, URI, diagnostic.range, [diagnostic], U16, [lsp.CodeActionKind.QuickFix])
        == []
    )


def test_misspelled_fence_quick_fix_keeps_the_adapter() -> None:
    doc = parse_text(FRONT + "\n# T\n\nText.\n\n::instrution#facts::\n### Q\nQ?\n### A\nA.\n")
    (diagnostic,) = diagnostics_of(doc, Code.UNKNOWN_FENCE)
    assert diagnostic.data == {"suggestion": "::instruction::"}
    row = diagnostic.range.start.line
    (fix,) = features.code_actions(
        doc, URI, diagnostic.range, [diagnostic], U16, [lsp.CodeActionKind.QuickFix]
    )
    assert fix.title == "Change to ::instruction#facts::"
    assert fix.is_preferred is True and fix.diagnostics == [diagnostic]
    assert fix.edit is not None and fix.edit.changes is not None
    assert fix.edit.changes[URI] == [lsp.TextEdit(range=rng(row, 2, row, 12), new_text="instruction")]


def test_unknown_key_quick_fix() -> None:
    doc = parse_text(FRONT.replace("base_model", "base_modle") + "\n# T\n\nText.\n")
    diagnostics = [
        d for d in diagnostics_of(doc, Code.SCHEMA_UNKNOWN_KEY) if (d.data or {}).get("suggestion")
    ]
    assert diagnostics
    diagnostic = diagnostics[0]
    fixes = features.code_actions(
        doc, URI, diagnostic.range, [diagnostic], U16, [lsp.CodeActionKind.QuickFix]
    )
    assert [f.title for f in fixes] == ["Rename to 'base_model'"]
    assert fixes[0].edit is not None and fixes[0].edit.changes is not None
    (edit,) = fixes[0].edit.changes[URI]
    assert edit.new_text == "base_model" and edit.range == diagnostic.range


def test_quick_fixes_ignore_foreign_diagnostics(example: Document) -> None:
    foreign = lsp.Diagnostic(range=rng(13, 0, 13, 3), message="spelling", code="cSpell", data={"x": 1})
    assert (
        features.code_actions(example, URI, foreign.range, [foreign], U16, [lsp.CodeActionKind.QuickFix])
        == []
    )


# -- line breaks, BOM and position encodings ----------------------------------------


def test_crlf_and_bom_documents() -> None:
    plain = synth_doc()
    doc = parse_text("\ufeff" + synth_doc(newline="\r\n").source_text)
    assert doc.bom and doc.lines == plain.lines
    assert [s.name for s in features.document_symbols(doc, U16)] == [
        s.name for s in features.document_symbols(plain, U16)
    ]
    front = features.document_symbols(doc, U16)[0]
    assert front.range.start == pos(0, 1)  # past the BOM, in the client's buffer
    marker = next(i for i, line in enumerate(doc.lines) if "dlm-auto-synth" in line)
    assert features.definition(doc, URI, pos(marker, 3), U16) is not None
    assert features.hover(doc, pos(marker, 3), U16) is not None
    assert [lens.command.title for lens in features.code_lenses(doc, URI, U16) if lens.command][:2] == [
        "Synthesize instructions",
        "2 synthesized pairs",
    ]


def test_astral_characters_in_utf16_and_utf8() -> None:
    doc = synth_doc("# Emoji 😀 cache\n\nThe 😀 cache keeps 3 replicas.\n")
    heading = doc.lines.index("# Emoji 😀 cache")
    prose16 = features.document_symbols(doc, U16)[1]
    prose8 = features.document_symbols(doc, U8)[1]
    assert prose16.name == prose8.name == "Emoji 😀 cache"
    width = len("# Emoji 😀 cache")
    assert prose16.selection_range.end == pos(heading, width + 1)  # 😀 is 2 utf-16 units
    assert prose8.selection_range.end == pos(heading, width + 3)  # and 4 utf-8 bytes
    text_line = heading + 2
    # a selection after the emoji, as each client addresses it, comes back unchanged
    after16 = rng(text_line, 7, text_line, 13)
    after8 = rng(text_line, 9, text_line, 15)
    for enc, selection in ((U16, after16), (U8, after8)):
        (action, *_) = features.code_actions(doc, URI, selection, [], enc, None)
        assert action.title == SYNTHESIZE_SELECTION and action.command is not None
        assert action.command.arguments == [{"uri": URI, "range": get_converter().unstructure(selection)}]
    marker = next(i for i, line in enumerate(doc.lines) if "dlm-auto-synth" in line)
    hover = features.hover(doc, pos(marker, 0), U8)
    assert hover is not None and isinstance(hover.contents, lsp.MarkupContent)
    assert "“Emoji 😀 cache”" in hover.contents.value


def test_command_ids() -> None:
    assert ids.ALL_COMMANDS == (
        "dlm-synth.synthesize",
        "dlm-synth.synthesizeDocument",
        "dlm-synth.revert",
        "dlm-synth.list",
        "dlm-synth.cancel",
        "dlm-synth.applyStaged",
        "dlm-synth.revealSource",
    )


def test_large_document_invariants() -> None:
    """Over the 1 MB benchmark document: one symbol per section (plus the
    frontmatter), every selection inside its range, every fold and lens on a line of
    its section, and each answer memoised for the same Document."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen_doc", ROOT / "bench" / "gen_doc.py")
    assert spec is not None and spec.loader is not None
    gen_doc = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen_doc)
    doc = parse_text(gen_doc.generate(200_000))
    symbols = features.document_symbols(doc, U16)
    assert len(symbols) == len(doc.sections) + 1
    for symbol in symbols:
        for item in [symbol, *(symbol.children or [])]:
            assert (item.range.start.line, item.range.start.character) <= (
                item.selection_range.start.line,
                item.selection_range.start.character,
            )
            assert item.selection_range.end.line <= item.range.end.line
            assert item.name
    starts = {s.start_line - 1 for s in doc.sections}
    assert {lens.range.start.line for lens in features.code_lenses(doc, URI, U16)} <= starts
    assert all(f.start_line < f.end_line for f in features.folding_ranges(doc))
    assert features.document_symbols(doc, U16)[1] is symbols[1]
    synthesized = [s for s in doc.sections if s.auto_synth]
    assert synthesized
    for section in synthesized[:20]:
        marker = section.start_line  # the line after the fence
        location = features.definition(doc, URI, pos(marker, 0), U16)
        source = doc.find(section.source_section_id or "")
        assert (location is None) == (source is None)


def test_media_sections_with_one_path_keep_their_own_titles() -> None:
    doc = parse_text(
        FRONT + '\n::image path="a.png" alt="First view"::\n\n::image path="a.png" alt="Second view"::\n'
    )
    assert [s.name for s in features.document_symbols(doc, U16)[1:]] == ["First view", "Second view"]
