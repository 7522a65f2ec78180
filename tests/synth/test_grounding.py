"""Grounding check: supported answers pass, invented numbers and off-topic answers fail.

The GOOD/BAD sets below are the hand-made examples the default thresholds were chosen on
(grounding.py's docstring): faithful extractions score 0.9-1.0 (asserted: >= 0.7), answers that
bring in outside facts 0.0-0.4 (asserted: < 0.5), so the 0.6 default sits in the gap.
"""

from __future__ import annotations

import pytest
from dlm_synth_lsp.synth.grounding import GroundingVerdict, check_grounding, form_problem
from hypothesis import given, settings
from hypothesis import strategies as st

SOURCE = (
    "DGEMM is the BLAS level-3 routine that multiplies two dense matrices and adds the result to a "
    "third: C = alpha*A*B + beta*C. It was standardised in 1990 as part of the Level 3 BLAS. "
    "Optimised implementations such as OpenBLAS and Intel MKL block the matrices so that tiles fit in "
    "the L1 and L2 caches, which is why DGEMM reaches close to the peak floating-point throughput of a "
    "CPU. A 4,096 by 4,096 multiply performs about 137 billion floating-point operations."
)

GOOD_EXTRACTIONS = [
    ("What does DGEMM compute?", "It multiplies two dense matrices and adds the result to a third matrix."),
    ("What formula does DGEMM evaluate?", "C = alpha*A*B + beta*C."),
    ("When was DGEMM standardised?", "In 1990, as part of the Level 3 BLAS."),
    (
        "Why is DGEMM fast?",
        "Libraries like OpenBLAS and MKL block the matrices into tiles that fit in the L1 and L2 caches.",
    ),
    ("How close to peak does DGEMM get?", "Close to the peak floating-point throughput of the CPU."),
    ("How many matrices does DGEMM multiply?", "Two dense matrices."),
    (
        "How many operations is a 4096x4096 multiply?",
        "About 137 billion floating-point operations for 4096 by 4096.",
    ),
    ("Which BLAS level is DGEMM?", "DGEMM is a level-3 BLAS routine."),
    ("Name an optimised DGEMM implementation.", "Intel MKL, or OpenBLAS."),
]

BAD_EXTRACTIONS = [
    # outside facts: true or not, they are not in the prose
    ("Why is DGEMM fast?", "Because it runs on the GPU using tensor cores and mixed precision arithmetic."),
    ("What does DGEMM stand for?", "Double-precision general matrix multiply."),
    ("Who wrote the BLAS?", "Jack Dongarra and colleagues at Argonne National Laboratory."),
    ("What is the capital of France?", "Paris is the capital and largest city of France."),
    (
        "How is DGEMM parallelised?",
        "Each thread computes a panel of C using OpenMP and the work is split by rows.",
    ),
]


# --- extraction ---------------------------------------------------------------------------


@pytest.mark.parametrize(("question", "answer"), GOOD_EXTRACTIONS)
def test_supported_extraction_passes(question: str, answer: str) -> None:
    verdict = check_grounding(question, answer, SOURCE, "extraction")
    assert verdict.ok, verdict
    assert verdict.reason is None
    assert verdict.score >= 0.7


@pytest.mark.parametrize(("question", "answer"), BAD_EXTRACTIONS)
def test_unsupported_extraction_fails(question: str, answer: str) -> None:
    verdict = check_grounding(question, answer, SOURCE, "extraction")
    assert not verdict.ok
    assert verdict.score < 0.5
    assert verdict.reason is not None and verdict.reason.startswith("answer terms not in the source: ")
    assert "< 60%)" in verdict.reason
    assert verdict.unsupported


def test_reason_lists_the_unsupported_terms() -> None:
    verdict = check_grounding("?", "Paris is the capital of France.", SOURCE, "extraction")
    assert verdict == GroundingVerdict(
        ok=False,
        score=0.0,
        reason="answer terms not in the source: paris, capital, france (support 0% < 60%)",
        unsupported=("paris", "capital", "france"),
    )


