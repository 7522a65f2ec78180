"""The editor features over documents written here, with cursor markers (`$N`) and
the expected answer beside each as an inline snapshot (see fixtures.py): outline,
folding, hover, definition, code lenses and code actions, in utf-16 and utf-8."""

from __future__ import annotations

import json

import pytest
from dlm_synth_lsp.document import parse_text
from dlm_synth_lsp.document.document import TextChange
from dlm_synth_lsp.document.outline import prose_title
from dlm_synth_lsp.lsp import features
from dlm_synth_lsp.lsp import protocol as ids
from dlm_synth_lsp.lsp.features.code_actions import SYNTHESIZE_SELECTION
from lsprotocol import types as lsp

from .fixtures import U8, U16, URI, Fixture, actions, as_json, fixture, lenses, markdown, outline

FRONT = """\
---
dlm_id: 01KPQ9X1000000000000000003
dlm_version: 15
base_model: smollm2-135m
---
"""

#: every section type, with a synthesized section pointing at the first prose
ALL_SECTIONS = """\
---
dlm_id: 01KPQ9X1000000000000000003
dlm_version: 15
base_model: smollm2-135m
training:
  adapters:
    tone:
      lora_r: 8
    facts: {}
---
$10
# Rotating TLS certificates

$5Certificates issued by the internal CA are $0valid for 90 days. The renewal job runs
daily$6 and replaces any certificate that expires within 30 days, then reloads the
proxy with a SIGHUP so open connections are not dropped.
$1
$7::instruction#facts::$2
$11<!-- dlm-auto-synth: synth_teacher="vllm-server:http://127.0.0.1:8000" synth_strategy="extraction" synth_at="2026-11-20T09:12:00Z" source_section_id="$12{id:Rotating TLS certificates}" -->$13
###$8 Q
How long are internal certificates valid?$3
### A
90 days.

::instruction::
### Q
How does the proxy $4pick up a renewed certificate?
### A
The renewal job sends it a SIGHUP, which reloads certificates without dropping open connections.

$14::preference#tone::
### Prompt
The renewal job failed overnight. What should I do?
### Chosen
Check the job's log for the failing certificate, fix the cause, and re-run the job; certificates expiring within 30 days are renewed on the next run.
### Rejected
Restart the proxy.

$15::image path="figures/renewal-flow.png" alt="Renewal job flow"::
The renewal job, the CA and the proxy, with the SIGHUP reload.

::audio path="audio/oncall-briefing.wav" transcript="Certificates renew daily; page the on-call if a renewal fails twice."::

$9::prose::

# Notes

Expired$16 certificates show up as handshake failures in the proxy log.
"""

MARKER = (
    '<!-- dlm-auto-synth: synth_teacher="openai:gpt-4o-mini" synth_strategy="expansion" '
    'synth_at="2026-11-21T10:00:00Z" source_section_id="{sid}" -->'
)
MISSING = "0123456789abcdef"


def synthesized(
    prose: str = "# Caching\n\nThe cache keeps 3 replicas per shard.\n", **options: object
) -> Fixture:
    """Prose, a synthesized section pointing at it (two pairs), a stale synthesized
    section (its source is gone), and a hand-written instruction section. `$0` is on
    the first marker, `$1` on the stale one, `$2` on the stale section's fence."""
    return fixture(
        FRONT
        + "\n"
        + prose
        + "\n::instruction::\n$0"
        + MARKER.replace("{sid}", "{id:" + prose_title(prose) + "}")
        + "\n### Q\nHow many replicas does the cache keep?\n### A\nThree per shard.\n\n"
        + "### Q\nWhat is replicated?\n### A\nEach shard.\n\n"
        + "$2::instruction#facts::\n$1"
        + MARKER.format(sid=MISSING)
        + "\n### Q\nWhat was the old text about?\n### A\nSomething removed.\n\n"
        + "::instruction::\n### Q\nHand written?\n### A\nYes.\n",
        **options,  # type: ignore[arg-type]
    )


