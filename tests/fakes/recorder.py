"""Run a command between a client and itself, recording every byte both ways.

    python tests/fakes/recorder.py OUT_DIR -- command args...

The client talks to this process exactly as it would to the command; OUT_DIR gets
`to_server.bin`, `to_client.bin` (every LSP frame, byte for byte) and `stderr.bin`.
Used by tests that must see everything a language server sent, not what a client
library made of it."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
from pathlib import Path
from typing import BinaryIO


def _pump(source: BinaryIO, sink: BinaryIO | None, record: Path) -> None:
    with record.open("wb") as out:
        while chunk := source.read1(65536) if hasattr(source, "read1") else source.read(65536):
            out.write(chunk)
            out.flush()
            if sink is not None:
                try:
                    sink.write(chunk)
                    sink.flush()
                except (BrokenPipeError, ValueError):
                    sink = None
    if sink is not None:
        with contextlib.suppress(OSError):
            sink.close()


def main() -> int:
    out_dir = Path(sys.argv[1])
    command = sys.argv[sys.argv.index("--") + 1 :]
    out_dir.mkdir(parents=True, exist_ok=True)
    child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdin is not None and child.stdout is not None and child.stderr is not None
    pumps = [
        threading.Thread(
            target=_pump, args=(sys.stdin.buffer, child.stdin, out_dir / "to_server.bin"), daemon=True
        ),
        threading.Thread(target=_pump, args=(child.stdout, sys.stdout.buffer, out_dir / "to_client.bin")),
        threading.Thread(target=_pump, args=(child.stderr, sys.stderr.buffer, out_dir / "stderr.bin")),
    ]
    for pump in pumps:
        pump.start()
    code = child.wait()
    for pump in pumps[1:]:
        pump.join()
    return code


if __name__ == "__main__":
    sys.exit(main())
