"""`generate`: run ours and upstream's synthesis on every corpus document against one GGUF
model served by llama.cpp, and keep everything (prompts, raw replies, pairs, timings).

Each (system, model, strategy, document) is one command-line run of the real tool:

- ours: `dlm-synth-lsp synth instructions DOC --teacher vllm-server:PROXY --filter none
  --per-section N --strategy S --json --dry-run --no-cache --concurrency 1`;
- upstream: `dlm synth instructions DOC --teacher vllm-server:PROXY --filter dedup-only
  --per-section N --strategy S` with `DLM_HOME` in a temporary directory; what it staged is
  read back from `pending.json` with our instruction parser.

Both reach the model through `proxy.RecordingProxy`, which keeps each call's raw reply.
The pairs of a call are what that system's own parser makes of the reply (ours:
`synth.replies.parse_reply`; upstream: its `json_list` parser, run in `.venv-oracle`), and
each pair is marked with what each of our filters would do with it (`mark_filters`): `none`
(accept what parses and survives sanitising), `dedup-only` (also not a near-duplicate of an
earlier pair of the same document run) and `grounded` (also passes
`synth.grounding.check_grounding`), both as the pipeline decides (a call's pairs in reply
order until its budget is accepted, extras standing in for rejected ones) and as the
filter's own verdict on each pair. Every valid pair is kept, beyond the budget too
(`within_budget: false`).

A document is written to the run file when all its calls are done, so an interrupted run
resumes at the first document without a `doc` record.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dlm_synth_lsp.document import parse_text
from dlm_synth_lsp.document.grammar import parse_instruction
from dlm_synth_lsp.document.sanitize import sanitize_pair
from dlm_synth_lsp.synth.dedup import DedupIndex
from dlm_synth_lsp.synth.grounding import SUPPORT_MARGIN, GroundingVerdict, check_grounding
from dlm_synth_lsp.synth.pipeline import Source, select_sources
from dlm_synth_lsp.synth.prompts import budget, build_prompt
from dlm_synth_lsp.synth.replies import ParsedReply, parse_reply

from .proxy import Exchange, RecordingProxy
from .records import append_jsonl, pair_id, read_jsonl, write_jsonl

ROOT = Path(__file__).resolve().parents[2]
OURS = ROOT / ".venv" / "bin" / "dlm-synth-lsp"
UPSTREAM_PY = ROOT / ".venv-oracle" / "bin" / "python"
UPSTREAM_PARSE = ROOT / "bench" / "upstream_oracle.py"
SYSTEMS = ("ours", "upstream")
#: ours through the embedded teacher, in-process (see `generate_embedded`)
EMBEDDED = "ours-embedded"
UPSTREAM_STOCK_TIMEOUT_S = 30.0

# upstream's request timeout is a dataclass default with no flag; the harness can raise it
UPSTREAM_MAIN = """
import sys
timeout = float(sys.argv[1])
if timeout > 0:
    import dlm.synth.teachers as teachers
    teachers.VllmServerTeacher.__init__.__defaults__ = (timeout,)
from dlm.cli.app import main
sys.argv = ["dlm", *sys.argv[2:]]
main()
"""


@dataclass(frozen=True)
class Settings:
    model: Path
    run_file: Path
    systems: Sequence[str]
    strategies: Sequence[str]
    per_section: int
    documents: Sequence[Path]
    threads: int = 1
    ctx: int = 4096
    upstream_timeout_s: float = 120.0
    ours_timeout_s: float = 600.0
    server_python: Path = ROOT / ".venv" / "bin" / "python"

    @property
    def model_name(self) -> str:
        return self.model.name.removesuffix(".gguf")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def is_ours(system: str) -> bool:
    """Our pipeline's records, whichever way the model was reached."""
    return system == "ours" or system.startswith("ours-")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_PROMPT_EVAL = re.compile(r"prompt eval time =\s*([\d.]+) ms /\s*(\d+) tokens")
_EVAL = re.compile(r"^\S+:\s+eval time =\s*([\d.]+) ms /\s*(\d+) runs", re.MULTILINE)


