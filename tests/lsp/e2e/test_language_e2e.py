"""Completion, base-model knowledge, semantic tokens and duplicate keys through a real
LSP client over stdio, with the VS Code (utf-16) and Neovim 0.11 (utf-8) capability
profiles, plus a client without snippet support (Neovim 0.10)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from dlm_synth_lsp.document import parse_text
from dlm_synth_lsp.document.base_models import registry
from dlm_synth_lsp.document.semantic_tokens import TOKEN_MODIFIERS, TOKEN_TYPES, named
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from .conftest import Editor, file_uri, launch, make_editor, wait_until
from .test_features_e2e import AT, MARKER, rng, units

ID = "dlm_id: 01KPQ9X1000000000000000003\n"
FRONT = "---\n" + ID + "base_model: smollm2-135m\ntraining:\n  adapters:\n    facts: {}\n    tone: {}\n---\n"
PROSE = "# Cache blocking\n\nTiled loops keep a block of A in the L2 cache.\n\n"
PROSE_ID = parse_text(FRONT + PROSE + "::instruction::\n").sections[0].section_id
DOC = (
    FRONT
    + PROSE
    + "::instruction::\n"
    + MARKER.format(teacher="openai:gpt-4o-mini", at=AT, sid=PROSE_ID)
    + "\n### Q\nWhat stays in L2?\n### A\nA block of A.\n\n"
    + "::preference#tone::\n### Prompt\nSay it briefly.\n"
    + "### Chosen\nBlocks fit L2.\n### Rejected\nIt depends.\n"
)
LINES = DOC.split("\n")
PROSE_LINE = LINES.index("Tiled loops keep a block of A in the L2 cache.")


@pytest.fixture
def uri(tmp_path: Path) -> str:
    return file_uri(tmp_path / "notes.dlm")


def cursor(text: str) -> tuple[str, int, int]:
    """(text without `$0`, line, code-point column of `$0`)."""
    before = text[: text.index("$0")]
    return text.replace("$0", "", 1), before.count("\n"), len(before) - before.rfind("\n") - 1


async def complete_at(
    client: LanguageClient, editor: Editor, uri: str, text: str, trigger: str | None = None
) -> tuple[list[lsp.CompletionItem], int, str]:
    """Open `text` (with `$0`), ask for completion at the marker as the client would
    after typing `trigger`; returns the items, the cursor line and its line text."""
    plain, line, column = cursor(text)
    if uri in editor.texts:
        client.text_document_did_close(
            lsp.DidCloseTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
        )
        del editor.texts[uri]
    editor.open(uri, plain)
    row = plain.split("\n")[line]
    return await ask(client, uri, line, units(row[:column], editor), trigger), line, row


async def ask(
    client: LanguageClient, uri: str, line: int, character: int, trigger: str | None
) -> list[lsp.CompletionItem]:
    """A completion request as an editor sends it after typing `trigger` (or on demand)."""
    kind = lsp.CompletionTriggerKind.TriggerCharacter if trigger else lsp.CompletionTriggerKind.Invoked
    result = await client.text_document_completion_async(
        lsp.CompletionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=lsp.Position(line=line, character=character),
            context=lsp.CompletionContext(trigger_kind=kind, trigger_character=trigger),
        )
    )
    if result is None:
        return []
    return list(result.items if isinstance(result, lsp.CompletionList) else result)


def edit_of(item: lsp.CompletionItem) -> lsp.TextEdit:
    assert isinstance(item.text_edit, lsp.TextEdit)
    return item.text_edit


def by_label(found: list[lsp.CompletionItem]) -> dict[str, lsp.CompletionItem]:
    return {item.label: item for item in found}


# -- capabilities ------------------------------------------------------------------------


async def test_capabilities(client: LanguageClient) -> None:
    caps = client.initialize_result.capabilities  # type: ignore[attr-defined]
    assert caps.completion_provider is not None
    assert sorted(caps.completion_provider.trigger_characters) == sorted([":", "#", '"', " "])
    tokens = caps.semantic_tokens_provider
    assert tokens is not None
    assert list(tokens.legend.token_types) == list(TOKEN_TYPES)
    assert list(tokens.legend.token_modifiers) == list(TOKEN_MODIFIERS)
    assert tokens.full == lsp.SemanticTokensFullDelta(delta=True) and tokens.range


# -- completion -----------------------------------------------------------------------------


async def test_completion_in_frontmatter(client: LanguageClient, editor: Editor, uri: str) -> None:
    found, line, _ = await complete_at(client, editor, uri, "---\n" + ID + "$0\n---\n")
    assert [i.label for i in sorted(found, key=lambda i: i.sort_text or "")] == [
        "base_model",
        "dlm_version",
        "training",
        "export",
        "system_prompt",
    ]
    training = by_label(found)["training"]
    assert edit_of(training).range == rng(line, 0, line, 0)
    assert edit_of(training).new_text == "training:\n  $0"
    assert training.insert_text_format == lsp.InsertTextFormat.Snippet
    assert training.insert_text_mode == lsp.InsertTextMode.AsIs
    assert isinstance(training.documentation, lsp.MarkupContent)
    assert "dlm train" in training.documentation.value

    # nested: training.* keys, not the top level, replacing the typed prefix
    found, line, _ = await complete_at(
        client, editor, uri, "---\n" + ID + "training:\n  lora_r: 8\n  lora_$0\n---\n"
    )
    names = [i.label for i in found]
    assert "lora_alpha" in names and "lora_r" not in names and "base_model" not in names
    alpha = by_label(found)["lora_alpha"]
    assert edit_of(alpha).range == rng(line, 2, line, 7)
    assert alpha.kind == lsp.CompletionItemKind.Property and alpha.detail == "an integer >= 1"

    # values: an enumeration after the space that triggers it, default first
    found, line, _ = await complete_at(
        client, editor, uri, "---\n" + ID + "training:\n  adapter: $0\n---\n", trigger=" "
    )
    assert [i.label for i in sorted(found, key=lambda i: i.sort_text or "")] == ["lora", "qlora", "dora"]
    assert edit_of(found[0]).range == rng(line, 11, line, 11)


async def test_completion_in_export_and_list_entries(
    client: LanguageClient, editor: Editor, uri: str
) -> None:
    found, _, _ = await complete_at(client, editor, uri, "---\n" + ID + "export:\n  $0\n---\n")
    assert [i.label for i in found] == ["default_quant", "default_temperature", "default_top_p"]
    found, line, _ = await complete_at(
        client, editor, uri, "---\n" + ID + "export:\n  default_quant: $0\n---\n", trigger=" "
    )
    assert [i.label for i in found] == ["Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0"]
    # the second key of a `training.sources` entry: the entry's keys, not training's
    text = "---\n" + ID + "training:\n  sources:\n    - path: docs\n      $0\n---\n"
    found, line, _ = await complete_at(client, editor, uri, text)
    assert [i.label for i in found] == ["include", "exclude", "max_bytes_per_file", "max_files"]
    assert edit_of(found[0]).range == rng(line, 6, line, 6)
    assert edit_of(found[0]).new_text == "include:\n        - $0"


async def test_base_model_completion_and_the_hf_form(
    client: LanguageClient, editor: Editor, uri: str
) -> None:
    found, line, _ = await complete_at(
        client, editor, uri, "---\n" + ID + 'base_model: "$0"\n---\n', trigger='"'
    )
    items = by_label(found)
    assert list(items) == [m.key for m in registry().models] + ["hf:"]
    llama = items["llama-3.2-1b"]
    assert llama.detail is not None and "meta-llama/Llama-3.2-1B-Instruct" in llama.detail
    assert llama.detail.endswith("gated")
    assert edit_of(llama).range == rng(line, 13, line, 13)  # inside the quotes
    assert (
        isinstance(llama.documentation, lsp.MarkupContent) and "131,072 tokens" in llama.documentation.value
    )
    assert edit_of(items["hf:"]).new_text == "hf:${1:org}/${0:name}"


async def test_completion_range_after_an_astral_character(
    client: LanguageClient, editor: Editor, uri: str
) -> None:
    """`🦙lla` typed as a value: the edit starts before the llama (U+1F999, 2 utf-16
    units, 4 utf-8 bytes) and ends at the cursor after it, in the client's units."""
    found, line, row = await complete_at(client, editor, uri, "---\n" + ID + "base_model: 🦙lla$0\n---\n")
    edit = edit_of(by_label(found)["llama-3.2-1b"])
    end = units(row, editor)
    assert end == len("base_model: lla") + (4 if editor.encoding.name == "UTF8" else 2)
    assert edit.range == rng(line, len("base_model: "), line, end)
    assert edit.new_text == "llama-3.2-1b"


