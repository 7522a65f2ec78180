"""What the user is told, and what they can do next, as the bundled clients meet it:
a client that says it shows results (`experimental.dlmSynth.resultMessages`) gets
every outcome in the result only; results offer Review / Undo / Apply staged; a
request's own progress token carries the job's steps and its cancel; the list and
revert commands narrow to a source, a job's insertions or the cursor; the status
command says what a synthesis would use and what stands in its way. Every text is
in the editor's words: no command id, no command-line flag.
"""

from __future__ import annotations

import asyncio
import importlib.util
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from dlm_synth_lsp import __version__
from dlm_synth_lsp.document import parse_text
from dlm_synth_lsp.lsp import protocol as p
from dlm_synth_lsp.synth.local.bundled import default_local_target
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from tests.fakes.docs import cache_notes
from tests.fakes.llm_server import FakeLLMServer, Hang, fake_llm_server
from tests.fakes.teacher_replies import passage_reply

from .conftest import PROFILES, Editor, configure, file_uri, launch, make_editor, wait_until

DOC = cache_notes("01KPQ9X1000000000000000021")

#: what a message the user reads must never contain
FOREIGN = re.compile(r"dlm-synth\.[a-zA-Z]+|(?<![\w-])--[a-z]")


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with fake_llm_server(default_reply=passage_reply) as fake:
        yield fake


@pytest.fixture(params=PROFILES)
async def ours(request: pytest.FixtureRequest) -> AsyncIterator[LanguageClient]:
    """A client that shows results itself, as the VS Code extension and the Neovim
    plugin do."""
    async with launch(request.param, {"dlmSynth": {"useCache": False}}, result_messages=True) as client:
        yield client


@pytest.fixture
def doc_uri(tmp_path: Path) -> str:
    path = tmp_path / "notes.dlm"
    path.write_text(DOC, encoding="utf-8")
    return file_uri(path)


async def execute(
    client: LanguageClient, command: str, args: dict[str, Any], token: str | None = None
) -> Any:
    return await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command=command, arguments=[args], work_done_token=token)
    )


def prose(text: str) -> list[str]:
    return [s.section_id for s in parse_text(text).sections if s.type.value == "prose"]


def synthesized(text: str) -> list[str]:
    return [s.section_id for s in parse_text(text).sections if s.auto_synth]


def readable(message: dict[str, Any]) -> None:
    """The message is worded for the editor (and its actions are named by title)."""
    assert not FOREIGN.search(message["text"]), message["text"]
    for line in message["details"]:
        assert not FOREIGN.search(line), line


async def ready(
    client: LanguageClient, server: FakeLLMServer, uri: str, tmp_path: Path, **settings: Any
) -> Editor:
    editor = make_editor(client)
    defaults = {
        "teacher": f"vllm-server:{server.url}",
        "filter": "dedup-only",
        "dlmHome": str(tmp_path / "home"),
        "perSection": 2,
    }
    await configure(client, **{**defaults, **settings})
    editor.open(uri, DOC)
    await wait_until(lambda: uri in client.diagnostics)
    return editor


