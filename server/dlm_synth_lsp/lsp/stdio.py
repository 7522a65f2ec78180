"""Reading the client's messages from stdin on the event loop.

pygls reads stdin through its thread pool: every header line and every body is one
`run_in_executor` hop (three per message), each a thread hand-off and a wake-up of
the event loop. On a loaded machine that is most of what a keystroke costs over LSP
(bench/bench_lsp.py). `PipeReader` reads the same bytes with asyncio's own pipe
transport instead; it has the reader interface pygls' framing loop (`run_async`)
expects. Standard input that is not a pipe, socket or terminal (a regular file)
keeps pygls' reader.
"""

from __future__ import annotations

import asyncio
import os
import stat
from typing import BinaryIO

#: a header line longer than this is not LSP framing (the body has no such limit)
HEADER_LIMIT = 64 * 1024


def pipe_capable(stream: BinaryIO) -> bool:
    """Whether asyncio can read `stream` without threads."""
    try:
        mode = os.fstat(stream.fileno()).st_mode
    except (OSError, ValueError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or stat.S_ISCHR(mode)


class PipeReader:
    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._reader: asyncio.StreamReader | None = None

    async def _connected(self) -> asyncio.StreamReader:
        if self._reader is None:
            reader = asyncio.StreamReader(limit=HEADER_LIMIT)
            loop = asyncio.get_running_loop()
            await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), self._stream)
            self._reader = reader
        return self._reader

    async def read(self, n: int = -1, /) -> bytes:
        """Up to `n` bytes as they arrive (what `frames.AsyncFrameStream` reads)."""
        reader = await self._connected()
        return await reader.read(n)

    async def readline(self) -> bytes:
        reader = await self._connected()
        try:
            return await reader.readline()
        except ValueError:  # a line over the limit: hand back what it holds, framing decides
            return await reader.read(HEADER_LIMIT)

    async def readexactly(self, n: int) -> bytes:
        reader = await self._connected()
        try:
            return await reader.readexactly(n)
        except asyncio.IncompleteReadError as exc:  # end of input: what there was
            return exc.partial