async def test_fence_completion(client: LanguageClient, editor: Editor, uri: str) -> None:
    found, line, _ = await complete_at(client, editor, uri, FRONT + "prose\n:$0\n", trigger=":")
    labels = [i.label for i in found]
    assert labels[:3] == ["::prose::", "::instruction::", "::preference::"]
    assert "::instruction#facts::" in labels and "::preference#tone::" in labels
    # a partly typed fence is replaced whole
    found, line, _ = await complete_at(client, editor, uri, FRONT + "prose\n::instr$0\n")
    instruction = by_label(found)["::instruction::"]
    assert edit_of(instruction).range == rng(line, 0, line, len("::instr"))
    assert instruction.kind == lsp.CompletionItemKind.Keyword
    image = by_label(found)['::image path="…"::']
    assert edit_of(image).new_text == '::image path="${1:images/figure.png}"::'
    # after `#` in a fence: the declared adapters only
    found, line, _ = await complete_at(client, editor, uri, FRONT + "prose\n::instruction#$0\n", trigger="#")
    assert [i.label for i in found] == ["::instruction#facts::", "::instruction#tone::"]


async def test_heading_completion_inside_sections(client: LanguageClient, editor: Editor, uri: str) -> None:
    text = FRONT + "prose\n::instruction::\n### Q\nWhat?\n#$0\n"
    found, _, _ = await complete_at(client, editor, uri, text, trigger="#")
    assert sorted(found, key=lambda i: i.sort_text or "")[0].label == "### A"
    found, _, _ = await complete_at(client, editor, uri, FRONT + "prose\n::preference::\n#$0\n", trigger="#")
    ordered = [i.label for i in sorted(found, key=lambda i: i.sort_text or "")]
    assert ordered[:2] == ["### Prompt", "preference triple"]
    skeleton = by_label(found)["preference triple"]
    assert skeleton.kind == lsp.CompletionItemKind.Snippet
    assert edit_of(skeleton).new_text.startswith("### Prompt\n${1:prompt}\n### Chosen\n")


