"""Near-duplicate detection: what counts as a duplicate, which pair it points at, and the
one-character variants that upstream's difflib autojunk misses (spec 8.5)."""

from __future__ import annotations

import random
from difflib import SequenceMatcher

import pytest
from dlm_synth_lsp.synth.dedup import DuplicateOf, find_duplicates, normalize
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import Indel

LONG_ANSWER = (
    "OpenBLAS reads the cache sizes of the CPU at startup and picks panel widths so that one panel of A "
    "and one of B stay resident in the L2 cache while the micro-kernel streams through them."
)


_WORD_TEXT = "matrix cache kernel thread buffer tile panel stream queue lock core page"
WORDS = _WORD_TEXT.split()


def _upstream_norm(text: str) -> str:
    return " ".join(text.strip().lower().split())


def _upstream_ratio(a: tuple[str, str], b: tuple[str, str]) -> float:
    """Upstream's `_similarity_ratio(_dedup_key(a), _dedup_key(b))`: difflib with autojunk."""
    key_a = _upstream_norm(a[0]) + "\n" + _upstream_norm(a[1])
    key_b = _upstream_norm(b[0]) + "\n" + _upstream_norm(b[1])
    return SequenceMatcher(a=key_a, b=key_b).ratio()


def _key(pair: tuple[str, str]) -> str:
    return normalize(pair[0]) + "\n" + normalize(pair[1])


# --- normalize ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  What   is\tDGEMM?\n", "what is dgemm"),
        ("WHAT IS DGEMM", "what is dgemm"),
        ("What is DGEMM…", "what is dgemm"),
        ("Ｗｈａｔ is DGEMM?", "what is dgemm"),  # full-width letters (NFKC)
        ("Straße", "strasse"),  # casefold, not lower
        ("What is C#?", "what is c#"),  # '#' is meaningful, only sentence punctuation goes
        ("", ""),
        ("?!.", ""),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


# --- basic decisions ----------------------------------------------------------------------


def test_same_question_different_answer_is_a_duplicate() -> None:
    result = find_duplicates(
        [("What is DGEMM?", "A matrix multiply."), ("What is DGEMM?", "A BLAS routine.")]
    )
    assert result == [None, DuplicateOf("candidate", 0, 1.0, "same question")]


@pytest.mark.parametrize(
    "variant",
    [
        ("what is dgemm?", "a matrix multiply."),
        ("  What  is\nDGEMM? ", "A matrix\tmultiply."),
        ("WHAT IS DGEMM", "A MATRIX MULTIPLY"),
        ("What is DGEMM.", "A matrix multiply"),
    ],
)
def test_case_whitespace_and_end_punctuation_variants(variant: tuple[str, str]) -> None:
    result = find_duplicates([("What is DGEMM?", "A matrix multiply."), variant])
    assert result[0] is None
    assert result[1] is not None and result[1].kind == "candidate" and result[1].index == 0
    assert result[1].score == 1.0


def test_different_short_questions_are_kept() -> None:
    pairs = [
        ("What is C#?", "A language from Microsoft."),
        ("What is C?", "A systems programming language."),
        ("What does DGEMM compute?", "C = alpha*A*B + beta*C for dense double matrices."),
        ("Who maintains OpenBLAS?", "A group of volunteers on GitHub."),
        ("How big is an L2 cache?", "Typically 256 KiB to 2 MiB per core."),
    ]
    assert find_duplicates(pairs) == [None] * len(pairs)


def test_empty_inputs() -> None:
    assert find_duplicates([]) == []
    assert find_duplicates([], [("q", "a")]) == []
    # empty questions are not "the same question"; the keys still compare
    result = find_duplicates(
        [("", "an answer that is long enough"), ("", "something else entirely, unrelated")]
    )
    assert result == [None, None]
    assert find_duplicates([("", ""), ("", "")])[1] == DuplicateOf("candidate", 0, 1.0, "identical pair")


@pytest.mark.parametrize("threshold", [0.0, -0.1, 1.01])
def test_threshold_out_of_range(threshold: float) -> None:
    with pytest.raises(ValueError, match="threshold"):
        find_duplicates([("q", "a")], threshold=threshold)


def test_threshold_one_means_only_exact() -> None:
    a = ("How does OpenBLAS choose its block sizes?", LONG_ANSWER)
    b = ("How does OpenBLAS choose its block size?", LONG_ANSWER)
    assert find_duplicates([a, b], threshold=1.0) == [None, None]
    assert find_duplicates([a, b])[1] is not None


