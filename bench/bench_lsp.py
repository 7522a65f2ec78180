"""Language-server responsiveness benchmark: a real LSP client over stdio against
`python -m dlm_synth_lsp --stdio`, on a ~1 MB generated document.

Run from the repository root:  .venv/bin/python bench/bench_lsp.py [--n 200] [--edit-every 4]

Measured in one run (so machine drift hits every condition alike):

- cold start: spawn → `initialize` result, median of `--starts` fresh servers;
- idle memory: VmRSS of the server process after opening the document;
- latency of `textDocument/hover` (on an auto-synth marker line),
  `textDocument/documentSymbol`, `textDocument/codeAction` (cursor in a prose
  paragraph), `textDocument/completion` at a frontmatter key (`completion`, the
  `training.*` keys) and after the typed character in prose (`completionProse`, which
  must answer nothing), and `textDocument/semanticTokens/full/delta` against the
  previous result (`semanticTokensDelta`, its edits applied by the client), `--n` of
  each, interleaved, one request in flight at a time, with a
  one-character `didChange` (typing, then deleting, a character in a prose line) before
  every `--edit-every`-th round; requests answered right after an edit are reported
  apart ("after edit"), the others are "warm";
- in three conditions: (a) idle, (b) while `dlm-synth.synthesizeDocument` runs against
  the fake OpenAI-compatible teacher (`tests/fakes/llm_server.py`, in its own process,
  127.0.0.1, `--latency` s per call, concurrency 4, filter dedup-only), (c) while the
  same command runs with `teacher: hf:<tiny random Llama>` generating on the CPU in
  the server (`--max-new-tokens` per call, torch's default threads). The job must
  still be running when the measurement ends (checked: no progress `end`), then it is
  cancelled with `dlm-synth.cancel`.

Latency is the client's round trip: it includes the client's own JSON decoding and
lsprotocol structuring (reported separately for documentSymbol at the end).

First, the keystroke against upstream (`--keystrokes`, 0 to skip): a one-character
`didChange` (type, then delete, a character in a prose line) followed by a
`codeAction` (cursor in another paragraph), timed from sending the change to the
action list arriving, against upstream's `parse_text` of the same text in its own
`.venv-oracle` process (bench_parse.Upstream, timing its own loop), interleaved in
rounds so the machine's load hits both alike. This client is a minimal one (framing
and `json` only, like an editor's native client), so the time is the server's and
the pipe's; the pytest-lsp client's numbers for the same pair are in the table ("after
edit"). The machine's load average is printed with it.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import pytest_lsp  # noqa: E402
from bench_parse import ORACLE_PYTHON, Upstream  # noqa: E402
from dlm_synth_lsp.document import SectionType, parse_text  # noqa: E402
from gen_doc import generate  # noqa: E402
from lsprotocol import types as lsp  # noqa: E402
from pytest_lsp import LanguageClient  # noqa: E402

from tests.lsp.e2e.conftest import _fix_code_action_decoding  # noqa: E402

SERVER_CMD = [sys.executable, "-m", "dlm_synth_lsp", "--stdio"]
SERVER_ENV = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "ANTHROPIC", "DLM_"))}
SERVER_ENV.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
PROFILE = "visual-studio-code"
CLK_TCK = os.sysconf("SC_CLK_TCK")

FAKE_SERVER_SCRIPT = """
import sys, time
sys.path.insert(0, sys.argv[1])
from tests.fakes.llm_server import FakeLLMServer
from tests.fakes.teacher_replies import passage_reply
server = FakeLLMServer(default_reply=passage_reply, latency_s=float(sys.argv[2])).start()
print(server.url, flush=True)
sys.stdin.read()  # until the benchmark closes our stdin
server.stop()
"""

TINY_MODEL_SCRIPT = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from tests.fakes.tiny_model import build_tiny_model
build_tiny_model(Path(sys.argv[2]))
"""


