"""Near-duplicate detection for synthesized question/answer pairs.

Upstream (spec 5.7) compares each candidate with every earlier survivor using
`difflib.SequenceMatcher(...).ratio() > 0.95` on `norm(q) + "\\n" + norm(a)`. Two problems
make that a poor model to copy (spec 8.5):

- difflib's *autojunk* heuristic drops every character that occurs in more than 1% of a
  key of 200+ characters from its index (every common letter and the space), so matching
  is anchored on the few rare characters left. When an edit puts an anchor in the wrong
  place, a near-copy collapses: a one-character typo in a 306-character pair scores 0.108
  (pinned in tests/synth/test_dedup.py; spec 8.5 measured 0.218). How often that happens
  depends on where the edit falls; in bench/bench_dedup.py it mostly costs reworded pairs
  just above the threshold.
- It is quadratic in pure Python: thousands of `SequenceMatcher` objects per candidate.

Here the similarity is the normalised Indel similarity from rapidfuzz
(`2·LCS(a, b) / (len a + len b)`, the same quantity as `fuzz.ratio / 100` and as difflib's
ratio *without* autojunk), computed in C with `score_cutoff` so hopeless pairs exit early.
Two cheap filters run before it:

- an exact lookup of the normalised question and of the whole key (dicts), and
- a length window: since LCS <= min(len a, len b), a pair can only reach ratio `t` when the
  shorter key is at least `t / (2 - t)` times the longer one, so keys are kept sorted by
  length and only the window that can qualify is scored.

Semantics (a superset of upstream's, deterministic, order-dependent in the same way):

- Candidates are walked in order. Candidate *i* is a duplicate when it matches a pair already
  in the document (`existing`), or an earlier candidate that itself survived. Comparing
  only with survivors is what upstream does; it means a chain A ≈ B ≈ C with A !≈ C keeps
  A and C.
- "Matches" means: the normalised questions are equal (and non-empty), or the similarity
  of the normalised keys is >= `threshold`.
- When several pairs match, the first one is reported, existing pairs before candidates and
  lower indices first (upstream reports the first survivor that matches).

The default threshold 0.95 is upstream's. With it a single substituted character is a
duplicate for keys of 20+ characters (`1 - 1/n`), two for 40+; keys of realistic pairs are
far longer, so short-key false positives ("What is DGEMM?" vs "What is SGEMM?" with the
*same* short answer) are the accepted cost, as upstream. Different answers to different
questions are far below 0.95.

This module is protocol-free (no pygls/lsprotocol); the caller turns `DuplicateOf` into a
user-facing message (section ids, ranges).
"""

from __future__ import annotations

import bisect
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import process
from rapidfuzz.distance import Indel

DEFAULT_THRESHOLD = 0.95

# Sentence punctuation a teacher adds or drops at the ends of a question or answer without
# changing its meaning ("What is DGEMM?" / "What is DGEMM"). Deliberately not all of
# Unicode category P: '#', '%' or a closing bracket can be meaningful ("What is C#?").
_END_PUNCT = ".?!…,;:。？！､、 "
# Guards the float comparison at exactly the threshold (e.g. 38/40 == 0.95).
_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class DuplicateOf:
    """Why a candidate is a duplicate.

    `kind` says which input `index` points into: `"existing"` (a pair already in the
    document) or `"candidate"` (an earlier candidate that survived). `score` is the key
    similarity in 0..1 (1.0 for an equal question). `reason` is a short human text such as
    `"same question"` or `"97% similar"`.
    """

    kind: Literal["existing", "candidate"]
    index: int
    score: float
    reason: str