# --- one-character variants: the autojunk bug ---------------------------------------------

# A 306-character key (question + answer) and a one-character typo in the question
# ("fflush"); the generator in bench/bench_dedup.py produces pairs like this.
AUTOJUNK_PAIR = (
    "When should the load balancer flush its prompt to the kernel?",
    "the load balancer transaction is after packet row while metric packet baseline. Learning document "
    "this on prompt counter client row. Isolation span loop library checksum the while regression backoff "
    "are partition index can replica which kernel.",
)
AUTOJUNK_VARIANT = (AUTOJUNK_PAIR[0].replace("flush", "fflush"), AUTOJUNK_PAIR[1])


def test_one_char_variant_of_long_pair_is_caught_where_upstream_misses_it() -> None:
    key = _upstream_norm(AUTOJUNK_PAIR[0]) + "\n" + _upstream_norm(AUTOJUNK_PAIR[1])
    assert len(key) >= 300
    # upstream: the questions differ and difflib (autojunk on for >= 200 chars) scores the
    # keys far below its 0.95 cut, so it keeps both
    assert _upstream_norm(AUTOJUNK_PAIR[0]) != _upstream_norm(AUTOJUNK_VARIANT[0])
    assert _upstream_ratio(AUTOJUNK_VARIANT, AUTOJUNK_PAIR) < 0.95
    # without the junk heuristic difflib agrees with us: only one character differs
    no_junk = SequenceMatcher(a=_key(AUTOJUNK_VARIANT), b=_key(AUTOJUNK_PAIR), autojunk=False).ratio()
    assert no_junk > 0.99

    result = find_duplicates([AUTOJUNK_PAIR, AUTOJUNK_VARIANT])
    assert result[0] is None
    dup = result[1]
    assert dup is not None and (dup.kind, dup.index) == ("candidate", 0)
    assert dup.score == pytest.approx(no_junk)
    assert dup.reason == "99% similar"


def test_every_one_char_edit_of_a_long_pair_is_caught() -> None:
    rng = random.Random(7)
    original = (
        "How does OpenBLAS pick the block size for its DGEMM kernel?",
        LONG_ANSWER + " " + LONG_ANSWER,
    )
    q, a = original
    for _ in range(200):
        pos = rng.randrange(len(q))
        op = rng.choice(("sub", "ins", "del"))
        letter = rng.choice("abcdefghijklmnopqrstuvwxyz0123456789")
        if op == "sub":
            edited = q[:pos] + letter + q[pos + 1 :]
        elif op == "ins":
            edited = q[:pos] + letter + q[pos:]
        else:
            edited = q[:pos] + q[pos + 1 :]
        result = find_duplicates([original, (edited, a)])
        assert result[1] is not None, edited


def test_dissimilar_long_pairs_are_kept() -> None:
    rng = random.Random(3)
    words = WORDS
    pairs = [
        (
            f"Question {i}: how does the {rng.choice(words)} use the {rng.choice(words)}?",
            " ".join(rng.choice(words) for _ in range(60)),
        )
        for i in range(30)
    ]
    assert find_duplicates(pairs) == [None] * 30


def test_score_threshold_is_inclusive() -> None:
    # 20-character keys differing by one substituted character: 38/40 == 0.95 exactly
    a = ("abcdefghij", "klmnopqrs")
    b = ("abcdefghij", "klmnopqrX")
    assert Indel.normalized_similarity(_key(a), _key(b)) == pytest.approx(0.95)
    a2, b2 = ("abcdefghi", "jklmnopqrs"), ("abcdefghX", "jklmnopqrs")  # questions differ
    assert find_duplicates([a2, b2])[1] is not None
    assert find_duplicates([a2, b2], threshold=0.96)[1] is None


# --- existing pairs and first-survivor semantics -------------------------------------------


def test_duplicate_of_existing_pair() -> None:
    existing = [("What is BLAS?", "An API for linear algebra."), ("What is DGEMM?", "A matrix multiply.")]
    candidates = [("what is dgemm", "It multiplies matrices."), ("What is LAPACK?", "A solver library.")]
    assert find_duplicates(candidates, existing) == [DuplicateOf("existing", 1, 1.0, "same question"), None]
    # without the document's pairs (upstream's behaviour) the first is new
    assert find_duplicates(candidates) == [None, None]


