"""What a document takes is given back when it is closed, and caches are bounded by
size, not only by entry count (issue 14, item 11).

Memory is counted with tracemalloc (every Python allocation, deterministic) rather
than the process RSS; the long-session soak over LSP with RSS is bench/bench_soak.py."""

from __future__ import annotations

import gc
import sys
import tracemalloc
import weakref
from pathlib import Path

from dlm_synth_lsp.document import Document, parse_text
from dlm_synth_lsp.document.document import TextChange
from dlm_synth_lsp.document.memo import Lru, Passes
from dlm_synth_lsp.document.model import SectionType
from dlm_synth_lsp.document.text import PositionEncoding
from dlm_synth_lsp.lsp import features
from dlm_synth_lsp.lsp.server import DlmLanguageServer, did_close
from lsprotocol import types as lsp

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
from gen_doc import generate

ENC = PositionEncoding.UTF16


def use(ls: DlmLanguageServer, uri: str, text: str) -> None:
    """What an editor does with a document: open it, ask for its outline, lenses,
    folds, tokens, actions and hovers around a few keystrokes."""
    ls.documents.open(uri, 1, text)
    first = ls.documents.get(uri)
    assert first is not None
    prose = next(s for s in first.doc.sections if s.type is SectionType.PROSE and len(s.content) > 40)
    row = prose.content_start_line
    for version in range(2, 6):
        snapshot = ls.documents.get(uri)
        assert snapshot is not None
        doc = snapshot.doc
        ls.encoded(doc, "symbols", features.document_symbols(doc, ENC))
        ls.encoded(doc, "lenses", features.code_lenses(doc, uri, ENC))
        ls.encoded(doc, "folds", features.folding_ranges(doc))
        ls.semantic_tokens.full(uri, doc, ENC)
        here = lsp.Range(start=lsp.Position(line=row, character=0), end=lsp.Position(line=row, character=0))
        ls.encoded_some(doc, features.code_actions(doc, uri, here, [], ENC, None))
        for section in doc.sections[:50]:
            features.hover(doc, lsp.Position(line=section.start_line - 1, character=0), ENC)
        typed = version % 2 == 0
        change = lsp.TextDocumentContentChangePartial(
            range=lsp.Range(
                start=lsp.Position(line=row, character=2),
                end=lsp.Position(line=row, character=2 if typed else 3),
            ),
            text="x" if typed else "",
        )
        ls.documents.change(uri, version, [change], ENC)


def close(ls: DlmLanguageServer, uri: str) -> None:
    sent: list[object] = []
    ls.text_document_publish_diagnostics = sent.append  # type: ignore[method-assign]
    did_close(ls, lsp.DidCloseTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=uri)))
    assert sent  # the diagnostics were cleared


def test_closing_a_document_releases_its_versions() -> None:
    """Nothing the server keeps (caches, stores, memos) holds on to a closed document."""
    ls = DlmLanguageServer()
    uri = "file:///closed.dlm"
    use(ls, uri, generate(60_000, seed=7))
    snapshot = ls.documents.get(uri)
    assert snapshot is not None
    last = weakref.ref(snapshot.doc)
    assert len(snapshot.doc.lineage) > 5  # the features did cache across versions
    del snapshot
    close(ls, uri)
    gc.collect()
    assert last() is None


def test_closed_documents_leave_no_memory_behind() -> None:
    ls = DlmLanguageServer()
    texts = [generate(150_000, seed=seed) for seed in range(6)]
    use(ls, "file:///warm.dlm", generate(150_000, seed=99))  # imports, first-use tables
    close(ls, "file:///warm.dlm")
    gc.collect()
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        one = 0
        for index, text in enumerate(texts):
            uri = f"file:///{index}.dlm"
            use(ls, uri, text)
            if index == 0:
                one = tracemalloc.get_traced_memory()[0] - baseline  # one open document
            close(ls, uri)
        gc.collect()
        retained = tracemalloc.get_traced_memory()[0] - baseline
    finally:
        tracemalloc.stop()
    # six documents opened, used and closed keep less than a twentieth of what one
    # open document takes (before: every section of every document stayed cached)
    assert retained < one / 20, (retained, one)


def test_a_cache_is_bounded_by_weight_as_well_as_entries() -> None:
    cache: Lru[str, str] = Lru(100, max_weight=1000, weigh=lambda key, value: len(value))
    for index in range(10):
        cache.put(f"k{index}", "x" * 300)
    assert cache.weight <= 1000 and len(cache) == 3
    assert cache.get("k9", lambda: "recomputed") == "x" * 300  # the newest stay
    assert cache.get("k0", lambda: "recomputed") == "recomputed"
    cache.put("huge", "y" * 5000)  # over the bound alone: kept, alone
    assert len(cache) == 1 and cache.weight == 5000
    counted: Lru[int, int] = Lru(3)
    for index in range(10):
        counted.put(index, index)
    assert len(counted) == 3


def test_editing_a_huge_section_keeps_no_stale_versions() -> None:
    """Every keystroke in a 4 MB section makes a new section; what the outline, folds
    and tokens keep across versions is one version's worth, not one per keystroke."""
    line = "words " * 700_000
    tracemalloc.start()
    try:
        doc = parse_text("---\ndlm_id: 01KPQ9X1000000000000000000\nbase_model: m\n---\n\n" + line + "\n")
        row = doc.lines.index(line)
        for version in range(12):
            features.document_symbols(doc, ENC)
            features.folding_ranges(doc)
            doc = _typed(doc, row, version)
        gc.collect()
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    # the current version (its line and its section's content) and the cached pass's
    # section (one version back): about four copies of the line, not twenty-four
    assert held < 5 * len(line), held / len(line)
    symbols: Passes[object, object] = doc.shared(f"symbols:{ENC}", Passes)
    assert len(symbols) == 1


def _typed(doc: Document, row: int, version: int) -> Document:
    change = TextChange("x", (row, 5, row, 5)) if version % 2 == 0 else TextChange("", (row, 5, row, 6))
    return doc.apply(change, ENC)
