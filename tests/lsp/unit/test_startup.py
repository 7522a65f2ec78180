"""The server starts light: nothing heavy is imported until a job needs it."""

from __future__ import annotations

import subprocess
import sys

import pytest


def test_server_import_pulls_no_model_stack_or_sdk() -> None:
    code = (
        "import sys, dlm_synth_lsp.lsp.server, dlm_synth_lsp.cli\n"
        "heavy = [m for m in ('torch', 'transformers', 'peft', 'openai', 'anthropic') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == ""


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
