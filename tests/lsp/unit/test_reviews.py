"""Pending reviews: found by id or as the document's latest, bounded per document
(the oldest is handed back, to be staged rather than lost)."""

from __future__ import annotations

from dlm_synth_lsp.lsp.config import Settings
from dlm_synth_lsp.lsp.review import MAX_PENDING, Review, Reviews
from dlm_synth_lsp.lsp.workspace import Tracker


def review(uri: str) -> Review:
    return Review(uri, [], {}, {}, Settings(), Tracker(uri, {}))


def test_found_by_id_or_latest_and_removed() -> None:
    reviews = Reviews()
    first, second, other = review("file:///a.dlm"), review("file:///a.dlm"), review("file:///b.dlm")
    for r in (first, second, other):
        assert reviews.add(r) == []
    assert reviews.find("file:///a.dlm", None) is second
    assert reviews.find("file:///a.dlm", first.id) is first
    assert reviews.find("file:///a.dlm", other.id) is None
    reviews.remove(second)
    assert reviews.find("file:///a.dlm", None) is first
    assert list(reviews.of("file:///b.dlm")) == [other]


def test_at_most_a_few_wait_per_document_and_the_oldest_is_handed_back() -> None:
    reviews = Reviews()
    made = [review("file:///a.dlm") for _ in range(MAX_PENDING + 2)]
    evicted = [r for item in made for r in reviews.add(item)]
    assert evicted == made[:2]
    assert list(reviews.of("file:///a.dlm")) == made[2:]
