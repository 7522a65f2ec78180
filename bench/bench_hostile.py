"""Hostile-input benchmark (issue 14, items 12 and 13): checking a frontmatter with many
unknown keys, and a keystroke (edit + hover) in a 10 MB line.

Run from the repository root:

    .venv/bin/python bench/bench_hostile.py [--keys 1000,10000,100000] [--line-mb 10] [--reps 5]

To time another checkout (e.g. main before the fix) put its `server/` first on the
path: `PYTHONPATH=/path/to/old/server .venv/bin/python bench/bench_hostile.py ...`.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable

from dlm_synth_lsp.document import parse_text
from dlm_synth_lsp.document.document import Document, TextChange
from dlm_synth_lsp.document.text import PositionEncoding, chars_to_units
from dlm_synth_lsp.lsp import features
from lsprotocol import types as lsp

FM = "---\ndlm_id: 01KPQ9X1000000000000000000\nbase_model: smollm2-135m\n---\n"


def timed(reps: int, action: Callable[[], object]) -> list[float]:
    times = []
    for _ in range(reps):
        gc.collect()
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return times


def frontmatter_keys(count: int, reps: int) -> list[float]:
    keys = "".join(f"key_{index}: {index}\n" for index in range(count))
    text = FM.replace("---\n", "---\n" + keys, 1) + "\nSome prose.\n"
    return timed(reps, lambda: parse_text(text).problems)


def long_line_keystrokes(megabytes: int, word: str, reps: int) -> list[float]:
    """Alternately type and delete one character in the middle of the line, then ask
    for a hover there (a VS Code client does both on every keystroke), UTF-16."""
    line = (word + " ") * (megabytes * 1_000_000 // (len(word) + 1))
    doc: Document = parse_text(FM + "\n# Title\n" + line + "\n")
    row = doc.lines.index(line)
    encoding = PositionEncoding.UTF16
    column = chars_to_units(line, len(line) // 2, encoding)
    state = {"doc": doc, "typed": False}

    def keystroke() -> None:
        current: Document = state["doc"]  # type: ignore[assignment]
        if state["typed"]:
            change = TextChange("", (row, column, row, column + 1))
        else:
            change = TextChange("x", (row, column, row, column))
        new = current.apply(change, encoding)
        _ = new.problems
        features.hover(new, lsp.Position(line=row, character=column), encoding)
        state["doc"], state["typed"] = new, not state["typed"]

    keystroke()  # warm: the first one also builds caches
    return timed(reps, keystroke)


def row(name: str, times: list[float]) -> str:
    best, median = min(times) * 1000, statistics.median(times) * 1000
    return f"| {name} | {best:,.1f} ms | {median:,.1f} ms | {len(times)} |"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keys", default="1000,10000,100000")
    parser.add_argument("--line-mb", type=int, default=10)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    print("| what | best | median | runs |\n|---|---:|---:|---:|")
    for count in [int(k) for k in args.keys.split(",") if k]:
        reps = args.reps if count <= 10_000 else 1
        times = frontmatter_keys(count, reps)
        print(row(f"frontmatter with {count:,} unknown keys: parse + problems", times))
    for word, what in (("word", "ASCII"), ("wörd", "non-ASCII")):
        times = long_line_keystrokes(args.line_mb, word, args.reps)
        print(row(f"keystroke + hover in a {args.line_mb} MB {what} line", times))


if __name__ == "__main__":
    main()
