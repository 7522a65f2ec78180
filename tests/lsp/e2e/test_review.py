"""`applyMode: preview`: the pairs wait for the user's review, pair by pair.

A job ends with status "review" and a message whose actions are the review itself
(`dlm-synth.review`: the pairs and where each would land now), "Insert all" and
"Stage them" (`dlm-synth.applyReview`). Nothing is sent to the editor until the
user decides, however long they keep typing; kept pairs land right after their
source as it is then; a declined review inserts and stages nothing unless asked;
closing the document stages what was waiting."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from dlm_synth_lsp.document import SectionType, parse_text
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from tests.fakes.docs import cache_notes
from tests.fakes.llm_server import FakeLLMServer, fake_llm_server
from tests.fakes.teacher_replies import passage_reply

from .conftest import PROFILES, Editor, configure, file_uri, launch, make_editor, wait_until

DLM_ID = "01KPQ9X1000000000000000003"
DOC = cache_notes(DLM_ID)
PROSE = [s for s in parse_text(DOC).sections if s.type is SectionType.PROSE]


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with fake_llm_server(default_reply=passage_reply) as fake:
        yield fake


@pytest.fixture(params=PROFILES)
async def client(request: pytest.FixtureRequest) -> AsyncIterator[LanguageClient]:
    """A client that shows results itself (`experimental.dlmSynth.resultMessages`), as
    the VS Code extension and the Neovim plugin do."""
    async with launch(request.param, {"dlmSynth": {"useCache": False}}, result_messages=True) as shows:
        yield shows


@pytest.fixture
async def uri(client: LanguageClient, editor: Editor, server: FakeLLMServer, tmp_path: Path) -> str:
    return await open_notes(client, editor, server, tmp_path)


async def open_notes(client: LanguageClient, editor: Editor, server: FakeLLMServer, tmp_path: Path) -> str:
    await configure(
        client,
        teacher=f"vllm-server:{server.url}",
        filter="dedup-only",
        perSection=3,
        applyMode="preview",
        dlmHome=str(tmp_path / "home"),
    )
    path = tmp_path / "notes.dlm"
    path.write_text(DOC, encoding="utf-8")
    doc_uri = file_uri(path)
    editor.open(doc_uri, DOC)
    await wait_until(lambda: doc_uri in client.diagnostics)
    return doc_uri


def pending(tmp_path: Path) -> Path:
    return tmp_path / "home" / "store" / DLM_ID / "synth" / "pending.json"


async def execute(client: LanguageClient, command: str, args: Any) -> Any:
    return await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command=command, arguments=[args])
    )


async def synthesize(client: LanguageClient, uri: str, **extra: Any) -> dict[str, Any]:
    args = {"uri": uri, "sectionId": PROSE[0].section_id, **extra}
    result: dict[str, Any] = await execute(client, "dlm-synth.synthesize", args)
    return result


def action(result: dict[str, Any], title_start: str) -> dict[str, Any]:
    found: dict[str, Any] = next(
        a for a in result["message"]["actions"] if a["title"].startswith(title_start)
    )
    return found


async def run(client: LanguageClient, command: dict[str, Any], **override: Any) -> dict[str, Any]:
    """Run a message action as a client does, with some argument keys replaced."""
    result: dict[str, Any] = await execute(
        client, command["command"], {**command["arguments"][0], **override}
    )
    return result


async def test_a_finished_job_offers_the_review_and_changes_nothing(
    client: LanguageClient, editor: Editor, uri: str
) -> None:
    result = await synthesize(client, uri)
    assert result["status"] == "review" and result["accepted"] == 3, result
    assert result["applied"] == 0 and result["staged"] == 0
    assert [a["title"] for a in result["message"]["actions"]] == [
        "Review 3 pairs…",
        "Insert all",
        "Stage them",
    ]
    assert "await your review" in result["message"]["text"]
    assert editor.edits == [] and editor.texts[uri] == DOC
    assert client.messages == []  # the client said it shows the message itself


async def test_keeping_a_subset_inserts_exactly_it_after_the_source_as_typed_since(
    client: LanguageClient, editor: Editor, uri: str, tmp_path: Path
) -> None:
    result = await synthesize(client, uri)
    # the user keeps typing, inside the source, before opening the review
    source_line = DOC.split("\n").index(PROSE[0].content.split("\n")[2])
    editor.change(uri, (source_line, 0), (source_line, 0), "Reviewed later: ")
    listing = await run(client, action(result, "Review"))
    pairs = listing["pairs"]
    assert [p["index"] for p in pairs] == [0, 1, 2] and all(p["question"] and p["answer"] for p in pairs)
    # each pair says where it would land: the (edited) source section, as it is now
    assert all(p["sourceTitle"] == "Cache blocking" for p in pairs)
    assert {p["sourceRange"]["start"]["line"] for p in pairs} == {PROSE[0].start_line - 1}
    assert editor.edits == []
    typed = editor.texts[uri]
    decided = await run(client, action(result, "Insert all"), keep=[0, 2])
    assert (decided["applied"], decided["staged"], decided["dropped"]) == (2, 0, 1), decided
    after = parse_text(editor.texts[uri])
    inserted = [s for s in after.sections if s.auto_synth and s.content not in DOC]
    questions = [s.content.split("\n")[1] for s in inserted]
    assert questions == [pairs[0]["question"], pairs[2]["question"]]
    source = next(s for s in after.sections if "Reviewed later: " in s.content)
    order = list(after.sections)
    assert order[order.index(source) + 1] == inserted[0]
    assert all(s.source_section_id == source.section_id for s in inserted)
    # one insertion, right where the source's block ends; every typed character kept
    text, at = editor.texts[uri], typed.index("::instruction::\n")
    size = len(text) - len(typed)
    assert text[:at] == typed[:at] and text[at + size :] == typed[at:]
    assert not pending(tmp_path).exists()


async def test_a_declined_review_inserts_and_stages_nothing_unless_asked(
    client: LanguageClient, editor: Editor, uri: str, tmp_path: Path
) -> None:
    first = await synthesize(client, uri)
    declined = await run(client, action(first, "Insert all"), keep=[])
    assert (declined["applied"], declined["staged"], declined["dropped"]) == (0, 0, 3), declined
    assert editor.edits == [] and editor.texts[uri] == DOC and not pending(tmp_path).exists()
    with pytest.raises(Exception, match="await review"):
        await run(client, action(first, "Review"))  # decided: nothing left to review
    second = await synthesize(client, uri)
    staged = await run(client, action(second, "Stage them"))
    assert (staged["applied"], staged["staged"], staged["dropped"]) == (0, 3, 0), staged
    assert editor.edits == [] and editor.texts[uri] == DOC
    assert len(json.loads(pending(tmp_path).read_text())["sections"]) == 3
    assert [a["title"] for a in staged["message"]["actions"]] == ["Apply staged instructions"]


async def test_closing_the_document_stages_the_pairs_awaiting_review(
    client: LanguageClient, editor: Editor, uri: str, tmp_path: Path
) -> None:
    result = await synthesize(client, uri)
    assert result["status"] == "review"
    client.text_document_did_close(
        lsp.DidCloseTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
    )
    await wait_until(lambda: any("awaiting review were staged" in m.message for m in client.messages))
    assert len(json.loads(pending(tmp_path).read_text())["sections"]) == 3
    assert editor.edits == []


@pytest.mark.parametrize("profile", PROFILES)
async def test_a_client_that_does_not_show_results_is_told_about_the_review(
    profile: str, server: FakeLLMServer, tmp_path: Path
) -> None:
    """No `resultMessages` declaration: the server also sends the outcome as
    `window/showMessage`, since the client may show the result to nobody."""
    async with launch(profile, {"dlmSynth": {"useCache": False}}) as plain:
        editor = make_editor(plain)
        uri = await open_notes(plain, editor, server, tmp_path)
        result = await synthesize(plain, uri)
        assert result["status"] == "review"
        await wait_until(lambda: any("await your review" in m.message for m in plain.messages))
        assert editor.edits == []
