"""Pipeline logic with an in-test teacher (our own `Teacher` protocol): ordering,
filters, caps, failures and cancellation. The real SDK paths are in test_cli_synth.py
and remote/."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from dlm_synth_lsp.document import parse_text
from dlm_synth_lsp.document.edits import render
from dlm_synth_lsp.synth.cache import ReplyCache
from dlm_synth_lsp.synth.cancel import CancelToken
from dlm_synth_lsp.synth.errors import TeacherInvocationError, TeacherUnavailableError
from dlm_synth_lsp.synth.options import SynthOptions
from dlm_synth_lsp.synth.pipeline import Progress, run_synth, select_sources
from dlm_synth_lsp.synth.placement import mark, plan_placement, source_contents
from dlm_synth_lsp.synth.teachers.base import Completion, Prompt, SamplingParams, Usage

DOC = """---
dlm_id: 01KPQ9X1000000000000000001
base_model: smollm2-135m
---
# Alpha

Alpha prose about caches.

::prose::
# Beta

Beta prose about vectors.

::instruction::
### Q
What is an existing question?
### A
It is already in the document.

::prose::

"""

Reply = Callable[[Prompt], str]


class ScriptedTeacher:
    """Answers from a function of the prompt, optionally slowly, counting calls."""

    def __init__(self, reply: Reply, delay: float = 0.0, in_flight: int = 4) -> None:
        self.reply = reply
        self.delay = delay
        self.calls: list[Prompt] = []
        self.in_flight = in_flight
        self.max_seen = 0
        self.active = 0
        self.closed = False

    @property
    def name(self) -> str:
        return "scripted:test"

    @property
    def model(self) -> str:
        return "scripted"

    @property
    def max_in_flight(self) -> int:
        return self.in_flight

    async def prepare(self, cancel: CancelToken) -> None:
        return None

    async def complete(self, prompt: Prompt, params: SamplingParams, cancel: CancelToken) -> Completion:
        self.calls.append(prompt)
        self.active += 1
        self.max_seen = max(self.max_seen, self.active)
        try:
            if self.delay:
                await cancel.guard(asyncio.sleep(self.delay))
            return Completion(self.reply(prompt), Usage(input_tokens=10, output_tokens=5, requests=1))
        finally:
            self.active -= 1

    async def aclose(self) -> None:
        self.closed = True


def _topic(prompt: Prompt) -> str:
    return "Alpha" if "Alpha" in prompt.user else "Beta"


def pairs_reply(n: int = 2) -> Reply:
    def reply(prompt: Prompt) -> str:
        topic = _topic(prompt)
        kind = "exp" if "follow-up" in prompt.user else "ext"
        return json.dumps(
            [
                {"question": f"{topic} {kind} question {i}?", "answer": f"{topic} answer {i}."}
                for i in range(n)
            ]
        )

    return reply


def _run(teacher: ScriptedTeacher, options: SynthOptions, **kw: object):  # type: ignore[no-untyped-def]
    doc = parse_text(DOC)
    return asyncio.run(run_synth(doc, select_sources(doc), options, teacher, **kw))  # type: ignore[arg-type]


def test_sources_are_non_empty_prose_in_order() -> None:
    doc = parse_text(DOC)
    sources = select_sources(doc)
    assert [s.title for s in sources] == ["Alpha", "Beta"]
    assert [s.section_id for s in sources] == [s.section_id for s in doc.sections if s.type.value == "prose"][
        :2
    ]
    only = select_sources(doc, [sources[1].section_id])
    assert [s.title for s in only] == ["Beta"]
    sel = select_sources(doc, selection=(sources[0].section_id, "  caches  "))
    assert sel[0].text == "caches" and sel[0].section_id == sources[0].section_id
    with pytest.raises(ValueError, match="no prose section"):
        select_sources(doc, ["feedfacefeedface"])


def test_both_strategy_orders_extraction_then_expansion_per_source() -> None:
    teacher = ScriptedTeacher(pairs_reply(3))
    result = _run(teacher, SynthOptions(strategy="both", per_section=3, filter="none", use_cache=False))
    assert result.status == "completed"
    got = [(p.source.title, p.strategy, p.question) for p in result.accepted]
    assert got == [
        ("Alpha", "extraction", "Alpha ext question 0?"),
        ("Alpha", "extraction", "Alpha ext question 1?"),
        ("Alpha", "expansion", "Alpha exp question 0?"),
        ("Beta", "extraction", "Beta ext question 0?"),
        ("Beta", "extraction", "Beta ext question 1?"),
        ("Beta", "expansion", "Beta exp question 0?"),
    ]
    # pairs beyond a call's budget are reported (not dropped, not counted as invalid)
    beyond = [r for r in result.report.rejected if r.reason == "beyond_budget"]
    assert len(beyond) == 6 and result.report.invalid == 0
    assert {r.question for r in beyond} >= {"Alpha ext question 2?", "Alpha exp question 1?"}
    assert result.report.usage.requests == 4 and result.report.usage.input_tokens == 40


def test_dedup_against_document_and_run_and_none_keeps_all() -> None:
    def reply(prompt: Prompt) -> str:
        return json.dumps(
            [
                {"question": "What is an EXISTING question?", "answer": "Whatever."},
                {"question": "Shared question?", "answer": "Same answer."},
                {"question": f"{_topic(prompt)} only?", "answer": "Unique."},
            ]
        )

    result = _run(ScriptedTeacher(reply), SynthOptions(filter="dedup-only", use_cache=False))
    assert [p.question for p in result.accepted] == ["Shared question?", "Alpha only?", "Beta only?"]
    dups = [r for r in result.report.rejected if r.reason == "duplicate_pair"]
    assert len(dups) == 3 and result.report.deduped == 3
    # the earlier pair is named by its question and line, never by a hash
    existing = next(s for s in parse_text(DOC).sections if "existing question" in s.content)
    assert f"the pair “What is an existing question?” at line {existing.start_line}" in dups[0].detail
    assert "of this run" in dups[2].detail
    assert (dups[0].source_title, dups[0].source_line) == ("Alpha", 5)
    kept = _run(ScriptedTeacher(reply), SynthOptions(filter="none", use_cache=False))
    assert len(kept.accepted) == 6


def test_max_pairs_caps_accepted_and_stops_calling() -> None:
    teacher = ScriptedTeacher(pairs_reply(3), in_flight=1)
    result = _run(teacher, SynthOptions(filter="dedup-only", max_pairs=2, use_cache=False))
    assert len(result.accepted) == 2
    assert [r.reason for r in result.report.rejected] == ["max_pairs_reached"]


def test_one_failing_call_keeps_the_others() -> None:
    class Flaky(ScriptedTeacher):
        async def complete(self, prompt: Prompt, params: SamplingParams, cancel: CancelToken) -> Completion:
            if "Alpha" in prompt.user:
                raise TeacherInvocationError("scripted:test request failed: HTTP 500")
            return await super().complete(prompt, params, cancel)

    result = _run(Flaky(pairs_reply()), SynthOptions(filter="none", use_cache=False))
    assert result.status == "completed"
    assert [p.source.title for p in result.accepted] == ["Beta", "Beta"]
    assert [(r.reason, r.detail) for r in result.report.rejected] == [
        ("teacher_failed", "scripted:test request failed: HTTP 500")
    ]


def test_unavailable_teacher_stops_but_keeps_accepted() -> None:
    class Revoked(ScriptedTeacher):
        async def complete(self, prompt: Prompt, params: SamplingParams, cancel: CancelToken) -> Completion:
            if "Beta" in prompt.user:
                raise TeacherUnavailableError("key revoked")
            return await super().complete(prompt, params, cancel)

    result = _run(Revoked(pairs_reply(), in_flight=1), SynthOptions(filter="none", use_cache=False))
    assert result.status == "failed" and result.error == "key revoked"
    assert [p.source.title for p in result.accepted] == ["Alpha", "Alpha"]


def test_cancel_returns_accepted_so_far_and_stops_calls() -> None:
    cancel = CancelToken()
    events: list[Progress] = []

    def progress(p: Progress) -> None:
        events.append(p)
        if p.done == 1:
            cancel.cancel()

    teacher = ScriptedTeacher(pairs_reply(), delay=0.05, in_flight=1)
    result = _run(teacher, SynthOptions(filter="none", use_cache=False), cancel=cancel, progress=progress)
    assert result.status == "cancelled"
    assert [p.source.title for p in result.accepted] == ["Alpha", "Alpha"]
    assert len(teacher.calls) <= 2 and teacher.active == 0
    assert any(r.reason == "not_run" for r in result.report.rejected)


def test_bounded_in_flight() -> None:
    doc_text = DOC + "".join(f"::prose::\nSection {i} prose.\n\n" for i in range(10))
    doc = parse_text(doc_text)
    teacher = ScriptedTeacher(pairs_reply(), delay=0.02, in_flight=3)
    asyncio.run(run_synth(doc, select_sources(doc), SynthOptions(filter="none", use_cache=False), teacher))
    assert teacher.max_seen == 3


def test_cache_makes_reruns_free(tmp_path: Path) -> None:
    cache = ReplyCache(tmp_path)
    options = SynthOptions(filter="none")
    first = ScriptedTeacher(pairs_reply())
    a = _run(first, options, cache=cache)
    second = ScriptedTeacher(pairs_reply())
    b = _run(second, options, cache=cache)
    assert len(first.calls) == 2 and second.calls == []
    assert b.report.usage.cached == 2
    assert [p.question for p in a.accepted] == [p.question for p in b.accepted]
    sampled = ScriptedTeacher(pairs_reply())
    _run(sampled, SynthOptions(filter="none", params=SamplingParams(temperature=0.7)), cache=cache)
    assert len(sampled.calls) == 2  # sampling without a seed is not cached


def test_placement_puts_pairs_after_their_source_and_reapplying_adds_nothing() -> None:
    doc = parse_text(DOC)
    result = _run(ScriptedTeacher(pairs_reply()), SynthOptions(filter="none", use_cache=False))
    staged = mark(result.accepted, result.report.teacher, result.report.synth_at)
    placement = plan_placement(doc, staged, source_contents(result.accepted))
    after = render(doc, placement.edits)
    types = [(s.type.value, s.auto_synth) for s in after.sections]
    assert types == [
        ("prose", False),
        ("instruction", True),
        ("instruction", True),
        ("prose", False),
        ("instruction", True),
        ("instruction", True),
        ("instruction", False),
    ]
    for s in after.sections:
        if s.auto_synth:
            assert after.find(s.source_section_id or "") is not None
    again = plan_placement(after, staged)
    assert again.edits == [] and len(again.present) == 4


def test_placement_finds_reflowed_source_and_keeps_orphans() -> None:
    result = _run(ScriptedTeacher(pairs_reply()), SynthOptions(filter="none", use_cache=False))
    staged = mark(result.accepted, result.report.teacher, result.report.synth_at)
    edited = parse_text(
        DOC.replace("Alpha prose about caches.", "Alpha   prose\nabout caches.").replace(
            "Beta prose about vectors.", "Something else entirely."
        )
    )
    placement = plan_placement(edited, staged, source_contents(result.accepted))
    assert [p.question for p in placement.placed] == ["Alpha ext question 0?", "Alpha ext question 1?"]
    assert [p.question for p in placement.unplaced] == ["Beta ext question 0?", "Beta ext question 1?"]
    after = render(edited, placement.edits)
    new_id = after.sections[0].section_id
    assert all(s.source_section_id == new_id for s in after.sections if s.auto_synth)


def test_no_prose_is_reported() -> None:
    doc = parse_text(
        "---\ndlm_id: 01KPQ9X1000000000000000001\nbase_model: x\n---\n::instruction::\n### Q\nq\n### A\na\n"
    )
    result = asyncio.run(
        run_synth(doc, select_sources(doc), SynthOptions(filter="none"), ScriptedTeacher(pairs_reply()))
    )
    assert result.accepted == [] and result.report.rejected[0].reason == "no_prose"


def test_a_cancel_while_the_teacher_prepares_is_a_cancelled_result() -> None:
    class Loading(ScriptedTeacher):
        async def prepare(self, cancel: CancelToken) -> None:
            cancel.cancel("cancelled while the model loads")
            cancel.raise_if_cancelled()

    teacher = Loading(pairs_reply())
    result = _run(teacher, SynthOptions(filter="none", use_cache=False))
    assert result.status == "cancelled" and result.accepted == [] and teacher.calls == []
    assert {r.reason for r in result.report.rejected} == {"not_run"}
    assert len(result.report.rejected) == result.report.calls == 2


def test_option_validation_messages() -> None:
    with pytest.raises(ValueError, match="per_section: must be >= 1"):
        SynthOptions(per_section=0).validate()
    with pytest.raises(ValueError, match="threshold: only valid"):
        SynthOptions(filter="none", threshold=0.2).validate()
    with pytest.raises(ValueError, match="filter 'sway' requires a judge"):
        _run(ScriptedTeacher(pairs_reply()), SynthOptions(filter="sway"))


def test_pairs_beyond_the_budget_replace_filtered_ones() -> None:
    """The teacher returns 3 pairs when 2 were asked for; the first is a copy of a
    pair already in the document, so the third takes its place."""
    doc = parse_text(DOC)
    existing = doc.instruction_pairs[0][0]
    reply = json.dumps(
        [
            {"question": existing[0], "answer": existing[1]},
            {"question": "What is new here?", "answer": "The second pair."},
            {"question": "And a third one?", "answer": "It fills the budget."},
        ]
    )
    teacher = ScriptedTeacher(lambda prompt: reply)
    sources = select_sources(doc)[:1]
    options = SynthOptions(strategy="extraction", per_section=2, filter="dedup-only", use_cache=False)
    result = asyncio.run(run_synth(doc, sources, options, teacher))  # type: ignore[arg-type]
    assert [p.question for p in result.accepted] == ["What is new here?", "And a third one?"]
    assert [r.reason for r in result.report.rejected] == ["duplicate_pair"]


class CheckingTeacher(ScriptedTeacher):
    """A teacher with the `local` teacher's model check (`judges.ChecksSupport`): the
    margin for each answer is scripted; every check is recorded."""

    def __init__(self, reply: Reply, margins: dict[str, float]) -> None:
        super().__init__(reply)
        self.margins = margins
        self.checked: list[tuple[str, str]] = []

    def support_check(self) -> CheckingTeacher:
        return self

    async def margin(
        self, passage: str, question: str, answer: str, strategy: str, cancel: CancelToken
    ) -> float:
        self.checked.append((strategy, answer))
        return self.margins[answer]


def _grounded_pairs(prompt: Prompt) -> str:
    """Two pairs whose answers are the source's own words, so only the model check can
    reject them (and an expansion answer shares the source's content words)."""
    topic = _topic(prompt)
    subject = "caches" if topic == "Alpha" else "vectors"
    answers = [f"{topic} prose about {subject}.", f"{topic} prose covers {subject}."]
    pairs = [{"question": f"What is {topic} prose {i} about?", "answer": a} for i, a in enumerate(answers)]
    return json.dumps(pairs)


def test_the_model_check_rejects_expansion_pairs_below_the_margin_and_leaves_extraction_alone() -> None:
    from dlm_synth_lsp.synth.grounding import SUPPORT_MARGIN

    needed = SUPPORT_MARGIN["expansion"]
    assert needed is not None and SUPPORT_MARGIN["extraction"] is None
    margins = {
        "Alpha prose about caches.": needed + 0.5,
        "Alpha prose covers caches.": needed - 0.5,  # doubted: rejected
        "Beta prose about vectors.": needed,  # exactly the margin: kept
        "Beta prose covers vectors.": -5.0,
    }
    teacher = CheckingTeacher(_grounded_pairs, margins)
    options = SynthOptions(strategy="expansion", per_section=2, filter="grounded", use_cache=False)
    result = _run(teacher, options)
    assert [p.answer for p in result.accepted] == ["Alpha prose about caches.", "Beta prose about vectors."]
    assert sorted(a for _, a in teacher.checked) == sorted(margins)
    doubted = [r for r in result.report.rejected if r.reason == "ungrounded"]
    assert len(doubted) == 2
    for rejection in doubted:
        assert "does not find the answer supported" in rejection.detail
        assert f"< {needed:+.2f}" in rejection.detail

    teacher = CheckingTeacher(_grounded_pairs, margins)
    options = SynthOptions(strategy="extraction", per_section=2, filter="grounded", use_cache=False)
    result = _run(teacher, options)
    assert teacher.checked == [] and len(result.accepted) == 4  # extraction is not checked


QUOTED_DOC = """---
dlm_id: 01KPQ9X1000000000000000001
base_model: smollm2-135m
---
# Gamma

Gamma caches hold 64 lines. Each line stores 128 bytes.
"""


def test_grounded_holds_a_quoted_extraction_answer_to_its_quote() -> None:
    """The teacher's quote narrows what the answer may draw on: a figure stitched in from
    another sentence of the passage is rejected, and so is a quote the passage lacks."""

    items = [
        ("Gamma caches hold 64 lines.", "How many lines do Gamma caches hold?", "64 lines."),
        ("Gamma caches hold 64 lines.", "How big is a Gamma cache line?", "128 bytes."),
        # a quote the passage lacks
        ("Gamma caches are 8-way associative.", "How associative are they?", "Gamma caches hold lines."),
        # copied loosely (spacing, case): still found
        ("Each line  stores 128 BYTES.", "How many bytes per Gamma line?", "Each line stores 128 bytes."),
    ]

    def quoted(prompt: Prompt) -> str:
        return json.dumps([{"quote": q, "question": question, "answer": a} for q, question, a in items])

    doc = parse_text(QUOTED_DOC)
    options = SynthOptions(strategy="extraction", per_section=4, filter="grounded", use_cache=False)
    result = asyncio.run(run_synth(doc, select_sources(doc), options, ScriptedTeacher(quoted)))
    assert [p.answer for p in result.accepted] == ["64 lines.", "Each line stores 128 bytes."]
    details = [r.detail for r in result.report.rejected if r.reason == "ungrounded"]
    assert details == [
        "number 128 does not appear in its quoted sentence",
        "the quoted sentence is not in the source",
    ]
    # without the quotes the same answers are all in the passage: the stitched one passes
    unquoted = parse_text(QUOTED_DOC)
    plain = ScriptedTeacher(lambda p: json.dumps([{k: v for k, v in item.items() if k != "quote"}
                                                  for item in json.loads(quoted(p))]))  # fmt: skip
    result = asyncio.run(run_synth(unquoted, select_sources(unquoted), options, plain))
    assert "128 bytes." in [p.answer for p in result.accepted]