# -- outline ---------------------------------------------------------------------


def test_outline_of_every_section_type() -> None:
    fx = fixture(ALL_SECTIONS)
    assert outline(fx, features.document_symbols(fx.doc, U16)) == (
        "Object frontmatter · smollm2-135m  lines 0-9, name on 0\n"
        "Module Rotating TLS certificates · prose  lines 11-16, name on 11\n"
        "Struct ✦ How long are internal certificates valid? · auto-synth · vllm-server:http://127.0.0.1:8000"
        " · extraction · #facts · 1 pair  lines 17-23, name on 20\n"
        "Struct How does the proxy pick up a renewed certificate? · instruction · 1 pair  lines 24-29, name on 26\n"
        "Enum The renewal job failed overnight. What should I do? · preference · #tone · 1 triple"
        "  lines 30-37, name on 32\n"
        "File Renewal job flow · image · figures/renewal-flow.png  lines 38-40, name on 38\n"
        "File audio/oncall-briefing.wav · audio  lines 41-42, name on 41\n"
        "Module Notes · prose  lines 43-47, name on 45"
    )


def test_outline_children_per_pair_and_synth_marking() -> None:
    fx = synthesized()
    assert outline(fx, features.document_symbols(fx.doc, U16)) == (
        "Object frontmatter · smollm2-135m  lines 0-4, name on 0\n"
        "Module Caching · prose  lines 6-9, name on 6\n"
        "Struct ✦ How many replicas does the cache keep? · auto-synth · openai:gpt-4o-mini · expansion"
        " · 2 pairs  lines 10-21, name on 13\n"
        "  Field How many replicas does the cache keep? · Q/A  lines 12-16, name on 13\n"
        "  Field What is replicated? · Q/A  lines 17-20, name on 18\n"
        "Struct ✦ What was the old text about? · auto-synth · openai:gpt-4o-mini · expansion · #facts"
        " · 1 pair  lines 22-28, name on 25\n"
        "Struct Hand written? · instruction · 1 pair  lines 29-33, name on 31"
    )


def test_large_documents_get_an_outline_by_prose_heading(monkeypatch: pytest.MonkeyPatch) -> None:
    from dlm_synth_lsp.lsp.features import symbols

    monkeypatch.setattr(symbols, "DETAILED_LIMIT", 3)
    fx = fixture(ALL_SECTIONS)
    assert outline(fx, features.document_symbols(fx.doc, U16)) == (
        "Object frontmatter · smollm2-135m  lines 0-9, name on 0\n"
        "String Rotating TLS certificates · prose · 2 instruction · 1 preference · 1 image · 1 audio"
        " · 1 synthesized · 2 pairs  lines 11-42, name on 11\n"
        "String Notes · prose  lines 43-47, name on 45"
    )
    # a keystroke in the last paragraph rebuilds only its group's symbol
    before = features.document_symbols(fx.doc, U16)
    last = len(fx.doc.lines) - 2
    after = features.document_symbols(fx.doc.apply(TextChange("x", (last, 0, last, 0)), U16), U16)
    assert after[1] is before[1] and after[2] is not before[2]


def test_prose_titles() -> None:
    fx = fixture(
        FRONT
        + "\nIntro line that is not a heading\n\n## Second level ##\n"
        + "::prose::\n```\n# not a heading: code\n```\nSetext title\n============\n"
        + "::prose::\n"
        + "word " * 40
        + "\n"
    )
    names = [s.name for s in features.document_symbols(fx.doc, U16)[1:]]
    assert names[0] == "Second level"
    assert names[1] == "Setext title"
    assert names[2].endswith("…") and len(names[2]) == 60


