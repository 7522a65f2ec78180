"""Provider batch APIs for large offline runs: the OpenAI Batch API and Anthropic
Message Batches (half the price, no rate limits to fight, answers within 24 h).

A batch is a way to get answers, not a second pipeline. `--batch` computes the
run's prompts and their reply-cache keys, submits those not answered yet as one
batch (each request's `custom_id` is its key: 64 hex characters, the most both APIs
allow) and records it under `$DLM_HOME/synth/batches/<id>.json` with the run's
command. Collecting downloads the answers into the record (and the reply cache),
then runs the recorded command with `Answers` as its teacher: the same pipeline,
filters and landing as a live run, without another request. The teachers own the
SDK calls (`BatchTeacher`: `teachers/openai_teacher.py`, `anthropic_teacher.py`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from .cache import cache_key
from .cancel import CancelToken
from .concurrency import Budget, budget_of
from .errors import TeacherInvocationError
from .files import write_atomic
from .staging import dlm_home, utc_now
from .teachers.base import Completion, Prompt, SamplingParams, Teacher, Usage

BATCHES_DIR = Path("synth") / "batches"


@dataclass(frozen=True, slots=True)
class BatchRequest:
    key: str
    prompt: Prompt
    params: SamplingParams


@dataclass(frozen=True, slots=True)
class BatchState:
    """A batch as its provider reports it: `status` in the provider's words,
    `ended` once no request is processing any more."""

    id: str
    status: str
    ended: bool
    total: int
    succeeded: int
    failed: int


@dataclass(frozen=True, slots=True)
class Answer:
    """One request's outcome: its reply (and token counts), or why it failed."""

    text: str | None = None
    error: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0


@runtime_checkable
class BatchTeacher(Protocol):
    """A teacher whose provider has a batch API."""

    async def submit_batch(self, requests: list[BatchRequest], cancel: CancelToken) -> str: ...

    async def batch_state(self, batch_id: str, cancel: CancelToken) -> BatchState: ...

    async def batch_answers(self, batch_id: str, cancel: CancelToken) -> dict[str, Answer]: ...

    async def cancel_batch(self, batch_id: str, cancel: CancelToken) -> BatchState: ...


def requests_for(teacher: Teacher, prompts: Iterable[Prompt], params: SamplingParams) -> list[BatchRequest]:
    """One request per distinct prompt, keyed as the reply cache keys it."""
    found: dict[str, BatchRequest] = {}
    for prompt in prompts:
        key = cache_key(teacher.name, teacher.model, prompt, params)
        found.setdefault(key, BatchRequest(key, prompt, params))
    return list(found.values())


# -- records -------------------------------------------------------------------------


@dataclass(slots=True)
class BatchRecord:
    """What we keep about a submitted batch. `command` is the run's options (to run
    it again once the answers are in); `status` is the provider's last word, or
    "collected" once the answers are saved beside the record."""

    id: str
    teacher: str
    model: str
    created_at: str
    keys: list[str]
    command: dict[str, Any]
    status: str = "submitted"
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def collected(self) -> bool:
        return self.status == "collected"

    @property
    def open(self) -> bool:
        return self.status not in ("collected", "cancelled", "canceled", "expired", "failed")


def batches_dir(home: str | os.PathLike[str] | None = None) -> Path:
    return dlm_home(home) / BATCHES_DIR


def _record_path(batch_id: str, home: str | os.PathLike[str] | None) -> Path:
    if not batch_id or any(ch in batch_id for ch in "/\\") or batch_id in (".", ".."):
        raise ValueError(f"not a batch id: {batch_id!r}")
    return batches_dir(home) / f"{batch_id}.json"


def save_record(record: BatchRecord, home: str | os.PathLike[str] | None = None) -> Path:
    path = _record_path(record.id, home)
    write_atomic(path, json.dumps(asdict(record), indent=2, ensure_ascii=False) + "\n")
    return path


def load_record(batch_id: str, home: str | os.PathLike[str] | None = None) -> BatchRecord:
    """The record of `batch_id`; FileNotFoundError when there is none, ValueError
    when it cannot be read."""
    data = json.loads(_record_path(batch_id, home).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"batch record {batch_id} is not a JSON object")
    return BatchRecord(**data)


