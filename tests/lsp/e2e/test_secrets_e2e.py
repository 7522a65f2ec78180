"""No key in anything the language server sends or writes, whatever way a remote
teacher fails (issue 14, items 1 and 3).

For each remote teacher a real server runs behind `tests/fakes/recorder.py`, which
keeps every byte it writes to the client (every LSP frame) and to stderr; it also
writes a `--log-file`. Synthesis jobs then meet each failure mode (401, 403, 429,
5xx, timeout, cancel, connection refused) from a fake server that echoes the key in
every error body, and every frame, stderr, the log file, the documents (as the
client holds them), the dlm store (staged plans) and the reply cache directory are
scanned for the key, and for `vllm-server:` also for the password of its URL."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from tests.fakes.llm_server import FakeLLMServer, fake_llm_server, unused_port
from tests.fakes.secrets import (
    DOC,
    MODES,
    cancel_when_ready,
    prepare,
    scan_files,
    scan_text,
    selector,
    teacher_env,
)

from .conftest import Editor, configure, file_uri, launch, make_editor, wait_until

RECORDER = Path(__file__).resolve().parents[2] / "fakes" / "recorder.py"


def _env(teacher: str, base: str, tmp: Path) -> dict[str, str]:
    return {"DLM_SYNTH_CACHE_DIR": str(tmp / "cache"), **teacher_env(teacher, base)}


@asynccontextmanager
async def recorded_server(teacher: str, base: str, tmp: Path, name: str) -> AsyncIterator[LanguageClient]:
    command = [
        sys.executable, str(RECORDER), str(tmp / name), "--",
        sys.executable, "-m", "dlm_synth_lsp", "--stdio", "--log-file", str(tmp / f"{name}.log"),
        "--log-level", "DEBUG",
    ]  # fmt: skip
    async with launch("visual-studio-code", env=_env(teacher, base, tmp), command=command) as client:
        yield client


async def _synthesize(
    editor: Editor, server: FakeLLMServer | None, teacher: str, base: str, mode: str, tmp: Path
) -> dict[str, Any]:
    """One job of `mode` on its own document; the command's result."""
    client = editor.client
    path = tmp / f"{mode}.dlm"
    # the server keeps one reply cache across jobs: each mode's headings differ, so no
    # mode is answered from the replies of another
    text = DOC.replace("\n# ", f"\n# [{mode}] ")
    path.write_text(text, encoding="utf-8")
    uri = file_uri(path)
    await configure(
        client,
        teacher=selector(teacher, base),
        filter="none",
        perSection=1,
        dlmHome=str(tmp / "home"),
        useCache=True,
        timeoutSeconds=0.5 if mode == "timeout" else 20,
    )
    editor.open(uri, text)
    await wait_until(lambda: uri in client.diagnostics)
    since = 0
    if server is not None:
        prepare(server, mode, teacher)
        since = len(server.generation_requests())
    job = asyncio.ensure_future(
        client.workspace_execute_command_async(
            lsp.ExecuteCommandParams(command="dlm-synth.synthesizeDocument", arguments=[{"uri": uri}])
        )
    )
    if mode == "cancel":
        assert server is not None
        assert await asyncio.to_thread(cancel_when_ready, server, since)
        await client.workspace_execute_command_async(
            lsp.ExecuteCommandParams(command="dlm-synth.cancel", arguments=[{"uri": uri}])
        )
    result: dict[str, Any] = await job
    result["document"] = editor.texts[uri]
    if server is not None:
        server.respond = None
        server.clear_script()
    return result


@pytest.mark.parametrize("teacher", ["openai", "anthropic", "vllm-server"])
async def test_no_key_in_any_frame_log_or_file(teacher: str, tmp_path: Path) -> None:
    results: dict[str, dict[str, Any]] = {}
    with fake_llm_server() as server:
        async with recorded_server(teacher, server.url, tmp_path, "main") as client:
            editor = make_editor(client)
            for mode in MODES[:-1]:
                results[mode] = await _synthesize(editor, server, teacher, server.url, mode, tmp_path)
    refused = f"http://127.0.0.1:{unused_port()}"
    async with recorded_server(teacher, refused, tmp_path, "refused") as client:
        results["refused"] = await _synthesize(
            make_editor(client), None, teacher, refused, "refused", tmp_path
        )

    leaks = []
    for name in ("main", "refused"):
        for stream in ("to_client.bin", "stderr.bin"):
            leaks += scan_text(f"{name}/{stream}", (tmp_path / name / stream).read_bytes())
        leaks += scan_text(f"{name}.log", (tmp_path / f"{name}.log").read_bytes())
    for mode, result in results.items():
        leaks += scan_text(f"{mode} document", result["document"])
    found, files = scan_files([tmp_path / "home", tmp_path / "cache"])
    assert leaks + found == []
    assert files >= 1  # something was staged (the cancelled job's pair)
    frames = (tmp_path / "main" / "to_client.bin").read_bytes()
    assert frames.count(b"Content-Length:") > 20
    stderr = (tmp_path / "main" / "stderr.bin").read_bytes() + (
        tmp_path / "refused" / "stderr.bin"
    ).read_bytes()
    assert b"Traceback" not in stderr and b"never retrieved" not in stderr

    assert {mode: result["status"] for mode, result in results.items()} == {
        "401": "failed",
        "403": "failed",
        "429": "applied",
        "5xx": "applied",
        "timeout": "failed",
        "cancel": "cancelled",
        "refused": "failed",
    }
    assert "Incorrect API key provided: ***" in results["401"]["error"]