def test_preference_children() -> None:
    triple = "### Prompt\n{p}\n### Chosen\nGood.\n### Rejected\nBad.\n\n"
    fx = fixture(FRONT + "\n::preference::\n" + triple.format(p="First?") + triple.format(p="Second?"))
    assert outline(fx, features.document_symbols(fx.doc, U16)[1:]) == (
        "Enum First? · preference · 2 triples  lines 6-20, name on 8\n"
        "  EnumMember First? · prompt  lines 7-13, name on 8\n"
        "  EnumMember Second? · prompt  lines 14-19, name on 15"
    )


def test_outline_is_memoised_per_document_but_returned_as_a_copy() -> None:
    doc = fixture(ALL_SECTIONS).doc
    first = features.document_symbols(doc, U16)
    first.clear()
    again = features.document_symbols(doc, U16)
    assert len(again) == 8
    assert again[1] is features.document_symbols(doc, U16)[1]


def test_media_sections_with_one_path_keep_their_own_titles() -> None:
    fx = fixture(
        FRONT + '\n::image path="a.png" alt="First view"::\n\n::image path="a.png" alt="Second view"::\n'
    )
    assert [s.name for s in features.document_symbols(fx.doc, U16)[1:]] == ["First view", "Second view"]


# -- folding ---------------------------------------------------------------------


def test_folding_per_section_without_trailing_blank_lines() -> None:
    doc = fixture(ALL_SECTIONS).doc
    folds = features.folding_ranges(doc)
    assert [(f.start_line, f.end_line) for f in folds] == [
        (0, 9),  # frontmatter
        (11, 15),  # prose, up to its last text line
        (17, 22),
        (24, 28),
        (30, 36),
        (38, 39),
        (43, 47),
    ]
    assert all(f.kind == lsp.FoldingRangeKind.Region for f in folds)


def test_folding_code_blocks_in_prose() -> None:
    fx = fixture(FRONT + "\n# Title\n\n$0```python\nx = 1\n::instruction::\n$1```\n\ntext\n$2")
    folds = [(f.start_line, f.end_line) for f in features.folding_ranges(fx.doc)]
    assert (fx.at(0).line, fx.at(1).line) in folds  # the code block
    assert (6, fx.at(2).line - 1) in folds  # the whole prose section


# -- hover -----------------------------------------------------------------------


def test_hover_on_marker_with_source() -> None:
    fx = synthesized()
    assert markdown(fx, features.hover(fx.doc, fx.at(0), U16)) == (
        "[11:0-11:155]\n"
        "**✦ auto-synth** instruction section\n"
        "\n"
        "- teacher: `openai:gpt-4o-mini`\n"
        "- strategy: `expansion`\n"
        "- synthesized: `2026-11-21T10:00:00Z`\n"
        "- source: `§Caching` — “Caching”, line 7\n"
        "\n"
        "---\n"
        "\n"
        "> # Caching\n"
        ">\n"
        "> The cache keeps 3 replicas per shard."
    )


def test_hover_on_marker_with_missing_source() -> None:
    fx = synthesized()
    assert markdown(fx, features.hover(fx.doc, fx.at(1), U16)) == (
        "[23:0-23:155]\n"
        "**✦ auto-synth** instruction section\n"
        "\n"
        "- teacher: `openai:gpt-4o-mini`\n"
        "- strategy: `expansion`\n"
        "- synthesized: `2026-11-21T10:00:00Z`\n"
        f"- source: `{MISSING}` — ⚠ missing: no prose section in this document has this id "
        "(the source was edited or removed)"
    )


def test_hover_preview_is_bounded() -> None:
    fx = synthesized("# Long\n" + "".join(f"line {n} " + "x" * 80 + "\n" for n in range(20)))
    hover = features.hover(fx.doc, fx.at(0), U16)
    assert hover is not None and isinstance(hover.contents, lsp.MarkupContent)
    quoted = [row for row in hover.contents.value.split("\n") if row.startswith(">")]
    assert len(quoted) <= 6
    assert sum(len(row) for row in quoted) <= 300 + 6 * 3


