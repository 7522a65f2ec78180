"""The documents a command line names: files, directories (every `*.dlm` below,
hidden directories skipped) and glob patterns (`docs/**/*.dlm`, quoted so the
shell leaves them to us), in the order given, each file once."""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from pathlib import Path

from .errors import CliError

SUFFIX = ".dlm"


def is_pattern(arg: str) -> bool:
    return glob.has_magic(arg)


def _under(directory: Path) -> list[Path]:
    found: list[Path] = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [Path(root) / name for name in sorted(files) if name.endswith(SUFFIX)]
    return found


def expand(args: Sequence[str]) -> list[Path]:
    """Every document `args` name. A path that does not exist stays in the list (it
    is reported as unreadable, like any other document that fails); a pattern or a
    directory that names nothing is a usage error (CliError 2)."""
    paths: list[Path] = []
    for arg in args:
        path = Path(arg)
        if path.is_dir():
            found = _under(path)
            if not found:
                raise CliError(f"no {SUFFIX} file under {arg}", 2)
        elif not path.exists() and is_pattern(arg):
            found = sorted(Path(p) for p in glob.glob(arg, recursive=True) if Path(p).is_file())
            if not found:
                raise CliError(f"no file matches {arg}", 2)
        else:
            found = [path]
        paths += found
    unique: list[Path] = []
    seen: set[Path] = set()
    for path in paths:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique


def names_one_file(args: Sequence[str]) -> bool:
    """One argument that is a file (or not there at all), not a directory or pattern:
    the command keeps its one-document output."""
    if len(args) != 1:
        return False
    path = Path(args[0])
    return not path.is_dir() and (path.exists() or not is_pattern(args[0]))
