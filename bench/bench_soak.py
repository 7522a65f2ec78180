"""Long-session soak (issue 14, item 11): does the language server give back what a
document took once the document is closed?

Run from the repository root:

    .venv/bin/python bench/bench_soak.py [--cycles 50] [--bytes 1000000] [--edits 5]

A real LSP client (pytest-lsp, VS Code's capabilities) drives `python -m dlm_synth_lsp
--stdio`. Each cycle opens the ~1 MB generated document (`gen_doc.py`) under a new
uri, asks for its outline, code lenses, folding ranges and a hover, types `--edits`
characters in a prose line (each followed by lenses, outline and a hover, as an editor
asks), then closes it. The server's resident memory (VmRSS of its process, after its
next answer) is recorded after every close. Pass: RSS after the last close is within
10% of RSS after the first (`--tolerance`), so whatever a document takes is given
back and caches stay bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from dlm_synth_lsp.document import SectionType, parse_text  # noqa: E402
from gen_doc import generate  # noqa: E402
from lsprotocol import types as lsp  # noqa: E402
from pytest_lsp import LanguageClient  # noqa: E402

from tests.lsp.e2e.conftest import launch  # noqa: E402


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def server_pid(client: LanguageClient) -> int:
    process = client._server  # type: ignore[attr-defined]
    return int(process.pid)


async def cycle(client: LanguageClient, uri: str, text: str, row: int, edits: int) -> None:
    ident = lsp.TextDocumentIdentifier(uri=uri)
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(uri=uri, language_id="dlm", version=1, text=text)
        )
    )

    async def ask() -> None:
        await client.text_document_document_symbol_async(lsp.DocumentSymbolParams(text_document=ident))
        await client.text_document_code_lens_async(lsp.CodeLensParams(text_document=ident))
        await client.text_document_hover_async(
            lsp.HoverParams(text_document=ident, position=lsp.Position(line=row, character=3))
        )

    await ask()
    await client.text_document_folding_range_async(lsp.FoldingRangeParams(text_document=ident))
    for version in range(2, edits + 2):
        typed = version % 2 == 0
        end = 2 if typed else 3
        client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[
                    lsp.TextDocumentContentChangePartial(
                        range=lsp.Range(
                            start=lsp.Position(line=row, character=2),
                            end=lsp.Position(line=row, character=end),
                        ),
                        text="x" if typed else "",
                    )
                ],
            )
        )
        await ask()
    client.text_document_did_close(lsp.DidCloseTextDocumentParams(text_document=ident))


def document(size: int, seed: int) -> tuple[str, int]:
    """The generated document and a 0-based line inside a prose paragraph."""
    text = generate(size, seed=seed)
    doc = parse_text(text)
    prose = next(s for s in doc.sections if s.type is SectionType.PROSE and len(s.content) > 40)
    return text, prose.content_start_line  # the line after the first content line


async def soak(cycles: int, size: int, edits: int, varied: bool) -> list[float]:
    text, row = document(size, 20261124)
    rss: list[float] = []
    async with launch("visual-studio-code") as client:
        pid = server_pid(client)
        print(f"server pid {pid}, idle RSS {rss_mb(pid):.1f} MB, document {len(text.encode()):,} bytes")
        for index in range(cycles):
            started = time.perf_counter()
            if varied and index:
                text, row = document(size, 20261124 + index)
            await cycle(client, f"file:///soak/{index}.dlm", text, row, edits)
            # one more request, so the close has been handled when RSS is read
            await client.text_document_hover_async(
                lsp.HoverParams(
                    text_document=lsp.TextDocumentIdentifier(uri="file:///soak/none.dlm"),
                    position=lsp.Position(line=0, character=0),
                )
            )
            rss.append(rss_mb(pid))
            took = time.perf_counter() - started
            print(f"cycle {index + 1:3d}: RSS after close {rss[-1]:7.1f} MB ({took:.1f} s)")
    return rss


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cycles", type=int, default=50)
    parser.add_argument("--bytes", type=int, default=1_000_000)
    parser.add_argument("--edits", type=int, default=5)
    parser.add_argument("--tolerance", type=float, default=0.10)
    parser.add_argument(
        "--varied", action="store_true", help="a different generated document every cycle (fills the caches)"
    )
    args = parser.parse_args()
    os.environ.setdefault("DLM_SYNTH_CACHE_DIR", "/tmp/dlm-synth-soak-cache")
    rss = asyncio.run(soak(args.cycles, args.bytes, args.edits, args.varied))
    first, last, peak = rss[0], rss[-1], max(rss)
    growth = last / first - 1
    print(
        f"\nRSS after the first close {first:.1f} MB, after the last {last:.1f} MB "
        f"({growth:+.1%}), peak {peak:.1f} MB over {len(rss)} cycles"
    )
    ok = growth <= args.tolerance
    print("PASS" if ok else f"FAIL: more than {args.tolerance:.0%} growth")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
