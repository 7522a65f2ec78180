"""The one interface every teacher implements, and the values passed through it.

A teacher turns a (system, user) prompt into text. Everything else (prompting,
reply parsing, retries around remote calls, caching, concurrency limits) lives in
the pipeline or in shared helpers, so each teacher module only knows how to talk to
its backend.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from ..cancel import CancelToken


def default_threads() -> int:
    """Cores minus one, so the editor (and the language server) stay responsive."""
    return max(1, (os.cpu_count() or 2) - 1)


@dataclass(frozen=True, slots=True)
class TeacherOptions:
    """Everything a teacher may need besides its selector.

    `timeout_s` bounds one request (remote: read timeout; local: generation time).
    `concurrency` is the ceiling of requests in flight (None: the teacher kind's
    default, `synth/concurrency.py`). `notice` receives short human-readable events
    (a retry after a rate limit, a model being loaded) for progress reporting; it
    must never receive secrets. `pressure` is told the status of every answer that
    means "overloaded" (429, 503, 529), so the run's limiter can back off."""

    timeout_s: float = 120.0
    connect_timeout_s: float = 10.0
    max_retries: int = 4
    concurrency: int | None = None
    threads: int | None = None
    device: str | None = None
    openai_base_url: str | None = None
    anthropic_base_url: str | None = None
    # the document, for `self` (its base model and the adapter in its store)
    document_path: Path | None = None
    dlm_id: str | None = None
    base_model: str | None = None
    dlm_home: str | None = None
    notice: Callable[[str], None] | None = None
    pressure: Callable[[int], None] | None = None


@dataclass(frozen=True, slots=True)
class SamplingParams:
    """Generation settings; part of the reply-cache key. temperature 0 means greedy
    (top_p is then ignored, as upstream does)."""

    max_new_tokens: int = 512
    temperature: float = 0.0
    top_p: float | None = None
    seed: int | None = None


@dataclass(frozen=True, slots=True)
class Prompt:
    """`schema` is the JSON schema the reply must follow; teachers whose backend can
    enforce one (structured output, grammars) send it, the others ignore it and the
    lenient reply parser copes."""

    system: str
    user: str
    schema: Mapping[str, Any] | None = None

    def flattened(self) -> str:
        """One string for models without separate roles (upstream's layout)."""
        system, user = self.system.strip(), self.user.strip()
        if system and user:
            return f"System:\n{system}\n\nUser:\n{user}\n\nAssistant:\n"
        return user or system


@dataclass(slots=True)
class Usage:
    """Token counts summed over calls; None-free so sums are simple."""

    input_tokens: int = 0
    output_tokens: int = 0
    requests: int = 0
    retries: int = 0
    cached: int = 0

    def add(self, other: Usage) -> None:
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.requests += other.requests
        self.retries += other.retries
        self.cached += other.cached


@dataclass(frozen=True, slots=True)
class Completion:
    text: str
    usage: Usage = field(default_factory=Usage)


class Teacher(Protocol):
    """`name` is what the auto-synth marker records (spec 5.6); `model` identifies
    the exact model for the reply cache (resolved id, path or served model)."""

    @property
    def name(self) -> str: ...

    @property
    def max_in_flight(self) -> int:
        """How many calls the pipeline may run at once (1 for local models)."""
        ...

    async def prepare(self, cancel: CancelToken) -> None:
        """Check credentials / load the model before any prompt is sent, raising
        TeacherUnavailableError with an actionable message. Idempotent."""
        ...

    @property
    def model(self) -> str: ...

    async def complete(self, prompt: Prompt, params: SamplingParams, cancel: CancelToken) -> Completion:
        """The stripped reply text. Raises TeacherInvocationError (after retries for
        remote teachers), TeacherUnavailableError, or SynthCancelled."""
        ...

    async def aclose(self) -> None: ...


@runtime_checkable
class PerDocument(Protocol):
    """A shared teacher that can serve each document of a corpus its own way (a
    server asked for the document's adapter) over one connection and budget."""

    def for_document(self, dlm_id: str | None) -> Teacher: ...
