"""Frontmatter hover cards and quick fixes (document/frontmatter_help.py): what each
fix does to the text, and that none ever writes a key twice."""

from __future__ import annotations

from dlm_synth_lsp.document import parse_text
from dlm_synth_lsp.document.edits import apply_edits
from dlm_synth_lsp.document.frontmatter_help import (
    Fix,
    base_model_fixes,
    duplicate_key_fixes,
    hover_at,
    unknown_key_fixes,
)
from dlm_synth_lsp.document.problems import Code
from dlm_synth_lsp.document.text import Span

from .cursor import at_cursor

ID = "dlm_id: 01KPQ9X1000000000000000003\n"


def applied(text: str, fix: Fix) -> str:
    return apply_edits(text, fix.edits)


def test_hover_on_keys_and_the_base_model() -> None:
    found = hover_at(*at_cursor("---\n" + ID + "training:\n  lo$0ra_r: 8\n---\n"))
    assert found is not None
    span, text = found
    assert span == Span.of(3, 2, 3, 8)
    assert text.startswith("`training.lora_r` — LoRA rank") and "Default: `8`." in text
    card = hover_at(*at_cursor("---\nbase_model: qwen$02.5-1.5b  # small\n---\n"))
    assert card is not None and card[0] == Span.of(1, 12, 1, 24)
    assert "**qwen2.5-1.5b** — `Qwen/Qwen2.5-1.5B-Instruct`" in card[1]
    hf = hover_at(*at_cursor('---\nbase_model: "hf:org/na$0me"\n---\n'))
    assert hf is not None and "`hf:<org>/<name>`" in hf[1]
    unknown = hover_at(*at_cursor("---\nbase_model: gp$0t2\n---\n"))
    assert unknown is not None and unknown[1].startswith("**unknown base model** `gpt2`")
    # an adapter entry's key reads like the flat one
    adapter = hover_at(*at_cursor("---\ntraining:\n  adapters:\n    facts:\n      lora$0_r: 4\n---\n"))
    assert adapter is not None and "`training.lora_r`" in adapter[1]
    for nothing in ["---\nbase_model: x\n---\nprose$0\n", "---\ndlm_version: 1$05\n---\n", "-$0--\n"]:
        assert hover_at(*at_cursor(nothing)) is None


def test_rename_when_the_right_key_is_free() -> None:
    text = "---\n" + ID + "training:\n  lora_rr: 8\n---\n"
    [fix] = unknown_key_fixes(parse_text(text), Span.of(3, 2, 3, 9), "lora_rr", "lora_r")
    assert fix.title == "Rename to 'lora_r'"
    assert applied(text, fix) == text.replace("lora_rr", "lora_r")


def test_no_rename_into_an_existing_key() -> None:
    text = "---\n" + ID + "base_model: smollm2-135m\nbse_model: qwen3-8b  # newer\n---\nbody\n"
    doc = parse_text(text)
    [problem] = [p for p in doc.problems if p.code is Code.SCHEMA_UNKNOWN_KEY]
    fixes = unknown_key_fixes(doc, problem.span, "bse_model", "base_model")
    assert [f.title for f in fixes] == [
        "Remove 'bse_model' ('base_model' is already set on line 3)",
        "Move this value to 'base_model' on line 3",
    ]
    removed, moved = (applied(text, f) for f in fixes)
    assert removed == text.replace("bse_model: qwen3-8b  # newer\n", "")
    assert moved == text.replace(
        "base_model: smollm2-135m\nbse_model: qwen3-8b  # newer\n", "base_model: qwen3-8b\n"
    )
    for after in (removed, moved):
        assert [
            p for p in parse_text(after).problems if p.code in (Code.SCHEMA_UNKNOWN_KEY, Code.DUPLICATE_KEY)
        ] == []


def test_a_nested_misspelled_entry_is_removed_whole_and_not_moved() -> None:
    text = (
        "---\n"
        + ID
        + "training:\n  gate:\n    enabled: true\n  gat:\n    steps: 10\n    lr: 0.1\n  seed: 3\n---\n"
    )
    doc = parse_text(text)
    [fix] = unknown_key_fixes(doc, Span.of(5, 2, 5, 5), "gat", "gate")
    assert fix.title == "Remove 'gat' ('gate' is already set on line 4)"
    assert applied(text, fix) == text.replace("  gat:\n    steps: 10\n    lr: 0.1\n", "")


def test_fixes_check_the_text_still_holds_the_key() -> None:
    text = "---\n" + ID + "training:\n  lora_rr: 8\n---\n"
    doc = parse_text(text)
    assert unknown_key_fixes(doc, Span.of(3, 2, 3, 9), "lora_xx", "lora_r") == []
    assert unknown_key_fixes(doc, Span.of(2, 0, 2, 8), "lora_rr", "lora_r") == []
    assert duplicate_key_fixes(doc, 3, "lora_rr", 1) == []
    assert base_model_fixes(doc, Span.of(3, 11, 3, 12), "x", "qwen3-8b", None) == []


def test_duplicate_key_fixes_remove_either_occurrence() -> None:
    text = (
        "---\n" + ID + "training:\n  cache:\n    enabled: true\n  seed: 1\n  cache:\n    max_bytes: 10\n---\n"
    )
    doc = parse_text(text)
    [problem] = [p for p in doc.problems if p.code is Code.DUPLICATE_KEY]
    assert problem.get("first_line") == "3"
    later, earlier = duplicate_key_fixes(doc, problem.span.start.line, "cache", 3)
    assert later.title == "Remove this 'cache' (keep the value on line 4)" and not later.preferred
    assert earlier.title == "Remove the earlier 'cache' on line 4 (keep this value)" and earlier.preferred
    assert applied(text, later) == text.replace("  cache:\n    max_bytes: 10\n", "")
    assert applied(text, earlier) == text.replace("  cache:\n    enabled: true\n", "")
    for fix in (later, earlier):
        assert [p for p in parse_text(applied(text, fix)).problems if p.code is Code.DUPLICATE_KEY] == []


def test_base_model_fixes_keep_or_replace_quotes() -> None:
    text = '---\nbase_model: "Qwen/Qwen3-8B"\n---\n'
    doc = parse_text(text)
    [problem] = [p for p in doc.problems if p.code is Code.UNKNOWN_BASE_MODEL]
    fixes = base_model_fixes(doc, problem.span, "Qwen/Qwen3-8B", problem.get("suggestion"), problem.get("hf"))
    assert [f.title for f in fixes] == ["Change to 'qwen3-8b'", "Change to 'hf:Qwen/Qwen3-8B'"]
    assert fixes[0].preferred and not fixes[1].preferred
    assert applied(text, fixes[0]) == "---\nbase_model: qwen3-8b\n---\n"
    assert applied(text, fixes[1]) == "---\nbase_model: hf:Qwen/Qwen3-8B\n---\n"
    assert not [p for p in parse_text(applied(text, fixes[1])).problems if p.code is Code.UNKNOWN_BASE_MODEL]
