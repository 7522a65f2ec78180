"""The dlm store on disk and the staged plan in it, for both front ends.

- Layout (`DLM_HOME`, `store/<dlm_id>/`, the current adapter pointer) and precedence
  follow upstream (spec 5.8), so `dlm synth list` reads what we stage and our `self`
  teacher / `sway` judge find the adapters `dlm train` writes.
- The staged plan, `store/<dlm_id>/synth/pending.json`, is written exactly as upstream
  writes it (sorted keys, two-space indent, ASCII escapes, 22 keys per section,
  content without a trailing newline). Upstream can only list a staged plan; here it
  can also be applied later (`read_staged` + placement, then `unstage`), by the CLI's
  `synth apply` and the server's `dlm-synth.applyStaged` alike.
- Every change to a plan is a read-modify-write under the plan's lock
  (`locks.locked_beside`): CLI runs and the language server may stage into the same
  plan at once, and staging only ever adds (`merge_plan`) or removes exactly the
  pairs that were written (`unstage`), so nothing staged by someone else is lost.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..document import Document
from ..document.grammar import parse_instruction
from .errors import PendingSynthPlanError
from .files import write_atomic
from .locks import locked_beside

STORE_SUBDIR = "store"
ADAPTER_POINTER = Path("adapter") / "current.txt"
PENDING_FILE = Path("synth") / "pending.json"


def dlm_home(override: str | os.PathLike[str] | None = None) -> Path:
    """`override` (a `--home` flag or setting), else `$DLM_HOME`, else `%APPDATA%\\dlm`
    on Windows, else `~/.dlm`. Not created here."""
    if override is not None and str(override):
        return Path(override).expanduser().resolve()
    env = os.environ.get("DLM_HOME")
    if env:
        return Path(env).expanduser().resolve()
    if os.name == "nt" and os.environ.get("APPDATA"):
        return Path(os.environ["APPDATA"]).resolve() / "dlm"
    return Path.home() / ".dlm"


def store_root(dlm_id: str, home: str | os.PathLike[str] | None = None) -> Path:
    if not dlm_id or "/" in dlm_id or "\\" in dlm_id or dlm_id in (".", ".."):
        raise ValueError(f"not a usable dlm_id: {dlm_id!r}")
    return dlm_home(home) / STORE_SUBDIR / dlm_id


def current_adapter(dlm_id: str, home: str | os.PathLike[str] | None = None) -> Path | None:
    """The adapter version directory `adapter/current.txt` points at, or None when
    there is no (non-empty) pointer. A pointer leaving the store is refused: the
    store may be shared and the path ends up loaded as weights."""
    root = store_root(dlm_id, home)
    pointer = root / ADAPTER_POINTER
    try:
        rel = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    if not rel:
        return None
    target = (root / rel).resolve()
    if not target.is_relative_to(root.resolve()):
        raise ValueError(f"adapter pointer {pointer} points outside the store: {rel}")
    return target


def pending_path(dlm_id: str, home: str | os.PathLike[str] | None = None) -> Path:
    return store_root(dlm_id, home) / PENDING_FILE


SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class MarkedPair:
    """A Q/A pair with the values its auto-synth marker carries: what a run accepted,
    what a staged plan holds, what placement inserts."""

    question: str
    answer: str
    source_section_id: str
    teacher: str
    strategy: str
    synth_at: str

    @property
    def content(self) -> str:
        return f"### Q\n{self.question}\n### A\n{self.answer}"


@dataclass(frozen=True, slots=True)
class StagedPlan:
    source_path: str
    created_at: str
    pairs: tuple[MarkedPair, ...]


def utc_now() -> str:
    """Seconds-resolution UTC timestamp with a `Z`, the form markers carry."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _section_payload(pair: MarkedPair) -> dict[str, Any]:
    return {
        "adapter": None,
        "auto_harvest": False,
        "auto_mined": False,
        "auto_synth": True,
        "content": pair.content,
        "harvest_source": None,
        "judge_name": None,
        "judge_score_chosen": None,
        "judge_score_rejected": None,
        "media_alt": None,
        "media_blob_sha": None,
        "media_path": None,
        "media_transcript": None,
        "mined_at": None,
        "mined_run_id": None,
        "source_section_id": pair.source_section_id,
        "start_line": 0,
        "synth_at": pair.synth_at,
        "synth_strategy": pair.strategy,
        "synth_teacher": pair.teacher,
        "tags": {},
        "type": "instruction",
    }


def save_plan(path: Path, source_path: Path, pairs: list[MarkedPair]) -> None:
    """Write the staged plan as upstream does (overwriting it: callers that change a
    plan go through `merge_plan` / `unstage`, which hold its lock)."""
    payload = {
        "created_at": utc_now(),
        "schema_version": SCHEMA_VERSION,
        "sections": [_section_payload(p) for p in pairs],
        "source_path": str(source_path.resolve()),
    }
    write_atomic(path, json.dumps(payload, indent=2, sort_keys=True) + "\n")


