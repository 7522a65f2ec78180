"""Loading local models (the `hf:` and `self` teachers, the `sway` judge) once per
process, and running them one pass at a time. Which weights to load is `resolve.py`'s.

Why a process-wide cache: the language server runs many synth jobs over its lifetime
and a model takes seconds to minutes to load, while the self teacher and the sway judge
of one document need the very same base + adapter. Entries are keyed by what was
loaded (source, adapter version directory, device), so retraining (a new adapter
version) naturally gets a fresh entry and the superseded one is dropped.

Why lazy imports: torch/transformers/peft are an optional extra (`[local]`). Importing
this module must stay cheap and must not import torch, so a server that only ever
talks to API teachers never pays for (or needs) the local stack.

Security: `trust_remote_code` is never enabled. A model that needs its own Python code
cannot be used here; that is a deliberate refusal, not an oversight.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from ..cancel import CancelToken
from ..teachers.base import TeacherOptions, default_threads
from .resolve import LocalModelError, ModelSource

INSTALL_HINT = "pip install 'dlm-synth-lsp[local]'"


@dataclass(eq=False)
class LoadedModel:
    """A loaded model, its tokenizer and the device it sits on. `lock` serialises
    use: one generation or scoring pass at a time per model, because concurrent
    forward passes only fight over the same cores (or GPU memory)."""

    model: Any
    tokenizer: Any
    device: str
    source: ModelSource
    adapter: Path | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


_CacheKey = tuple[str, str, str, str]
_cache: dict[_CacheKey, LoadedModel] = {}
_key_locks: dict[_CacheKey, threading.Lock] = {}
_cache_lock = threading.Lock()


def _import_stack(who: str, *, peft: bool) -> tuple[Any, Any, Any]:
    """torch, transformers and (optionally) peft, or an install hint."""
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise LocalModelError(f"{who} requires the local inference stack: {INSTALL_HINT}") from exc
    peft_mod: Any = None
    if peft:
        try:
            import peft as peft_mod
        except ImportError as exc:
            raise LocalModelError(f"{who} requires peft to load the adapter: {INSTALL_HINT}") from exc
    return torch, transformers, peft_mod


def resolve_device(requested: str | None, torch: Any) -> str:
    """`None`/`auto`: cuda, else mps, else cpu (upstream's order); anything else as given."""
    if requested and requested != "auto":
        return requested
    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"


def _hub_downloads_allowed() -> bool:
    """Hub ids load from the local Hugging Face cache only, unless the user opted in
    with HF_HUB_OFFLINE=0: offline, transformers otherwise retries for ~50 s before
    failing, and a language server should not start multi-GB downloads silently."""
    return os.environ.get("HF_HUB_OFFLINE") == "0"


def _short_reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:199] + "…"


def _from_pretrained(transformers: Any, source: ModelSource, adapter: Path | None) -> tuple[Any, Any]:
    kwargs: dict[str, Any] = {"trust_remote_code": False}
    location = source.location
    if source.kind == "gguf":
        path = Path(source.location)
        location, kwargs["gguf_file"] = str(path.parent), path.name
    elif source.kind == "hub" and not _hub_downloads_allowed():
        # resolve the cached snapshot ourselves: from_pretrained(local_files_only=True)
        # still probes the network for an adapter config and stalls ~25 s offline
        from huggingface_hub import snapshot_download

        try:
            location = snapshot_download(source.location, local_files_only=True)
        except Exception as exc:
            raise OSError(
                "not in the local Hugging Face cache, and downloads are off unless HF_HUB_OFFLINE=0"
            ) from exc
    model = transformers.AutoModelForCausalLM.from_pretrained(location, **kwargs)
    # upstream saves the training tokenizer (with any added pad token) next to the
    # adapter and treats it as the source of truth
    if adapter is not None and (adapter / "tokenizer_config.json").is_file():
        tokenizer = transformers.AutoTokenizer.from_pretrained(str(adapter), trust_remote_code=False)
    else:
        tokenizer = transformers.AutoTokenizer.from_pretrained(location, **kwargs)
    return model, tokenizer


def _load(
    source: ModelSource, adapter: Path | None, device: str, torch: Any, transformers: Any, peft: Any
) -> LoadedModel:
    try:
        model, tokenizer = _from_pretrained(transformers, source, adapter)
    except Exception as exc:
        hint = "Check that the directory holds a transformers model (config.json and weights)"
        if source.kind == "hub":
            hint = (
                "Point hf: at a local model directory or .gguf file, or download the model first "
                f"with `huggingface-cli download {source.location}`"
            )
        elif source.kind == "gguf":
            hint = "Check that the file is a complete GGUF model of an architecture transformers supports"
        raise LocalModelError(
            f"hf:{source.identity}: could not load the model ({_short_reason(exc)}). {hint}"
        ) from exc
    if adapter is not None:
        try:
            embeddings = model.get_input_embeddings()
            if embeddings is not None and len(tokenizer) > embeddings.weight.shape[0]:
                model.resize_token_embeddings(len(tokenizer))
            model = peft.PeftModel.from_pretrained(model, str(adapter), is_trainable=False)
        except Exception as exc:
            raise LocalModelError(
                f"could not load the adapter {adapter} onto {source.identity} ({_short_reason(exc)}); "
                "retrain with `dlm train`, or check that the document's base_model matches the adapter"
            ) from exc
    if tokenizer.pad_token_id is None and tokenizer.eos_token_id is not None:
        tokenizer.pad_token = tokenizer.eos_token
    model.to(device)
    model.eval()
    return LoadedModel(model=model, tokenizer=tokenizer, device=device, source=source, adapter=adapter)


