from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from dlm_synth_lsp.synth.backends import build_teacher
from dlm_synth_lsp.synth.cancel import CancelToken
from dlm_synth_lsp.synth.errors import TeacherUnavailableError
from dlm_synth_lsp.synth.local.teachers import HFTeacher, SelfTeacher
from dlm_synth_lsp.synth.teachers.base import Prompt, SamplingParams, TeacherOptions

PROMPT = Prompt(system="You write question and answer pairs.", user="Read the section.")


async def test_cold_start_message_is_actionable(cold_options: TeacherOptions) -> None:
    teacher = build_teacher("self", cold_options)
    assert isinstance(teacher, SelfTeacher)
    with pytest.raises(TeacherUnavailableError) as info:
        await teacher.prepare(CancelToken())
    message = str(info.value)
    assert message.startswith("self teacher needs a trained adapter for /docs/notes.dlm")
    assert str(Path(cold_options.dlm_home or "") / "store") in message
    assert "adapter/current.txt does not exist" in message
    assert "`dlm train /docs/notes.dlm`" in message
    # worded for every front end: no command-line flag (the CLI and the editor add theirs)
    assert "another teacher (hf:<local model dir>, vllm-server:http://127.0.0.1:8000, openai:<model>)" in (
        message
    )
    assert "--" not in message


async def test_pointer_to_missing_version(cold_options: TeacherOptions) -> None:
    store = Path(cold_options.dlm_home or "") / "store" / (cold_options.dlm_id or "")
    (store / "adapter").mkdir(parents=True)
    (store / "adapter" / "current.txt").write_text("adapter/versions/v0009\n", encoding="utf-8")
    with pytest.raises(TeacherUnavailableError, match="v0009, which does not exist"):
        await SelfTeacher(cold_options).prepare(CancelToken())


async def test_needs_frontmatter(doc_options: TeacherOptions) -> None:
    with pytest.raises(TeacherUnavailableError, match=r"self teacher: .*base_model and dlm_id"):
        await SelfTeacher(replace(doc_options, base_model=None)).prepare(CancelToken())
    with pytest.raises(TeacherUnavailableError, match="unknown base model 'nope'"):
        await SelfTeacher(replace(doc_options, base_model="nope")).prepare(CancelToken())


async def test_generates_with_the_adapter(doc_options: TeacherOptions, tiny_model_dir: Path) -> None:
    from peft import PeftModel

    notices: list[str] = []
    teacher = SelfTeacher(replace(doc_options, notice=notices.append))
    assert teacher.name == "self"
    assert teacher.model.endswith("adapter/versions/v0001")
    params = SamplingParams(max_new_tokens=8)
    first = await teacher.complete(PROMPT, params, CancelToken())
    assert first == await teacher.complete(PROMPT, params, CancelToken())
    assert 0 < first.usage.output_tokens <= 8
    assert teacher.loaded is not None
    assert isinstance(teacher.loaded.model, PeftModel)
    assert notices == [f"loading {teacher.model}…"]

    # the adapter changes the model: the bare base (hf:) scores differently
    base = HFTeacher(str(tiny_model_dir), replace(doc_options, notice=None))
    await base.prepare(CancelToken())
    assert base.loaded is not None
    assert base.loaded.model is not teacher.loaded.model
    assert not isinstance(base.loaded.model, PeftModel)