# -- helpers ---------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def make_client() -> LanguageClient:
    client = pytest_lsp.make_test_lsp_client()
    _fix_code_action_decoding(client)
    client.applied_edits = 0  # type: ignore[attr-defined]

    @client.feature(lsp.WORKSPACE_APPLY_EDIT)  # type: ignore[untyped-decorator]
    def apply_edit(params: lsp.ApplyWorkspaceEditParams) -> lsp.ApplyWorkspaceEditResult:
        # a job that ended before we cancel it must not change the measured document
        client.applied_edits += 1  # type: ignore[attr-defined]
        return lsp.ApplyWorkspaceEditResult(applied=False, failure_reason="benchmark: read-only")

    @client.feature(lsp.WINDOW_SHOW_MESSAGE_REQUEST)  # type: ignore[untyped-decorator]
    def message_request(params: lsp.ShowMessageRequestParams) -> None:
        return None

    return client


async def start_server(settings: dict[str, Any]) -> tuple[LanguageClient, float]:
    """A fresh server and initialized session; returns the seconds from spawn to the
    `initialize` result."""
    client = make_client()
    client.set_configuration(settings, section="dlmSynth")
    t0 = time.perf_counter()
    await client.start_io(*SERVER_CMD, env=SERVER_ENV)
    await client.initialize_session(
        lsp.InitializeParams(
            capabilities=pytest_lsp.client_capabilities(PROFILE),
            initialization_options={"dlmSynth": settings},
        )
    )
    return client, time.perf_counter() - t0


async def configure(client: LanguageClient, settings: dict[str, Any]) -> None:
    client.set_configuration(settings, section="dlmSynth")
    client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=None))
    await asyncio.sleep(0.3)


def server_pid(client: LanguageClient) -> int:
    proc = client._server
    assert proc is not None
    return proc.pid


async def wait_until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


# -- the workload -----------------------------------------------------------------------


class Workload:
    """The document, the positions the requests use and the keystroke edits."""

    def __init__(self, text: str, uri: str, only: list[str]) -> None:
        self.only = only
        self.text = text
        self.uri = uri
        self.version = 1
        self.edits = 0
        doc = parse_text(text)
        lines = text.split("\n")
        middle = len(lines) // 2
        markers = [i for i, line in enumerate(lines) if line.startswith("<!-- dlm-auto-synth")]
        self.hover_line = min(markers, key=lambda i: abs(i - middle))
        prose = [s for s in doc.sections if s.type is SectionType.PROSE and s.start_line > middle]
        # a paragraph line (not a heading or blank) inside two prose sections past the middle
        self.action_line = self._paragraph_line(lines, prose[0])
        self.edit_line = self._paragraph_line(lines, prose[2])
        self.key_line = lines.index("  adapters:")  # completion of the other training.* keys
        self.doc_id = lsp.TextDocumentIdentifier(uri=uri)
        # the semantic tokens the client holds (delta requests build on them)
        self.tokens_id: str | None = None
        self.tokens_data: list[int] = []

    @staticmethod
    def _paragraph_line(lines: list[str], section: Any) -> int:
        for row in range(section.start_line - 1, section.end_line):
            line = lines[row]
            if line and line[0].isupper() and line.endswith(".") and not line.startswith("#"):
                return row
        raise RuntimeError("no paragraph line in the chosen prose section")

    def keystroke(self, client: LanguageClient) -> None:
        """Type `x` after the first character of the edit line, or delete it again."""
        line = self.edit_line
        if self.edits % 2 == 0:
            rng, new = (line, 1, line, 1), "x"
        else:
            rng, new = (line, 1, line, 2), ""
        self.edits += 1
        self.version += 1
        client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(uri=self.uri, version=self.version),
                content_changes=[
                    lsp.TextDocumentContentChangePartial(
                        range=lsp.Range(
                            start=lsp.Position(line=rng[0], character=rng[1]),
                            end=lsp.Position(line=rng[2], character=rng[3]),
                        ),
                        text=new,
                    )
                ],
            )
        )

    async def semantic_tokens(self, client: LanguageClient) -> Any:
        """A delta against the last result (the first time, and after an unknown id,
        the full tokens), applied to the client's copy as an editor does."""
        if self.tokens_id is None:
            result: Any = await client.text_document_semantic_tokens_full_async(
                lsp.SemanticTokensParams(text_document=self.doc_id)
            )
        else:
            result = await client.text_document_semantic_tokens_full_delta_async(
                lsp.SemanticTokensDeltaParams(text_document=self.doc_id, previous_result_id=self.tokens_id)
            )
        if isinstance(result, lsp.SemanticTokensDelta):
            for edit in sorted(result.edits, key=lambda e: e.start, reverse=True):
                self.tokens_data[edit.start : edit.start + edit.delete_count] = list(edit.data or [])
        else:
            self.tokens_data = list(result.data)
        self.tokens_id = result.result_id
        return result

    def requests(self, client: LanguageClient) -> dict[str, Any]:
        doc_id = self.doc_id
        pos_hover = lsp.Position(line=self.hover_line, character=5)
        pos_action = lsp.Position(line=self.action_line, character=3)
        pos_key = lsp.Position(line=self.key_line, character=2)
        pos_prose = lsp.Position(line=self.edit_line, character=1)
        every = {
            "hover": lambda: client.text_document_hover_async(
                lsp.HoverParams(text_document=doc_id, position=pos_hover)
            ),
            "documentSymbol": lambda: client.text_document_document_symbol_async(
                lsp.DocumentSymbolParams(text_document=doc_id)
            ),
            "codeAction": lambda: client.text_document_code_action_async(
                lsp.CodeActionParams(
                    text_document=doc_id,
                    range=lsp.Range(start=pos_action, end=pos_action),
                    context=lsp.CodeActionContext(diagnostics=[]),
                )
            ),
            "completion": lambda: client.text_document_completion_async(
                lsp.CompletionParams(text_document=doc_id, position=pos_key)
            ),
            "completionProse": lambda: client.text_document_completion_async(
                lsp.CompletionParams(text_document=doc_id, position=pos_prose)
            ),
            "semanticTokensDelta": lambda: self.semantic_tokens(client),
        }
        return {name: every[name] for name in self.only}


