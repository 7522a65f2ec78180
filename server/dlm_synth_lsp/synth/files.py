"""Writing files so that a crash never leaves half of one (the staged plan, the reply
cache, a document the CLI rewrites)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: str, *, mode: int | None = None, durable: bool = True) -> None:
    """Write through a temporary file in the same directory and rename, so a crash
    never leaves a half-written file. `mode` keeps an existing file's permissions
    (a temporary file starts private). `durable=False` skips the fsync, for files
    whose loss after a power cut costs nothing (a reply cache entry: a miss); an
    fsync per entry would cost a corpus run more than its teacher calls."""
    if not path.parent.is_dir():
        path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        if mode is not None:
            os.chmod(tmp, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
