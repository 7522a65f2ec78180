"""Semantic tokens (document/semantic_tokens.py): decoded to (line, start, length,
type, modifiers) and compared with what each line should show."""

from __future__ import annotations

from dlm_synth_lsp.document import parse_text
from dlm_synth_lsp.document.document import TextChange
from dlm_synth_lsp.document.semantic_tokens import (
    TOKEN_MODIFIERS,
    TOKEN_TYPES,
    apply_edits,
    document_tokens,
    named,
    range_data,
)
from dlm_synth_lsp.document.text import PositionEncoding
from lsprotocol.types import SemanticTokenTypes

U8, U16, U32 = PositionEncoding.UTF8, PositionEncoding.UTF16, PositionEncoding.UTF32
SYN = ("synthesized",)
MARKER = (
    '<!-- dlm-auto-synth: synth_teacher="t" synth_strategy="extraction" '
    'synth_at="2026-01-01T00:00:00Z" source_section_id="0123456789abcdef" -->'
)
DOC = "\n".join(
    [
        "---",  # 0
        "dlm_id: 01KPQ9X1000000000000000003  # id",  # 1
        'base_model: "smollm2-135m"',  # 2
        "training:",  # 3
        "  lora_r: 8",  # 4
        "  target_modules: [q_proj, v_proj]",  # 5
        "  precision: null",  # 6
        "  sources:",  # 7
        "    - path: docs",  # 8
        "---",  # 9
        "",  # 10
        "# Cache blocking",  # 11
        "```python",  # 12
        "x = 1",  # 13
        "```",  # 14
        "::instruction#facts::",  # 15
        MARKER,  # 16
        "### Q",  # 17
        "What?",  # 18
        "### A",  # 19
        "That.",  # 20
        "",  # 21
        '::image path="a.png" alt="x"::',  # 22
        "caption",  # 23
        "::preference::",  # 24
        "### Prompt",  # 25
        "p",  # 26
        "",
    ]
)


def tokens(text: str, encoding: PositionEncoding = U16) -> list[tuple[int, int, int, str, tuple[str, ...]]]:
    data = document_tokens(parse_text(text), encoding).data
    return [(t.line, t.start, t.length, t.type, t.modifiers) for t in named(data)]


def on(found: list[tuple[int, int, int, str, tuple[str, ...]]], line: int) -> list[tuple[object, ...]]:
    return [t[1:] for t in found if t[0] == line]


def test_legend_uses_standard_types() -> None:
    assert set(TOKEN_TYPES) <= {t.value for t in SemanticTokenTypes}
    assert TOKEN_MODIFIERS == ("synthesized",)


def test_frontmatter_tokens() -> None:
    found = tokens(DOC)
    assert on(found, 0) == [(0, 3, "operator", ())]
    assert on(found, 1) == [(0, 6, "property", ()), (8, 26, "string", ()), (36, 4, "comment", ())]
    assert on(found, 2) == [(0, 10, "property", ()), (12, 14, "string", ())]
    assert on(found, 3) == [(0, 8, "property", ())]
    assert on(found, 4) == [(2, 6, "property", ()), (10, 1, "number", ())]
    assert on(found, 5) == [(2, 14, "property", ()), (19, 6, "string", ()), (27, 6, "string", ())]
    assert on(found, 6) == [(2, 9, "property", ()), (13, 4, "keyword", ())]
    assert on(found, 8) == [(4, 1, "operator", ()), (6, 4, "property", ()), (12, 4, "string", ())]
    assert on(found, 9) == [(0, 3, "operator", ())]


def test_body_tokens() -> None:
    found = tokens(DOC)
    assert on(found, 11) == []  # prose is the author's text
    assert on(found, 12) == [(0, 9, "macro", ())]
    assert on(found, 13) == [(0, 5, "string", ())]
    assert on(found, 15) == [
        (0, 2, "operator", SYN),
        (2, 11, "keyword", SYN),
        (13, 1, "operator", SYN),
        (14, 5, "namespace", SYN),
        (19, 2, "operator", SYN),
    ]
    marker = on(found, 16)
    assert marker[:2] == [(0, 4, "comment", SYN), (5, 15, "decorator", SYN)]
    assert marker[2:5] == [(21, 13, "property", SYN), (34, 1, "operator", SYN), (35, 3, "string", SYN)]
    assert marker[-1] == (len(MARKER) - 3, 3, "comment", SYN)
    assert len(marker) == 2 + 4 * 3 + 1
    assert on(found, 17) == [(0, 5, "keyword", SYN)]
    assert on(found, 18) == []
    assert on(found, 22) == [
        (0, 2, "operator", ()),
        (2, 5, "keyword", ()),
        (8, 4, "property", ()),
        (12, 1, "operator", ()),
        (13, 7, "string", ()),
        (21, 3, "property", ()),
        (24, 1, "operator", ()),
        (25, 3, "string", ()),
        (28, 2, "operator", ()),
    ]
    assert on(found, 24) == [(0, 2, "operator", ()), (2, 10, "keyword", ()), (12, 2, "operator", ())]
    assert on(found, 25) == [(0, 10, "keyword", ())]


