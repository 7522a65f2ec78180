"""A cancellation token that works across the event loop and worker threads.

Local models generate in a thread and remote calls run as asyncio tasks; both must
stop when the user cancels. A `threading.Event` is visible to both sides, and
`watch()` lets async code await it without polling.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from .errors import SynthCancelled

T = TypeVar("T")


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class CancelToken:
    def __init__(self) -> None:
        self._event = threading.Event()
        self._callbacks: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self.reason = ""

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def cancel(self, reason: str = "cancelled by the user") -> None:
        with self._lock:
            if self._event.is_set():
                return
            self.reason = reason
            self._event.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()

    def on_cancel(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Run `callback` once when cancelled (at once if already cancelled); returns
        a function that unregisters it."""
        with self._lock:
            if not self._event.is_set():
                self._callbacks.append(callback)
                return lambda: self._discard(callback)
        callback()
        return lambda: None

    def _discard(self, callback: Callable[[], None]) -> None:
        with self._lock, contextlib.suppress(ValueError):
            self._callbacks.remove(callback)

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise SynthCancelled()

    async def wait(self) -> None:
        """Returns once cancelled (thread-safe wake-up of the current loop)."""
        if self._event.is_set():
            return
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()

        def wake() -> None:
            loop.call_soon_threadsafe(_settle, future)

        remove = self.on_cancel(wake)
        try:
            await future
        finally:
            remove()

    async def guard(self, awaitable: Awaitable[T]) -> T:
        """Await `awaitable`, abandoning it (task cancelled, so an HTTP request is
        closed) and raising SynthCancelled as soon as the token fires.

        Whatever happens, the task started here is finished and its outcome consumed
        before this returns: when the token fires, and also when the task awaiting
        this one is cancelled (a run stopping after another call failed). An
        abandoned request left running would fail later with nobody to retrieve its
        error, and asyncio would print that error, raw response body and all (an
        echoed API key included), on stderr. A coroutine handed over after the token
        fired is closed unstarted (left alone it would be reported as never awaited)."""
        if self._event.is_set():
            if inspect.iscoroutine(awaitable):
                awaitable.close()
            raise SynthCancelled()
        task = asyncio.ensure_future(awaitable)
        task.add_done_callback(consume)
        waiter = asyncio.ensure_future(self.wait())
        try:
            await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        except BaseException:  # this task was cancelled: the inner one goes with it
            await finish(task)
            raise
        finally:
            waiter.cancel()
        if not task.done():
            await finish(task)
            raise SynthCancelled()
        return task.result()


def consume(task: asyncio.Future[Any]) -> None:
    """A done-callback marking a task's exception as retrieved: its owner reports
    failures in its own words (redacted), or has abandoned the task on purpose."""
    if not task.cancelled():
        task.exception()


async def finish(task: asyncio.Future[Any]) -> None:
    """Cancel `task` and wait for it to end, without raising its outcome (`consume`
    takes that). Should the caller be cancelled again meanwhile, that propagates at
    once, and the task's end is still consumed by its callback."""
    task.cancel()
    await asyncio.wait({task})