def test_long_lists_are_shortened_in_the_reason() -> None:
    answer = "alpha1 bravo charlie delta echo foxtrot golf hotel india juliet kilo lima"
    verdict = check_grounding("?", answer, SOURCE, "extraction")
    assert not verdict.ok and verdict.reason is not None
    assert "… (+4)" in verdict.reason
    assert len(verdict.unsupported) == 12


def test_hallucinated_number_fails_even_when_words_are_supported() -> None:
    verdict = check_grounding(
        "When?", "DGEMM was standardised in 1987 as part of the Level 3 BLAS.", SOURCE, "extraction"
    )
    assert not verdict.ok
    assert verdict.reason == "number 1987 does not appear in the source"
    assert verdict.score == 1.0  # every word is supported: the number alone sinks it
    assert verdict.unsupported == ("1987",)


def test_several_hallucinated_numbers() -> None:
    verdict = check_grounding(
        "?", "A 2048 by 2048 multiply is about 17 billion operations.", SOURCE, "extraction"
    )
    assert not verdict.ok
    assert verdict.reason == "numbers 2048, 17 do not appear in the source"


@pytest.mark.parametrize(
    "answer",
    [
        "It multiplies 2 dense matrices.",  # "two" in the prose
        "About 137 billion operations for a 4096 by 4096 multiply.",  # "4,096" in the prose
        "A 4,096 by 4,096 multiply.",
        "Level 3.",
    ],
)
def test_number_forms_match(answer: str) -> None:
    verdict = check_grounding("?", answer, SOURCE, "extraction")
    assert verdict.ok, verdict


def test_number_word_in_answer_needs_support() -> None:
    verdict = check_grounding("?", "It multiplies five dense matrices.", SOURCE, "extraction")
    assert not verdict.ok and verdict.reason == "number five does not appear in the source"
    # "one" is a pronoun far more often than a number, so it is not checked
    assert check_grounding("?", "DGEMM is one BLAS routine.", SOURCE, "extraction").ok


def test_inflections_match() -> None:
    source = "The planner computes tile sizes and the scheduler multiplies the matrices."
    verdict = check_grounding(
        "?", "Tile size is computed by the planner; the matrix is multiplied.", source, "extraction"
    )
    assert verdict.ok and verdict.score == 1.0, verdict


def test_threshold_override() -> None:
    answer = "It multiplies two dense matrices using tensor cores and mixed precision."
    default = check_grounding("?", answer, SOURCE, "extraction")
    assert not default.ok and 0.3 < default.score < 0.6
    assert check_grounding("?", answer, SOURCE, "extraction", threshold=0.3).ok
    # a lower threshold never excuses an invented number
    assert not check_grounding("?", "Standardised in 1987.", SOURCE, "extraction", threshold=0.0).ok
    # threshold 1.0: every content word must be in the prose
    assert not check_grounding(
        "?", "DGEMM multiplies matrices quickly.", SOURCE, "extraction", threshold=1.0
    ).ok


# --- expansion ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        (
            "How does cache blocking help matrix multiplication?",
            "Blocking partitions the matrices into tiles that stay resident in cache, reducing memory "
            "traffic; the same idea underlies tiling in GPU kernels and Strassen-like recursive schemes.",
        ),
        (
            "What are alternatives to OpenBLAS?",
            "BLIS, ATLAS and Intel MKL provide tuned BLAS implementations; cuBLAS targets NVIDIA GPUs.",
        ),
        (
            "Is DGEMM used in deep learning?",
            "Yes: fully connected layers are matrix multiplies, so frameworks call DGEMM or its "
            "single-precision sibling SGEMM, usually on GPUs in 2024.",
        ),
    ],
)
def test_relevant_expansion_passes(question: str, answer: str) -> None:
    verdict = check_grounding(question, answer, SOURCE, "expansion")
    assert verdict.ok, verdict
    assert verdict.unsupported  # it goes beyond the prose, as expansions should
    # the same pair would not pass as an extraction
    assert not check_grounding(question, answer, SOURCE, "extraction").ok


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("What is the capital of France?", "Paris is the capital and largest city of France."),
        (
            "How do I bake sourdough bread?",
            "Mix flour, water and starter, rise overnight, bake at 250 degrees.",
        ),
        ("Why does this matter?", "It is important for many reasons in practice."),
    ],
)
def test_off_topic_expansion_fails(question: str, answer: str) -> None:
    verdict = check_grounding(question, answer, SOURCE, "expansion")
    assert not verdict.ok
    assert verdict.reason is not None and verdict.reason.startswith("off topic: ")


