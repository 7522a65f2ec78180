"""Our insert/revert edits, judged by the upstream package itself.

- After an insertion, upstream's parser accepts the document, agrees with ours on
  every section, and every marker names a prose section that exists in upstream's
  parse (upstream never checks this; spec 8.1).
- Adversarial teacher output reads back, through upstream's own instruction parser,
  as exactly the sanitised pairs.
- Upstream's `dlm synth revert` strips exactly the sections we inserted. Upstream
  rewrites canonically (spec 1.13, 8.3, 8.4), so structure (types and stripped
  contents) is compared, not bytes, on documents without `::prose::` after an
  instruction section (which upstream's rewrite would merge away).
"""

from __future__ import annotations

import json
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from dlm_synth_lsp.document import SectionType, parse_text
from dlm_synth_lsp.document.edits import apply_edits, plan_insert
from dlm_synth_lsp.document.sanitize import sanitize_pair

from tests.compat.oracle import ORACLE_PYTHON, Oracle, comparable, ours, require_oracle, upstream_cli

pytestmark = pytest.mark.oracle

ROOT = Path(__file__).resolve().parents[2]
FM = "---\ndlm_id: 01KPQ9X1000000000000000000\nbase_model: smollm2-135m\n---\n"
MARK = dict(
    teacher="vllm-server:http://localhost:8000/", strategy="expansion", synth_at="2026-04-24T10:18:42Z"
)
OLD_MARKER = (
    '<!-- dlm-auto-synth: synth_teacher="self" synth_strategy="expansion" '
    'synth_at="2026-01-01T00:00:00Z" source_section_id="0123456789abcdef" -->'
)

DOCS = [
    FM + "\nDGEMM multiplies two dense matrices.\n",
    FM + "\nNo final newline.",
    FM + "\nTrailing blank lines.\n\n\n",
    FM + "\nIntro.\n\n::instruction::\n### Q\nWhat?\n### A\nThat.\n",
    FM + "\nNo blank before the fence.\n::instruction::\n### Q\nq\n### A\na",
    FM + "\nFirst.\n\n::prose::\nSecond.\n\n::prose#tone::\nThird.\n\n::instruction::\n### Q\nq\n### A\na\n",
    FM
    + "\nCode:\n```\n::instruction::\n```\n\n::preference::\n### Prompt\np\n### Chosen\nc\n### Rejected\nr\n",
    FM + f"\nOld synth.\n\n::instruction::\n{OLD_MARKER}\n### Q\nold\n### A\nold\n",
    "---\n# yaml comment\ndlm_id: 01KPQ9X1000000000000000000\nbase_model: smollm2-135m\n---\n\n"
    'Prose — ünïcödé, שלום, 🚀.\n\n::image path="a.png"::\ncaption\n',
]

ADVERSARIAL: list[tuple[str, str]] = [
    ("What opens a section?", "A line like\n::instruction::\nor\n::preference::\n::prose::"),
    ("::instruction::", "::preference::"),
    ("Frontmatter?", "---\ndlm_id: x\n---"),
    ("Marker?", OLD_MARKER),
    (OLD_MARKER, "```"),
    ("Code?", "```python\nx = 1"),
    ("Two blocks?", "```\na\n```\n```\nunclosed"),
    ("Headers?", "### Q\nnested?\n### A\nnested!\n### Q !probe\n  ### Prompt\n### Chosen\n### Rejected"),
    ("Windows\r\nline\rbreaks?", "yes\r\n\r\nreally\r"),
    ("NUL\x00 inside?", "a\x00b"),
    ("Long?", "x" * 20000),
    ("RTL?", "שלום עולם\u200f — مرحبا\u202e reversed"),
    ("Emoji?", "🚀🧪👩‍💻"),
    ("Separators\u2028in\u2029text\x85and\x0bvt\x0cff\x1cfs", "ok\x1d\x1e"),
]
PAIRS = [("What is it?", "It is that."), ("And ```?", "```\nunbalanced\n### Q")]

_PAIRS_SCRIPT = """
import json, sys
from dlm.data.instruction_parser import parse_instruction_body
out = []
for body in json.loads(sys.stdin.read()):
    try:
        out.append([[p.question, p.answer] for p in parse_instruction_body(body, section_id="x")])
    except Exception as exc:
        out.append(f"{type(exc).__name__}: {exc}")
print(json.dumps(out))
"""


def upstream_pairs(bodies: list[str]) -> list[Any]:
    """Upstream's own instruction-body parser (the trainer's), run in the oracle env."""
    require_oracle()
    done = subprocess.run(
        [str(ORACLE_PYTHON), "-c", _PAIRS_SCRIPT],
        input=json.dumps(bodies),
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
        timeout=120,
    )
    result: list[Any] = json.loads(done.stdout)
    return result


def _read_all(paths: list[Path]) -> list[str]:
    texts = []
    for path in paths:
        try:
            texts.append(path.read_bytes().decode("utf-8"))
        except UnicodeDecodeError:
            continue
    return texts


CORPUS = _read_all(sorted((ROOT / "tests" / "corpus").glob("*.dlm")))
EXAMPLES = _read_all(sorted((ROOT / "examples").glob("*.dlm")))


def corpus() -> list[str]:
    return CORPUS + EXAMPLES


