"""Frontmatter schema problems: codes, messages and exact ranges."""

from __future__ import annotations

import math

import pytest
from dlm_synth_lsp.document.coercion import Invalid, coerce_bool, coerce_float, coerce_int
from dlm_synth_lsp.document.problems import Code, Problem
from dlm_synth_lsp.document.schema import read_frontmatter
from dlm_synth_lsp.document.specs import suggest

ULID = "01HZ4X7TGZM3J1A2B3C4D5E6F7"
HEAD = f"dlm_id: {ULID}\nbase_model: qwen2.5-1.5b\n"


def problems(yaml_text: str) -> list[Problem]:
    lines = ["---", *yaml_text.rstrip("\n").split("\n"), "---", "", "body"]
    return list(read_frontmatter(lines).problems)


def where(problem: Problem) -> tuple[int, int, int, int]:
    s = problem.span
    return (s.start.line, s.start.column, s.end.line, s.end.column)


def only(yaml_text: str) -> Problem:
    found = problems(yaml_text)
    assert len(found) == 1, found
    return found[0]


def test_valid_frontmatter_has_no_problems() -> None:
    assert problems(HEAD) == []
    assert problems(HEAD + "dlm_version: 15\ntraining:\n  lora_r: 16\n  adapter: qlora\n") == []


def test_missing_top_level_key_points_at_the_opening_delimiter() -> None:
    found = problems("base_model: qwen2.5-1.5b\n")
    assert [p.code for p in found] == [Code.SCHEMA_MISSING_KEY]
    assert where(found[0]) == (0, 0, 0, 3)
    assert "missing required key 'dlm_id'" in found[0].message
    assert found[0].get("key") == "dlm_id"


def test_empty_frontmatter_reports_both_required_keys() -> None:
    lines = ["---", "---", "body"]
    found = read_frontmatter(lines).problems
    assert sorted(p.get("key") or "" for p in found) == ["base_model", "dlm_id"]
    assert all(where(p) == (0, 0, 0, 3) for p in found)


def test_unknown_key_points_at_the_key_and_suggests_the_closest() -> None:
    p = only(HEAD + "training:\n  lora_rank: 8\n")
    assert p.code is Code.SCHEMA_UNKNOWN_KEY
    assert where(p) == (4, 2, 4, 11)
    assert p.message == "training.lora_rank: unknown key; did you mean 'lora_r'?"
    assert p.get("suggestion") == "lora_r"


def test_unknown_key_without_a_close_match_lists_allowed_keys() -> None:
    p = only(HEAD + "export:\n  zzzzzz: 1\n")
    assert p.code is Code.SCHEMA_UNKNOWN_KEY
    assert "allowed keys: default_quant, default_temperature, default_top_p" in p.message


def test_out_of_range_value_points_at_the_value() -> None:
    p = only(HEAD + "training:\n  lora_r: 300\n")
    assert p.code is Code.SCHEMA_INVALID_VALUE
    assert where(p) == (4, 10, 4, 13)
    assert p.message == "training.lora_r: expected an integer >= 1 and <= 256, got 300"


def test_enum_message_lists_allowed_values() -> None:
    p = only(HEAD + "training:\n  optimizer: sgd\n")
    assert where(p) == (4, 13, 4, 16)
    assert "adamw_torch, adamw_bnb_8bit, paged_adamw_8bit, galore_adamw, galore_adamw_8bit" in p.message
    assert "got the string 'sgd'" in p.message
    assert p.get("allowed") == "adamw_torch,adamw_bnb_8bit,paged_adamw_8bit,galore_adamw,galore_adamw_8bit"


def test_all_problems_are_reported_not_just_the_first() -> None:
    found = problems(
        HEAD + "training:\n  lora_r: 0\n  foo: 1\n  precision: fp8\nexport:\n  default_top_p: 0\n"
    )
    assert [(p.code, where(p)[0]) for p in found] == [
        (Code.SCHEMA_INVALID_VALUE, 4),
        (Code.SCHEMA_UNKNOWN_KEY, 5),
        (Code.SCHEMA_INVALID_VALUE, 6),
        (Code.SCHEMA_INVALID_VALUE, 8),
    ]
    assert "or null" in found[2].message and "or null" in found[3].message


def test_nested_model_of_the_wrong_type() -> None:
    p = only(HEAD + "training:\n  gate: 5\n")
    assert where(p) == (4, 8, 4, 9)
    assert p.message == "training.gate: expected a mapping of gate settings, got 5"


def test_lax_coercions_that_upstream_accepts() -> None:
    accepted = [
        "lora_r: '8'",
        "lora_r: 8.0",
        "lora_r: true",
        "lora_r: '08'",
        "lora_r: ' 8 '",
        "lora_r: '1_6'",
        "lora_r: '8.00'",
        "micro_batch_size: '4'",
        "micro_batch_size: true",
        "learning_rate: '1e-4'",
        "learning_rate: 1e-4",
        "target_modules: !!set {q_proj}",
    ]
    for line in accepted:
        assert problems(HEAD + "training:\n  " + line + "\n") == [], line
    assert problems(HEAD + "training:\n  gate:\n    enabled: 'off'\n") == []


def test_values_upstream_refuses() -> None:
    refused = [
        "lora_r: 8.5",
        "lora_r: false",
        "lora_r: '8.'",
        "lora_r: 1e3",  # a string in YAML 1.1, and not an integer string
        "learning_rate: .nan",
        "micro_batch_size: 0",
        "micro_batch_size: Auto",
        "adapter: LORA",
        "target_modules: q_proj",
        "precision: 'null'",
        "seed: 2020-01-01",
    ]
    for line in refused:
        found = problems(HEAD + "training:\n  " + line + "\n")
        assert [p.code for p in found] == [Code.SCHEMA_INVALID_VALUE], line


