"""`tracking.follow` (line/column positions) agrees with the same rule on character
offsets of the whole text, through random edit sequences: inserts at and around the
range's edges, deletions across them, line breaks typed and joined."""

from __future__ import annotations

from dlm_synth_lsp.document.text import Position, Span
from dlm_synth_lsp.document.tracking import Edit, follow
from hypothesis import given, settings
from hypothesis import strategies as st

ALPHABET = "ab \n😋"


def position(text: str, offset: int) -> Position:
    line = text.count("\n", 0, offset)
    return Position(line, offset - (text.rfind("\n", 0, offset) + 1))


def moved(pos: int, a: int, b: int, n: int, stays_left: bool) -> int:
    if pos < a or (pos == a and (stays_left or a != b)):
        return pos
    if pos < b:
        return a if stays_left else a + n
    return pos + n - (b - a)


@st.composite
def scenario(draw: st.DrawFn) -> tuple[str, tuple[int, int], list[tuple[float, float, str]]]:
    text = draw(st.text(ALPHABET, min_size=1, max_size=40))
    a = draw(st.integers(0, len(text)))
    b = draw(st.integers(a, len(text)))
    edits = draw(
        st.lists(
            st.tuples(
                st.floats(0, 1),
                st.floats(0, 0.3),
                st.text(ALPHABET, max_size=6),
            ),
            max_size=8,
        )
    )
    return text, (a, b), edits


@settings(max_examples=400, deadline=None)
@given(scenario())
def test_follow_matches_the_offset_rule(
    case: tuple[str, tuple[int, int], list[tuple[float, float, str]]],
) -> None:
    text, (start, end), edits = case
    span = Span(position(text, start), position(text, end))
    for where, length, new in edits:
        a = int(where * len(text))
        b = min(len(text), a + int(length * len(text)))
        span = follow(span, Edit(position(text, a), position(text, b), new))
        start = moved(start, a, b, len(new), True)
        end = moved(end, a, b, len(new), False)
        text = text[:a] + new + text[b:]
        assert span == Span(position(text, start), position(text, end))
