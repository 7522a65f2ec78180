"""Background synth jobs: registry, overlap refusal, cancellation and progress.

A job is an asyncio task on the server's event loop (never a pygls pool thread, see
the field notes §1.10); model work inside it runs in its own threads. Three things
can cancel it, all through the job's `CancelToken`, which the pipeline checks at
every await and local generation checks every token:

- `window/workDoneProgress/cancel` for its progress token (pygls cancels the token's
  future; a done-callback forwards that);
- `$/cancelRequest` for the `workspace/executeCommand` request that started it
  (`DlmProtocol` maps the request id to the job: pygls alone would answer the client
  but leave the command's coroutine running);
- the `dlm-synth.cancel` command.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Protocol

from lsprotocol import types as lsp

from ..synth.cancel import CancelToken
from ..synth.pipeline import Progress
from .config import Settings


@dataclass(eq=False)
class Job:
    uri: str
    #: the prose sections it works on; None = the whole document
    sections: frozenset[str] | None
    title: str
    #: the settings the job started with, used to its end (staging included)
    settings: Settings
    cancel: CancelToken = field(default_factory=CancelToken)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    request_id: Any = None
    #: the client's `workDoneToken` for the request, reported on instead of a new token
    progress_token: lsp.ProgressToken | None = None

    def overlaps(self, uri: str, sections: frozenset[str] | None) -> bool:
        if uri != self.uri:
            return False
        return self.sections is None or sections is None or bool(self.sections & sections)


class JobManager:
    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._by_request: dict[Any, Job] = {}

    def conflict(self, uri: str, sections: frozenset[str] | None) -> Job | None:
        return next((job for job in self._jobs.values() if job.overlaps(uri, sections)), None)

    def add(self, job: Job) -> None:
        self._jobs[job.id] = job
        if job.request_id is not None:
            self._by_request[job.request_id] = job

    def remove(self, job: Job) -> None:
        self._jobs.pop(job.id, None)
        if job.request_id is not None:
            self._by_request.pop(job.request_id, None)

    def cancel_request(self, request_id: Any) -> bool:
        job = self._by_request.get(request_id)
        if job is None:
            return False
        job.cancel.cancel("cancelled by the client")
        return True

    def cancel(self, uri: str | None = None) -> int:
        """Cancel the running jobs (of `uri`); how many were still running (a job
        cancelled a moment ago that is still winding down is not counted again)."""
        jobs = [
            job
            for job in self._jobs.values()
            if (uri is None or job.uri == uri) and not job.cancel.cancelled
        ]
        for job in jobs:
            job.cancel.cancel("cancelled by the user")
        return len(jobs)

    def running(self, uri: str | None = None) -> Iterable[Job]:
        return [job for job in self._jobs.values() if uri is None or job.uri == uri]


class ProgressSink(Protocol):
    """The part of pygls' `Progress` helper used here (typed for mypy)."""

    tokens: dict[Any, Future[Any]]

    async def create_async(self, token: Any) -> Any: ...

    def begin(self, token: Any, value: lsp.WorkDoneProgressBegin) -> None: ...

    def report(self, token: Any, value: lsp.WorkDoneProgressReport) -> None: ...

    def end(self, token: Any, value: lsp.WorkDoneProgressEnd) -> None: ...


class JobProgress:
    """Server-initiated work-done progress that always ends (use as an async context
    manager). With a client that has no progress support every call is a no-op."""

    def __init__(self, sink: ProgressSink | None, job: Job) -> None:
        self.sink = sink
        self.job = job
        self.token: lsp.ProgressToken = f"dlm-synth-{job.id}"
        self.final = "done"
        self.active = False

    async def __aenter__(self) -> JobProgress:
        if self.sink is None:
            return self
        if self.job.progress_token is not None:
            # the client made the token for this request (its own progress UI)
            self.token = self.job.progress_token
        else:
            try:
                await self.sink.create_async(self.token)
            except Exception:  # the client refused; run without a progress bar
                return self
        self.sink.begin(
            self.token,
            lsp.WorkDoneProgressBegin(
                title=self.job.title, cancellable=True, message="starting", percentage=0
            ),
        )
        self.active = True
        future = self.sink.tokens.get(self.token)
        if future is not None:
            future.add_done_callback(self._on_token_done)
        return self

    def _on_token_done(self, future: Future[Any]) -> None:
        if future.cancelled():
            self.job.cancel.cancel("cancelled from the progress notification")

    def report(self, progress: Progress) -> None:
        if self.active and self.sink is not None:
            self.sink.report(
                self.token,
                lsp.WorkDoneProgressReport(
                    message=progress.message, percentage=progress.percentage, cancellable=True
                ),
            )

    def message(self, text: str) -> None:
        if self.active and self.sink is not None:
            self.sink.report(self.token, lsp.WorkDoneProgressReport(message=text))

    async def __aexit__(self, *exc: object) -> None:
        if self.active and self.sink is not None:
            self.active = False
            self.sink.end(self.token, lsp.WorkDoneProgressEnd(message=self.final))
            self.sink.tokens.pop(self.token, None)
