"""The in-process teachers: `hf:<id|dir|file.gguf>` and `self`.

`self`: the document's own fine-tuned model (base + the store's current adapter)
writes the pairs, so synthesis needs no API key and no second model.

It generates exactly like `hf:` (shared `LocalTeacher`). Unlike upstream, which
ignores `seed` for `self`, the seed is honoured: it only makes sampling
reproducible and changes nothing when decoding is greedy (the default).
"""

from __future__ import annotations

from pathlib import Path

from ..errors import TeacherUnavailableError
from ..teachers.base import TeacherOptions
from .generation import LocalTeacher
from .resolve import LocalModelError, ModelSource, adapter_problem, locate_document_model, resolve_hf_target


class HFTeacher(LocalTeacher):
    """`hf:<target>`: a registry key (recorded under its resolved id, as upstream
    does), a hub id from the local cache, a model directory or a .gguf file."""

    _who = "hf teacher"

    def __init__(self, target: str, options: TeacherOptions) -> None:
        super().__init__(options)
        self._target = target.strip()
        self._source: ModelSource | None = None
        self._error: LocalModelError | None = None
        try:
            self._source = resolve_hf_target(self._target)
        except LocalModelError as exc:
            # reported by prepare(), where the Teacher protocol expects it
            self._error = exc
        self._name = f"hf:{self._source.identity if self._source else self._target}"

    @property
    def name(self) -> str:
        return self._name

    @property
    def model(self) -> str:
        return self._name

    def _locate(self) -> tuple[ModelSource, Path | None]:
        if self._source is None:
            raise TeacherUnavailableError(str(self._error))
        return self._source, None


class SelfTeacher(LocalTeacher):
    _who = "self teacher"

    def __init__(self, options: TeacherOptions) -> None:
        super().__init__(options)

    @property
    def name(self) -> str:
        return "self"

    @property
    def model(self) -> str:
        """`self:<base id>@<adapter version dir>`, so the reply cache never serves
        replies of a previous training run."""
        try:
            located = locate_document_model(self._options)
        except LocalModelError:
            return f"self:{self._options.base_model or '?'}"
        return f"self:{located.base.identity}@{located.adapter or '-'}"

    def _locate(self) -> tuple[ModelSource, Path | None]:
        try:
            located = locate_document_model(self._options)
        except LocalModelError as exc:
            raise TeacherUnavailableError(f"self teacher: {exc}") from exc
        problem = adapter_problem(self._options, located)
        if problem is not None:
            raise TeacherUnavailableError(
                f"self teacher needs {problem}, or another teacher "
                "(hf:<local model dir>, vllm-server:http://127.0.0.1:8000, openai:<model>)"
            )
        return located.base, located.adapter
