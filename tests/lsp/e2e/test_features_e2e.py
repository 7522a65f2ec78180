"""Diagnostics after edits and the read-only features (outline, hover, definition,
folding, code lens) through a real LSP client over stdio, with the VS Code (utf-16)
and Neovim 0.11 (utf-8) capability profiles."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from dlm_synth_lsp.document import parse_text
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from .conftest import Editor, file_uri, wait_until

FRONT = "---\ndlm_id: 01KPQ9X1000000000000000003\nbase_model: smollm2-135m\n---\n"
PROSE = (
    "# Cache blocking\n\n"
    "Tiled loops keep a block of A in the L2 cache. Each block is reused for a whole row\nof B.\n"
)
MARKER = (
    '<!-- dlm-auto-synth: synth_teacher="{teacher}" synth_strategy="extraction" '
    'synth_at="{at}" source_section_id="{sid}" -->'
)
AT = "2026-11-21T10:00:00Z"
SOURCE_ID = parse_text(FRONT + PROSE + "\n::instruction::\n").sections[0].section_id
# prose, one synthesized section pointing at it, a stale one, more prose
SYNTH_DOC = (
    FRONT
    + PROSE
    + "\n::instruction::\n"
    + MARKER.format(teacher="openai:gpt-4o-mini", at=AT, sid=SOURCE_ID)
    + "\n### Q\nWhat stays in L2?\n### A\nA block of A.\n\n"
    + "::instruction::\n"
    + MARKER.format(teacher="openai:gpt-4o-mini", at=AT, sid="0123456789abcdef")
    + "\n### Q\nOld?\n### A\nGone.\n\n"
    + "::prose::\n# Vector units\n\n"
    + "AVX-512 registers hold eight doubles. Two FMA units give sixteen flops per cycle.\n"
)
MISSPELLED = FRONT + PROSE + "\n::instrution::\n### Q\nWhat?\n### A\nThat.\n"
FENCE_LINE = 9  # the misspelled fence


@pytest.fixture
def uri(tmp_path: Path) -> str:
    return file_uri(tmp_path / "notes.dlm")


def codes(client: LanguageClient, uri: str) -> list[str]:
    return [str(d.code) for d in client.diagnostics.get(uri, [])]


def publishes(client: LanguageClient, uri: str) -> list[lsp.PublishDiagnosticsParams]:
    return [p for p in client.published if p.uri == uri]  # type: ignore[attr-defined]


def utf8_profile(editor: Editor) -> bool:
    return editor.encoding.name == "UTF8"


def units(text: str, editor: Editor) -> int:
    """Length of `text` in the negotiated encoding's code units."""
    return len(text.encode("utf-8")) if utf8_profile(editor) else len(text.encode("utf-16-le")) // 2


def rng(a: int, b: int, c: int, d: int) -> lsp.Range:
    return lsp.Range(start=lsp.Position(line=a, character=b), end=lsp.Position(line=c, character=d))


# -- diagnostics ------------------------------------------------------------------


async def test_misspelled_fence_diagnostic_then_fix_clears(
    client: LanguageClient, editor: Editor, uri: str
) -> None:
    editor.open(uri, MISSPELLED)
    await wait_until(lambda: uri in client.diagnostics)
    [diag] = client.diagnostics[uri]
    assert diag.code == "DLM010" and diag.source == "dlm"
    assert diag.severity == lsp.DiagnosticSeverity.Error
    assert "::instruction::" in diag.message
    assert diag.range == rng(FENCE_LINE, 0, FENCE_LINE, len("::instrution::"))
    assert publishes(client, uri)[-1].version == 1
    # type the missing "c": ::instru|tion:: -> ::instruction::
    editor.change(uri, (FENCE_LINE, 8), (FENCE_LINE, 8), "c")
    await wait_until(lambda: publishes(client, uri)[-1].version == 2)
    assert list(client.diagnostics[uri]) == []
    # break it again below: a new diagnostic on the new line
    editor.change(uri, (14, 5), (14, 5), "\n\n::prse::\ntext\n")
    await wait_until(lambda: publishes(client, uri)[-1].version == 3)
    [again] = client.diagnostics[uri]
    assert again.code == "DLM010" and again.range == rng(16, 0, 16, len("::prse::"))


async def test_burst_of_keystrokes_publishes_only_the_final_version(
    client: LanguageClient, editor: Editor, uri: str
) -> None:
    editor.open(uri, MISSPELLED)
    await wait_until(lambda: uri in client.diagnostics)
    assert [p.version for p in publishes(client, uri)] == [1]
    typed = "Each keystroke here"  # 19 characters + a final newline = 20 changes
    column = len("of B.")
    for i, ch in enumerate(typed + "\n"):
        editor.change(uri, (7, column + i), (7, column + i), ch)
        await asyncio.sleep(0.01)  # well inside the ~150 ms debounce
    assert editor.versions[uri] == 21
    await wait_until(lambda: publishes(client, uri)[-1].version == 21)
    # the final publish reflects the final text: the fence moved one line down
    [diag] = client.diagnostics[uri]
    assert diag.range.start.line == FENCE_LINE + 1
    # nothing late may follow: a stale timer would fire before the one for a later
    # keystroke, so once that keystroke's publish arrives, every earlier one has
    editor.change(uri, (7, 0), (7, 0), " ")
    await wait_until(lambda: publishes(client, uri)[-1].version == 22)
    assert [p.version for p in publishes(client, uri)] == [1, 21, 22]


