"""From a teacher selector (or a filter) to the object that serves it.

Each backend module is imported only when its kind is chosen: a server that only
ever talks to an API never imports torch, and one that runs local models never
imports an SDK. Adding a kind of teacher is one entry in `BACKENDS` (and its
selector in `teachers/spec.py`).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..document import Document
from .judges import Judge
from .options import FilterKind
from .teachers.base import Teacher, TeacherOptions
from .teachers.spec import TeacherSpec, parse_teacher_spec


@dataclass(frozen=True, slots=True)
class Backend:
    """`module.attribute` builds the teacher: `(target, options)`, or `(options)`
    when the selector has no target (`with_target=False`). A `per_document` teacher
    depends on the document it serves (`self`: its adapter), so a corpus run builds
    one per document; every other teacher is built once and shared."""

    module: str
    attribute: str
    with_target: bool = True
    per_document: bool = False

    def load(self) -> Any:
        return getattr(importlib.import_module(self.module), self.attribute)


BACKENDS: dict[str, Backend] = {
    "openai": Backend("dlm_synth_lsp.synth.teachers.openai_teacher", "OpenAITeacher"),
    "vllm-server": Backend("dlm_synth_lsp.synth.teachers.server_teacher", "ServerTeacher"),
    "anthropic": Backend("dlm_synth_lsp.synth.teachers.anthropic_teacher", "AnthropicTeacher"),
    "hf": Backend("dlm_synth_lsp.synth.local.teachers", "HFTeacher"),
    "self": Backend(
        "dlm_synth_lsp.synth.local.teachers", "SelfTeacher", with_target=False, per_document=True
    ),
    "local": Backend("dlm_synth_lsp.synth.local.gguf_teacher", "GgufTeacher"),
}

#: the judge of the `sway` filter (the other filters need no model)
SWAY_JUDGE = Backend("dlm_synth_lsp.synth.local.judge", "SwayJudge", with_target=False)


def for_document(options: TeacherOptions, doc: Document, path: Path | None) -> TeacherOptions:
    """`options` completed with the document's identity (for `self` and `sway`)."""
    return replace(
        options,
        document_path=path if path is not None else options.document_path,
        dlm_id=doc.dlm_id,
        base_model=doc.base_model,
    )


def build_teacher(spec: TeacherSpec | str, options: TeacherOptions) -> Teacher:
    """The teacher for `spec`; InvalidTeacherSpecError for a bad selector string.
    Nothing is loaded or contacted here (that is `Teacher.prepare`)."""
    if isinstance(spec, str):
        spec = parse_teacher_spec(spec)
    backend = BACKENDS[spec.kind]
    make = backend.load()
    teacher: Teacher = make(spec.target, options) if backend.with_target else make(options)
    return teacher


def per_document(spec: TeacherSpec | str) -> bool:
    """Whether the teacher `spec` names must be built for each document."""
    if isinstance(spec, str):
        spec = parse_teacher_spec(spec)
    return BACKENDS[spec.kind].per_document


def build_judge(filter_kind: FilterKind, options: TeacherOptions) -> Judge | None:
    """The judge `filter_kind` needs (only `sway` has one); its model is loaded when
    it is prepared, not here."""
    if filter_kind != "sway":
        return None
    judge: Judge = SWAY_JUDGE.load()(options)
    return judge
