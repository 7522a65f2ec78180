"""Minimal edits for synthesized pairs: sanitising, insertion after the source, revert."""

from __future__ import annotations

from pathlib import Path

import pytest
from dlm_synth_lsp.document import Document, Position, SectionType, Severity, parse_text
from dlm_synth_lsp.document.edits import EditError, TextEdit, apply_edits, plan_insert, plan_revert
from dlm_synth_lsp.document.grammar import parse_instruction
from dlm_synth_lsp.document.sanitize import sanitize_pair, sanitize_text
from dlm_synth_lsp.document.text import LineOffsets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
FM = "---\ndlm_id: 01KPQ9X1000000000000000000\nbase_model: smollm2-135m\n---\n"
MARK = dict(teacher="openai:gpt-4o-mini", strategy="extraction", synth_at="2026-04-24T10:18:42Z")
OLD_MARKER = (
    '<!-- dlm-auto-synth: synth_teacher="self" synth_strategy="expansion" '
    'synth_at="2026-01-01T00:00:00Z" source_section_id="0123456789abcdef" -->'
)

INLINE_DOCS = [
    FM + "\nDGEMM multiplies two dense matrices.\n",
    FM + "\nDGEMM multiplies two dense matrices.",
    FM + "DGEMM, no blank line after the frontmatter.\n",
    FM + "\nProse with trailing blank lines.\n\n\n",
    FM + "\nProse with trailing blank lines and no final newline.\n\n",
    FM + "\nDGEMM.\n\n::instruction::\n### Q\nWhat is DGEMM?\n### A\nA matrix multiply.\n",
    FM + "\nNo blank before the fence.\n::instruction::\n### Q\nq\n### A\na",
    FM + "\nFirst.\n\n::prose::\nSecond, fenced.\n\n::prose#tone::\nThird.\n",
    FM + "\nIntro.\n\n::instruction::\n### Q\nq\n### A\na\n\n::prose::\n\nAfter an instruction.\n",
    FM + "# comment kept\n\nIntro with code:\n\n```python\n::instruction::\n```\n\n::preference::\n"
    "### Prompt\np\n### Chosen\nc\n### Rejected\nr\n",
    FM + '\nMedia follows.\n\n::image path="a.png" alt="A"::\nCaption.\n\n'
    '::audio path="b.wav" transcript="hi"::\n',
    FM + f"\nWith an old synth section.\n\n::instruction::\n{OLD_MARKER}\n### Q\nold\n### A\nold\n",
    FM + "\nWhitespace-only prose after.\n\n::prose::\n   \n\n::instruction::\n### Q\nq\n### A\na\n",
    FM + "\nEmpty instruction after.\n\n::instruction::\n::prose::\nMore prose.",
    FM + "\n::instruction::\n### Q\nq\n### A\na\n\n::prose::\nOnly fenced prose.\n",
    "---\n# a yaml comment\ndlm_id: 01KPQ9X1000000000000000000\nbase_model: smollm2-135m  # here\n---\n\n"
    "Prose — with ünïcödé, RTL שלום and emoji 🚀.\n",
]


def corpus_docs() -> list[Path]:
    paths = sorted((ROOT / "tests" / "corpus").glob("*.dlm")) + sorted((ROOT / "examples").glob("*.dlm"))
    return paths


