"""Completion contexts and items (document/completion.py), from fixtures with the
cursor written as `$0` and the expected items beside them."""

from __future__ import annotations

import re

import pytest
from dlm_synth_lsp.document.base_models import registry
from dlm_synth_lsp.document.completion import Completion, ItemKind, complete, new_ulid
from dlm_synth_lsp.document.schema import ULID_RE
from dlm_synth_lsp.document.text import Span

from .cursor import at_cursor

HEAD = "---\ndlm_id: 01KPQ9X1000000000000000003\nbase_model: smollm2-135m\n"
ADAPTERS = "training:\n  adapters:\n    facts: {}\n    tone: {}\n"


def labels(text: str) -> list[str]:
    doc, pos = at_cursor(text)
    return [item.label for item in complete(doc, pos)]


def items(text: str) -> dict[str, Completion]:
    doc, pos = at_cursor(text)
    return {item.label: item for item in complete(doc, pos)}


def ordered(text: str) -> list[str]:
    doc, pos = at_cursor(text)
    return [item.label for item in sorted(complete(doc, pos), key=lambda i: i.sort_text)]


# -- prose and other positions get nothing ------------------------------------------------

NOTHING = [
    HEAD + "---\nSome prose$0 here\n",
    HEAD + "---\nSome prose $0\n",
    HEAD + "---\nNote:$0\n",
    HEAD + "---\nNote: $0\n",
    HEAD + "---\n# A markdown heading$0\n",
    HEAD + "---\n#$0\n",  # a heading in prose is markdown
    HEAD + "---\n$0Some prose\n",  # the line start, but the line has text
    HEAD + "---\nprose\n\n```\n::$0\n```\n",  # inside a code block
    HEAD + "---\nprose\n::instruction::\n### Q\nWhy? $0\n",  # question text
    HEAD + "---\nprose\n::instruction::\n### Q\n$0Why?\n",
    HEAD + "# a comment$0\n---\n",
    HEAD + "training:  # a comment $0\n---\n",
    HEAD + "system_prompt: |\n  You answer$0\n---\n",  # inside a block scalar
    HEAD + "system_prompt: Be brief.$0\n---\n",  # a free-text value
    HEAD + "base_model:$0\n---\n",  # ':' in frontmatter: a value needs a space first
    HEAD + "training:\n  adapters:\n    $0\n---\n",  # adapter names are the author's
    "$0---\ndlm_id: x\n---\n",  # the opening delimiter
    HEAD + "---\nprose\n::instruction::$0\n",  # a complete fence
]


@pytest.mark.parametrize("text", NOTHING)
def test_no_items_outside_their_contexts(text: str) -> None:
    assert labels(text) == []


def test_typing_a_prose_paragraph_never_yields_items() -> None:
    """Every prefix of a prose line, as an editor asks while someone types it."""
    sentence = "Tiled loops keep a block of A in L2: each #block is reused for a whole row of B."
    for end in range(len(sentence) + 1):
        text = HEAD + "---\n# Cache\n\n" + sentence[:end] + "$0" + sentence[end:] + "\n"
        assert labels(text) == [], sentence[:end]


# -- frontmatter keys -------------------------------------------------------------------------


def test_top_level_keys_not_yet_present_required_first() -> None:
    found = ordered("---\ndlm_id: 01KPQ9X1000000000000000003\n$0\n---\n")
    assert found == ["base_model", "dlm_version", "training", "export", "system_prompt"]


def test_keys_while_the_frontmatter_is_still_open() -> None:
    assert ordered("---\n$0") == [
        "dlm_id",
        "base_model",
        "dlm_version",
        "training",
        "export",
        "system_prompt",
    ]


def test_nested_training_keys_replace_the_typed_prefix() -> None:
    text = HEAD + "training:\n  lora_r: 8\n  lora_$0\n  seed: 1\n---\n"
    found = items(text)
    assert "lora_alpha" in found and "dlm_id" not in found
    assert "lora_r" not in found and "seed" not in found  # present above and below
    item = found["lora_alpha"]
    assert item.span == Span.of(5, 2, 5, 7)
    assert item.text == "lora_alpha: "
    assert item.kind is ItemKind.KEY
    assert item.detail == "an integer >= 1"
    assert "LoRA scaling" in item.documentation and "Default: `16`" in item.documentation