def test_expansion_with_one_shared_term_fails_and_names_it() -> None:
    verdict = check_grounding(
        "What is a CPU?", "A processor that executes instructions.", SOURCE, "expansion"
    )
    assert not verdict.ok
    assert verdict.reason == "off topic: shares 1 of the 2 required terms with the source (only: cpu)"


def test_expansion_fraction_threshold() -> None:
    question = "How do matrices relate to caches?"
    answer = " ".join(f"word{i}x" for i in range(40))
    assert check_grounding(question, answer, SOURCE, "expansion").ok is False  # 2 of 42 terms < 10%
    assert check_grounding(question, answer, SOURCE, "expansion", threshold=0.0).ok


def test_expansion_numbers_are_not_checked() -> None:
    verdict = check_grounding(
        "How fast is DGEMM on a GPU compared to a CPU?",
        "Tens of teraflops in FP64 on an H100 in 2023.",
        SOURCE,
        "expansion",
    )
    assert verdict.ok, verdict


# --- degenerate inputs --------------------------------------------------------------------


@pytest.mark.parametrize("strategy", ["extraction", "expansion"])
@pytest.mark.parametrize(
    ("question", "answer", "source"),
    [
        ("", "", ""),
        ("?", "", SOURCE),
        ("What is DGEMM?", "DGEMM multiplies matrices.", ""),
        ("   ", "\n\t", "  \n"),
        ("?!", "...", "!!!"),
        (
            "Qu'est-ce que DGEMM ?",
            "Une multiplication de matrices.",
            "DGEMM est une multiplication de matrices.",
        ),
        ("数学", "矩阵乘法", "矩阵乘法是线性代数的基础"),
        ("q", "a" * 10_000, "a " * 10_000),
        ("q", "1,2,3,4,5 -7 3.14.15 0x1F 1e9", "1 2 3"),
    ],
)
def test_degenerate_inputs_do_not_crash(question: str, answer: str, source: str, strategy: str) -> None:
    verdict = check_grounding(question, answer, source, strategy)  # type: ignore[arg-type]
    assert isinstance(verdict.ok, bool)
    assert 0.0 <= verdict.score <= 1.0
    assert verdict.ok == (verdict.reason is None)


def test_empty_answer_fails_extraction() -> None:
    verdict = check_grounding("What is DGEMM?", "  ", SOURCE, "extraction")
    assert verdict == GroundingVerdict(False, 0.0, "the answer is empty", ())


def test_a_bare_yes_teaches_nothing() -> None:
    # nothing contradicted, but nothing a model could learn either (the rubric's "trivial")
    verdict = check_grounding("Is DGEMM a BLAS routine?", "Yes.", SOURCE, "extraction")
    assert verdict.reason == "the answer only repeats the question"


def test_empty_source_fails() -> None:
    assert not check_grounding("What is DGEMM?", "A matrix multiply.", "", "extraction").ok
    verdict = check_grounding("What is DGEMM?", "A matrix multiply.", "", "expansion")
    assert verdict.reason == "the source has no content words"


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="strategy"):
        check_grounding("q", "a", "s", "free")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="threshold"):
        check_grounding("q", "a", "s", "extraction", threshold=1.5)


