"""Reading LSP frames so that a malformed one costs that frame, not the session.

pygls 2.1's read loop (`pygls.io_.run`/`run_async`) takes a header only when a whole
line is exactly `Content-Length: N\\r\\n`, and a body as exactly N bytes. One bad frame
(an LF-only header, a missing, negative or wrong length) leaves it reading the rest
of the stream at the wrong place for good: the server stays alive but never answers
again; and `Content-Length: 99999999999999` asks for that many bytes at once
(MemoryError).

`FrameParser` finds each frame by its header wherever it starts, accepts LF-only
header lines, refuses lengths over `MAX_FRAME`, notices a body that runs into the next
header (its length was too long: no JSON body holds a raw header line, since JSON
strings cannot contain a raw line break) and skips whatever is not a frame. What it
skips is logged by size and reason, never by content (it may be document text).
`FrameStream` (stdin) and `AsyncFrameStream` (a TCP connection) hand pygls only
well-formed frames, through the calls its read loops make: `readline()` for the
header lines, then `read(n)` / `readexactly(n)` for the body. A body that is not
JSON stays pygls' business (it logs it and goes on): the framing around it is intact.
"""

from __future__ import annotations

import logging
import re
from collections import deque
from dataclasses import dataclass
from typing import BinaryIO, Protocol

log = logging.getLogger(__name__)

#: the largest frame accepted; a 10 MB document is ~10–20 MB of JSON
MAX_FRAME = 128 * 1024 * 1024
#: a header block longer than this is not one
_MAX_HEADER = 8192
#: bytes kept when skipping, in case a read cut a header in two
_OVERLAP = 256
_CHUNK = 65536
_LENGTH = re.compile(rb"Content-Length:[ \t]*(-?\d+)[ \t]*\r?\n", re.IGNORECASE)
_FIELD = re.compile(rb"[!-9;-~]+:[^\r\n]*")
#: nothing but header fields: no loss to skip (e.g. a Content-Type line)
_FIELDS = re.compile(rb"\s*(?:[!-9;-~]+:[^\r\n]*\r?\n)*\s*")


@dataclass(slots=True)
class _Pending:
    """A frame whose header was read and whose body is still arriving."""

    start: int  # where the body starts in the buffer
    length: int
    scanned: int  # the body was searched for a header up to here


class FrameParser:
    """Bytes in (`feed`), complete frame bodies out; never raises for any input."""

    def __init__(self, max_frame: int = MAX_FRAME) -> None:
        self.max_frame = max_frame
        self._buf = bytearray()
        self._pending: _Pending | None = None
        self._junk = 0  # bytes skipped since the last frame (logged once, with it)

    def feed(self, data: bytes) -> list[bytes]:
        self._buf += data
        bodies = []
        while (body := self._take()) is not None:
            if self._junk:
                log.warning("skipped %d bytes that are not LSP frames before the next frame", self._junk)
                self._junk = 0
            bodies.append(body)
        return bodies

    def close(self) -> None:
        """The input ended: report what was left."""
        self._skip(len(self._buf))
        if self._pending is not None:
            log.warning("the input ended inside a %d-byte frame", self._pending.length)
            self._pending = None
        if self._junk:
            log.warning("skipped %d bytes that are not LSP frames at the end of the input", self._junk)
            self._junk = 0

    def _skip(self, count: int) -> None:
        skipped = bytes(self._buf[:count])
        del self._buf[:count]
        if not _FIELDS.fullmatch(skipped):
            self._junk += len(skipped)

    def _broken(self, at: int, why: str) -> None:
        log.warning("skipped a malformed frame: %s", why)
        self._pending = None
        self._skip(at)

    def _take(self) -> bytes | None:
        """The next complete frame's body, or None until more input arrives."""
        while True:
            pending = self._pending or self._header()
            if pending is None:
                return None
            self._pending = pending
            body_end = pending.start + pending.length
            stop = min(len(self._buf), body_end)
            inner = _LENGTH.search(self._buf, max(pending.start, pending.scanned - _OVERLAP), stop)
            if inner is not None:
                self._broken(inner.start(), f"a body shorter than its Content-Length {pending.length}")
                continue
            pending.scanned = stop
            if stop < body_end:
                return None
            body = bytes(self._buf[pending.start : body_end])
            del self._buf[:body_end]
            self._pending = None
            return body

    def _header(self) -> _Pending | None:
        """The next frame's header, read; None until more input arrives."""
        while True:
            match = _LENGTH.search(self._buf)
            if match is None:
                self._skip(max(0, len(self._buf) - _OVERLAP))
                return None
            if match.start():
                self._skip(match.start())
                continue
            start = self._fields_end(match.end())
            if start is None:
                return None
            if start < 0:
                continue
            length = int(match.group(1))
            if not 0 < length <= self.max_frame:
                self._broken(start, f"Content-Length {match.group(1).decode()} outside 1..{self.max_frame}")
                continue
            return _Pending(start, length, start)

    def _fields_end(self, pos: int) -> int | None:
        """Where the body starts, after the other header fields and the empty line;
        None to wait for more input; -1 when the header was broken (and skipped)."""
        while True:
            newline = self._buf.find(b"\n", pos)
            if newline < 0:
                if len(self._buf) <= _MAX_HEADER:
                    return None
                self._broken(pos, "a header that does not end")
                return -1
            line = bytes(self._buf[pos:newline]).rstrip(b"\r")
            if not line:
                return newline + 1
            if newline > _MAX_HEADER or not _FIELD.fullmatch(line):
                self._broken(pos, "a header line that is not a field")
                return -1
            pos = newline + 1


