"""The `sway` judge: upstream's `sway:preference_judge` without the dlm-sway bridge.

The document's own fine-tuned model (base + current adapter, the very model `self`
generates with, shared through the local model cache) scores how likely it finds
the answer versus "I don't know." after the question. The arithmetic follows
dlm-sway 0.1.0 exactly so thresholds mean the same thing as upstream's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..cancel import CancelToken
from ..errors import JudgeInvocationError, JudgeUnavailableError
from ..judges import JudgeVerdict
from .models import LoadedModel, ModelUser
from .resolve import LocalModelError, adapter_problem, locate_document_model

BASELINE_ANSWER = "I don't know."
SWAY_THRESHOLD = 0.1


def completion_logprob(loaded: LoadedModel, prompt: str, completion: str) -> float:
    """Sum of natural-log probabilities of the completion's tokens after `prompt`.

    As dlm-sway: prompt and prompt+completion are tokenised by raw concatenation
    (no chat template, no separator) and the completion tokens are whatever
    tok(prompt + completion) has beyond len(tok(prompt)). Blocking; the caller holds
    the model's lock."""
    import torch

    tokenizer = loaded.tokenizer
    prompt_len = len(tokenizer(prompt)["input_ids"])
    full = [int(i) for i in tokenizer(prompt + completion)["input_ids"]]
    if prompt_len == 0:
        raise JudgeInvocationError("sway judge failed to score candidates: the question tokenises to nothing")
    if len(full) <= prompt_len:
        raise JudgeInvocationError(
            f"sway judge failed to score candidates: the answer {completion[:40]!r} adds no tokens "
            "after the question"
        )
    ids = torch.tensor([full], dtype=torch.long, device=loaded.device)
    with torch.inference_mode():
        logits = loaded.model(input_ids=ids).logits[0].float()
    # position i predicts token i+1
    logprobs = torch.log_softmax(logits[prompt_len - 1 : -1], dim=-1)
    targets = ids[0, prompt_len:].unsqueeze(-1)
    return float(logprobs.gather(-1, targets).sum().item())


def sway_score(loaded: LoadedModel, question: str, candidate: str) -> float:
    """logprob / max(1, len(candidate) // 4): about a mean per token, counting 4
    characters per token, so the judge does not simply prefer short answers."""
    return completion_logprob(loaded, question, candidate) / max(1, len(candidate) // 4)


class SwayJudge(ModelUser):
    name = "sway:preference_judge"
    suggested_threshold = SWAY_THRESHOLD
    _unavailable = JudgeUnavailableError

    async def prepare(self, cancel: CancelToken) -> None:
        if self._loaded is not None:
            return
        cancel.raise_if_cancelled()
        options = self._options
        try:
            located = locate_document_model(options)
        except LocalModelError as exc:
            raise JudgeUnavailableError(f"sway judge: {exc}") from exc
        problem = adapter_problem(options, located)
        if problem is not None:
            raise JudgeUnavailableError(
                f"sway judge needs {problem}, or (until you have trained) the grounded or dedup-only filter"
            )
        adapter = located.adapter
        assert adapter is not None
        loading = f"loading {located.base.identity} with adapter {adapter.name} for the sway judge…"
        await self._load(located.base, adapter, who="sway judge", loading=loading, cancel=cancel)

    async def score(self, question: str, answer: str, cancel: CancelToken) -> JudgeVerdict:
        return await self._in_thread(cancel, self._score, question, answer)

    @staticmethod
    def _score(loaded: LoadedModel, question: str, answer: str) -> JudgeVerdict:
        try:
            score_a = sway_score(loaded, question, answer)
            score_b = sway_score(loaded, question, BASELINE_ANSWER)
        except JudgeInvocationError:
            raise
        except Exception as exc:
            raise JudgeInvocationError(f"sway judge failed to score candidates: {exc}") from exc
        return JudgeVerdict.from_scores(score_a, score_b)

    async def score_many(
        self,
        pairs: Sequence[tuple[str, str]],
        cancel: CancelToken,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[JudgeVerdict]:
        """Score (question, answer) pairs in order; `progress(done, total)` is called
        on the event loop after each, and a cancel takes effect between pairs."""
        verdicts: list[JudgeVerdict] = []
        for question, answer in pairs:
            cancel.raise_if_cancelled()
            verdicts.append(await self.score(question, answer, cancel))
            if progress is not None:
                progress(len(verdicts), len(pairs))
        return verdicts
