"""Starting the server: `--tcp` listens on loopback only. (That it starts without
importing any heavy library is an architecture invariant: tests/test_architecture.py.)"""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.4", "example.com"])
def test_tcp_refuses_non_loopback_hosts(host: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "dlm_synth_lsp", "--tcp", "--host", host, "--port", "1"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and "loopback" in done.stderr