@settings(max_examples=300, deadline=None)
@given(
    question=st.text(max_size=80),
    answer=st.text(max_size=200),
    source=st.text(max_size=400),
    strategy=st.sampled_from(["extraction", "expansion"]),
)
def test_never_crashes(question: str, answer: str, source: str, strategy: str) -> None:
    verdict = check_grounding(question, answer, source, strategy)  # type: ignore[arg-type]
    assert 0.0 <= verdict.score <= 1.0
    assert verdict.ok == (verdict.reason is None)


@settings(max_examples=200, deadline=None)
@given(answer=st.text(alphabet=st.characters(categories=("L", "N", "Zs", "P")), max_size=200))
def test_answer_copied_from_the_source_is_supported(answer: str) -> None:
    """Whatever the text, an extraction that is a verbatim slice of its source is never
    rejected for support: it passes with full support unless its form is the problem."""
    source = "Some prose before. " + answer + " And some after."
    verdict = check_grounding("?", answer, source, "extraction")
    if answer.strip() and form_problem("?", answer, source) is None:
        assert verdict.ok and verdict.score == 1.0, verdict


# -- form: useless pairs, whatever their facts (cases from the labelled bench pairs) -------

IDNA = (
    "Support for the Internationalized Domain Names in Applications (IDNA) protocol as specified "
    "in RFC 5891. This is the latest version of the protocol and is sometimes referred to as "
    "IDNA 2008. This library also provides support for Unicode IDNA Compatibility Processing."
)
HEAP = (
    "Heaps are arrays for which a[k] <= a[2*k+1] and a[k] <= a[2*k+2] for all k. The interesting "
    "property of a heap is that a[0] is always its smallest element. Heaps are useful memory "
    "structures to know. I use them in a few applications, and I think it is good to keep a "
    "`heap' module around. :-)"
)


@pytest.mark.parametrize(
    ("question", "answer", "source", "reason"),
    [
        (
            "What are the two standards mentioned in the passage?",
            "RFC 5891 and Unicode IDNA Compatibility Processing.",
            IDNA,
            "the question only makes sense next to the passage (“the passage”)",
        ),
        (
            "What is the purpose of this library?",
            "It provides support for Unicode IDNA Compatibility Processing.",
            IDNA,
            "the question only makes sense next to the passage (“this library?”)",
        ),
        (
            "What is the purpose of these standards?",
            "To provide more comprehensive language coverage.",
            IDNA,
            "the question only makes sense next to the passage (“What is the purpose of these standards”)",
        ),
        (
            "What is the maximum size of files that bzip2 can compress?",
            "The maximum size is not specified in the passage.",
            "bzip2 compresses files. Files of less than about one hundred bytes tend to get larger.",
            "the answer talks about the passage instead of answering (“not specified”)",
        ),
        (
            "What are some applications of heaps?",
            "Heaps are useful memory structures to know. I use them in a few applications.",
            HEAP,
            "the answer repeats the author's first-person remark",
        ),
        (
            "What is a heap?",
            "Heaps are arrays for which a[k] <= a[2*k+1] and a[k] <= a[2*k+2] for all k. The interesting "
            "property of a heap is that a[0] is always its smallest element. Heaps are useful memory "
            "structures to know.",
            HEAP,
            "the answer copies 3 sentences of the passage instead of answering",
        ),
        (
            "What is the name of the Internationalized Domain Names in Applications protocol (IDNA)?",
            "Internationalized Domain Names in Applications (IDNA)",
            IDNA,
            "the answer only repeats the question",
        ),
    ],
)
def test_form_problems(question: str, answer: str, source: str, reason: str) -> None:
    assert form_problem(question, answer, source) == reason
    verdict = check_grounding(question, answer, source, "extraction")
    assert not verdict.ok and verdict.reason == reason


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("Which RFC specifies the IDNA protocol that the idna library supports?", "RFC 5891."),
        ("What is the smallest element of a heap?", "a[0] is always the smallest element of a heap."),
        # one or two copied sentences that answer a specific question are fine
        (
            "What does the heap invariant say?",
            "Heaps are arrays for which a[k] <= a[2*k+1] and a[k] <= a[2*k+2] for all k.",
        ),
        ("How does this differ from IDNA 2003 in Python's encodings.idna module?", "IDNA 2008 is newer."),
    ],
)
def test_good_form_passes(question: str, answer: str) -> None:
    assert form_problem(question, answer, IDNA + " " + HEAP) is None


