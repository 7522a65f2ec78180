"""The server's copy of a document follows the client's through any input (issue 14,
item 0): after a change the parser cannot handle, later changes and a synthesis
still land on the text the editor has.

"Equal text" is checked through everything the server derives from its copy that
the client can see (outline, code lenses with their content-hashed section ids,
folding ranges), each compared with the same pure feature computed here from the
client's text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dlm_synth_lsp.document import Code, SectionType, parse_text
from dlm_synth_lsp.lsp import features
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from tests.fakes.docs import cache_notes
from tests.fakes.llm_server import FakeLLMServer, fake_llm_server
from tests.fakes.teacher_replies import passage_reply

from .conftest import Editor, configure, file_uri, wait_until

DOC = cache_notes("01KPQ9X1000000000000000005")
DEEP = "nested: " + "[" * 600 + "]" * 600 + "\n"


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with fake_llm_server(default_reply=passage_reply) as fake:
        yield fake


async def assert_server_follows(client: LanguageClient, editor: Editor, uri: str) -> None:
    doc = parse_text(editor.texts[uri])
    ident = lsp.TextDocumentIdentifier(uri=uri)
    wire = client.protocol._converter.unstructure  # compared as JSON: lists, not tuples
    symbols = await client.text_document_document_symbol_async(lsp.DocumentSymbolParams(text_document=ident))
    assert wire(symbols) == wire(features.document_symbols(doc, editor.encoding))
    lenses = await client.text_document_code_lens_async(lsp.CodeLensParams(text_document=ident))
    assert wire(lenses) == wire(features.code_lenses(doc, uri, editor.encoding))
    folds = await client.text_document_folding_range_async(lsp.FoldingRangeParams(text_document=ident))
    assert wire(folds) == wire(features.folding_ranges(doc))


async def test_a_parse_failure_then_edits_then_a_synthesis_land_on_the_clients_text(
    client: LanguageClient, editor: Editor, server: FakeLLMServer, tmp_path: Path
) -> None:
    path = tmp_path / "notes.dlm"
    path.write_text(DOC, encoding="utf-8")
    uri = file_uri(path)
    await configure(
        client, teacher=f"vllm-server:{server.url}", filter="dedup-only", dlmHome=str(tmp_path / "h")
    )
    editor.open(uri, DOC)
    await wait_until(lambda: uri in client.diagnostics)
    await assert_server_follows(client, editor, uri)

    # the frontmatter now nests 600 levels: upstream's YAML loader recurses too deep
    editor.change(uri, (1, 0), (1, 0), DEEP)
    await assert_server_follows(client, editor, uri)
    await wait_until(
        lambda: any(
            d.code == Code.YAML_SYNTAX.value and d.range.start.line == 1 for d in client.diagnostics[uri]
        )
    )
    # typing goes on meanwhile, above the second prose section and inside the first
    editor.change(uri, (17, 0), (17, 0), "A paragraph typed while the frontmatter was broken.\n\n")
    editor.change(uri, (7, 0), (7, 0), "Loop tiling: ")
    await assert_server_follows(client, editor, uri)
    # the deep line removed again
    editor.change(uri, (1, 0), (2, 0), "")
    await assert_server_follows(client, editor, uri)
    await wait_until(lambda: not client.diagnostics[uri])

    before = editor.texts[uri]
    source = [s for s in parse_text(before).sections if s.type is SectionType.PROSE][1]
    result = await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(
            command="dlm-synth.synthesize",
            arguments=[{"uri": uri, "sectionId": source.section_id, "perSection": 1}],
        )
    )
    assert result["status"] == "applied", result
    await assert_server_follows(client, editor, uri)
    after = parse_text(editor.texts[uri])
    (block,) = [s for s in after.sections if s.auto_synth]
    assert block.source_section_id == source.section_id
    # right after its source: the source's last line, then the block's fence
    assert block.start_line == source.end_line + 1
    assert editor.texts[uri].startswith(before.rstrip("\n"))

    reverted = await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command="dlm-synth.revert", arguments=[{"uri": uri}])
    )
    assert reverted["removed"] == 1
    assert editor.texts[uri] == before
    await assert_server_follows(client, editor, uri)