def _readable(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return None


def utf8_corpus_docs() -> list[Path]:
    return [path for path in corpus_docs() if _readable(path) is not None]


def prose_corpus_docs() -> list[Path]:
    """Corpus documents an insertion can target (readable, with a prose section)."""
    return [p for p in utf8_corpus_docs() if prose_ids(parse_text(_readable(p) or ""))]


def test_corpus_has_enough_insertion_targets() -> None:
    assert len(prose_corpus_docs()) >= 60


def prose_ids(doc: Document) -> list[str]:
    return [s.section_id for s in doc.sections if s.type is SectionType.PROSE]


def errors(doc: Document) -> list[str]:
    return [f"{p.code}:{p.message}" for p in doc.problems if p.severity is Severity.ERROR]


def insert(text: str, source: str, pairs: list[tuple[str, str]]) -> tuple[str, list[TextEdit]]:
    doc = parse_text(text)
    edits = plan_insert(doc, source, pairs, **MARK)
    return apply_edits(doc.text, edits), edits


def check_insert_and_revert(text: str, pairs: list[tuple[str, str]]) -> int:
    """Insert after every prose section in turn; check every promise; return how many ran."""
    doc = parse_text(text)
    ran = 0
    if doc.frontmatter.closer is None:
        for source in prose_ids(doc):
            with pytest.raises(EditError, match="frontmatter"):
                plan_insert(doc, source, pairs, **MARK)
        return 0
    clean = [p for p in (sanitize_pair(q, a) for q, a in pairs) if p is not None]
    for source in dict.fromkeys(prose_ids(doc)):
        if doc.open_code is not None and doc.find(source) is not None:
            block = next(b for b in doc.blocks if b.section and b.section.section_id == source)
            if doc.open_code >= block.first:
                with pytest.raises(EditError):
                    plan_insert(doc, source, pairs, **MARK)
                continue
        edits = plan_insert(doc, source, pairs, **MARK)
        if not clean:
            assert edits == []
            continue
        ran += 1
        # a pure insertion: every other byte untouched
        assert len(edits) == 1 and edits[0].start == edits[0].end
        new = apply_edits(doc.text, edits)
        offset = LineOffsets(doc.lines).offset(edits[0].start)
        assert new[:offset] + new[offset + len(edits[0].new_text) :] == doc.text
        after = parse_text(("\ufeff" if doc.bom else "") + new)
        inserted = [s for s in after.sections if s.auto_synth and s.start_line - 1 >= edits[0].start.line]
        inserted = inserted[: len(clean)]
        # ids of all earlier sections unchanged, in order
        others = [s for s in after.sections if all(s is not t for t in inserted)]
        assert [s.section_id for s in others] == [s.section_id for s in doc.sections]
        assert [s.content for s in others] == [s.content for s in doc.sections]
        # provenance valid on arrival, and the pairs read back exactly
        assert source in prose_ids(after)
        for section, pair in zip(inserted, clean, strict=True):
            assert section.source_section_id == source
            assert section.synth_teacher == MARK["teacher"]
            items, error = parse_instruction(section.content)
            assert error is None
            assert [item.fields for item in items] == [pair]
        assert errors(after) == errors(doc)
        # revert exactly the inserted sections -> original bytes
        reverted = apply_edits(new, plan_revert(after, [s.section_id for s in inserted]))
        if not any(s.auto_synth and s.section_id in {t.section_id for t in inserted} for s in doc.sections):
            assert reverted == doc.text
    return ran


# ------------------------------------------------------------------ sanitize


def test_sanitize_normalises_every_splitlines_break() -> None:
    breaks = ["\r\n", "\r", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
    for br in breaks:
        assert sanitize_pair(f"a{br}b", f"c{br}d") == ("a\nb", "c\nd")


def test_sanitize_drops_blank_lines_which_end_a_body_upstream() -> None:
    # upstream's trainer ends a question/answer at the first whitespace-only line
    assert sanitize_pair("q\n\nmore", "para one\n \t\npara two\r\n\r\n```\nx\n\ny\n```") == (
        "q\nmore",
        "para one\npara two\n```\nx\ny\n```",
    )
    assert sanitize_text("a\u2028\u2029b\x1f\nc") == "a\nb\x1f\nc"
    assert sanitize_text("a\n\x1f\nc") == "a\nc"


def test_sanitize_strips_and_refuses_empty() -> None:
    assert sanitize_pair("  q \n", "\n\ta\t ") == ("q", "a")
    assert sanitize_pair("   ", "a") is None
    assert sanitize_pair("q", "\u2028\r\n ") is None
    assert sanitize_pair("\x00", "a") is None


def test_sanitize_drops_nul_and_lone_surrogates() -> None:
    assert sanitize_pair("a\x00b", "c\ud800d") == ("ab", "c\ufffdd")


@pytest.mark.parametrize(
    "line",
    [
        "::instruction::",
        "::preference::",
        "::prose::",
        "::prose#tone::",
        "::instruction#bad-name::",
        "::weird::",
        "::image::",
        '::image path="a.png"::',
        '::audio path="a" transcript="t"::',
        '::instruction path="x"::',
    ],
)
def test_sanitize_fence_lines_get_a_space(line: str) -> None:
    assert sanitize_text(f"intro\n{line}\nend") == f"intro\n {line}\nend"
    # on the first line a space would be stripped again: a backslash is used
    assert sanitize_text(f"{line}\nend") == f"\\{line}\nend"


@pytest.mark.parametrize(
    "header", ["### Q", "### A", "### Q !probe", "### Prompt", "### Chosen", "### Rejected"]
)
def test_sanitize_headers_get_a_backslash(header: str) -> None:
    assert sanitize_text(f"x\n{header}\ny") == f"x\n\\{header}\ny"
    assert sanitize_text(f"x\n  {header}  \ny") == f"x\n\\  {header}  \ny"
    assert sanitize_text(header) == f"\\{header}"
    assert sanitize_text("x\n### Question\n#### Q") == "x\n### Question\n#### Q"


def test_sanitize_code_fences_keep_balanced_pairs() -> None:
    balanced = "see:\n```python\nprint(1)\n```\ndone"
    assert sanitize_text(balanced) == balanced
    assert sanitize_text("see:\n```\ncode") == "see:\n ```\ncode"
    assert sanitize_text("```\na\n```\nb\n```") == "```\na\n```\nb\n ```"
    assert sanitize_text("```") == "\\```"
    # indented backticks never toggle, so they are left alone
    assert sanitize_text("a\n  ```\nb") == "a\n  ```\nb"


def test_sanitize_marker_lines() -> None:
    assert sanitize_text(f"a\n{OLD_MARKER}") == f"a\n {OLD_MARKER}"
    assert sanitize_text(OLD_MARKER) == f"\\{OLD_MARKER}"


def test_sanitize_leaves_ordinary_text() -> None:
    text = "---\n# Heading\n:: not a fence ::\nRTL שלום 🚀 and `code`\n~~~\n"
    assert sanitize_text(text) == text.strip()


# ------------------------------------------------------------------ apply_edits


def test_apply_edits_orders_and_rejects_overlap() -> None:
    text = "ab\ncd\nef"
    edits = [
        TextEdit(Position(2, 0), Position(2, 1), "E"),
        TextEdit(Position(0, 1), Position(1, 1), "X"),
    ]
    assert apply_edits(text, edits) == "aXd\nEf"
    with pytest.raises(EditError):
        apply_edits(
            text, [TextEdit(Position(0, 0), Position(1, 0), ""), TextEdit(Position(0, 1), Position(0, 1), "")]
        )


# ------------------------------------------------------------------ plan_insert


def test_insert_after_last_prose_exact_text() -> None:
    text = FM + "\nDGEMM multiplies two dense matrices.\n"
    doc = parse_text(text)
    (source,) = prose_ids(doc)
    assert source == "3b49c03deabc9894"
    new, _ = insert(text, source, [("What is DGEMM?", "A matrix multiply.")])
    marker = (
        '<!-- dlm-auto-synth: synth_teacher="openai:gpt-4o-mini" synth_strategy="extraction" '
        'synth_at="2026-04-24T10:18:42Z" source_section_id="3b49c03deabc9894" -->'
    )
    assert new == text + f"::instruction::\n{marker}\n### Q\nWhat is DGEMM?\n### A\nA matrix multiply.\n"
    after = parse_text(new)
    assert [s.section_id for s in after.sections] == ["3b49c03deabc9894", "ef4b94c403f96ab1"]
    assert after.problems == ()


def test_insert_before_following_fence_leaves_one_blank_line() -> None:
    text = FM + "\nIntro.\n\n::instruction::\n### Q\nq\n### A\na\n"
    doc = parse_text(text)
    new, edits = insert(text, doc.sections[0].section_id, [("q1", "a1"), ("q2", "a2")])
    assert edits[0].start == Position(7, 0)
    marker = parse_text(new).lines[8]
    block = "::instruction::\n" + marker + "\n### Q\nq{n}\n### A\na{n}\n\n"
    assert new == text.replace("::instruction::", block.format(n=1) + block.format(n=2) + "::instruction::")
    after = parse_text(new)
    assert [s.content for s in after.sections[1:3]] == ["### Q\nq1\n### A\na1\n", "### Q\nq2\n### A\na2\n"]


def test_insert_without_final_newline_keeps_none() -> None:
    text = FM + "\nNo newline at the end."
    doc = parse_text(text)
    new, edits = insert(text, doc.sections[0].section_id, [("q", "a")])
    assert edits[0].new_text.startswith("\n::instruction::\n")
    assert new.endswith("\n### A\na") and not new.endswith("\n")


def test_insert_keeps_trailing_blank_lines_with_the_source() -> None:
    text = FM + "\nProse.\n\n\n"
    doc = parse_text(text)
    source = doc.sections[0]
    assert source.content == "Prose.\n\n"
    new, _ = insert(text, source.section_id, [("q", "a")])
    assert new.startswith(text)
    assert parse_text(new).sections[0].content == "Prose.\n\n"


def test_insert_after_fenced_prose_before_next_fence() -> None:
    text = FM + "\nFirst.\n\n::prose::\nSecond.\n::prose::\nThird.\n"
    doc = parse_text(text)
    second = doc.sections[1]
    new, edits = insert(text, second.section_id, [("q", "a")])
    assert edits[0].start == Position(9, 0)
    after = parse_text(new)
    assert [s.type for s in after.sections] == [
        SectionType.PROSE,
        SectionType.PROSE,
        SectionType.INSTRUCTION,
        SectionType.PROSE,
    ]
    assert after.sections[1].section_id == second.section_id
    assert after.sections[2].source_section_id == second.section_id


def test_insert_errors() -> None:
    text = FM + "\nIntro.\n\n::instruction::\n### Q\nq\n### A\na\n"
    doc = parse_text(text)
    with pytest.raises(EditError, match="not prose"):
        plan_insert(doc, doc.sections[1].section_id, [("q", "a")], **MARK)
    with pytest.raises(EditError, match="no prose section"):
        plan_insert(doc, "0000000000000000", [("q", "a")], **MARK)
    source = doc.sections[0].section_id
    with pytest.raises(EditError, match="ISO-8601"):
        plan_insert(doc, source, [("q", "a")], teacher="t", strategy="s", synth_at="yesterday")
    with pytest.raises(EditError, match="double quotes"):
        plan_insert(doc, source, [("q", "a")], teacher='a"b', strategy="s", synth_at="2026-01-01")
    with pytest.raises(EditError, match="non-empty"):
        plan_insert(doc, source, [("q", "a")], teacher="t", strategy="", synth_at="2026-01-01")
    assert isinstance(EditError("x"), ValueError)
    assert plan_insert(doc, source, [(" ", "a"), ("q", "")], **MARK) == []
    open_code = parse_text(FM + "\nIntro.\n```\nnever closed\n")
    with pytest.raises(EditError, match="unterminated"):
        plan_insert(open_code, open_code.sections[0].section_id, [("q", "a")], **MARK)


@pytest.mark.parametrize("text", INLINE_DOCS)
def test_insert_revert_round_trip_inline(text: str) -> None:
    assert check_insert_and_revert(text, [("What?", "This."), ("Why?", "Because\n\nof that.")]) >= 1


@pytest.mark.parametrize("text", INLINE_DOCS)
def test_insert_after_every_prose_section_at_once(text: str) -> None:
    doc = parse_text(text)
    sources = list(dict.fromkeys(prose_ids(doc)))
    edits = [e for source in sources for e in plan_insert(doc, source, [("q?", "a.")], **MARK)]
    new = apply_edits(doc.text, edits)
    after = parse_text(new)
    inserted = [s for s in after.sections if s.auto_synth and s.synth_teacher == MARK["teacher"]]
    assert len(inserted) == len(sources)
    assert [s.source_section_id for s in inserted] == sources
    assert [s.section_id for s in after.sections if s not in inserted] == [s.section_id for s in doc.sections]
    assert set(prose_ids(after)) >= set(sources)
    assert apply_edits(new, plan_revert(after, {s.section_id for s in inserted})) == doc.text


@pytest.mark.parametrize("path", prose_corpus_docs(), ids=lambda p: p.name)
def test_insert_revert_round_trip_corpus(path: Path) -> None:
    text = path.read_bytes().decode("utf-8")
    check_insert_and_revert(text, [("What?", "This."), ("Q2?", "```\n::preference::\n### Q")])


ADVERSARIAL: list[tuple[str, str]] = [
    ("What opens a section?", "A line like\n::instruction::\nor\n::preference::\nor ::prose::"),
    ("::instruction::", "::preference::"),
    ("Frontmatter?", "---\ndlm_id: x\n---"),
    ("Marker?", OLD_MARKER + "\n" + OLD_MARKER.replace("synth", "harvest")),
    (OLD_MARKER, "a"),
    ("Code?", "```python\nx = 1"),
    ("Two blocks?", "```\na\n```\n```\nunclosed"),
    ("```", "```"),
    ("Headers?", "### Q\nnested?\n### A\nnested!\n### Q !probe\n  ### Prompt\n### Chosen\n### Rejected"),
    ("Windows\r\nline\rbreaks?", "yes\r\n\r\nreally\r"),
    ("NUL\x00 inside?", "a\x00b\x00"),
    ("Long?", "x" * 20000 + "\n" + "y " * 5000),
    ("RTL?", "שלום עולם\u200f — مرحبا\u202e reversed"),
    ("Emoji?", "🚀🧪👩‍💻 and \U0001f600\ufe0f"),
    ("Separators\u2028in\u2029text\x85and\x0bvt\x0cff\x1cfs", "ok\x1d\x1e"),
    ("Edge spaces", "   leading\n   ::instruction::   \ntrailing   "),
    ("- Bullet?", "* item\n> quote\n# heading\n::a b::\n::instruction:: "),
]


@pytest.mark.parametrize("pair", ADVERSARIAL, ids=lambda p: repr(p[0][:20]))
def test_adversarial_pairs_read_back_exactly(pair: tuple[str, str]) -> None:
    text = FM + "\nSource prose.\n\n::preference::\n### Prompt\np\n### Chosen\nc\n### Rejected\nr\n"
    doc = parse_text(text)
    clean = sanitize_pair(*pair)
    assert clean is not None
    assert sanitize_pair(*clean) == clean
    new, _ = insert(text, doc.sections[0].section_id, [pair])
    after = parse_text(new)
    assert errors(after) == []
    assert [s.type for s in after.sections] == [
        SectionType.PROSE,
        SectionType.INSTRUCTION,
        SectionType.PREFERENCE,
    ]
    items, error = parse_instruction(after.sections[1].content)
    assert error is None and [item.fields for item in items] == [clean]
    assert after.sections[2].section_id == doc.sections[1].section_id
    assert apply_edits(new, plan_revert(after)) == text


def test_all_adversarial_pairs_together_at_eof_without_newline() -> None:
    text = FM + "\nSource prose."
    check_insert_and_revert(text, ADVERSARIAL)


# ------------------------------------------------------------------ plan_revert


def test_revert_removes_only_synth_sections_and_keeps_ids() -> None:
    text = (
        FM
        + "\nIntro.\n\n::instruction::\n"
        + OLD_MARKER
        + "\n### Q\ns1\n### A\ns1\n\n::instruction::\n### Q\nhand\n### A\nmade\n\n::instruction#tone::\n"
        + OLD_MARKER
        + "\n### Q\ns2\n### A\ns2\n::instruction::\n"
        + OLD_MARKER
        + "\n### Q\ns3\n### A\ns3\n\n::prose::\nEnd prose.\n"
    )
    doc = parse_text(text)
    new = apply_edits(doc.text, plan_revert(doc))
    assert new == (FM + "\nIntro.\n\n::instruction::\n### Q\nhand\n### A\nmade\n\n::prose::\nEnd prose.\n")
    kept = [s for s in doc.sections if not s.auto_synth]
    assert [s.section_id for s in parse_text(new).sections] == [s.section_id for s in kept]
    # adjacent synth sections make one edit
    assert len(plan_revert(doc)) == 2


def test_revert_one_section_by_id() -> None:
    text = FM + "\nIntro.\n"
    doc = parse_text(text)
    new, _ = insert(text, doc.sections[0].section_id, [("q1", "a1"), ("q2", "a2"), ("q3", "a3")])
    after = parse_text(new)
    middle = after.sections[2]
    one = apply_edits(new, plan_revert(after, middle.section_id))
    left = parse_text(one)
    assert [s.section_id for s in left.sections] == [s.section_id for s in after.sections if s is not middle]
    with pytest.raises(EditError, match="no auto-synth"):
        plan_revert(after, "0123456789abcdef")
    with pytest.raises(EditError):
        plan_revert(after, after.sections[0].section_id)


def test_revert_nothing_is_no_edit() -> None:
    assert plan_revert(parse_text(FM + "\nIntro.\n\n::instruction::\n### Q\nq\n### A\na\n")) == []


def test_revert_last_section_without_final_newline() -> None:
    text = FM + "\nIntro.\n\n::instruction::\n" + OLD_MARKER + "\n### Q\nq\n### A\na"
    doc = parse_text(text)
    # the blank line before the fence belongs to the prose's content, so it stays and
    # the prose keeps its id
    reverted = apply_edits(doc.text, plan_revert(doc))
    assert reverted == FM + "\nIntro.\n\n"
    assert parse_text(reverted).sections[0].section_id == doc.sections[0].section_id
    tight = parse_text(FM + "\nIntro.\n::instruction::\n" + OLD_MARKER + "\n### Q\nq\n### A\na")
    assert apply_edits(tight.text, plan_revert(tight)) == FM + "\nIntro."


@pytest.mark.parametrize("path", utf8_corpus_docs(), ids=lambda p: p.name)
def test_revert_all_keeps_every_other_section(path: Path) -> None:
    doc = parse_text(path.read_bytes().decode("utf-8"))
    new = parse_text(("\ufeff" if doc.bom else "") + apply_edits(doc.text, plan_revert(doc)))
    kept = [(s.type, s.section_id, s.content) for s in doc.sections if not s.auto_synth]
    assert [(s.type, s.section_id, s.content) for s in new.sections] == kept
    assert not any(s.auto_synth for s in new.sections)


# ------------------------------------------------------------------ properties

_NASTY_LINES = [
    "::instruction::",
    "::preference::",
    "::prose::",
    "::prose#x::",
    '::image path="a.png"::',
    "::foo::",
    "```",
    "```python",
    "### Q",
    "### A",
    " ### Q ",
    "### Q !probe",
    "### Prompt",
    "---",
    OLD_MARKER,
    "",
    "  ",
    "\t",
]
_BREAKS = ["\n", "\n", "\n", "\r\n", "\r", "\u2028", "\x85", "\v", "\x1e"]
_piece = st.one_of(st.sampled_from(_NASTY_LINES), st.text(max_size=30))
_field = st.lists(st.tuples(_piece, st.sampled_from(_BREAKS)), min_size=1, max_size=6).map(
    lambda items: "".join(a + b for a, b in items)
)


@given(q=_field, a=_field)
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_property_sanitised_pairs_read_back(q: str, a: str) -> None:
    clean = sanitize_pair(q, a)
    if clean is None:
        assert not sanitize_text(q) or not sanitize_text(a)
        return
    assert sanitize_pair(*clean) == clean
    text = FM + "\nSource.\n\n::prose::\nNext.\n"
    doc = parse_text(text)
    new, _ = insert(text, doc.sections[0].section_id, [(q, a)])
    after = parse_text(new)
    assert errors(after) == []
    assert [s.type for s in after.sections] == [SectionType.PROSE, SectionType.INSTRUCTION, SectionType.PROSE]
    items, error = parse_instruction(after.sections[1].content)
    assert error is None and [item.fields for item in items] == [clean]
    assert apply_edits(new, plan_revert(after)) == text


_prose_line = st.one_of(
    st.sampled_from(["Some prose.", "# Heading", "---", "", "", "  ", "text ::x:: more", "::instruction:: "]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\n\r"), max_size=20).filter(
        lambda s: not s.startswith(("::", "```", "<!--"))
    ),
)
_prose = st.lists(_prose_line, min_size=1, max_size=4).map("\n".join)
_instruction = st.sampled_from(
    [
        "::instruction::\n### Q\nq\n### A\na",
        "::instruction#tone::\n### Q\nq2\n### A\na2",
        f"::instruction::\n{OLD_MARKER}\n### Q\norig\n### A\norig",
        "::instruction::",
        "::preference::\n### Prompt\np\n### Chosen\nc\n### Rejected\nr",
        '::image path="a.png"::\ncaption',
    ]
)
_block = st.one_of(
    _prose.map(lambda p: ("prose", p)),
    _instruction.map(lambda i: ("fenced", i)),
    st.just(("code", "```\n::instruction::\n```")),
)


@st.composite
def documents(draw: st.DrawFn) -> str:
    blocks = draw(st.lists(_block, min_size=1, max_size=6))
    parts: list[str] = []
    for index, (kind, body) in enumerate(blocks):
        if kind == "prose" and index > 0:
            body = draw(st.sampled_from(["::prose::", "::prose#x::"])) + "\n" + body
        elif kind == "code":
            body = ("::prose::\n" if index > 0 else "") + "Code:\n" + body
        parts.append(body)
        parts.append(draw(st.sampled_from(["\n", "\n\n", "\n\n\n"])))
    body = "".join(parts)
    if draw(st.booleans()):
        body = body.rstrip("\n")
    lead = draw(st.sampled_from(["", "\n", "\n\n"]))
    return FM + lead + body


@given(text=documents(), pairs=st.lists(st.tuples(_field, _field), min_size=1, max_size=3))
@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
def test_property_insert_revert_round_trip(text: str, pairs: list[tuple[str, str]]) -> None:
    check_insert_and_revert(text, pairs)
    doc = parse_text(text)
    reverted = parse_text(apply_edits(doc.text, plan_revert(doc)))
    kept = [(s.type, s.section_id) for s in doc.sections if not s.auto_synth]
    assert [(s.type, s.section_id) for s in reverted.sections] == kept
