"""Whether the teacher and filter of a synthesis could run here, answered without
loading a model or calling a teacher (a status line in the editor, a health check).

`Teacher.prepare` is still the authority: it loads, connects and fails with the
full story. This is the cheap part of the same questions (is the selector valid, is
the key in the environment, is there a trained adapter, is the extra installed, and
on request: does the server answer), so an editor can say before the first run
what would go wrong.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ..document import Document
from .backends import for_document
from .defaults import resolve_defaults
from .errors import InvalidTeacherSpecError
from .options import SynthOptions
from .teachers.base import TeacherOptions
from .teachers.spec import parse_teacher_spec, server_base_url

#: how long a probe of a server teacher may take
PROBE_TIMEOUT_S = 3.0
#: the environment variables a remote teacher reads its key from (any one will do)
KEY_VARIABLES = {"openai": ("OPENAI_API_KEY",), "anthropic": ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN")}
LOCAL_EXTRA = "the local-model extra (pip install 'dlm-synth-lsp[local]')"


@dataclass(frozen=True, slots=True)
class Readiness:
    """`teacher`/`filter`: what a run would use (the teacher as its markers will name
    it); `problem`: why it would not start (None: nothing found); `reachable`: a
    probed server's answer (None: not probed)."""

    teacher: str
    filter: str
    problem: str | None = None
    reachable: bool | None = None


def _needs_adapter(who: str, options: TeacherOptions, doc: Document | None) -> str | None:
    from .local.resolve import LocalModelError, adapter_problem, locate_document_model

    if doc is None:
        return None
    if importlib.util.find_spec("torch") is None:
        return f"{who} needs {LOCAL_EXTRA}"
    try:
        located = locate_document_model(options)
    except LocalModelError as exc:
        return f"{who}: {exc}"
    problem = adapter_problem(options, located)
    return None if problem is None else f"{who} needs {problem}"


def _teacher_problem(selector: str, options: TeacherOptions, doc: Document | None) -> str | None:
    try:
        spec = parse_teacher_spec(selector)
    except InvalidTeacherSpecError as exc:
        return str(exc)
    if spec.kind == "self":
        return _needs_adapter("the self teacher", options, doc)
    if spec.kind == "hf":
        if importlib.util.find_spec("torch") is None:
            return f"hf teachers need {LOCAL_EXTRA}"
        from .local.resolve import LocalModelError, resolve_hf_target

        try:
            resolve_hf_target(spec.target)
        except LocalModelError as exc:
            return str(exc)
    if spec.kind == "local":
        return _local_problem(spec.target)
    names = KEY_VARIABLES.get(spec.kind)
    if names and not any(os.environ.get(name, "").strip() for name in names):
        return (
            f"{selector} needs ${names[0]} in the environment the server was started in "
            "(API keys are never settings)"
        )
    return None


def _local_problem(target: str) -> str | None:
    """The offline teacher: llama.cpp installed, and its model (a bundled one:
    assembled already, or its packages installed; else the .gguf file)."""
    from .local.bundled import CATALOGUE, OFFLINE_EXTRA, default_local_target, models_dir, part_paths
    from .local.resolve import LocalModelError

    if importlib.util.find_spec("llama_cpp") is None:
        return f"the offline teacher needs llama-cpp-python ({OFFLINE_EXTRA})"
    name = target.strip() or default_local_target()
    model = CATALOGUE.get(name)
    if model is None:
        path = Path(name).expanduser()
        return None if path.is_file() else f"local:{name}: no such .gguf file ({path})"
    if (models_dir() / model.file_name).is_file():
        return None
    try:
        part_paths(model)
    except LocalModelError as exc:
        return str(exc)
    return None


def _probe(base: str) -> bool:
    """`GET {base}/models` answers with JSON (no key is sent: a server that wants one
    still answers, with 401, which counts as reachable)."""
    try:
        with urllib.request.urlopen(f"{base}/models", timeout=PROBE_TIMEOUT_S) as reply:
            json.loads(reply.read(1_000_000) or b"{}")
            return True
    except urllib.error.HTTPError as exc:
        return exc.code in (401, 403)
    except (OSError, ValueError):
        return False


async def check(
    options: SynthOptions,
    teacher_options: TeacherOptions,
    doc: Document | None,
    path: Path | None,
    *,
    probe: bool = False,
) -> Readiness:
    """The teacher and filter a run would use (`auto` resolved for the document) and
    every problem found (joined)."""
    if doc is not None:
        teacher_options = for_document(teacher_options, doc, path)
    options = resolve_defaults(options, teacher_options).options
    problems = [_teacher_problem(options.teacher, teacher_options, doc)]
    if options.filter == "sway":
        problems.append(_needs_adapter("the sway filter", teacher_options, doc))
    reachable: bool | None = None
    if probe and problems[0] is None and options.teacher.startswith("vllm-server:"):
        base = server_base_url(options.teacher.removeprefix("vllm-server:"))
        reachable = await asyncio.to_thread(_probe, base)
        if not reachable:
            problems.append(f"{options.teacher} does not answer at {base}/models; is the server running?")
    found = [problem for problem in problems if problem is not None]
    return Readiness(_recorded(options.teacher), options.filter_kind, "; ".join(found) or None, reachable)


def _recorded(selector: str) -> str:
    """The teacher as a run's markers will name it: a bare `local` becomes the model
    it means; anything else (or a selector that does not parse) stays as chosen."""
    if selector == "local" or selector.startswith("local:"):
        from .local.bundled import local_teacher_name

        return local_teacher_name(selector.removeprefix("local").removeprefix(":"))
    return selector
