"""A synthesis job follows its source through whatever the user types meanwhile.

Seeded random trials over a real server (both client profiles): open a document,
start a job on one prose section, hold the teacher's reply, make random edits —
words and lines typed and deleted above, inside and below the source, new sections
(also inside it), joined lines, sometimes the whole source deleted — then let the
teacher answer and check where the pairs went:

- the pairs are one contiguous insertion into the text as the user left it (every
  user character intact);
- they sit right after the section the source's range leads to and their markers
  name its id in the final text;
- a deleted (or swallowed) source means nothing is inserted and the pairs are staged.

The expected source is computed here on character offsets of the whole text (an
independent model of the server's line/column tracking): the range from the first
content character of the source to the end of its last non-blank line; text
inserted at its start goes before it, at its end inside it; a replacement that
covers one edge joins it. The source is then the non-empty prose section holding
the range's start, else the first one the range reaches.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from dlm_synth_lsp.document import SectionType, parse_text
from dlm_synth_lsp.document.model import Section
from dlm_synth_lsp.document.text import PositionEncoding, chars_to_units
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from tests.fakes.llm_server import FakeLLMServer, fake_llm_server
from tests.fakes.teacher_replies import passage_reply

from .conftest import Editor, configure, file_uri

TRIALS_PER_PROFILE = 100
SEED = 20_240_610

WORDS = ["tile", "cache", "vector", "loop", "row", "block", "fast", "data", "😋", "naïve"]
PARAGRAPHS = [
    "Tiled loops keep a block of A in the L2 cache.\nEach block is reused for a whole row of B.",
    "AVX-512 registers hold eight doubles. Two FMA units give sixteen flops per cycle.",
    "# Prefetching 😋\n\nHardware prefetchers follow strided streams.\nSoftware hints help irregular ones.",
    "Packing copies a panel into contiguous memory so that the inner kernel\nstreams it without TLB misses.",
    "Loop unrolling trades code size for fewer branches; four is a common factor.",
]


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with fake_llm_server(default_reply=passage_reply) as fake:
        yield fake


# -- the document and the edits --------------------------------------------------------


def make_document(rng: random.Random, dlm_id: str) -> str:
    """Frontmatter, then 2–4 prose sections (the first unfenced), with a hand-written
    instruction pair here and there."""
    parts = [f"---\ndlm_id: {dlm_id}\nbase_model: smollm2-135m\n---\n"]
    for index, paragraph in enumerate(rng.sample(PARAGRAPHS, rng.randint(2, 4))):
        if index:
            parts.append("::prose::\n")
        parts.append(paragraph + "\n" + "\n" * rng.randint(1, 2))
        if rng.random() < 0.4:
            parts.append("::instruction::\n### Q\nWhat is this about?\n### A\nPerformance.\n\n")
    return "".join(parts).rstrip("\n") + "\n"


@dataclass
class Source:
    """The followed range as character offsets into the whole text."""

    start: int
    end: int

    def through(self, a: int, b: int, inserted: str) -> None:
        """The range after [a, b) was replaced by `inserted`."""
        self.start = _moved(self.start, a, b, len(inserted), stays_left=True)
        self.end = _moved(self.end, a, b, len(inserted), stays_left=False)


def _moved(pos: int, a: int, b: int, n: int, *, stays_left: bool) -> int:
    if pos < a or (pos == a and (stays_left or a != b)):
        return pos
    if pos < b:
        return a if stays_left else a + n
    return pos + n - (b - a)


def line_starts(text: str) -> list[int]:
    starts = [0]
    starts += [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    return starts


def source_range(text: str, section: Section) -> Source:
    starts = line_starts(text)
    lines = text.split("\n")
    first = section.content_start_line - 1
    last = section.end_line - 1
    while last > first and not lines[last].strip():
        last -= 1
    return Source(starts[first], starts[last] + len(lines[last]))


def random_edit(rng: random.Random, text: str, body: int, source: Source) -> tuple[int, int, str]:
    """One edit [a, b) → new text, in the body (after the frontmatter)."""
    starts = [s for s in line_starts(text) if s >= body]
    where = rng.choice(["above", "inside", "inside", "below"])
    if where == "above":
        low, high = body, max(body, source.start)
    elif where == "inside":
        low, high = source.start, source.end
    else:
        low, high = source.end, len(text)
    a = rng.randint(low, high)
    kind = rng.choice(["words", "words", "line", "delete", "delete", "section", "join", "replace"])
    if kind == "words":
        return a, a, " ".join(rng.sample(WORDS, rng.randint(1, 3))) + rng.choice([" ", ""])
    if kind == "line":
        return a, a, "\n" + " ".join(rng.sample(WORDS, 3)) + ".\n"
    if kind == "delete":
        return a, min(len(text), a + rng.randint(1, 12)), ""
    if kind == "replace":
        return a, min(len(text), a + rng.randint(1, 6)), rng.choice(WORDS)
    if kind == "section":
        line_start = max([s for s in starts if s <= a] or [body])
        fence = rng.choice(
            ["::prose::\nA paragraph typed meanwhile.\n\n", "::instruction::\n### Q\nNew?\n### A\nYes.\n\n"]
        )
        return line_start, line_start, fence
    breaks = [i for i in range(max(body, low - 1), min(len(text) - 1, high + 1)) if text[i] == "\n"]
    if not breaks:
        return a, a, rng.choice(WORDS)
    at = rng.choice(breaks)
    return at, at + 1, rng.choice(["", " "])


def to_editor(text: str, offset: int, encoding: PositionEncoding) -> tuple[int, int]:
    line = text.count("\n", 0, offset)
    start = text.rfind("\n", 0, offset) + 1
    return line, chars_to_units(text[start:offset], offset - start, encoding)


# -- what should happen ----------------------------------------------------------------


def expected_source(text: str, source: Source) -> Section | None:
    """The section the pairs must follow, None when they must be staged."""
    if source.start == source.end or not text[source.start : source.end].strip():
        return None
    doc = parse_text(text)
    first_line = text.count("\n", 0, source.start)
    last_line = text.count("\n", 0, source.end)

    def usable(s: Section) -> bool:
        return s.type is SectionType.PROSE and bool(s.content.strip())

    holding = [s for s in doc.sections if s.start_line - 1 <= first_line <= s.end_line - 1]
    if holding and usable(holding[0]):
        return holding[0]
    reached = [
        s
        for s in doc.sections
        if s.end_line - 1 >= first_line and s.start_line - 1 <= last_line and usable(s)
    ]
    return reached[0] if reached else None


def inserted_at(before: str, after: str, offset: int) -> str | None:
    """The chunk `after` has inserted at `offset` of `before`; None when `after` is
    anything else (a user character changed, or the chunk is elsewhere)."""
    size = len(after) - len(before)
    if size > 0 and after[:offset] == before[:offset] and after[offset + size :] == before[offset:]:
        return after[offset : offset + size]
    return None


# -- the trials ------------------------------------------------------------------------


async def run_trial(
    client: LanguageClient, editor: Editor, server: FakeLLMServer, tmp_path: Path, seed: int
) -> str:
    """One trial; returns the job's status."""
    rng = random.Random(seed)
    dlm_id = f"01KPQ9X{seed % 10**19:019d}"
    path = tmp_path / f"trial-{seed}.dlm"
    text = make_document(rng, dlm_id)
    path.write_text(text, encoding="utf-8")
    uri = file_uri(path)
    editor.open(uri, text)
    doc = parse_text(text)
    prose = [s for s in doc.sections if s.type is SectionType.PROSE and s.content.strip()]
    chosen = rng.choice(prose)
    source = source_range(text, chosen)
    body = line_starts(text)[doc.frontmatter.closer + 1]  # type: ignore[operator]

    gate = threading.Event()
    server.gate = gate
    seen = len(server.generation_requests())
    args = {"uri": uri, "sectionId": chosen.section_id, "perSection": rng.randint(1, 2)}
    job = client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command="dlm-synth.synthesize", arguments=[args])
    )
    task = asyncio.ensure_future(job)
    assert await asyncio.to_thread(server.wait_for, lambda s: len(s.generation_requests()) > seen, 20.0)

    delete_source = rng.random() < 0.12
    for _ in range(rng.randint(1, 6)):
        current = editor.texts[uri]
        a, b, new = random_edit(rng, current, body, source)
        editor.change(
            uri, to_editor(current, a, editor.encoding), to_editor(current, b, editor.encoding), new
        )
        source.through(a, b, new)
    if delete_source:
        current = editor.texts[uri]
        a, b = source.start, source.end
        editor.change(uri, to_editor(current, a, editor.encoding), to_editor(current, b, editor.encoding), "")
        source.through(a, b, "")
    # every change has reached the server once it answers a request sent after them
    await client.text_document_folding_range_async(
        lsp.FoldingRangeParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
    )
    before = editor.texts[uri]
    target = expected_source(before, source)
    gate.set()
    result = await asyncio.wait_for(task, 30)
    after = editor.texts[uri]
    context = f"seed {seed}: {result['message']['text']}\n--- before landing:\n{before}\n--- after:\n{after}"

    if target is None:
        assert result["status"] == "staged", context
        # the message says why: the source was deleted, or became part of another section
        why = result["message"]["text"]
        assert "source section was deleted" in why or "section that is not prose" in why, context
        assert after == before, context
        pending = tmp_path / "home" / "store" / dlm_id / "synth" / "pending.json"
        staged = json.loads(pending.read_text(encoding="utf-8"))["sections"]
        assert len(staged) == result["staged"] == result["accepted"], context
    else:
        assert result["status"] == "applied" and result["applied"] == result["accepted"], context
        starts = line_starts(before)
        offset = starts[target.end_line] if target.end_line < len(starts) else len(before)
        chunk = inserted_at(before, after, offset)
        assert chunk is not None and chunk.lstrip("\n").startswith("::instruction::"), context
        final = parse_text(after)
        inserted = [s for s in final.sections if s.auto_synth and s.content in chunk]
        assert len(inserted) == result["applied"], context
        # right after the source: the first inserted section follows the source's block
        order = list(final.sections)
        source_now = next(s for s in order if s.start_line == target.start_line)
        assert source_now.section_id == target.section_id, context
        assert order[order.index(source_now) + 1] is inserted[0], context
        assert all(s.source_section_id == target.section_id for s in inserted), context
    editor.client.text_document_did_close(
        lsp.DidCloseTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
    )
    server.gate = None
    return str(result["status"])


async def test_jobs_follow_their_source_through_random_edits(
    client: LanguageClient, editor: Editor, server: FakeLLMServer, tmp_path: Path
) -> None:
    await configure(
        client, teacher=f"vllm-server:{server.url}", filter="dedup-only", dlmHome=str(tmp_path / "home")
    )
    base = SEED + (0 if editor.encoding is PositionEncoding.UTF16 else 1_000_000)
    outcomes = [
        await run_trial(client, editor, server, tmp_path, base + n) for n in range(TRIALS_PER_PROFILE)
    ]
    # both outcomes were exercised
    assert outcomes.count("applied") > TRIALS_PER_PROFILE // 2 and outcomes.count("staged") >= 3, outcomes
