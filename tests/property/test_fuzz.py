"""The core never raises on any input: undecodable bytes give DlmEncodingError (only),
everything else gives a Document whose problems and sections can always be computed,
including after incremental edits at arbitrary (even out-of-range) positions."""

from __future__ import annotations

import os

from dlm_synth_lsp.document.document import Document, TextChange, parse_bytes, parse_text
from dlm_synth_lsp.document.text import DlmEncodingError, PositionEncoding
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ._docs import BODY_LINES, documents, inserted_text

EXAMPLES = int(os.environ.get("DLM_PROPERTY_EXAMPLES", "300"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# characters that str.splitlines() (but not LSP or upstream) treats as line breaks, and
# other oddities, mixed into otherwise fence-shaped text
ODD = "\x00\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029\ufeff\t\r\n"
odd_text = st.text(alphabet=st.sampled_from([*ODD, ":", "`", "-", "#", '"', "=", " ", "a", "😀", "é"]))
line_soup = st.lists(st.one_of(st.sampled_from(BODY_LINES), odd_text), max_size=30).map("\n".join)
any_text = st.one_of(st.text(), odd_text, line_soup, documents())


def exercise(doc: Document) -> None:
    """Everything a client may ask of a document."""
    assert isinstance(doc.problems, tuple)
    assert isinstance(doc.sections, tuple)
    assert isinstance(doc.has_errors, bool)
    assert doc.text == "\n".join(doc.lines)
    for section in doc.sections:
        assert doc.find(section.section_id) is not None
    for line in range(-1, len(doc.lines) + 2):
        doc.section_at(line)
    for problem in doc.problems:
        for encoding in PositionEncoding:
            doc.mapper.to_editor(problem.span.start, encoding)
            doc.mapper.to_editor(problem.span.end, encoding)


def parse_or_encoding_error(data: bytes) -> None:
    """Bytes either parse to a usable Document or fail with the one documented error."""
    try:
        doc = parse_bytes(data)
    except DlmEncodingError as exc:
        assert 0 <= exc.byte_offset < len(data)
        return
    exercise(doc)


@FUZZ
@given(st.binary(max_size=2000))
def test_parse_bytes_random(data: bytes) -> None:
    parse_or_encoding_error(data)


@st.composite
def mutated_bytes(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(documents()).encode("utf-8"))
    for _ in range(draw(st.integers(0, 4))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        data[at] = draw(st.integers(0, 255))
    return bytes(data)


@FUZZ
@given(mutated_bytes())
def test_parse_bytes_mutated_documents(data: bytes) -> None:
    parse_or_encoding_error(data)


@FUZZ
@given(any_text)
def test_parse_text_random(text: str) -> None:
    exercise(parse_text(text))


positions = st.one_of(st.integers(0, 50), st.integers(0, 10**9))


@FUZZ
@given(any_text, st.data())
def test_apply_random_positions(text: str, data: st.DataObject) -> None:
    doc = parse_text(text)
    for _ in range(data.draw(st.integers(1, 8))):
        encoding = data.draw(st.sampled_from(list(PositionEncoding)))
        new = data.draw(st.one_of(inserted_text(), odd_text))
        if data.draw(st.integers(0, 15)) == 0:
            change = TextChange(new, None)
        else:
            span = tuple(data.draw(positions) for _ in range(4))
            change = TextChange(new, span)  # type: ignore[arg-type]
        doc = doc.apply(change, encoding)
        exercise(doc)


@FUZZ
@given(st.text(alphabet=st.characters(codec=None, categories=["Cs", "Ll", "Zs"]) | st.sampled_from(ODD)))
def test_parse_text_lone_surrogates(text: str) -> None:
    """JSON-RPC text can carry lone surrogates ("\\ud800" escapes decode to one)."""
    doc = parse_text("---\n---\n::instruction::\n### Q\n" + text + "\n### A\n" + text)
    exercise(doc)
    exercise(doc.apply(TextChange(text, (3, 0, 3, 1)), PositionEncoding.UTF16))
