"""Whole generated documents against the upstream parser.

Documents come from a grammar of *interesting* lines: every fence form (bare, adapter,
attribute; valid and invalid; with stray whitespace or wrong case), provenance markers
(valid, and broken in every way spec section 4 lists), code fences, headings, `### Q`
style lines, blank and whitespace-only lines and random Unicode text, with LF, CRLF,
CR and BOM variants. The frontmatter is always schema-valid: schema validation is
compared elsewhere; this test is about delimiting and the body.

Agreement is total, as in test_corpus.py. The budget is >= 20,000 documents (several
per Hypothesis example, to keep the run short); DLM_GENERATED_EXAMPLES overrides it.
"""

from __future__ import annotations

import os
import random
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.compat.oracle import Oracle, comparable, ours

pytestmark = pytest.mark.oracle

DOCS_PER_EXAMPLE = 4
TOTAL_DOCUMENTS = int(os.environ.get("DLM_GENERATED_EXAMPLES", "20000"))
STATS: Counter[str] = Counter()

SID = "0123456789abcdef"
TYPES = ("prose", "instruction", "preference", "image", "audio")


def pick(valid: list[str], invalid: list[str], odds: int = 8) -> st.SearchStrategy[str]:
    """A valid value, or (one time in `odds`) an invalid one: documents must mostly
    parse, so sections are compared and not just verdicts."""
    return st.sampled_from([*valid * ((odds - 1) * len(invalid)), *invalid * len(valid)])


def choose(rng: random.Random, valid: list[str], invalid: list[str], odds: int = 8) -> str:
    """`pick` for the pre-generated pools."""
    return rng.choice(invalid if rng.randrange(odds) == 0 else valid)


# ------------------------------------------------------------------ frontmatter
FM_VALID = [
    "---\ndlm_id: 01KPQ9X1000000000000000000\nbase_model: smollm2-135m\n---",
    "---\ndlm_id: 01KPQ9X1000000000000000000\ndlm_version: 15\nbase_model: smollm2-135m\n---",
    "---\n# comment\ndlm_id: 01KPQ9X1000000000000000000 # trailing\nbase_model: smollm2-135m\n---",
    "---\ndlm_id: 01KPQ9X1000000000000000000\nbase_model: smollm2-135m\nsystem_prompt: |\n  Be terse.\n"
    "  ---\n  Really.\n---",
]
# delimiting faults only (no schema faults): these must be refused on both sides
FM_BROKEN = [
    "",
    "--- \ndlm_id: 01KPQ9X1000000000000000000\nbase_model: smollm2-135m\n---",
    "\n---\ndlm_id: 01KPQ9X1000000000000000000\nbase_model: smollm2-135m\n---",
    "---\ndlm_id: 01KPQ9X1000000000000000000\nbase_model: smollm2-135m\n  ---",
    "---\n- a\n- b\n---",
    "---\ndlm_id: [x\n---",
]
frontmatter = pick(FM_VALID, FM_BROKEN, odds=25)

# ------------------------------------------------------------------ fences
VALID_TYPES = ["prose", "instruction", "instruction", "preference", "preference"]
BAD_TYPES = [
    "image",
    "audio",
    "Instruction",
    "INSTRUCTION",
    "instrution",
    "prse",
    "weird",
    "a-b",
    "123",
    "_x",
]
VALID_ADAPTERS = ["tone", "a", "a_b1", "x" * 32, "z9_"]
BAD_ADAPTERS = ["", "Tone", "1tone", "tone-name", "_tone", "a#b", "x" * 33]
around = st.sampled_from([" ", "\t", "  ", "\u00a0", "\u3000"])


@st.composite
def bare_fence(draw: st.DrawFn, odds: int = 12) -> str:
    name = draw(pick(VALID_TYPES, BAD_TYPES, odds))
    if draw(st.integers(0, 3)) == 0:
        name += "#" + draw(pick(VALID_ADAPTERS, BAD_ADAPTERS, odds))
    return f"::{name}::"


