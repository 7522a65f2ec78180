"""`dlm-synth-lsp [--stdio]` / `dlm-synth-lsp --tcp --port N`: start the server.

Imports stay light (no torch, no SDKs) until a command needs a teacher, so the
editor gets its `initialize` answer fast. Logs go to the client (`window/logMessage`)
and optionally a file; they name documents by uri and never contain document text
or keys.
"""

from __future__ import annotations

import argparse
import gc
import ipaddress
import logging
import sys
from collections.abc import Sequence
from typing import ClassVar

from lsprotocol import types as lsp


class ClientLogHandler(logging.Handler):
    """Forwards log records to the client's log once the session is up."""

    _LEVELS: ClassVar[dict[int, lsp.MessageType]] = {
        logging.ERROR: lsp.MessageType.Error,
        logging.WARNING: lsp.MessageType.Warning,
        logging.INFO: lsp.MessageType.Info,
    }

    def __init__(self, ls: object) -> None:
        super().__init__()
        self.ls = ls

    def emit(self, record: logging.LogRecord) -> None:
        from .server import DlmLanguageServer

        ls = self.ls
        if not isinstance(ls, DlmLanguageServer) or ls.protocol.writer is None:
            return
        kind = self._LEVELS.get(record.levelno, lsp.MessageType.Log)
        try:
            ls.window_log_message(lsp.LogMessageParams(type=kind, message=self.format(record)))
        except Exception:  # never let logging break a handler
            self.handleError(record)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dlm-synth-lsp", description="The .dlm language server.")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--stdio", action="store_true", help="speak LSP over stdin/stdout (the default)")
    mode.add_argument("--tcp", action="store_true", help="listen on a loopback TCP port (for debugging)")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address for --tcp (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=2087)
    parser.add_argument("--log-file", help="also write the server log to this file")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    args = parser.parse_args(argv)
    if args.tcp and not _loopback(args.host):
        parser.error(f"--host must be a loopback address (the server has no authentication), got {args.host}")

    from .server import server

    root = logging.getLogger("dlm_synth_lsp")
    root.setLevel(args.log_level)
    client = ClientLogHandler(server)
    client.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    root.addHandler(client)
    if args.log_file:
        handler = logging.FileHandler(args.log_file, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    # Everything imported so far lives as long as the process; moving it out of the
    # collector's reach keeps full collections (which stall the event loop) short.
    gc.freeze()
    if args.tcp:
        server.start_tcp(args.host, args.port)
    else:
        server.start_io(sys.stdin.buffer, sys.stdout.buffer)
    return 0
