from __future__ import annotations

import pytest
from dlm_synth_lsp.document import DlmEncodingError, PositionEncoding, parse_bytes, parse_text
from dlm_synth_lsp.document.text import Position, PositionMapper, normalize

FM = "---\ndlm_id: 01KPQ9X1000000000000000000\nbase_model: smollm2-135m\n---\n"


def test_invalid_utf8_reports_byte_offset() -> None:
    with pytest.raises(DlmEncodingError) as info:
        parse_bytes(FM.encode() + b"ok \xff bad", "doc.dlm")
    assert info.value.byte_offset == len(FM.encode()) + 3
    assert str(info.value).startswith("doc.dlm: invalid UTF-8 at byte ")


def test_bom_and_crlf_normalised_like_upstream() -> None:
    text, bom = normalize("\ufeffa\r\nb\rc\n\ufeffd")
    assert bom and text == "a\nb\nc\n\ufeffd"
    crlf = parse_text("\ufeff" + FM.replace("\n", "\r\n") + "\r\nbody text\r\n")
    lf = parse_text(FM + "\nbody text\n")
    assert [s.section_id for s in crlf.sections] == [s.section_id for s in lf.sections]
    assert crlf.source_text.startswith("\ufeff---\r\n")


@pytest.mark.parametrize(
    ("encoding", "column"),
    [
        (PositionEncoding.UTF8, 4 + 2 + 3 + 2),
        (PositionEncoding.UTF16, 2 + 1 + 1 + 2),
        (PositionEncoding.UTF32, 5),
    ],
)
def test_columns_in_every_encoding(encoding: PositionEncoding, column: int) -> None:
    # 😀 (astral: 4 utf-8 bytes, 2 utf-16 units), é (2 bytes), ∑ (3 bytes)
    line = "😀é∑ab"
    mapper = PositionMapper([line])
    pos = Position(0, 5)
    assert mapper.to_editor(pos, encoding) == (0, column)
    assert mapper.from_editor(0, mapper.to_editor(pos, encoding)[1], encoding) == pos


def test_column_inside_surrogate_pair_rounds_down_and_past_end_clamps() -> None:
    mapper = PositionMapper(["😀x"])
    assert mapper.from_editor(0, 1, PositionEncoding.UTF16) == Position(0, 0)
    assert mapper.from_editor(0, 99, PositionEncoding.UTF16) == Position(0, 2)


def test_bom_shifts_first_line_only() -> None:
    mapper = PositionMapper(["abc", "def"], bom=True)
    assert mapper.to_editor(Position(0, 1), PositionEncoding.UTF16) == (0, 2)
    assert mapper.to_editor(Position(1, 1), PositionEncoding.UTF16) == (1, 1)
    assert mapper.from_editor(0, 2, PositionEncoding.UTF8) == Position(0, 0)
