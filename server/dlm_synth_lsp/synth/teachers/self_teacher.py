"""`self`: the document's own fine-tuned model (base + the store's current adapter)
writes the pairs, so synthesis needs no API key and no second model.

It generates exactly like `hf:` (shared `LocalTeacher`). Unlike upstream, which
ignores `seed` for `self`, the seed is honoured: it only makes sampling
reproducible and changes nothing when decoding is greedy (the default).
"""

from __future__ import annotations

from pathlib import Path

from ..errors import TeacherUnavailableError
from ..local_models import DocumentModel, LocalModelError, ModelSource, resolve_document_model
from ..store import ADAPTER_POINTER
from .factory import TeacherOptions
from .hf import LocalTeacher


def locate_document_model(options: TeacherOptions) -> DocumentModel:
    """Base and adapter for the document in `options`; LocalModelError if the
    frontmatter or the registry cannot say which base it is."""
    return resolve_document_model(options.base_model, options.dlm_id, options.dlm_home)


def document_label(options: TeacherOptions) -> str:
    """How messages name the document: its path if known, else its dlm_id."""
    if options.document_path is not None:
        return str(options.document_path)
    return options.dlm_id or "this document"


def adapter_problem(options: TeacherOptions, located: DocumentModel) -> str | None:
    """Why the document's adapter cannot be used (the shared middle of the self
    teacher's and the sway judge's cold-start messages), or None when it can."""
    doc = document_label(options)
    if located.adapter is None:
        return (
            f"a trained adapter for {doc}, and {located.store / ADAPTER_POINTER} does not exist. "
            f"Train once with `dlm train {doc}`"
        )
    if not located.adapter.is_dir():
        return (
            f"a trained adapter for {doc}, but {located.store / ADAPTER_POINTER} points at "
            f"{located.adapter}, which does not exist. Retrain with `dlm train {doc}`"
        )
    return None


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
                f"self teacher needs {problem}, or pick another "
                "teacher: --teacher hf:<local model dir> / vllm-server:http://127.0.0.1:8000 / openai:<model>"
            )
        return located.base, located.adapter
