"""Shared generators for the property tests: interesting `.dlm` lines and documents,
and an independent reference model of LSP positions over the editor's text."""

from __future__ import annotations

import re

from dlm_synth_lsp.document.text import PositionEncoding
from hypothesis import strategies as st

SYNTH = (
    '<!-- dlm-auto-synth: synth_teacher="self" synth_strategy="extraction" '
    'synth_at="2025-01-01T00:00:00Z" source_section_id="0123456789abcdef" -->'
)
MINED = (
    '<!-- dlm-auto-mined: judge_name="j" judge_score_chosen="0.9" judge_score_rejected="0.1" '
    'mined_at="2025-01-01T00:00:00Z" mined_run_id="3" -->'
)

FRONTMATTER = (
    "---",
    "dlm_id: 01HZ4X7TGZ8Y3Q2K5V6W9N0ABC",
    "dlm_version: 15",
    "base_model: smollm2-135m",
    "---",
)

BODY_LINES = (
    "",
    "",
    "",
    "# Heading",
    "## Sub heading",
    "Some prose text.",
    "héllo wörld",
    "emoji 😀 here 𝄞 ok",
    "日本語のテキスト",
    "\t tabbed  ",
    "```",
    "```",
    "```python",
    "````",
    "  ```",
    "~~~",
    "::instruction::",
    "::instruction::",
    "::preference::",
    "::prose::",
    '::image path="a.png" alt="x"::',
    '::audio path="a.wav" transcript="t"::',
    "::image::",
    "::instruction#tone::",
    "::instruction#Tone::",
    "::Instruction::",
    "::foo::",
    "::instruction:: ",
    " ::instruction::",
    '::instruction path="x"::',
    "::",
    "### Q",
    "### Q",
    "What is 2+2?",
    "### A",
    "4",
    "### Prompt",
    "### Chosen",
    "### Rejected",
    SYNTH,
    SYNTH.replace("0123456789abcdef", "zz"),
    MINED,
    '<!-- dlm-auto-harvest: source="run-1" -->',
    "<!-- dlm-auto-synth: garbage -->",
    "---",
    # deeper than PyYAML's recursion allows when it lands in the frontmatter (issue 14, item 0)
    "k: " + "[" * 600 + "]" * 600,
)

NEWLINES = ("\n", "\r\n", "\r")

INSERT_ATOMS = (
    "\n",
    "\n",
    "\r\n",
    "\r",
    "`",
    "```",
    ":",
    "::",
    "😀",
    "é",
    "\ufeff",
    "-",
    "---",
    " ",
    "a",
    "x",
    "#",
    "instruction",
)


@st.composite
def documents(draw: st.DrawFn) -> str:
    newline_style = draw(st.sampled_from(["lf", "lf", "lf", "crlf", "mixed"]))
    bom = draw(st.integers(0, 9)) == 0
    with_frontmatter = draw(st.integers(0, 9)) > 0
    body = draw(st.lists(st.sampled_from(BODY_LINES), max_size=40))
    lines = [*(FRONTMATTER if with_frontmatter else ()), *body]
    if not lines:
        return "\ufeff" if bom else ""
    parts: list[str] = []
    for line in lines:
        parts.append(line)
        if newline_style == "lf":
            parts.append("\n")
        elif newline_style == "crlf":
            parts.append("\r\n")
        else:
            parts.append(draw(st.sampled_from(NEWLINES)))
    if draw(st.booleans()):
        parts.pop()  # no final newline
    return ("\ufeff" if bom else "") + "".join(parts)


def inserted_text() -> st.SearchStrategy[str]:
    line_runs = st.lists(st.sampled_from(BODY_LINES), min_size=1, max_size=4).map(
        lambda ls: "\n".join(ls) + "\n"
    )
    atoms = st.lists(st.sampled_from(INSERT_ATOMS), max_size=6).map("".join)
    return st.one_of(st.just(""), atoms, atoms, line_runs)


# ------------------------------------------------------- reference LSP model
_BREAK = re.compile(r"\r\n|\r|\n")


def line_starts(text: str) -> tuple[list[int], list[int]]:
    """Code-point offsets of where each LSP line starts and where its content ends."""
    starts = [0]
    ends = []
    for m in _BREAK.finditer(text):
        ends.append(m.start())
        starts.append(m.end())
    ends.append(len(text))
    return starts, ends


def width(ch: str, encoding: PositionEncoding) -> int:
    if encoding == PositionEncoding.UTF32:
        return 1
    if encoding == PositionEncoding.UTF16:
        return len(ch.encode("utf-16-le")) // 2
    return len(ch.encode("utf-8"))


def to_lsp(text: str, offset: int, encoding: PositionEncoding) -> tuple[int, int]:
    starts, ends = line_starts(text)
    line = 0
    while line + 1 < len(starts) and starts[line + 1] <= offset:
        line += 1
    column = min(offset, ends[line]) - starts[line]
    chunk = text[starts[line] : starts[line] + column]
    return line, sum(width(ch, encoding) for ch in chunk)


def from_lsp(text: str, line: int, units: int, encoding: PositionEncoding) -> int:
    """LSP's rules: a line past the end means the end of the text, a column past the end
    of its line the line end, a column inside a character that character's start."""
    starts, ends = line_starts(text)
    if line >= len(starts):
        return len(text)
    offset = starts[line]
    seen = 0
    while offset < ends[line]:
        w = width(text[offset], encoding)
        if seen + w > units:
            break
        seen += w
        offset += 1
    return offset


def splice(text: str, a: int, b: int, new: str) -> str:
    a, b = min(a, b), max(a, b)
    return text[:a] + new + text[b:]
