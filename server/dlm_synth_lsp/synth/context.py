"""What a run needs to know about the document it works on, gathered once for both
front ends: the store identity (`dlm_id`) and base model from the frontmatter."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from ..document import Document
from .teachers.base import TeacherOptions


@dataclass(frozen=True, slots=True)
class DocumentIdentity:
    dlm_id: str | None
    base_model: str | None


def identity(doc: Document) -> DocumentIdentity:
    data = doc.frontmatter.data if isinstance(doc.frontmatter.data, dict) else {}
    dlm_id, base = data.get("dlm_id"), data.get("base_model")
    return DocumentIdentity(
        dlm_id if isinstance(dlm_id, str) and dlm_id else None,
        base if isinstance(base, str) and base else None,
    )


def for_document(options: TeacherOptions, doc: Document, path: Path | None) -> TeacherOptions:
    """`options` completed with the document's identity (for `self` and `sway`)."""
    ident = identity(doc)
    return replace(
        options,
        document_path=path if path is not None else options.document_path,
        dlm_id=ident.dlm_id,
        base_model=ident.base_model,
    )
