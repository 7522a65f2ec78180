"""The probes' scores: what each signal says about a pair (bench/quality/probes.py)."""

from __future__ import annotations

from bench.quality.probes import auc, extraction_pairs, locality_score, roundtrip_score

SOURCE = (
    "bzip2 compresses files in blocks of 900 kbytes by default. "
    "With the -s flag, decompression needs about 2300 kbytes of memory. "
    "Compression with -9 allocates 7600 kbytes."
)


def test_roundtrip_agreeing_answers_score_high_and_not_stated_scores_zero() -> None:
    question = "How much memory does decompression with -s need?"
    same = roundtrip_score(question, "About 2300 kbytes of memory.", "It needs about 2300 kbytes.")
    other = roundtrip_score(question, "7600 kbytes are allocated.", "It needs about 2300 kbytes.")
    assert same > other
    assert roundtrip_score(question, "About 2300 kbytes.", "Not stated.") == 0.0


def test_locality_is_lower_for_an_answer_stitched_from_two_sentences() -> None:
    one = locality_score("Decompression with the -s flag needs about 2300 kbytes of memory.", SOURCE)
    stitched = locality_score("Decompression with the -s flag allocates 7600 kbytes.", SOURCE)
    assert one == 1.0
    assert stitched < one


def test_auc_is_one_for_perfect_separation_half_for_ties_and_none_when_a_side_is_empty() -> None:
    assert auc([3.0, 4.0], [1.0, 2.0]) == 1.0
    assert auc([1.0], [1.0]) == 0.5
    assert auc([], [1.0]) is None


def test_extraction_pairs_are_labelled_deduplicated_and_pass_the_model_free_checks() -> None:
    def pair(pid: str, answer: str, strategy: str = "extraction") -> dict[str, object]:
        return {"kind": "pair", "id": pid, "call_strategy": strategy, "source_text": SOURCE,
                "question": "How big are bzip2's blocks by default?", "answer": answer}  # fmt: skip

    records = [
        pair("a", "Blocks are 900 kbytes by default."),
        pair("a", "Blocks are 900 kbytes by default."),  # the same pair in another run
        pair("b", "Blocks are 512 kbytes."),  # a number not in the passage: grounded rejects it
        pair("c", "900 kbytes.", strategy="expansion"),
        pair("d", "Blocks are 900 kbytes by default, usually."),  # not labelled
    ]
    labels = {k: [{"label": "good"}] for k in ("a", "b", "c")}
    found = extraction_pairs(records, labels)
    assert [(p["id"], label) for p, label in found] == [("a", "good")]
