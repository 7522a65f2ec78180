"""Frontmatter problems upstream never reports: duplicate keys (DLM050) and base
models the registry does not know (DLM051); plus the key vocabulary they rely on."""

from __future__ import annotations

from dlm_synth_lsp.document import parse_text
from dlm_synth_lsp.document.base_models import check, registry
from dlm_synth_lsp.document.keys import DESCRIPTIONS, doc_path, keys_at
from dlm_synth_lsp.document.problems import Code, Problem, Severity
from dlm_synth_lsp.document.schema import FRONTMATTER
from dlm_synth_lsp.document.specs import Model, ModelList, ModelMap, Nullable, Spec

ID = "dlm_id: 01KPQ9X1000000000000000003\n"


def problems(frontmatter: str, code: Code) -> list[Problem]:
    return [p for p in parse_text(f"---\n{frontmatter}---\nbody\n").problems if p.code is code]


def where(problem: Problem) -> tuple[int, int, int, int]:
    s = problem.span
    return (s.start.line, s.start.column, s.end.line, s.end.column)


def test_a_repeated_key_is_reported_at_each_later_occurrence() -> None:
    text = ID + "base_model: smollm2-135m\ntraining:\n  lora_r: 8\n  seed: 1\n  lora_r: 16\n  lora_r: 4\n"
    found = problems(text, Code.DUPLICATE_KEY)
    assert [where(p) for p in found] == [(6, 2, 6, 8), (7, 2, 7, 8)]
    assert all(p.get("first_line") == "4" and p.get("key") == "lora_r" for p in found)
    assert "training.lora_r" in found[0].message and "line 5" in found[0].message
    assert found[0].severity is Severity.WARNING


def test_repeated_keys_in_lists_and_top_level_and_none_elsewhere() -> None:
    text = (
        ID
        + "base_model: smollm2-135m\ntraining:\n  sources:\n    - path: a\n      path: b\n"
        + "base_model: qwen3-8b\n"
    )
    found = problems(text, Code.DUPLICATE_KEY)
    assert [(p.get("key"), where(p)[0]) for p in found] == [("path", 6), ("base_model", 7)]
    assert "training.sources[0].path" in found[0].message
    # the same key in different mappings is fine
    assert (
        problems(
            ID + "base_model: x\ntraining:\n  adapters:\n    a: {lora_r: 4}\n    b: {lora_r: 4}\n",
            Code.DUPLICATE_KEY,
        )
        == []
    )


def test_aliases_do_not_loop() -> None:
    assert problems(ID + "base_model: smollm2-135m\nx: &a [*a]\n", Code.DUPLICATE_KEY) == []


def test_unknown_base_model_warns_at_the_value_with_fixes_in_data() -> None:
    [found] = problems(ID + "base_model: Qwen2.5-1.5B  # the small one\n", Code.UNKNOWN_BASE_MODEL)
    assert where(found) == (2, 12, 2, 24)
    assert found.severity is Severity.WARNING
    assert found.get("suggestion") == "qwen2.5-1.5b" and found.get("hf") is None
    assert "did you mean 'qwen2.5-1.5b'" in found.message
    [by_id] = problems(ID + 'base_model: "Qwen/Qwen2.5-1.5B-Instruct"\n', Code.UNKNOWN_BASE_MODEL)
    assert by_id.get("suggestion") == "qwen2.5-1.5b"
    assert by_id.get("hf") == "hf:Qwen/Qwen2.5-1.5B-Instruct"
    assert where(by_id) == (2, 12, 2, 40)  # the quotes are part of the value


def test_registry_keys_and_hf_values_are_known() -> None:
    for value in ["smollm2-135m", "hf:Qwen/Qwen2.5-0.5B", "hf:whatever", *[m.key for m in registry().models]]:
        assert problems(ID + f"base_model: {value}\n", Code.UNKNOWN_BASE_MODEL) == [], value
    # not a string, or missing: the schema's problem, not this one
    assert problems(ID + "base_model: [x]\n", Code.UNKNOWN_BASE_MODEL) == []
    assert problems(ID, Code.UNKNOWN_BASE_MODEL) == []


def test_verdicts() -> None:
    assert check("qwen3-1.7b") is None
    verdict = check("gpt2")
    assert verdict is not None and verdict.suggestion is None and verdict.hf is None
    assert "hf:<org>/<name>" in verdict.message
    near = check("smollm2-135")
    assert near is not None and near.suggestion == "smollm2-135m"


def test_every_schema_key_has_a_description() -> None:
    missing: list[str] = []

    def walk(spec: Spec, path: tuple[str | int, ...]) -> None:
        inner = spec.inner if isinstance(spec, Nullable) else spec
        if isinstance(inner, ModelMap):
            walk(inner.inner, (*path, "name"))
        elif isinstance(inner, ModelList):
            walk(inner.inner, (*path, 0))
        elif isinstance(inner, Model):
            for name, field in inner.fields.items():
                if not DESCRIPTIONS.get(doc_path((*path, name))):
                    missing.append(doc_path((*path, name)))
                walk(field, (*path, name))

    walk(FRONTMATTER, ())
    assert missing == []
    assert set(DESCRIPTIONS) == {doc_path(p) for p in _all_paths()}


def _all_paths() -> list[tuple[str | int, ...]]:
    found: list[tuple[str | int, ...]] = []
    pending: list[tuple[str | int, ...]] = [()]
    while pending:
        path = pending.pop()
        keys = keys_at(path)
        if keys is None:
            continue
        for name, info in keys.items():
            found.append((*path, name))
            if info.shape == "mapping":
                pending.append((*path, name))
            elif info.shape == "named":
                pending.append((*path, name, "facts"))
            elif name == "sources":
                pending.append((*path, name, 0))
    return [p for p in found if not (len(p) > 3 and p[:2] == ("training", "adapters"))]


def test_local_model_resolution_knows_the_same_registry() -> None:
    """synth/local/resolve.py keeps its own copy of the keys and ids (to find weights a
    `dlm train` downloaded); until it reads the registry data, it must agree with it."""
    from dlm_synth_lsp.synth.local.resolve import REGISTRY_HF_IDS, REMOTE_CODE_KEYS

    models = registry().models
    assert {m.key: m.hf_id for m in models} == REGISTRY_HF_IDS
    assert {m.key for m in models if m.trust_remote_code} == REMOTE_CODE_KEYS