def test_list_item_of_the_wrong_type_points_at_the_item() -> None:
    p = only(HEAD + "training:\n  target_modules: [q_proj, 3]\n")
    assert where(p) == (4, 27, 4, 28)
    assert p.message == "training.target_modules[1]: expected a string, got 3"


def test_source_entry_missing_path_points_at_the_entry() -> None:
    found = problems(HEAD + "training:\n  sources:\n    - include: ['*.md']\n    - path: ''\n")
    assert [p.code for p in found] == [Code.SCHEMA_MISSING_KEY, Code.SCHEMA_INVALID_VALUE]
    assert where(found[0]) == (5, 6, 5, 13)
    assert found[0].message == "training.sources[0]: missing required key 'path' (a non-empty string)"
    assert where(found[1]) == (6, 12, 6, 14)


def test_adapters_rules() -> None:
    p = only(HEAD + "training:\n  adapters: {}\n")
    assert p.code is Code.SCHEMA_INVALID_VALUE and where(p) == (4, 12, 4, 14)
    p = only(HEAD + "training:\n  adapters:\n    Tone: {}\n")
    assert where(p) == (5, 4, 5, 8)
    assert "not a valid adapter name" in p.message
    assert problems(HEAD + "training:\n  adapters:\n    tone: {lora_r: 4}\n    facts: {}\n") == []


def test_flat_adapter_keys_must_stay_at_defaults_next_to_named_adapters() -> None:
    found = problems(HEAD + "training:\n  lora_r: 16\n  lora_alpha: '16'\n  adapters:\n    tone: {}\n")
    assert len(found) == 1
    p = found[0]
    assert p.code is Code.SCHEMA_CROSS_FIELD
    assert where(p) == (4, 2, 4, 8)
    assert "training.lora_r: must stay at its default (8)" in p.message


def test_gate_needs_two_adapters() -> None:
    p = only(HEAD + "training:\n  gate:\n    enabled: yes\n  adapters:\n    tone: {}\n")
    assert p.code is Code.SCHEMA_CROSS_FIELD
    assert where(p) == (5, 13, 5, 16)
    assert "at least two (found 1)" in p.message


def test_cross_field_rules_still_reported_beside_other_problems() -> None:
    found = problems(HEAD + "training:\n  lora_r: 300\n  gate: {enabled: true}\n")
    assert [p.code for p in found] == [Code.SCHEMA_INVALID_VALUE, Code.SCHEMA_CROSS_FIELD]


def test_v1_dpo_block_is_migrated_and_located_in_the_source() -> None:
    assert problems(HEAD + "training:\n  dpo:\n    beta: 0.2\n    reference: pre_dpo_adapter\n") == []
    p = only(HEAD + "training:\n  dpo:\n    beta: 2\n")
    assert p.code is Code.SCHEMA_INVALID_VALUE
    assert where(p) == (5, 10, 5, 11)
    assert p.message.startswith("training.dpo.beta: expected a number >= 0 and <= 1")


def test_dpo_after_version_2_is_an_unknown_key_with_a_hint() -> None:
    p = only(HEAD + "dlm_version: 2\ntraining:\n  dpo: {}\n")
    assert p.code is Code.SCHEMA_UNKNOWN_KEY
    assert where(p) == (5, 2, 5, 5)
    assert "training.preference" in p.message
    assert p.get("suggestion") == "preference"


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("'15'", "got the string '15'"),
        ("true", "got true"),
        ("null", "got null"),
        ("16", "newer than this tool supports"),
        ("0", "expected an integer from 1 to 15, got 0"),
    ],
)
def test_version_problems(value: str, fragment: str) -> None:
    p = only(HEAD + f"dlm_version: {value}\ntraining: {{lora_r: 999}}\n")
    assert p.code is Code.VERSION
    assert where(p) == (3, 13, 3, 13 + len(value))
    assert fragment in p.message


def test_yaml_11_version_spellings_are_integers() -> None:
    assert problems(HEAD + "dlm_version: 017\n") == []  # octal 15
    assert problems(HEAD + "dlm_version: 0xF\n") == []


def test_non_string_key_is_unknown() -> None:
    p = only(HEAD + "1: x\n")
    assert p.code is Code.SCHEMA_UNKNOWN_KEY
    assert where(p) == (3, 0, 3, 1)
    assert "keys must be strings" in p.message


def test_suggest() -> None:
    assert suggest("lora_rank", ["lora_r", "lora_alpha", "adapter"]) == "lora_r"
    assert suggest("zzzz", ["lora_r"]) is None


@pytest.mark.parametrize(
    ("text", "number"),
    [("8", 8), (" 8\n", 8), ("+8", 8), ("08", 8), ("1_000", 1000), ("8.000", 8), ("0-1", -1), ("-0_1", -1)],
)
def test_coerce_int_accepts(text: str, number: int) -> None:
    assert coerce_int(text) == number


@pytest.mark.parametrize("value", ["8.", "1e2", "0x10", "_1", "1__0", "８", "", 8.5, math.inf, 1e19, None])
def test_coerce_int_refuses(value: object) -> None:
    with pytest.raises(Invalid):
        coerce_int(value)


def test_coerce_float_and_bool() -> None:
    assert coerce_float("1_0.5") == 10.5
    assert coerce_float("Infinity") == math.inf
    assert coerce_float(True) == 1.0
    with pytest.raises(Invalid):
        coerce_float("0x1")
    with pytest.raises(Invalid):
        coerce_float(10**400)
    assert coerce_bool("YES") is True and coerce_bool(0.0) is False and coerce_bool(b"off") is False
    for bad in (" true", 2, 0.5, None, ""):
        with pytest.raises(Invalid):
            coerce_bool(bad)
