"""What every command prints the same way: JSON on stdout, errors on stderr."""

from __future__ import annotations

import json
import sys
from typing import Any


def print_json(data: Any) -> None:
    """`data` as indented JSON (UTF-8 as is) on stdout."""
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def print_error(prefix: str, message: str) -> None:
    print(f"{prefix}: {message}", file=sys.stderr)
