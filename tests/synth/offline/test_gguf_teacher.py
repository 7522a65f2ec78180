"""The offline teacher on a real GGUF model (SmolLM2-135M through llama.cpp)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from dlm_synth_lsp.synth.backends import build_teacher
from dlm_synth_lsp.synth.cancel import CancelToken
from dlm_synth_lsp.synth.errors import SynthCancelled, TeacherInvocationError, TeacherUnavailableError
from dlm_synth_lsp.synth.local import llamacpp
from dlm_synth_lsp.synth.local.gguf_teacher import GgufTeacher
from dlm_synth_lsp.synth.prompts import build_prompt
from dlm_synth_lsp.synth.teachers.base import Prompt, SamplingParams, TeacherOptions

PASSAGE = "DGEMM multiplies two double-precision matrices. It is part of BLAS level 3."
TIGHT_SCHEMA: dict[str, Any] = {
    "type": "array",
    "minItems": 1,
    "maxItems": 2,
    "items": {
        "type": "object",
        "properties": {
            "question": {"type": "string", "maxLength": 40},
            "answer": {"type": "string", "maxLength": 40},
        },
        "required": ["question", "answer"],
        "additionalProperties": False,
    },
}


class CancelAfter(CancelToken):
    """Cancels itself on the n-th check: a deterministic cancel mid-generation."""

    def __init__(self, checks: int) -> None:
        super().__init__()
        self.left = checks

    @property
    def cancelled(self) -> bool:
        self.left -= 1
        if self.left == 0:
            self.cancel("test")
        return super().cancelled


def _loaded(path: Path) -> llamacpp.LoadedGguf:
    return llamacpp.load_gguf(path, threads=1)


def test_selector_names_and_cache_identity(smol_path: Path) -> None:
    teacher = build_teacher("local:smollm2-135m", TeacherOptions())
    assert isinstance(teacher, GgufTeacher)
    assert teacher.name == "local:smollm2-135m"
    assert teacher.model.startswith("smollm2-135m@b179c952")
    default = build_teacher("local", TeacherOptions())
    assert default.name == "local:qwen2.5-coder-1.5b"
    by_path = build_teacher(f"local:{smol_path}", TeacherOptions())
    assert by_path.name == f"local:{smol_path}"
    assert by_path.model.startswith(str(smol_path.resolve()) + "@")


def test_schema_constrained_output_always_parses(smol_path: Path, fresh_engine: None) -> None:
    """A 135M model left alone writes prose or copies the passage; constrained, its
    reply is valid JSON of the schema's shape every time (three sampled runs too)."""
    loaded = _loaded(smol_path)
    prompt = Prompt("Write question/answer pairs as JSON.", f"Passage: {PASSAGE}", TIGHT_SCHEMA)
    runs = [SamplingParams(max_new_tokens=300)] + [
        SamplingParams(max_new_tokens=300, temperature=0.9, seed=seed) for seed in (1, 2, 3)
    ]
    for params in runs:
        completion = llamacpp.generate(
            loaded, prompt, params, CancelToken(), timeout_s=120, schema=TIGHT_SCHEMA, name="t"
        )
        items = json.loads(completion.text)
        assert 1 <= len(items) <= 2
        for item in items:
            assert set(item) == {"question", "answer"}
            assert len(item["question"]) <= 40 and len(item["answer"]) <= 40
        assert completion.usage.output_tokens > 0 and completion.usage.input_tokens > 10


def test_cancel_stops_between_tokens(smol_path: Path, fresh_engine: None) -> None:
    loaded = _loaded(smol_path)
    prompt = build_prompt("extraction", 3, PASSAGE)
    cancel = CancelAfter(5)
    with pytest.raises(SynthCancelled):
        llamacpp.generate(
            loaded, prompt, SamplingParams(max_new_tokens=400), cancel, timeout_s=120, schema=None, name="t"
        )
    # the model is free again at once: the next call is not blocked by the cancelled one
    done = llamacpp.generate(
        loaded, prompt, SamplingParams(max_new_tokens=8), CancelToken(), timeout_s=120, schema=None, name="t"
    )
    assert done.usage.output_tokens <= 8