def test_deeper_nesting_and_list_entries() -> None:
    assert labels(HEAD + "training:\n  preference:\n    hyperparams:\n      $0\n---\n") == [
        "beta",
        "alpha",
        "learning_rate",
        "num_epochs",
    ]
    # the first key of a list entry, then the entry's other keys
    sources = HEAD + "training:\n  sources:\n    - $0\n---\n"
    assert labels(sources) == ["path", "include", "exclude", "max_bytes_per_file", "max_files"]
    second = HEAD + "training:\n  sources:\n    - path: docs\n      $0\n    - path: more\n---\n"
    assert labels(second) == ["include", "exclude", "max_bytes_per_file", "max_files"]
    adapter = HEAD + ADAPTERS + "  adapters2: 1\n---\n"  # unrelated key, then an adapter entry
    entry = HEAD + "training:\n  adapters:\n    facts:\n      lora_r: 4\n      $0\n---\n"
    assert "lora_r" not in labels(entry) and "adapter" in labels(entry) and "seed" not in labels(entry)
    assert labels(adapter.replace("    tone: {}\n", "    tone: {}\n  $0\n")) == [
        k for k in labels(HEAD + "training:\n  $0\n---\n") if k != "adapters"
    ]


def test_a_key_followed_by_its_colon_inserts_only_the_name() -> None:
    found = items(HEAD + "training:\n  lora_$0: 8\n---\n")
    assert found["lora_alpha"].text == "lora_alpha"
    assert found["lora_alpha"].snippet is None


def test_insert_text_by_shape_plain_and_snippet() -> None:
    found = items(HEAD + "training:\n  $0\n---\n")
    preference = found["preference"]
    assert preference.kind is ItemKind.GROUP
    assert (preference.text, preference.snippet) == ("preference:\n    ", "preference:\n    $0")
    assert found["sources"].text == "sources:\n    - "
    assert found["adapter"].snippet == "adapter: ${1|lora,qlora,dora|}"
    assert found["lora_r"].snippet == "lora_r: ${1:8}"
    assert found["lora_r"].text == "lora_r: "


# -- frontmatter values -------------------------------------------------------------------------


def test_enumeration_values_default_first() -> None:
    text = HEAD + "training:\n  optimizer: $0\n---\n"
    assert ordered(text)[0] == "adamw_torch"
    assert set(labels(text)) == {
        "adamw_torch",
        "adamw_bnb_8bit",
        "paged_adamw_8bit",
        "galore_adamw",
        "galore_adamw_8bit",
    }
    assert labels(HEAD + "export:\n  default_quant: Q$0\n---\n") == ["Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0"]
    assert labels(HEAD + "training:\n  preference:\n    enabled: $0\n---\n") == ["true", "false"]
    assert labels(HEAD + "training:\n  precision: $0\n---\n") == ["bf16", "fp16", "fp32"]
    assert labels(HEAD + "training:\n  micro_batch_size: $0\n---\n") == ["auto"]
    assert labels(HEAD + "training:\n  lora_r: $0\n---\n") == ["8"]  # the default


def test_value_span_is_the_whole_value_without_comment() -> None:
    found = items(HEAD + "training:\n  adapter: qlo$0ra  # cheaper\n---\n")
    assert found["dora"].span == Span.of(4, 11, 4, 16)


def test_base_model_values_come_from_the_registry() -> None:
    text = "---\ndlm_id: 01KPQ9X1000000000000000003\nbase_model: $0\n---\n"
    found = items(text)
    reg = registry()
    assert list(found) == [m.key for m in reg.models] + ["hf:"]
    llama = found["llama-3.2-1b"]
    assert llama.kind is ItemKind.MODEL
    assert llama.detail.startswith("meta-llama/Llama-3.2-1B-Instruct · ")
    assert llama.detail.endswith(" · gated")
    assert "128k context" in llama.detail
    assert "gated: yes" in llama.documentation
    assert "gated" not in found["smollm2-135m"].detail
    assert found["hf:"].snippet == "hf:${1:org}/${0:name}"
    assert found["smollm2-135m"].span == Span.of(2, 12, 2, 12)


def test_base_model_inside_quotes_and_after_an_astral_character() -> None:
    quoted = items('---\nbase_model: "qw$0"\n---\n')
    assert quoted["qwen3-8b"].span == Span.of(1, 13, 1, 15)
    astral = items("---\nbase_model: 🦙lla$0\n---\n")
    assert astral["llama-3.2-1b"].span == Span.of(1, 12, 1, 16)


def test_dlm_id_offers_a_fresh_ulid() -> None:
    [item] = complete(*at_cursor("---\ndlm_id: $0\n---\n"))
    assert ULID_RE.fullmatch(item.text)
    assert new_ulid(0)[:10] == "0000000000"
    assert new_ulid(2**48 - 1)[:10] == "7ZZZZZZZZZ"
    assert len({new_ulid(1) for _ in range(20)}) == 20


