"""How many teacher calls are in flight: one budget per run (every document of a
corpus shares it) that adapts to what the server can take.

A fixed number is wrong for almost every server: 4 leaves a vLLM deployment that
batches hundreds of sequences idle, and is already too many for a llama.cpp server
with one slot, where queued requests only wait (and time out). So the limit starts
from a value chosen by teacher kind (or the server's own report of its slots, see
`Budget`) and moves, bounded by the ceiling (`--concurrency`):

- **back off at once on overload**: a 429/503/529 answer halves the limit. Only a
  request sent under the current limit can halve it again, so the burst of 429s
  that one too-large wave brings back counts once; from then on the limit grows
  back by one slot per window (additive increase, as TCP after a loss);
- **back off on rising latency**: after each window (as many completions as the
  limit), an upper-quartile latency well above the best window's while throughput did
  not grow means requests queue in the server: the limit shrinks by a tenth, and
  from then on grows by one slot per window. Latency alone never takes it below half
  its start: a server that slows down for everyone looks the same, and shrinking
  would then only cost throughput;
- **grow while throughput grows**: a window that was limit-bound (calls waited for a
  slot), did not queue and finished faster than the one before grows the limit by
  half; one that was limit-bound without queueing probes one more slot; a window
  that queued never grows it.

This is the AIMD-with-latency shape of TCP congestion control and of Netflix's
concurrency-limits library, sized for the few hundred calls of a run rather than a
service's steady stream. In-process teachers (`hf:`, `self`) run one pass at a time
and get a fixed budget of one.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

#: a window whose median latency exceeds the best one by this factor is queueing
LATENCY_TOLERANCE = 1.3
#: throughput must beat the previous window by this much to count as growth
GROWTH_MIN = 0.1

#: (limiter id, epoch) of the slot the current task holds
_SLOT_EPOCH: ContextVar[tuple[int, int]] = ContextVar("dlm_synth_slot_epoch", default=(0, -1))


@dataclass(frozen=True, slots=True)
class Budget:
    """Where a run's limit starts and the ceiling it never passes; `adaptive=False`
    keeps it at `start`."""

    start: int
    ceiling: int
    adaptive: bool = True

    def __post_init__(self) -> None:
        if self.ceiling < 1:
            raise ValueError("a concurrency ceiling must be >= 1")

    def capped(self, ceiling: int | None) -> Budget:
        """This budget under a user's ceiling (`--concurrency`), when one is set."""
        if ceiling is None:
            return Budget(min(self.start, self.ceiling), self.ceiling, self.adaptive)
        return Budget(min(self.start, ceiling), ceiling, self.adaptive and ceiling > 1)


#: defaults by teacher kind. Cloud APIs rate-limit per account: start moderately and
#: let 429s find the account's limit. An OpenAI-compatible server of unknown make may
#: be a one-slot laptop server: start low and grow. Servers that say what they are
#: refine this (`teachers/server_teacher.py`: vLLM and SGLang batch continuously,
#: llama.cpp reports its slots).
CLOUD = Budget(8, 64)
UNKNOWN_SERVER = Budget(4, 64)
BATCHING_SERVER = Budget(64, 256)
ONE_AT_A_TIME = Budget(1, 1, adaptive=False)


@runtime_checkable
class Budgeted(Protocol):
    """A teacher that knows a better starting budget than its ceiling (remote
    teachers, once prepared). Teachers without it run at a fixed `max_in_flight`."""

    @property
    def budget(self) -> Budget: ...


@dataclass(frozen=True, slots=True)
class Change:
    """One move of the limit, for reports and tests: when (seconds since the
    limiter was configured), to what, and why."""

    at: float
    limit: int
    why: str


