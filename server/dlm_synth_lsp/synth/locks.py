"""Advisory locks for read-compare-write on files that several processes share: a
document that two CLI runs apply to, the staged plan that CLI runs and the language
server stage into.

Without them the check "the file is still what I read" and the write that follows
are two steps, and a second writer between them is silently overwritten (a lost
update: its pairs end up neither in the file nor in the plan). Under the lock the
compare and the swap are one step for everyone who takes it.

- `locked_document(path)` locks the document itself (`flock`), so no lock file
  appears next to the user's documents. An atomic write replaces the file (a new
  inode), so a process that waited may then hold the lock of a file that is no
  longer at `path`: it starts over until the file it locked is the one there.
- `locked_beside(path)` locks `<path>.lock` in the same directory, for files of our
  own store that may not exist yet (the staged plan).

POSIX `fcntl` locks; where there is none (Windows) the lock is a no-op and the
compare step alone narrows the race. Locks are released when the file closes, so a
crashed holder never leaves one behind.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

#: how long to wait for another writer; holders keep a lock for milliseconds, so a
#: lock held longer belongs to a stuck process and waiting on would hang the run
WAIT_S = 30.0
_POLL_S = 0.005


class LockTimeout(OSError):
    """Another process held the lock for longer than `WAIT_S`."""


def _acquire(handle: IO[bytes], path: Path, wait_s: float) -> None:
    if fcntl is None:  # pragma: no cover - Windows
        return
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise LockTimeout(f"{path} stayed locked by another process for {wait_s:g} s") from None
            time.sleep(_POLL_S)


@contextlib.contextmanager
def locked_document(path: Path, wait_s: float = WAIT_S) -> Iterator[None]:
    """Hold the lock of the file at `path` (which must exist) while the block runs."""
    while True:
        handle = open(path, "rb")  # noqa: SIM115 - closed below, after the block
        try:
            _acquire(handle, path, wait_s)
            try:
                same = os.fstat(handle.fileno()).st_ino == os.stat(path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                yield
                return
        finally:
            handle.close()


@contextlib.contextmanager
def locked_beside(path: Path, wait_s: float = WAIT_S) -> Iterator[None]:
    """Hold `<path>.lock` (created with its directory if needed) while the block runs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "ab") as handle:
        _acquire(handle, path, wait_s)
        yield