# -- body: fences ---------------------------------------------------------------------------------

FENCES = ["::prose::", "::instruction::", "::preference::", '::image path="…"::']
FENCES.append('::audio path="…" transcript="…"::')


def test_fences_at_a_line_start_typed_with_a_colon() -> None:
    assert labels(HEAD + "---\nprose\n:$0\n") == FENCES
    found = items(HEAD + "---\nprose\n::instr$0\n")
    assert list(found) == FENCES
    assert found["::instruction::"].span == Span.of(5, 0, 5, 7)
    image = found['::image path="…"::']
    assert image.text == '::image path=""::'
    assert image.snippet == '::image path="${1:images/figure.png}"::'
    # a partly typed fence with text after the cursor is replaced whole
    partly = items(HEAD + "---\nprose\n::inst$0rution::\n")["::instruction::"]
    assert partly.span == Span.of(5, 0, 5, len("::instrution::"))


def test_adapter_fences_use_the_declared_adapters() -> None:
    doc = HEAD + ADAPTERS + "---\nprose\n"
    assert labels(doc + "::instruction#$0\n") == ["::instruction#facts::", "::instruction#tone::"]
    assert labels(doc + "::preference#t$0\n") == ["::preference#facts::", "::preference#tone::"]
    every = labels(doc + "::$0\n")
    assert every[:5] == FENCES
    assert "::prose#tone::" in every and "::image#tone::" not in every
    assert labels(HEAD + "---\nprose\n::instruction#$0\n") == []  # none declared


def test_blank_lines_offer_fences_and_in_qa_sections_headings_first() -> None:
    assert labels(HEAD + "---\nprose\n\n$0\n") == FENCES
    assert ordered(HEAD + "---\nprose\n::instruction::\n$0\n")[:3] == ["### Q", "Q/A pair", "### A"]


# -- body: headings --------------------------------------------------------------------------------


def test_instruction_headings_expected_one_first() -> None:
    base = HEAD + "---\nprose\n::instruction::\n"
    assert ordered(base + "#$0\n") == ["### Q", "Q/A pair", "### A"]
    after_q = ordered(base + "### Q\nWhy?\n#$0\n")
    assert after_q == ["### A", "### Q"]  # no skeleton in the middle of a pair
    after_a = ordered(base + "### Q\nWhy?\n### A\nBecause.\n\n##$0\n")
    assert after_a[:2] == ["### Q", "Q/A pair"]
    pair = items(base + "### $0\n")["Q/A pair"]
    assert pair.kind is ItemKind.SKELETON
    assert pair.text == "### Q\n\n### A\n"
    assert pair.snippet == "### Q\n${1:question}\n### A\n${0:answer}"
    assert pair.span == Span.of(6, 0, 6, 4)


def test_preference_headings_follow_the_triple() -> None:
    base = HEAD + "---\nprose\n::preference::\n"
    assert ordered(base + "#$0\n")[:2] == ["### Prompt", "preference triple"]
    assert ordered(base + "### Prompt\nSay hi.\n#$0\n")[0] == "### Chosen"
    assert ordered(base + "### Prompt\nSay hi.\n### Chosen\nHi!\n#$0\n")[0] == "### Rejected"
    assert "### Q" not in labels(base + "#$0\n")


def test_a_synthesized_section_gets_headings_too() -> None:
    marker = (
        '<!-- dlm-auto-synth: synth_teacher="t" synth_strategy="extraction" '
        'synth_at="2026-01-01T00:00:00Z" source_section_id="0123456789abcdef" -->'
    )
    text = HEAD + f"---\nprose\n::instruction::\n{marker}\n### Q\nWhy?\n#$0\n"
    assert ordered(text)[0] == "### A"


def test_fence_and_heading_items_document_themselves() -> None:
    for item in complete(*at_cursor(HEAD + "---\nprose\n::instruction::\n$0\n")):
        assert item.documentation and item.detail and item.sort_text
        assert re.fullmatch(r"[0-9]+", item.sort_text)


def test_attribute_fence_snippets_fill_in_to_valid_fences() -> None:
    from dlm_synth_lsp.document.fences import classify

    found = [i for i in complete(*at_cursor(HEAD + "---\nprose\n::$0\n")) if "path=" in i.text]
    assert len(found) == 2
    for item in found:
        assert item.snippet is not None
        filled = re.sub(r"\$\{\d+:([^}]*)\}", r"\1", item.snippet)
        fence = classify(filled)
        assert fence is not None and fence.type is not None and fence.problem is None, filled