async def test_columns_after_astral_characters_per_encoding(
    client: LanguageClient, editor: Editor, uri: str
) -> None:
    """An invalid `synth_at` on a marker line whose teacher value holds 😋 and 𝄞:
    utf-16 counts each as 2 units, utf-8 as 4 bytes."""
    teacher = "openai:😋𝄞-tuned"
    marker = MARKER.format(teacher=teacher, at="yesterday", sid=SOURCE_ID)
    text = FRONT + PROSE + "\n::instruction::\n" + marker + "\n### Q\nWhat?\n### A\nA block.\n"
    editor.open(uri, text)
    await wait_until(lambda: uri in client.diagnostics)
    [diag] = client.diagnostics[uri]
    assert diag.code == "DLM020"
    line = 10
    value = 'synth_at="yesterday"'
    prefix = marker[: marker.index(value)]
    start = units(prefix, editor)
    end = start + len(value)
    assert diag.range == rng(line, start, line, end)
    code_points = len(prefix)
    expected_extra = 6 if utf8_profile(editor) else 2  # (4-1)*2 bytes or (2-1)*2 units
    assert start == code_points + expected_extra
    # fix the value in place, addressing it in editor units after the astral chars
    old = "yesterday"
    at = start + len('synth_at="')
    editor.change(uri, (line, at), (line, at + len(old)), AT)
    await wait_until(lambda: publishes(client, uri)[-1].version == 2)
    assert list(client.diagnostics[uri]) == []
    # the server's text agrees with ours: hover on the marker shows the new time
    hover = await client.text_document_hover_async(
        lsp.HoverParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri), position=lsp.Position(line=line, character=3)
        )
    )
    assert hover is not None and AT in hover.contents.value and "😋𝄞" in hover.contents.value
    # an astral insertion before the fix point, then an edit after it, still line up
    inside = units(marker[: marker.index("openai:") + len("openai:")], editor)
    editor.change(uri, (line, inside), (line, inside), "𝄞")
    after = start + units("𝄞", editor) + len('synth_at="')
    editor.change(uri, (line, after), (line, after + 4), "20XX")
    await wait_until(lambda: publishes(client, uri)[-1].version == 4)
    [bad] = client.diagnostics[uri]
    assert bad.code == "DLM020"
    assert bad.range.start.character == start + units("𝄞", editor)


async def test_crlf_document_edits(client: LanguageClient, editor: Editor, uri: str) -> None:
    text = MISSPELLED.replace("\n", "\r\n")
    editor.open(uri, text)
    await wait_until(lambda: uri in client.diagnostics)
    [diag] = client.diagnostics[uri]
    assert diag.code == "DLM010" and diag.range == rng(FENCE_LINE, 0, FENCE_LINE, len("::instrution::"))
    # insert two CRLF lines above the fence, then fix the fence at its new line
    editor.change(uri, (8, 0), (8, 0), "More prose.\r\n\r\n")
    editor.change(uri, (FENCE_LINE + 2, 8), (FENCE_LINE + 2, 8), "c")
    await wait_until(lambda: publishes(client, uri)[-1].version == 3)
    assert list(client.diagnostics[uri]) == []
    assert "\r\n::instruction::\r\n" in editor.texts[uri]
    # break a fence after the CRLF edits: the range is on the right line
    last = len(editor.texts[uri].split("\r\n")) - 1
    editor.change(uri, (last, 0), (last, 0), "\r\n::imag::\r\n")
    await wait_until(lambda: publishes(client, uri)[-1].version == 4)
    [diag] = [d for d in client.diagnostics[uri] if d.code == "DLM010"]
    assert diag.code == "DLM010" and diag.range == rng(last + 1, 0, last + 1, len("::imag::"))
    # the outline reads the same CRLF text
    symbols = await client.text_document_document_symbol_async(
        lsp.DocumentSymbolParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
    )
    assert symbols and symbols[1].name == "Cache blocking"


# -- outline, hover, definition, folding, code lens ---------------------------------


