"""Every code action, requested through a real LSP client and then carried out: each
returned command is executed (against a fake OpenAI-compatible teacher) and each
returned edit applied, and the resulting document is checked."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dlm_synth_lsp.document import SectionType, parse_text
from dlm_synth_lsp.document.model import Section
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from tests.fakes.llm_server import FakeLLMServer, fake_llm_server
from tests.fakes.teacher_replies import passage_reply, user_text

from .conftest import Editor, configure, file_uri, removed, wait_until
from .test_features_e2e import AT, FRONT, MARKER, MISSPELLED, PROSE, SOURCE_ID

SECOND_PROSE = (
    "::prose::\n# Vector units\n\n"
    "😋 AVX-512 registers hold eight doubles. Two FMA units give sixteen flops per cycle.\n"
)
SYNTH_BLOCK = (
    "::instruction::\n"
    + MARKER.format(teacher="openai:gpt-4o-mini", at=AT, sid=SOURCE_ID)
    + "\n### Q\nWhat stays in L2?\n### A\nA block of A.\n\n"
)
STALE_BLOCK = (
    "::instruction::\n"
    + MARKER.format(teacher="openai:gpt-4o-mini", at=AT, sid="0123456789abcdef")
    + "\n### Q\nOld?\n### A\nGone.\n\n"
)
DOC = FRONT + PROSE + "\n" + SYNTH_BLOCK + STALE_BLOCK + SECOND_PROSE
SECTIONS = parse_text(DOC).sections
SECOND_ID = SECTIONS[-1].section_id
STALE_ID = SECTIONS[2].section_id
SYNTH_ID = SECTIONS[1].section_id
PROSE_LINE = 6  # "Tiled loops keep …"
SYNTH_LINE = 11  # "### Q" of the synthesized section
VECTOR_LINE = DOC.split("\n").index(SECOND_PROSE.split("\n")[3])

SECTION_TITLES = [
    "Synthesize instructions for this section",
    "Synthesize instructions for this section (extraction)",
    "Synthesize instructions for this section (expansion)",
    "Synthesize instructions for this section (both)",
]
SOURCE_TITLES = ["Synthesize instructions for all prose sections", "Revert all synthesized instructions"]


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with fake_llm_server(default_reply=passage_reply) as fake:
        yield fake


@pytest.fixture
async def uri(client: LanguageClient, editor: Editor, server: FakeLLMServer, tmp_path: Path) -> str:
    await configure(
        client,
        teacher=f"vllm-server:{server.url}",
        filter="dedup-only",
        perSection=1,
        dlmHome=str(tmp_path / "home"),
    )
    path = tmp_path / "notes.dlm"
    path.write_text(DOC, encoding="utf-8")
    doc_uri = file_uri(path)
    editor.open(doc_uri, DOC)
    await wait_until(lambda: doc_uri in client.diagnostics)
    return doc_uri


def rng(a: int, b: int, c: int, d: int) -> lsp.Range:
    return lsp.Range(start=lsp.Position(line=a, character=b), end=lsp.Position(line=c, character=d))


def units(text: str, editor: Editor) -> int:
    return len(text.encode("utf-8")) if editor.encoding.name == "UTF8" else len(text.encode("utf-16-le")) // 2


async def actions(
    client: LanguageClient,
    uri: str,
    at: lsp.Range,
    diagnostics: list[lsp.Diagnostic] | None = None,
    only: list[str] | None = None,
) -> list[lsp.CodeAction]:
    result = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            range=at,
            context=lsp.CodeActionContext(diagnostics=diagnostics or [], only=only),
        )
    )
    assert result is not None
    assert all(isinstance(a, lsp.CodeAction) for a in result)
    return result  # type: ignore[return-value]


def by_title(found: list[lsp.CodeAction], title: str) -> lsp.CodeAction:
    return next(a for a in found if a.title == title)


async def run(client: LanguageClient, action: lsp.CodeAction) -> Any:
    assert action.command is not None and action.edit is None  # cheap: a command, no edit
    return await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command=action.command.command, arguments=action.command.arguments)
    )


def synthesized(text: str) -> list[Section]:
    return [s for s in parse_text(text).sections if s.auto_synth]


def without(text: str, *blocks: str) -> str:
    for block in blocks:
        assert block in text
        text = text.replace(block, "", 1)
    return text


def _chunks(before: str, after: str) -> list[str]:
    """The inserted chunks, when `after` is `before` plus insertions at line starts."""
    a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
    chunks = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        assert op in ("equal", "insert"), (op, a[i1:i2], b[j1:j2])
        if op == "insert":
            chunks.append("".join(b[j1:j2]))
    return chunks


def new_blocks(before: str, after: str) -> list[Section]:
    old = {s.section_id for s in synthesized(before)}
    return [s for s in synthesized(after) if s.section_id not in old]


def inserted(before: str, after: str) -> str:
    """The one contiguous chunk that turns `before` into `after` (a pure insertion)."""
    assert len(after) > len(before)
    head = 0
    while head < len(before) and before[head] == after[head]:
        head += 1
    chunk = after[head : head + len(after) - len(before)]
    assert after[:head] + after[head + len(chunk) :] == before, "not a pure insertion"
    return chunk


def assert_right_after_source(text: str, block: Section, source_id: str) -> None:
    """The block follows its source directly, or after the source's other
    synthesized blocks."""
    sections = parse_text(text).sections
    i = next(n for n, s in enumerate(sections) if s.section_id == block.section_id)
    j = i - 1
    while sections[j].auto_synth and sections[j].source_section_id == source_id:
        j -= 1
    assert sections[j].type is SectionType.PROSE and sections[j].section_id == source_id


async def test_prose_actions_each_synthesize_after_the_source(
    client: LanguageClient, editor: Editor, server: FakeLLMServer, uri: str
) -> None:
    found = await actions(client, uri, rng(PROSE_LINE, 3, PROSE_LINE, 3))
    assert [a.title for a in found] == SECTION_TITLES + SOURCE_TITLES
    assert [a.kind for a in found] == [lsp.CodeActionKind.RefactorRewrite] * 4 + [
        lsp.CodeActionKind.Source
    ] * 2
    for action, strategy in zip(found[:4], [None, "extraction", "expansion", "both"], strict=True):
        assert action.command is not None
        expected = {"uri": uri, "sectionId": SOURCE_ID} | ({"strategy": strategy} if strategy else {})
        assert list(action.command.arguments or []) == [expected]
        before = editor.texts[uri]
        result = await run(client, action)
        assert result["status"] == "applied", (action.title, result)
        after = editor.texts[uri]
        [block] = new_blocks(before, after)
        assert block.source_section_id == SOURCE_ID
        assert block.synth_strategy in (
            {strategy} if strategy in ("extraction", "expansion") else {"extraction", "expansion", "both"}
        )
        assert_right_after_source(after, block, SOURCE_ID)
        [chunk] = _chunks(before, after)  # one insertion, nothing else changed
        assert chunk.strip().startswith("::instruction::") and chunk.count("::instruction::") == 1
        # undo it with the revert command for exactly that section
        reverted = await client.workspace_execute_command_async(
            lsp.ExecuteCommandParams(
                command="dlm-synth.revert", arguments=[{"uri": uri, "sectionId": block.section_id}]
            )
        )
        assert reverted == removed(1)
        assert editor.texts[uri] == before
    assert len(server.generation_requests()) >= 4


async def test_selection_action_synthesizes_from_the_selection_only(
    client: LanguageClient, editor: Editor, server: FakeLLMServer, uri: str
) -> None:
    line = DOC.split("\n")[VECTOR_LINE]
    selected = "Two FMA units give sixteen flops per cycle."
    start = units(line[: line.index(selected)], editor)  # after an astral character
    end = start + len(selected)
    found = await actions(client, uri, rng(VECTOR_LINE, start, VECTOR_LINE, end))
    assert [a.title for a in found] == [
        "Synthesize instructions for the selection",
        *SECTION_TITLES,
        *SOURCE_TITLES,
    ]
    action = found[0]
    assert action.kind == lsp.CodeActionKind.RefactorRewrite and action.command is not None
    assert list(action.command.arguments or []) == [
        {
            "uri": uri,
            "range": {
                "start": {"line": VECTOR_LINE, "character": start},
                "end": {"line": VECTOR_LINE, "character": end},
            },
        }
    ]
    result = await run(client, action)
    assert result["status"] == "applied", result
    text = editor.texts[uri]
    [block] = synthesized(text)[2:]
    # the pairs are marked with the containing prose section's id
    assert block.source_section_id == SECOND_ID
    assert_right_after_source(text, block, SECOND_ID)
    assert text.startswith(DOC)  # inserted after the last section; nothing else changed
    prompt = user_text(server.generation_requests()[-1].json)
    assert selected in prompt and "AVX-512 registers" not in prompt and "Tiled loops" not in prompt


async def test_remove_this_synthesized_section_then_revert_all(
    client: LanguageClient, editor: Editor, uri: str
) -> None:
    found = await actions(client, uri, rng(SYNTH_LINE, 0, SYNTH_LINE, 0))
    assert [a.title for a in found] == ["Remove this synthesized section", *SOURCE_TITLES]
    remove = found[0]
    assert remove.kind == lsp.CodeActionKind.RefactorRewrite and remove.command is not None
    assert list(remove.command.arguments or []) == [{"uri": uri, "sectionId": SYNTH_ID}]
    assert await run(client, remove) == removed(1)
    assert editor.texts[uri] == without(DOC, SYNTH_BLOCK)  # exactly that one
    # the source-only request still offers Revert all (the stale section remains), and
    # now that the stale section follows the prose directly, also keeping it (DLM041)
    source = await actions(client, uri, rng(0, 0, 0, 0), only=[lsp.CodeActionKind.Source])
    relink = "Keep synthesized pairs after edited prose (re-link)"
    assert [a.title for a in source] == [*SOURCE_TITLES, relink]
    assert await run(client, by_title(source, SOURCE_TITLES[1])) == removed(1)
    assert editor.texts[uri] == without(DOC, SYNTH_BLOCK, STALE_BLOCK)
    assert synthesized(editor.texts[uri]) == []
    # nothing left to revert: no Revert all any more
    source = await actions(client, uri, rng(0, 0, 0, 0), only=[lsp.CodeActionKind.Source])
    assert [a.title for a in source] == SOURCE_TITLES[:1]


async def test_stale_provenance_quick_fixes(client: LanguageClient, editor: Editor, uri: str) -> None:
    [stale] = [d for d in client.diagnostics[uri] if d.code == "DLM040"]
    found = await actions(client, uri, stale.range, diagnostics=[stale])
    assert [a.title for a in found[:3]] == [
        "Regenerate from the current prose",
        "Remove the stale synthesized section",
        "Remove this synthesized section",
    ]
    regenerate, remove_stale = found[0], found[1]
    for fix in (regenerate, remove_stale):
        assert fix.kind == lsp.CodeActionKind.QuickFix
        assert fix.diagnostics is not None and fix.diagnostics[0].code == "DLM040"
    assert regenerate.command is not None and remove_stale.command is not None
    # regenerate from the nearest prose above: a fresh block after "Cache blocking"
    assert list(regenerate.command.arguments or []) == [{"uri": uri, "sectionId": SOURCE_ID}]
    result = await run(client, regenerate)
    assert result["status"] == "applied", result
    [block] = new_blocks(DOC, editor.texts[uri])
    assert block.source_section_id == SOURCE_ID
    assert_right_after_source(editor.texts[uri], block, SOURCE_ID)
    # then remove the stale one: only it goes, and the diagnostic clears
    assert list(remove_stale.command.arguments or []) == [{"uri": uri, "sectionId": STALE_ID}]
    before = editor.texts[uri]
    assert await run(client, remove_stale) == removed(1)
    assert editor.texts[uri] == without(before, STALE_BLOCK)
    await wait_until(lambda: not any(d.code == "DLM040" for d in client.diagnostics[uri]))


async def test_source_actions_synthesize_all_then_revert_all(
    client: LanguageClient, editor: Editor, server: FakeLLMServer, uri: str
) -> None:
    found = await actions(client, uri, rng(VECTOR_LINE, 2, VECTOR_LINE, 2), only=["source"])
    assert [a.title for a in found] == SOURCE_TITLES
    assert all(a.kind == lsp.CodeActionKind.Source for a in found)
    synth_all = found[0]
    assert synth_all.command is not None and list(synth_all.command.arguments or []) == [{"uri": uri}]
    result = await run(client, synth_all)
    assert result["status"] == "applied" and result["applied"] == 2, result
    text = editor.texts[uri]
    blocks = new_blocks(DOC, text)
    assert sorted(b.source_section_id or "" for b in blocks) == sorted([SOURCE_ID, SECOND_ID])
    for block in blocks:
        assert_right_after_source(text, block, block.source_section_id or "")
    for chunk in _chunks(DOC, text):
        assert chunk.strip().startswith("::instruction::") and chunk.count("::instruction::") == 1
    listing = await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command="dlm-synth.list", arguments=[{"uri": uri}])
    )
    assert len(listing["applied"]) == 4
    revert_all = by_title(await actions(client, uri, rng(0, 0, 0, 0), only=["source"]), SOURCE_TITLES[1])
    assert await run(client, revert_all) == removed(4)
    assert synthesized(editor.texts[uri]) == []
    assert editor.texts[uri] == without(DOC, SYNTH_BLOCK, STALE_BLOCK)


async def test_misspelled_fence_quick_fix_edits_the_fence(
    client: LanguageClient, editor: Editor, tmp_path: Path
) -> None:
    uri = file_uri(tmp_path / "typo.dlm")
    editor.open(uri, MISSPELLED)
    await wait_until(lambda: uri in client.diagnostics)
    [diag] = client.diagnostics[uri]
    found = await actions(client, uri, diag.range, diagnostics=[diag], only=[lsp.CodeActionKind.QuickFix])
    [fix] = found
    assert fix.title == "Change to ::instruction::" and fix.is_preferred
    assert fix.kind == lsp.CodeActionKind.QuickFix and fix.command is None and fix.edit is not None
    assert fix.edit.changes is not None
    [edit] = fix.edit.changes[uri]
    assert edit.range == rng(9, 2, 9, 12) and edit.new_text == "instruction"
    result = editor.apply(lsp.ApplyWorkspaceEditParams(edit=fix.edit))
    assert result.applied
    assert editor.texts[uri] == MISSPELLED.replace("::instrution::", "::instruction::")
    await wait_until(lambda: list(client.diagnostics[uri]) == [])