@st.composite
def spaced_fence(draw: st.DrawFn) -> str:
    """Fence-shaped content: surrounding whitespace means it is not a fence."""
    line = draw(st.one_of(bare_fence(odds=2), attribute_fence()))
    lead, trail = draw(st.sampled_from([(True, False), (False, True), (True, True)]))
    return (draw(around) if lead else "") + line + (draw(around) if trail else "")


attr_keys = st.sampled_from(["path", "path", "alt", "transcript", "transcript", "title", "x1", "PATH"])
attr_values = st.sampled_from(["a.png", "clips/a.wav", "", "with space", "café", "t\tab", "x-->y", 'q"q'])
separators = pick([" ", " ", "\t", "  ", "\u3000", "\x0b", "\x1f"], [""])


@st.composite
def attribute_fence(draw: st.DrawFn) -> str:
    name = draw(pick(["image", "image", "audio"], ["instruction", "prose", "widget", "Image"]))
    if draw(st.integers(0, 15)) == 0:
        name += "#" + draw(st.sampled_from(VALID_ADAPTERS))
    if draw(st.integers(0, 7)):  # a plausible attribute set
        pairs = [("path", draw(st.sampled_from(["a.png", "fig/1.png", "m.bin", ""])))]
        if name == "audio" or draw(st.integers(0, 15)) == 0:
            pairs.append(("transcript", draw(st.sampled_from(["hello", "", "ok then", 'say "hi"']))))
        if name == "image" and draw(st.booleans()):
            pairs.append(("alt", draw(pick(["a plot", "", "A"], ["café", 'x"y']))))
        if draw(st.integers(0, 11)) == 0:
            pairs.append((draw(attr_keys), draw(attr_values)))
        pairs = draw(st.permutations(pairs))
    else:
        pairs = draw(st.lists(st.tuples(attr_keys, attr_values), min_size=0, max_size=4))
    blob = "".join(draw(separators) + f'{k}="{v}"' for k, v in pairs)
    closing = draw(st.sampled_from(["", "", "", " ", "\t", "  "]))
    return f"::{name}{blob}{closing}::"


# ------------------------------------------------------------------ markers
Choice = tuple[list[str], list[str], int]
DATES: Choice = (
    [
        "2026-04-24T10:18:42Z",
        "2026-04-24T10:18:42Z",
        "2026-04-24",
        "2026-04-24T10",
        "2026-04-24 10:18:42",
        "20260424T101842Z",
        "2026-W17-5",
        "2026-04-24T10:18:42+0000",
        "2026-04-24T10:18:42.123",
    ],
    ["", "2026-04-24T10:18:42ZZ", "2026-04-24T25:00:00Z", "not-a-date", " 2026-04-24", "2026-13-01"],
    24,
)
SOURCE_IDS: Choice = ([SID, "fedcba9876543210"], ["0123456789ABCDEF", "NOT-HEX", SID[:15], SID + "0", ""], 24)
TEACHERS: Choice = (
    [
        "self",
        "hf:Qwen/Qwen2.5-1.5B-Instruct",
        "vllm-server:http://x:8000",
        " padded ",
        "教師😀",
        "a --> b",
        "t\tt",
    ],
    [""],
    40,
)
STRATEGIES: Choice = (["extraction", "expansion", "whatever", "\t"], [""], 40)
SCORES: Choice = (["0.9", "0.1", "1e-3", "-0", " 2 ", "0", "1_0"], ["high", "inf", "nan", "-inf", ""], 24)
RUN_IDS: Choice = (["1", "3", "007", " 4"], ["0", "-1", "1.5", "x", ""], 24)
MARKER_LEADS = ["<!--dlm-auto-", " <!-- dlm-auto-", "<!-- DLM-auto-"]
MARKER_SUFFIXES = ["  -->", " --> ", "-->", " -->\t", ""]


