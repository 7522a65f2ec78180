"""Dedup benchmark: our rapidfuzz dedup against upstream's difflib `_dedupe`, same pairs.

Run from the repository root:  .venv/bin/python bench/bench_dedup.py [--n 2000] [--reps 5]

The candidate pairs are generated deterministically (fixed seed): realistic-length
questions (30-120 characters) and answers (60-600 characters) built from a technical
vocabulary, plus injected near-duplicates of known kinds, plus "hard negatives" (the same
question template about a different entity, with a different answer), which must be kept.

Upstream's actual `dlm.synth.filter._dedupe` runs in `.venv-oracle` in a subprocess that
builds its `PlannedSynthInstruction` objects first and times only the `_dedupe` call, so
neither start-up, import nor object construction is counted. Ours (`find_duplicates`)
runs in-process, best of `--reps`. Upstream never compares with the pairs already in the
document (spec 5.7), so the headline ratio times ours on candidates only (the same work);
ours with the existing pairs is a separate row.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

from bench_parse import best_of as timed  # noqa: E402
from dlm_synth_lsp.synth.dedup import find_duplicates  # noqa: E402

ORACLE_PYTHON = ROOT / ".venv-oracle" / "bin" / "python"
ORACLE_SCRIPT = """
import gc, json, sys, time
sys.path.insert(0, BENCH_DIR)
from dlm.synth.filter import _dedupe
from upstream_oracle import planned_additions
additions = planned_additions(json.load(sys.stdin))
index = {id(addition): i for i, addition in enumerate(additions)}
gc.collect()
t0 = time.perf_counter()
survivors, skipped = _dedupe(additions)
elapsed = time.perf_counter() - t0
print(json.dumps({"elapsed": elapsed, "skipped": sorted(index[id(s.addition)] for s in skipped)}))
""".replace("BENCH_DIR", repr(str(HERE)))

_WORD_TEXT = """
matrix vector kernel cache memory bandwidth latency thread block tile register compiler
loop unroll pipeline scheduler allocator buffer stream queue packet socket handshake
certificate signature checksum index partition shard replica leader follower quorum
transaction isolation snapshot journal checkpoint rollback migration schema column row
tensor gradient optimizer learning rate batch epoch adapter layer attention embedding
token vocabulary prompt teacher student judge threshold margin baseline dataset split
parser grammar section fence marker frontmatter document editor server client request
response timeout retry backoff budget quota limit counter metric histogram trace span
routine library interface module package dependency version release patch regression
"""
_FILLER_TEXT = """
the a of to in and is that for with as on by this it from be are which when can
each its into than only also not more most after before because while so
"""
WORDS = _WORD_TEXT.split()
FILLER = _FILLER_TEXT.split()
ENTITIES = [
    "DGEMM",
    "SGEMM",
    "ZGEMM",
    "DTRSM",
    "OpenBLAS",
    "cuBLAS",
    "LAPACK",
    "FFTW",
    "MPI",
    "NCCL",
    "LoRA",
    "QLoRA",
    "PEFT",
    "SentencePiece",
    "the tokenizer",
    "the scheduler",
    "the allocator",
    "the journal",
    "the replica set",
    "the load balancer",
    "Raft",
    "Paxos",
    "the B-tree",
    "the LSM tree",
    "the bloom filter",
    "the write-ahead log",
]
TEMPLATES = [
    "What does {e} do with the {w1} {w2}?",
    "Why does {e} need a {w1} before the {w2}?",
    "How is the {w1} of {e} related to its {w2}?",
    "When should {e} flush its {w1} to the {w2}?",
    "Which {w1} does {e} use for the {w2}?",
    "What happens to the {w1} when {e} changes the {w2}?",
]
REWORDINGS = [
    ("What does", "Can you explain what"),
    ("Why does", "For what reason does"),
    ("How is", "In what way is"),
    ("When should", "At what point should"),
    ("Which", "What"),
    ("What happens to", "What becomes of"),
]
KINDS = (
    "exact",
    "case_ws",
    "one_char_long",
    "rare_char_long",
    "reworded_question",
    "same_question",
    "of_existing",
)


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS if rng.random() < 0.55 else FILLER) for _ in range(rng.randint(6, 16))]
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def base_pair(rng: random.Random, entity: str | None = None) -> tuple[str, str]:
    e = entity or rng.choice(ENTITIES)
    q = rng.choice(TEMPLATES).format(e=e, w1=rng.choice(WORDS), w2=rng.choice(WORDS))
    answer = ""
    target = rng.choice((rng.randint(60, 180), rng.randint(180, 600)))
    while len(answer) < target:
        answer += (" " if answer else "") + sentence(rng)
    return q, f"{e} {answer[0].lower()}{answer[1:]}"


def case_ws(rng: random.Random, text: str) -> str:
    out = []
    for word in text.split(" "):
        word = word.upper() if rng.random() < 0.1 else word.lower() if rng.random() < 0.2 else word
        out.append(word + rng.choice((" ", " ", " ", "  ", "\n", " \t")))
    return "  " + "".join(out)


def one_char(rng: random.Random, text: str) -> str:
    pos = rng.randrange(len(text))
    op = rng.choice(("sub", "ins", "del"))
    letter = rng.choice("abcdefghijklmnopqrstuvwxyz")
    if op == "sub":
        while letter == text[pos].lower():
            letter = rng.choice("abcdefghijklmnopqrstuvwxyz")
        return text[:pos] + letter + text[pos + 1 :]
    if op == "ins":
        return text[:pos] + letter + text[pos:]
    return text[:pos] + text[pos + 1 :]


def rare_char(rng: random.Random, q: str, a: str) -> str:
    """One letter of the question replaced by a character that occurs at most once in the
    pair (a typo such as "fl8sh"). difflib's autojunk keeps rare characters as anchors, and
    a misplaced anchor is what makes it misalign and score a near-copy low (spec 8.5)."""
    text = (q + a).lower()
    rare = [c for c in "qzjxkvw0123456789" if text.count(c) <= 1] or ["q"]
    letters = [i for i, c in enumerate(q) if c.isalpha()]
    pos = rng.choice(letters)
    return q[:pos] + rng.choice(rare) + q[pos + 1 :]


def reword(q: str) -> str:
    for old, new in REWORDINGS:
        if q.startswith(old):
            return new + q[len(old) :]
    return "Tell me: " + q


def generate(
    n: int, n_existing: int, seed: int = 43
) -> tuple[list[tuple[str, str]], list[str], list[tuple[str, str]]]:
    """`n` candidates with labels ("base", "hard_negative" or a duplicate kind), and the
    existing document pairs. A quarter of the candidates are injected duplicates of an
    earlier base pair (or, for `of_existing`, of an existing pair):

    - exact: the same pair again;
    - case_ws: random words upper/lower-cased, spaces doubled, newlines and tabs;
    - one_char_long: one character substituted, inserted or deleted in the *question* of a
      pair whose key is > 200 characters (so the equal-question check does not fire and
      only the similarity can catch it);
    - rare_char_long: the same, but the new character is one that is rare in the pair (see
      `rare_char`), the kind of edit that trips difflib's autojunk;
    - reworded_question: "Why does X ..." -> "For what reason does X ...", same answer;
    - same_question: the same question with a newly generated answer;
    - of_existing: an existing pair with a one-character edit in its answer, or lower-cased.
    """
    rng = random.Random(seed)
    existing = [base_pair(rng) for _ in range(n_existing)]
    pairs: list[tuple[str, str]] = []
    labels: list[str] = []
    n_dups = n // 4
    n_hard = n // 10
    plan = (
        ["base"] * (n - n_dups - n_hard)
        + ["hard_negative"] * n_hard
        + [KINDS[i % len(KINDS)] for i in range(n_dups)]
    )
    # originals first so every duplicate has an earlier base pair to point at
    head = ["base"] * 200
    tail = [k for k in plan if k != "base"] + ["base"] * (plan.count("base") - 200)
    rng.shuffle(tail)
    for kind in head + tail:
        base_indices = [i for i, lab in enumerate(labels) if lab == "base"]
        if kind == "base":
            pair = base_pair(rng)
        elif kind == "hard_negative":
            q, _ = pairs[rng.choice(base_indices)]
            entity = next(e for e in sorted(ENTITIES, key=len, reverse=True) if e in q)
            other = rng.choice([e for e in ENTITIES if e != entity])
            pair = base_pair(rng, other)
            pair = (q.replace(entity, other), pair[1])
        elif kind == "of_existing":
            q, a = rng.choice(existing)
            pair = (q, one_char(rng, a)) if rng.random() < 0.5 else (q.lower(), a)
        else:
            if kind in ("one_char_long", "rare_char_long"):
                long_ones = [i for i in base_indices if len(pairs[i][0]) + len(pairs[i][1]) > 200]
                q, a = pairs[rng.choice(long_ones)]
            else:
                q, a = pairs[rng.choice(base_indices)]
            if kind == "exact":
                pair = (q, a)
            elif kind == "case_ws":
                pair = (case_ws(rng, q), case_ws(rng, a))
            elif kind == "one_char_long":  # in the question, so the equal-question check misses it
                pair = (one_char(rng, q), a)
            elif kind == "rare_char_long":
                pair = (rare_char(rng, q, a), a)
            elif kind == "reworded_question":
                pair = (reword(q), a)
            else:  # same_question
                pair = (q, base_pair(rng)[1])
        pairs.append(pair)
        labels.append(kind)
    return pairs, labels, existing




def tally(labels: list[str], flagged: set[int]) -> dict[str, tuple[int, int]]:
    """kind -> (flagged, total)."""
    totals = Counter(labels)
    hits = Counter(labels[i] for i in flagged)
    return {kind: (hits[kind], totals[kind]) for kind in (*KINDS, "base", "hard_negative")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--existing", type=int, default=300)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()

    pairs, labels, existing = generate(args.n, args.existing)
    key_lengths = [len(q) + len(a) + 1 for q, a in pairs]
    print(
        f"{len(pairs)} candidates ({Counter(labels)['base']} base, {len(existing)} existing pairs), "
        f"key length median {statistics.median(key_lengths):.0f}, max {max(key_lengths)}, "
        f"{sum(k >= 200 for k in key_lengths)} keys >= 200 chars"
    )

    ours_times = timed(args.reps, lambda: find_duplicates(pairs))
    ours_ex_times = timed(args.reps, lambda: find_duplicates(pairs, existing))
    ours = find_duplicates(pairs)
    ours_ex = find_duplicates(pairs, existing)
    assert ours == find_duplicates(pairs), "not deterministic"
    ours_flagged = {i for i, d in enumerate(ours) if d is not None}
    ours_ex_flagged = {i for i, d in enumerate(ours_ex) if d is not None}

    up_time: float | None = None
    up_flagged: set[int] = set()
    if ORACLE_PYTHON.exists():
        proc = subprocess.run(
            [str(ORACLE_PYTHON), "-c", ORACLE_SCRIPT],
            input=json.dumps(pairs),
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(proc.stdout)
        up_time = result["elapsed"]
        up_flagged = set(result["skipped"])

    best, median = min(ours_times), statistics.median(ours_times)
    print(f"\n{'row':<52} {'best':>10} {'median':>10}")
    print(f"{'ours find_duplicates(candidates)':<52} {best * 1e3:>8.1f}ms {median * 1e3:>8.1f}ms")
    print(
        f"{'ours find_duplicates(candidates, existing)':<52} "
        f"{min(ours_ex_times) * 1e3:>8.1f}ms {statistics.median(ours_ex_times) * 1e3:>8.1f}ms"
    )
    if up_time is not None:
        print(f"{'upstream _dedupe (difflib, 1 run)':<52} {up_time * 1e3:>8.1f}ms")
        print(f"\nratio upstream / ours (best): {up_time / best:.0f}x  (median: {up_time / median:.0f}x)")

    print(f"\n{'flagged as duplicate, by kind':<22} {'upstream':>10} {'ours':>10} {'ours+existing':>14}")
    up_t, ours_t, ex_t = (
        tally(labels, up_flagged),
        tally(labels, ours_flagged),
        tally(labels, ours_ex_flagged),
    )
    for kind in ours_t:
        total = ours_t[kind][1]
        cells = [f"{t[kind][0]}/{total}" for t in (up_t, ours_t, ex_t)]
        if up_time is None:
            cells[0] = "-"
        note = "  (false positives)" if kind in ("base", "hard_negative") else ""
        print(f"{kind:<22} {cells[0]:>10} {cells[1]:>10} {cells[2]:>14}{note}")
    reasons = Counter(
        d.reason if d.reason.startswith("same") or d.reason.startswith("ident") else "similar"
        for d in ours_ex
        if d is not None
    )
    print(f"\nours+existing reasons: {dict(reasons)}")


if __name__ == "__main__":
    main()