async def test_typing_prose_never_pops_a_list(client: LanguageClient, editor: Editor, uri: str) -> None:
    """Each character of a prose paragraph typed into an open document, with a
    completion request after each as editors send them (trigger characters included)."""
    editor.open(uri, FRONT + "# Notes\n\n")
    line = FRONT.count("\n") + 2
    sentence = 'Note: A # is not a heading here, and "quotes" or ::colons:: stay prose.'
    for column, ch in enumerate(sentence):
        editor.change(uri, (line, column), (line, column), ch)
        found = await ask(client, uri, line, column + 1, ch if ch in ':#" ' else None)
        assert found == [], sentence[: column + 1]


async def test_plain_text_for_a_client_without_snippets(tmp_path: Path) -> None:
    async with launch("neovim@v0.10.0") as client:
        editor = make_editor(client)
        uri = file_uri(tmp_path / "plain.dlm")
        found, _, _ = await complete_at(client, editor, uri, "---\n" + ID + "training:\n  $0\n---\n")
        items = by_label(found)
        assert all(i.insert_text_format == lsp.InsertTextFormat.PlainText for i in found)
        assert edit_of(items["adapter"]).new_text == "adapter: "
        assert edit_of(items["preference"]).new_text == "preference:\n    "
        found, _, _ = await complete_at(client, editor, uri, "---\n" + ID + "base_model: $0\n---\n")
        assert edit_of(by_label(found)["hf:"]).new_text == "hf:"


