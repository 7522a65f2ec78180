"""Landing pairs in a document on disk (the command line's way; the language server
lands them in the editor's buffer instead): written into the file, or staged, and
never lost without saying so.

A write is a compare-and-swap under the document's lock (`locks.py`): the file is
written only if it still holds the bytes the run started from, so a concurrent run
or an editor's save is never overwritten; a file that changed, a read-only file
(refused like an editor refuses it, unless asked), or a write that fails (a full
disk, a read-only directory) leaves the document byte for byte as it was and the
pairs go to the staged plan instead, where `synth apply` picks them up. When even
staging fails, the pairs that could not be saved are returned as `unsaved`, for the
caller to show.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ..document import Document, parse_bytes
from ..document.edits import render
from .files import write_atomic
from .locks import locked_document
from .placement import plan_placement
from .staging import MarkedPair, merge_plan, pending_for

Mode = Literal["apply", "stage", "dry-run"]
LandingKind = Literal["applied", "staged", "dry-run", "nothing-accepted"]


class WriteRefused(Exception):
    """The document was not written, on purpose: it changed since it was read, or it
    is read-only. `current` holds the file's bytes when it changed."""

    def __init__(self, message: str, current: bytes | None = None) -> None:
        super().__init__(message)
        self.current = current


def is_read_only(path: Path) -> bool:
    """The file itself is read-only: no write bit at all (root may write anything, but
    an editor still treats a 0444 file as read-only), or none for us. A read-only
    filesystem is not the file's doing: the write is tried and fails with its reason."""
    if not path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        return True
    if os.access(path, os.W_OK):
        return False
    return not os.statvfs(path).f_flag & os.ST_RDONLY


def write_document(path: Path, original: bytes, text: str, *, allow_read_only: bool = False) -> None:
    """Replace the file at `path` with `text` (atomically, keeping its permissions) if
    it still holds `original`. WriteRefused when it changed or is read-only (unless
    `allow_read_only`); OSError when the write fails, the file then unchanged."""
    target = path.resolve()
    with locked_document(target):
        current = target.read_bytes()
        if current != original:
            raise WriteRefused(f"{path} changed on disk while synth ran; not writing over it", current)
        if not allow_read_only and is_read_only(target):
            raise WriteRefused(
                f"{path} is read-only; not writing into it (--allow-read-only to write anyway)"
            )
        write_atomic(target, text, mode=target.stat().st_mode & 0o7777)


def os_reason(exc: OSError) -> str:
    """An OSError as a short phrase, without a traceback: "No space left on device"."""
    return exc.strerror or str(exc) or type(exc).__name__


@dataclass(slots=True)
class FileLanding:
    """What happened to a run's pairs. `problems` says why anything was not written
    as asked; `failed` is set when the file or the store could not be written (the
    command line's exit status 1), not when a write was refused on purpose because
    the file changed."""

    kind: LandingKind
    written: list[MarkedPair] = field(default_factory=list)
    present: list[MarkedPair] = field(default_factory=list)
    staged: list[MarkedPair] = field(default_factory=list)
    unsaved: list[MarkedPair] = field(default_factory=list)
    staged_path: Path | None = None
    problems: list[str] = field(default_factory=list)
    failed: bool = False


def land_in_file(
    path: Path,
    original: bytes,
    doc: Document,
    pairs: Sequence[MarkedPair],
    contents: dict[str, str] | None = None,
    *,
    mode: Mode,
    home: str | None = None,
    allow_read_only: bool = False,
) -> FileLanding:
    """Apply, stage or only report `pairs` (accepted for `doc`, parsed from `original`,
    the bytes of `path` when the run started)."""
    if not pairs:
        return FileLanding("nothing-accepted")
    if mode == "dry-run":
        return FileLanding("dry-run")
    if mode == "stage":
        landing = FileLanding("staged")
        _stage(landing, path, doc, list(pairs), home)
        return landing
    landing = FileLanding("applied")
    placement = plan_placement(doc, pairs, contents)
    landing.present += placement.present
    leftover = list(placement.unplaced) + list(placement.unusable)
    if placement.edits:
        try:
            write_document(
                path, original, render(doc, placement.edits).source_text, allow_read_only=allow_read_only
            )
            landing.written += placement.placed
        except WriteRefused as exc:
            landing.problems.append(str(exc))
            landing.failed = exc.current is None  # read-only: not written as asked
            leftover += _not_in(exc.current, placement.placed, landing)
        except OSError as exc:
            landing.problems.append(f"cannot write {path}: {os_reason(exc)}; the file is unchanged")
            landing.failed = True
            leftover += placement.placed
    if placement.unusable:
        landing.problems.append(
            f"{len(placement.unusable)} pair(s) have nothing left once unsafe text is removed; not written"
        )
    if leftover:
        _stage(landing, path, doc, leftover, home)
    return landing


def _not_in(current: bytes | None, pairs: list[MarkedPair], landing: FileLanding) -> list[MarkedPair]:
    """`pairs` that the changed file does not hold yet (those it holds are `present`)."""
    if current is None:
        return pairs
    try:
        there = {pair for pair, _ in parse_bytes(current).instruction_pairs}
    except ValueError:
        return pairs
    missing = [p for p in pairs if (p.question, p.answer) not in there]
    landing.present += [p for p in pairs if (p.question, p.answer) in there]
    return missing


def _stage(
    landing: FileLanding, path: Path, doc: Document, pairs: list[MarkedPair], home: str | None
) -> None:
    try:
        pending = pending_for(doc, home)
    except ValueError as exc:  # a dlm_id that cannot name a store directory
        pending, why = None, str(exc)
    else:
        why = "it has no dlm_id in its frontmatter, so there is no store to stage into"
    if pending is None:
        landing.problems.append(f"{len(pairs)} pair(s) not saved: {why}")
        landing.unsaved += pairs
        landing.failed = True
        return
    try:
        merge_plan(pending, path, pairs)
    except OSError as exc:
        landing.problems.append(
            f"cannot stage in {pending}: {os_reason(exc)}; {len(pairs)} pair(s) not saved"
        )
        landing.unsaved += pairs
        landing.failed = True
        return
    landing.staged += pairs
    landing.staged_path = pending
