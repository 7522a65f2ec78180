"""Session-built tiny model and adapter for the local teacher / judge tests.

Skipped as a whole when the optional local inference stack is not installed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("peft")

from dlm_synth_lsp.synth.local import models as local_models
from dlm_synth_lsp.synth.teachers.base import TeacherOptions

from tests.fakes.tiny_model import build_tiny_adapter, build_tiny_gguf, build_tiny_model

DLM_ID = "01KPQ9X10000000000000000TT"


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture(scope="session")
def tiny_gguf(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> Path:
    pytest.importorskip("gguf")
    return build_tiny_gguf(tiny_model_dir, tmp_path_factory.mktemp("gguf") / "tiny.f32.gguf")


@pytest.fixture(scope="session")
def trained_home(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> Path:
    """A DLM_HOME whose store for DLM_ID has a current adapter."""
    home = tmp_path_factory.mktemp("dlm-home")
    build_tiny_adapter(tiny_model_dir, home / "store" / DLM_ID)
    return home


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Each test starts with nothing loaded, so load/notice behaviour is observable
    (the tiny model loads in ~0.1 s)."""
    local_models.clear_cache()
    yield
    local_models.clear_cache()


@pytest.fixture
def doc_options(tiny_model_dir: Path, trained_home: Path) -> TeacherOptions:
    return TeacherOptions(
        base_model=f"hf:{tiny_model_dir}",
        dlm_id=DLM_ID,
        dlm_home=str(trained_home),
        document_path=Path("/docs/notes.dlm"),
        threads=1,
        timeout_s=60.0,
    )


@pytest.fixture
def cold_options(tiny_model_dir: Path, tmp_path: Path) -> TeacherOptions:
    """A document that has never been trained: an empty DLM_HOME."""
    return TeacherOptions(
        base_model=f"hf:{tiny_model_dir}",
        dlm_id=DLM_ID,
        dlm_home=str(tmp_path / "empty-home"),
        document_path=Path("/docs/notes.dlm"),
        threads=1,
    )


def never_stop(loaded: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the random model generate until max_new_tokens (no EOS), so cancel and
    timeout tests cannot finish early by chance."""
    monkeypatch.setattr(loaded.model.generation_config, "eos_token_id", None)