# -- base models: hover, warning, quick fix ------------------------------------------------


async def hover_at(client: LanguageClient, uri: str, line: int, character: int) -> lsp.Hover | None:
    return await client.text_document_hover_async(
        lsp.HoverParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=lsp.Position(line=line, character=character),
        )
    )


async def fixes(client: LanguageClient, uri: str, diagnostic: lsp.Diagnostic) -> list[lsp.CodeAction]:
    result = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            range=diagnostic.range,
            context=lsp.CodeActionContext(diagnostics=[diagnostic], only=[lsp.CodeActionKind.QuickFix]),
        )
    )
    assert result is not None and all(isinstance(a, lsp.CodeAction) for a in result)
    return result  # type: ignore[return-value]


async def test_base_model_hover_warning_and_fix(client: LanguageClient, editor: Editor, uri: str) -> None:
    editor.open(uri, DOC)
    hover = await hover_at(client, uri, 2, 14)
    assert hover is not None and isinstance(hover.contents, lsp.MarkupContent)
    assert "`HuggingFaceTB/SmolLM2-135M-Instruct`" in hover.contents.value
    assert "Apache-2.0" in hover.contents.value and "gated: no" in hover.contents.value
    assert hover.range == rng(2, 12, 2, 24)
    key = await hover_at(client, uri, 2, 3)
    assert key is not None and "registry key or hf:" in key.contents.value  # type: ignore[union-attr]
    await wait_until(lambda: uri in client.diagnostics)
    assert [d.code for d in client.diagnostics[uri]] == []

    # an unknown key: a warning at the value, with a fix to the closest registry key
    editor.change(uri, (2, 12), (2, 24), "SmolLM2-135M 🦙")
    await wait_until(lambda: any(d.code == "DLM051" for d in client.diagnostics[uri]))
    [warning] = client.diagnostics[uri]
    assert warning.severity == lsp.DiagnosticSeverity.Warning
    assert warning.range == rng(2, 12, 2, 12 + units("SmolLM2-135M 🦙", editor))
    assert "unknown base model" in warning.message
    hover = await hover_at(client, uri, 2, 14)
    assert hover is not None and "unknown base model" in hover.contents.value  # type: ignore[union-attr]
    editor.change(uri, (2, 12 + len("SmolLM2-135M")), (2, 12 + units("SmolLM2-135M 🦙", editor)), "")
    await wait_until(lambda: [d.message for d in client.diagnostics[uri]] != [warning.message])
    [warning] = client.diagnostics[uri]
    assert warning.code == "DLM051" and warning.data == {
        "value": "SmolLM2-135M",
        "suggestion": "smollm2-135m",
    }
    [fix] = await fixes(client, uri, warning)
    assert fix.title == "Change to 'smollm2-135m'" and fix.is_preferred
    assert fix.edit is not None and editor.apply(lsp.ApplyWorkspaceEditParams(edit=fix.edit)).applied
    assert editor.texts[uri] == DOC
    await wait_until(lambda: list(client.diagnostics[uri]) == [])


async def test_a_hugging_face_id_gets_the_key_and_the_hf_form(
    client: LanguageClient, editor: Editor, uri: str
) -> None:
    editor.open(
        uri, DOC.replace("base_model: smollm2-135m", "base_model: HuggingFaceTB/SmolLM2-135M-Instruct")
    )
    await wait_until(lambda: uri in client.diagnostics)
    [warning] = client.diagnostics[uri]
    titles = [f.title for f in await fixes(client, uri, warning)]
    assert titles == ["Change to 'smollm2-135m'", "Change to 'hf:HuggingFaceTB/SmolLM2-135M-Instruct'"]


# -- duplicate keys --------------------------------------------------------------------------


