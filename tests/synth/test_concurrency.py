"""The run's concurrency budget (`synth/concurrency.py`), driven with a fake clock:
it grows while throughput grows, holds or shrinks when latency rises, halves on
overload and recovers, and never passes its ceiling; budgets by teacher kind."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from dlm_synth_lsp.synth.concurrency import (
    BATCHING_SERVER,
    CLOUD,
    ONE_AT_A_TIME,
    UNKNOWN_SERVER,
    Budget,
    Limiter,
    budget_of,
)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Server:
    """A server with `slots` parallel slots answering each call in `service` seconds
    (simulated time): a call beyond the slots waits for one, so its latency grows."""

    def __init__(self, clock: Clock, slots: int, service: float) -> None:
        self.clock = clock
        self.slots = slots
        self.service = service
        self.free_at: list[float] = [0.0] * slots

    def finish_time(self) -> float:
        slot = min(range(self.slots), key=lambda i: self.free_at[i])
        start = max(self.clock.now, self.free_at[slot])
        self.free_at[slot] = start + self.service
        return self.free_at[slot]


async def drive(
    limiter: Limiter,
    clock: Clock,
    calls: int,
    finish: Callable[[int], float],
    on_call: Callable[[int], None] | None = None,
) -> list[int]:
    """Runs `calls` calls through the limiter in simulated time (each ends at
    `finish(i)`, decided when it starts; `on_call(i)` runs when its answer arrives,
    as a 429 does); returns the in-flight count at each start."""
    seen: list[int] = []
    ends: list[tuple[float, asyncio.Future[None]]] = []
    loop = asyncio.get_running_loop()

    async def call(i: int) -> None:
        async with limiter.slot():
            seen.append(limiter.in_flight)
            done: asyncio.Future[None] = loop.create_future()
            ends.append((finish(i), done))
            await done
            if on_call is not None:
                on_call(i)

    tasks = [asyncio.ensure_future(call(i)) for i in range(calls)]
    while not all(t.done() for t in tasks):
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        pending = [(t, f) for t, f in ends if not f.done()]
        if not pending:
            continue
        when = min(t for t, _ in pending)
        clock.now = max(clock.now, when)
        for t, f in pending:
            if t <= when:
                f.set_result(None)
    await asyncio.gather(*tasks)
    return seen


def run(coro: object) -> object:
    return asyncio.run(coro)  # type: ignore[arg-type]


def test_grows_while_throughput_grows_and_stops_at_the_servers_slots() -> None:
    clock = Clock()
    limiter = Limiter(Budget(4, 256), clock=clock)
    server = Server(clock, slots=32, service=1.0)
    seen = run(drive(limiter, clock, 600, lambda _: server.finish_time()))
    assert isinstance(seen, list)
    whys = [c.why for c in limiter.changes]
    assert "throughput grew" in whys
    # it reached the server's capacity, and latency rising above it stopped the growth
    assert max(seen) >= 32
    assert limiter.peak < 80, limiter.changes
    assert limiter.limit <= 64, limiter.changes


def test_never_passes_the_ceiling() -> None:
    clock = Clock()
    limiter = Limiter(Budget(2, 6), clock=clock)
    seen = run(drive(limiter, clock, 200, lambda i: clock.now + 1.0))
    assert isinstance(seen, list)
    assert max(seen) == 6 and limiter.limit == 6


def test_halves_on_overload_once_per_wave_and_recovers() -> None:
    clock = Clock()
    limiter = Limiter(Budget(16, 16), clock=clock)
    overloaded = set(range(16))  # the whole first wave is answered 429

    def on_call(i: int) -> None:
        if i in overloaded:
            limiter.overloaded(429)

    seen = run(drive(limiter, clock, 300, lambda i: clock.now + 1.0, on_call))
    assert isinstance(seen, list)
    drops = [c for c in limiter.changes if c.why.startswith("overloaded")]
    assert [c.limit for c in drops] == [8], limiter.changes  # 16 stale 429s count once
    assert max(seen[16:24]) <= 8  # backed off: no more than 8 in flight right after
    # and recovered to the ceiling once the 429s stopped, one slot per window
    rises = [c.limit for c in limiter.changes if c.why in ("throughput grew", "probing")]
    assert rises == list(range(9, 17)), limiter.changes
    assert limiter.limit == 16 and max(seen[-16:]) == 16


def test_a_second_overload_under_the_new_limit_halves_again() -> None:
    clock = Clock()
    limiter = Limiter(Budget(16, 16), clock=clock)

    def on_call(i: int) -> None:
        if i in (0, 1, 20):  # call 20 starts after the first decrease, call 1 before it
            limiter.overloaded(503)

    run(drive(limiter, clock, 40, lambda i: clock.now + 1.0, on_call))
    assert [c.limit for c in limiter.changes if c.why.startswith("overloaded")] == [8, 4]


def test_rising_latency_backs_off() -> None:
    clock = Clock()
    limiter = Limiter(UNKNOWN_SERVER, clock=clock)
    server = Server(clock, slots=4, service=1.0)  # a small server: calls beyond 4 queue
    seen = run(drive(limiter, clock, 400, lambda _: server.finish_time()))
    assert isinstance(seen, list)
    assert any(c.why == "latency rising" for c in limiter.changes)
    # it found the server's size and stayed near it instead of growing to its ceiling
    assert limiter.peak <= 8 and max(seen[40:]) <= 8, limiter.changes


def test_a_server_that_slows_for_everyone_does_not_collapse_the_limit() -> None:
    clock = Clock()
    limiter = Limiter(Budget(16, 16), clock=clock)
    # latency triples after call 100 whatever we do: not our queue
    seen = run(drive(limiter, clock, 400, lambda i: clock.now + (1.0 if i < 100 else 3.0)))
    assert isinstance(seen, list)
    assert limiter.limit >= 8, limiter.changes  # half its start at worst


def test_fixed_budget_never_moves() -> None:
    clock = Clock()
    limiter = Limiter(ONE_AT_A_TIME, clock=clock)
    seen = run(drive(limiter, clock, 20, lambda i: clock.now + 1.0, lambda i: limiter.overloaded(429)))
    assert seen == [1] * 20
    assert [c.limit for c in limiter.changes] == [1]


def test_calls_wait_until_the_limiter_is_configured() -> None:
    async def scenario() -> list[int]:
        limiter = Limiter()
        order: list[int] = []

        async def call(i: int) -> None:
            async with limiter.slot():
                order.append(i)

        tasks = [asyncio.ensure_future(call(i)) for i in range(3)]
        await asyncio.sleep(0.01)
        assert order == []
        limiter.configure(Budget(2, 2, adaptive=False))
        await asyncio.gather(*tasks)
        return order

    assert run(scenario()) == [0, 1, 2]


def test_a_cancelled_waiter_gives_its_slot_back() -> None:
    async def scenario() -> int:
        limiter = Limiter(Budget(1, 1, adaptive=False))
        release = asyncio.Event()

        async def hold() -> None:
            async with limiter.slot():
                await release.wait()

        holder = asyncio.ensure_future(hold())
        await asyncio.sleep(0)
        waiter = asyncio.ensure_future(hold())
        await asyncio.sleep(0)
        waiter.cancel()
        release.set()
        await holder
        with pytest.raises(asyncio.CancelledError):
            await waiter
        async with limiter.slot():
            return limiter.in_flight

    assert run(scenario()) == 1


@pytest.mark.parametrize(
    ("budget", "ceiling", "expected"),
    [
        (CLOUD, None, Budget(8, 64)),
        (CLOUD, 4, Budget(4, 4)),
        (BATCHING_SERVER, 32, Budget(32, 32)),
        (UNKNOWN_SERVER, 100, Budget(4, 100)),
        (UNKNOWN_SERVER, 1, Budget(1, 1, adaptive=False)),
    ],
)
def test_user_ceiling_caps_the_kind_default(budget: Budget, ceiling: int | None, expected: Budget) -> None:
    assert budget.capped(ceiling) == expected


def test_teachers_without_a_budget_run_at_their_max_in_flight() -> None:
    class Local:
        max_in_flight = 1

    assert budget_of(Local()) == Budget(1, 1, adaptive=False)
