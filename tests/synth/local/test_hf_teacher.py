from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path
from typing import Any

import pytest
from dlm_synth_lsp.synth.backends import build_teacher
from dlm_synth_lsp.synth.cancel import CancelToken
from dlm_synth_lsp.synth.errors import SynthCancelled, TeacherInvocationError, TeacherUnavailableError
from dlm_synth_lsp.synth.local.generation import encode_prompt, render_prompt
from dlm_synth_lsp.synth.local.teachers import HFTeacher
from dlm_synth_lsp.synth.teachers.base import Prompt, SamplingParams, TeacherOptions

from tests.fakes.tiny_model import ASSISTANT_MARKER, SYSTEM_MARKER, USER_MARKER
from tests.synth.local.conftest import never_stop

PROMPT = Prompt(system="You write question and answer pairs.", user="Read the section about foxes.")


def teacher_for(model_dir: Path, **options: Any) -> HFTeacher:
    options.setdefault("threads", 1)
    teacher = build_teacher(f"hf:{model_dir}", TeacherOptions(**options))
    assert isinstance(teacher, HFTeacher)
    return teacher


async def test_names_and_loading(tiny_model_dir: Path) -> None:
    notices: list[str] = []
    teacher = teacher_for(tiny_model_dir, notice=notices.append)
    assert teacher.name == teacher.model == f"hf:{tiny_model_dir}"
    assert teacher.max_in_flight == 1
    await teacher.prepare(CancelToken())
    assert notices == [f"loading hf:{tiny_model_dir}…"]
    loaded = teacher.loaded
    await teacher.prepare(CancelToken())
    other = teacher_for(tiny_model_dir, notice=notices.append)
    await other.prepare(CancelToken())
    assert other.loaded is loaded  # served from the process-wide cache, not reloaded
    assert len(notices) == 1


def test_registry_key_is_recorded_resolved() -> None:
    assert HFTeacher("smollm2-135m", TeacherOptions()).name == "hf:HuggingFaceTB/SmolLM2-135M-Instruct"


async def test_missing_path_is_unavailable_at_prepare(tmp_path: Path) -> None:
    teacher = HFTeacher(str(tmp_path / "missing-model"), TeacherOptions())
    with pytest.raises(TeacherUnavailableError, match="no such model directory"):
        await teacher.prepare(CancelToken())
    empty = HFTeacher(str(tmp_path), TeacherOptions(threads=1))
    with pytest.raises(TeacherUnavailableError, match="could not load the model"):
        await empty.prepare(CancelToken())


