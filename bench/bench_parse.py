"""Parse benchmark: our full parse, our incremental edit, and upstream's parser.

Run from the repository root:  .venv/bin/python bench/bench_parse.py [--reps N]

Upstream runs in `.venv-oracle` in a subprocess that times its own loop, so neither
interpreter start-up nor import time is counted.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from dlm_synth_lsp.document.document import Document, TextChange, parse_text  # noqa: E402
from dlm_synth_lsp.document.text import PositionEncoding  # noqa: E402
from gen_doc import generate  # noqa: E402

ORACLE_PYTHON = ROOT / ".venv-oracle" / "bin" / "python"
ORACLE_SCRIPT = """
import gc, json, sys, time
from dlm.doc.parser import parse_text
text = open(sys.argv[1], encoding="utf-8").read()
for request in sys.stdin:
    times = []
    for _ in range(int(request)):
        gc.collect()
        t0 = time.perf_counter()
        parsed = parse_text(text)
        times.append(time.perf_counter() - t0)
    print(json.dumps({"times": times, "sections": len(parsed.sections)}), flush=True)
"""


def best_of(reps: int, fn: Callable[[], object]) -> list[float]:
    times = []
    for _ in range(reps):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def incremental(
    doc: Document, reps: int, with_problems: bool, text: str = "x"
) -> tuple[list[float], Document]:
    """Keystrokes in the middle of the document: alternately type `text` (one character)
    and delete it again, each edit applied to the previous result (so no cache is warm).
    With `text` "\n" (Enter, then joining the lines) every edit moves all later lines."""
    row = len(doc.lines) // 2
    while not doc.lines[row].strip():
        row += 1
    times = []
    for index in range(reps * 2):
        if index % 2 == 0:
            change = TextChange(text, (row, 1, row, 1))
        elif text == "\n":
            change = TextChange("", (row, 1, row + 1, 0))
        else:
            change = TextChange("", (row, 1, row, 2))
        t0 = time.perf_counter()
        doc = doc.apply(change, PositionEncoding.UTF16)
        doc.sections  # noqa: B018
        if with_problems:
            doc.problems  # noqa: B018
        times.append(time.perf_counter() - t0)
    return times, doc


class Upstream:
    """upstream's parser in a long-lived `.venv-oracle` process, timing its own loop."""

    def __init__(self, path: str) -> None:
        self.proc = subprocess.Popen(
            [str(ORACLE_PYTHON), "-c", ORACLE_SCRIPT, path],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.sections = 0

    def run(self, reps: int) -> list[float]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{reps}\n")
        self.proc.stdin.flush()
        result = json.loads(self.proc.stdout.readline())
        self.sections = result["sections"]
        return list(result["times"])

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait()


def fmt(seconds: float) -> str:
    return f"{seconds * 1000:10.3f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=5, help="repetitions per round")
    parser.add_argument("--rounds", type=int, default=6, help="interleaved rounds (best of reps*rounds)")
    parser.add_argument("--bytes", type=int, default=1_000_000, help="document size")
    args = parser.parse_args()

    text = generate(args.bytes)
    doc = parse_text(text)
    print(
        f"document: {len(text):,} characters, {len(doc.lines):,} lines, "
        f"{len(doc.sections):,} sections, {len(doc.problems)} problems"
    )

    with tempfile.NamedTemporaryFile("w", suffix=".dlm", delete=False, encoding="utf-8") as handle:
        handle.write(text)
    oracle = Upstream(handle.name) if ORACLE_PYTHON.exists() else None
    # interleave rounds of every measurement, so load drift on the machine hits all alike
    full: list[float] = []
    full_problems: list[float] = []
    inc: list[float] = []
    inc_problems: list[float] = []
    enter: list[float] = []
    up_times: list[float] = []
    after = doc
    try:
        for _ in range(args.rounds):
            full += best_of(args.reps, lambda: parse_text(text).sections)
            full_problems += best_of(args.reps, lambda: (d := parse_text(text)).sections and d.problems)
            times, after = incremental(after, args.reps, with_problems=False)
            inc += times
            times, after = incremental(after, args.reps, with_problems=True)
            inc_problems += times
            times, after = incremental(after, args.reps, with_problems=False, text="\n")
            enter += times
            if oracle is not None:
                up_times += oracle.run(args.reps)
    finally:
        if oracle is not None:
            oracle.close()
        os.unlink(handle.name)
    assert after.text == doc.text and after.sections == doc.sections
    up = (up_times, oracle.sections) if oracle is not None else None

    rows = [
        ("(a) full parse_text + .sections", full),
        ("(a') full parse_text + .sections + .problems", full_problems),
        ("(b) incremental 1-char edit + .sections", inc),
        ("(b') incremental 1-char edit + .sections + .problems", inc_problems),
        ("(b'') incremental Enter/join (lines move) + .sections", enter),
    ]
    if up is not None:
        rows.append((f"(c) upstream parse_text ({up[1]:,} sections)", up[0]))
    print(f"\nbest of {args.reps * args.rounds} (median in brackets), python {sys.version.split()[0]}")
    for name, times in rows:
        print(f"  {name:<54}{fmt(min(times))}  [{fmt(statistics.median(times)).strip()}]")
    if up is not None:
        c = min(up[0])
        print("\nratios (best times; higher is better for us)")
        print(f"  (c)/(b)   upstream / incremental          {c / min(inc):8.1f}x   target >= 50x")
        print(f"  (c)/(b')  upstream / incremental+problems {c / min(inc_problems):8.1f}x")
        print(f"  (c)/(b'') upstream / incremental Enter     {c / min(enter):8.1f}x")
        print(f"  (c)/(a)   upstream / full parse           {c / min(full):8.2f}x   target > 1x")
        print(f"  (c)/(a')  upstream / full parse+problems  {c / min(full_problems):8.2f}x")
    else:
        print("\n.venv-oracle not found: upstream timing skipped")


if __name__ == "__main__":
    main()
