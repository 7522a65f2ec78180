"""Semantic tokens of an incrementally edited document equal those of a full parse,
and the delta between two results turns the old data into the new (what a client
applies), over random edit sequences in every position encoding."""

from __future__ import annotations

import os
from itertools import pairwise

from dlm_synth_lsp.document.document import parse_text
from dlm_synth_lsp.document.semantic_tokens import apply_edits, decode, document_tokens
from dlm_synth_lsp.document.text import PositionEncoding
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ._docs import documents
from .test_incremental import edit


@settings(
    max_examples=int(os.environ.get("DLM_PROPERTY_EXAMPLES", "300")) // 3,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(documents(), st.sampled_from(list(PositionEncoding)), st.integers(5, 12), st.data())
def test_tokens_follow_edits(text: str, encoding: PositionEncoding, steps: int, data: st.DataObject) -> None:
    doc = parse_text(text)
    previous = document_tokens(doc, encoding)
    for _ in range(steps):
        change, change_encoding, reference = data.draw(edit(doc.source_text))
        doc = doc.apply(change, change_encoding)
        current = document_tokens(doc, encoding, previous)
        assert current.data == document_tokens(parse_text(reference), encoding).data
        assert apply_edits(previous.data, current.delta(previous)) == current.data
        # well formed: in order, never overlapping, never empty
        tokens = decode(current.data)
        assert all(length > 0 for _, _, length, _, _ in tokens)
        assert all((a[0], a[1] + a[2]) <= (b[0], b[1]) for a, b in pairwise(tokens))
        previous = current