def test_headings_are_marked_where_the_trainer_reads_them() -> None:
    text = "---\nbase_model: x\n---\n::instruction::\n  ### Q  \nq\n```\n### A\n```\n::prose::\n### Q\n"
    found = tokens(text)
    assert on(found, 4) == [(2, 5, "keyword", ())]  # padded: the trainer strips it
    assert on(found, 7) == [(0, 5, "keyword", ())]  # inside ``` too: the trainer does not know code
    assert on(found, 10) == []  # prose has no headings


def test_columns_in_every_encoding() -> None:
    text = '---\nsystem_prompt: "😋 é"  # 🦙 note\n---\n'
    # the comment starts 2 after the quoted value: 22 code points, 23 utf-16 units, 26 bytes
    assert on(tokens(text, U32), 1)[1:] == [(15, 5, "string", ()), (22, 8, "comment", ())]
    assert on(tokens(text, U16), 1)[1:] == [(15, 6, "string", ()), (23, 9, "comment", ())]
    assert on(tokens(text, U8), 1)[1:] == [(15, 9, "string", ()), (26, 11, "comment", ())]


def test_a_bom_shifts_line_zero() -> None:
    assert on(tokens("\ufeff---\nbase_model: x\n---\n"), 0) == [(1, 3, "operator", ())]


def test_broken_yaml_keeps_the_tokens_before_the_error() -> None:
    found = tokens("---\nbase_model: x\ntraining: [\n---\nprose\n")
    assert on(found, 1) == [(0, 10, "property", ()), (12, 1, "string", ())]
    assert on(found, 3) == [(0, 3, "operator", ())]


def keystroke(text: str, line: int, column: int, new: str, end: tuple[int, int] | None = None) -> str:
    change = TextChange(new, (line, column, *(end or (line, column))))
    return parse_text(text).apply(change, U16).source_text


def test_delta_after_typing_prose_is_empty() -> None:
    doc = parse_text(DOC)
    before = document_tokens(doc, U16)
    after = document_tokens(doc.apply(TextChange("x", (11, 3, 11, 3)), U16), U16)
    assert after.delta(before) == []
    assert after.result_id != before.result_id


def test_delta_edits_only_the_changed_block() -> None:
    doc = parse_text(DOC)
    before = document_tokens(doc, U16)
    # rename the adapter: one token's length changes, everything else is shared
    edited = doc.apply(TextChange("s", (15, 19, 15, 19)), U16)
    after = document_tokens(edited, U16)
    [edit] = after.delta(before)
    assert apply_edits(before.data, [edit]) == after.data
    # from the adapter name's length to the closing `::`'s offset (5 integers)
    assert (len(edit.data), edit.delete) == (5, 5)
    assert edit.data == [6, 0, 1, 0, 6]
    assert after.data == document_tokens(parse_text(edited.source_text), U16).data


def test_delta_when_lines_move_and_sections_appear() -> None:
    doc = parse_text(DOC)
    previous = document_tokens(doc, U16)
    for change in [
        TextChange("x", (23, 0, 23, 0)),  # a caption character: no line moves
        TextChange("\n\n", (11, 0, 11, 0)),  # lines move below
        TextChange("::prose::\nnew\n", (13, 0, 13, 0)),  # inside the code block: content only
        TextChange("", (12, 0, 15, 0)),  # delete the code block and what was typed
        TextChange("::preference#x::\n", (0, 0, 0, 0)),  # breaks the frontmatter
    ]:
        doc = doc.apply(change, U16)
        current = document_tokens(doc, U16, previous)  # reusing the unchanged blocks' chunks
        assert apply_edits(previous.data, current.delta(previous)) == current.data
        assert current.data == document_tokens(parse_text(doc.source_text), U16).data
        previous = current


def test_range_holds_only_the_lines_asked_for() -> None:
    doc = parse_text(DOC)
    picked = named(range_data(doc, U16, 15, 17))
    assert {t.line for t in picked} == {15, 16, 17}
    everything = named(document_tokens(doc, U16).data)
    assert picked == [t for t in everything if 15 <= t.line <= 17]
