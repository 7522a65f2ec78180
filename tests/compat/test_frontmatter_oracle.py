"""Frontmatter accept/reject equals upstream's, for generated and hand-picked YAML.

Values are drawn as raw YAML text, so YAML 1.1 resolution (yes/no/on/off booleans,
octal `015`, dates, `1_000`, sexagesimal `1:30`, `.inf`, `!!binary`, `!!set`) reaches
the validator exactly as it reaches upstream.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.compat.oracle import Oracle, ours

pytestmark = pytest.mark.oracle

ULID = "01HZ4X7TGZM3J1A2B3C4D5E6F7"
BODY = "Some prose.\n"

# scalars that every key sees now and then: wrong types, YAML 1.1 oddities, strings
# that the lax coercion may or may not accept
TRICKY = [
    "yes",
    "no",
    "on",
    "off",
    "y",
    "n",
    "Y",
    "true",
    "False",
    "~",
    "null",
    "''",
    "'8'",
    '"8.0"',
    "8",
    "8.0",
    "8.5",
    "0",
    "-1",
    "1",
    "015",
    "0o17",
    "0x1F",
    "0b101",
    "1_000",
    "1e3",
    "1.0e3",
    "1.5e-3",
    ".inf",
    "-.inf",
    ".nan",
    "2020-01-01",
    "2020-01-01 10:00:00",
    "'auto'",
    "auto",
    "AUTO",
    "[]",
    "{}",
    "[a, b]",
    "[1]",
    "{a: 1}",
    "!!binary aGVsbG8=",
    "'  8 '",
    "'08'",
    "'1_0'",
    "'+8'",
    "'true'",
    "'yes'",
    "'YES'",
    "'nan'",
    "'inf'",
    "1:30",
    "'8.00'",
    "'8.'",
    "'1e2'",
    "'0.5'",
    "' 0.1'",
    "'1_0.5'",
    "'t'",
    "'off'",
    "'2'",
    "9223372036854775807",
    "1.0e+19",
    "'x'",
    "!!set {a, b}",
    "2.0",
    "1.0",
    "0.0",
    "-0.0",
    "256",
    "257",
    "64",
    "63",
    "0.5",
    "0.50001",
    "1e-4",
    "'1e-4'",
    "!!str 8",
    "!!float 8",
    '"\\t8"',
    "!!binary OA==",
]

Pool = tuple[list[str], list[str]]
"""(values upstream accepts, values it may refuse) for one key."""


def _number(text: str) -> float:
    text = text.strip("'")
    words = {"true": 1.0, "false": 0.0, ".inf": math.inf, ".nan": math.nan}
    return words[text] if text in words else float(text)


def ints(lo: int | None, hi: int | None) -> Pool:
    cands = ["1", "8", "'8'", "8.0", "8.5", "true", "false", "0", "-1", "16", "'16'", "200"]
    for bound in (lo, hi):
        if bound is not None:
            cands += [str(bound), str(bound - 1), str(bound + 1), f"'{bound}'", f"{bound}.0"]
    good = [
        c
        for c in cands
        if _number(c) % 1 == 0 and (lo is None or _number(c) >= lo) and (hi is None or _number(c) <= hi)
    ]
    return good, [c for c in cands if c not in good]


def floats(lo: float | None, hi: float | None, *, strict_lo: bool = False) -> Pool:
    cands = ["0.1", "1e-4", "1.0e-4", "'1e-4'", "0", "1", "true", "false", ".inf", ".nan", "-0.0", "2e-4"]
    for bound in (lo, hi):
        if bound is not None:
            cands += [repr(bound), repr(bound + 1e-9), repr(bound - 1e-9), f"'{bound}'"]
    good = [
        c
        for c in cands
        if (lo is None or (_number(c) > lo if strict_lo else _number(c) >= lo))
        and (hi is None or _number(c) <= hi)
    ]
    return good, [c for c in cands if c not in good]


def choice(*values: str) -> Pool:
    return [*values, f"'{values[0]}'"], [values[0].upper(), f"' {values[0]}'", "1", "null"]


def plus(pool: Pool, good: Sequence[str] = (), bad: Sequence[str] = ()) -> Pool:
    return [*pool[0], *good], [*pool[1], *bad]


BOOL_V: Pool = (
    ["true", "false", "yes", "no", "on", "off", "'true'", "'no'", "1", "0", "'1'", "1.0", "'Y'"],
    ["2", "0.5", "' true'", "null"],
)
AUTO_INT: Pool = (["auto", "'auto'", "4", "'4'", "4.0", "true"], ["Auto", "0", "-2", "false", "null", "2.5"])

ADAPTER_FIELDS: dict[str, Pool] = {
    "adapter": choice("lora", "qlora", "dora"),
    "lora_r": ints(1, 256),
    "lora_alpha": ints(1, None),
    "lora_dropout": plus(floats(0.0, 0.5), ["0.05", "'0.05'"]),
    "target_modules": (
        ["auto", "'auto'", "[q_proj, v_proj]", "[]", "[auto]"],
        ["[1]", "q_proj", "null", "AUTO"],
    ),
    "learning_rate": plus(floats(0.0, None, strict_lo=True), ["0.0002", "2.0e-4"]),
}

TRAINING_FIELDS: dict[str, Pool] = {
    **ADAPTER_FIELDS,
    "sequence_len": ints(64, 32768),
    "micro_batch_size": AUTO_INT,
    "grad_accum": AUTO_INT,
    "num_epochs": ints(1, None),
    "optimizer": choice(
        "adamw_torch", "adamw_bnb_8bit", "paged_adamw_8bit", "galore_adamw", "galore_adamw_8bit"
    ),
    "lr_scheduler": choice("cosine", "linear", "constant"),
    "warmup_ratio": floats(0.0, 0.5),
    "precision": plus(choice("bf16", "fp16", "fp32"), ["null", "~"], ["'null'"]),
    "seed": (["42", "-5", "'7'", "7.0", "true", "99999999999999999999999"], ["1e3", "7.5"]),
    "sources_policy": choice("permissive", "strict"),
}

HYPER_FIELDS = {
    "beta": floats(0.0, 1.0),
    "alpha": floats(0.0, 1.0),
    "learning_rate": floats(0.0, None, strict_lo=True),
    "num_epochs": ints(1, None),
}
PREFERENCE_FIELDS = {
    "enabled": BOOL_V,
    "method": choice("dpo", "orpo"),
    "loss_type": choice("sigmoid", "hinge", "ipo"),
    "reference": plus(choice("base", "pre_adapter"), bad=["pre_dpo_adapter"]),
}
DPO_FIELDS = {
    "enabled": BOOL_V,
    "beta": floats(0.0, 1.0),
    "learning_rate": floats(0.0, None, strict_lo=True),
    "num_epochs": ints(1, None),
    "loss_type": choice("sigmoid", "hinge", "ipo"),
    "reference": (["pre_dpo_adapter", "pre_adapter", "base"], ["other"]),
    "alpha": (["5", "x"], []),  # dropped silently by the v1 migration
}
SUBMODELS: dict[str, dict[str, Pool]] = {
    "cpt": {"schedule": choice("auto", "dapt", "sft"), "embed_warmup_steps": ints(0, None)},
    "gate": {
        "enabled": (["false", "no", "0"], ["true", "yes"]),  # enabled needs >= 2 adapters
        "hidden_proj_dim": ints(8, 2048),
        "steps": ints(1, 10000),
        "lr": floats(0.0, 1.0, strict_lo=True),
        "cold_start_floor": ints(1, 1024),
        "entropy_lambda": floats(0.0, 1.0),
    },
    "cache": {"enabled": BOOL_V, "max_bytes": ints(1, None), "prune_older_than_days": ints(1, None)},
    "audio": {"auto_resample": BOOL_V},
}
SOURCE_FIELDS = {
    "path": (["src", "'x'", "' '"], ["''", "1", "null", "[a]"]),
    "include": (["['**/*.py']", "[]", "!!set {a}"], ["'*.py'", "[1]", "null"]),
    "exclude": (["[tests]", "[]"], ["x"]),
    "max_bytes_per_file": plus(ints(1, None), ["null"]),
    "max_files": plus(ints(1, None), ["null"]),
}
EXPORT_FIELDS = {
    "default_quant": choice("Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0"),
    "default_temperature": plus(floats(0.0, 2.0, strict_lo=True), ["null"]),
    "default_top_p": plus(floats(0.0, 1.0, strict_lo=True), ["null"]),
}
ADAPTER_NAMES: Pool = (
    ["knowledge", "tone", "a", "a_1", "a" * 32],
    ["Bad", "1x", "'x y'", "a" * 33, "'1'", "1", "null"],
)
EXTRA_KEYS = ["foo", "lora_rank", "dpo", "Adapter", "1", "true"]
VERSIONS: Pool = (
    ["", "1", "2", "14", "15", "015", "0x0F", "1_5"],
    ["16", "0", "-1", "'15'", "true", "1.0", "null", "15.0"],
)


@st.composite
def scalar(draw: st.DrawFn, pool: Pool, clean: bool) -> str:
    if clean or draw(st.booleans()):
        return draw(st.sampled_from(pool[0]))
    if draw(st.integers(0, 5)) == 0:
        return draw(st.sampled_from(TRICKY))
    return draw(st.sampled_from(pool[0] + pool[1]))


@st.composite
def flat_fields(draw: st.DrawFn, fields: dict[str, Pool], clean: bool, max_size: int = 4) -> dict[str, Any]:
    keys = draw(st.lists(st.sampled_from(sorted(fields)), max_size=max_size, unique=True))
    out: dict[str, Any] = {key: draw(scalar(fields[key], clean)) for key in keys}
    if not clean and draw(st.integers(0, 14)) == 0:
        out[draw(st.sampled_from(EXTRA_KEYS))] = draw(st.sampled_from(TRICKY))
    return out


@st.composite
def nested(draw: st.DrawFn, fields: dict[str, Pool], clean: bool) -> Any:
    """A submodel: usually a mapping, sometimes a wrong-typed scalar."""
    if not clean and draw(st.integers(0, 12)) == 0:
        return draw(st.sampled_from(["null", "[]", "x", "1", "{}", "true"]))
    return draw(flat_fields(fields, clean))


@st.composite
def training(draw: st.DrawFn, clean: bool) -> Any:
    if not clean and draw(st.integers(0, 25)) == 0:
        return draw(st.sampled_from(["null", "[]", "x", "{}"]))
    out: dict[str, Any] = draw(flat_fields(TRAINING_FIELDS, clean, max_size=5))
    for name, fields in SUBMODELS.items():
        if draw(st.integers(0, 5)) == 0:
            out[name] = draw(nested(fields, clean))
    if draw(st.integers(0, 4)) == 0:
        if draw(st.booleans()):
            pref = draw(nested(PREFERENCE_FIELDS, clean))
            if isinstance(pref, dict) and draw(st.booleans()):
                pref["hyperparams"] = draw(nested(HYPER_FIELDS, clean))
            out["preference"] = pref
        else:
            out["dpo"] = draw(nested(DPO_FIELDS, clean))
    if draw(st.integers(0, 3)) == 0:
        if not clean and draw(st.integers(0, 9)) == 0:
            out["adapters"] = draw(st.sampled_from(["null", "{}", "[]", "x"]))
        else:
            names = draw(st.lists(scalar(ADAPTER_NAMES, clean), min_size=1, max_size=3, unique=True))
            out["adapters"] = {name: draw(nested(ADAPTER_FIELDS, clean)) for name in names}
            if clean:  # flat keys must stay at their defaults next to named adapters
                for key in ADAPTER_FIELDS:
                    out.pop(key, None)
    if draw(st.integers(0, 5)) == 0:
        if not clean and draw(st.integers(0, 6)) == 0:
            out["sources"] = draw(st.sampled_from(["null", "[]", "x", "{path: a}", "[null]", "[x]"]))
        else:
            entries = draw(st.lists(nested(SOURCE_FIELDS, clean), max_size=3))
            for entry in entries:
                if clean and isinstance(entry, dict):
                    entry.setdefault("path", "src")
            out["sources"] = entries
    return out


@st.composite
def frontmatter(draw: st.DrawFn) -> dict[str, Any]:
    """About half the documents draw only accepted values, so both verdicts are common."""
    clean = draw(st.booleans())
    fm: dict[str, Any] = {}
    which = 3 if clean else draw(st.integers(0, 19))
    if which != 0:
        fm["dlm_id"] = (
            ULID
            if which > 2
            else draw(
                st.sampled_from(["01hz4x7tgzm3j1a2b3c4d5e6f7", "'x'", "1", "null", f"{ULID}0", f"'{ULID}'"])
            )
        )
    version = draw(scalar(VERSIONS, clean))
    if version:
        fm["dlm_version"] = version
    which = 3 if clean else draw(st.integers(0, 19))
    if which != 0:
        fm["base_model"] = "qwen2.5-1.5b" if which > 2 else draw(st.sampled_from(["''", "1", "null", "' '"]))
    if draw(st.integers(0, 2)) > 0:
        fm["training"] = draw(training(clean))
    if draw(st.integers(0, 5)) == 0:
        fm["export"] = draw(nested(EXPORT_FIELDS, clean))
    if draw(st.integers(0, 8)) == 0:
        fm["system_prompt"] = draw(st.sampled_from(["hello", "''", "null", "1", "[a]", "'yes'"]))
    if not clean and draw(st.integers(0, 15)) == 0:
        fm[draw(st.sampled_from(EXTRA_KEYS))] = "1"
    return fm


def render(mapping: dict[str, Any], indent: int = 0) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    for key, value in mapping.items():
        if isinstance(value, dict):
            if value:
                lines.append(f"{pad}{key}:")
                lines.extend(render(value, indent + 2))
            else:
                lines.append(f"{pad}{key}: {{}}")
        elif isinstance(value, list):
            if not value:
                lines.append(f"{pad}{key}: []")
            else:
                lines.append(f"{pad}{key}:")
                for item in value:
                    if isinstance(item, dict) and item:
                        first, *rest = render(item, indent + 4)
                        lines.append(f"{pad}  - {first.lstrip()}")
                        lines.extend(rest)
                    else:
                        lines.append(f"{pad}  - {item if not isinstance(item, dict) else '{}'}")
        else:
            lines.append(f"{pad}{key}: {value}")
    return lines


def document(fm: dict[str, Any]) -> str:
    return "---\n" + "\n".join(render(fm)) + "\n---\n" + BODY


@settings(
    max_examples=3500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(frontmatter())
def test_generated_frontmatter_matches_upstream(oracle: Oracle, fm: dict[str, Any]) -> None:
    text = document(fm)
    expected = oracle.parse(text)
    assert ours(text)["error"] == expected["error"], (text, expected.get("message"))


HEAD = f"dlm_id: {ULID}\nbase_model: qwen2.5-1.5b\n"

TRICKY_CASES = [
    "",
    "training:\n  lora_r: '8'",
    "training:\n  lora_r: 8.0",
    "training:\n  lora_r: true",
    "training:\n  lora_r: false",
    "training:\n  lora_r: '08'",
    "training:\n  lora_r: 015",
    "training:\n  lora_r: '1_0'",
    "training:\n  lora_r: ' 8 '",
    "training:\n  lora_r: '8.00'",
    "training:\n  lora_r: '8.'",
    "training:\n  lora_r: 1e3",
    "training:\n  lora_r: '0_8'",
    "training:\n  lora_r: '+_8'",
    "training:\n  lora_r: '8_'",
    "training:\n  seed: '0-5'",
    "training:\n  seed: '0-05'",
    'training:\n  seed: "\\u00a08"',
    'training:\n  seed: "8\\x1c"',
    "training:\n  learning_rate: 1e3",
    "training:\n  learning_rate: 1e-4",
    "training:\n  learning_rate: '1_0.5'",
    "training:\n  learning_rate: .nan",
    "training:\n  learning_rate: .inf",
    "training:\n  lora_dropout: .nan",
    "training:\n  seed: 1.0e+19",
    "training:\n  seed: 9.0e+18",
    "training:\n  seed: 1:30",
    "training:\n  seed: 2020-01-01",
    "training:\n  micro_batch_size: true",
    "training:\n  micro_batch_size: '4'",
    "training:\n  micro_batch_size: 0",
    "training:\n  micro_batch_size: AUTO",
    "training:\n  target_modules: !!set {q, v}",
    "training:\n  target_modules: [!!binary cQ==]",
    "training:\n  target_modules: q_proj",
    "training:\n  gate:\n    enabled: 'yes'",
    "training:\n  gate:\n    enabled: 'Y'",
    "training:\n  gate:\n    enabled: ' true'",
    "training:\n  gate:\n    enabled: 1.0",
    "training:\n  gate:\n    enabled: 2",
    "training:\n  gate: {enabled: true}\n  adapters: {a: {}, b: {}}",
    "training:\n  gate: {enabled: true}\n  adapters: {a: {}}",
    "training:\n  adapters: {}",
    "training:\n  adapters: null",
    "training:\n  adapters: {a: {}}\n  lora_r: '8'",
    "training:\n  adapters: {a: {}}\n  lora_r: 9",
    "training:\n  adapters: {a: {}}\n  lora_dropout: '0.05'",
    "training:\n  adapters: {a: {}}\n  target_modules: [auto]",
    "training:\n  adapters: {a: null}",
    "training:\n  adapters: {1: {}}",
    "training:\n  adapters: {!!binary YQ==: {}}",
    "training:\n  sources: [{path: a}]",
    "training:\n  sources: [{path: ''}]",
    "training:\n  sources: []",
    "training:\n  sources: !!set {}",
    "training:\n  precision: null",
    "training:\n  dpo: null",
    "training:\n  dpo: {beta: 0.5, reference: pre_dpo_adapter, alpha: x}",
    "training:\n  dpo: {reference: pre_adapter}",
    "training:\n  dpo: 5",
    "training:\n  dpo: {}\n  preference: {method: x}",
    "dlm_version: 1\ntraining:\n  dpo: {beta: 2}",
    "dlm_version: 2\ntraining:\n  dpo: {}",
    "dlm_version: 15\ntraining:\n  dpo: null",
    "dlm_version: 16",
    "dlm_version: 0",
    "dlm_version: -3",
    "dlm_version: '15'",
    "dlm_version: true",
    "dlm_version: 15.0",
    "dlm_version: 017",
    "dlm_version: 0xF",
    "dlm_version: null",
    "system_prompt: null",
    "system_prompt: 5",
    "system_prompt: !!binary aGk=",
    "export: {default_temperature: 2, default_top_p: 1}",
    "export: {default_temperature: 0}",
    "export: {default_quant: q4_k_m}",
    "export: null",
    "training: null",
    "training: {}",
    "1: x",
    "? [a]\n: x",
    # nesting around our depth limit (frontmatter.MAX_DEPTH = 100) and far beyond it
    # (600 levels: upstream's PyYAML raises RecursionError): rejected either way
    *(f"system_prompt: {'[' * depth}x{']' * depth}" for depth in (99, 101, 600)),
    *(f"training:\n  sources: {'[' * depth}{']' * depth}" for depth in (99, 101)),
    "training:\n  adapters:\n" + "".join("  " * (level + 2) + f"a{level}:\n" for level in range(150)),
]


@pytest.mark.parametrize("extra", TRICKY_CASES)
def test_tricky_frontmatter_matches_upstream(oracle: Oracle, extra: str) -> None:
    text = "---\n" + HEAD + extra + "\n---\n" + BODY
    expected = oracle.parse(text)
    assert ours(text)["error"] == expected["error"], (text, expected.get("message"))


@pytest.mark.parametrize(
    "yaml_text",
    ["base_model: x", f"dlm_id: {ULID}", "dlm_id: x\nbase_model: ''", f"dlm_id: {ULID}\nbase_model: [x]"],
)
def test_required_keys_match_upstream(oracle: Oracle, yaml_text: str) -> None:
    text = "---\n" + yaml_text + "\n---\n" + BODY
    assert ours(text)["error"] == oracle.parse(text)["error"]