def test_hover_on_fences() -> None:
    fx = fixture(ALL_SECTIONS)
    assert markdown(fx, features.hover(fx.doc, fx.at(2), U16)) == (
        "[17:0-17:21]\n"
        "**instruction** section for adapter `#facts`\n"
        "\n"
        "- id: `§How long are internal certificates valid?`\n"
        "- 1 Q/A pair\n"
        "\n"
        "**✦ auto-synth**\n"
        "\n"
        "- teacher: `vllm-server:http://127.0.0.1:8000`\n"
        "- strategy: `extraction`\n"
        "- synthesized: `2026-11-20T09:12:00Z`\n"
        "- source: `§Rotating TLS certificates` — “Rotating TLS certificates”, line 12"
    )
    assert markdown(fx, features.hover(fx.doc, fx.at(14), U16)) == (
        "[30:0-30:19]\n"
        "**preference** section for adapter `#tone`\n"
        "\n"
        "- id: `§The renewal job failed overnight. What should I do?`\n"
        "- 1 preference triple"
    )
    assert markdown(fx, features.hover(fx.doc, fx.at(15), U16)) == (
        "[38:0-38:64]\n"
        "**image** section\n"
        "\n"
        "- id: `§Renewal job flow`\n"
        "- path: `figures/renewal-flow.png`\n"
        "- alt: Renewal job flow"
    )
    assert markdown(fx, features.hover(fx.doc, fx.at(9), U16)) == (
        "[43:0-43:9]\n**prose** section\n\n- id: `§Notes`\n- “Notes”"
    )


def test_hover_elsewhere_is_none() -> None:
    fx = fixture(ALL_SECTIONS)
    for mark in (3, 0, 10):  # a question, prose text, the frontmatter's end
        assert features.hover(fx.doc, fx.at(mark), U16) is None
    assert features.hover(fx.doc, lsp.Position(line=999, character=0), U16) is None


# -- definition ------------------------------------------------------------------


def test_definition_from_marker_to_source() -> None:
    fx = fixture(ALL_SECTIONS)
    for mark in (11, 12, 13):  # start of the marker line, on the id, its end
        location = features.definition(fx.doc, URI, fx.at(mark), U16)
        assert location is not None and location.uri == URI
        # the source prose, from its first line to the end of its last text line
        last = fx.doc.lines[15]
        assert last.endswith("not dropped.")
        assert location.range == lsp.Range(
            start=lsp.Position(line=11, character=0), end=lsp.Position(line=15, character=len(last))
        )


def test_definition_none_without_source_or_marker() -> None:
    fx = synthesized()
    for mark in (1, 2):  # the stale marker, its fence
        assert features.definition(fx.doc, URI, fx.at(mark), U16) is None
    assert features.definition(fx.doc, URI, lsp.Position(line=0, character=0), U16) is None


# -- code lens -------------------------------------------------------------------


def test_code_lenses() -> None:
    fx = fixture(ALL_SECTIONS)
    found = features.code_lenses(fx.doc, URI, U16)
    assert lenses(fx, found) == (
        '11: Synthesize instructions → dlm-synth.synthesize {"sectionId": "§Rotating TLS certificates"}\n'
        # the list of that source's pairs (the clients show it: a pick list, the quickfix list)
        '11: 1 synthesized pair → dlm-synth.list {"sourceSectionId": "§Rotating TLS certificates"}\n'
        "17: from “Rotating TLS certificates” → dlm-synth.revealSource"
        ' {"sectionId": "§Rotating TLS certificates"}\n'
        '43: Synthesize instructions → dlm-synth.synthesize {"sectionId": "§Notes"}'
    )
    json.dumps(as_json(found))