async def test_applied_offers_review_and_undo_of_exactly_what_was_inserted(
    ours: LanguageClient, server: FakeLLMServer, doc_uri: str, tmp_path: Path
) -> None:
    editor = await ready(ours, server, doc_uri, tmp_path)
    first, second = prose(DOC)[:2]
    await execute(ours, p.SYNTHESIZE, {"uri": doc_uri, "sectionId": second})
    older = synthesized(editor.texts[doc_uri])
    result = await execute(ours, p.SYNTHESIZE, {"uri": doc_uri, "sectionId": first})
    assert result["status"] == "applied"
    message = result["message"]
    readable(message)
    assert re.fullmatch(
        r"Inserted 2 synthesized pairs for “Cache blocking” \(line \d+\) "
        r"\(2 accepted, 0 rejected, 2 inserted\)\.",
        message["text"],
    ), message["text"]
    inserted = [i for i in synthesized(editor.texts[doc_uri]) if i not in older]
    review, undo = message["actions"]
    assert review == {
        "title": "Review 2 pairs…",
        "command": p.LIST,
        "arguments": [{"uri": doc_uri, "sectionIds": inserted}],
    }
    assert undo == {
        "title": "Undo",
        "command": p.REVERT,
        "arguments": [{"uri": doc_uri, "sectionIds": inserted}],
    }
    listed = await execute(ours, review["command"], review["arguments"][0])
    assert [e["sectionId"] for e in listed["applied"]] == inserted and listed["staged"] == []
    # Undo after the user typed elsewhere still removes exactly those sections
    editor.change(doc_uri, (0, 0), (0, 0), "")
    undone = await execute(ours, undo["command"], undo["arguments"][0])
    assert undone["removed"] == len(inserted)
    assert synthesized(editor.texts[doc_uri]) == older
    # and a second Undo has nothing left to remove, and says so
    again = await execute(ours, undo["command"], undo["arguments"][0])
    assert again["removed"] == 0 and "no longer in the document" in again["message"]["text"]
    assert ours.messages == [], "a client that shows results is never also sent window/showMessage"


async def test_failures_come_only_in_the_result_with_the_setting_that_fixes_them(
    ours: LanguageClient, server: FakeLLMServer, doc_uri: str, tmp_path: Path
) -> None:
    await ready(ours, server, doc_uri, tmp_path, teacher="openai:gpt-4o-mini")
    result = await execute(ours, p.SYNTHESIZE, {"uri": doc_uri, "sectionId": prose(DOC)[0]})
    assert result["status"] == "failed"
    message = result["message"]
    readable(message)
    assert message["severity"] == "error"
    assert message["text"].startswith("Synthesis did not start: openai:gpt-4o-mini requires $OPENAI_API_KEY")
    assert message["text"].endswith("(the teacher is the setting dlmSynth.teacher)")
    assert message["actions"] == [
        {"title": "Choose a teacher…", "command": p.OPEN_SETTING, "arguments": [{"setting": "teacher"}]}
    ]
    # the sway judge without a trained adapter: keep grounded, or choose
    await configure(
        ours, teacher=f"vllm-server:{server.url}", filter="sway", dlmHome=str(tmp_path / "home"), perSection=2
    )
    result = await execute(ours, p.SYNTHESIZE, {"uri": doc_uri, "sectionId": prose(DOC)[0]})
    message = result["message"]
    readable(message)
    assert "(the filter is the setting dlmSynth.filter)" in message["text"]
    assert [a["title"] for a in message["actions"]] == ["Always use grounded", "Choose a filter…"]
    assert message["actions"][0]["arguments"] == [{"settings": {"filter": "grounded"}}]
    assert ours.messages == []


async def test_the_requests_own_progress_token_carries_the_steps_and_the_cancel(
    ours: LanguageClient, server: FakeLLMServer, doc_uri: str, tmp_path: Path
) -> None:
    await ready(ours, server, doc_uri, tmp_path)
    result = await execute(ours, p.SYNTHESIZE_DOCUMENT, {"uri": doc_uri}, token="client-token-1")
    assert result["status"] == "applied"
    assert list(ours.progress_reports) == ["client-token-1"], "no progress of the server's own"
    values = ours.progress_reports["client-token-1"]
    assert isinstance(values[0], lsp.WorkDoneProgressBegin) and values[0].cancellable
    steps = [v.message for v in values if isinstance(v, lsp.WorkDoneProgressReport)]
    assert any(m and m.startswith("“Cache blocking” (extraction): 2 of 2 accepted") for m in steps), steps
    assert isinstance(values[-1], lsp.WorkDoneProgressEnd)

    # Cancel through that token: the job stops and answers in its own words
    server.script(Hang())
    asked = len(server.generation_requests())
    pending = asyncio.ensure_future(
        execute(ours, p.SYNTHESIZE, {"uri": doc_uri, "sectionId": prose(DOC)[-1]}, token="client-token-2")
    )
    # the chat request, not the teacher's model discovery before it (a cancel that
    # comes between the two leaves nothing to abandon)
    assert await asyncio.to_thread(server.wait_for, lambda s: len(s.generation_requests()) > asked, 10.0)
    await wait_until(lambda: "client-token-2" in ours.progress_reports)
    ours.window_work_done_progress_cancel(lsp.WorkDoneProgressCancelParams(token="client-token-2"))
    cancelled = await pending
    assert cancelled["status"] == "cancelled"
    assert cancelled["message"]["text"] == "Synthesis cancelled."
    assert await asyncio.to_thread(server.wait_for_abandoned, 1, 30.0)