def _str(section: dict[str, Any], key: str, index: int) -> str:
    value = section.get(key)
    if not isinstance(value, str) or not value:
        raise PendingSynthPlanError(f"invalid section payload at index {index}: {key} must be a string")
    return value


def load_plan(path: Path) -> StagedPlan | None:
    """The staged plan at `path`, or None when there is none."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise PendingSynthPlanError(f"could not read staged synth plan: {exc}") from exc
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise PendingSynthPlanError(f"staged synth plan is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise PendingSynthPlanError("staged synth plan must be a JSON object")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise PendingSynthPlanError(
            f"unsupported staged synth plan schema_version={data.get('schema_version')!r}"
        )
    for key in ("source_path", "created_at", "sections"):
        if key not in data:
            raise PendingSynthPlanError(f"staged synth plan is missing {key}")
    sections = data["sections"]
    if not isinstance(sections, list):
        raise PendingSynthPlanError("staged synth plan sections must be a list")
    pairs: list[MarkedPair] = []
    for index, section in enumerate(sections):
        if not isinstance(section, dict):
            raise PendingSynthPlanError(f"invalid section payload at index {index}: not an object")
        if section.get("type") != "instruction" or section.get("auto_synth") is not True:
            continue  # only auto-synth instruction sections can be applied; listed as is
        items, error = parse_instruction(_str(section, "content", index))
        if error is not None or len(items) != 1:
            raise PendingSynthPlanError(
                f"invalid section payload at index {index}: content is not one ### Q / ### A pair"
            )
        question, answer = items[0].fields
        pairs.append(
            MarkedPair(
                question,
                answer,
                _str(section, "source_section_id", index),
                _str(section, "synth_teacher", index),
                _str(section, "synth_strategy", index),
                _str(section, "synth_at", index),
            )
        )
    return StagedPlan(str(data["source_path"]), str(data["created_at"]), tuple(pairs))


def _same(pair: MarkedPair) -> tuple[str, str, str]:
    return (pair.question, pair.answer, pair.source_section_id)


def merge_plan(path: Path, source_path: Path, pairs: list[MarkedPair]) -> int:
    """Adds `pairs` to the staged plan at `path` (keeping what is staged already,
    skipping exact repeats) and returns how many are staged now, under the plan's
    lock, so a second run staging at the same time never erases the first's pairs.
    OSError (a full disk, a read-only store) leaves the plan as it was."""
    with locked_beside(path):
        try:
            current = load_plan(path)
        except PendingSynthPlanError:
            # unreadable: kept aside rather than overwritten
            path.replace(path.with_name(f"{path.name}.unreadable-{utc_now().replace(':', '')}"))
            current = None
        staged = list(current.pairs) if current is not None else []
        seen = {_same(p) for p in staged}
        for pair in pairs:
            if _same(pair) not in seen:
                seen.add(_same(pair))
                staged.append(pair)
        save_plan(path, source_path, staged)
        return len(staged)


def unstage(path: Path, source_path: Path, done: list[MarkedPair]) -> int:
    """Removes the pairs in `done` (written into the document, or found there) from
    the plan at `path`, under its lock, keeping everything else, also what another
    process staged since the plan was read; removes the plan once it is empty.
    Returns how many pairs stay staged."""
    with locked_beside(path):
        current = load_plan(path)
        if current is None:
            return 0
        gone = {_same(p) for p in done}
        remaining = [p for p in current.pairs if _same(p) not in gone]
        if len(remaining) == len(current.pairs):
            return len(remaining)
        settle(path, source_path, remaining)
        return len(remaining)


def pending_for(doc: Document, home: str | os.PathLike[str] | None = None) -> Path | None:
    """Where `doc`'s staged plan lives, or None when the document has no `dlm_id`
    (and so no store)."""
    return pending_path(doc.dlm_id, home) if doc.dlm_id is not None else None


def read_staged(
    doc: Document, home: str | os.PathLike[str] | None = None
) -> tuple[Path | None, StagedPlan | None]:
    """(where `doc`'s plan lives, the plan or None); PendingSynthPlanError when it
    cannot be read."""
    path = pending_for(doc, home)
    return path, load_plan(path) if path is not None else None


def settle(path: Path, source_path: Path, remaining: list[MarkedPair]) -> None:
    """Replace the plan with `remaining`, or remove it when that is empty (callers
    hold the plan's lock: `unstage`)."""
    if remaining:
        save_plan(path, source_path, remaining)
    else:
        path.unlink(missing_ok=True)