def test_a_quote_narrows_an_extraction_answer_to_one_sentence() -> None:
    quote = "It was standardised in 1990 as part of the Level 3 BLAS."
    stitched = ("When was DGEMM standardised?", "In 1990, by OpenBLAS and Intel MKL.")
    assert check_grounding(*stitched, SOURCE, "extraction").ok  # every term is somewhere in the passage
    verdict = check_grounding(*stitched, SOURCE, "extraction", quote=quote)
    assert not verdict.ok and verdict.reason is not None and "its quoted sentence" in verdict.reason
    assert check_grounding("When was DGEMM standardised?", "In 1990.", SOURCE, "extraction", quote=quote).ok


@pytest.mark.parametrize(
    "quote",
    [
        "it was STANDARDISED in 1990 as part of the level 3 blas.",  # case
        "It was standardised\n  in 1990 as part of the Level 3 BLAS.",  # line breaks
        "It was standardised in 1990 as part of the ‘Level 3’ BLAS.",  # quotation marks added
        "It was standardized in 1990 as part of the Level 3 BLAS.",  # one letter
    ],
)
def test_a_quote_copied_loosely_is_still_found(quote: str) -> None:
    assert check_grounding("When was DGEMM standardised?", "In 1990.", SOURCE, "extraction", quote=quote).ok


def test_a_quote_the_source_lacks_fails_and_expansion_ignores_quotes() -> None:
    invented = "DGEMM was standardised in 1979 by the LINPACK authors."
    asked = "When was DGEMM standardised?"
    verdict = check_grounding(asked, "In 1990.", SOURCE, "extraction", quote=invented)
    assert verdict == GroundingVerdict(False, 0.0, "the quoted sentence is not in the source", ())
    for blank in ("", "   "):  # no quote: held to the whole source, as before
        assert check_grounding("Who optimises DGEMM?", "OpenBLAS.", SOURCE, "extraction", quote=blank).ok
    question = "What are alternatives to OpenBLAS?"
    answer = "BLIS, ATLAS and Intel MKL provide tuned BLAS implementations; cuBLAS targets NVIDIA GPUs."
    assert check_grounding(question, answer, SOURCE, "expansion", quote=invented).ok


def test_a_huge_source_only_counts_an_exact_copy_of_the_quote() -> None:
    filler = "Padding sentence about nothing in particular. " * 1000
    source = filler + SOURCE
    quote = "It was standardised in 1990 as part of the Level 3 BLAS."
    assert check_grounding("When was DGEMM standardised?", "In 1990.", source, "extraction", quote=quote).ok
    near = quote.replace("standardised", "standardized")
    verdict = check_grounding("When was DGEMM standardised?", "In 1990.", source, "extraction", quote=near)
    assert verdict.reason == "the quoted sentence is not in the source"


def test_a_figure_changed_while_copying_the_quote_supports_nothing() -> None:
    """The quote is found by similarity, so it may differ from the source in a figure;
    only what the source itself says can support the answer."""
    altered = "It was standardised in 1991 as part of the Level 3 BLAS."
    verdict = check_grounding("When was DGEMM standardised?", "In 1991.", SOURCE, "extraction", quote=altered)
    assert not verdict.ok and verdict.reason == "number 1991 does not appear in its quoted sentence"
    # what the quote and the source share still counts
    assert check_grounding(
        "Where was DGEMM standardised?", "In the Level 3 BLAS.", SOURCE, "extraction", quote=altered
    ).ok
