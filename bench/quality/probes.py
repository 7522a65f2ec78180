"""`probes`: signals tried for telling good extraction pairs from bad ones, measured on
the labelled pairs and not adopted (bench/README.md, "What else was tried").

The accepted extraction pairs are ~72% good; the rest are mostly fluent misreadings
built from the passage's own words (a figure from the wrong sentence, a parameter name
from elsewhere, an answer that does not answer its question), which the lexical checks
cannot see. Each probe scores a pair (higher = more likely good) and is reported as the
area under the ROC curve against the labels, among the pairs the model-free checks of
`grounded` already accept, so it says what the probe would add:

- `check`: the product's model check (`synth/local/check.py`, the extraction question)
  on the bundled model: `support_margin` as `support` records it;
- `roundtrip`: the model answers the pair's question from the passage alone (greedy,
  90 tokens), and the pair's answer terms that are not in the question are compared with
  the re-answer's (Jaccard); a re-answer of "not stated" scores 0;
- `locality`: the share of the answer's terms found in the best single passage sentence
  (a misreading often stitches words from two places).

An AUC of 0.5 is chance; to lift the accepted share from ~72% to 90% while keeping
most good pairs a probe would need ~0.9.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from dlm_synth_lsp.synth import grounding
from dlm_synth_lsp.synth.grounding import check_grounding

from .metrics import resolve_label
from .records import HERE, append_jsonl, read_jsonl

ROUNDTRIP = HERE / "probes" / "roundtrip.jsonl"
ROUNDTRIP_SYSTEM = (
    "You answer questions about a passage of documentation. Use only what the passage states. "
    "Answer in one or two short sentences. If the passage does not answer the question, reply "
    "exactly: not stated."
)
_SENTENCE = re.compile(r"(?<=[.!?:;])\s+|\n+")


def _terms(text: str) -> set[str]:
    found = grounding._terms(text, number_words=True)
    return set(found.words) | set(found.numbers)


def roundtrip_score(question: str, answer: str, reanswer: str) -> float:
    if "not stated" in reanswer.casefold():
        return 0.0
    asked = _terms(question)
    said, again = _terms(answer) - asked, _terms(reanswer) - asked
    union = said | again
    return len(said & again) / len(union) if union else 1.0


def locality_score(answer: str, source: str) -> float:
    said = _terms(answer)
    if not said:
        return 1.0
    sentences = [_terms(s) for s in _SENTENCE.split(source) if s.strip()]
    return max((len(said & s) / len(said) for s in sentences), default=0.0)


def auc(positive: Sequence[float], negative: Sequence[float]) -> float | None:
    """P(a random good pair scores above a random bad one), ties counting half."""
    if not positive or not negative:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in positive for n in negative)
    return wins / (len(positive) * len(negative))


def extraction_pairs(
    records: Iterable[Mapping[str, Any]], labels: Mapping[str, Sequence[Mapping[str, Any]]]
) -> list[tuple[Mapping[str, Any], str]]:
    """Each labelled extraction pair once (the first record of its id), with its label,
    among those the model-free checks accept."""
    seen: dict[str, tuple[Mapping[str, Any], str]] = {}
    margins: dict[str, float] = {}
    for record in records:
        if record.get("kind") != "pair" or record.get("call_strategy") != "extraction":
            continue
        pid = str(record["id"])
        if record.get("support_margin") is not None:
            margins.setdefault(pid, float(record["support_margin"]))
        label = resolve_label(labels.get(pid, []))
        if label is None or pid in seen:
            continue
        if check_grounding(record["question"], record["answer"], record["source_text"], "extraction").ok:
            seen[pid] = (record, label)
    # a margin recorded on any run's copy of the pair counts (`support` fills some runs only)
    return [({**pair, "support_margin": margins.get(pid)}, label) for pid, (pair, label) in seen.items()]


def reanswer(pairs: Sequence[Mapping[str, Any]], model: Path, threads: int) -> int:
    """Asks the model each pair's question (resumable: answers are appended to
    `ROUNDTRIP` by pair id); returns how many were asked now."""
    from dlm_synth_lsp.synth.cancel import CancelToken
    from dlm_synth_lsp.synth.local import llamacpp
    from dlm_synth_lsp.synth.teachers.base import Prompt, SamplingParams

    done = {str(r["id"]) for r in read_jsonl(ROUNDTRIP)}
    todo = sorted(
        (p for p in pairs if str(p["id"]) not in done), key=lambda p: (p["source_text"], p["question"])
    )
    if not todo:
        return 0
    loaded = llamacpp.load_gguf(model, threads=threads)
    params = SamplingParams(max_new_tokens=90)
    started = time.monotonic()
    for count, pair in enumerate(todo, 1):
        user = f"Passage:\n<<<\n{pair['source_text'].strip()}\n>>>\n\nQuestion: {pair['question']}"
        reply = llamacpp.generate(
            loaded,
            Prompt(ROUNDTRIP_SYSTEM, user),
            params,
            CancelToken(),
            timeout_s=300,
            schema=None,
            name=model.name,
        )
        append_jsonl(ROUNDTRIP, [{"id": pair["id"], "model": model.name, "reanswer": reply.text}])
        if count % 20 == 0 or count == len(todo):
            rate = (time.monotonic() - started) / count
            print(f"roundtrip: {count}/{len(todo)} pairs, {rate:.1f} s per pair", flush=True)
    return len(todo)


def probe_table(pairs: Sequence[tuple[Mapping[str, Any], str]]) -> str:
    answers = {str(r["id"]): str(r["reanswer"]) for r in read_jsonl(ROUNDTRIP)}
    probes: dict[str, Callable[[Mapping[str, Any]], float | None]] = {
        "check": lambda p: p.get("support_margin"),
        "roundtrip": lambda p: (
            roundtrip_score(p["question"], p["answer"], answers[p["id"]]) if p["id"] in answers else None
        ),
        "locality": lambda p: locality_score(p["answer"], p["source_text"]),
    }
    lines = [
        "| probe | pairs scored | good | not good | AUC good vs not good | AUC good vs unsupported |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, score in probes.items():
        scored = [(s, label) for pair, label in pairs if (s := score(pair)) is not None]
        good = [s for s, label in scored if label == "good"]
        bad = [s for s, label in scored if label != "good"]
        unsupported = [s for s, label in scored if label == "unsupported"]
        cells = [_fmt(auc(good, bad)), _fmt(auc(good, unsupported))]
        lines.append(f"| {name} | {len(scored)} | {len(good)} | {len(bad)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"