def _key(source: ModelSource, adapter: Path | None, device: str | None) -> _CacheKey:
    # keyed on the *requested* device ("auto" resolves the same way for the whole
    # process), so a lookup needs no torch
    return (source.kind, source.location, str(adapter) if adapter else "", device or "auto")


def load_model(
    source: ModelSource,
    *,
    adapter: Path | None = None,
    device: str | None = None,
    threads: int | None = None,
    who: str = "hf teacher",
) -> LoadedModel:
    """The loaded model for (source, adapter, device), loading it on first use.

    Blocking (seconds to minutes): call it from a worker thread. Concurrent callers
    for the same key wait for one load instead of loading twice. `threads` (default
    cores-1) sets torch's intra-op threads, which is process-wide."""
    key = _key(source, adapter, device)
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None:
            return cached
        key_lock = _key_locks.setdefault(key, threading.Lock())
    torch, transformers, peft = _import_stack(who, peft=adapter is not None)
    torch.set_num_threads(threads or default_threads())
    with key_lock:
        with _cache_lock:
            cached = _cache.get(key)
        if cached is not None:
            return cached
        loaded = _load(source, adapter, resolve_device(device, torch), torch, transformers, peft)
        with _cache_lock:
            if adapter is not None:
                # a retrained document supersedes its previous adapter version
                for stale in [k for k in _cache if k[2] and k[:2] == key[:2] and k[3] == key[3]]:
                    del _cache[stale]
            _cache[key] = loaded
        return loaded


def cached_model(
    source: ModelSource, *, adapter: Path | None = None, device: str | None = None
) -> LoadedModel | None:
    """The cached entry, if already loaded; never loads (decides "loading…" notices)."""
    with _cache_lock:
        return _cache.get(_key(source, adapter, device))


def clear_cache() -> None:
    """Forget every loaded model (tests; freeing memory). Holders keep their objects."""
    with _cache_lock:
        _cache.clear()
        _key_locks.clear()


async def load_shared(
    source: ModelSource,
    adapter: Path | None,
    options: TeacherOptions,
    *,
    who: str,
    loading: str,
    cancel: CancelToken,
) -> LoadedModel:
    """`load_model` in a worker thread, abandoned (not interrupted) on cancel; tells
    `options.notice` `loading` first when the model is not in the cache yet. The one
    loader of the local teachers and the sway judge; LocalModelError for them to
    word in their own error class."""
    cancel.raise_if_cancelled()
    if cached_model(source, adapter=adapter, device=options.device) is None and options.notice:
        options.notice(loading)
    return await cancel.guard(
        asyncio.to_thread(
            load_model, source, adapter=adapter, device=options.device, threads=options.threads, who=who
        )
    )


@contextmanager
def exclusive(loaded: LoadedModel, cancel: CancelToken) -> Iterator[LoadedModel]:
    """Hold the model's lock (from a worker thread) for one generation or scoring
    pass; waiting gives up if the run is cancelled while another job holds it."""
    while not loaded.lock.acquire(timeout=0.1):
        cancel.raise_if_cancelled()
    try:
        cancel.raise_if_cancelled()
        yield loaded
    finally:
        loaded.lock.release()


T = TypeVar("T")


class ModelUser:
    """What the local teachers and the sway judge share: a model from the
    process-wide cache, loaded once by `prepare` (through `_load`, failures raised
    as `_unavailable`), and each pass run in a worker thread holding its lock."""

    #: the error a model that cannot be loaded becomes (the user's vocabulary)
    _unavailable: type[Exception] = LocalModelError

    def __init__(self, options: TeacherOptions) -> None:
        self._options = options
        self._loaded: LoadedModel | None = None

    @property
    def loaded(self) -> LoadedModel | None:
        """The loaded model once prepared (shared with other users of the cache)."""
        return self._loaded

    async def prepare(self, cancel: CancelToken) -> None:
        raise NotImplementedError

    async def _load(
        self, source: ModelSource, adapter: Path | None, *, who: str, loading: str, cancel: CancelToken
    ) -> None:
        try:
            self._loaded = await load_shared(
                source, adapter, self._options, who=who, loading=loading, cancel=cancel
            )
        except LocalModelError as exc:
            raise self._unavailable(str(exc)) from exc

    async def _in_thread(self, cancel: CancelToken, work: Callable[..., T], *args: Any) -> T:
        """`work(loaded model, *args)` in a worker thread, once prepared, holding the
        model's lock; abandoned (the thread stops at its next check) on cancel."""
        await self.prepare(cancel)
        loaded = self._loaded
        assert loaded is not None

        def locked() -> T:
            with exclusive(loaded, cancel):
                return work(loaded, *args)

        return await cancel.guard(asyncio.to_thread(locked))

    async def aclose(self) -> None:
        """Drop this user's reference; the process-wide cache keeps the model for the
        next job (`clear_cache()` frees it)."""
        self._loaded = None