def test_code_lens_counts_pairs_and_flags_missing_sources() -> None:
    fx = synthesized()
    assert lenses(fx, features.code_lenses(fx.doc, URI, U16)) == (
        '6: Synthesize instructions → dlm-synth.synthesize {"sectionId": "§Caching"}\n'
        '6: 2 synthesized pairs → dlm-synth.list {"sourceSectionId": "§Caching"}\n'
        '10: from “Caching” → dlm-synth.revealSource {"sectionId": "§Caching"}\n'
        "22: ⚠ source missing · remove → dlm-synth.revert"
        ' {"sectionId": "§What was the old text about?"}'
    )


# -- code actions ----------------------------------------------------------------


def test_actions_on_prose_cursor() -> None:
    fx = fixture(ALL_SECTIONS)
    found = features.code_actions(fx.doc, URI, fx.between(0, 0), [], U16, None)
    section = '{"sectionId": "§Rotating TLS certificates"}'
    assert actions(fx, found) == (
        f"refactor.rewrite: Synthesize instructions for this section → dlm-synth.synthesize {section}\n"
        "refactor.rewrite: Synthesize instructions for this section (extraction) → dlm-synth.synthesize"
        ' {"strategy": "extraction", "sectionId": "§Rotating TLS certificates"}\n'
        "refactor.rewrite: Synthesize instructions for this section (expansion) → dlm-synth.synthesize"
        ' {"strategy": "expansion", "sectionId": "§Rotating TLS certificates"}\n'
        "refactor.rewrite: Synthesize instructions for this section (both) → dlm-synth.synthesize"
        ' {"strategy": "both", "sectionId": "§Rotating TLS certificates"}\n'
        "source: Synthesize instructions for all prose sections → dlm-synth.synthesizeDocument {}\n"
        "source: Revert all synthesized instructions → dlm-synth.revert {}"
    )
    json.dumps(as_json(found))


def test_action_for_a_selection() -> None:
    fx = fixture(ALL_SECTIONS)

    def selection_action(start: int, end: int) -> str:
        found = features.code_actions(fx.doc, URI, fx.between(start, end), [], U16, None)
        return actions(fx, [a for a in found if a.title == SYNTHESIZE_SELECTION])

    synthesize = "refactor.rewrite: Synthesize instructions for the selection → dlm-synth.synthesize"
    assert selection_action(5, 6) == (
        f'{synthesize} {{"range": {{"start": {{"line": 13, "character": 0}}, "end": {{"line": 14, "character": 5}}}}}}'
    )
    # whole lines selected up to column 0 of the next section's fence: clipped to the section
    assert selection_action(5, 7) == (
        f'{synthesize} {{"range": {{"start": {{"line": 13, "character": 0}}, "end": {{"line": 16, "character": 0}}}}}}'
    )
    # reaching into the next section, or selecting only blank text: no selection action
    assert selection_action(5, 8) == ""
    assert selection_action(10, 10) == ""
    assert selection_action(1, 1) == ""


def test_selection_on_prose_fence_starts_at_its_text() -> None:
    fx = fixture(ALL_SECTIONS)
    found = features.code_actions(fx.doc, URI, fx.between(9, 16), [], U16, None)
    assert found[0].title == SYNTHESIZE_SELECTION and found[0].command is not None
    assert found[0].command.arguments == [
        {"uri": URI, "range": {"start": {"line": 44, "character": 0}, "end": {"line": 47, "character": 7}}}
    ]


def test_actions_on_synthesized_and_plain_sections() -> None:
    fx = fixture(ALL_SECTIONS)
    assert actions(fx, features.code_actions(fx.doc, URI, fx.between(3, 3), [], U16, None)) == (
        "refactor.rewrite: Remove this synthesized section → dlm-synth.revert"
        ' {"sectionId": "§How long are internal certificates valid?"}\n'
        "source: Synthesize instructions for all prose sections → dlm-synth.synthesizeDocument {}\n"
        "source: Revert all synthesized instructions → dlm-synth.revert {}"
    )
    assert actions(fx, features.code_actions(fx.doc, URI, fx.between(4, 4), [], U16, None)) == (
        "source: Synthesize instructions for all prose sections → dlm-synth.synthesizeDocument {}\n"
        "source: Revert all synthesized instructions → dlm-synth.revert {}"
    )


