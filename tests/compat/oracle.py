"""A handle on the upstream parser, running in its own virtual environment.

Upstream pins its own pydantic and pulls heavy dependencies, so it lives in
`.venv-oracle` (made by scripts/test) and is driven over a pipe, one document per
line. Missing oracle: tests skip locally, but fail under CI=true so a broken setup
can never pass silently.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.compat.oracle_fields import SECTION_FIELDS

ROOT = Path(__file__).resolve().parents[2]
ORACLE_PYTHON = Path(os.environ.get("DLM_ORACLE_PYTHON", ROOT / ".venv-oracle" / "bin" / "python"))
ORACLE_BIN = ORACLE_PYTHON.parent
WORKER = Path(__file__).with_name("oracle_worker.py")



def require_oracle() -> None:
    if ORACLE_PYTHON.exists():
        return
    message = f"upstream oracle not installed at {ORACLE_PYTHON} (run scripts/test)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


class Oracle:
    def __init__(self) -> None:
        require_oracle()
        self._proc = subprocess.Popen(
            [str(ORACLE_PYTHON), str(WORKER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        )

    def parse(self, text: str) -> dict[str, Any]:
        """Upstream's verdict: {"error": bool, "sections": [...]} (as plain data)."""
        return self._request(text)

    def _request(self, payload: object) -> dict[str, Any]:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(json.dumps(payload) + "\n")
        self._proc.stdin.flush()
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError("upstream oracle worker exited")
        result: dict[str, Any] = json.loads(line)
        return result

    def grammar(self, kind: str, content: str) -> dict[str, Any]:
        """The upstream trainer's verdict on an instruction/preference body."""
        return self._request({"grammar": kind, "content": content})

    def close(self) -> None:
        if self._proc.stdin:
            self._proc.stdin.close()
        self._proc.wait(timeout=10)


def ours(text: str) -> dict[str, Any]:
    """Our parse in the oracle's shape: upstream's fields, error = any error problem."""
    from dlm_synth_lsp.document import parse_text

    doc = parse_text(text)
    if doc.has_errors:
        return {"error": True}
    sections = []
    for section in doc.sections:
        item = {name: getattr(section, name) for name in SECTION_FIELDS}
        item["type"] = section.type.value
        sections.append(item)
    return {"error": False, "sections": sections}


def comparable(result: dict[str, Any]) -> dict[str, Any]:
    if result["error"]:
        return {"error": True}
    return {"error": False, "sections": result["sections"]}


def upstream_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run upstream's `dlm` command line (e.g. `synth revert FILE`)."""
    require_oracle()
    return subprocess.run(
        [str(ORACLE_BIN / "dlm"), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
        check=False,
    )


_shared: Oracle | None = None


def shared_oracle() -> Oracle:
    global _shared
    if _shared is None:
        _shared = Oracle()
    return _shared
