"""Synthesis in the editor with default settings: no key, no server, nothing trained.

The defaults resolve to the bundled offline model and the `grounded` filter, so the
first "Synthesize instructions for this section" produces pairs without asking the
user anything. The ordinary test runs SmolLM2-135M as a stand-in for the default model
(`DLM_SYNTH_LOCAL_MODEL`); one test runs the real default model end to end."""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any

import pytest
from dlm_synth_lsp.document import SectionType, parse_text
from dlm_synth_lsp.synth.local.bundled import CATALOGUE, DEFAULT_MODEL
from lsprotocol import types as lsp

from .conftest import PROFILES, file_uri, launch, make_editor, wait_until

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = (ROOT / "examples" / "blas-notes.dlm").read_text(encoding="utf-8")

if os.environ.get("CI") != "true":
    pytest.importorskip("llama_cpp")


def _code_action_command(actions: list[Any], title: str) -> lsp.Command:
    (action,) = [a for a in actions if a.title == title]
    assert isinstance(action, lsp.CodeAction) and action.command is not None
    return action.command


async def _synthesize_first_section(
    profile: str, tmp_path: Path, env: dict[str, str], title: str = "Synthesize instructions for this section"
) -> tuple[dict[str, Any], str, Any]:
    """Open the example with no settings at all, run the code action `title` offered on
    the first prose section."""
    path = tmp_path / "blas-notes.dlm"
    path.write_text(EXAMPLE, encoding="utf-8")
    uri = file_uri(path)
    # a reply cache of its own: the model really runs (a user's cache would answer it)
    isolated = {"DLM_HOME": str(tmp_path / "home"), "DLM_SYNTH_CACHE_DIR": str(tmp_path / "cache")}
    async with launch(profile, env={**isolated, **env}) as client:
        editor = make_editor(client)
        editor.open(uri, EXAMPLE)
        await wait_until(lambda: uri in client.diagnostics)
        first = next(s for s in parse_text(EXAMPLE).sections if s.type is SectionType.PROSE)
        line = first.start_line  # 1-based start of the content = 0-based line of its heading
        cursor = lsp.Position(line=line, character=3)
        actions = await client.text_document_code_action_async(
            lsp.CodeActionParams(
                text_document=lsp.TextDocumentIdentifier(uri=uri),
                range=lsp.Range(start=cursor, end=cursor),
                context=lsp.CodeActionContext(diagnostics=[]),
            )
        )
        command = _code_action_command(list(actions or []), title)
        result = await client.workspace_execute_command_async(
            lsp.ExecuteCommandParams(command=command.command, arguments=command.arguments)
        )
        assert editor.message_requests == [], "the defaults must not ask anything"
        return result, editor.texts[uri], first


@pytest.mark.parametrize("profile", PROFILES)
async def test_default_settings_synthesize_with_the_offline_teacher(profile: str, tmp_path: Path) -> None:
    env = {"DLM_SYNTH_LOCAL_MODEL": "smollm2-135m", "DLM_SYNTH_MODEL_DIR": str(tmp_path / "models")}
    result, text, _ = await _synthesize_first_section(profile, tmp_path, env)
    report = result["report"]
    assert report["teacher"] == "local:smollm2-135m"
    assert report["filter"] == "grounded"
    assert report["callsDone"] == report["calls"] == 1
    assert result["status"] in ("applied", "nothing-accepted"), result
    if result["status"] == "applied":
        assert parse_text(text).sections[2].auto_synth


async def test_the_real_default_model_inserts_pairs_right_after_their_source(tmp_path: Path) -> None:
    """The bundled Qwen2.5-Coder-1.5B, assembled and verified on first use, through the
    language server with default settings (about a minute on two cores). The whole
    document: what the model writes about one section may all be rejected (with an
    earlier prompt every question about the first section leaned on "the passage"), so
    the test asks
    for every section and checks each landed block."""
    result, text, _ = await _synthesize_first_section(
        "visual-studio-code", tmp_path, {}, "Synthesize instructions for all prose sections"
    )
    assert result["status"] == "applied", result
    assert result["report"]["teacher"] == f"local:{DEFAULT_MODEL}" == "local:" + CATALOGUE[DEFAULT_MODEL].key
    assert result["applied"] >= 1
    sections = parse_text(text).sections
    inserted = [s for s in sections if s.auto_synth]
    assert len(inserted) == result["applied"]
    assert all(s.type is SectionType.INSTRUCTION for s in inserted)
    assert all(s.synth_teacher == f"local:{DEFAULT_MODEL}" for s in inserted)
    for at, section in enumerate(sections):
        if section.auto_synth:  # right after its source, or after its source's other pairs
            before = sections[at - 1]
            assert before.section_id == section.source_section_id or (
                before.auto_synth and before.source_section_id == section.source_section_id
            )
            assert before.type is SectionType.PROSE or before.auto_synth
    # pure insertions: every line of the example is kept, in order, untouched
    ops = difflib.SequenceMatcher(None, EXAMPLE.splitlines(), text.splitlines(), autojunk=False).get_opcodes()
    assert {op for op, *_ in ops} <= {"equal", "insert"}
    assert sum(op == "insert" for op, *_ in ops) == len({s.source_section_id for s in inserted})