async def test_outline(client: LanguageClient, editor: Editor, uri: str) -> None:
    editor.open(uri, SYNTH_DOC)
    symbols = await client.text_document_document_symbol_async(
        lsp.DocumentSymbolParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
    )
    assert isinstance(symbols[0], lsp.DocumentSymbol)
    names = [s.name for s in symbols]
    assert names == ["frontmatter", "Cache blocking", "✦ What stays in L2?", "✦ Old?", "Vector units"]
    synth = symbols[2]
    assert "auto-synth" in (synth.detail or "")
    assert (synth.range.start.line, synth.range.end.line) == (9, 15)
    assert (symbols[0].range.start.line, symbols[0].range.end.line) == (0, 3)
    assert (symbols[4].range.start.line, symbols[4].selection_range.start.line) == (23, 24)


async def test_hover_on_marker_and_fence(client: LanguageClient, editor: Editor, uri: str) -> None:
    editor.open(uri, SYNTH_DOC)

    async def hover(line: int, character: int) -> lsp.Hover | None:
        return await client.text_document_hover_async(
            lsp.HoverParams(
                text_document=lsp.TextDocumentIdentifier(uri=uri),
                position=lsp.Position(line=line, character=character),
            )
        )

    marker = await hover(10, 40)
    assert marker is not None and isinstance(marker.contents, lsp.MarkupContent)
    text = marker.contents.value
    assert marker.contents.kind == lsp.MarkupKind.Markdown
    assert "auto-synth" in text and "`openai:gpt-4o-mini`" in text and "`extraction`" in text
    assert f"`{AT}`" in text and SOURCE_ID in text
    assert "> Tiled loops keep a block of A" in text  # the source preview
    assert marker.range == rng(10, 0, 10, len(SYNTH_DOC.split("\n")[10]))
    fence = await hover(9, 3)
    assert fence is not None
    value = fence.contents.value  # type: ignore[union-attr]
    assert "**instruction** section" in value and "1 Q/A pair" in value and "auto-synth" in value
    prose_fence = await hover(23, 0)
    assert prose_fence is not None
    assert "**prose** section" in prose_fence.contents.value  # type: ignore[union-attr]
    stale = await hover(17, 5)
    assert stale is not None and "missing" in stale.contents.value  # type: ignore[union-attr]
    assert await hover(6, 3) is None  # the author's own prose


async def test_definition_from_marker_to_source(client: LanguageClient, editor: Editor, uri: str) -> None:
    editor.open(uri, SYNTH_DOC)
    line = SYNTH_DOC.split("\n")[10]
    character = units(line[: line.index(SOURCE_ID) + 3], editor)
    result = await client.text_document_definition_async(
        lsp.DefinitionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=lsp.Position(line=10, character=character),
        )
    )
    location = result[0] if isinstance(result, list) else result
    assert isinstance(location, lsp.Location)
    assert location.uri == uri
    assert location.range == rng(4, 0, 7, len("of B."))
    # the stale marker points nowhere
    stale = await client.text_document_definition_async(
        lsp.DefinitionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri), position=lsp.Position(line=17, character=140)
        )
    )
    assert not stale


async def test_folding_ranges(client: LanguageClient, editor: Editor, uri: str) -> None:
    editor.open(uri, SYNTH_DOC)
    folds = await client.text_document_folding_range_async(
        lsp.FoldingRangeParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
    )
    assert folds is not None
    assert sorted((f.start_line, f.end_line) for f in folds) == [(0, 3), (4, 7), (9, 14), (16, 21), (23, 26)]
    assert all(f.kind == lsp.FoldingRangeKind.Region for f in folds)


async def test_code_lenses(client: LanguageClient, editor: Editor, uri: str) -> None:
    editor.open(uri, SYNTH_DOC)
    lenses = await client.text_document_code_lens_async(
        lsp.CodeLensParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
    )
    assert lenses is not None
    got = [
        (lens.range.start.line, lens.command.title, lens.command.command, list(lens.command.arguments or []))
        for lens in lenses
        if lens.command is not None
    ]
    second = parse_text(SYNTH_DOC).sections[-1].section_id
    stale = parse_text(SYNTH_DOC).sections[2].section_id
    assert got == [
        (4, "Synthesize instructions", "dlm-synth.synthesize", [{"uri": uri, "sectionId": SOURCE_ID}]),
        (4, "1 synthesized pair", "dlm-synth.list", [{"uri": uri, "sourceSectionId": SOURCE_ID}]),
        (9, "from “Cache blocking”", "dlm-synth.revealSource", [{"uri": uri, "sectionId": SOURCE_ID}]),
        (16, "⚠ source missing · remove", "dlm-synth.revert", [{"uri": uri, "sectionId": stale}]),
        (23, "Synthesize instructions", "dlm-synth.synthesize", [{"uri": uri, "sectionId": second}]),
    ]
    # the "from …" lens works: it reveals the source section in the editor
    reveal = lenses[2].command
    assert reveal is not None
    result = await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command=reveal.command, arguments=reveal.arguments)
    )
    assert result == {"shown": True}
    assert client.shown_documents[-1].uri == uri
    assert client.shown_documents[-1].selection is not None
    assert client.shown_documents[-1].selection.start.line == 4