async def test_chat_template_wraps_system_and_user(
    tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    teacher = teacher_for(tiny_model_dir)
    await teacher.prepare(CancelToken())
    loaded = teacher.loaded
    assert loaded is not None
    seen: list[list[int]] = []
    original = loaded.model.generate

    def spy(**kwargs: Any) -> Any:
        seen.append(kwargs["input_ids"][0].tolist())
        return original(**kwargs)

    monkeypatch.setattr(loaded.model, "generate", spy)
    completion = await teacher.complete(PROMPT, SamplingParams(max_new_tokens=4), CancelToken())
    text = loaded.tokenizer.decode(seen[0])
    assert text.startswith("<|bos|>" + SYSTEM_MARKER)
    assert text.count("<|bos|>") == 1  # the template's BOS is not doubled by the tokenizer
    assert f"{USER_MARKER}\nRead the section about foxes." in text
    assert text.endswith(ASSISTANT_MARKER + "\n")
    assert completion.usage.input_tokens == len(seen[0])
    assert completion.usage.requests == 1


class _NoSystemTokenizer:
    chat_template = "gemma-like"

    def apply_chat_template(self, messages: list[dict[str, str]], **kwargs: Any) -> str:
        assert kwargs == {"tokenize": False, "add_generation_prompt": True}
        if any(m["role"] == "system" for m in messages):
            raise ValueError("System role not supported")
        return "".join(f"<{m['role']}>{m['content']}" for m in messages) + "<model>"


def test_template_without_system_role_gets_flattened_prompt() -> None:
    text, templated = render_prompt(_NoSystemTokenizer(), PROMPT)
    assert templated
    assert text == f"<user>{PROMPT.flattened()}<model>"


def test_no_template_sends_raw_flattened_prompt() -> None:
    class Plain:
        chat_template = None

    assert render_prompt(Plain(), PROMPT) == (PROMPT.flattened(), False)


def test_raw_prompt_gets_special_tokens(tiny_model_dir: Path) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    tokenizer.chat_template = None
    ids = encode_prompt(tokenizer, PROMPT)
    assert ids[0] == tokenizer.bos_token_id
    assert tokenizer.decode(ids, skip_special_tokens=True) == PROMPT.flattened()


async def test_greedy_is_deterministic_and_bounded(tiny_model_dir: Path) -> None:
    teacher = teacher_for(tiny_model_dir)
    params = SamplingParams(max_new_tokens=6, temperature=0.0, top_p=0.5)
    first = await teacher.complete(PROMPT, params, CancelToken())
    second = await teacher.complete(PROMPT, params, CancelToken())
    assert first == second
    assert 0 < first.usage.output_tokens <= 6
    assert first.text == first.text.strip()


async def test_seed_is_honoured_when_sampling(tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    teacher = teacher_for(tiny_model_dir)
    await teacher.prepare(CancelToken())
    assert teacher.loaded is not None
    never_stop(teacher.loaded, monkeypatch)
    sample = SamplingParams(max_new_tokens=12, temperature=1.5, top_p=0.95, seed=7)
    a = await teacher.complete(PROMPT, sample, CancelToken())
    b = await teacher.complete(PROMPT, sample, CancelToken())
    c = await teacher.complete(
        PROMPT, SamplingParams(max_new_tokens=12, temperature=1.5, seed=8), CancelToken()
    )
    assert a.text == b.text
    assert a.text != c.text
    assert a.usage.output_tokens == 12


async def test_timeout_raises_invocation_error(tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    teacher = teacher_for(tiny_model_dir, timeout_s=0.05)
    await teacher.prepare(CancelToken())
    assert teacher.loaded is not None
    never_stop(teacher.loaded, monkeypatch)
    started = time.monotonic()
    with pytest.raises(
        TeacherInvocationError, match=r"generation timed out after 0\.05 s \(raise the timeout"
    ):
        await teacher.complete(PROMPT, SamplingParams(max_new_tokens=100_000), CancelToken())
    assert time.monotonic() - started < 5


async def test_cancel_stops_mid_generation(tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    teacher = teacher_for(tiny_model_dir)
    await teacher.prepare(CancelToken())
    loaded = teacher.loaded
    assert loaded is not None
    never_stop(loaded, monkeypatch)
    cancel = CancelToken()
    asyncio.get_running_loop().call_later(0.3, cancel.cancel)
    started = time.monotonic()
    with pytest.raises(SynthCancelled):
        await teacher.complete(PROMPT, SamplingParams(max_new_tokens=100_000), cancel)
    assert time.monotonic() - started < 3
    # the worker thread stops at the next token and releases the model
    deadline = time.monotonic() + 5
    while loaded.lock.locked() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert not loaded.lock.locked()


async def test_gguf_file(tiny_gguf: Path) -> None:
    teacher = HFTeacher(str(tiny_gguf), TeacherOptions(threads=1))
    assert teacher.name == f"hf:{tiny_gguf}"
    completion = await teacher.complete(PROMPT, SamplingParams(max_new_tokens=4), CancelToken())
    assert 0 < completion.usage.output_tokens <= 4
    assert teacher.loaded is not None
    assert teacher.loaded.source.kind == "gguf"


async def test_model_failure_is_an_invocation_error(
    tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    teacher = teacher_for(tiny_model_dir)
    await teacher.prepare(CancelToken())
    assert teacher.loaded is not None

    def broken(**kwargs: Any) -> Any:
        raise RuntimeError("out of memory")

    monkeypatch.setattr(teacher.loaded.model, "generate", broken)
    expected = re.escape(f"hf:{tiny_model_dir}: generation failed: out of memory")
    with pytest.raises(TeacherInvocationError, match=expected):
        await teacher.complete(PROMPT, SamplingParams(max_new_tokens=4), CancelToken())
    assert not teacher.loaded.lock.locked()
