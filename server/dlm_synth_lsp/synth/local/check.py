"""Asking the offline model whether a passage supports a pair: the model part of the
`grounded` filter when the teacher runs in-process.

The lexical checks in `grounding.py` catch what words can show (a figure not in the
passage, a question that needs the passage, a copied paragraph); the common failure of a
small teacher is different: a fluent answer that misreads the passage (the wrong default,
swapped roles) or adds a plausible detail. Measured on labelled pairs
(bench/quality/), the same small model, asked in a fresh context whether the answer is
supported, separates good from unsupported pairs far better than any word overlap, at
the cost of one short prompt evaluation per pair: the passage is shared by the pairs of
a section, so llama.cpp's prefix cache evaluates it once.

The verdict is a margin: log P("yes") − log P("no") for the first token of the reply,
read from the logits, so no text is generated.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ..cancel import CancelToken
from ..errors import JudgeInvocationError
from ..prompts import Strategy
from ..teachers.base import Prompt
from . import llamacpp

_SYSTEM = (
    "You check question/answer pairs written from a passage of documentation. "
    "Reply with one word: yes or no."
)
_ASK: dict[Strategy, str] = {
    "extraction": (
        "Does the answer correctly answer the question, using only facts the passage states? "
        "Reply no if it gets a number, flag, default or name wrong, adds a fact the passage does "
        "not state, or does not answer the question."
    ),
    "expansion": (
        "Is the answer correct, and consistent with the passage? Reply no if it contradicts the "
        "passage, or invents an option, default, number or behaviour of the software described."
    ),
}
_YES = ("yes", "Yes", " yes", " Yes", "YES")
_NO = ("no", "No", " no", " No", "NO")


def check_prompt(passage: str, question: str, answer: str, strategy: Strategy) -> Prompt:
    """The passage comes first so the pairs of one section share a cached prefix."""
    pair = f"Question: {question}\nAnswer: {answer}"
    user = f"Passage:\n<<<\n{passage.strip()}\n>>>\n\n{pair}\n\n{_ASK[strategy]}"
    return Prompt(_SYSTEM, user)


def _single_tokens(llm: Any, words: tuple[str, ...]) -> list[int]:
    ids: set[int] = set()
    for word in words:
        tokens = llm.tokenize(word.encode("utf-8"), add_bos=False, special=False)
        if len(tokens) == 1:
            ids.add(int(tokens[0]))
    return sorted(ids)


def support_margin(loaded: llamacpp.LoadedGguf, prompt: Prompt, cancel: CancelToken) -> float:
    """log P(yes) − log P(no) for the reply's first token (blocking: a worker thread)."""
    import numpy as np

    llama_cpp = llamacpp.import_llama_cpp()
    llm = loaded.llm
    yes, no = _single_tokens(llm, _YES), _single_tokens(llm, _NO)
    if not yes or not no:
        raise JudgeInvocationError(f"{loaded.path.name} has no single-token yes/no to read a verdict from")
    seen: list[Any] = []

    def capture(input_ids: Any, scores: Any) -> Any:
        seen.append(np.array(scores, copy=True))
        return scores

    while not loaded.lock.acquire(timeout=0.1):
        cancel.raise_if_cancelled()
    try:
        cancel.raise_if_cancelled()
        tokens = llamacpp.prompt_tokens(loaded, prompt)
        if len(tokens) >= llm.n_ctx():
            raise JudgeInvocationError("the passage and pair do not fit the model's context")
        llm.create_completion(
            prompt=tokens,
            max_tokens=1,
            temperature=0.0,
            logits_processor=llama_cpp.LogitsProcessorList([capture]),
        )
    finally:
        loaded.lock.release()
    if not seen:
        raise JudgeInvocationError("llama.cpp returned no logits for the verdict")
    scores = seen[0]
    top = float(scores.max())
    log_yes = float(np.log(np.exp(scores[yes] - top).sum()))
    log_no = float(np.log(np.exp(scores[no] - top).sum()))
    return log_yes - log_no


class GgufSupportCheck:
    """The check, run on the teacher's own loaded model (`local` teachers)."""

    def __init__(self, loaded: llamacpp.LoadedGguf, name: str) -> None:
        self._loaded = loaded
        self.name = name

    async def margin(
        self, passage: str, question: str, answer: str, strategy: Strategy, cancel: CancelToken
    ) -> float:
        prompt = check_prompt(passage, question, answer, strategy)
        return await cancel.guard(asyncio.to_thread(support_margin, self._loaded, prompt, cancel))