def list_records(home: str | os.PathLike[str] | None = None) -> list[BatchRecord]:
    """Every readable record, oldest first."""
    found: list[BatchRecord] = []
    directory = batches_dir(home)
    for path in sorted(directory.glob("*.json")) if directory.is_dir() else []:
        if path.name.endswith(".answers.json"):
            continue
        try:
            found.append(load_record(path.stem, home))
        except (OSError, ValueError, TypeError):
            continue
    return sorted(found, key=lambda r: r.created_at)


def new_record(batch_id: str, teacher: Teacher, keys: list[str], command: dict[str, Any]) -> BatchRecord:
    return BatchRecord(batch_id, teacher.name, teacher.model, utc_now(), keys, command)


def note_state(record: BatchRecord, state: BatchState) -> None:
    if not record.collected:
        record.status = state.status
    record.counts = {"total": state.total, "succeeded": state.succeeded, "failed": state.failed}


Home = str | os.PathLike[str] | None


def save_answers(record: BatchRecord, answers: dict[str, Answer], home: Home) -> None:
    path = _record_path(record.id, home).with_suffix(".answers.json")
    write_atomic(path, json.dumps({k: asdict(a) for k, a in answers.items()}, ensure_ascii=False) + "\n")
    record.status = "collected"
    save_record(record, home)


def load_answers(record: BatchRecord, home: str | os.PathLike[str] | None) -> dict[str, Answer]:
    path = _record_path(record.id, home).with_suffix(".answers.json")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return {key: Answer(**value) for key, value in data.items()}


def answered(teacher: Teacher, home: str | os.PathLike[str] | None) -> dict[str, Answer]:
    """Every answer collected so far for this teacher and model, successful ones
    winning over failures of the same request."""
    found: dict[str, Answer] = {}
    for record in list_records(home):
        if record.collected and record.teacher == teacher.name and record.model == teacher.model:
            for key, answer in load_answers(record, home).items():
                if answer.text is not None or key not in found:
                    found[key] = answer
    return found


def covering(records: Iterable[BatchRecord], teacher: Teacher, keys: set[str]) -> BatchRecord | None:
    """An open batch of this teacher that asks every one of `keys`."""
    for record in records:
        same = record.teacher == teacher.name and record.model == teacher.model
        if record.open and same and keys <= set(record.keys):
            return record
    return None


# -- the teacher a collected batch becomes ----------------------------------------------


class Answers:
    """A teacher that answers from a batch's collected answers (and fails, with the
    provider's reason, for requests that failed or were never submitted). Name and
    model are the real teacher's, so markers and cache keys are the same as a live
    run's."""

    def __init__(self, inner: Teacher, answers: dict[str, Answer], batch_ids: list[str]) -> None:
        self._inner = inner
        self._answers = answers
        self._batch_ids = batch_ids

    @property
    def name(self) -> str:
        return self._inner.name

    @property
    def model(self) -> str:
        return self._inner.model

    @property
    def max_in_flight(self) -> int:
        return self._inner.max_in_flight

    @property
    def budget(self) -> Budget:
        return budget_of(self._inner)

    async def prepare(self, cancel: CancelToken) -> None:
        await self._inner.prepare(cancel)

    async def complete(self, prompt: Prompt, params: SamplingParams, cancel: CancelToken) -> Completion:
        key = cache_key(self.name, self.model, prompt, params)
        answer = self._answers.get(key)
        if answer is None:
            batches = ", ".join(self._batch_ids) or "none"
            raise TeacherInvocationError(
                f"{self.name}: this request is in no collected batch ({batches}); "
                "run with --batch again to submit it"
            )
        if answer.text is None:
            raise TeacherInvocationError(f"{self.name} batch request failed: {answer.error or 'no answer'}")
        usage = Usage(input_tokens=answer.input_tokens, output_tokens=answer.output_tokens, requests=1)
        return Completion(answer.text, usage)

    async def aclose(self) -> None:
        await self._inner.aclose()
