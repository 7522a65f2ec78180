"""Settings (initializationOptions, workspace/configuration, didChangeConfiguration,
bad values), apply mode `stage` (`preview`: test_review.py), bad command arguments,
and that an API key never reaches the editor."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dlm_synth_lsp.document import SectionType, parse_text
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pytest_lsp import LanguageClient

from tests.fakes.llm_server import FakeLLMServer, Status, fake_llm_server
from tests.fakes.teacher_replies import passage_reply

from .conftest import PROFILES, Editor, configure, file_uri, launch, make_editor, message, wait_until
from .test_actions_e2e import DOC

DLM_ID = "01KPQ9X1000000000000000003"
PROSE_IDS = [s.section_id for s in parse_text(DOC).sections if s.type is SectionType.PROSE]
INSTRUCTION_ID = next(s.section_id for s in parse_text(DOC).sections if s.type is SectionType.INSTRUCTION)


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with fake_llm_server(default_reply=passage_reply) as fake:
        yield fake


def doc_file(tmp_path: Path) -> str:
    path = tmp_path / "notes.dlm"
    path.write_text(DOC, encoding="utf-8")
    return file_uri(path)


def pending(tmp_path: Path) -> Path:
    return tmp_path / "home" / "store" / DLM_ID / "synth" / "pending.json"


def staged_count(tmp_path: Path) -> int:
    plan = json.loads(pending(tmp_path).read_text())
    return len(plan["sections"])  # one section per staged pair


async def execute(client: LanguageClient, command: str, args: Any) -> Any:
    return await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command=command, arguments=[args])
    )


async def open_doc(client: LanguageClient, editor: Editor, uri: str) -> None:
    editor.open(uri, DOC)
    await wait_until(lambda: uri in client.diagnostics)


def warnings(client: LanguageClient) -> list[str]:
    return [m.message for m in client.messages if m.type == lsp.MessageType.Warning]


def base_settings(server: FakeLLMServer, tmp_path: Path) -> dict[str, Any]:
    return {
        "teacher": f"vllm-server:{server.url}",
        "filter": "dedup-only",
        "dlmHome": str(tmp_path / "home"),
        "useCache": False,
    }


# -- settings -----------------------------------------------------------------------


@pytest.mark.parametrize("profile", PROFILES)
async def test_initialization_options_are_honoured_and_bad_values_warned(
    profile: str, server: FakeLLMServer, tmp_path: Path
) -> None:
    options = {"dlmSynth": {**base_settings(server, tmp_path), "perSection": 2, "applyMode": "stage"}}
    async with launch(profile, options) as client:
        editor = make_editor(client)
        uri = doc_file(tmp_path)
        await open_doc(client, editor, uri)
        result = await execute(client, "dlm-synth.synthesize", {"uri": uri, "sectionId": PROSE_IDS[1]})
        # perSection 2 and applyMode stage both came from initializationOptions
        assert result["status"] == "staged" and result["accepted"] == 2, result
        assert editor.edits == [] and warnings(client) == [m for m in warnings(client) if "staged" in m]
    bad = {"dlmSynth": {**base_settings(server, tmp_path), "perSection": "x", "applyMode": "bogus"}}
    async with launch(profile, bad) as client:
        editor = make_editor(client)
        uri = file_uri(tmp_path / "notes.dlm")
        await open_doc(client, editor, uri)
        found = warnings(client)
        assert any("dlmSynth.perSection" in m and "'x'" in m for m in found), found
        assert any("dlmSynth.applyMode" in m and "'bogus'" in m for m in found), found
        # the server keeps working with the defaults for those keys (3, edit)
        result = await execute(client, "dlm-synth.synthesize", {"uri": uri, "sectionId": PROSE_IDS[1]})
        assert result["status"] == "applied", result
        assert result["accepted"] + result["rejected"] == 3, result  # 3 asked for, 1 a duplicate
        assert len(editor.edits) == 1


async def test_workspace_configuration_is_read_and_reread(
    client: LanguageClient, editor: Editor, server: FakeLLMServer, tmp_path: Path
) -> None:
    await configure(client, **base_settings(server, tmp_path), perSection=1)
    uri = doc_file(tmp_path)
    await open_doc(client, editor, uri)
    first = await execute(client, "dlm-synth.synthesize", {"uri": uri, "sectionId": PROSE_IDS[1]})
    assert first["status"] == "applied" and first["accepted"] == 1, first
    # didChangeConfiguration: the server pulls the new values
    await configure(client, **base_settings(server, tmp_path), perSection=2, strategy="expansion")
    second = await execute(client, "dlm-synth.synthesize", {"uri": uri, "sectionId": PROSE_IDS[0]})
    assert second["status"] == "applied" and second["accepted"] == 2, second
    assert all("follow-up" in p["question"] for p in second["acceptedPairs"])
    assert warnings(client) == []
    # invalid values: one warning per key, naming it; the rest still applies
    await configure(client, **base_settings(server, tmp_path), perSection="x", applyMode="bogus", maxPairs=1)
    await wait_until(lambda: len(warnings(client)) >= 2)
    found = warnings(client)
    assert any("dlmSynth.perSection" in m for m in found) and any("dlmSynth.applyMode" in m for m in found)
    assert not any("maxPairs" in m for m in found)
    await execute(client, "dlm-synth.revert", {"uri": uri})
    third = await execute(client, "dlm-synth.synthesize", {"uri": uri, "sectionId": PROSE_IDS[1]})
    assert third["status"] == "applied" and third["accepted"] == 1, third  # maxPairs=1 was kept
    symbols = await client.text_document_document_symbol_async(
        lsp.DocumentSymbolParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
    )
    assert symbols


async def test_settings_are_resolved_per_document(
    client: LanguageClient, editor: Editor, server: FakeLLMServer, tmp_path: Path
) -> None:
    """The server asks for a document's settings with its `scopeUri`, so a folder's
    override applies to the documents in it and nowhere else."""
    first, second = tmp_path / "first", tmp_path / "second"
    for folder in (first, second):
        folder.mkdir()
        (folder / "notes.dlm").write_text(DOC, encoding="utf-8")
    await configure(client, **base_settings(server, tmp_path), perSection=1)
    await configure(client, scope_uri=file_uri(second), **base_settings(server, tmp_path), perSection=2)
    results = []
    for folder in (first, second):
        uri = file_uri(folder / "notes.dlm")
        await open_doc(client, editor, uri)
        results.append(await execute(client, "dlm-synth.synthesize", {"uri": uri, "sectionId": PROSE_IDS[1]}))
    assert [(r["status"], r["accepted"]) for r in results] == [("applied", 1), ("applied", 2)], results


async def test_a_job_keeps_the_settings_it_started_with(
    client: LanguageClient, editor: Editor, server: FakeLLMServer, tmp_path: Path
) -> None:
    """Settings that change while a job runs do not move where its pairs are staged."""
    await configure(client, **base_settings(server, tmp_path), perSection=2, applyMode="stage")
    uri = doc_file(tmp_path)
    await open_doc(client, editor, uri)
    server.latency_s = 0.8
    args = {"uri": uri, "sectionId": PROSE_IDS[0]}
    job = asyncio.ensure_future(execute(client, "dlm-synth.synthesize", args))
    assert await asyncio.to_thread(server.wait_for_requests, 1, 10.0)
    moved = {**base_settings(server, tmp_path), "dlmHome": str(tmp_path / "moved")}
    await configure(client, **moved, perSection=2, applyMode="stage")
    result = await job
    assert result["status"] == "staged" and result["staged"] == 2, result
    assert staged_count(tmp_path) == 2
    assert not (tmp_path / "moved").exists()


# -- apply modes ------------------------------------------------------------------------


async def test_stage_mode_stages_without_editing(
    client: LanguageClient, editor: Editor, server: FakeLLMServer, tmp_path: Path
) -> None:
    await configure(client, **base_settings(server, tmp_path), perSection=2, applyMode="stage")
    uri = doc_file(tmp_path)
    await open_doc(client, editor, uri)
    result = await execute(client, "dlm-synth.synthesize", {"uri": uri, "sectionId": PROSE_IDS[0]})
    assert result["status"] == "staged" and result["staged"] == 2 and result["applied"] == 0, result
    assert editor.edits == [] and editor.texts[uri] == DOC
    assert staged_count(tmp_path) == 2
    assert any("staged" in m and "Apply staged" in m for m in warnings(client))
    # later, in edit mode, the staged pairs land right after their source
    await configure(client, **base_settings(server, tmp_path), applyMode="edit")
    applied = await execute(client, "dlm-synth.applyStaged", {"uri": uri})
    assert applied == {
        "applied": 2,
        "alreadyPresent": 0,
        "remaining": 0,
        "message": message("info", "Inserted 2 staged pairs."),
    }
    sections = parse_text(editor.texts[uri]).sections
    source = next(i for i, s in enumerate(sections) if s.section_id == PROSE_IDS[0])
    assert sections[source + 1].auto_synth and sections[source + 1].source_section_id == PROSE_IDS[0]


# -- bad command arguments -------------------------------------------------------------


async def test_bad_command_arguments_are_invalid_params_and_the_server_survives(
    client: LanguageClient, editor: Editor, server: FakeLLMServer, tmp_path: Path
) -> None:
    """A bad argument is JSON-RPC -32602 (invalid params) with a message that names
    it and no Python class path; option values are worded as everywhere else."""
    await configure(client, **base_settings(server, tmp_path), perSection=1)
    uri = doc_file(tmp_path)
    await open_doc(client, editor, uri)
    not_open = file_uri(tmp_path / "elsewhere.dlm")
    cases: list[tuple[str, list[Any] | None, str]] = [
        ("dlm-synth.synthesize", [{"sectionId": PROSE_IDS[0]}], "the argument object needs `uri` (a string)"),
        ("dlm-synth.synthesize", [], "expected one argument"),
        ("dlm-synth.synthesize", None, "expected one argument"),
        ("dlm-synth.synthesize", [uri], "expected one argument"),
        ("dlm-synth.synthesize", [{"uri": uri}, {"uri": uri}], "expected one argument"),
        ("dlm-synth.synthesize", [{"uri": not_open, "sectionId": PROSE_IDS[0]}], "is not open in the editor"),
        (
            "dlm-synth.synthesize",
            [{"uri": uri, "sectionId": INSTRUCTION_ID}],
            f"no prose section with id {INSTRUCTION_ID}",
        ),
        ("dlm-synth.synthesize", [{"uri": uri}], "give a `sectionId` or a `range`"),
        (
            "dlm-synth.synthesize",
            [{"uri": uri, "sectionId": PROSE_IDS[0], "perSection": "x"}],
            "perSection: must be a number, got 'x'",
        ),
        (
            "dlm-synth.synthesize",
            [{"uri": uri, "sectionId": PROSE_IDS[0], "perSection": 0}],
            "perSection: must be >= 1, got 0",
        ),
        (
            "dlm-synth.synthesize",
            [{"uri": uri, "sectionId": PROSE_IDS[0], "strategy": "all"}],
            "strategy: must be one of extraction, expansion, both, got 'all'",
        ),
        ("dlm-synth.synthesize", [{"uri": uri, "range": {"start": 1}}], "range: must be an LSP range"),
        (
            "dlm-synth.synthesize",
            [
                {
                    "uri": uri,
                    "range": {"start": {"line": 11, "character": 0}, "end": {"line": 11, "character": 2}},
                }
            ],
            "not inside a prose section",
        ),
        ("dlm-synth.synthesizeDocument", [{"uri": not_open}], "is not open in the editor"),
        (
            "dlm-synth.synthesizeDocument",
            [{"uri": uri, "teacher": "gpt4"}],
            "teacher: unknown teacher selector",
        ),
        ("dlm-synth.revert", [{"uri": not_open}], "is not open in the editor"),
        ("dlm-synth.revert", [{"uri": uri, "sectionId": 7}], "sectionId: must be a string, got 7"),
        ("dlm-synth.list", [{}], "the argument object needs `uri`"),
        ("dlm-synth.applyStaged", [{"uri": not_open}], "is not open in the editor"),
        ("dlm-synth.revealSource", [{"uri": uri}], "the argument object needs `sectionId`"),
    ]
    for command, arguments, expected in cases:
        with pytest.raises(JsonRpcException, match=re.escape(expected)) as info:
            await client.workspace_execute_command_async(
                lsp.ExecuteCommandParams(command=command, arguments=arguments)
            )
        error = info.value
        assert error.code == JsonRpcInvalidParams.CODE == -32602, (command, arguments, error)
        assert "Traceback" not in error.message and "dlm_synth_lsp" not in error.message
        assert "CommandError" not in error.message and "TypeError" not in error.message
    assert server.generation_requests() == [] and editor.edits == []
    # still serving, and a good request still works
    symbols = await client.text_document_document_symbol_async(
        lsp.DocumentSymbolParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
    )
    assert symbols
    result = await execute(client, "dlm-synth.synthesize", {"uri": uri, "sectionId": PROSE_IDS[0]})
    assert result["status"] == "applied", result


# -- secrets ---------------------------------------------------------------------------

SECRET = "sk-test-0123456789-SECRET-abcdefghijkl"


@pytest.mark.parametrize("profile", PROFILES)
async def test_api_key_never_reaches_the_editor(profile: str, server: FakeLLMServer, tmp_path: Path) -> None:
    env = {"OPENAI_API_KEY": SECRET, "OPENAI_BASE_URL": server.openai_base_url}
    settings = {**base_settings(server, tmp_path), "teacher": "openai:fake-model", "perSection": 1}
    async with launch(profile, {"dlmSynth": settings}, env=env) as client:
        editor = make_editor(client)
        uri = doc_file(tmp_path)
        await open_doc(client, editor, uri)
        ok = await execute(client, "dlm-synth.synthesize", {"uri": uri, "sectionId": PROSE_IDS[0]})
        assert ok["status"] == "applied", ok
        # the key was used (so it was in the server's hands) ...
        assert any(SECRET in r.headers.get("authorization", "") for r in server.generation_requests())
        # ... and a failing teacher is reported without it (not retried: a 400)
        server.script(*[Status(400, {"error": {"message": "context too long"}})] * 10)
        failed = await execute(
            client, "dlm-synth.synthesize", {"uri": uri, "sectionId": PROSE_IDS[1], "perSection": 1}
        )
        assert failed["status"] == "failed", failed
        await wait_until(lambda: any(m.type == lsp.MessageType.Error for m in client.messages))
        seen = [json.dumps(ok), json.dumps(failed)]
        seen += [m.message for m in client.messages] + [m.message for m in client.log_messages]
        seen += [json.dumps(editor.texts[uri])]
        assert seen and not any(SECRET in text for text in seen)
        assert not any(SECRET[-12:] in text for text in seen)


async def test_api_key_echoed_by_the_teacher_is_not_forwarded(server: FakeLLMServer, tmp_path: Path) -> None:
    """A proxy or self-hosted server may echo the key in its error body; the server
    forwards teacher errors to the user, so it must redact the key from them."""
    env = {"OPENAI_API_KEY": SECRET, "OPENAI_BASE_URL": server.openai_base_url}
    settings = {**base_settings(server, tmp_path), "teacher": "openai:fake-model", "perSection": 1}
    async with launch(PROFILES[0], {"dlmSynth": settings}, env=env) as client:
        editor = make_editor(client)
        uri = doc_file(tmp_path)
        await open_doc(client, editor, uri)
        server.script(*[Status(401, {"error": {"message": f"Incorrect API key provided: {SECRET}"}})] * 10)
        failed = await execute(client, "dlm-synth.synthesize", {"uri": uri, "sectionId": PROSE_IDS[0]})
        assert failed["status"] == "failed", failed
        await wait_until(lambda: any(m.type == lsp.MessageType.Error for m in client.messages))
        seen = [json.dumps(failed)] + [m.message for m in client.messages + client.log_messages]
        assert not any(SECRET in text for text in seen), [t for t in seen if SECRET in t]
