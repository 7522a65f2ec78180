"""Malformed JSON-RPC frames cost that frame, not the session (issue 14, item 16).

The server runs as editors start it (`--stdio`); this test writes raw bytes to its
stdin, because no LSP client library can be made to send a broken frame. After each
kind of bad frame comes a valid request, which must be answered; the server logs what
it skipped and still shuts down cleanly at the end."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from .conftest import SERVER_ENV


def frame(message: dict[str, Any], header: str | None = None) -> bytes:
    body = json.dumps(message).encode()
    return (header if header is not None else f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def request(id_: int, method: str, params: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": id_, "method": method, "params": params}


def symbols(id_: int) -> dict[str, Any]:
    """A request any state of the server answers (the document is not open: [])."""
    return request(id_, "textDocument/documentSymbol", {"textDocument": {"uri": "file:///nowhere.dlm"}})


def _len(message: dict[str, Any]) -> int:
    return len(json.dumps(message).encode())


#: (name, bytes that are not a well-formed frame, whether the bad frame's own request
#: is still answered: LF-only headers are accepted as the frame they clearly are)
BAD: list[tuple[str, bytes, bool]] = [
    ("lf-only headers", frame(symbols(11), f"Content-Length: {_len(symbols(11))}\n\n"), True),
    ("no content-length", frame(symbols(12), "Content-Type: application/vscode-jsonrpc\r\n\r\n"), False),
    ("negative length", frame(symbols(13), "Content-Length: -20\r\n\r\n"), False),
    ("length too long", frame(symbols(14), "Content-Length: 4000\r\n\r\n"), False),
    ("length too short", frame(symbols(15), "Content-Length: 12\r\n\r\n"), False),
    ("absurd length", frame(symbols(16), "Content-Length: 99999999999999\r\n\r\n"), False),
    ("binary garbage", b"\x00\xff garbage \r\n\r\n\x1b[2J", False),
    ("header without body end", b"Content-Length: 30\r\nX-Junk\r\n\r\n{}", False),
]


class RawServer:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.responses: dict[int, Any] = {}
        self._arrived = asyncio.Event()
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        stdout = self.proc.stdout
        assert stdout is not None
        while True:
            header = await stdout.readuntil(b"\r\n\r\n")
            length = int(header.split(b"Content-Length:")[1].split(b"\r\n")[0])
            message = json.loads(await stdout.readexactly(length))
            if "id" in message and "method" not in message:
                self.responses[message["id"]] = message
                self._arrived.set()

    def send(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)

    async def answer(self, id_: int, timeout: float = 15.0) -> Any:
        async def wait() -> Any:
            while id_ not in self.responses:
                self._arrived.clear()
                await self._arrived.wait()
            return self.responses[id_]

        return await asyncio.wait_for(wait(), timeout)


async def test_the_server_answers_after_every_kind_of_bad_frame(tmp_path: Path) -> None:
    log_file = tmp_path / "server.log"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "dlm_synth_lsp", "--stdio", "--log-file", str(log_file),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env=SERVER_ENV,
    )  # fmt: skip
    server = RawServer(proc)
    try:
        server.send(frame(request(1, "initialize", {"processId": None, "rootUri": None, "capabilities": {}})))
        assert "capabilities" in (await server.answer(1))["result"]
        server.send(frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
        for index, (name, bad, answered) in enumerate(BAD):
            check = 100 + index
            server.send(bad + frame(symbols(check)))
            assert (await server.answer(check))["result"] == [], name
            own = 11 + index
            assert (own in server.responses) is answered, name
        # several bad frames in one write, then a good one
        server.send(b"".join(bad for _, bad, _ in BAD[1:]) + frame(symbols(200)))
        assert (await server.answer(200))["result"] == []
        server.send(frame(request(300, "shutdown", None)))
        assert (await server.answer(300))["result"] is None
        server.send(frame({"jsonrpc": "2.0", "method": "exit"}))
        assert await asyncio.wait_for(proc.wait(), 15) == 0
        assert proc.stderr is not None
        stderr = (await proc.stderr.read()).decode()
        assert "MemoryError" not in stderr
    finally:
        server._reader.cancel()
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    log = log_file.read_text()
    assert "skipped a malformed frame: Content-Length -20 outside" in log
    assert "skipped a malformed frame: Content-Length 99999999999999 outside" in log
    assert "skipped a malformed frame: a body shorter than its Content-Length 4000" in log
    assert "bytes that are not LSP frames" in log
    assert "garbage" not in log  # what was skipped is counted, never copied


@pytest.mark.parametrize("chunk", [1, 5, 4096])
def test_the_parser_finds_the_same_frames_however_the_input_is_cut(chunk: int) -> None:
    from dlm_synth_lsp.lsp.frames import FrameParser

    data = b"".join(bad + frame(symbols(100 + index)) for index, (_, bad, _) in enumerate(BAD))
    parser = FrameParser()
    bodies = [
        body for start in range(0, len(data), chunk) for body in parser.feed(data[start : start + chunk])
    ]
    parser.close()
    ids = [json.loads(body).get("id") for body in bodies if body.startswith(b"{") and body.endswith(b"}")]
    assert [i for i in ids if i >= 100] == [100 + index for index in range(len(BAD))]
    assert 11 in ids  # the LF-only frame is a frame
