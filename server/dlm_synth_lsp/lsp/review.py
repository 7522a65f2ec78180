"""Pairs awaiting the user's review (`applyMode: preview`).

A job in preview mode inserts nothing when it ends: it keeps its accepted pairs here
and its result's message offers "Review N pairs…" (`dlm-synth.review`, which the
VS Code extension and the Neovim plugin turn into a pick list), "Insert all" and
"Stage them" (`dlm-synth.applyReview`). Nothing opens by itself: the review starts
when the user picks it from the completion notification, however much they typed
meanwhile. Until then the job's `Tracker` keeps following the sources, so kept
pairs land right after their source as it is when the user decides.

A review ends when the user decides (kept pairs are inserted, the others dropped,
or staged when asked), or when its document is closed (then all are staged: closing
is not a decision). At most `MAX_PENDING` wait per document; a newer job's review
stages the oldest one's pairs rather than lose them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..synth.staging import MarkedPair
from .config import Settings
from .workspace import Tracker

MAX_PENDING = 4


@dataclass(eq=False)
class Review:
    uri: str
    pairs: list[MarkedPair]
    #: source id (as the pairs name it) → its text and title when the job started
    contents: dict[str, str]
    titles: dict[str, str]
    settings: Settings
    tracker: Tracker
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])


class Reviews:
    def __init__(self) -> None:
        self._pending: dict[str, list[Review]] = {}

    def add(self, review: Review) -> list[Review]:
        """Keep `review`; returns the reviews it pushed out (oldest first)."""
        pending = self._pending.setdefault(review.uri, [])
        pending.append(review)
        evicted = pending[:-MAX_PENDING] if len(pending) > MAX_PENDING else []
        del pending[: len(evicted)]
        return evicted

    def find(self, uri: str, review_id: str | None) -> Review | None:
        """The review `review_id` of `uri`, or its latest."""
        pending = self._pending.get(uri, [])
        if review_id is None:
            return pending[-1] if pending else None
        return next((r for r in pending if r.id == review_id), None)

    def remove(self, review: Review) -> None:
        pending = self._pending.get(review.uri, [])
        if review in pending:
            pending.remove(review)
        if not pending:
            self._pending.pop(review.uri, None)

    def of(self, uri: str) -> Iterator[Review]:
        return iter(list(self._pending.get(uri, [])))