class _Frames:
    """Frame bodies presented as pygls' read loops read them."""

    def __init__(self, max_frame: int) -> None:
        self._parser = FrameParser(max_frame)
        self._lines: deque[bytes] = deque()
        self._bodies: deque[bytes] = deque()
        self._held = b""
        self._ended = False

    def _line(self) -> bytes | None:
        """The next header line to hand out, or None when a frame must be read first."""
        if not self._lines:
            if not self._bodies:
                return b"" if self._ended else None
            self._held = self._bodies.popleft()
            self._lines.extend((b"Content-Length: %d\r\n" % len(self._held), b"\r\n"))
        return self._lines.popleft()

    def _got(self, chunk: bytes) -> None:
        if chunk:
            self._bodies.extend(self._parser.feed(chunk))
        else:
            self._parser.close()
            self._ended = True

    def _body(self, n: int) -> bytes:
        body, self._held = self._held, b""
        if len(body) != n:  # pygls asks for exactly what our header said
            raise RuntimeError(f"frame reader out of step: {n} bytes asked, {len(body)} held")
        return body


class FrameStream(_Frames):
    """A blocking stream (stdin) for `LanguageServer.start_io`: pygls reads it with
    `readline()` and `read(n)` in a worker thread."""

    def __init__(self, raw: BinaryIO, max_frame: int = MAX_FRAME) -> None:
        super().__init__(max_frame)
        self._raw = raw
        self._read = getattr(raw, "read1", None) or raw.read

    def readline(self) -> bytes:
        while (line := self._line()) is None:
            self._got(self._read(_CHUNK))
        return line

    def read(self, n: int) -> bytes:
        return self._body(n)


class ChunkSource(Protocol):
    """What the async stream reads from: an asyncio StreamReader (a TCP connection)
    or `stdio.PipeReader` (stdin read on the event loop)."""

    async def read(self, n: int = -1, /) -> bytes: ...


class AsyncFrameStream(_Frames):
    """An asyncio byte source for pygls' async read loop."""

    def __init__(self, raw: ChunkSource, max_frame: int = MAX_FRAME) -> None:
        super().__init__(max_frame)
        self._raw = raw

    async def readline(self) -> bytes:
        while (line := self._line()) is None:
            self._got(await self._raw.read(_CHUNK))
        return line

    async def readexactly(self, n: int) -> bytes:
        return self._body(n)