def test_only_filters_by_kind_prefix() -> None:
    fx = fixture(ALL_SECTIONS)
    at = fx.between(0, 0)

    def kinds(only: list[str]) -> list[str | None]:
        return [a.kind for a in features.code_actions(fx.doc, URI, at, [], U16, only)]

    assert kinds([lsp.CodeActionKind.Source]) == [lsp.CodeActionKind.Source] * 2
    assert kinds([lsp.CodeActionKind.Refactor]) == [lsp.CodeActionKind.RefactorRewrite] * 4
    assert kinds([lsp.CodeActionKind.QuickFix]) == []
    assert kinds(["refactor.extract"]) == []


def test_no_revert_all_without_synthesized_sections() -> None:
    fx = fixture(FRONT + "\n# Only prose\n\n$0Text.\n")
    only = [lsp.CodeActionKind.Source]
    assert actions(fx, features.code_actions(fx.doc, URI, fx.between(0, 0), [], U16, only)) == (
        "source: Synthesize instructions for all prose sections → dlm-synth.synthesizeDocument {}"
    )


def test_stale_provenance_quick_fixes() -> None:
    fx = synthesized()
    (diagnostic,) = fx.diagnostics("DLM040")
    found = features.code_actions(
        fx.doc, URI, diagnostic.range, [diagnostic], U16, [lsp.CodeActionKind.QuickFix]
    )
    assert actions(fx, found) == (
        'quickfix: Regenerate from the current prose → dlm-synth.synthesize {"sectionId": "§Caching"}\n'
        "quickfix: Remove the stale synthesized section → dlm-synth.revert"
        ' {"sectionId": "§What was the old text about?"}'
    )
    assert all(a.diagnostics == [diagnostic] for a in found)
    # an old diagnostic for a section that is gone gives no fixes
    line = diagnostic.range.start.line
    fixed = parse_text(fx.doc.text.replace(fx.doc.lines[line] + "\n", ""))
    only = [lsp.CodeActionKind.QuickFix]
    assert features.code_actions(fixed, URI, diagnostic.range, [diagnostic], U16, only) == []


def edited() -> Fixture:
    """Two pairs synthesized from a paragraph that was edited since (one sentence
    added): their markers name its old id. `$0` is on the first marker."""
    old = fixture(FRONT + "\n# Caching\n\nThe cache keeps 3 replicas per shard.\n")
    old_id = old.doc.sections[0].section_id
    return fixture(
        FRONT
        + "\n# Caching\n\nThe cache keeps 3 replicas per shard. Reads go to the nearest.\n"
        + "\n::instruction::\n$0"
        + MARKER.format(sid=old_id)
        + "\n### Q\nHow many replicas?\n### A\nThree.\n\n"
        + "::instruction::\n"
        + MARKER.format(sid=old_id)
        + "\n### Q\nPer what?\n### A\nPer shard.\n"
    )


def test_pairs_after_edited_prose_offer_keep_as_the_preferred_fix() -> None:
    fx = edited()
    first, second = fx.diagnostics("DLM041")
    assert first.severity == lsp.DiagnosticSeverity.Information and "may no longer match" in first.message
    assert not fx.diagnostics("DLM040")
    found = features.code_actions(fx.doc, URI, first.range, [first], U16, [lsp.CodeActionKind.QuickFix])
    caching = fx.id_of("Caching")
    assert actions(fx, found) == (
        "quickfix: Keep these pairs (re-link to the edited paragraph) (preferred) → "
        f"edit 18:134-150 → {caching!r}; edit 11:134-150 → {caching!r}\n"
        'quickfix: Regenerate from the current prose → dlm-synth.synthesize {"sectionId": "§Caching"}\n'
        'quickfix: Remove the stale synthesized section → dlm-synth.revert {"sectionId": "§How many replicas?"}'
    )
    # the edit changes only the two id values; nothing is stale afterwards
    (keep, *_) = found
    assert keep.edit is not None and keep.edit.changes is not None
    after = fx.doc.text
    for edit in sorted(keep.edit.changes[URI], key=lambda e: e.range.start.line, reverse=True):
        lines = after.split("\n")
        row, start, end = edit.range.start.line, edit.range.start.character, edit.range.end.character
        lines[row] = lines[row][:start] + edit.new_text + lines[row][end:]
        after = "\n".join(lines)
    assert after.replace(caching, "X" * 16) == fx.doc.text.replace(second.data["source_section_id"], "X" * 16)  # type: ignore[index]
    assert [p.code.value for p in parse_text(after).problems] == []


