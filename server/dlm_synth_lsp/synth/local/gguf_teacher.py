"""The offline teacher: `local` (the bundled default model), `local:<model key>` (another
bundled model) or `local:<path.gguf>` (any GGUF file), run in-process by llama.cpp.

It is what a fresh install uses when the document has no trained adapter: no key, no
network, no server. The reply schema travels with the prompt and is enforced while
generating (see `llamacpp.SchemaGuide`), so a small model cannot drift into prose or
markdown instead of the JSON list.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from ..cancel import CancelToken
from ..errors import TeacherUnavailableError
from ..teachers.base import Completion, Prompt, SamplingParams, TeacherOptions, default_threads
from . import llamacpp
from .bundled import CATALOGUE, BundledModel, default_local_target, ensure_model, local_teacher_name
from .check import GgufSupportCheck
from .resolve import LocalModelError


class GgufTeacher:
    max_in_flight = 1

    def __init__(self, target: str, options: TeacherOptions) -> None:
        self._options = options
        self._target = target.strip() or default_local_target()
        self._bundled: BundledModel | None = CATALOGUE.get(self._target)
        self._path: Path | None = None
        self._loaded: llamacpp.LoadedGguf | None = None
        self._lock = asyncio.Lock()

    @property
    def name(self) -> str:
        """As recorded in markers: the bundled model's key, or the file as typed."""
        return local_teacher_name(self._target)

    @property
    def model(self) -> str:
        """The exact weights, for the reply cache: the pinned digest of a bundled
        model; a file's resolved path, size and modification time otherwise."""
        if self._bundled is not None:
            return f"{self._bundled.key}@{self._bundled.sha256[:16]}"
        path = Path(self._target).expanduser()
        try:
            st = path.stat()
        except OSError:
            return str(path)
        return f"{path.resolve()}@{st.st_size}:{st.st_mtime_ns}"

    @property
    def threads(self) -> int:
        return self._options.threads or default_threads()

    def _locate(self) -> Path:
        if self._bundled is not None:
            return ensure_model(self._bundled, self._options.notice)
        path = Path(self._target).expanduser()
        if path.suffix.lower() != ".gguf":
            known = ", ".join(CATALOGUE)
            raise LocalModelError(
                f"local:{self._target}: not a bundled model ({known}) and not a .gguf file; "
                "use `local` for the default model or local:/path/to/model.gguf"
            )
        if not path.is_file():
            raise LocalModelError(f"local:{self._target}: no such file ({path})")
        return path

    async def prepare(self, cancel: CancelToken) -> None:
        if self._loaded is not None:
            return
        async with self._lock:
            if self._loaded is not None:
                return
            cancel.raise_if_cancelled()
            try:
                path = await cancel.guard(asyncio.to_thread(self._locate))
                if llamacpp.cached_gguf(path, threads=self.threads) is None and self._options.notice:
                    self._options.notice(f"loading {path.name}…")
                self._loaded = await cancel.guard(
                    asyncio.to_thread(llamacpp.load_gguf, path, threads=self.threads)
                )
            except LocalModelError as exc:
                raise TeacherUnavailableError(str(exc)) from exc
            self._path = path

    async def complete(self, prompt: Prompt, params: SamplingParams, cancel: CancelToken) -> Completion:
        await self.prepare(cancel)
        loaded = self._loaded
        assert loaded is not None
        return await cancel.guard(
            asyncio.to_thread(
                llamacpp.generate,
                loaded,
                prompt,
                params,
                cancel,
                timeout_s=self._options.timeout_s,
                schema=prompt.schema,
                name=self.name,
            )
        )

    def support_check(self) -> GgufSupportCheck | None:
        """The `grounded` filter's model check, on this teacher's loaded model."""
        if self._loaded is None:
            return None
        return GgufSupportCheck(self._loaded, self.name)

    async def aclose(self) -> None:
        """The process-wide cache keeps the model for the next job."""
        self._loaded = None