async def test_duplicate_key_diagnostic_and_fixes(client: LanguageClient, editor: Editor, uri: str) -> None:
    text = DOC.replace("training:\n", "training:\n  seed: 1\n  num_epochs: 2\n  seed: 7\n", 1)
    editor.open(uri, text)
    await wait_until(lambda: uri in client.diagnostics)
    [dup] = client.diagnostics[uri]
    assert dup.code == "DLM050" and dup.severity == lsp.DiagnosticSeverity.Warning
    assert dup.range == rng(6, 2, 6, 6)
    assert "line 5" in dup.message
    found = await fixes(client, uri, dup)
    assert [f.title for f in found] == [
        "Remove this 'seed' (keep the value on line 5)",
        "Remove the earlier 'seed' on line 5 (keep this value)",
    ]
    keep_last = found[1]
    assert keep_last.is_preferred and keep_last.edit is not None
    assert editor.apply(lsp.ApplyWorkspaceEditParams(edit=keep_last.edit)).applied
    assert editor.texts[uri] == DOC.replace("training:\n", "training:\n  num_epochs: 2\n  seed: 7\n", 1)
    await wait_until(lambda: list(client.diagnostics[uri]) == [])


async def test_rename_fix_never_creates_a_duplicate(client: LanguageClient, editor: Editor, uri: str) -> None:
    """`bse_model` is misspelled, but `base_model` is already set: no rename (it
    would write the key twice); remove the stray line, or move its value over."""
    text = DOC.replace("training:\n", "bse_model: qwen3-8b\ntraining:\n", 1)
    editor.open(uri, text)
    await wait_until(lambda: uri in client.diagnostics)
    [unknown] = [d for d in client.diagnostics[uri] if d.code == "DLM005"]
    found = await fixes(client, uri, unknown)
    assert [f.title for f in found] == [
        "Remove 'bse_model' ('base_model' is already set on line 3)",
        "Move this value to 'base_model' on line 3",
    ]
    assert not any(f.title.startswith("Rename") for f in found)
    move = found[1]
    assert move.edit is not None and editor.apply(lsp.ApplyWorkspaceEditParams(edit=move.edit)).applied
    assert editor.texts[uri] == DOC.replace("base_model: smollm2-135m", "base_model: qwen3-8b")
    await wait_until(lambda: list(client.diagnostics[uri]) == [])
    # with no existing key the misspelling is renamed
    editor.change(uri, (2, 0), (2, 4), "bse_")
    await wait_until(lambda: any(d.code == "DLM005" for d in client.diagnostics[uri]))
    [unknown] = [d for d in client.diagnostics[uri] if d.code == "DLM005"]
    [rename] = await fixes(client, uri, unknown)
    assert rename.title == "Rename to 'base_model'"


# -- semantic tokens ----------------------------------------------------------------------------


def decode(data: Sequence[int]) -> list[tuple[int, int, int, str, tuple[str, ...]]]:
    """The wire data as (line, start, length, type, modifiers), with the core's decoder
    (whose results the unit tests pin to hand-counted columns)."""
    return [(t.line, t.start, t.length, t.type, t.modifiers) for t in named(data)]


def apply(data: list[int], edits: list[lsp.SemanticTokensEdit]) -> list[int]:
    out = list(data)
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        out[edit.start : edit.start + edit.delete_count] = edit.data or []
    return out


async def full(client: LanguageClient, uri: str) -> lsp.SemanticTokens:
    result = await client.text_document_semantic_tokens_full_async(
        lsp.SemanticTokensParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
    )
    assert isinstance(result, lsp.SemanticTokens)
    return result


async def delta(
    client: LanguageClient, uri: str, previous: str
) -> lsp.SemanticTokens | lsp.SemanticTokensDelta:
    result = await client.text_document_semantic_tokens_full_delta_async(
        lsp.SemanticTokensDeltaParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri), previous_result_id=previous
        )
    )
    assert result is not None
    return result


def on(tokens: list[tuple[int, int, int, str, tuple[str, ...]]], line: int) -> list[tuple[object, ...]]:
    return [t[1:] for t in tokens if t[0] == line]