def test_existing_is_reported_before_an_earlier_candidate() -> None:
    existing = [("What is DGEMM?", "A matrix multiply.")]
    candidates = [("What is LAPACK?", "A solver library."), ("What is DGEMM?", "Another answer.")]
    result = find_duplicates(candidates, existing)
    assert result == [None, DuplicateOf("existing", 0, 1.0, "same question")]
    # a candidate duplicating an existing pair is not a survivor: later copies point at the document
    again = find_duplicates([("What is DGEMM?", "x"), ("What is DGEMM?", "y")], existing)
    assert [d.kind if d else None for d in again] == ["existing", "existing"]


def _chain() -> tuple[tuple[str, str], tuple[str, str], tuple[str, str]]:
    """A ≈ B and B ≈ C, but A !≈ C (at 0.95)."""
    answer = "x" * 30  # keys of 59 characters: one substitution costs 1/59
    a = ("q abcdefghijklmnopqrstuvwxyz", answer)
    b = ("q a1c1efghijklmnopqrstuvwxyz", answer)  # 2 substitutions from A
    c = ("q a1c1e1g1ijklmnopqrstuvwxyz", answer)  # 2 from B, 4 from A
    return a, b, c


def test_chain_premises() -> None:
    a, b, c = _chain()
    assert Indel.normalized_similarity(_key(a), _key(b)) >= 0.95
    assert Indel.normalized_similarity(_key(b), _key(c)) >= 0.95
    assert Indel.normalized_similarity(_key(a), _key(c)) < 0.95


def test_only_survivors_are_compared() -> None:
    a, b, c = _chain()
    result = find_duplicates([a, b, c])
    # B is dropped as a duplicate of A, so C (which only resembles B) survives
    assert result[0] is None
    assert result[1] is not None and result[1].index == 0
    assert result[2] is None


def test_first_matching_survivor_is_reported() -> None:
    a, b, c = _chain()
    # A and C both survive; B matches both and points at the first
    result = find_duplicates([a, c, b])
    assert result[:2] == [None, None]
    assert result[2] is not None and (result[2].kind, result[2].index) == ("candidate", 0)
    # with the order of the survivors swapped it points at C, now the first
    result = find_duplicates([c, a, b])
    assert result[2] is not None and result[2].index == 0


def test_deterministic() -> None:
    a, b, c = _chain()
    pairs = [a, b, c, AUTOJUNK_PAIR, AUTOJUNK_VARIANT, a]
    assert find_duplicates(pairs) == find_duplicates(list(pairs))


# --- properties ---------------------------------------------------------------------------

_TEXT = st.text(alphabet="abcdefgh ?.", min_size=1, max_size=60)
_OTHER = st.text(alphabet="stuvwxyz", min_size=1, max_size=60)


def _restyle(pair: tuple[str, str], upper: bool, spaces: int) -> tuple[str, str]:
    q, a = pair
    pad = " " * spaces
    return (pad + (q.upper() if upper else q) + pad, (a.upper() if upper else a) + "\n" * spaces)


@settings(max_examples=200, deadline=None)
@given(
    repeated=st.tuples(_TEXT, _TEXT).filter(lambda p: normalize(p[0]) != ""),
    others=st.lists(st.tuples(_OTHER, _OTHER), max_size=12),
    positions=st.lists(st.integers(min_value=0, max_value=20), min_size=2, max_size=6),
    styles=st.lists(st.tuples(st.booleans(), st.integers(0, 3)), min_size=6, max_size=6),
)
def test_repeated_pair_keeps_exactly_one_copy(
    repeated: tuple[str, str],
    others: list[tuple[str, str]],
    positions: list[int],
    styles: list[tuple[bool, int]],
) -> None:
    pairs: list[tuple[str, str]] = list(others)
    for n, pos in enumerate(positions):
        pairs.insert(min(pos, len(pairs)), _restyle(repeated, *styles[n]))
    copies = [i for i, p in enumerate(pairs) if normalize(p[0]) == normalize(repeated[0])]
    assert len(copies) == len(positions)
    result = find_duplicates(pairs)
    kept = [i for i in copies if result[i] is None]
    # the other pairs share no letter with it, so the first copy survives and the rest point at it
    assert kept == [copies[0]]
    for i in copies[1:]:
        dup = result[i]
        assert dup is not None and dup.kind == "candidate" and dup.index == copies[0]