async def measure(
    client: LanguageClient, work: Workload, n: int, edit_every: int
) -> tuple[dict[str, dict[str, list[float]]], dict[str, Any]]:
    """`n` rounds of (hover, documentSymbol, codeAction); a keystroke before every
    `edit_every`-th round. Returns latencies (s) per request and warm/after-edit, and
    the last answers (checked to be non-empty)."""
    reqs = work.requests(client)
    times: dict[str, dict[str, list[float]]] = {name: {"warm": [], "edit": []} for name in reqs}
    answers: dict[str, Any] = {}
    order = list(reqs)
    # the client's own garbage collector must not show up as server latency (an editor's
    # client is not this Python process): collect now, then not during the timed loop
    gc.collect()
    gc.disable()
    try:
        await _rounds(client, work, n, edit_every, reqs, order, times, answers)
    finally:
        gc.enable()
    if work.edits % 2:
        work.keystroke(client)  # leave the text as it was
    return times, answers


async def _rounds(
    client: LanguageClient,
    work: Workload,
    n: int,
    edit_every: int,
    reqs: dict[str, Any],
    order: list[str],
    times: dict[str, dict[str, list[float]]],
    answers: dict[str, Any],
) -> None:
    for i in range(n):
        edited = edit_every > 0 and i % edit_every == 0
        if edited:
            work.keystroke(client)
        turn = (i // max(1, edit_every)) % len(order)  # which request comes first after an edit
        rotated = order[turn:] + order[:turn]
        for j, name in enumerate(rotated):
            t0 = time.perf_counter()
            answers[name] = await reqs[name]()
            times[name]["edit" if edited and j == 0 else "warm"].append(time.perf_counter() - t0)


def check_answers(answers: dict[str, Any]) -> None:
    if "hover" in answers:
        hover = answers["hover"]
        assert hover is not None and "synth" in str(hover.contents).lower(), hover
    if "documentSymbol" in answers:
        assert answers["documentSymbol"] and len(answers["documentSymbol"]) > 400  # one per prose heading
    if "codeAction" in answers:
        titles = [a.title for a in answers["codeAction"]]
        assert any("this section" in t for t in titles), titles
    if "completion" in answers:
        labels = [item.label for item in answers["completion"].items]
        assert "lora_r" in labels and "base_model" not in labels, labels
    if "completionProse" in answers:
        assert not answers["completionProse"].items, answers["completionProse"]
    if "semanticTokensDelta" in answers:
        assert isinstance(answers["semanticTokensDelta"], lsp.SemanticTokensDelta)


async def check_tokens(client: LanguageClient, work: Workload) -> None:
    """The client's copy, built from deltas, equals a fresh full result; the workload
    then continues from that result."""
    if "semanticTokensDelta" not in work.only:
        return
    fresh = await client.text_document_semantic_tokens_full_async(
        lsp.SemanticTokensParams(text_document=work.doc_id)
    )
    assert list(fresh.data) == work.tokens_data, "semantic tokens built from deltas differ from a full result"
    work.tokens_id = fresh.result_id


def progress_of(client: LanguageClient, token: Any) -> list[Any]:
    return list(client.progress_reports.get(token, []))


async def with_job(
    client: LanguageClient,
    work: Workload,
    settings: dict[str, Any],
    args: argparse.Namespace,
    label: str,
    warmup_calls: int,
    start_timeout: float,
) -> tuple[dict[str, dict[str, list[float]]], dict[str, Any]]:
    """Start synthesizeDocument with `settings`, wait until `warmup_calls` teacher calls
    finished, measure, check the job is still running, cancel it."""
    await configure(client, settings)
    before = set(client.progress_reports)
    job = asyncio.ensure_future(
        client.workspace_execute_command_async(
            lsp.ExecuteCommandParams(command="dlm-synth.synthesizeDocument", arguments=[{"uri": work.uri}])
        )
    )
    t_start = time.perf_counter()
    await wait_until(lambda: set(client.progress_reports) - before, start_timeout, f"{label}: progress")
    token = next(iter(set(client.progress_reports) - before))

    def done_calls() -> int:
        return sum(
            1
            for r in progress_of(client, token)
            if isinstance(r, lsp.WorkDoneProgressReport) and r.message and "accepted" in r.message
        )

    def failed_job() -> bool:
        return job.done()

    await wait_until(
        lambda: done_calls() >= warmup_calls or failed_job(), start_timeout, f"{label}: first calls"
    )
    if job.done():
        raise RuntimeError(f"{label}: the job ended before the measurement: {job.result()!r}")
    ready_s = time.perf_counter() - t_start
    messages = [r.message for r in progress_of(client, token) if getattr(r, "message", None)]
    pid = server_pid(client)
    calls0, cpu0, t0 = done_calls(), cpu_s(pid), time.perf_counter()
    times, answers = await measure(client, work, args.n, args.edit_every)
    wall = time.perf_counter() - t0
    cpu = cpu_s(pid) - cpu0
    calls = done_calls() - calls0
    running = not job.done() and not any(
        isinstance(r, lsp.WorkDoneProgressEnd) for r in progress_of(client, token)
    )
    rss_job = rss_kib(pid)
    cancelled = await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command="dlm-synth.cancel", arguments=[{"uri": work.uri}])
    )
    result = await asyncio.wait_for(job, 120)
    await wait_until(
        lambda: any(isinstance(r, lsp.WorkDoneProgressEnd) for r in progress_of(client, token)),
        30,
        f"{label}: progress end",
    )
    info = {
        "teacher_message": next((m for m in messages if m.startswith("asking")), messages[:1]),
        "ready_s": ready_s,
        "window_s": wall,
        "server_cpu": cpu / wall,
        "calls_in_window": calls,
        "still_running_at_end": running,
        "cancel": cancelled,
        "status": result.get("status") if isinstance(result, dict) else result,
        "rss_mib": rss_job / 1024,
    }
    return times, info | {"answers": answers}