class Limiter:
    """The run's slots. `slot()` holds one for a teacher call; `overloaded()` is what
    a teacher calls when the server says it is overloaded (TeacherOptions.pressure);
    `wait_for_room()` lets a corpus start its next document only when the calls
    already queued would not fill the free slots."""

    def __init__(self, budget: Budget | None = None, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._waiters: deque[asyncio.Future[int]] = deque()
        self._room: list[asyncio.Future[None]] = []
        self.in_flight = 0
        self.changes: list[Change] = []
        self._budget: Budget | None = None
        self._limit = 1.0
        self._epoch = 0
        #: below this the limit grows by half per window, above it by one (TCP's
        #: slow-start threshold): after an overload, growth stays careful
        self._threshold = float("inf")
        self._baseline: float | None = None
        self._prev_throughput: float | None = None
        self._t0 = 0.0
        self._window_start = 0.0
        self._latencies: list[float] = []
        self._target = 1
        self._busy = False
        if budget is not None:
            self.configure(budget)

    # -- set-up and state

    @property
    def configured(self) -> bool:
        return self._budget is not None

    def configure(self, budget: Budget) -> None:
        self._budget = budget
        self._limit = float(max(1, min(budget.start, budget.ceiling)))
        self._t0 = self._clock()
        self.changes.append(Change(0.0, self.limit, "start"))
        self._new_window()
        self._grant()

    @property
    def budget(self) -> Budget:
        return self._budget if self._budget is not None else ONE_AT_A_TIME

    @property
    def limit(self) -> int:
        return max(1, int(self._limit))

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    @property
    def peak(self) -> int:
        return max(change.limit for change in self.changes) if self.changes else 1

    # -- slots

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        epoch = await self._acquire()
        token = _SLOT_EPOCH.set((id(self), epoch))
        started = self._clock()
        ok = False
        try:
            yield
            ok = True
        finally:
            _SLOT_EPOCH.reset(token)
            # a call sent under an earlier limit says nothing about the current one
            self._release(self._clock() - started, ok and epoch == self._epoch)

    async def _acquire(self) -> int:
        """Takes a slot; returns the epoch it was granted in (the limit's generation,
        so an overload reported on it later is judged by the limit it was sent under)."""
        if self._budget is not None and not self._waiters and self.in_flight < self.limit:
            self.in_flight += 1
            self._busy = self._busy or self.in_flight >= self.limit
            return self._epoch
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._waiters.append(future)
        self._busy = True
        try:
            return await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.in_flight -= 1  # granted, then cancelled: give the slot back
                self._grant()
            else:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(future)
                self._tell_room()
            raise

    def _grant(self) -> None:
        while self._waiters and self.in_flight < self.limit:
            future = self._waiters.popleft()
            if not future.done():
                self.in_flight += 1
                future.set_result(self._epoch)
        self._tell_room()

    def _release(self, latency: float, ok: bool) -> None:
        self.in_flight -= 1
        if ok:
            self._latencies.append(latency)
            if len(self._latencies) >= self._target:
                self._evaluate()
        self._grant()

    async def wait_for_room(self) -> None:
        """Returns once fewer calls wait for a slot than the limit allows in flight."""
        while len(self._waiters) >= self.limit:
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._room.append(future)
            await future

    def _tell_room(self) -> None:
        if len(self._waiters) < self.limit:
            room, self._room = self._room, []
            for future in room:
                if not future.done():
                    future.set_result(None)

    # -- adapting

    def overloaded(self, status: int | None = None) -> None:
        """The server answered 429/503/529 to a call: halve the limit, unless that
        call was sent before the last decrease (its wave was already counted)."""
        budget = self._budget
        if budget is None or not budget.adaptive:
            return
        owner, epoch = _SLOT_EPOCH.get()
        if owner == id(self) and epoch < self._epoch:
            return
        self._set(max(1.0, self._limit / 2), f"overloaded ({status})" if status else "overloaded")
        self._threshold = self._limit
        self._epoch += 1
        self._prev_throughput = None
        self._new_window()

    def _new_window(self) -> None:
        self._window_start = self._clock()
        self._latencies = []
        self._target = self.limit
        self._busy = bool(self._waiters) or self.in_flight >= self.limit

    def _evaluate(self) -> None:
        budget = self.budget
        elapsed = max(self._clock() - self._window_start, 1e-6)
        throughput = len(self._latencies) / elapsed
        latency = _upper_quartile(self._latencies)
        baseline = latency if self._baseline is None else min(latency, self._baseline)
        queueing = latency > baseline * LATENCY_TOLERANCE
        previous = self._prev_throughput
        grew = previous is None or throughput > previous * (1 + GROWTH_MIN)
        if budget.adaptive:
            if queueing:
                if not grew:
                    floor = max(1.0, budget.start / 2)
                    self._set(min(self._limit, max(floor, self._limit * 0.9)), "latency rising")
                    self._threshold = self._limit  # found the server's size: grow by one from here
            elif self._busy and grew:
                step = self._limit * 1.5 if self._limit < self._threshold else self._limit + 1
                self._set(min(float(budget.ceiling), max(self._limit + 1, step)), "throughput grew")
            elif self._busy:
                self._set(min(float(budget.ceiling), self._limit + 1), "probing")
        self._baseline = baseline
        self._prev_throughput = throughput
        self._new_window()

    def _set(self, limit: float, why: str) -> None:
        before = self.limit
        self._limit = limit
        if self.limit != before:
            self.changes.append(Change(round(self._clock() - self._t0, 3), self.limit, why))
            self._grant()


def _upper_quartile(values: list[float]) -> float:
    """The 75th percentile: it moves as soon as a quarter of the calls wait for a
    slot, where the median only moves once half of them do."""
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=4, method="inclusive")[2]


def budget_of(teacher: object) -> Budget:
    """The budget a teacher asks for: its own (`Budgeted`) or a fixed one of its
    `max_in_flight`."""
    if isinstance(teacher, Budgeted):
        return teacher.budget
    ceiling = max(1, int(getattr(teacher, "max_in_flight", 1)))
    return Budget(ceiling, ceiling, adaptive=False)