@settings(max_examples=200, deadline=None)
@given(pairs=st.lists(st.tuples(st.text("abc ", max_size=12), st.text("abc ", max_size=12)), max_size=25))
def test_duplicates_point_at_earlier_survivors(pairs: list[tuple[str, str]]) -> None:
    result = find_duplicates(pairs)
    assert len(result) == len(pairs)
    for i, dup in enumerate(result):
        if dup is None:
            continue
        assert dup.kind == "candidate" and 0 <= dup.index < i
        assert result[dup.index] is None  # only survivors are compared with
        assert 0.95 <= dup.score <= 1.0
        match = Indel.normalized_similarity(_key(pairs[i]), _key(pairs[dup.index]))
        same_q = normalize(pairs[i][0]) != "" and normalize(pairs[i][0]) == normalize(pairs[dup.index][0])
        assert same_q or match >= 0.95 - 1e-9
    # no two survivors are duplicates of each other
    survivors = [pairs[i] for i, d in enumerate(result) if d is None]
    assert all(d is None for d in find_duplicates(survivors))


@settings(max_examples=100, deadline=None)
@given(
    groups=st.lists(st.tuples(_OTHER, _OTHER), min_size=1, max_size=6, unique_by=lambda p: normalize(p[0])),
    data=st.data(),
)
def test_exact_duplicate_groups_order_independent(groups: list[tuple[str, str]], data: st.DataObject) -> None:
    """With only exact/case/whitespace copies (no near-misses between groups beyond what the
    threshold decides), the kept set is the same whatever the order."""
    pairs = [_restyle(g, upper, spaces) for g in groups for upper, spaces in ((False, 0), (True, 2))]
    shuffled = data.draw(st.permutations(pairs))
    kept_a = {_key(p) for p, d in zip(pairs, find_duplicates(pairs), strict=True) if d is None}
    kept_b = {_key(p) for p, d in zip(shuffled, find_duplicates(shuffled), strict=True) if d is None}
    assert len(kept_a) == len(kept_b)
    # each group is represented once whatever the order (copies normalise to the same key)
    assert {k.split("\n")[0] for k in kept_a} == {k.split("\n")[0] for k in kept_b}


def test_against_existing_is_order_independent() -> None:
    existing = [
        (f"What does routine {i} compute?", f"Routine {i} computes thing {i * 7}.") for i in range(20)
    ]
    rng = random.Random(5)
    words = WORDS
    candidates = [
        (f"WHAT DOES ROUTINE {i} COMPUTE", " ".join(rng.choice(words) for _ in range(12)))
        for i in range(0, 40, 3)
    ]
    # mutually distinct, so survivors among candidates cannot interfere
    assert find_duplicates(candidates) == [None] * len(candidates)
    forward = find_duplicates(candidates, existing)
    backward = find_duplicates(candidates[::-1], existing)
    assert [(d.kind, d.index) if d else None for d in forward] == [
        (d.kind, d.index) if d else None for d in backward[::-1]
    ]
    assert sum(d is not None for d in forward) == 7  # routines 0, 3, ..., 18


def test_many_candidates_are_fast() -> None:
    """A smoke check for the length window, far from a benchmark: 2,000 long pairs with
    distinct lengths must not take the quadratic path's seconds."""
    import time

    rng = random.Random(11)
    words = WORDS
    pairs = [
        (f"Q{i} about {rng.choice(words)}?", " ".join(rng.choice(words) for _ in range(rng.randint(20, 90))))
        for i in range(2000)
    ]
    t0 = time.perf_counter()
    result = find_duplicates(pairs, pairs[:300])
    assert time.perf_counter() - t0 < 20.0
    assert all(d is not None and d.kind == "existing" for d in result[:300])


def test_short_keys_one_substitution_is_a_duplicate() -> None:
    """The accepted cost of a ratio threshold (upstream's too, documented in dedup.py): for
    short keys one different character is already >= 95% similar, even when it changes the
    subject. Realistic pairs are far longer; this pins the behaviour so a change is visible."""
    result = find_duplicates(
        [("What is DGEMM?", "A matrix multiply."), ("What is SGEMM?", "A matrix multiply.")]
    )
    assert result[1] is not None and result[1].reason == "96% similar"
    # a different answer, as real pairs about different subjects have, keeps it
    assert find_duplicates(
        [("What is DGEMM?", "A matrix multiply."), ("What is SGEMM?", "Single precision.")]
    ) == [
        None,
        None,
    ]
