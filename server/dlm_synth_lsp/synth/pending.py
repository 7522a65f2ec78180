"""The staged plan, `store/<dlm_id>/synth/pending.json`, in upstream's format.

Written exactly as upstream writes it (spec 5.8: sorted keys, two-space indent,
ASCII escapes, 22 keys per section, content without a trailing newline) so that
`dlm synth list` shows what we stage. Upstream can only list a staged plan; here
`apply` can insert it later (see `pipeline.apply_staged`).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..document.grammar import parse_instruction
from .errors import PendingSynthPlanError

SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class StagedPair:
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
    pairs: tuple[StagedPair, ...]


def utc_now() -> str:
    """Seconds-resolution UTC timestamp with a `Z`, the form markers carry."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _section_payload(pair: StagedPair) -> dict[str, Any]:
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


def write_atomic(path: Path, data: str, *, mode: int | None = None) -> None:
    """Write through a temporary file in the same directory and rename, so a crash
    never leaves a half-written file. `mode` keeps an existing file's permissions
    (a temporary file starts private)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        if mode is not None:
            os.chmod(tmp, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_plan(path: Path, source_path: Path, pairs: list[StagedPair]) -> None:
    """Overwrite the staged plan (upstream never merges either)."""
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
    pairs: list[StagedPair] = []
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
            StagedPair(
                question,
                answer,
                _str(section, "source_section_id", index),
                _str(section, "synth_teacher", index),
                _str(section, "synth_strategy", index),
                _str(section, "synth_at", index),
            )
        )
    return StagedPlan(str(data["source_path"]), str(data["created_at"]), tuple(pairs))


def merge_plan(path: Path, source_path: Path, pairs: list[StagedPair]) -> int:
    """Adds `pairs` to the staged plan at `path` (keeping what is staged already,
    skipping exact repeats) and returns how many are staged now. The editor stages
    leftovers this way so a second leftover never erases the first."""
    try:
        current = load_plan(path)
    except PendingSynthPlanError:
        # unreadable: kept aside rather than overwritten
        path.replace(path.with_name(f"{path.name}.unreadable-{utc_now().replace(':', '')}"))
        current = None
    staged = list(current.pairs) if current is not None else []
    seen = {(p.question, p.answer, p.source_section_id) for p in staged}
    staged += [p for p in pairs if (p.question, p.answer, p.source_section_id) not in seen]
    save_plan(path, source_path, staged)
    return len(staged)
