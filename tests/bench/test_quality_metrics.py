"""The quality benchmark's arithmetic, on small label sets written here by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench.quality.labelling import blinded, label_interactively, unlabelled_items, write_queue
from bench.quality.metrics import agreement, compute, resolve_label
from bench.quality.records import pair_id, write_jsonl
from bench.quality.report import markdown_report, text_report

PASSAGE = "bzip2 uses a block size of 900 k by default; -1 selects 100 k."


def call(
    system: str,
    index: int,
    *,
    n: int = 3,
    reply: str | None = "[]",
    wall: float = 10.0,
    tokens: int = 100,
    ours_valid: int = 3,
    up_ok: bool = True,
    up_valid: int = 3,
    strategy: str = "extraction",
    gone: bool = False,
    document: str = "d1",
) -> dict[str, Any]:
    return {
        "kind": "call",
        "document": document, "system": system, "model": "m", "strategy": strategy, "call_index": index,
        "n": n, "raw_reply": reply, "wall_s": wall, "completion_tokens": tokens, "client_gone": gone,
        "ours_parse": {"error": None, "valid": ours_valid, "rejected": []},
        "upstream_parse": {"ok": up_ok, "error": None, "valid": up_valid},
    }  # fmt: skip


def pair(
    system: str,
    question: str,
    *,
    within: bool = True,
    none: bool = True,
    dedup: bool = True,
    grounded: bool = True,
    staged: bool | None = None,
    strategy: str = "extraction",
    accepted: dict[str, bool] | None = None,
) -> dict[str, Any]:
    """`none`/`dedup`/`grounded` are the filters' verdicts; the pipeline accepts the same
    unless `accepted` says otherwise (an extra is not accepted by default)."""
    verdicts = {"none": none, "dedup-only": dedup, "grounded": grounded}
    if accepted is None:
        accepted = {k: v and within for k, v in verdicts.items()}
    return {
        "kind": "pair", "system": system, "model": "m", "strategy": strategy,
        "id": pair_id(PASSAGE, question, "a"), "source_text": PASSAGE, "question": question,
        "answer": "a", "within_budget": within, "verdicts": verdicts, "accepted": accepted,
        "upstream_staged": staged,
    }  # fmt: skip


def labels_for(**by_question: str | list[str]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for question, label in by_question.items():
        values = label if isinstance(label, list) else [label]
        out[pair_id(PASSAGE, question, "a")] = [{"label": v} for v in values]
    return out


def test_pair_id_depends_on_passage_question_and_answer_only() -> None:
    assert pair_id(PASSAGE, "q", "a") == pair_id("  " + PASSAGE + "\n", " q", "a ")
    assert len({pair_id(PASSAGE, "q", "a"), pair_id(PASSAGE, "q", "b"), pair_id("x", "q", "a"),
                pair_id(PASSAGE, "a", "q")}) == 4  # fmt: skip


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ([], None),
        (["good"], "good"),
        (["good", "good", "trivial"], "good"),
        (["good", "unsupported"], "unsupported"),  # tie: the worse class
        (["trivial", "malformed"], "malformed"),
        (["good", "trivial"], "trivial"),
    ],
)
def test_resolve_label_majority_then_worse_class(labels: list[str], expected: str | None) -> None:
    assert resolve_label([{"label": x} for x in labels]) == expected


def test_agreement_counts_only_pairs_with_several_labels() -> None:
    labels = labels_for(q1=["good", "good"], q2=["good", "trivial"], q3="good")
    assert agreement(labels) == (2, 1)


def test_group_metrics_parse_rate_pairs_per_call_and_label_shares() -> None:
    records = [
        call("ours", 0, wall=10.0, tokens=200),
        call("ours", 1, wall=30.0, tokens=200, ours_valid=0),  # no pair parsed
        call("ours", 2, reply=None, wall=None, tokens=0),  # type: ignore[arg-type]  # never answered
        pair("ours", "q1"),
        pair("ours", "q2"),
        pair("ours", "q3"),
        pair("ours", "q4"),  # unlabelled
        pair("ours", "x1", within=False, none=False, dedup=False, grounded=False),
    ]
    labels = labels_for(q1="good", q2="good", q3="unsupported", x1="good")
    (g,) = compute(records, labels)
    assert (g.calls, g.calls_failed, g.parsed, g.requested) == (3, 1, 1, 9)
    assert g.parse_rate == pytest.approx(1 / 3)
    assert (g.generated, g.extras, g.unlabelled, g.labelled) == (4, 1, 1, 3)
    assert g.pairs_per_call == pytest.approx(4 / 3)
    assert g.share("good") == pytest.approx(2 / 3)
    assert g.share("unsupported") == pytest.approx(1 / 3)
    assert g.share("trivial") == 0
    assert g.labels_extras["good"] == 1
    assert g.tokens_per_s == pytest.approx(400 / 40)
    assert g.median_wall_s == pytest.approx(20.0)
    assert g.calls_over_30s == 0  # 30.0 is not over 30
    assert g.generation_tokens_per_s is None  # no llama.cpp timings recorded


def test_documents_with_a_call_over_30_s_are_the_ones_stock_upstream_loses() -> None:
    records = [
        call("upstream", 0, wall=12.0, document="a"),
        call("upstream", 1, wall=30.5, document="a"),
        call("upstream", 0, wall=29.0, document="b"),
        call("upstream", 0, wall=31.0, document="c", reply=None),  # no reply: not a timing
    ]
    (g,) = compute(records, {})
    assert (g.calls_over_30s, g.documents_over_30s, len(g.documents)) == (1, {"a"}, 3)


def test_generation_and_prompt_speed_from_llama_timings() -> None:
    first = call("ours", 0)
    first["llama_timings"] = {
        "prompt_eval_ms": 0.5,
        "prompt_eval_tokens": 400,
        "eval_ms": 2000.0,
        "eval_tokens": 20,
    }
    second = call("ours", 1)
    second["llama_timings"] = {
        "prompt_eval_ms": 3000.0,
        "prompt_eval_tokens": 60,
        "eval_ms": 4000.0,
        "eval_tokens": 40,
    }
    (g,) = compute([first, second], {})
    assert g.generation_tokens_per_s == pytest.approx(60 / 6)
    assert g.prompt_tokens_per_s == pytest.approx(60 / 3)  # the ~0 ms prompt of a first call is left out


def test_filter_precision_recall_and_good_per_call() -> None:
    records = [
        call("ours", 0),
        call("ours", 1),
        # good 4 (one rejected by grounded), unsupported 2 (one rejected), trivial 1, malformed 1 (rejected)
        pair("ours", "g1"),
        pair("ours", "g2"),
        pair("ours", "g3"),
        pair("ours", "g4", grounded=False),
        pair("ours", "u1"),
        pair("ours", "u2", grounded=False),
        pair("ours", "t1"),
        pair("ours", "m1", dedup=False, grounded=False),
    ]
    labels = labels_for(g1="good", g2="good", g3="good", g4="good", u1="unsupported", u2="unsupported",
                        t1="trivial", m1="malformed")  # fmt: skip
    (g,) = compute(records, labels)
    none, grounded = g.filters["none"], g.filters["grounded"]
    assert none.accepted == 8 and grounded.accepted == 5
    assert none.precision == pytest.approx(4 / 8)
    assert none.good_kept == 1.0
    assert none.unsupported_rejected == 0.0
    assert none.rejection_precision is None  # nothing rejected
    assert grounded.precision == pytest.approx(3 / 5)
    assert grounded.good_kept == pytest.approx(3 / 4)
    assert grounded.unsupported_rejected == pytest.approx(1 / 2)
    assert grounded.rejection_precision == pytest.approx(2 / 3)  # u2 and m1 of g4, u2, m1
    assert g.good_per_call("none") == pytest.approx(4 / 2)
    assert g.good_per_call("grounded") == pytest.approx(3 / 2)
    assert g.filters["dedup-only"].accepted == 7


def test_an_extra_can_stand_in_and_verdicts_cover_pairs_the_budget_skipped() -> None:
    records = [
        call("ours", 0, n=1),
        pair("ours", "u1", grounded=False),  # rejected by grounded: the extra stands in
        pair("ours", "g1", within=False, accepted={"none": False, "dedup-only": False, "grounded": True}),
        pair("ours", "g2", within=False),  # passes every check but the budget is met
    ]
    (g,) = compute(records, labels_for(u1="unsupported", g1="good", g2="good"))
    grounded = g.filters["grounded"]
    assert (g.generated, g.extras) == (1, 2)
    assert grounded.accepted == 1 and grounded.precision == 1.0
    assert grounded.good_kept == 1.0  # both good pairs pass its checks
    assert grounded.unsupported_rejected == 1.0
    assert g.good_per_call("grounded") == 1.0
    assert g.filters["none"].precision == 0.0  # the pipeline without a filter keeps u1


def test_upstream_groups_count_its_strict_parse_and_own_staging() -> None:
    records = [
        call("upstream", 0, up_ok=True, up_valid=3, ours_valid=3),
        call("upstream", 1, up_ok=False, up_valid=0, ours_valid=2),  # only our parser would read it
        call("upstream", 2, gone=True),  # the tool timed out before the reply came
        call("ours", 0, strategy="expansion"),
        pair("upstream", "g1", staged=True),
        pair("upstream", "u1", staged=False),
        pair("ours", "g1", strategy="expansion"),
    ]
    labels = labels_for(g1="good", u1="unsupported")
    groups = {g.key: g for g in compute(records, labels)}
    up = groups[("upstream", "m", "extraction")]
    assert (up.calls, up.parsed, up.calls_failed) == (3, 1, 1)
    assert set(up.filters) == {"none", "dedup-only", "grounded", "own"}
    assert up.filters["own"].accepted == 1
    assert up.filters["own"].unsupported_rejected == 1.0
    ours = groups[("ours", "m", "expansion")]
    assert "own" not in ours.filters and ours.share("good") == 1.0


def test_reports_render_every_group_and_filter() -> None:
    records = [call("ours", 0), pair("ours", "g1"), call("upstream", 0), pair("upstream", "g1", staged=True)]
    groups = compute(records, labels_for(g1="good"))
    text = text_report(groups, 1, (0, 0))
    assert "== ours · m · extraction" in text and "== upstream · m · extraction" in text
    table = markdown_report(groups).splitlines()
    assert len(table) == 2 + 3 + 4  # header, rule, ours' 3 filters, upstream's 4
    assert all(line.count("|") == table[0].count("|") for line in table)


def test_queue_is_blinded_deduplicated_skips_labelled_and_is_reproducible(tmp_path: Path) -> None:
    records = [pair("ours", "q1"), pair("upstream", "q1"), pair("ours", "q2"), pair("ours", "q3"),
               call("ours", 0)]  # fmt: skip
    items = unlabelled_items(records, labelled={pair_id(PASSAGE, "q3", "a")})
    assert [i["question"] for i in items] == ["q1", "q2"]
    assert all(set(i) == {"id", "passage", "question", "answer"} for i in items)

    run = tmp_path / "run.jsonl"
    write_jsonl(run, records)
    labels = tmp_path / "labels.jsonl"
    labels.write_text(json.dumps({"id": pair_id(PASSAGE, "q2", "a"), "label": "good"}) + "\n")
    out1, out2 = tmp_path / "q1.jsonl", tmp_path / "q2.jsonl"
    assert write_queue([run], labels, out1, seed=7) == 2
    write_queue([run], labels, out2, seed=7)
    assert out1.read_text() == out2.read_text()
    queued = [json.loads(line) for line in out1.read_text().splitlines()]
    assert {q["question"] for q in queued} == {"q1", "q3"}
    assert all("system" not in q and "model" not in q for q in queued)


def test_blinded_order_depends_on_seed_not_on_input_order() -> None:
    items = [{"id": f"{i:02d}", "passage": "", "question": str(i), "answer": ""} for i in range(20)]
    a = blinded(items, seed=1)
    b = blinded(list(reversed(items)), seed=1)
    c = blinded(items, seed=2)
    assert [x["id"] for x in a] == [x["id"] for x in b]
    assert [x["id"] for x in a] != [x["id"] for x in c]
    assert [x["n"] for x in a] == list(range(1, 21))


def test_label_interactively_appends_labels_skips_and_resumes(tmp_path: Path) -> None:
    queue = tmp_path / "queue.jsonl"
    items = [{"n": i, "id": f"id{i}", "passage": "P", "question": f"q{i}", "answer": "a"} for i in (1, 2, 3)]
    write_jsonl(queue, items)
    labels = tmp_path / "labels.jsonl"
    answers = iter(["x", "g", "", "s", "u", "adds a default", "q"])
    shown: list[str] = []
    assert label_interactively(queue, labels, "ann", ask=lambda _: next(answers), say=shown.append) == 2
    written = [json.loads(line) for line in labels.read_text().splitlines()]
    assert written == [
        {"id": "id1", "label": "good", "labeller": "ann"},
        {"id": "id3", "label": "unsupported", "labeller": "ann", "note": "adds a default"},
    ]
    assert not any("system" in line or "model" in line for line in shown)
    # a second session shows only what this labeller has not labelled; another labeller sees all
    again = iter(["q"])
    seen: list[str] = []
    label_interactively(queue, labels, "ann", ask=lambda _: next(again), say=seen.append)
    assert "[1/1] id2" in seen[0]
    other = iter(["q"])
    seen = []
    label_interactively(queue, labels, "bob", ask=lambda _: next(other), say=seen.append)
    assert "[1/3] id1" in seen[0]


def test_one_system_measured_in_two_runs_is_reported_once_per_run() -> None:
    """A prompt change is measured as a new run of the same system: its numbers must not
    be pooled with the old prompt's, and the report names the run where that matters."""
    records = [
        {**call("ours", 0), "run": "before"},
        {**call("ours", 0), "run": "after"},
        {**call("ours", 1), "run": "after"},
        {**call("upstream", 0), "run": "before"},
    ]
    groups = compute(records, {})
    shown = [(g.shown, g.calls) for g in groups]
    assert shown == [("ours (before)", 1), ("ours (after)", 2), ("upstream", 1)]