def attr_marker(rng: random.Random, kind: str, fields: dict[str, Choice]) -> str:
    """One marker line: mostly valid, broken in every way spec 4.3 lists now and then.
    Markers are pre-generated into pools (Hypothesis then draws from a pool): building
    each one with Hypothesis draws made the run several times slower."""
    pairs = [(k, choose(rng, *v)) for k, v in fields.items()]
    fault = rng.randrange(150)
    if fault == 0:  # a missing key
        pairs.pop(rng.randrange(len(pairs)))
    elif fault == 1:  # a repeated key
        pairs.append(rng.choice(pairs))
    elif fault == 2:  # an unknown or uppercase key
        pairs.append((rng.choice(["extra", "Synth_at", "x"]), "v"))
    elif fault == 3:  # an unterminated quote
        k, v = pairs[0]
        pairs[0] = (k, v + '" broken="')
    if rng.randrange(3) == 0:
        rng.shuffle(pairs)
    blob = "".join(choose(rng, [" ", " ", "\t", "  ", "\u00a0"], [""], 300) + f'{k}="{v}"' for k, v in pairs)
    if fault == 4:  # garbage
        blob = rng.choice([" garbage", "", " ", ' a="b" c'])
    lead = "<!-- dlm-auto-" if rng.randrange(100) else rng.choice(MARKER_LEADS)
    suffix = " -->" if rng.randrange(100) else rng.choice(MARKER_SUFFIXES)
    return f"{lead}{kind}:{blob}{suffix}"


_RNG = random.Random(20261124)
SYNTH_FIELDS: dict[str, Choice] = {
    "synth_teacher": TEACHERS,
    "synth_strategy": STRATEGIES,
    "synth_at": DATES,
    "source_section_id": SOURCE_IDS,
}
MINED_FIELDS: dict[str, Choice] = {
    "judge_name": (["judge", "", "j 2"], ["judge"], 2),
    "judge_score_chosen": SCORES,
    "judge_score_rejected": SCORES,
    "mined_at": DATES,
    "mined_run_id": RUN_IDS,
}
synth_marker = st.sampled_from([attr_marker(_RNG, "synth", SYNTH_FIELDS) for _ in range(4000)])
mined_marker = st.sampled_from([attr_marker(_RNG, "mined", MINED_FIELDS) for _ in range(3000)])
harvest_marker = st.sampled_from(
    [
        '<!-- dlm-auto-harvest: source="runs/a.jsonl" -->',
        '<!-- dlm-auto-harvest: source="" -->',
        "<!-- dlm-auto-harvest: source='x' -->",
        '<!-- dlm-auto-harvest:  source="x" -->',
        '<!-- dlm-auto-harvest: source="x" --> ',
        '<!-- dlm-auto-harvest: source="x" extra="y" -->',
    ]
)

# ------------------------------------------------------------------ other lines
PLAIN = [
    "",
    "",
    "",
    "",
    "   ",
    "\t",
    "  ```",
    "~~~",
    "Use ```inline``` code.",
    "# Heading",
    "## Sub heading",
    "---",
    "### Q",
    "### Q",
    "### A",
    "### A",
    "###Q",
    "### Q what?",
    "### Q !probe",
    "### Prompt",
    "### Chosen",
    "### Rejected",
    "What is DGEMM?",
    "A dense matrix multiply.",
    "- a list item",
    "> a quote",
    "::",
    "::::",
    ":instruction:",
    "\ufeffBOM inside",
    "NUL \x00 here",
    "line\u2028separator\x85",
    "שלום עולם مرحبا",
    "emoji 😀👨‍👩‍👧 𝄞",
]
random_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=24
)
fence_soup = st.text(alphabet=st.sampled_from(list(':#"=`- \tiapnx<>!')), min_size=1, max_size=12)

# (weight, strategy): weights out of 100
LINE_KINDS: list[tuple[int, st.SearchStrategy[str]]] = [
    (39, st.sampled_from(PLAIN)),
    (1, st.sampled_from(["```", "```python", "````"])),  # a lone toggle: often unterminated
    (16, bare_fence()),
    (4, attribute_fence()),
    (10, random_text),
    (4, fence_soup),
    (4, spaced_fence()),
    (8, synth_marker),
    (4, mined_marker),
    (4, harvest_marker),
    (6, st.sampled_from(["### Q", "### A", "q?", "a.", ""])),
]


