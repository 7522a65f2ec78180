from __future__ import annotations

import math
from typing import Any

import pytest
from dlm_synth_lsp.synth.cancel import CancelToken
from dlm_synth_lsp.synth.errors import JudgeInvocationError, JudgeUnavailableError, SynthCancelled
from dlm_synth_lsp.synth.judges import Judge, JudgeVerdict
from dlm_synth_lsp.synth.local.judge import BASELINE_ANSWER, SwayJudge
from dlm_synth_lsp.synth.local.teachers import SelfTeacher
from dlm_synth_lsp.synth.teachers.base import TeacherOptions

QUESTION = "Question: what does the document say?"
ANSWER = " Answer: it explains the format."


def reference_logprob(loaded: Any, prompt: str, completion: str) -> float:
    """Independent recomputation: one forward pass per completion token on its
    prefix, summing log-softmax of the token that actually follows."""
    import torch

    tok = loaded.tokenizer
    prompt_ids = tok(prompt)["input_ids"]
    full_ids = tok(prompt + completion)["input_ids"]
    total = 0.0
    with torch.no_grad():
        for position in range(len(prompt_ids), len(full_ids)):
            prefix = torch.tensor([full_ids[:position]])
            logits = loaded.model(input_ids=prefix).logits[0, -1].double()
            total += float(torch.log_softmax(logits, dim=-1)[full_ids[position]])
    return total


async def test_scores_follow_sway_semantics(doc_options: TeacherOptions) -> None:
    judge: Judge = SwayJudge(doc_options)  # structurally a Judge (checked by mypy)
    assert isinstance(judge, SwayJudge)
    assert judge.name == "sway:preference_judge"
    assert judge.suggested_threshold == 0.1
    verdict = await judge.score(QUESTION, ANSWER, CancelToken())
    loaded = judge._loaded
    assert loaded is not None
    expected_a = reference_logprob(loaded, QUESTION, ANSWER) / (len(ANSWER) // 4)
    expected_b = reference_logprob(loaded, QUESTION, BASELINE_ANSWER) / 3  # len 13 // 4
    assert verdict.score_answer == pytest.approx(expected_a, rel=1e-4)
    assert verdict.score_baseline == pytest.approx(expected_b, rel=1e-4)
    assert verdict.margin == pytest.approx(verdict.score_answer - verdict.score_baseline)
    assert verdict.preferred == ("a" if verdict.margin > 0 else "b")
    assert verdict.reasoning == f"ft mean-logprob delta={verdict.margin:+.3f}"


async def test_short_answer_divisor_is_at_least_one(doc_options: TeacherOptions) -> None:
    judge = SwayJudge(doc_options)
    verdict = await judge.score(QUESTION, " ok", CancelToken())
    assert judge._loaded is not None
    assert verdict.score_answer == pytest.approx(reference_logprob(judge._loaded, QUESTION, " ok"), rel=1e-4)


async def test_shares_the_self_teachers_model(doc_options: TeacherOptions) -> None:
    teacher = SelfTeacher(doc_options)
    await teacher.prepare(CancelToken())
    judge = SwayJudge(doc_options)
    await judge.prepare(CancelToken())
    assert judge._loaded is teacher.loaded


def test_verdict_rules() -> None:
    assert JudgeVerdict.from_scores(-1.0, -2.0) == JudgeVerdict(-1.0, -2.0, 1.0, "a")
    assert JudgeVerdict.from_scores(-3.0, -2.0).preferred == "b"
    assert JudgeVerdict.from_scores(-2.0, -2.0).preferred == "tie"
    for bad in (math.nan, math.inf, -math.inf):
        with pytest.raises(JudgeInvocationError, match="judge scores must be finite floats"):
            JudgeVerdict.from_scores(bad, -1.0)


async def test_answer_adding_no_tokens_is_an_invocation_error(doc_options: TeacherOptions) -> None:
    with pytest.raises(JudgeInvocationError, match="adds no tokens"):
        await SwayJudge(doc_options).score(QUESTION, "", CancelToken())


async def test_unavailable_without_adapter(cold_options: TeacherOptions) -> None:
    with pytest.raises(JudgeUnavailableError) as info:
        await SwayJudge(cold_options).prepare(CancelToken())
    message = str(info.value)
    assert message.startswith("sway judge needs a trained adapter for /docs/notes.dlm")
    assert "or (until you have trained) the grounded or dedup-only filter" in message
    assert "--filter" not in message


async def test_score_many_reports_progress_and_stops_on_cancel(doc_options: TeacherOptions) -> None:
    judge = SwayJudge(doc_options)
    pairs = [(QUESTION, ANSWER), (QUESTION, " the lazy dog"), (QUESTION, " a fox")]
    seen: list[tuple[int, int]] = []
    verdicts = await judge.score_many(pairs, CancelToken(), lambda done, total: seen.append((done, total)))
    assert [v.margin for v in verdicts] == [(await judge.score(q, a, CancelToken())).margin for q, a in pairs]
    assert seen == [(1, 3), (2, 3), (3, 3)]

    cancel = CancelToken()
    with pytest.raises(SynthCancelled):
        await judge.score_many(pairs, cancel, lambda done, total: cancel.cancel())