def test_edited_prose_lens_hover_and_source_action() -> None:
    fx = edited()
    assert lenses(fx, features.code_lenses(fx.doc, URI, U16)).split("\n")[1:] == [
        '10: ✎ source edited · keep pairs → dlm-synth.relink {"sectionId": "§How many replicas?"}',
        '17: ✎ source edited · keep pairs → dlm-synth.relink {"sectionId": "§Per what?"}',
    ]
    assert "✎ edited: the prose above (“Caching”, line 7)" in markdown(
        fx, features.hover(fx.doc, fx.at(0), U16)
    )
    source = features.code_actions(fx.doc, URI, fx.between(0, 0), [], U16, [lsp.CodeActionKind.Source])
    relink = next(a for a in source if a.title == "Keep synthesized pairs after edited prose (re-link)")
    assert relink.edit is not None and relink.edit.changes is not None and len(relink.edit.changes[URI]) == 2
    # nothing to re-link: no such action
    plain = synthesized()
    source = features.code_actions(plain.doc, URI, plain.between(0, 0), [], U16, [lsp.CodeActionKind.Source])
    assert [a.title for a in source] == [
        "Synthesize instructions for all prose sections",
        "Revert all synthesized instructions",
    ]


def test_misspelled_fence_quick_fix_keeps_the_adapter() -> None:
    fx = fixture(FRONT + "\n# T\n\nText.\n\n::instrution#facts::\n### Q\nQ?\n### A\nA.\n")
    (diagnostic,) = fx.diagnostics("DLM010")
    assert diagnostic.data == {"suggestion": "::instruction::"}
    found = features.code_actions(
        fx.doc, URI, diagnostic.range, [diagnostic], U16, [lsp.CodeActionKind.QuickFix]
    )
    assert (
        actions(fx, found)
        == "quickfix: Change to ::instruction#facts:: (preferred) → edit 10:2-12 → 'instruction'"
    )
    assert found[0].diagnostics == [diagnostic]


def test_unknown_key_quick_fix() -> None:
    fx = fixture(FRONT.replace("base_model", "base_modle") + "\n# T\n\nText.\n")
    diagnostic = next(d for d in fx.diagnostics("DLM005") if (d.data or {}).get("suggestion"))
    found = features.code_actions(
        fx.doc, URI, diagnostic.range, [diagnostic], U16, [lsp.CodeActionKind.QuickFix]
    )
    assert actions(fx, found) == "quickfix: Rename to 'base_model' → edit 3:0-10 → 'base_model'"


def test_quick_fixes_ignore_foreign_diagnostics() -> None:
    fx = fixture(ALL_SECTIONS)
    foreign = lsp.Diagnostic(range=fx.between(5, 0), message="spelling", code="cSpell", data={"x": 1})
    only = [lsp.CodeActionKind.QuickFix]
    assert features.code_actions(fx.doc, URI, foreign.range, [foreign], U16, only) == []


# -- line breaks, BOM and position encodings ----------------------------------------