async def test_semantic_tokens_full_and_delta(client: LanguageClient, editor: Editor, uri: str) -> None:
    editor.open(uri, DOC)
    first = await full(client, uri)
    tokens = decode(first.data)
    assert on(tokens, 0) == [(0, 3, "operator", ())]
    assert on(tokens, 2) == [(0, 10, "property", ()), (12, 12, "string", ())]
    synth = ("synthesized",)
    fence_line = DOC.split("\n").index("::instruction::")
    assert on(tokens, fence_line) == [
        (0, 2, "operator", synth),
        (2, 11, "keyword", synth),
        (13, 2, "operator", synth),
    ]
    assert on(tokens, fence_line + 1)[1] == (5, 15, "decorator", synth)
    assert on(tokens, fence_line + 2) == [(0, 5, "keyword", synth)]
    tone = DOC.split("\n").index("::preference#tone::")
    assert [t[2] for t in on(tokens, tone)] == ["operator", "keyword", "operator", "namespace", "operator"]

    # typing prose changes no token: an empty delta
    editor.change(uri, (PROSE_LINE, 5), (PROSE_LINE, 5), "x")
    second = await delta(client, uri, first.result_id or "")
    assert isinstance(second, lsp.SemanticTokensDelta) and list(second.edits) == []

    # an astral character, then a fence typed below it: columns in the client's units
    editor.change(uri, (PROSE_LINE, 0), (PROSE_LINE, 0), "😋 ")
    editor.change(uri, (PROSE_LINE + 1, 0), (PROSE_LINE + 1, 0), "\n::prose#facts::\n")
    third = await delta(client, uri, second.result_id or "")
    assert isinstance(third, lsp.SemanticTokensDelta) and third.edits
    data = apply(list(first.data), list(third.edits))
    assert data == list((await full(client, uri)).data)
    tokens = decode(data)
    assert on(tokens, PROSE_LINE + 2) == [
        (0, 2, "operator", ()),
        (2, 5, "keyword", ()),
        (7, 1, "operator", ()),
        (8, 5, "namespace", ()),
        (13, 2, "operator", ()),
    ]
    # everything after moved down two lines, unchanged
    assert on(tokens, tone + 2) == on(decode(list(first.data)), tone)

    # a stale result id gets the full data
    again = await delta(client, uri, "no-such-result")
    assert isinstance(again, lsp.SemanticTokens) and list(again.data) == data


async def test_semantic_tokens_range(client: LanguageClient, editor: Editor, uri: str) -> None:
    editor.open(uri, DOC)
    everything = decode((await full(client, uri)).data)
    result = await client.text_document_semantic_tokens_range_async(
        lsp.SemanticTokensRangeParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri), range=rng(1, 0, 3, 0)
        )
    )
    assert isinstance(result, lsp.SemanticTokens)
    assert decode(result.data) == [t for t in everything if 1 <= t[0] <= 3]


async def test_deltas_follow_bursts_of_edits(client: LanguageClient, editor: Editor, uri: str) -> None:
    """Three keystrokes (an astral character, a fence line, a deletion) between delta
    requests: each delta turns the previous data into the data of the latest text."""
    editor.open(uri, DOC)
    previous = await full(client, uri)
    data = list(previous.data)
    for _ in range(5):
        editor.change(uri, (PROSE_LINE, 0), (PROSE_LINE, 0), "😋")
        editor.change(uri, (PROSE_LINE + 1, 0), (PROSE_LINE + 1, 0), "::instruction#tone::\n")
        editor.change(uri, (PROSE_LINE + 2, 0), (PROSE_LINE + 2, 0), "### Q\n")
        result = await delta(client, uri, previous.result_id or "")
        assert isinstance(result, lsp.SemanticTokensDelta) and result.edits
        data = apply(data, list(result.edits))
        previous = lsp.SemanticTokens(data=data, result_id=result.result_id)
    assert data == list((await full(client, uri)).data)
