from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from dlm_synth_lsp.synth.local import models as local_models
from dlm_synth_lsp.synth.local.models import load_model
from dlm_synth_lsp.synth.local.resolve import (
    LocalModelError,
    ModelSource,
    resolve_document_model,
    resolve_hf_target,
    resolve_registry_key,
)


def test_importing_local_modules_does_not_import_torch() -> None:
    code = (
        "import sys\n"
        "import dlm_synth_lsp.synth.local.models, dlm_synth_lsp.synth.local.resolve\n"
        "import dlm_synth_lsp.synth.local.judge\n"
        "import dlm_synth_lsp.synth.local.generation, dlm_synth_lsp.synth.local.teachers\n"
        "from dlm_synth_lsp.synth.backends import build_teacher\n"
        "from dlm_synth_lsp.synth.teachers.base import TeacherOptions\n"
        "from dlm_synth_lsp.synth.local.judge import SwayJudge\n"
        "build_teacher('hf:smollm2-135m', TeacherOptions()); build_teacher('self', TeacherOptions())\n"
        "SwayJudge(TeacherOptions())\n"
        "heavy = [m for m in ('torch', 'transformers', 'peft') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_registry_keys_and_hf_escape() -> None:
    assert resolve_registry_key("smollm2-135m") == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert resolve_registry_key(" qwen2.5-0.5b ") == "Qwen/Qwen2.5-0.5B-Instruct"
    assert resolve_registry_key("hf:org/name") == "org/name"
    with pytest.raises(LocalModelError, match=r"hf:<org>/<name>"):
        resolve_registry_key("not-a-model")
    with pytest.raises(LocalModelError, match="trust_remote_code"):
        resolve_registry_key("internvl2-2b")


def test_hf_targets(tmp_path: Path) -> None:
    assert resolve_hf_target("smollm2-135m") == ModelSource(
        "hub", "HuggingFaceTB/SmolLM2-135M-Instruct", "HuggingFaceTB/SmolLM2-135M-Instruct"
    )
    assert resolve_hf_target("org/model") == ModelSource("hub", "org/model", "org/model")
    assert resolve_hf_target(str(tmp_path)) == ModelSource("dir", str(tmp_path.resolve()), str(tmp_path))
    gguf = tmp_path / "m.Q4.gguf"
    gguf.write_bytes(b"GGUF")
    assert resolve_hf_target(str(gguf)).kind == "gguf"
    (tmp_path / "weights.bin").write_bytes(b"x")
    with pytest.raises(LocalModelError, match=r"only \.gguf files"):
        resolve_hf_target(str(tmp_path / "weights.bin"))
    for missing in (str(tmp_path / "nope"), "./nope", "~/nope-model", "model.gguf"):
        with pytest.raises(LocalModelError, match=r"no such model directory or \.gguf file"):
            resolve_hf_target(missing)


def test_document_model_resolution(tmp_path: Path) -> None:
    located = resolve_document_model("smollm2-135m", "01ABC", str(tmp_path))
    assert located.base.location == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert located.adapter is None
    assert located.store == tmp_path.resolve() / "store" / "01ABC"
    with pytest.raises(LocalModelError, match="base_model and dlm_id"):
        resolve_document_model(None, "01ABC", str(tmp_path))


def test_load_is_cached_per_source(tiny_model_dir: Path) -> None:
    source = resolve_hf_target(str(tiny_model_dir))
    first = load_model(source, threads=1)
    assert load_model(source, threads=1) is first
    assert local_models.cached_model(source) is first
    assert first.device == "cpu"
    assert load_model(source, device="cpu", threads=1) is not first  # another key, loaded again
    local_models.clear_cache()
    assert local_models.cached_model(source) is None
    assert load_model(source, threads=1) is not first


def test_uncached_hub_id_fails_fast_with_download_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    started = time.monotonic()
    with pytest.raises(LocalModelError) as info:
        load_model(resolve_hf_target("nobody-here/no-such-model"), threads=1)
    assert time.monotonic() - started < 10
    message = str(info.value)
    assert "hf:nobody-here/no-such-model: could not load the model" in message
    assert "huggingface-cli download nobody-here/no-such-model" in message


def test_broken_gguf_and_empty_dir_are_reported(tmp_path: Path) -> None:
    gguf = tmp_path / "broken.gguf"
    gguf.write_bytes(b"not a gguf file")
    with pytest.raises(LocalModelError, match="GGUF"):
        load_model(resolve_hf_target(str(gguf)), threads=1)
    with pytest.raises(LocalModelError, match=r"config\.json"):
        load_model(resolve_hf_target(str(tmp_path)), threads=1)


def test_missing_stack_gives_install_hint(monkeypatch: pytest.MonkeyPatch, tiny_model_dir: Path) -> None:
    monkeypatch.setitem(sys.modules, "peft", None)
    source = resolve_hf_target(str(tiny_model_dir))
    with pytest.raises(LocalModelError, match=r"requires peft .*dlm-synth-lsp\[local\]"):
        load_model(source, adapter=tiny_model_dir, threads=1, who="self teacher")
    monkeypatch.setitem(sys.modules, "transformers", None)
    with pytest.raises(LocalModelError, match=r"hf teacher requires the local inference stack"):
        load_model(source, threads=1)
