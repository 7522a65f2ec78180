"""Running a GGUF model in this process through llama.cpp (llama-cpp-python).

Why llama.cpp for the offline teacher: it is the engine local users already run
(Ollama, LM Studio and llama-server are built on it), it loads a 1 GB GGUF in about a
second and generates several times faster on a CPU than transformers' GGUF route.

Three things here go beyond calling `Llama.create_completion`:

- **Schema-constrained output without the slowdown.** llama-cpp-python applies a
  grammar to the whole vocabulary at every token (151k candidates for Qwen), which
  made generation an order of magnitude slower on this class of machine. `SchemaGuide`
  does what llama.cpp's own sampler does instead: it checks only the token the model
  would pick anyway and masks the vocabulary with the grammar only when that token is
  not allowed (a handful of times per reply). Output still always follows the schema.
- **Cancel and time limits between tokens**, through a stopping criterion, so a cancel
  in the editor stops a CPU generation within one token.
- **One load per process**: a model is loaded once and reused by every job (the
  language server lives for hours); one generation at a time per model, because two
  at once only fight over the same cores.
"""

from __future__ import annotations

import ctypes
import json
import math
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..cancel import CancelToken
from ..errors import SynthCancelled, TeacherInvocationError
from ..teachers.base import Completion, Prompt, SamplingParams, Usage
from .bundled import OFFLINE_EXTRA
from .resolve import LocalModelError

#: context for prompt + reply; a prose section plus 3 pairs fits comfortably
DEFAULT_CONTEXT = 4096
#: candidates checked against the grammar when sampling (temperature > 0)
_SAMPLING_CANDIDATES = 40


def import_llama_cpp() -> Any:
    try:
        import llama_cpp
    except ImportError as exc:
        raise LocalModelError(f"the offline teacher needs llama-cpp-python: {OFFLINE_EXTRA}") from exc
    return llama_cpp


@dataclass(eq=False)
class LoadedGguf:
    """A loaded model and how to talk to it. `template` is None for a model without
    a chat template (the flattened prompt is then sent as raw text)."""

    llm: Any
    path: Path
    template: Any | None
    lock: threading.Lock = field(default_factory=threading.Lock)


_cache: dict[tuple[str, int, int], LoadedGguf] = {}
_cache_lock = threading.Lock()
_key_locks: dict[tuple[str, int, int], threading.Lock] = {}


def load_gguf(path: Path, *, threads: int, n_ctx: int = DEFAULT_CONTEXT) -> LoadedGguf:
    """The loaded model at `path`, loading it on first use (blocking: call from a
    worker thread). Concurrent callers for one file wait for a single load."""
    key = (str(path.resolve()), threads, n_ctx)
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None:
            return cached
        key_lock = _key_locks.setdefault(key, threading.Lock())
    llama_cpp = import_llama_cpp()
    with key_lock:
        with _cache_lock:
            cached = _cache.get(key)
        if cached is not None:
            return cached
        try:
            llm = llama_cpp.Llama(
                model_path=str(path),
                n_ctx=n_ctx,
                n_threads=threads,
                n_threads_batch=threads,
                verbose=False,
            )
        except Exception as exc:  # llama.cpp reports a bad file as a ValueError/RuntimeError
            raise LocalModelError(
                f"could not load {path.name} with llama.cpp ({exc}); check that it is a complete GGUF model"
            ) from exc
        loaded = LoadedGguf(llm=llm, path=path, template=_chat_template(llm, llama_cpp))
        with _cache_lock:
            _cache[key] = loaded
        return loaded


def cached_gguf(path: Path, *, threads: int, n_ctx: int = DEFAULT_CONTEXT) -> LoadedGguf | None:
    with _cache_lock:
        return _cache.get((str(path.resolve()), threads, n_ctx))


def clear_gguf_cache() -> None:
    with _cache_lock:
        _cache.clear()
        _key_locks.clear()


def _chat_template(llm: Any, llama_cpp: Any) -> Any | None:
    template = llm.metadata.get("tokenizer.chat_template")
    if not template:
        return None
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    eos, bos = llm.token_eos(), llm.token_bos()
    return Jinja2ChatFormatter(
        template=template,
        eos_token=llm._model.token_get_text(eos) if eos != -1 else "",
        bos_token=llm._model.token_get_text(bos) if bos != -1 else "",
        stop_token_ids=[eos],
    )


def prompt_tokens(loaded: LoadedGguf, prompt: Prompt) -> list[int]:
    """The prompt as the model's own chat template renders it (system + user turns,
    or one user turn holding the flattened prompt when the template refuses a system
    role); raw flattened text for a model without a template."""
    llm = loaded.llm
    if loaded.template is not None:
        system, user = prompt.system.strip(), prompt.user.strip()
        attempts: list[list[dict[str, str]]] = []
        if system and user:
            attempts.append([{"role": "system", "content": system}, {"role": "user", "content": user}])
        attempts.append([{"role": "user", "content": prompt.flattened()}])
        for messages in attempts:
            try:
                rendered = loaded.template(messages=messages)
            except Exception:  # jinja raise_exception(...) for a role the template refuses
                continue
            tokens: list[int] = llm.tokenize(
                rendered.prompt.encode("utf-8"), add_bos=not rendered.added_special, special=True
            )
            return tokens
    raw: list[int] = llm.tokenize(prompt.flattened().encode("utf-8"), add_bos=True, special=False)
    return raw


