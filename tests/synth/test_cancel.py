"""`CancelToken.guard` ends what it started (issue 14, item 1).

A run that stops at the first failed call cancels its other calls; before, `guard`
left each one's inner request running, so it failed later with nobody to retrieve
the error, and asyncio printed that error (a raw response body with an echoed key)
on stderr."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest
from dlm_synth_lsp.synth.cancel import CancelToken
from dlm_synth_lsp.synth.errors import SynthCancelled

SECRET = "sk-echoed-in-a-body-123456"


class Request:
    """Stands for an SDK request: it fails, echoing the key, when it is closed."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.ended = asyncio.Event()

    async def run(self) -> str:
        self.started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            raise RuntimeError(f"connection closed; body: Incorrect API key {SECRET}") from None
        finally:
            self.ended.set()
        return "never"


@pytest.fixture
async def loop_errors() -> list[dict[str, Any]]:
    """What the event loop would print on stderr about our requests (e.g. "Task
    exception was never retrieved"), recorded instead. Objects other tests left for
    the collector are reported here too; only those carrying SECRET are ours."""
    errors: list[dict[str, Any]] = []

    def record(_: object, context: dict[str, Any]) -> None:
        if SECRET in repr(context):
            errors.append(context)

    asyncio.get_running_loop().set_exception_handler(record)
    return errors


async def test_cancelling_the_caller_ends_the_inner_request(loop_errors: list[dict[str, Any]]) -> None:
    request = Request()
    outer = asyncio.ensure_future(CancelToken().guard(request.run()))
    await request.started.wait()
    outer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await outer
    # by the time the caller has ended, so has the request it started
    assert request.ended.is_set()
    del outer
    gc.collect()
    await asyncio.sleep(0)
    assert loop_errors == []


async def test_firing_the_token_ends_the_inner_request(loop_errors: list[dict[str, Any]]) -> None:
    request = Request()
    token = CancelToken()
    outer = asyncio.ensure_future(token.guard(request.run()))
    await request.started.wait()
    token.cancel()
    with pytest.raises(SynthCancelled):
        await outer
    assert request.ended.is_set()
    gc.collect()
    await asyncio.sleep(0)
    assert loop_errors == []


async def test_a_result_and_an_error_pass_through() -> None:
    async def ok() -> int:
        return 7

    async def bad() -> int:
        raise ValueError("bad")

    token = CancelToken()
    assert await token.guard(ok()) == 7
    with pytest.raises(ValueError, match="bad"):
        await token.guard(bad())


async def test_a_coroutine_handed_over_after_the_token_fired_is_closed_unstarted() -> None:
    """Not run, and not left for the garbage collector to report as never awaited."""
    started = False

    async def work() -> None:
        nonlocal started
        started = True

    token = CancelToken()
    token.cancel()
    coroutine = work()
    with pytest.raises(SynthCancelled):
        await token.guard(coroutine)
    assert coroutine.cr_frame is None  # closed
    assert not started