def inserted_variants(text: str, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(source id, new text) for an insertion after each prose section."""
    doc = parse_text(text)
    if doc.has_errors:
        return []
    out = []
    for source in dict.fromkeys(s.section_id for s in doc.sections if s.type is SectionType.PROSE):
        edits = plan_insert(doc, source, pairs, **MARK)
        out.append((source, apply_edits(doc.text, edits)))
    return out


def inserted_everywhere(text: str, pairs: list[tuple[str, str]]) -> str | None:
    """One text with pairs inserted after every prose section at once (the edits of
    separate plan_insert calls on one snapshot never overlap)."""
    doc = parse_text(text)
    if doc.has_errors:
        return None
    sources = dict.fromkeys(s.section_id for s in doc.sections if s.type is SectionType.PROSE)
    if not sources:
        return None
    edits = [edit for source in sources for edit in plan_insert(doc, source, pairs, **MARK)]
    return apply_edits(doc.text, edits)


@pytest.mark.parametrize("text", DOCS + corpus())
def test_upstream_accepts_insertion_and_markers_resolve(oracle: Oracle, text: str) -> None:
    for source, new in inserted_variants(text, PAIRS):
        theirs = oracle.parse(new)
        assert not theirs["error"], theirs
        assert comparable(ours(new)) == comparable(theirs)
        prose = {s["section_id"] for s in theirs["sections"] if s["type"] == "prose"}
        assert source in prose
        for section in theirs["sections"]:
            if section["auto_synth"]:
                assert (
                    section["source_section_id"] in prose
                    or section["source_section_id"] == "0123456789abcdef"
                )


def test_adversarial_pairs_read_back_in_upstream(oracle: Oracle) -> None:
    text = FM + "\nSource prose.\n\n::preference::\n### Prompt\np\n### Chosen\nc\n### Rejected\nr\n"
    doc = parse_text(text)
    source = doc.sections[0].section_id
    new = apply_edits(doc.text, plan_insert(doc, source, ADVERSARIAL, **MARK))
    theirs = oracle.parse(new)
    assert not theirs["error"], theirs
    types = [s["type"] for s in theirs["sections"]]
    assert types == ["prose"] + ["instruction"] * len(ADVERSARIAL) + ["preference"]
    inserted = theirs["sections"][1:-1]
    assert all(s["auto_synth"] and s["source_section_id"] == source for s in inserted)
    expected = [[list(p)] for p in (sanitize_pair(q, a) for q, a in ADVERSARIAL) if p is not None]
    assert upstream_pairs([s["content"] for s in inserted]) == expected
    assert theirs["sections"][-1]["section_id"] == doc.sections[1].section_id


def _structure(result: dict[str, Any]) -> list[tuple[str, str]]:
    assert not result["error"], result
    return [(s["type"], s["content"].strip()) for s in result["sections"] if not s["auto_synth"]]


def _upstream_revert(path: Path, text: str, home: Path) -> str:
    path.write_text(text, encoding="utf-8")
    done = upstream_cli("synth", "revert", str(path), env={"DLM_HOME": str(home)})
    assert done.returncode == 0, (path.name, done.stderr)
    return path.read_text(encoding="utf-8")


def _canonical(result: dict[str, Any]) -> list[tuple[str, str]]:
    """Structure up to upstream's canonical rewrite: runs of prose merge (the serializer
    writes no prose fences) and whitespace is collapsed (it re-spaces sections)."""
    out: list[tuple[str, str]] = []
    for kind, content in _structure(result):
        text = " ".join(content.split())
        if kind == "prose" and out and out[-1][0] == "prose":
            out[-1] = ("prose", f"{out[-1][1]} {text}".strip())
        elif kind != "prose" or text:
            out.append((kind, text))
    return out


def _fenced_prose_after_other(text: str) -> bool:
    seen_other = False
    for section in parse_text(text).sections:
        if section.type is not SectionType.PROSE:
            seen_other = True
        elif seen_other:
            return True
    return False


def test_upstream_revert_strips_exactly_the_inserted_sections(oracle: Oracle, tmp_path: Path) -> None:
    """Inline documents and examples: upstream's revert of our insertion gives, byte for
    byte, what its revert of the original gives."""
    jobs: list[tuple[int, str, str]] = []
    for index, text in enumerate(DOCS + EXAMPLES):
        new = inserted_everywhere(text, PAIRS + ADVERSARIAL[:3])
        assert new is not None
        jobs.append((index, parse_text(text).text, new))
    home = tmp_path / "home"

    def run(job: tuple[int, str, str]) -> tuple[str, str]:
        index, original, new = job
        return (
            _upstream_revert(tmp_path / f"original{index}.dlm", original, home),
            _upstream_revert(tmp_path / f"inserted{index}.dlm", new, home),
        )

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(run, jobs))
    for (index, original_text, new), (baseline, reverted) in zip(jobs, results, strict=True):
        inserted = oracle.parse(new)
        assert not inserted["error"], (index, inserted)
        assert reverted == baseline, index
        theirs = oracle.parse(reverted)
        assert not any(s["auto_synth"] for s in theirs["sections"]), index
        if not _fenced_prose_after_other(original_text):
            assert _canonical(theirs) == _canonical(oracle.parse(original_text)), index


def test_upstream_revert_on_corpus(oracle: Oracle, tmp_path: Path) -> None:
    """Every corpus document with prose: upstream's revert of our insertion has the
    original's structure (one CLI run per document; the corpus is large)."""
    jobs: list[tuple[int, str, str]] = []
    for index, text in enumerate(CORPUS):
        new = inserted_everywhere(text, PAIRS)
        if new is not None and not _fenced_prose_after_other(text):
            jobs.append((index, parse_text(text).text, new))
    if not jobs:
        pytest.skip("no corpus documents with prose")
    home = tmp_path / "home"
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda j: _upstream_revert(tmp_path / f"c{j[0]}.dlm", j[2], home), jobs))
    for (index, original_text, _), reverted in zip(jobs, results, strict=True):
        theirs = oracle.parse(reverted)
        assert not any(s["auto_synth"] for s in theirs["sections"]), index
        assert _canonical(theirs) == _canonical(oracle.parse(original_text)), index