@st.composite
def line(draw: st.DrawFn) -> str:
    roll = draw(st.integers(0, sum(w for w, _ in LINE_KINDS) - 1))
    for weight, strategy in LINE_KINDS:
        if roll < weight:
            return draw(strategy)
        roll -= weight
    raise AssertionError("unreachable")


@st.composite
def fenced_block(draw: st.DrawFn) -> list[str]:
    """A fence with markers directly under it: the only place markers are read."""
    name = draw(
        st.sampled_from(["instruction", "instruction", "preference", "instruction#tone", "preference#a1"])
    )
    count = draw(st.integers(1, 3))
    markers = [
        draw(st.one_of(synth_marker, synth_marker, mined_marker, harvest_marker)) for _ in range(count)
    ]
    return [f"::{name}::", *markers, *(draw(line()) for _ in range(draw(st.integers(0, 5))))]


@st.composite
def code_block(draw: st.DrawFn) -> list[str]:
    """A balanced code block: fences, markers and junk inside it are all literal."""
    opener = draw(st.sampled_from(["```", "```python", "````", "``` x"]))
    closer = draw(st.sampled_from(["```", "````", "```js"]))
    inside = st.one_of(bare_fence(odds=2), synth_marker, line())
    inner = [draw(inside) for _ in range(draw(st.integers(0, 4)))]
    return [opener, *inner, closer]


@st.composite
def body(draw: st.DrawFn) -> list[str]:
    lines: list[str] = []
    for _ in range(draw(st.integers(0, 24))):
        roll = draw(st.integers(0, 11))
        if roll < 2:
            lines.extend(draw(fenced_block()))
        elif roll == 2:
            lines.extend(draw(code_block()))
        else:
            lines.append(draw(line()))
    return lines


@st.composite
def document(draw: st.DrawFn) -> str:
    head = draw(frontmatter)
    lines = draw(body())
    text = head
    if lines or draw(st.booleans()):
        text += "\n" + draw(st.sampled_from(["", "\n", "\n", "\n\n"])) + "\n".join(lines)
    text += draw(st.sampled_from(["", "\n", "\n", "\n", "\n\n", "\n\n\n"]))
    ending = draw(st.sampled_from(["lf"] * 8 + ["crlf", "cr"]))
    if ending == "crlf":
        text = text.replace("\n", "\r\n")
    elif ending == "cr":
        text = text.replace("\n", "\r")
    if draw(st.integers(0, 14)) == 0:
        text = "\ufeff" + text
    return text


def upstream_file_text(text: str) -> str:
    """Upstream's file reader (spec 1.1): one leading BOM dropped, CRLF/CR to LF."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


@settings(
    max_examples=max(1, TOTAL_DOCUMENTS // DOCS_PER_EXAMPLE),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(docs=st.lists(document(), min_size=DOCS_PER_EXAMPLE, max_size=DOCS_PER_EXAMPLE))
def test_generated_documents_agree_with_upstream(docs: list[str], oracle: Oracle) -> None:
    for text in docs:
        upstream = oracle.parse(upstream_file_text(text))
        mine = ours(text)
        STATS["documents"] += 1
        STATS["refused" if upstream["error"] else "accepted"] += 1
        if not upstream["error"]:
            STATS["sections"] += len(upstream["sections"])
            STATS["marked"] += sum(
                s["auto_synth"] or s["auto_mined"] or s["auto_harvest"] for s in upstream["sections"]
            )
        assert comparable(mine) == comparable(upstream), (text, upstream.get("message"))


def test_generated_documents_were_interesting() -> None:
    """The run above really compared bodies: enough documents, most of them accepted
    (so sections are compared, not just verdicts), with markers among them."""
    if not STATS["documents"]:
        pytest.skip("the generated-document test did not run in this session")
    assert STATS["documents"] >= TOTAL_DOCUMENTS
    assert STATS["accepted"] >= STATS["documents"] // 3, STATS
    assert STATS["marked"] >= STATS["documents"] // 20, STATS
