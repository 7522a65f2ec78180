"""Content-addressed cache of teacher replies.

Key: SHA-256 over the teacher's name, its exact model, both prompt strings and the
sampling parameters, so a changed prompt, model or setting misses and a re-run after
a crash, a cancel or a filter change costs no teacher call for sections already
done. Replies sampled with temperature > 0 and no seed are not cached: they are
meant to differ between runs.

Entries are small JSON files under the user cache directory (platformdirs;
`DLM_SYNTH_CACHE_DIR` overrides), written atomically; an unreadable entry is a
miss, never an error.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path

from platformdirs import user_cache_dir

from .files import write_atomic
from .teachers.base import Completion, Prompt, SamplingParams, Usage

_VERSION = 1


def default_cache_dir() -> Path:
    override = os.environ.get("DLM_SYNTH_CACHE_DIR")
    if override:
        return Path(override).expanduser()
    return Path(user_cache_dir("dlm-synth-lsp")) / "replies"


def cacheable(params: SamplingParams) -> bool:
    return params.temperature == 0 or params.seed is not None


def cache_key(teacher: str, model: str, prompt: Prompt, params: SamplingParams) -> str:
    material = json.dumps(
        {
            "v": _VERSION,
            "teacher": teacher,
            "model": model,
            "system": prompt.system,
            "user": prompt.user,
            "schema": dict(prompt.schema) if prompt.schema is not None else None,
            "params": asdict(params),
        },
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()


class ReplyCache:
    def __init__(self, root: Path | None = None) -> None:
        self.root = root if root is not None else default_cache_dir()
        self._made: set[Path] = set()  # entry directories known to exist

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> Completion | None:
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
            text = data["text"]
            if not isinstance(text, str):
                return None
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return Completion(text, Usage(cached=1))

    def put(self, key: str, completion: Completion) -> None:
        """Store a reply (thread-safe: the pipeline writes from worker threads). A
        read-only or full cache directory must not fail the run: the entry is then
        simply missing."""
        path = self._path(key)
        with contextlib.suppress(OSError):
            if path.parent not in self._made:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._made.add(path.parent)
            write_atomic(path, json.dumps({"text": completion.text}, ensure_ascii=False), durable=False)
