"""The benchmark's files: run records (JSON lines) and labels, keyed by content.

A pair's id is a hash of (source passage, question, answer) and nothing else, so the same
pair produced by two runs, two systems or two prompt versions shares one label.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
RUNS = HERE / "runs"
LABELS = HERE / "labels.jsonl"
LABEL_CLASSES = ("good", "trivial", "unsupported", "malformed")


def pair_id(passage: str, question: str, answer: str) -> str:
    """16 hex digits of sha256 over the three stripped texts (JSON-encoded, so no
    separator can be forged by the texts themselves)."""
    key = json.dumps([passage.strip(), question.strip(), answer.strip()], ensure_ascii=False)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    if not path.exists():
        return
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise SystemExit(f"{path}:{number}: not JSON ({exc.msg})") from None


def append_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> None:
    """Appends and flushes: a run killed between documents loses nothing it wrote."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
        fh.flush()


def write_jsonl(path: Path, records: Iterable[dict[str, Any]], *, sort_keys: bool = True) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False, sort_keys=sort_keys) + "\n")


def load_runs(paths: Iterable[Path]) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for path in paths:
        records.extend(read_jsonl(path))
    return records


def load_labels(path: Path = LABELS) -> dict[str, list[dict[str, Any]]]:
    """id -> every label given to it (several labellers may label one pair)."""
    labels: dict[str, list[dict[str, Any]]] = {}
    for record in read_jsonl(path):
        label = record.get("label")
        if label not in LABEL_CLASSES:
            raise SystemExit(f"{path}: label {label!r} for {record.get('id')} is not one of {LABEL_CLASSES}")
        labels.setdefault(str(record["id"]), []).append(record)
    return labels
