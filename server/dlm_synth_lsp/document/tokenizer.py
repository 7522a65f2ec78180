"""The body tokenizer: one pass over lines, code-fence aware, split into blocks.

A *block* is the run of lines from one section boundary to the next. Every block
starts in the same tokenizer state (outside a code block, type fixed by its fence
line), which is what makes incremental re-tokenising sound: once a re-scan reaches
an old, unchanged boundary, everything after it tokenises exactly as before.
Whitespace-only prose still forms a block (so boundaries stay aligned) but carries
no Section, as upstream drops it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from .fences import CODE_FENCE_PREFIX, Fence, classify, looks_like_fence
from .grammar import parse_instruction, parse_preference
from .marker import (
    HARVEST_RE,
    MARKER_HEAD,
    MARKER_PREFIXES,
    MINED_RE,
    SYNTH_RE,
    MarkerError,
    parse_mined_marker,
    parse_synth_marker,
)
from .model import Section, SectionType, section_id
from .problems import Code, Problem
from .text import ODD_BREAKS, Span

_CHUNK = 256  # lines per candidate search in scan()
#: classify() is a pure function of the line and fence lines repeat a lot; Fence is frozen
_classify_short = lru_cache(maxsize=4096)(classify)
#: fence lines are short; a longer line is classified without being kept (4096 huge
#: lines that start with "::" would otherwise stay in memory after their document)
_CACHED_LINE = 256


def _classify(line: str) -> Fence | None:
    return _classify_short(line) if len(line) <= _CACHED_LINE else classify(line)


# Conservative fast path for the body grammar: a body made only of blank lines, exact
# header lines and lines that cannot be headers (no `###` after leading whitespace) in
# a valid order is valid for grammar.py. Anything else (odd line breaks that
# str.splitlines() honours, padded headers, ...) goes to grammar.py itself.
# Each line matches one way only and never as a header, so every quantifier can be
# possessive: no backtracking, linear time even for a long body that fails at its end.
_BLANK = r"[^\S\n]*+\n"
_ORDINARY = r"(?![^\S\n]*+###)[^\S\n]*+\S[^\n]*+\n"
# a field body is non-blank lines ended by one (consumed) blank line or a header;
# any number of blank lines may follow the last field of an item
_FIELD = rf"(?:{_ORDINARY})++(?:{_BLANK})?+"
_LAST = rf"(?:{_ORDINARY})++(?:{_BLANK})*+"
_VALID_INSTRUCTION = re.compile(rf"(?:{_BLANK})*+(?:### Q\n{_FIELD}### A\n{_LAST})++")
_VALID_PREFERENCE = re.compile(
    rf"(?:{_BLANK})*+(?:### Prompt\n{_FIELD}### Chosen\n{_FIELD}### Rejected\n{_LAST})++"
)


@dataclass(frozen=True, slots=True)
class Block:
    """Lines [first, stop) of the document (0-based line indices)."""

    first: int
    stop: int
    section: Section | None
    problems: tuple[Problem, ...]

    def shifted(self, delta: int) -> Block:
        if delta == 0:
            return self
        return Block(
            self.first + delta,
            self.stop + delta,
            self.section.shifted(delta) if self.section else None,
            tuple([p.shifted(delta) for p in self.problems]) if self.problems else (),
        )


@dataclass(frozen=True, slots=True)
class Scan:
    blocks: list[Block]
    resumed_at: int | None  # line index where an old boundary was met (None: ran to the end)
    open_code: int | None  # line index of an unterminated ``` opener


def _fence_problem(index: int, fence: Fence) -> Problem | None:
    p = fence.problem
    if p is None:
        return None
    return Problem(p.code, Span.of(index, p.start, index, p.end), p.message, p.data)


def _lift_markers(
    lines: Sequence[str], first: int, stop: int, kind: SectionType, problems: list[Problem]
) -> tuple[int, dict[str, object]]:
    """Lift leading marker lines; returns (count, section fields)."""
    fields: dict[str, object] = {}
    index = first
    last_synth: int | None = None  # the winning synth marker's line
    while index < stop:
        line = lines[index]
        if not line.startswith(MARKER_HEAD):  # every marker starts so
            break
        if harvest := HARVEST_RE.match(line):
            fields.update(auto_harvest=True, harvest_source=harvest.group(1))
        elif kind is SectionType.PREFERENCE and MINED_RE.match(line):
            try:
                mined = parse_mined_marker(line)
                assert mined is not None
                fields.update(
                    auto_mined=True,
                    judge_name=mined.judge_name,
                    judge_score_chosen=mined.judge_score_chosen,
                    judge_score_rejected=mined.judge_score_rejected,
                    mined_at=mined.mined_at,
                    mined_run_id=mined.mined_run_id,
                )
            except MarkerError as exc:
                problems.append(_marker_problem(Code.MINED_MARKER, index, exc))
        elif kind is SectionType.INSTRUCTION and SYNTH_RE.match(line):
            try:
                synth = parse_synth_marker(line, require_non_empty=False)
                assert synth is not None
                last_synth = index
                fields.update(
                    auto_synth=True,
                    synth_teacher=synth.synth_teacher,
                    synth_strategy=synth.synth_strategy,
                    synth_at=synth.synth_at,
                    source_section_id=synth.source_section_id,
                )
            except MarkerError as exc:
                problems.append(_marker_problem(Code.SYNTH_MARKER, index, exc))
        else:
            break
        index += 1
    if last_synth is not None and not (fields["synth_teacher"] and fields["synth_strategy"]):
        # upstream's Section constructor checks only the final (last-wins) values
        try:
            parse_synth_marker(lines[last_synth])
        except MarkerError as exc:
            problems.append(_marker_problem(Code.SYNTH_MARKER, last_synth, exc))
    return index - first, fields


def _marker_problem(code: Code, index: int, exc: MarkerError) -> Problem:
    data = (("key", exc.key),) if exc.key else ()
    return Problem(code, Span.of(index, exc.start, index, exc.end), exc.message, data)


def _grammar_problem(
    kind: SectionType, content: str, content_first: int, problems: list[Problem]
) -> None:
    if kind is SectionType.INSTRUCTION or kind is SectionType.PREFERENCE:
        fast = _VALID_INSTRUCTION if kind is SectionType.INSTRUCTION else _VALID_PREFERENCE
        if not ODD_BREAKS.search(content) and fast.fullmatch(content + "\n"):
            return
    if kind is SectionType.INSTRUCTION:
        _, error = parse_instruction(content)
        code = Code.INSTRUCTION_GRAMMAR
    elif kind is SectionType.PREFERENCE:
        _, error = parse_preference(content)
        code = Code.PREFERENCE_GRAMMAR
    else:
        return
    if error is None:
        return
    # map the splitlines() line back to a document line
    pieces = content.splitlines(keepends=True)
    offset = sum(len(piece) for piece in pieces[: error.line - 1])
    row = content_first + content.count("\n", 0, offset)
    column = offset - (content.rfind("\n", 0, offset) + 1)
    piece = pieces[error.line - 1].rstrip("\r\n") if error.line - 1 < len(pieces) else ""
    width = len(piece.splitlines()[0]) if piece.splitlines() else 0
    message = f"{error.message} (upstream accepts this, but training will reject it)"
    problems.append(Problem(code, Span.of(row, column, row, column + width), message))


def _build_block(
    lines: Sequence[str],
    first: int,
    stop: int,
    fence: Fence | None,
    problems: list[Problem],
) -> Block:
    kind = fence.type if fence is not None and fence.type is not None else SectionType.PROSE
    fenced = fence is not None
    content_first = first + 1 if fenced else first
    marker_count: int = 0
    fields: dict[str, object] = {}
    if kind in (SectionType.INSTRUCTION, SectionType.PREFERENCE):
        marker_count, fields = _lift_markers(lines, content_first, stop, kind, problems)
    body_first = content_first + marker_count
    content = "\n".join(lines[body_first:stop])
    # every marker prefix starts with MARKER_HEAD: skip the per-line loop without one
    if kind not in (SectionType.INSTRUCTION, SectionType.PREFERENCE) or MARKER_HEAD not in content:
        stop_markers = body_first
    else:
        stop_markers = stop
    for index in range(body_first, stop_markers):
        line = lines[index]
        if line.startswith(MARKER_PREFIXES):
            problems.append(
                Problem(
                    Code.MARKER_AS_CONTENT,
                    Span.of(index, 0, index, len(line)),
                    "this provenance marker is ordinary content here: markers are only read "
                    "directly under an ::instruction:: (synth, harvest) or ::preference:: "
                    "(mined, harvest) fence, with no blank line before them",
                )
            )
    if kind is SectionType.PROSE and not content.strip():
        return Block(first, stop, None, tuple(problems))
    _grammar_problem(kind, content, body_first, problems)
    attrs = fence.attrs if fence is not None else {}
    media_path = attrs.get("path")
    section = Section(
        type=kind,
        content=content,
        start_line=first + 1,
        end_line=max(stop, first + 1),
        section_id=section_id(kind, content, media_path),
        fenced=fenced,
        marker_lines=marker_count,
        adapter=fence.adapter if fence is not None else None,
        media_path=media_path,
        media_alt=attrs.get("alt"),
        media_transcript=attrs.get("transcript"),
        **fields,  # type: ignore[arg-type]
    )
    return Block(first, stop, section, tuple(problems))


def scan(
    lines: Sequence[str],
    first: int,
    stop: int,
    *,
    leading_prose: bool,
    resync: Callable[[int], bool] | None = None,
) -> Scan:
    """Tokenise lines [first, stop).

    `leading_prose` says `first` is the body start (an implicit prose block);
    otherwise line `first` is a boundary line. `resync(index)` is asked at every
    later boundary; returning True stops the scan there.
    """
    blocks: list[Block] = []
    in_code = False
    open_code: int | None = None
    block_first = first
    fence: Fence | None = None
    problems: list[Problem] = []
    index = first
    if not leading_prose and first < stop:
        fence = _classify(lines[first])
        if fence is not None:
            problem = _fence_problem(first, fence)
            if problem is not None:
                problems.append(problem)
        index = first + 1
    # Only lines holding "::" or starting with ``` can matter; find them a chunk at a
    # time with a comprehension (fast), so a scan that resyncs early stays cheap.
    for chunk in range(index, stop, _CHUNK):
        hits = [
            i
            for i in range(chunk, min(chunk + _CHUNK, stop))
            if "::" in (text := lines[i]) or text.startswith(CODE_FENCE_PREFIX)
        ]
        for index in hits:
            line = lines[index]
            if line.startswith(CODE_FENCE_PREFIX):
                in_code = not in_code
                open_code = index if in_code else None
            elif in_code:
                continue
            elif line.startswith("::") and (candidate := _classify(line)) is not None:
                problem = _fence_problem(index, candidate)
                if candidate.type is not None:
                    if resync is not None and resync(index):
                        blocks.append(_build_block(lines, block_first, index, fence, problems))
                        return Scan(blocks, index, None)
                    blocks.append(_build_block(lines, block_first, index, fence, problems))
                    block_first, fence, problems = index, candidate, []
                if problem is not None:
                    problems.append(problem)
            elif looks_like_fence(line):  # "::" is in the line
                problems.append(
                    Problem(
                        Code.FENCE_LIKE_CONTENT,
                        Span.of(index, 0, index, len(line)),
                        "not a fence: fences must fill the whole line with no surrounding "
                        "whitespace, so this line is content of the current section",
                    )
                )
    if stop > first or not leading_prose:
        blocks.append(_build_block(lines, block_first, stop, fence, problems))
    return Scan(blocks, None, open_code)