class RawClient:
    """A minimal LSP client on the server's stdio: framing and `json` only."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            SERVER_CMD,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=SERVER_ENV,
        )
        self.next_id = 0

    def send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        body = json.dumps(message).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def read(self) -> Any:
        assert self.proc.stdout is not None
        length = 0
        while (line := self.proc.stdout.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        return json.loads(self.proc.stdout.read(length))

    def notify(self, method: str, params: Any) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method: str, params: Any) -> Any:
        self.next_id += 1
        ident = self.next_id
        self.send({"jsonrpc": "2.0", "id": ident, "method": method, "params": params})
        while True:
            message = self.read()
            if "method" not in message and message.get("id") == ident:
                return message.get("result")
            if "method" in message and "id" in message:  # a request to the client
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})

    def close(self) -> None:
        self.request("shutdown", None)
        self.notify("exit", None)
        self.proc.wait(timeout=30)


def keystroke_ratio(
    text: str, path: Path, work: Workload, rounds: int, per_round: int, reps: int
) -> dict[str, Any]:
    """Median (one-character didChange + codeAction) against upstream's parse_text."""
    uri = path.resolve().as_uri()
    client = RawClient()
    client.request(
        "initialize",
        {"processId": None, "rootUri": None, "capabilities": {"general": {"positionEncodings": ["utf-16"]}}},
    )
    client.notify("initialized", {})
    client.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "dlm", "version": 1, "text": text}},
    )
    at = {"line": work.action_line, "character": 3}
    action = {"textDocument": {"uri": uri}, "range": {"start": at, "end": at}, "context": {"diagnostics": []}}
    version = 1

    def keystroke(n: int) -> None:
        nonlocal version
        version += 1
        end = 1 if n % 2 == 0 else 2
        change = {
            "range": {
                "start": {"line": work.edit_line, "character": 1},
                "end": {"line": work.edit_line, "character": end},
            },
            "text": "x" if n % 2 == 0 else "",
        }
        client.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]},
        )

    for n in range(40):  # warm-up
        keystroke(n)
        client.request("textDocument/codeAction", action)
    upstream = Upstream(str(path)) if ORACLE_PYTHON.exists() else None
    ours: list[float] = []
    alone: list[float] = []
    theirs: list[float] = []
    load = [os.getloadavg()[0]]
    gc.disable()
    try:
        for _ in range(rounds):
            for n in range(per_round):
                t0 = time.perf_counter()
                keystroke(n)
                answer = client.request("textDocument/codeAction", action)
                ours.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                client.request("textDocument/codeAction", action)
                alone.append(time.perf_counter() - t0)
            assert any("this section" in a["title"] for a in answer), answer
            if upstream is not None:
                theirs += upstream.run(reps)
    finally:
        gc.enable()
    load.append(os.getloadavg()[0])
    if per_round % 2:
        keystroke(1)
    client.close()
    if upstream is not None:
        upstream.close()
    return {"ours": ours, "alone": alone, "theirs": theirs, "load": load}


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def table(results: dict[str, dict[str, dict[str, list[float]]]]) -> list[str]:
    rows = [
        "| condition | request | p50 warm | p99 warm | p50 after edit | p99 after edit | max | n warm/edit |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for condition, per_request in results.items():
        for name, split in per_request.items():
            warm, edit = split["warm"], split["edit"]
            rows.append(
                f"| {condition} | {name} | {fmt_ms(pct(warm, 0.5))} | {fmt_ms(pct(warm, 0.99))} | "
                f"{fmt_ms(pct(edit, 0.5)) if edit else '-'} | {fmt_ms(pct(edit, 0.99)) if edit else '-'} | "
                f"{fmt_ms(max(warm + edit))} | {len(warm)}/{len(edit)} |"
            )
    return rows


def decode_cost(client: LanguageClient, symbols: Any) -> tuple[float, int]:
    """Client-side cost of one documentSymbol answer, on pygls' own path: `json.loads`
    with the protocol's object hook, then structuring into the response type."""
    protocol = client.protocol
    body = json.dumps(
        {"jsonrpc": "2.0", "id": "decode-probe", "result": protocol._converter.unstructure(symbols)}
    )
    best = math.inf
    for _ in range(5):
        protocol._result_types["decode-probe"] = protocol.get_result_type(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
        t0 = time.perf_counter()
        json.loads(body, object_hook=protocol.structure_message)
        best = min(best, time.perf_counter() - t0)
    return best, len(body)


def server_side_costs(text: str) -> dict[str, float]:
    """In this process, the server's own functions on the same document: building the
    outline (memoised per Document, so also after a keystroke), pygls' serialisation
    of the answer, the semantic tokens and their delta after a keystroke, a full GC
    pass with the document alive, and the dedup check the pipeline runs on the event
    loop for every generated pair (dedup-only filter)."""
    from dlm_synth_lsp.document.document import Document, TextChange
    from dlm_synth_lsp.document.semantic_tokens import document_tokens
    from dlm_synth_lsp.document.text import PositionEncoding
    from dlm_synth_lsp.lsp import features
    from dlm_synth_lsp.lsp.server import server
    from dlm_synth_lsp.synth.dedup import find_duplicates
    from dlm_synth_lsp.synth.pipeline import select_sources
    from dlm_synth_lsp.synth.prompts import build_prompt
    from pygls.protocol import JsonRPCResponseMessage

    from tests.fakes.teacher_replies import passage_pairs

    def best(fn: Any, reps: int = 7) -> float:
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return min(times)

    enc = PositionEncoding.UTF16
    doc = parse_text(text)
    row = next(i for i in range(len(doc.lines) // 2, len(doc.lines)) if doc.lines[i][:1].isupper())
    state: dict[str, Any] = {"doc": doc, "typed": False}

    def keystroke_then_outline() -> None:
        change = TextChange("", (row, 1, row, 2)) if state["typed"] else TextChange("x", (row, 1, row, 1))
        state["doc"] = state["doc"].apply(change, enc)
        state["typed"] = not state["typed"]
        features.document_symbols(state["doc"], enc)

    tokens_state: dict[str, Any] = {"doc": doc, "typed": False, "tokens": document_tokens(doc, enc)}

    def keystroke_then_tokens() -> None:
        typed = tokens_state["typed"]
        change = TextChange("", (row, 1, row, 2)) if typed else TextChange("x", (row, 1, row, 1))
        tokens_state["doc"] = tokens_state["doc"].apply(change, enc)
        tokens_state["typed"] = not typed
        previous = tokens_state["tokens"]
        tokens_state["tokens"] = document_tokens(tokens_state["doc"], enc, previous)
        tokens_state["tokens"].delta(previous)

    symbols = features.document_symbols(doc, enc)
    proto = server.protocol
    message = JsonRPCResponseMessage(id=1, result=symbols, jsonrpc="2.0")
    known = [pair for pair, _ in doc.instruction_pairs]
    source = select_sources(doc)[len(select_sources(doc)) // 2]
    request = {"messages": [{"role": "user", "content": build_prompt("extraction", 3, source.text).user}]}
    pair = next(iter(passage_pairs(request)))
    gc.collect()
    return {
        "symbols_after_edit": best(keystroke_then_outline, 8),
        "tokens_after_edit": best(keystroke_then_tokens, 8),
        "symbols_serialise": best(lambda: json.dumps(message, default=proto._serialize_message)),
        "gc_full": best(gc.collect, 3),
        # the pairs are kept on the Document; this times computing them
        "existing_pairs": best(lambda: Document.instruction_pairs.func(doc), 3),
        "dedup_one_pair": best(lambda: find_duplicates([(pair["question"], pair["answer"])], known)),
        "known_pairs": float(len(known)),
    }


# -- main -------------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-lsp-"))
    text = generate(args.bytes)
    path = tmp / "bench.dlm"
    path.write_text(text, encoding="utf-8")
    uri = path.resolve().as_uri()
    work = Workload(text, uri, args.requests.split(","))
    doc = parse_text(text)
    n_prose = sum(1 for s in doc.sections if s.type is SectionType.PROSE and s.content.strip())
    print(
        f"document: {len(text):,} characters, {len(doc.lines):,} lines, {len(doc.sections):,} sections "
        f"({n_prose} non-empty prose), dlm_id {doc.dlm_id}"
    )
    print(f"hover line {work.hover_line}, codeAction line {work.action_line}, edit line {work.edit_line}")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    if args.keystrokes:
        k = await asyncio.to_thread(keystroke_ratio, text, path, work, args.keystrokes // 20, 20, 5)
        ours, theirs = (
            statistics.median(k["ours"]),
            statistics.median(k["theirs"]) if k["theirs"] else math.nan,
        )
        print(
            f"keystroke (1-char didChange + codeAction, minimal stdio client): median {fmt_ms(ours)} ms, "
            f"p90 {fmt_ms(pct(k['ours'], 0.9))} ms, n={len(k['ours'])}; codeAction alone median "
            f"{fmt_ms(statistics.median(k['alone']))} ms; upstream parse_text median {fmt_ms(theirs)} ms "
            f"(n={len(k['theirs'])}); ratio {theirs / ours:.0f}× (target ≥ 50×: "
            f"{'met' if theirs / ours >= 50 else 'NOT met'}); "
            f"load average {k['load'][0]:.1f} → {k['load'][1]:.1f}"
        )

    base = {
        "filter": "dedup-only",
        "perSection": 3,
        "maxNewTokens": args.max_new_tokens,
        "concurrency": 4,
        "useCache": False,
        "dlmHome": str(tmp / "home"),
        "timeoutSeconds": 600,
    }

    # tiny model (in a subprocess: the client process stays free of torch)
    model_dir = tmp / "tiny-model"
    subprocess.run([sys.executable, "-c", TINY_MODEL_SCRIPT, str(ROOT), str(model_dir)], check=True)

    # cold start: spawn → initialize result
    starts = []
    for _ in range(args.starts):
        client, elapsed = await start_server({**base, "teacher": "hf:" + str(model_dir)})
        starts.append(elapsed)
        await client.shutdown_session()
        await client.stop()  # type: ignore[no-untyped-call]
    print(f"cold start (spawn → initialize result): {', '.join(fmt_ms(s) for s in starts)} ms")

    fake = subprocess.Popen(
        [sys.executable, "-c", FAKE_SERVER_SCRIPT, str(ROOT), str(args.latency)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert fake.stdout is not None
    fake_url = fake.stdout.readline().strip()
    client, _ = await start_server({**base, "teacher": f"vllm-server:{fake_url}"})
    pid = server_pid(client)
    rss_before = rss_kib(pid)
    results: dict[str, dict[str, dict[str, list[float]]]] = {}
    infos: dict[str, dict[str, Any]] = {}
    try:
        t0 = time.perf_counter()
        client.text_document_did_open(
            lsp.DidOpenTextDocumentParams(
                text_document=lsp.TextDocumentItem(uri=uri, language_id="dlm", version=1, text=text)
            )
        )
        await wait_until(lambda: uri in client.diagnostics, 60, "diagnostics after didOpen")
        open_s = time.perf_counter() - t0
        await asyncio.sleep(1.0)
        rss_open = rss_kib(pid)
        print(
            f"didOpen → first diagnostics: {fmt_ms(open_s)} ms ({len(client.diagnostics[uri])} diagnostics); "
            f"server RSS before open {rss_before / 1024:.1f} MiB, after open (idle) {rss_open / 1024:.1f} MiB"
        )
        # warm-up (first calls build the summary cache and index)
        await measure(client, work, 3, 0)

        cpu0, t_idle = cpu_s(pid), time.perf_counter()
        times, answers = await measure(client, work, args.n, args.edit_every)
        infos["a"] = {"server_cpu": (cpu_s(pid) - cpu0) / (time.perf_counter() - t_idle)}
        check_answers(answers)
        await check_tokens(client, work)
        results["(a) idle"] = times
        symbols = answers.get("documentSymbol")

        times, info = await with_job(
            client,
            work,
            {**base, "teacher": f"vllm-server:{fake_url}"},
            args,
            "fake teacher",
            warmup_calls=4,
            start_timeout=60,
        )
        check_answers(info.pop("answers"))
        await check_tokens(client, work)
        results[f"(b) job, fake teacher {args.latency:g} s"] = times
        infos["b"] = info

        times, info = await with_job(
            client,
            work,
            {**base, "teacher": "hf:" + str(model_dir)},
            args,
            "hf teacher",
            warmup_calls=1,
            start_timeout=300,
        )
        check_answers(info.pop("answers"))
        await check_tokens(client, work)
        results["(c) job, hf: tiny model on CPU"] = times
        infos["c"] = info
        rss_after = rss_kib(pid)
        decode_s, size = decode_cost(client, symbols) if symbols is not None else (math.nan, 0)
        applied = client.applied_edits  # type: ignore[attr-defined]
    finally:
        await client.shutdown_session()
        await client.stop()  # type: ignore[no-untyped-call]
        assert fake.stdin is not None
        fake.stdin.close()
        fake.wait()
        shutil.rmtree(tmp, ignore_errors=True)

    print()
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, n={args.n} rounds, "
        f"keystroke every {args.edit_every}"
    )
    print("latency in ms (client round trip, one request in flight):")
    for row in table(results):
        print(row)
    print()
    print(
        f"cold start: median {fmt_ms(statistics.median(starts))} ms of {len(starts)} "
        f"(min {fmt_ms(min(starts))}, max {fmt_ms(max(starts))})"
    )
    print(
        f"idle memory: VmRSS {rss_open / 1024:.1f} MiB after opening the document "
        f"({rss_before / 1024:.1f} MiB before); {rss_after / 1024:.1f} MiB after the hf job (torch loaded)"
    )
    print(f"idle server CPU during (a): {infos['a']['server_cpu']:.2f} cores")
    for key in ("b", "c"):
        info = infos[key]
        print(
            f"({key}) {info['teacher_message']}; first calls done after {info['ready_s']:.1f} s; "
            f"measured for {info['window_s']:.1f} s, {info['calls_in_window']} teacher calls finished in it, "
            f"server CPU {info['server_cpu']:.2f} cores, "
            f"still running at the end: {info['still_running_at_end']}, "
            f"cancel → {info['cancel']}, job status {info['status']!r}, RSS {info['rss_mib']:.0f} MiB"
        )
    print(
        f"documentSymbol answer: {len(symbols or ())} top-level symbols, {size / 1e6:.2f} MB JSON; "
        f"client-side decode (pygls json.loads + structure) {fmt_ms(decode_s)} ms, best of 5"
    )
    costs = server_side_costs(text)
    print(
        "server-side pieces, in this process, best of several: "
        f"outline after a keystroke (edit + document_symbols) {fmt_ms(costs['symbols_after_edit'])} ms, "
        "semantic tokens after a keystroke (edit + document_tokens + delta) "
        f"{fmt_ms(costs['tokens_after_edit'])} ms, "
        f"pygls serialisation of the outline {fmt_ms(costs['symbols_serialise'])} ms, "
        f"full gc.collect() with the document alive {fmt_ms(costs['gc_full'])} ms, "
        f"existing_pairs() {fmt_ms(costs['existing_pairs'])} ms, "
        f"find_duplicates(1 pair vs {costs['known_pairs']:.0f} document pairs) "
        f"{fmt_ms(costs['dedup_one_pair'])} ms"
    )
    print(f"applyEdit requests received (should be 0): {applied}")
    worst = max(
        pct(s["warm"] + s["edit"], 0.99) for c, r in results.items() if c != "(a) idle" for s in r.values()
    )
    print(
        f"target p99 ≤ 50 ms during a job: worst p99 (all samples) {fmt_ms(worst)} ms → "
        f"{'met' if worst <= 0.05 else 'NOT met'}"
    )
    small = max(
        (
            pct(s["warm"] + s["edit"], 0.99)
            for c, r in results.items()
            if c != "(a) idle"
            for name, s in r.items()
            if name != "documentSymbol"
        ),
        default=math.nan,
    )
    print(
        f"  all but documentSymbol: worst p99 {fmt_ms(small)} ms → {'met' if small <= 0.05 else 'NOT met'}"
    )
    language = [
        (c, name, pct(s["warm"] + s["edit"], 0.99), pct(s["edit"], 0.99) if s["edit"] else math.nan)
        for c, r in results.items()
        for name, s in r.items()
        if name in ("completion", "completionProse", "semanticTokensDelta")
    ]
    if language:
        worst_language = max(p99 for _, _, p99, _ in language)
        print(
            "completion and semantic-tokens delta on the 1 MB document, every condition: worst p99 "
            f"{fmt_ms(worst_language)} ms (target ≤ 50 ms) → {'met' if worst_language <= 0.05 else 'NOT met'}"
        )
        for condition, name, p99, after_edit in language:
            print(f"  {condition} {name}: p99 {fmt_ms(p99)} ms, after a keystroke {fmt_ms(after_edit)} ms")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=200, help="rounds of all the requests")
    parser.add_argument("--edit-every", type=int, default=4, help="a keystroke before every k-th round")
    parser.add_argument("--bytes", type=int, default=1_000_000, help="document size")
    parser.add_argument("--latency", type=float, default=0.5, help="fake teacher latency per call (s)")
    parser.add_argument("--max-new-tokens", type=int, default=512, help="tokens per call for the hf teacher")
    parser.add_argument("--starts", type=int, default=5, help="cold starts (median)")
    parser.add_argument(
        "--keystrokes",
        type=int,
        default=400,
        help="keystroke + codeAction samples against upstream (0: skip)",
    )
    every = "hover,documentSymbol,codeAction,completion,completionProse,semanticTokensDelta"
    parser.add_argument("--requests", default=every, help=f"comma-separated subset of {every}")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # pytest-lsp's capability checks warn about the test profile
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