async def test_list_and_revert_narrow_to_a_source_a_job_or_the_cursor(
    ours: LanguageClient, server: FakeLLMServer, doc_uri: str, tmp_path: Path
) -> None:
    editor = await ready(ours, server, doc_uri, tmp_path)
    first, second = prose(DOC)[:2]
    for section_id in (first, second):
        await execute(ours, p.SYNTHESIZE, {"uri": doc_uri, "sectionId": section_id})
    text = editor.texts[doc_uri]
    doc = parse_text(text)
    by_source = {s: [x.section_id for x in doc.sections if x.source_section_id == s] for s in (first, second)}
    # the lens "N synthesized pairs": the list of one source
    listed = await execute(ours, p.LIST, {"uri": doc_uri, "sourceSectionId": second})
    assert [e["sectionId"] for e in listed["applied"]] == by_source[second]

    # revert at the cursor: inside a synthesized section, that one
    one = next(s for s in doc.sections if s.section_id == by_source[second][0])
    row = one.start_line + 1  # 0-based: the line after the fence
    inside = {"start": {"line": row, "character": 0}, "end": {"line": row, "character": 0}}
    reverted = await execute(ours, p.REVERT, {"uri": doc_uri, "range": inside})
    assert reverted["removed"] == 1
    # in a prose section: that section's pairs
    heading = next(s for s in parse_text(editor.texts[doc_uri]).sections if s.section_id == first).start_line
    cursor = {"start": {"line": heading, "character": 0}, "end": {"line": heading, "character": 0}}
    reverted = await execute(ours, p.REVERT, {"uri": doc_uri, "range": cursor})
    assert reverted["removed"] == len(by_source[first])
    left = synthesized(editor.texts[doc_uri])
    assert left == by_source[second][1:]
    # in the frontmatter: nothing, and the message says where to stand
    nowhere = {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 0}}
    reverted = await execute(ours, p.REVERT, {"uri": doc_uri, "range": nowhere})
    assert reverted["removed"] == 0
    assert reverted["message"]["text"].startswith("The cursor is not in a synthesized section")
    assert synthesized(editor.texts[doc_uri]) == left


