"""The hand-made corpus (tests/corpus/*.dlm) against the upstream parser.

Every file is read the way upstream's `parse_file` reads it (strict UTF-8, one leading
BOM dropped, CRLF and lone CR turned into LF: spec 1.1). Upstream's `parse_text` does
not normalise, so the oracle gets the normalised text; ours gets the raw file text,
because our `parse_text` normalises by itself (an editor hands us the raw buffer).

Agreement is total: error-or-not, and for accepted documents every section's type,
content, start line, adapter, media attributes, marker fields and section id.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from dlm_synth_lsp.document import Code, DlmEncodingError, Severity, parse_bytes, parse_text

from tests.compat.oracle import Oracle, comparable, ours

pytestmark = pytest.mark.oracle

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
FILES = sorted(CORPUS.glob("*.dlm"))

#: Corpus files where we deliberately differ from upstream, each with the spec section
#: that calls upstream's behaviour a bug. Parsing follows upstream exactly, so: none.
KNOWN_DIFFERENCES: dict[str, str] = {}

#: Which of our problem codes may stand for upstream's (first) exception class.
UPSTREAM_ERROR_CODES: dict[str, frozenset[Code]] = {
    "FrontmatterError": frozenset(
        {Code.FRONTMATTER_OPEN, Code.FRONTMATTER_CLOSE, Code.YAML_SYNTAX, Code.FRONTMATTER_NOT_MAPPING}
    ),
    "SchemaValidationError": frozenset(
        {
            Code.SCHEMA_UNKNOWN_KEY,
            Code.SCHEMA_MISSING_KEY,
            Code.SCHEMA_INVALID_VALUE,
            Code.SCHEMA_CROSS_FIELD,
            Code.VERSION,
        }
    ),
    "DlmVersionError": frozenset({Code.VERSION}),
    "UnsupportedMigrationError": frozenset({Code.VERSION}),
    "FenceError": frozenset(
        {
            Code.UNKNOWN_FENCE,
            Code.FENCE_NEEDS_ATTRIBUTES,
            Code.INVALID_ADAPTER,
            Code.ATTRIBUTE_FENCE,
            Code.UNTERMINATED_CODE,
            Code.SYNTH_MARKER,
            Code.MINED_MARKER,
        }
    ),
    # the Section constructor's bare ValueError for an empty synth_teacher/synth_strategy
    "ValueError": frozenset({Code.SYNTH_MARKER}),
}

#: Section ids worked out in spec section 2 ("Worked examples"), pinned by file.
SPEC_IDS: dict[str, list[str]] = {
    "id_example_1_lone_prose": ["3b49c03deabc9894"],
    "id_example_2_prose_and_instruction": ["5115c292a1dbe556", "ef4b94c403f96ab1"],
    "id_example_3_synth_last": ["ef4b94c403f96ab1"],
    "id_empty_instruction_and_preference": ["92fd3c5ad9c7d43f", "6450ab006a4d2029"],
    "id_image": ["8297cb01e9d89acf"],
}


def upstream_file_text(text: str) -> str:
    """What upstream's file reader hands its parser (spec 1.1), written independently
    of our own normalisation so a bug there cannot hide."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _verdicts(path: Path, oracle: Oracle) -> tuple[dict[str, Any], dict[str, Any]]:
    text = path.read_bytes().decode("utf-8")
    return oracle.parse(upstream_file_text(text)), ours(text)


def test_corpus_is_big_enough() -> None:
    assert len(FILES) >= 60


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_corpus_file_agrees_with_upstream(path: Path, oracle: Oracle) -> None:
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # upstream's DlmEncodingError: raised before any parsing, at the codec's offset
        with pytest.raises(DlmEncodingError) as info:
            parse_bytes(data, str(path))
        assert info.value.byte_offset == exc.start
        return
    upstream, mine = _verdicts(path, oracle)
    if path.stem in KNOWN_DIFFERENCES:
        assert comparable(mine) != comparable(upstream), (
            f"{path.stem} now agrees with upstream; drop it from KNOWN_DIFFERENCES"
        )
        return
    assert comparable(mine) == comparable(upstream), upstream.get("message")


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_corpus_error_class_matches(path: Path, oracle: Oracle) -> None:
    """Where upstream refuses a file, we report an error of the same family (we may
    report more: upstream stops at the first)."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        pytest.skip("not UTF-8: covered by the agreement test")
    upstream = oracle.parse(upstream_file_text(text))
    if not upstream["error"]:
        return
    codes = {p.code for p in parse_text(text).problems if p.severity is Severity.ERROR}
    allowed = UPSTREAM_ERROR_CODES[upstream["kind"]]
    assert codes & allowed, f"upstream {upstream['kind']}: {upstream['message']}; ours: {sorted(codes)}"


def test_raw_and_decoded_parses_agree() -> None:
    """parse_bytes (file path) and parse_text (editor buffer) give the same sections."""
    for path in FILES:
        data = path.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        assert ours(text) == comparable_doc(parse_bytes(data)), path.stem


def comparable_doc(doc: Any) -> dict[str, Any]:
    return ours(doc.text) if not doc.has_errors else {"error": True}


@pytest.mark.parametrize("name", sorted(SPEC_IDS))
def test_spec_worked_example_ids(name: str, oracle: Oracle) -> None:
    upstream, mine = _verdicts(CORPUS / f"{name}.dlm", oracle)
    assert [s["section_id"] for s in upstream["sections"]] == SPEC_IDS[name]
    assert [s["section_id"] for s in mine["sections"]] == SPEC_IDS[name]


def test_corpus_mostly_reaches_the_body(oracle: Oracle) -> None:
    """Most files must parse on both sides, so bodies (not just verdicts) are compared."""
    accepted = 0
    for path in FILES:
        try:
            upstream, _ = _verdicts(path, oracle)
        except UnicodeDecodeError:
            continue
        accepted += not upstream["error"]
    assert accepted >= len(FILES) // 2
