"""The dlm store on disk: where `DLM_HOME` is, which adapter is current, and the
upstream-compatible staged plan (`store/<dlm_id>/synth/pending.json`).

Layout and precedence follow upstream (spec 5.8) so `dlm synth list` reads what we
stage and our `self` teacher / `sway` judge find the adapters `dlm train` writes.
"""

from __future__ import annotations

import os
from pathlib import Path

STORE_SUBDIR = "store"
ADAPTER_POINTER = Path("adapter") / "current.txt"
PENDING_FILE = Path("synth") / "pending.json"


def dlm_home(override: str | os.PathLike[str] | None = None) -> Path:
    """`override` (a `--home` flag or setting), else `$DLM_HOME`, else `%APPDATA%\\dlm`
    on Windows, else `~/.dlm`. Not created here."""
    if override is not None and str(override):
        return Path(override).expanduser().resolve()
    env = os.environ.get("DLM_HOME")
    if env:
        return Path(env).expanduser().resolve()
    if os.name == "nt" and os.environ.get("APPDATA"):
        return Path(os.environ["APPDATA"]).resolve() / "dlm"
    return Path.home() / ".dlm"


def store_root(dlm_id: str, home: str | os.PathLike[str] | None = None) -> Path:
    if not dlm_id or "/" in dlm_id or "\\" in dlm_id or dlm_id in (".", ".."):
        raise ValueError(f"not a usable dlm_id: {dlm_id!r}")
    return dlm_home(home) / STORE_SUBDIR / dlm_id


def current_adapter(dlm_id: str, home: str | os.PathLike[str] | None = None) -> Path | None:
    """The adapter version directory `adapter/current.txt` points at, or None when
    there is no (non-empty) pointer. A pointer leaving the store is refused: the
    store may be shared and the path ends up loaded as weights."""
    root = store_root(dlm_id, home)
    pointer = root / ADAPTER_POINTER
    try:
        rel = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    if not rel:
        return None
    target = (root / rel).resolve()
    if not target.is_relative_to(root.resolve()):
        raise ValueError(f"adapter pointer {pointer} points outside the store: {rel}")
    return target


def pending_path(dlm_id: str, home: str | os.PathLike[str] | None = None) -> Path:
    return store_root(dlm_id, home) / PENDING_FILE