def test_crlf_and_bom_documents() -> None:
    plain = synthesized()
    fx = synthesized(newline="\r\n", bom=True)
    assert fx.doc.bom and fx.doc.lines == plain.doc.lines
    assert outline(fx, features.document_symbols(fx.doc, U16)) == outline(
        plain, features.document_symbols(plain.doc, U16)
    )
    front = features.document_symbols(fx.doc, U16)[0]
    assert front.range.start == lsp.Position(line=0, character=1)  # past the BOM, in the client's buffer
    assert features.definition(fx.doc, URI, fx.at(0), U16) is not None
    assert features.hover(fx.doc, fx.at(0), U16) is not None
    assert lenses(fx, features.code_lenses(fx.doc, URI, U16)) == lenses(
        plain, features.code_lenses(plain.doc, URI, U16)
    )


def test_astral_characters_in_utf16_and_utf8() -> None:
    prose = "# Emoji 😀 cache\n\nThe 😀 $3cache k$4eeps 3 replicas.\n"
    for encoding, width in ((U16, 2), (U8, 4)):
        fx = synthesized(prose, encoding=encoding)
        heading = fx.doc.lines.index("# Emoji 😀 cache")
        symbol = features.document_symbols(fx.doc, encoding)[1]
        assert symbol.name == "Emoji 😀 cache"
        # the name's line ends after the emoji's `width` units
        assert symbol.selection_range.end == lsp.Position(
            line=heading, character=len("# Emoji  cache") + width
        )
        # a selection after the emoji, as each client addresses it, comes back unchanged
        selection = fx.between(3, 4)
        assert selection.start.character == len("The  ") + width
        (action, *_) = features.code_actions(fx.doc, URI, selection, [], encoding, None)
        assert action.title == SYNTHESIZE_SELECTION and action.command is not None
        assert action.command.arguments == [{"uri": URI, "range": as_json(selection)}]
        hover = features.hover(fx.doc, fx.at(0), encoding)
        assert "“Emoji 😀 cache”" in markdown(fx, hover)


def test_command_ids() -> None:
    assert ids.ALL_COMMANDS == (
        "dlm-synth.synthesize",
        "dlm-synth.synthesizeDocument",
        "dlm-synth.revert",
        "dlm-synth.list",
        "dlm-synth.cancel",
        "dlm-synth.applyStaged",
        "dlm-synth.revealSource",
        "dlm-synth.status",
        "dlm-synth.relink",
        "dlm-synth.review",
        "dlm-synth.applyReview",
    )
    # the follow-ups only a client carries out are not server commands
    assert ids.CLIENT_COMMANDS == ("dlm-synth.openSetting", "dlm-synth.rememberSettings")
    assert not set(ids.CLIENT_COMMANDS) & set(ids.ALL_COMMANDS)


def test_large_document_invariants() -> None:
    """Over the 1 MB benchmark document: one symbol per section (plus the
    frontmatter), every selection inside its range, every fold and lens on a line of
    its section, and each answer memoised for the same Document."""
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    spec = importlib.util.spec_from_file_location("gen_doc", root / "bench" / "gen_doc.py")
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
    synthesized_sections = [s for s in doc.sections if s.auto_synth]
    assert synthesized_sections
    for section in synthesized_sections[:20]:
        marker = section.start_line  # the line after the fence
        location = features.definition(doc, URI, lsp.Position(line=marker, character=0), U16)
        source = doc.find(section.source_section_id or "")
        assert (location is None) == (source is None)


def test_hover_escapes_only_what_can_become_markup() -> None:
    """Parentheses, dots and dashes stay as they are (a client that shows the
    markdown as text, like Neovim's hover, would show every backslash); emphasis,
    code and link characters are escaped."""
    fx = fixture(FRONT + "\n$0::prose::\n# Dense matrix multiply (GEMM) - C := A*B_1 [x] 1.5!\n\ntext\n")
    assert markdown(fx, features.hover(fx.doc, fx.at(0), U16)).endswith(
        "- “Dense matrix multiply (GEMM) - C := A\\*B\\_1 \\[x\\] 1.5!”"
    )
