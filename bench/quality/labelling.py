"""The blinded labelling queue.

Labellers must not know which system, model, strategy or prompt produced a pair (or they
would grade the tool, not the pair), so the queue holds only what the rubric needs: the
passage, the question and the answer, under the pair's content id. Items are de-duplicated
by id (one label serves every run that produced the pair) and shuffled with a fixed seed,
so pairs from one call or one system do not sit together and the file is reproducible.

A labeller writes one line per item to `bench/quality/labels.jsonl`:
`{"id": "...", "label": "good|trivial|unsupported|malformed", "labeller": "...", "note": "..."}`
(`note` optional; see RUBRIC.md).
"""

from __future__ import annotations

import random
import textwrap
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .records import LABEL_CLASSES, append_jsonl, load_labels, load_runs, read_jsonl, write_jsonl


def unlabelled_items(records: Iterable[dict[str, Any]], labelled: set[str]) -> list[dict[str, Any]]:
    """One blinded item per distinct unlabelled pair id, in first-seen order."""
    items: dict[str, dict[str, Any]] = {}
    for record in records:
        if record.get("kind") != "pair" or record["id"] in labelled or record["id"] in items:
            continue
        items[record["id"]] = {
            "id": record["id"],
            "passage": record["source_text"],
            "question": record["question"],
            "answer": record["answer"],
        }
    return list(items.values())


def blinded(items: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    """Sorted by id first so the order depends only on the set of items and the seed."""
    ordered = sorted(items, key=lambda item: item["id"])
    random.Random(seed).shuffle(ordered)
    return [{"n": number, **item} for number, item in enumerate(ordered, 1)]


def write_queue(runs: list[Path], labels: Path, out: Path, *, seed: int) -> int:
    labelled = set(load_labels(labels))
    items = blinded(unlabelled_items(load_runs(runs), labelled), seed)
    write_jsonl(out, items, sort_keys=False)  # n, id, passage, question, answer: reading order
    return len(items)


KEYS = {cls[0]: cls for cls in LABEL_CLASSES}  # g t u m


def label_interactively(
    queue: Path,
    labels: Path,
    labeller: str,
    ask: Callable[[str], str] = input,
    say: Callable[[str], None] = print,
) -> int:
    """Shows each queued item this labeller has not labelled yet and appends the answer
    (g/t/u/m, then an optional note) to `labels`; `s` skips, `q` stops. Returns how many
    labels were written. Nothing about a pair's origin is shown."""
    done = {pid for pid, ls in load_labels(labels).items() if any(x.get("labeller") == labeller for x in ls)}
    items = [item for item in read_jsonl(queue) if item["id"] not in done]
    written = 0
    for number, item in enumerate(items, 1):
        say(f"\n[{number}/{len(items)}] {item['id']}\n--- passage ---")
        say(textwrap.indent(item["passage"], "  "))
        say(f"--- question ---\n  {item['question']}\n--- answer ---\n  {item['answer']}")
        while True:
            key = ask("label [g]ood [t]rivial [u]nsupported [m]alformed, [s]kip, [q]uit: ").strip().lower()
            if key in KEYS or key in ("s", "q"):
                break
        if key == "q":
            break
        if key == "s":
            continue
        note = ask("note (optional): ").strip()
        record = {"id": item["id"], "label": KEYS[key], "labeller": labeller}
        if note:
            record["note"] = note
        append_jsonl(labels, [record])
        written += 1
    return written