def test_timeout_bounds_the_generation(smol_path: Path, fresh_engine: None) -> None:
    loaded = _loaded(smol_path)
    with pytest.raises(TeacherInvocationError, match="timed out after 0 s"):
        llamacpp.generate(
            loaded,
            build_prompt("extraction", 3, PASSAGE),
            SamplingParams(max_new_tokens=400),
            CancelToken(),
            timeout_s=0,
            schema=None,
            name="t",
        )


def test_a_prompt_beyond_the_context_is_a_clear_call_failure(smol_path: Path, fresh_engine: None) -> None:
    loaded = _loaded(smol_path)
    huge = " ".join(["matrix"] * 6000)
    with pytest.raises(TeacherInvocationError, match="does not fit the model's context"):
        llamacpp.generate(
            loaded,
            build_prompt("extraction", 3, huge),
            SamplingParams(),
            CancelToken(),
            timeout_s=120,
            schema=None,
            name="t",
        )


async def test_the_model_is_loaded_once_per_process(
    smol_path: Path, fresh_engine: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    llama_cpp = llamacpp.import_llama_cpp()
    real = llama_cpp.Llama
    built: list[str] = []

    def counting(*args: Any, **kwargs: Any) -> Any:
        built.append(kwargs["model_path"])
        return real(*args, **kwargs)

    monkeypatch.setattr(llama_cpp, "Llama", counting)
    notices: list[str] = []
    options = TeacherOptions(threads=1, notice=notices.append)
    first, second = GgufTeacher("smollm2-135m", options), GgufTeacher("smollm2-135m", options)
    await asyncio.gather(first.prepare(CancelToken()), second.prepare(CancelToken()))
    third = GgufTeacher("smollm2-135m", options)
    await third.prepare(CancelToken())
    assert built == [str(smol_path)]
    assert first._loaded is second._loaded is third._loaded
    prompt = build_prompt("extraction", 1, PASSAGE)
    reply = await third.complete(prompt, SamplingParams(max_new_tokens=16), CancelToken())
    assert reply.text


async def test_cancel_through_the_teacher_frees_the_job_quickly(smol_path: Path, fresh_engine: None) -> None:
    teacher = GgufTeacher("smollm2-135m", TeacherOptions(threads=1))
    await teacher.prepare(CancelToken())
    cancel = CancelToken()
    task = asyncio.ensure_future(
        teacher.complete(build_prompt("expansion", 3, PASSAGE), SamplingParams(max_new_tokens=2000), cancel)
    )
    await asyncio.sleep(0)  # let it reach the worker thread
    loop = asyncio.get_running_loop()
    started = loop.time()
    cancel.cancel()
    with pytest.raises(SynthCancelled):
        await task
    assert loop.time() - started < 5
    prompt = build_prompt("extraction", 1, PASSAGE)
    again = await teacher.complete(prompt, SamplingParams(max_new_tokens=8), CancelToken())
    assert again.usage.output_tokens <= 8


@pytest.mark.parametrize("target", ["notes.txt", "/no/such/model.gguf"])
async def test_bad_targets_are_unavailable_with_a_reason(target: str) -> None:
    teacher = GgufTeacher(target, TeacherOptions())
    with pytest.raises(TeacherUnavailableError, match=r"local:"):
        await teacher.prepare(CancelToken())


def test_the_support_check_reads_a_verdict_from_the_loaded_model(smol_path: Path) -> None:
    """The `grounded` filter's model check on the teacher's own loaded model: a finite
    yes−no margin that depends on the pair, and a cancel that stops it."""
    from dlm_synth_lsp.synth.local.check import GgufSupportCheck

    check = GgufSupportCheck(_loaded(smol_path), "local:smollm2-135m")

    async def margins() -> list[float]:
        right = await check.margin(PASSAGE, "What does DGEMM multiply?", "Two double-precision matrices.",
                                   "expansion", CancelToken())  # fmt: skip
        wrong = await check.margin(PASSAGE, "What does DGEMM multiply?", "Bananas, in Paris, in 1987.",
                                   "expansion", CancelToken())  # fmt: skip
        return [right, wrong]

    right, wrong = asyncio.run(margins())
    assert all(abs(m) < 100 for m in (right, wrong)) and right != wrong
    cancelled = CancelToken()
    cancelled.cancel("test")
    with pytest.raises(SynthCancelled):
        asyncio.run(check.margin(PASSAGE, "q?", "a.", "expansion", cancelled))