class SchemaGuide:
    """A llama-cpp-python logits processor that keeps output inside a JSON schema.

    The grammar state advances with every generated token. For each new token the
    candidates the sampler could pick (the top one when greedy, the top
    `_SAMPLING_CANDIDATES` otherwise) are checked against the grammar first; only when
    none is allowed is the whole vocabulary masked. Candidates are checked with
    `llama_sampler_apply`, which filters without changing the grammar's state."""

    def __init__(self, llama_cpp: Any, llm: Any, schema: Mapping[str, Any], greedy: bool) -> None:
        from llama_cpp.llama_grammar import LlamaGrammar

        grammar = LlamaGrammar.from_json_schema(json.dumps(dict(schema)), verbose=False)
        self._llama_cpp = llama_cpp
        self._sampler = llama_cpp.llama_sampler_init_grammar(
            llm._model.vocab, grammar._grammar.encode("utf-8"), grammar._root.encode("utf-8")
        )
        if not self._sampler:
            raise LocalModelError("llama.cpp could not build a grammar from the reply schema")
        self._width = 1 if greedy else _SAMPLING_CANDIDATES
        self._seen: int | None = None  # tokens of input_ids already fed to the grammar
        self.full_masks = 0
        self.tokens = 0

    def close(self) -> None:
        if self._sampler:
            self._llama_cpp.llama_sampler_free(self._sampler)
            self._sampler = None

    def __del__(self) -> None:
        self.close()

    def _filter(self, ids: Any, logits: Any) -> tuple[Any, Any]:
        """(ids, logits) left after the grammar, for the given candidates."""
        import numpy as np

        llama_cpp = self._llama_cpp
        n = len(ids)
        data = (llama_cpp.llama_token_data * n)()
        view = np.frombuffer(
            data, dtype=np.dtype([("id", np.intc), ("logit", np.single), ("p", np.single)], align=True)
        )
        view["id"] = ids
        view["logit"] = logits
        view["p"] = 0.0
        array = llama_cpp.llama_token_data_array(data=data, size=n, selected=-1, sorted=False)
        llama_cpp.llama_sampler_apply(self._sampler, ctypes.byref(array))
        size = int(array.size)
        kept = view[:size]
        finite = np.isfinite(kept["logit"])
        return kept["id"][finite].copy(), kept["logit"][finite].copy()

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import numpy as np

        llama_cpp = self._llama_cpp
        if self._seen is None:
            self._seen = len(input_ids)  # everything before the first call is the prompt
        while self._seen < len(input_ids):
            llama_cpp.llama_sampler_accept(self._sampler, int(input_ids[self._seen]))
            self._seen += 1
        self.tokens += 1
        if self._width == 1:
            top = np.array([int(np.argmax(scores))], dtype=np.intc)
        else:
            top = np.argpartition(scores, -self._width)[-self._width :].astype(np.intc)
        ids, logits = self._filter(top, scores[top])
        if len(ids) == 0:
            self.full_masks += 1
            ids, logits = self._filter(np.arange(len(scores), dtype=np.intc), scores)
            if len(ids) == 0:  # the grammar is complete: only end of text is left
                return scores
        masked = np.full_like(scores, -math.inf)
        masked[ids] = logits
        return masked


def generate(
    loaded: LoadedGguf,
    prompt: Prompt,
    params: SamplingParams,
    cancel: CancelToken,
    *,
    timeout_s: float,
    schema: Mapping[str, Any] | None,
    name: str,
) -> Completion:
    """One reply, blocking (run it in a worker thread). Raises SynthCancelled when
    the token fires and TeacherInvocationError on a timeout or a llama.cpp failure."""
    llama_cpp = import_llama_cpp()
    llm = loaded.llm
    while not loaded.lock.acquire(timeout=0.1):
        cancel.raise_if_cancelled()
    try:
        cancel.raise_if_cancelled()
        tokens = prompt_tokens(loaded, prompt)
        room = llm.n_ctx() - len(tokens)
        if room < 16:
            raise TeacherInvocationError(
                f"{name}: the prompt ({len(tokens)} tokens) does not fit the model's context of "
                f"{llm.n_ctx()} tokens; split the section"
            )
        greedy = params.temperature == 0
        guide = SchemaGuide(llama_cpp, llm, schema, greedy) if schema is not None else None
        deadline = time.monotonic() + timeout_s
        state = {"generated": 0, "cancelled": False, "timed_out": False}

        def stop(input_ids: Any, logits: Any) -> bool:
            state["generated"] += 1
            if cancel.cancelled:
                state["cancelled"] = True
            elif time.monotonic() >= deadline:
                state["timed_out"] = True
            return bool(state["cancelled"] or state["timed_out"])

        kwargs: dict[str, Any] = {
            "max_tokens": min(params.max_new_tokens, room),
            "temperature": params.temperature,
            "top_p": params.top_p if params.top_p is not None else 1.0,
            "stopping_criteria": llama_cpp.StoppingCriteriaList([stop]),
        }
        if params.seed is not None:
            kwargs["seed"] = params.seed
        if guide is not None:
            kwargs["logits_processor"] = llama_cpp.LogitsProcessorList([guide])
        try:
            result = llm.create_completion(prompt=tokens, **kwargs)
        except Exception as exc:
            raise TeacherInvocationError(f"{name}: generation failed: {exc}") from exc
        finally:
            if guide is not None:
                guide.close()
        if state["cancelled"]:
            raise SynthCancelled()
        if state["timed_out"]:
            raise TeacherInvocationError(
                f"{name}: generation timed out after {timeout_s:g} s "
                "(raise the timeout for slow machines, or choose a smaller model)"
            )
        text = str(result["choices"][0]["text"]).strip()
        usage = result.get("usage") or {}
        return Completion(
            text=text,
            usage=Usage(
                input_tokens=int(usage.get("prompt_tokens", len(tokens))),
                output_tokens=int(usage.get("completion_tokens", state["generated"])),
                requests=1,
            ),
        )
    finally:
        loaded.lock.release()
