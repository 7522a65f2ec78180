"""`support`: the local teacher's model check on every pair of a run, recorded as
`support_margin` (what `grounded+check` decides from, `generate.refilter`).

It runs the product's own check (`synth/local/check.py`: the loaded model asked whether
the passage supports the pair, log P(yes) − log P(no) of its first reply token) on the
bundled default model, so the benchmark measures what the pipeline does. Resumable: a
pair that already has a margin is skipped, and the file is rewritten after every
document.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from dlm_synth_lsp.synth.backends import build_teacher
from dlm_synth_lsp.synth.cancel import CancelToken
from dlm_synth_lsp.synth.grounding import SUPPORT_MARGIN
from dlm_synth_lsp.synth.teachers.base import TeacherOptions

from .records import read_jsonl, write_jsonl


async def _margins(
    run_file: Path, selector: str, threads: int, only: set[str] | None, checked_only: bool
) -> int:
    records = list(read_jsonl(run_file))
    todo = [
        r
        for r in records
        if r.get("kind") == "pair"
        and r.get("support_margin") is None
        and (only is None or r["id"] in only)
        and not (checked_only and SUPPORT_MARGIN[r["call_strategy"]] is None)
    ]
    if not todo:
        return 0
    teacher = build_teacher(selector, TeacherOptions(threads=threads, timeout_s=900))
    cancel = CancelToken()
    await teacher.prepare(cancel)
    check = teacher.support_check()  # type: ignore[attr-defined]
    if check is None:
        raise SystemExit(f"{selector} has no support check")
    known: dict[tuple[str, str], float] = {}
    started = time.monotonic()
    try:
        for done, pair in enumerate(todo, 1):
            key = (pair["id"], pair["call_strategy"])
            if key not in known:
                known[key] = await check.margin(
                    pair["source_text"], pair["question"], pair["answer"], pair["call_strategy"], cancel
                )
            pair["support_margin"] = round(known[key], 4)
            if done % 20 == 0 or done == len(todo):
                write_jsonl(run_file, records)
                rate = (time.monotonic() - started) / done
                print(f"{run_file.name}: {done}/{len(todo)} pairs, {rate:.1f} s per pair", flush=True)
    finally:
        write_jsonl(run_file, records)
        await teacher.aclose()
    return len(todo)


def support(
    run_file: Path,
    selector: str = "local",
    threads: int = 2,
    only: set[str] | None = None,
    checked_only: bool = False,
) -> int:
    """Adds `support_margin` to the pairs of `run_file` (those in `only`, when given;
    with `checked_only`, only pairs of a strategy the pipeline checks); returns how many
    were computed."""
    return asyncio.run(_margins(run_file, selector, threads, only, checked_only))

