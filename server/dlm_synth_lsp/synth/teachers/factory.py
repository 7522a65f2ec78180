"""Building a teacher from its selector. Backend modules are imported only when
chosen, so a server that never uses a local model never imports torch."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .base import Teacher
from .spec import TeacherSpec, parse_teacher_spec


def default_threads() -> int:
    """Cores minus one, so the editor (and the language server) stay responsive."""
    return max(1, (os.cpu_count() or 2) - 1)


@dataclass(frozen=True, slots=True)
class TeacherOptions:
    """Everything a teacher may need besides its selector.

    `timeout_s` bounds one request (remote: read timeout; local: generation time).
    `notice` receives short human-readable events (a retry after a rate limit, a
    model being loaded) for progress reporting; it must never receive secrets."""

    timeout_s: float = 120.0
    connect_timeout_s: float = 10.0
    max_retries: int = 4
    concurrency: int = 4
    threads: int | None = None
    device: str | None = None
    openai_base_url: str | None = None
    anthropic_base_url: str | None = None
    # the document, for `self` (its base model and the adapter in its store)
    document_path: Path | None = None
    dlm_id: str | None = None
    base_model: str | None = None
    dlm_home: str | None = None
    notice: Callable[[str], None] | None = None


def build_teacher(spec: TeacherSpec | str, options: TeacherOptions) -> Teacher:
    if isinstance(spec, str):
        spec = parse_teacher_spec(spec)
    if spec.kind == "openai":
        from .openai_teacher import OpenAITeacher

        return OpenAITeacher(spec.target, options)
    if spec.kind == "vllm-server":
        from .openai_teacher import ServerTeacher

        return ServerTeacher(spec.target, options)
    if spec.kind == "anthropic":
        from .anthropic_teacher import AnthropicTeacher

        return AnthropicTeacher(spec.target, options)
    if spec.kind == "hf":
        from .hf import HFTeacher

        return HFTeacher(spec.target, options)
    from .self_teacher import SelfTeacher

    return SelfTeacher(options)
