"""Commands under hostile arguments and at awkward moments (issue 14, items 5, 5b).

- an error a handler did not expect is one sentence on the wire, not a traceback in
  `error.data`;
- a bad argument is answered in the server's words only (no "Invalid Params: "
  prefix, never "using the default": a refused command uses nothing);
- an inverted `range` is refused rather than run on a truncated selection;
- `dlm-synth.cancel` with anything but an object cancels nothing;
- a command sent right after `initialized` waits for the settings pull."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dlm_synth_lsp.document import SectionType, parse_text
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from tests.fakes.docs import cache_notes
from tests.fakes.llm_server import FakeLLMServer, Hang, fake_llm_server
from tests.fakes.teacher_replies import passage_reply

from .conftest import Editor, configure, file_uri, launch, make_editor, wait_until

DOC = cache_notes("01KPQ9X1000000000000000011")
PROSE = [s for s in parse_text(DOC).sections if s.type is SectionType.PROSE]


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with fake_llm_server(default_reply=passage_reply) as fake:
        yield fake


async def opened(client: LanguageClient, editor: Editor, tmp_path: Path, name: str = "notes.dlm") -> str:
    path = tmp_path / name
    path.write_text(DOC, encoding="utf-8")
    uri = file_uri(path)
    editor.open(uri, DOC)
    await wait_until(lambda: uri in client.diagnostics)
    return uri


async def command(client: LanguageClient, name: str, arguments: list[Any] | None) -> Any:
    return await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command=name, arguments=arguments)
    )


async def test_an_unexpected_failure_is_one_sentence_without_a_traceback(
    client: LanguageClient, editor: Editor, tmp_path: Path
) -> None:
    # a store path no file system accepts (hostile settings are workspace content)
    await configure(client, dlmHome=str(tmp_path) + "/store\x00here")
    uri = await opened(client, editor, tmp_path)
    with pytest.raises(JsonRpcException) as info:
        await command(client, "dlm-synth.applyStaged", [{"uri": uri}])
    error = info.value
    assert error.code == -32603
    assert error.message == "dlm-synth.applyStaged could not be completed (ValueError: embedded null byte)"
    assert error.data is None


async def test_argument_errors_are_in_the_servers_words_only(
    client: LanguageClient, editor: Editor, server: FakeLLMServer, tmp_path: Path
) -> None:
    await configure(client, teacher=f"vllm-server:{server.url}", filter="none", dlmHome=str(tmp_path / "h"))
    uri = await opened(client, editor, tmp_path)
    cases = [
        (
            {"uri": uri, "sectionId": PROSE[0].section_id, "perSection": "2"},
            "perSection: must be a number, got '2'",
        ),
        ({"uri": uri, "sectionId": 3}, "sectionId: must be a string, got 3"),
        ({"uri": 5}, "uri: must be a string, got 5"),
        ({"uri": uri, "teacher": "gpt4"}, "teacher: unknown teacher selector 'gpt4'"),
    ]
    for argument, expected in cases:
        with pytest.raises(JsonRpcException) as info:
            await command(client, "dlm-synth.synthesize", [argument])
        assert info.value.code == -32602
        assert info.value.message.startswith(expected), info.value.message
        assert "Invalid Params" not in info.value.message and "default" not in info.value.message
    assert server.generation_requests() == []


async def test_an_inverted_range_is_refused(
    client: LanguageClient, editor: Editor, server: FakeLLMServer, tmp_path: Path
) -> None:
    await configure(client, teacher=f"vllm-server:{server.url}", filter="none", dlmHome=str(tmp_path / "h"))
    uri = await opened(client, editor, tmp_path)
    line = PROSE[0].start_line + 1  # 0-based: the second line of the first prose section
    inverted = {"start": {"line": line, "character": 40}, "end": {"line": line - 1, "character": 3}}
    with pytest.raises(JsonRpcException) as info:
        await command(client, "dlm-synth.synthesize", [{"uri": uri, "range": inverted}])
    assert info.value.code == -32602
    assert info.value.message == "range: its start comes after its end"
    assert server.generation_requests() == []


async def test_cancel_with_anything_but_an_object_cancels_nothing(
    client: LanguageClient, editor: Editor, server: FakeLLMServer, tmp_path: Path
) -> None:
    await configure(client, teacher=f"vllm-server:{server.url}", filter="none", dlmHome=str(tmp_path / "h"))
    uri = await opened(client, editor, tmp_path)
    server.respond = lambda request: Hang()
    job = asyncio.ensure_future(
        command(client, "dlm-synth.synthesize", [{"uri": uri, "sectionId": PROSE[0].section_id}])
    )
    assert await asyncio.to_thread(server.wait_for, lambda s: len(s.generation_requests()) >= 1, 10.0)
    for arguments in ([None], [1], ["x"], [[]], [[{"uri": uri}]], [], None):
        with pytest.raises(JsonRpcException) as info:
            await command(client, "dlm-synth.cancel", arguments)
        assert info.value.code == -32602, arguments
    assert not job.done() and not server.abandoned
    result = await command(client, "dlm-synth.cancel", [{"uri": uri}])
    assert result["cancelled"] == 1
    assert (await job)["status"] == "cancelled"


async def test_a_command_right_after_initialized_waits_for_the_settings(
    server: FakeLLMServer, tmp_path: Path
) -> None:
    """A client that answers the global pull slowly and has nothing for a document's
    scope: the command must run with the pulled settings, not the defaults (`self`
    teacher, `sway` filter) it would find if it did not wait."""
    settings = {"teacher": f"vllm-server:{server.url}", "filter": "none", "dlmHome": str(tmp_path / "h")}
    pulled = asyncio.Event()

    def slow_configuration(client: LanguageClient) -> None:
        async def answer(params: lsp.ConfigurationParams) -> list[Any]:
            if all(item.scope_uri for item in params.items):
                return [None for _ in params.items]
            await asyncio.sleep(1.0)
            pulled.set()
            return [settings for _ in params.items]

        client.protocol.fm.features[lsp.WORKSPACE_CONFIGURATION] = answer

    async with launch("visual-studio-code", before_initialize=slow_configuration) as client:
        editor = make_editor(client)
        path = tmp_path / "notes.dlm"
        path.write_text(DOC, encoding="utf-8")
        uri = file_uri(path)
        editor.open(uri, DOC)
        assert not pulled.is_set()
        result = await command(
            client, "dlm-synth.synthesize", [{"uri": uri, "sectionId": PROSE[0].section_id}]
        )
    assert result["status"] == "applied", result
    assert result["report"]["teacher"] == f"vllm-server:{server.url}"
    assert result["report"]["filter"] == "none"
