"""Many documents in one run: one teacher and one concurrency budget (`Limiter`)
shared by all, progress across the whole corpus, each document finished on its own.

`run_corpus` starts documents in order, each as soon as the calls already started
would no longer keep the budget busy (fewer calls outstanding than twice the limit),
so the server always has work while only a window of documents is in memory, and
documents finish roughly in order: each is landed (written or staged) by its own
`work` as soon as its calls are done, so an interrupted run keeps every finished
document and a re-run answers the others' finished calls from the reply cache.

`Tally` sums the documents' pipeline progress (calls, pairs, tokens) into one
`CorpusProgress`, with an ETA from the rate of calls that really reached the teacher
(cache hits take no time and would make it lie).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from .cancel import CancelToken
from .concurrency import Limiter
from .pipeline import Progress, ProgressFn

T = TypeVar("T")
R = TypeVar("R")

#: start another document while fewer calls than this many times the limit are outstanding
DEMAND_FACTOR = 2


@dataclass(frozen=True, slots=True)
class CorpusProgress:
    documents_done: int
    documents_total: int
    calls_done: int
    calls_total: int
    accepted: int
    input_tokens: int
    output_tokens: int
    requests: int
    cached: int
    elapsed_s: float
    eta_s: float | None
    limit: int
    message: str

    @property
    def percentage(self) -> int:
        return 100 if self.calls_total == 0 else min(100, round(100 * self.calls_done / self.calls_total))


@dataclass(slots=True)
class _Seen:
    """What one document reported last (its report's counters only grow)."""

    calls: int
    done: int = 0
    accepted: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    requests: int = 0
    cached: int = 0
    finished: bool = False


@dataclass(slots=True)
class Tally:
    documents_total: int
    calls_total: int
    limiter: Limiter
    listener: Callable[[CorpusProgress], None] | None = None
    clock: Callable[[], float] = time.monotonic
    documents_done: int = 0
    calls_done: int = 0
    accepted: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    requests: int = 0
    cached: int = 0
    started: float = field(default=0.0)
    _docs: dict[int, _Seen] = field(default_factory=dict)
    _changed: asyncio.Event | None = None

    def __post_init__(self) -> None:
        self.started = self.clock()

    def begin(self, key: int, calls: int) -> ProgressFn:
        """Count document `key` (expected to make `calls` calls) as started; returns
        the progress callback its pipeline run reports to."""
        self._docs[key] = _Seen(calls)

        def report(progress: Progress) -> None:
            self._update(key, progress)

        return report

    def _update(self, key: int, progress: Progress) -> None:
        seen = self._docs[key]
        usage = progress.usage
        values = (
            progress.done,
            progress.accepted,
            usage.input_tokens if usage else seen.input_tokens,
            usage.output_tokens if usage else seen.output_tokens,
            usage.requests if usage else seen.requests,
            usage.cached if usage else seen.cached,
        )
        before = (seen.done, seen.accepted, seen.input_tokens, seen.output_tokens, seen.requests, seen.cached)
        deltas = [now - then for now, then in zip(values, before, strict=True)]
        (seen.done, seen.accepted, seen.input_tokens, seen.output_tokens, seen.requests, seen.cached) = values
        self.calls_done += deltas[0]
        self.accepted += deltas[1]
        self.input_tokens += deltas[2]
        self.output_tokens += deltas[3]
        self.requests += deltas[4]
        self.cached += deltas[5]
        self._tell(progress.message)

    def finish(self, key: int | None, message: str) -> None:
        """Document `key` is done (landed or failed); its calls not made (cancelled,
        or it could not run) no longer count as outstanding. `key=None` for a
        document that never started."""
        self.documents_done += 1
        seen = self._docs.get(key) if key is not None else None
        if seen is not None:
            seen.finished = True
            skipped = seen.calls - seen.done
        else:
            skipped = 0
        self.calls_total -= max(0, skipped)
        self._tell(message)

    def skip(self, calls: int) -> None:
        """A document that will never start (the run was cancelled first)."""
        self.calls_total -= calls

    @property
    def outstanding(self) -> int:
        return sum(max(0, s.calls - s.done) for s in self._docs.values() if not s.finished)

    def snapshot(self, message: str) -> CorpusProgress:
        elapsed = self.clock() - self.started
        live = self.calls_done - self.cached
        remaining = max(0, self.calls_total - self.calls_done)
        eta = remaining * elapsed / live if live > 0 and elapsed > 0 else None
        return CorpusProgress(
            self.documents_done,
            self.documents_total,
            self.calls_done,
            self.calls_total,
            self.accepted,
            self.input_tokens,
            self.output_tokens,
            self.requests,
            self.cached,
            elapsed,
            eta if remaining else 0.0,
            self.limiter.limit,
            message,
        )

    def _tell(self, message: str) -> None:
        if self._changed is not None:
            self._changed.set()
        if self.listener is not None:
            self.listener(self.snapshot(message))

    async def wait_for_room(self, cancel: CancelToken) -> None:
        """Returns once fewer calls are outstanding than DEMAND_FACTOR × the limit
        (or the run is cancelled)."""
        if self._changed is None:
            self._changed = asyncio.Event()
        while not cancel.cancelled and self.outstanding >= DEMAND_FACTOR * self.limiter.limit:
            self._changed.clear()
            await self._changed.wait()


async def run_corpus(
    items: Sequence[T],
    calls: Sequence[int],
    work: Callable[[int, T, ProgressFn], Awaitable[R]],
    not_started: Callable[[int, T], R],
    *,
    tally: Tally,
    cancel: CancelToken,
) -> list[R]:
    """`work(index, item, progress)` for every item, started in order as the budget
    has room; `not_started(index, item)` for the items a cancel reached first.
    Results come back in the items' order."""
    tasks: list[asyncio.Future[R]] = []
    remaining = list(enumerate(items))
    while remaining and not cancel.cancelled:
        index, item = remaining.pop(0)
        progress = tally.begin(index, calls[index])
        tasks.append(asyncio.ensure_future(work(index, item, progress)))
        if remaining:
            await tally.wait_for_room(cancel)
    results = list(await asyncio.gather(*tasks))
    for index, item in remaining:
        tally.skip(calls[index])
        results.append(not_started(index, item))
    return results
