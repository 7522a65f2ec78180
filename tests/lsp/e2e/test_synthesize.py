"""Synthesis through the language server: commands, progress, applyEdit placement,
cancellation (both ways), concurrent typing, failures."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dlm_synth_lsp.document import SectionType, parse_text
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from tests.fakes.docs import cache_notes
from tests.fakes.llm_server import FakeLLMServer, Hang, Status, fake_llm_server
from tests.fakes.teacher_replies import passage_reply

from .conftest import Editor, configure, file_uri, message, removed, wait_until

DOC = cache_notes("01KPQ9X1000000000000000003", heading_suffix=" 😋")


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with fake_llm_server(default_reply=passage_reply) as fake:
        yield fake


@pytest.fixture
def doc_uri(tmp_path: Path) -> str:
    path = tmp_path / "notes.dlm"
    path.write_text(DOC, encoding="utf-8")
    return file_uri(path)


async def setup(
    client: LanguageClient, editor: Editor, server: FakeLLMServer, uri: str, tmp_path: Path, **settings: Any
) -> None:
    await configure(
        client,
        teacher=f"vllm-server:{server.url}",
        filter="dedup-only",
        dlmHome=str(tmp_path / "home"),
        **settings,
    )
    editor.open(uri, DOC)
    await wait_until(lambda: uri in client.diagnostics)


def prose_ids(text: str) -> list[str]:
    return [s.section_id for s in parse_text(text).sections if s.type is SectionType.PROSE]


async def execute(client: LanguageClient, command: str, args: dict[str, Any]) -> Any:
    return await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command=command, arguments=[args])
    )


async def test_synthesize_section_inserts_after_source(
    client: LanguageClient, editor: Editor, server: FakeLLMServer, doc_uri: str, tmp_path: Path
) -> None:
    await setup(client, editor, server, doc_uri, tmp_path)
    second = prose_ids(DOC)[1]
    result = await execute(
        client, "dlm-synth.synthesize", {"uri": doc_uri, "sectionId": second, "perSection": 2}
    )
    assert result["status"] == "applied", result
    assert result["accepted"] == 2 and result["applied"] == 2
    text = editor.texts[doc_uri]
    assert text.startswith(DOC)  # nothing before or inside the source changed
    sections = parse_text(text).sections
    assert [(s.type.value, s.auto_synth) for s in sections][-3:] == [
        ("prose", False),
        ("instruction", True),
        ("instruction", True),
    ]
    assert all(s.source_section_id == second for s in sections if s.auto_synth)
    assert editor.edits[0].label
    # progress was reported and ended
    reports = [r for rs in client.progress_reports.values() for r in rs]
    assert isinstance(reports[0], lsp.WorkDoneProgressBegin) and reports[0].cancellable
    assert isinstance(reports[-1], lsp.WorkDoneProgressEnd)


async def test_typing_while_the_job_runs_keeps_user_text(
    client: LanguageClient, editor: Editor, server: FakeLLMServer, doc_uri: str, tmp_path: Path
) -> None:
    await setup(client, editor, server, doc_uri, tmp_path)
    first = prose_ids(DOC)[0]
    server.latency_s = 0.8
    task = asyncio.ensure_future(
        execute(client, "dlm-synth.synthesize", {"uri": doc_uri, "sectionId": first, "perSection": 1})
    )
    assert await asyncio.to_thread(server.wait_for_requests, 1, 10.0)
    # above the source, inside it (a re-flow) and below it
    editor.change(doc_uri, (1, 0), (1, 0), "# note typed above\n")
    editor.change(doc_uri, (7, 0), (7, 0), "  ")
    last = len(editor.texts[doc_uri].split("\n")) - 1
    editor.change(doc_uri, (last, 0), (last, 0), "typed below\n")
    typed = editor.texts[doc_uri]
    result = await task
    assert result["status"] == "applied", result
    text = editor.texts[doc_uri]
    # every character the user typed is still there, in order
    assert "# note typed above\n" in text and "typed below\n" in text
    inserted = [s for s in parse_text(text).sections if s.auto_synth]
    assert len(inserted) == 1
    # the block sits right after the (edited) source and points at its current id
    source = parse_text(text).find(inserted[0].source_section_id or "")
    assert source is not None and "Tiled loops" in source.content
    assert (
        text.replace(
            text[text.index("::instruction::\n<!--") : text.index("::instruction::\n### Q\nWhat is a tile")],
            "",
        )
        == typed
    )


@pytest.mark.parametrize("how", ["progress", "request"])
async def test_cancel_stops_the_teacher_and_sends_no_edit(
    client: LanguageClient, editor: Editor, server: FakeLLMServer, doc_uri: str, tmp_path: Path, how: str
) -> None:
    await setup(client, editor, server, doc_uri, tmp_path)
    server.script(Hang())
    params = lsp.ExecuteCommandParams(
        command="dlm-synth.synthesize", arguments=[{"uri": doc_uri, "sectionId": prose_ids(DOC)[0]}]
    )
    pending = asyncio.ensure_future(
        client.protocol.send_request_async(lsp.WORKSPACE_EXECUTE_COMMAND, params, msg_id=f"synth-{how}")
    )
    # the chat request, not the teacher's model discovery before it (a cancel that
    # comes between the two leaves nothing to abandon)
    assert await asyncio.to_thread(server.wait_for, lambda s: bool(s.generation_requests()), 10.0)
    if how == "progress":
        await wait_until(lambda: bool(client.progress_reports))
        token = next(iter(client.progress_reports))
        client.window_work_done_progress_cancel(lsp.WorkDoneProgressCancelParams(token=token))
        result = await pending
        assert result["status"] == "cancelled", result
    else:
        client.cancel_request(lsp.CancelParams(id=f"synth-{how}"))
        with pytest.raises(Exception, match="cancel"):
            await pending
    assert await asyncio.to_thread(server.wait_for_abandoned, 1, 30.0)
    # the job's progress ends after it stopped: an edit would have come before
    await wait_until(
        lambda: any(
            isinstance(r, lsp.WorkDoneProgressEnd) for rs in client.progress_reports.values() for r in rs
        )
    )
    assert editor.edits == [] and editor.texts[doc_uri] == DOC


async def test_second_request_on_same_section_is_refused(
    client: LanguageClient, editor: Editor, server: FakeLLMServer, doc_uri: str, tmp_path: Path
) -> None:
    await setup(client, editor, server, doc_uri, tmp_path)
    server.latency_s = 0.6
    args = {"uri": doc_uri, "sectionId": prose_ids(DOC)[0], "perSection": 1}
    first = asyncio.ensure_future(execute(client, "dlm-synth.synthesize", args))
    assert await asyncio.to_thread(server.wait_for_requests, 1, 10.0)
    second = await execute(client, "dlm-synth.synthesize", args)
    assert second["status"] == "failed" and "still running" in second["error"]
    assert (await first)["status"] == "applied"


async def test_teacher_failure_is_reported_and_server_survives(
    client: LanguageClient, editor: Editor, server: FakeLLMServer, doc_uri: str, tmp_path: Path
) -> None:
    await setup(client, editor, server, doc_uri, tmp_path, timeoutSeconds=2)
    server.script(*[Status(500, {"error": {"message": "model crashed"}})] * 10)
    result = await execute(client, "dlm-synth.synthesize", {"uri": doc_uri, "sectionId": prose_ids(DOC)[0]})
    assert result["status"] == "failed"
    await wait_until(lambda: any("model crashed" in m.message or "500" in m.message for m in client.messages))
    symbols = await client.text_document_document_symbol_async(
        lsp.DocumentSymbolParams(text_document=lsp.TextDocumentIdentifier(uri=doc_uri))
    )
    assert symbols  # still serving


async def test_refused_edit_is_retried_then_staged(
    client: LanguageClient, editor: Editor, server: FakeLLMServer, doc_uri: str, tmp_path: Path
) -> None:
    await setup(client, editor, server, doc_uri, tmp_path)
    editor.mode = "pretend"  # says applied, changes nothing (Neovim with a dropped edit)
    result = await execute(
        client, "dlm-synth.synthesize", {"uri": doc_uri, "sectionId": prose_ids(DOC)[0], "perSection": 1}
    )
    assert result["status"] == "staged" and result["staged"] == 1
    assert len(editor.edits) == 3
    pending = tmp_path / "home" / "store" / "01KPQ9X1000000000000000003" / "synth" / "pending.json"
    assert len(json.loads(pending.read_text())["sections"]) == 1
    # applying the staged plan later works once the editor cooperates
    editor.mode = "apply"
    applied = await execute(client, "dlm-synth.applyStaged", {"uri": doc_uri})
    assert applied == {
        "applied": 1,
        "alreadyPresent": 0,
        "remaining": 0,
        "message": message("info", "Inserted 1 staged pair."),
    }
    assert not pending.exists()
    listing = await execute(client, "dlm-synth.list", {"uri": doc_uri})
    assert len(listing["applied"]) == 1 and listing["staged"] == []
    entry = listing["applied"][0]
    assert entry["sourceSectionId"] == prose_ids(DOC)[0] and entry["range"]["start"]["line"] > 0
    reverted = await execute(client, "dlm-synth.revert", {"uri": doc_uri})
    assert reverted == removed(1)
    assert editor.texts[doc_uri] == DOC


async def test_cold_start_asks_for_an_alternative(
    client: LanguageClient, editor: Editor, server: FakeLLMServer, doc_uri: str, tmp_path: Path
) -> None:
    await configure(
        client,
        teacher="self",
        fallbackTeachers=[f"vllm-server:{server.url}"],
        filter="grounded",
        dlmHome=str(tmp_path / "empty-home"),
    )
    editor.open(doc_uri, DOC)
    editor.message_choice = f"Use vllm-server:{server.url}"
    result = await execute(
        client, "dlm-synth.synthesize", {"uri": doc_uri, "sectionId": prose_ids(DOC)[0], "perSection": 1}
    )
    assert editor.message_requests and "adapter" in editor.message_requests[0].message
    assert result["status"] == "applied", result


async def test_words_typed_at_the_start_of_the_source_still_land_after_it(
    client: LanguageClient, editor: Editor, server: FakeLLMServer, doc_uri: str, tmp_path: Path
) -> None:
    """The case users saw staged: new words (not a re-flow) at the start of the
    source while the teacher runs; the pairs follow the source and name its new id."""
    await setup(client, editor, server, doc_uri, tmp_path)
    server.gate = threading.Event()
    args = {"uri": doc_uri, "sectionId": prose_ids(DOC)[0], "perSection": 1}
    task = asyncio.ensure_future(execute(client, "dlm-synth.synthesize", args))
    assert await asyncio.to_thread(server.wait_for_requests, 1, 10.0)
    editor.change(doc_uri, (6, 0), (6, 0), "In short: ")
    typed = editor.texts[doc_uri]
    await client.text_document_folding_range_async(
        lsp.FoldingRangeParams(text_document=lsp.TextDocumentIdentifier(uri=doc_uri))
    )
    server.gate.set()
    result = await task
    assert result["status"] == "applied", result
    sections = parse_text(editor.texts[doc_uri]).sections
    source = next(s for s in sections if "In short: Tiled loops" in s.content)
    after = sections[sections.index(source) + 1]
    assert after.auto_synth and after.source_section_id == source.section_id
    # one insertion, right before the hand-written section that followed the source
    text, at = editor.texts[doc_uri], typed.index("::instruction::\n### Q\nWhat is a tile")
    size = len(text) - len(typed)
    assert text[:at] == typed[:at] and text[at + size :] == typed[at:]


async def test_closing_the_document_during_a_job_stages_the_pairs(
    client: LanguageClient, editor: Editor, server: FakeLLMServer, doc_uri: str, tmp_path: Path
) -> None:
    """The document is a file with a dlm_id: its pairs go to its store, not only
    into the command's result."""
    await setup(client, editor, server, doc_uri, tmp_path)
    server.gate = threading.Event()
    args = {"uri": doc_uri, "sectionId": prose_ids(DOC)[1], "perSection": 2}
    task = asyncio.ensure_future(execute(client, "dlm-synth.synthesize", args))
    assert await asyncio.to_thread(server.wait_for_requests, 1, 10.0)
    client.text_document_did_close(
        lsp.DidCloseTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=doc_uri))
    )
    server.gate.set()
    result = await task
    assert result["status"] == "staged" and result["staged"] == 2 and result["unstagedPairs"] == []
    assert "closed" in result["message"]["text"]
    assert editor.edits == []
    pending = tmp_path / "home" / "store" / "01KPQ9X1000000000000000003" / "synth" / "pending.json"
    staged = json.loads(pending.read_text())["sections"]
    assert len(staged) == 2
    assert all(s["source_section_id"] == prose_ids(DOC)[1] for s in staged)
