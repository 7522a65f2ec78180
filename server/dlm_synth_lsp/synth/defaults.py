"""What `auto` means for one document: the teacher and filter a run uses when the user
chose none.

A fresh install must produce pairs without a question: a document that was never
trained has no adapter for `self` and no judge for `sway`, so those defaults (upstream's)
can only fail there. Here `auto` is the document's own trained adapter when it has one
and the local model stack can load it, otherwise the bundled offline model (`local`);
the filter is `sway` when that judge can load, otherwise the model-free `grounded`.
Paid API teachers are never chosen silently: they are used only when configured.
The resolved teacher is what the markers record.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, replace

from .options import AUTO, SynthOptions
from .staging import current_adapter
from .teachers.base import TeacherOptions

_LOCAL_STACK = ("torch", "transformers", "peft")


@dataclass(frozen=True, slots=True)
class Resolution:
    """The run's options with `auto` replaced, and one line saying why (None when
    nothing was automatic), for progress output and the result."""

    options: SynthOptions
    note: str | None


def _has_adapter(options: TeacherOptions) -> bool:
    if not options.dlm_id or not options.base_model:
        return False
    try:
        return current_adapter(options.dlm_id, options.dlm_home) is not None
    except ValueError:  # a dlm_id that cannot name a store directory, or a pointer leaving it
        return False


def _stack_installed() -> bool:
    # located, not imported: importing torch costs seconds and the answer is the same
    return all(importlib.util.find_spec(name) is not None for name in _LOCAL_STACK)


def resolve_defaults(options: SynthOptions, teacher_options: TeacherOptions) -> Resolution:
    """`options` with an `auto` teacher or filter decided for the document that
    `teacher_options` describes (see `backends.for_document`)."""
    if options.teacher != AUTO and options.filter != AUTO:
        return Resolution(options, None)
    trained = _has_adapter(teacher_options)
    usable = trained and _stack_installed()
    teacher, filter_kind = options.teacher, options.filter
    reasons: list[str] = []
    if teacher == AUTO:
        teacher = "self" if usable else "local"
        if usable:
            reasons.append("teacher self (this document's trained adapter)")
        elif trained:
            reasons.append(
                "teacher local (the trained adapter needs the local model stack: "
                "pip install 'dlm-synth-lsp[local]')"
            )
        else:
            reasons.append("teacher local (the bundled offline model: no trained adapter for this document)")
    if filter_kind == AUTO:
        filter_kind = "sway" if usable else "grounded"
        reasons.append(f"filter {filter_kind}" + ("" if usable else " (sway needs a trained adapter)"))
    return Resolution(replace(options, teacher=teacher, filter=filter_kind), "using " + "; ".join(reasons))