def normalize(text: str) -> str:
    """Canonical form used for comparing pairs.

    NFKC (full-width letters, ligatures, non-breaking spaces), `casefold` (stronger than
    `lower`, e.g. 'ß'), whitespace runs collapsed to one space, and sentence punctuation
    (`.?!…,;:`) stripped at both ends. Upstream's `norm` is `" ".join(t.strip().lower()
    .split())`; everything it considers equal is equal here too.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(folded.split()).strip(_END_PUNCT)


def _key(question: str, answer: str) -> tuple[str, str]:
    q = normalize(question)
    return q, q + "\n" + normalize(answer)


def _length_window(length: int, threshold: float) -> tuple[float, float]:
    """Key lengths that can reach `threshold` against a key of `length` characters."""
    return length * threshold / (2.0 - threshold) - _EPS, length * (2.0 - threshold) / threshold + _EPS


class _Pool:
    """Keys of one kind (existing or surviving candidates) indexed for fast matching."""

    def __init__(self, threshold: float) -> None:
        self._threshold = threshold
        self._by_question: dict[str, int] = {}
        self._by_key: dict[str, int] = {}
        # parallel lists sorted by (key length, index)
        self._lengths: list[int] = []
        self._keys: list[str] = []
        self._indices: list[int] = []

    def add(self, index: int, question: str, key: str) -> None:
        if question:
            self._by_question.setdefault(question, index)
        self._by_key.setdefault(key, index)
        pos = bisect.bisect_right(self._lengths, len(key))
        self._lengths.insert(pos, len(key))
        self._keys.insert(pos, key)
        self._indices.insert(pos, index)

    def match(self, question: str, key: str) -> tuple[int, float, str] | None:
        """The lowest index matching `question`/`key`, with score and reason."""
        best: tuple[int, float, str] | None = None
        if question and (hit := self._by_question.get(question)) is not None:
            best = (hit, 1.0, "same question")
        if (hit := self._by_key.get(key)) is not None and (best is None or hit < best[0]):
            best = (hit, 1.0, "identical pair")
        lo_len, hi_len = _length_window(len(key), self._threshold)
        lo = bisect.bisect_left(self._lengths, lo_len)
        hi = bisect.bisect_right(self._lengths, hi_len)
        if lo < hi:
            for _choice, score, pos in process.extract(
                key,
                self._keys[lo:hi],
                scorer=Indel.normalized_similarity,
                score_cutoff=self._threshold - _EPS,
                limit=None,
            ):
                index = self._indices[lo + pos]
                if best is None or index < best[0]:
                    best = (index, float(score), f"{math.floor(float(score) * 100)}% similar")
        return best


class DedupIndex:
    """`find_duplicates` one candidate at a time, for a run that filters replies as
    they arrive: the existing pairs are normalised and indexed once, and each checked
    candidate that survives joins the index. Candidate indices count checks."""

    def __init__(
        self, existing: Sequence[tuple[str, str]] = (), *, threshold: float = DEFAULT_THRESHOLD
    ) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold}")
        self._old = _Pool(threshold)
        for index, (question, answer) in enumerate(existing):
            self._old.add(index, *_key(question, answer))
        self._survivors = _Pool(threshold)
        self._checked = 0

    def check(self, question: str, answer: str) -> DuplicateOf | None:
        """What the pair duplicates, or None (and it is remembered as a survivor)."""
        index = self._checked
        self._checked += 1
        q, key = _key(question, answer)
        hit = self._old.match(q, key)
        if hit is not None:
            return DuplicateOf("existing", *hit)
        hit = self._survivors.match(q, key)
        if hit is not None:
            return DuplicateOf("candidate", *hit)
        self._survivors.add(index, q, key)
        return None


def find_duplicates(
    candidates: Sequence[tuple[str, str]],
    existing: Sequence[tuple[str, str]] = (),
    *,
    threshold: float = DEFAULT_THRESHOLD,
) -> list[DuplicateOf | None]:
    """For each `(question, answer)` candidate, in order: what it duplicates, or None.

    `existing` are the pairs already in the document (upstream never compares with them,
    spec 8.2, so re-running synth re-adds pairs). `threshold` is the minimum key
    similarity in (0, 1]; 1.0 means only exact (normalised) duplicates.
    """
    index = DedupIndex(existing, threshold=threshold)
    return [index.check(question, answer) for question, answer in candidates]
