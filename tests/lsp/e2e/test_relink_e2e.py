"""Pairs survive editing their prose: a sentence added to a paragraph with
synthesized pairs turns their markers into DLM041 (information), whose preferred
quick fix re-links them; the lens runs `dlm-synth.relink` for the run."""

from __future__ import annotations

import re
from pathlib import Path

from dlm_synth_lsp.document import SectionType, parse_text
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from .conftest import Editor, file_uri, wait_until

FM = "---\ndlm_id: 01KPQ9X1000000000000000005\nbase_model: smollm2-135m\n---\n"
PROSE = "# Caching\n\nThe cache keeps 3 replicas per shard.\n\n"
MARKER = (
    '<!-- dlm-auto-synth: synth_teacher="openai:gpt-4o-mini" synth_strategy="extraction" '
    'synth_at="2026-11-21T10:00:00Z" source_section_id="{sid}" -->'
)
PAIRS = (
    "::instruction::\n{marker}\n### Q\nHow many replicas?\n### A\nThree.\n\n"
    "::instruction::\n{marker}\n### Q\nPer what?\n### A\nPer shard.\n"
)
ID_VALUE = re.compile(r'source_section_id="[0-9a-f]{16}"')


def document() -> str:
    source = parse_text(FM + PROSE + "::instruction::\n### Q\nx\n### A\ny\n").sections[0].section_id
    return FM + PROSE + PAIRS.format(marker=MARKER.format(sid=source))


async def edited(client: LanguageClient, editor: Editor, tmp_path: Path) -> tuple[str, list[lsp.Diagnostic]]:
    path = tmp_path / "notes.dlm"
    text = document()
    path.write_text(text, encoding="utf-8")
    uri = file_uri(path)
    editor.open(uri, text)
    line = text.split("\n").index("The cache keeps 3 replicas per shard.")
    editor.change(uri, (line, 37), (line, 37), " Reads go to the nearest.")
    await wait_until(lambda: any(d.code == "DLM041" for d in client.diagnostics.get(uri, [])))
    return uri, [d for d in client.diagnostics[uri] if d.code == "DLM041"]


def prose_id(text: str) -> str:
    return next(s.section_id for s in parse_text(text).sections if s.type is SectionType.PROSE)


async def test_the_preferred_quick_fix_relinks_the_run(
    client: LanguageClient, editor: Editor, tmp_path: Path
) -> None:
    uri, relinkable = await edited(client, editor, tmp_path)
    assert len(relinkable) == 2 and all(d.severity == lsp.DiagnosticSeverity.Information for d in relinkable)
    assert not any(d.code == "DLM040" for d in client.diagnostics[uri])
    found = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            range=relinkable[0].range,
            context=lsp.CodeActionContext(diagnostics=[relinkable[0]]),
        )
    )
    assert found is not None
    keep = found[0]
    assert isinstance(keep, lsp.CodeAction) and keep.is_preferred and keep.edit is not None
    assert keep.title == "Keep these pairs (re-link to the edited paragraph)"
    assert [a.title for a in found[1:3]] == [
        "Regenerate from the current prose",
        "Remove the stale synthesized section",
    ]
    before = editor.texts[uri]
    assert editor.apply(lsp.ApplyWorkspaceEditParams(edit=keep.edit)).applied
    after = editor.texts[uri]
    assert ID_VALUE.sub("", after) == ID_VALUE.sub("", before)
    assert all(s.source_section_id == prose_id(after) for s in parse_text(after).sections if s.auto_synth)
    await wait_until(lambda: not any(d.code in ("DLM040", "DLM041") for d in client.diagnostics[uri]))


async def test_the_lens_command_relinks_the_run(
    client: LanguageClient, editor: Editor, tmp_path: Path
) -> None:
    uri, _ = await edited(client, editor, tmp_path)
    lenses = await client.text_document_code_lens_async(
        lsp.CodeLensParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
    )
    keep = [
        lens.command for lens in lenses or [] if lens.command and lens.command.command == "dlm-synth.relink"
    ]
    assert [c.title for c in keep] == ["✎ source edited · keep pairs"] * 2
    result = await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command=keep[0].command, arguments=keep[0].arguments)
    )
    assert result["relinked"] == 2 and result["message"]["severity"] == "info", result
    text = editor.texts[uri]
    assert all(s.source_section_id == prose_id(text) for s in parse_text(text).sections if s.auto_synth)