def llama_timings(log_text: str) -> list[dict[str, float]]:
    """llama.cpp's per-call performance lines, in order: prompt evaluation and generation
    time, so generation speed can be told apart from prompt processing (the proxy's wall
    time holds both)."""
    prompts = _PROMPT_EVAL.findall(log_text)
    evals = _EVAL.findall(log_text)
    return [
        {
            "prompt_eval_ms": float(pm),
            "prompt_eval_tokens": int(pt),
            "eval_ms": float(em),
            "eval_tokens": int(et),
        }
        for (pm, pt), (em, et) in zip(prompts, evals, strict=False)
    ]


@contextmanager
def llama_server(settings: Settings) -> Iterator[tuple[str, Path]]:
    """llama-cpp-python's OpenAI-compatible server for the model, on a free loopback
    port, in its own process group (stopped, with its children, on exit)."""
    port = free_port()
    cmd = [
        str(settings.server_python), "-m", "llama_cpp.server",
        "--model", str(settings.model), "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", str(settings.ctx), "--n_threads", str(settings.threads),
        "--n_threads_batch", str(settings.threads),
    ]  # fmt: skip
    logfile = Path(tempfile.gettempdir()) / f"bench-quality-llama-{port}.log"
    with logfile.open("w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"llama.cpp server exited with {proc.returncode}; see {logfile}")
            try:
                with urllib.request.urlopen(f"{url}/v1/models", timeout=5) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"llama.cpp server did not start in 300 s; see {logfile}")
            time.sleep(0.5)
        log(f"llama.cpp server for {settings.model.name} on {url} (pid {proc.pid}, log {logfile})")
        yield url, logfile
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log(f"llama.cpp server stopped (exit {proc.returncode})")


@dataclass(frozen=True)
class ExpectedCall:
    index: int
    source: Source
    strategy: str  # extraction | expansion
    n: int


def expected_calls(sources: Sequence[Source], strategy: str, per_section: int) -> list[ExpectedCall]:
    """The calls a run makes, in order (both tools: sources in document order, extraction
    before expansion; `both` splits the budget the same way, spec 5.2)."""
    calls: list[ExpectedCall] = []
    for source in sources:
        for call_strategy, n in budget(strategy, per_section):  # type: ignore[arg-type]
            calls.append(ExpectedCall(len(calls), source, call_strategy, n))
    return calls


def match_exchanges(
    system: str, calls: Sequence[ExpectedCall], exchanges: Sequence[Exchange]
) -> dict[int, list[Exchange]]:
    """Assigns each recorded exchange to its call (retries land on the same call): for
    ours the prompt must be exactly the one `build_prompt` makes for that call; for
    upstream (one strategy per run) the call's passage must be in the user message."""
    out: dict[int, list[Exchange]] = {}
    cursor = 0
    for exchange in exchanges:
        sys_msg, user = exchange.messages()
        for offset in range(len(calls)):
            call = calls[(cursor + offset) % len(calls)]
            if is_ours(system):
                prompt = build_prompt(call.strategy, call.n, call.source.text)  # type: ignore[arg-type]
                hit = (sys_msg, user) == (prompt.system, prompt.user)
            else:
                hit = call.source.text.strip() in user
            if hit:
                out.setdefault(call.index, []).append(exchange)
                cursor = call.index
                break
    return out


def upstream_parse(texts: Sequence[str]) -> list[dict[str, Any]]:
    if not texts:
        return []
    proc = subprocess.run(
        [str(UPSTREAM_PY), str(UPSTREAM_PARSE)],
        input=json.dumps(list(texts)), capture_output=True, text=True, check=True,
    )  # fmt: skip
    result: list[dict[str, Any]] = json.loads(proc.stdout)
    return result


def run_ours(settings: Settings, doc: Path, strategy: str, url: str, home: Path) -> tuple[int, str, str]:
    cmd = [
        str(OURS), "synth", "instructions", str(doc), "--teacher", f"vllm-server:{url}",
        "--filter", "none", "--per-section", str(settings.per_section), "--strategy", strategy,
        "--json", "--dry-run", "--no-cache", "--concurrency", "1",
        "--timeout", str(settings.ours_timeout_s), "-q", "--home", str(home),
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True)
    return proc.returncode, proc.stdout, proc.stderr