async def test_status_says_what_a_synthesis_would_use_and_what_stands_in_its_way(
    ours: LanguageClient, server: FakeLLMServer, doc_uri: str, tmp_path: Path
) -> None:
    await ready(ours, server, doc_uri, tmp_path)
    status = await execute(ours, p.STATUS, {"uri": doc_uri, "probe": True})
    assert status == {
        "serverVersion": __version__,
        "teacher": f"vllm-server:{server.url}",
        "teacherSetting": f"vllm-server:{server.url}",
        "filter": "dedup-only",
        "filterSetting": "dedup-only",
        "problem": None,
        "reachable": True,
        "jobs": [],
    }
    await configure(ours, teacher="vllm-server:http://127.0.0.1:9", filter="grounded")
    status = await execute(ours, p.STATUS, {"uri": doc_uri, "probe": True})
    assert status["reachable"] is False
    assert status["problem"] == (
        "vllm-server:http://127.0.0.1:9 does not answer at http://127.0.0.1:9/v1/models; "
        "is the server running?"
    )
    await configure(ours, teacher="anthropic:claude-x", filter="grounded")
    status = await execute(ours, p.STATUS, {"uri": doc_uri})
    assert status["reachable"] is None
    assert status["problem"].startswith("anthropic:claude-x needs $ANTHROPIC_API_KEY in the environment")
    await configure(ours, teacher=f"vllm-server:{server.url}", filter="sway", dlmHome=str(tmp_path / "empty"))
    status = await execute(ours, p.STATUS, {"uri": doc_uri})
    assert status["problem"].startswith("the sway filter needs a trained adapter for ")
    # a running job is listed
    await configure(
        ours, teacher=f"vllm-server:{server.url}", filter="dedup-only", dlmHome=str(tmp_path / "h")
    )
    server.script(Hang())
    pending = asyncio.ensure_future(execute(ours, p.SYNTHESIZE, {"uri": doc_uri, "sectionId": prose(DOC)[0]}))
    await asyncio.to_thread(server.wait_for_requests, len(server.requests) + 1, 10.0)
    status = await execute(ours, p.STATUS, {"uri": doc_uri})
    assert status["jobs"] == [{"title": "Synthesizing instructions", "uri": doc_uri}]
    await execute(ours, p.CANCEL, {"uri": doc_uri})
    assert (await pending)["status"] == "cancelled"


async def test_the_question_offers_a_choice_to_keep(
    ours: LanguageClient, server: FakeLLMServer, doc_uri: str, tmp_path: Path
) -> None:
    editor = await ready(ours, server, doc_uri, tmp_path, filter="sway", dlmHome=str(tmp_path / "cold"))
    editor.message_choice = "Always use grounded"
    result = await execute(ours, p.SYNTHESIZE, {"uri": doc_uri, "sectionId": prose(DOC)[0]})
    (question,) = editor.message_requests
    assert question.message.startswith("sway judge needs a trained adapter")
    assert not FOREIGN.search(question.message)
    assert [a.title for a in question.actions or []] == [
        "Use grounded",
        "Always use grounded",
        "Use dedup-only",
        "Cancel",
    ]
    assert result["status"] == "applied" and result["report"]["filter"] == "grounded"


def test_a_choice_carries_the_settings_it_keeps_on_the_wire() -> None:
    """The question's actions are `MessageActionItem`s; a `Choice` adds `remember`
    (sent only to clients that accept extra properties, see `ClientProfile`)."""
    params = lsp.ShowMessageRequestParams(
        type=lsp.MessageType.Warning,
        message="m",
        actions=[
            p.Choice(title="Use grounded"),
            p.Choice(title="Always use grounded", remember={"filter": "grounded"}),
        ],
    )
    assert p.make_converter().unstructure(params)["actions"] == [
        {"title": "Use grounded"},
        {"title": "Always use grounded", "remember": {"filter": "grounded"}},
    ]


async def test_status_resolves_auto_for_the_document(
    ours: LanguageClient, doc_uri: str, tmp_path: Path
) -> None:
    """No teacher or filter chosen: what `auto` means for this never-trained document
    (the bundled offline model, the model-free filter), and whether it can run."""
    editor = make_editor(ours)
    await configure(ours, dlmHome=str(tmp_path / "home"))
    editor.open(doc_uri, DOC)
    status = await execute(ours, p.STATUS, {"uri": doc_uri})
    # the model a bare `local` means, as the markers will name it
    assert (status["teacher"], status["teacherSetting"]) == (f"local:{default_local_target()}", "auto")
    assert (status["filter"], status["filterSetting"]) == ("grounded", "auto")
    if importlib.util.find_spec("llama_cpp") is None:
        assert "llama-cpp-python" in status["problem"]
    else:
        assert status["problem"] is None or "offline model" in status["problem"]