def run_upstream(settings: Settings, doc: Path, strategy: str, url: str, home: Path) -> tuple[int, str, str]:
    args = [
        "synth", "instructions", str(doc), "--teacher", f"vllm-server:{url}",
        "--filter", "dedup-only", "--per-section", str(settings.per_section), "--strategy", strategy,
    ]  # fmt: skip
    env = dict(os.environ, DLM_HOME=str(home), NO_COLOR="1", COLUMNS="200")
    proc = subprocess.run(
        [str(UPSTREAM_PY), "-c", UPSTREAM_MAIN, str(settings.upstream_timeout_s), *args],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    return proc.returncode, proc.stdout, proc.stderr


def upstream_staged(home: Path) -> list[tuple[str, str, str]]:
    """(source section id, question, answer) of every pair upstream staged, read with our
    instruction parser."""
    staged: list[tuple[str, str, str]] = []
    for path in home.glob("store/*/synth/pending.json"):
        payload = json.loads(path.read_text(encoding="utf-8"))
        for section in payload.get("sections", []):
            items, _ = parse_instruction(section["content"])
            staged.extend((str(section.get("source_section_id")), *item.fields[:2]) for item in items)
    return staged


def _norm(text: str) -> str:
    return " ".join(text.split())


def upstream_dedupe(pairs: Sequence[tuple[str, str]]) -> list[bool]:
    """Which pairs survive upstream's own dedup (`dlm.synth.filter._dedupe`, run in
    `.venv-oracle`), in order."""
    if not pairs:
        return []
    proc = subprocess.run(
        [str(UPSTREAM_PY), str(UPSTREAM_PARSE), "dedupe"],
        input=json.dumps([list(p) for p in pairs]), capture_output=True, text=True, check=True,
    )  # fmt: skip
    kept = set(json.loads(proc.stdout))
    return [i in kept for i in range(len(pairs))]


FILTER_NAMES = ("none", "dedup-only", "grounded", "grounded+check")
#: `grounded` as the pipeline runs it with the local teacher: the model-free checks,
#: then the loaded model asked whether the passage supports the pair (its yes−no margin,
#: recorded on each pair by `support`, against the pipeline's own threshold)
CHECKED = "grounded+check"


def _supported(pair: dict[str, Any]) -> bool | None:
    """The check's verdict; True where the pipeline does not check this strategy, None
    where it does but no margin was recorded."""
    needed = SUPPORT_MARGIN[pair["call_strategy"]]
    if needed is None:
        return True
    margin = pair.get("support_margin")
    return None if margin is None else float(margin) >= needed


def _grounding(pair: dict[str, Any]) -> GroundingVerdict:
    """The pipeline's grounding verdict on a pair record (with the item's quote, when the
    reply had one)."""
    return check_grounding(
        pair["question"], pair["answer"], pair["source_text"], pair["call_strategy"], quote=pair.get("quote")
    )


def _accept_walk(pairs: list[dict[str, Any]], filter_name: str) -> list[bool]:
    """What the pipeline with `filter_name` accepts, pair by pair: each call's valid pairs
    in reply order until its budget `n` is accepted, so a pair beyond the budget stands in
    for an earlier one the filter rejected (`pipeline._Run._filter`); dedup compares with
    the pairs of the same document run checked so far."""
    dedup = DedupIndex()
    accepted_in_call: Counter[int] = Counter()
    decisions: list[bool] = []
    for pair in pairs:
        call = int(pair["call_index"])
        if accepted_in_call[call] >= int(pair["n"]):
            decisions.append(False)
            continue
        clean = sanitize_pair(pair["question"], pair["answer"])
        ok = clean is not None
        if ok and filter_name != "none":
            ok = dedup.check(*clean) is None  # type: ignore[misc]
        if ok and filter_name in ("grounded", CHECKED):
            ok = _grounding(pair).ok
        if ok and filter_name == CHECKED:
            ok = bool(_supported(pair))
        accepted_in_call[call] += ok
        decisions.append(ok)
    return decisions


def mark_filters(pairs: list[dict[str, Any]]) -> None:
    """Sets, on one document run's pair records (in generation order):

    - `accepted`: for each filter (none, dedup-only, grounded), whether the pipeline
      would accept the pair (budget-aware, extras standing in; see `_accept_walk`);
    - `verdicts`: for each filter, whether the pair passes that filter's checks on its
      own (sanitising, dedup against every earlier pair of the run, grounding), budget
      aside: what a filter's precision and recall are computed from;
    - `dedup`, `grounding` (the verdict's score and reason), `sanitized_changed`;
    - for upstream's pairs, `upstream_staged`: what upstream itself keeps (the first n of
      each reply, then its own dedup, run in `.venv-oracle`).

    Re-run by `refilter` when a filter changes."""
    # grounded+check where the pipeline checks (a strategy with a threshold) and every
    # pair has its margin; elsewhere it would only repeat grounded, or guess
    checked = any(SUPPORT_MARGIN[p["call_strategy"]] is not None for p in pairs)
    complete = all(_supported(p) is not None for p in pairs)
    names = [n for n in FILTER_NAMES if n != CHECKED or (checked and complete)]
    walks = {name: _accept_walk(pairs, name) for name in names}
    dedup = DedupIndex()
    for i, pair in enumerate(pairs):
        question, answer = pair["question"], pair["answer"]
        clean = sanitize_pair(question, answer)
        verdict = _grounding(pair)
        hit = dedup.check(*clean) if clean is not None else None
        pair["sanitized_changed"] = clean is not None and clean != (question, answer)
        pair["dedup"] = None if hit is None else f"{hit.kind} {hit.index}: {hit.reason}"
        pair["grounding"] = {"ok": verdict.ok, "score": round(verdict.score, 3), "reason": verdict.reason}
        unique = clean is not None and hit is None
        pair["verdicts"] = {
            "none": clean is not None,
            "dedup-only": unique,
            "grounded": unique and verdict.ok,
        }
        if CHECKED in walks:
            pair["verdicts"][CHECKED] = unique and verdict.ok and bool(_supported(pair))
        pair["accepted"] = {name: walks[name][i] for name in walks}
        pair.pop("filters", None)  # the name used before extras could stand in
        pair["upstream_staged"] = None
    upstream = [p for p in pairs if p["system"] == "upstream" and p["within_budget"]]
    for pair, kept in zip(
        upstream, upstream_dedupe([(p["question"], p["answer"]) for p in upstream]), strict=True
    ):
        pair["upstream_staged"] = kept
    for pair in pairs:
        if pair["system"] == "upstream" and not pair["within_budget"]:
            pair["upstream_staged"] = False


def check_staged(pairs: list[dict[str, Any]], doc: dict[str, Any]) -> None:
    """Cross-checks the pairs marked as staged with what upstream really staged (read
    back from its pending.json, compared with whitespace collapsed, as a multiset)."""
    staged = Counter((sid, _norm(q), _norm(a)) for sid, q, a in doc.get("upstream_staged_pairs", []))
    marked = Counter(
        (p["section_id"], _norm(p["question"]), _norm(p["answer"])) for p in pairs if p.get("upstream_staged")
    )
    doc["upstream_staged_matched"] = sum((staged & marked).values())
    doc["upstream_staged_agrees"] = staged == marked


def _ours_view(parsed: ParsedReply) -> dict[str, Any]:
    return {
        "error": parsed.error,
        "valid": len(parsed.pairs),
        "rejected": [r.reason for r in parsed.rejected],
    }


def refilter(run_file: Path) -> list[str]:
    """Recomputes every pair's filter decisions in a run file (after a filter changed,
    or for a run made by an older version of this script) without asking the model
    again; returns the problems found when comparing with what upstream staged. Each
    call also gets `ours_parse_now`: how today's reply parser reads the stored reply
    (the pairs themselves stay those the tool produced at the time)."""
    records = list(read_jsonl(run_file))
    groups: dict[tuple[str, str, str, str], list[dict[str, Any]]] = {}
    docs: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    budgets: dict[tuple[Any, ...], int] = {}
    for record in records:
        key = (record.get("system"), record.get("model"), record.get("strategy"), record.get("document"))
        if record.get("kind") == "pair":
            groups.setdefault(key, []).append(record)  # type: ignore[arg-type]
        elif record.get("kind") == "doc":
            docs[key] = record  # type: ignore[index]
        elif record.get("kind") == "call":
            budgets[(*key, record["call_index"])] = int(record["n"])
    problems: list[str] = []
    for key, pairs in groups.items():
        for pair in pairs:
            pair["n"] = budgets[(*key, pair["call_index"])]
        mark_filters(pairs)
    stored: dict[tuple[Any, ...], list[tuple[str, str]]] = {}
    for key, pairs in groups.items():
        for pair in pairs:
            stored.setdefault((*key, pair["call_index"]), []).append((pair["question"], pair["answer"]))
    for record in records:
        if record.get("kind") == "call" and record.get("raw_reply") is not None:
            key = (
                record["system"],
                record["model"],
                record["strategy"],
                record["document"],
                record["call_index"],
            )
            now = parse_reply(record["raw_reply"])
            record["ours_parse_now"] = _ours_view(now)
            if is_ours(record["system"]) and not record.get("client_gone"):
                record["ours_parse_now"]["same_pairs"] = now.pairs == stored.get(key, [])
        doc = docs.get(key)
        if doc is None or key[0] != "upstream":
            continue
        if "upstream_staged_pairs" in doc:
            check_staged(pairs, doc)
            agrees = doc["upstream_staged_agrees"]
        else:  # older runs kept only the count
            agrees = doc["upstream_staged"] == sum(1 for p in pairs if p["upstream_staged"])
            doc["upstream_staged_matched"] = None
            doc["upstream_staged_agrees"] = agrees
        if not agrees:
            problems.append(f"{'/'.join(key)}: upstream staged {doc['upstream_staged']}, its dedup keeps "
                            f"{sum(1 for p in pairs if p['upstream_staged'])}")  # fmt: skip
    write_jsonl(run_file, records)
    return problems


def done_documents(run_file: Path) -> set[tuple[str, str, str, str]]:
    return {
        (r["system"], r["model"], r["strategy"], r["document"])
        for r in read_jsonl(run_file)
        if r.get("kind") == "doc"
    }


def _call_record(
    base: dict[str, Any], call: ExpectedCall, attempts: list[Exchange], parsed_ours: Any, parsed_up: Any
) -> dict[str, Any]:
    last = attempts[-1] if attempts else None
    system_prompt, user_prompt = last.messages() if last else ("", "")
    usage = last.usage if last else {}
    return {
        **base,
        "kind": "call",
        "call_index": call.index,
        "call_strategy": call.strategy,
        "section_id": call.source.section_id,
        "section_title": call.source.title,
        "n": call.n,
        "attempts": len(attempts),
        "system_prompt": system_prompt,
        "user_prompt": user_prompt,
        "raw_reply": last.reply_text if last else None,
        "http_status": last.status if last else None,
        "finish_reason": last.finish_reason if last else None,
        "client_gone": bool(last and last.client_gone),
        "error": None if last else "not run (the tool stopped before this call)",
        "prompt_tokens": usage.get("prompt_tokens"),
        "completion_tokens": usage.get("completion_tokens"),
        "wall_s": round(last.wall_s, 3) if last else None,
        "llama_timings": last.timings if last else None,
        "started": last.started if last else None,
        "ours_parse": parsed_ours,
        "upstream_parse": parsed_up,
    }


def build_records(
    settings: Settings,
    system: str,
    strategy: str,
    doc: Path,
    exchanges: list[Exchange],
    result: tuple[int, str, str],
    wall_s: float,
    staged: list[tuple[str, str, str]] | None,
) -> list[dict[str, Any]]:
    text = doc.read_text(encoding="utf-8")
    sources = select_sources(parse_text(text))
    calls = expected_calls(sources, strategy, settings.per_section)
    matched = match_exchanges(system, calls, exchanges)
    base = {
        "run": settings.run_file.stem,
        "system": system,
        "model": settings.model_name,
        "strategy": strategy,
        "per_section": settings.per_section,
        "document": doc.stem,
    }
    replies = {i: ex[-1].reply_text for i, ex in matched.items() if ex and ex[-1].reply_text is not None}
    up_parsed = dict(zip(replies, upstream_parse(list(replies.values())), strict=True))
    records: list[dict[str, Any]] = []
    # (call, item index, question, answer, within budget, reply, quote) in generation order
    generated: list[tuple[ExpectedCall, int, str, str, bool, str, str | None]] = []
    for call in calls:
        attempts = matched.get(call.index, [])
        reply = replies.get(call.index)
        ours_view: dict[str, Any] | None = None
        up_view: dict[str, Any] | None = None
        pairs: list[tuple[str, str]] = []
        quotes: list[str | None] = []
        if reply is not None:
            ours = parse_reply(reply)
            ours_view = _ours_view(ours)
            up = up_parsed[call.index]
            up_view = {"ok": up["ok"], "error": up["error"], "valid": len(up["pairs"])}
            gave_up = attempts[-1].client_gone  # the tool timed out before the reply came
            if not gave_up:
                pairs = ours.pairs if is_ours(system) else [tuple(p) for p in up["pairs"]]  # type: ignore[misc]
                quotes = ours.quotes if is_ours(system) else [None] * len(pairs)
        records.append(_call_record(base, call, attempts, ours_view, up_view))
        for item, ((question, answer), quote) in enumerate(zip(pairs, quotes, strict=True)):
            generated.append((call, item, question, answer, item < call.n, reply or "", quote))
    pair_records = [
        {
            **base,
            "kind": "pair",
            "id": pair_id(call.source.text, question, answer),
            "call_index": call.index,
            "call_strategy": call.strategy,
            "section_id": call.source.section_id,
            "source_text": call.source.text,
            "item_index": item,
            "n": call.n,
            "question": question,
            "answer": answer,
            "within_budget": within,
            "raw_reply": reply,
            "quote": quote,
        }
        for call, item, question, answer, within, reply, quote in generated
    ]
    mark_filters(pair_records)
    records.extend(pair_records)
    code, stdout, stderr = result
    doc_record: dict[str, Any] = {
        **base,
        "kind": "doc",
        "exit_code": code,
        "wall_s": round(wall_s, 3),
        "calls_expected": len(calls),
        "calls_recorded": sum(1 for c in calls if c.index in replies),
        "stderr_tail": stderr[-2000:],
    }
    if system == EMBEDDED:
        doc_record["cli_status"] = "in-process (no CLI run)"
    elif is_ours(system):
        try:
            cli = json.loads(stdout)
            accepted = [(p["question"], p["answer"]) for p in cli.get("accepted", [])]
            expected = [
                sanitize_pair(p["question"], p["answer"]) for p in pair_records if p["accepted"]["none"]
            ]
            doc_record["cli_status"] = cli.get("status")
            doc_record["cli_accepted"] = len(accepted)
            doc_record["cli_matches_records"] = accepted == expected
        except json.JSONDecodeError:
            doc_record["cli_status"] = "no JSON on stdout"
    else:
        doc_record["upstream_staged"] = len(staged or [])
        doc_record["upstream_staged_pairs"] = staged or []
        check_staged(pair_records, doc_record)
    records.append(doc_record)
    return records


def _backup(settings: Settings, exchanges: list[Exchange]) -> None:
    """Raw exchanges also go to a file in the temp directory first, so a bug in turning
    them into records never costs the generation time."""
    path = Path(tempfile.gettempdir()) / f"bench-quality-{settings.run_file.stem}-exchanges.jsonl"
    append_jsonl(path, (vars(ex) for ex in exchanges))


def pending(settings: Settings) -> list[tuple[Path, str, str]]:
    """(document, system, strategy) runs not yet in the run file, in run order."""
    done = done_documents(settings.run_file)
    todo = [
        (doc, system, strategy)
        for doc in settings.documents
        for system in settings.systems
        for strategy in settings.strategies
        if (system, settings.model_name, strategy, doc.stem) not in done
    ]
    log(f"{len(todo)} document run(s) to do, {len(done)} already in {settings.run_file}")
    return todo


def generate(settings: Settings) -> None:
    todo = pending(settings)
    if not todo:
        return
    with llama_server(settings) as (server_url, server_log), RecordingProxy(server_url).running() as proxy:
        log_offset = server_log.stat().st_size
        for number, (doc, system, strategy) in enumerate(todo, 1):
            proxy.tag = {"system": system, "strategy": strategy, "document": doc.stem}
            proxy.take()
            home = Path(tempfile.mkdtemp(prefix="bench-quality-home-"))
            try:
                started = time.perf_counter()
                runner = run_ours if system == "ours" else run_upstream
                result = runner(settings, doc, strategy, proxy.url, home)
                wall = time.perf_counter() - started
                staged = upstream_staged(home) if system == "upstream" else None
            finally:
                exchanges = proxy.take()
                with server_log.open(encoding="utf-8", errors="replace") as fh:
                    fh.seek(log_offset)
                    timings = llama_timings(fh.read())
                    log_offset = fh.tell()
                # a refused request (e.g. HTTP 500 for an unsupported response_format)
                # generates nothing and logs no timing line
                generated = [ex for ex in exchanges if ex.status == 200 and ex.reply_text is not None]
                if len(timings) == len(generated):
                    for exchange, timing in zip(generated, timings, strict=True):
                        exchange.timings = timing
                else:
                    log(f"  {len(timings)} timing lines for {len(generated)} replies: timings not recorded")
                _backup(settings, exchanges)
            try:
                records = build_records(settings, system, strategy, doc, exchanges, result, wall, staged)
            finally:
                shutil.rmtree(home, ignore_errors=True)
            append_jsonl(settings.run_file, records)
            calls = [r for r in records if r["kind"] == "call"]
            pairs = [r for r in records if r["kind"] == "pair"]
            log(
                f"[{number}/{len(todo)}] {system} {strategy} {doc.stem}: exit {result[0]}, "
                f"{len(calls)} call(s), {len(pairs)} pair(s), {wall:.0f} s"
            )


def generate_embedded(settings: Settings) -> None:
    """Our prompts through the embedded teacher as users get it: `local:<gguf>` loaded
    in-process by the product's own `GgufTeacher` (the reply schema as a llama.cpp
    grammar, the CLI's default sampling: greedy, 512 new tokens), one call at a time.
    Each call becomes an `Exchange`, so the records are built exactly as for a run
    through a server; there is no CLI run, so the document's exit code is the calls'."""
    import asyncio

    from dlm_synth_lsp.synth.cancel import CancelToken
    from dlm_synth_lsp.synth.local.gguf_teacher import GgufTeacher
    from dlm_synth_lsp.synth.teachers.base import Prompt, SamplingParams, TeacherOptions

    todo = pending(settings)  # settings.systems is [EMBEDDED]: it runs on its own
    if not todo:
        return
    options = TeacherOptions(timeout_s=settings.ours_timeout_s, threads=settings.threads)
    teacher = GgufTeacher(str(settings.model), options)
    params = SamplingParams()

    async def ask(prompt: Prompt, tag: dict[str, Any]) -> Exchange:
        messages = [{"role": "system", "content": prompt.system}, {"role": "user", "content": prompt.user}]
        started, clock = time.time(), time.perf_counter()
        try:
            completion = await teacher.complete(prompt, params, CancelToken())
        except Exception as exc:  # recorded as a failed call, like a server's error answer
            return Exchange(tag, {"messages": messages}, 500, None, time.perf_counter() - clock, started,
                            error=f"{type(exc).__name__}: {exc}")  # fmt: skip
        usage = completion.usage
        response = {
            "choices": [{"message": {"content": completion.text}, "finish_reason": None}],
            "usage": {"prompt_tokens": usage.input_tokens, "completion_tokens": usage.output_tokens},
        }
        return Exchange(tag, {"messages": messages}, 200, response, time.perf_counter() - clock, started)

    async def run() -> None:
        for number, (doc, _, strategy) in enumerate(todo, 1):
            tag = {"system": EMBEDDED, "strategy": strategy, "document": doc.stem}
            sources = select_sources(parse_text(doc.read_text(encoding="utf-8")))
            calls = expected_calls(sources, strategy, settings.per_section)
            clock = time.perf_counter()
            exchanges = [
                await ask(build_prompt(call.strategy, call.n, call.source.text), tag)  # type: ignore[arg-type]
                for call in calls
            ]
            wall = time.perf_counter() - clock
            _backup(settings, exchanges)
            failed = sum(1 for ex in exchanges if ex.status != 200)
            result = (1 if failed else 0, "", "\n".join(ex.error or "" for ex in exchanges if ex.error))
            records = build_records(settings, EMBEDDED, strategy, doc, exchanges, result, wall, None)
            append_jsonl(settings.run_file, records)
            pairs = sum(1 for r in records if r["kind"] == "pair")
            log(f"[{number}/{len(todo)}] {EMBEDDED} {strategy} {doc.stem}: {len(calls)} call(s), "
                f"{failed} failed, {pairs} pair(s), {wall:.0f} s")  # fmt: skip
        await teacher.aclose()

    asyncio.run(run())
