"""Synthesis throughput: our CLI against upstream's, and on a corpus.

Run from the repository root:

    .venv/bin/python bench/bench_synth.py                 # every part
    .venv/bin/python bench/bench_synth.py --part startup  # (0) only
    .venv/bin/python bench/bench_synth.py --part single   # (1) only
    .venv/bin/python bench/bench_synth.py --part corpus   # (2) only

(1) One document of `--sections` prose sections (default 20) against a fake
OpenAI-compatible server on 127.0.0.1 (`tests/fakes/llm_server.py`) that answers
every generation after `--latency` seconds (default 0.3) and describes itself as
vLLM does (`owned_by: "vllm"` in its model list). Both tools run `synth
instructions --teacher vllm-server:URL --filter dedup-only --per-section 3
--dry-run` with default settings otherwise (ours adds `--no-cache`, so every call
reaches the server, and `--json -q`). Each round times both **cold** (a fresh
process: start-up and imports included) and **warm** (imports done before the clock
starts, as in the long-running language server); rounds alternate the tools so load
drift hits both alike. With `--unknown-server` the fake does not say what it is
(our defaults then start at 4 in flight and grow).

(0) `--part startup`: what a cold process imports and spends before its first request,
with `openai:` as the teacher (the fake behind `OPENAI_BASE_URL`): the CLI module alone,
a run whose replies all come from the reply cache (no request: the SDK must not be
imported), and the same run with the cache off (one request per call), each the median
of `--rounds` fresh processes, with `python -X importtime` telling whether `openai` was
imported.

(2) A corpus of `--docs` documents (default 50) × `--doc-sections` sections (10):
500 teacher calls against the fake with `--slots` parallel slots (64) and the same
latency, so its capacity is slots / latency calls per second. Our CLI runs the whole
directory once (`--apply`, default settings, a fresh reply cache): achieved
throughput is calls per second between the server's first request and its last
reply, against capacity; the process's wall time is reported too. Then a fresh copy
of the corpus is run and killed with SIGKILL once half of its calls have been
answered, and run again: the resumed run's requests are counted and checked against
the replies the first run had received (those in its reply cache), and every
document must end with each of its pairs exactly once.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dlm_synth_lsp.document import parse_text  # noqa: E402
from dlm_synth_lsp.synth.cache import cache_key  # noqa: E402
from dlm_synth_lsp.synth.teachers.base import Prompt, SamplingParams  # noqa: E402

from tests.fakes.llm_server import FakeLLMServer, fake_llm_server  # noqa: E402
from tests.fakes.teacher_replies import passage_reply  # noqa: E402

OURS = ROOT / ".venv" / "bin" / "dlm-synth-lsp"
UPSTREAM = ROOT / ".venv-oracle" / "bin" / "dlm"
OURS_PY = ROOT / ".venv" / "bin" / "python"
UPSTREAM_PY = ROOT / ".venv-oracle" / "bin" / "python"

# A warm process, as an editor's language server is: imports done before the clock
# starts (for us the command's module, the vllm-server: teacher and httpx2), then the
# same command line is run in-process and timed.
WARM = """
import sys, time
{imports}
argv = sys.argv[1:]
start = time.perf_counter()
try:
    {call}
except SystemExit:
    pass
print("ELAPSED", time.perf_counter() - start, file=sys.stderr)
"""
OURS_WARM = WARM.format(
    imports="import httpx2\nfrom dlm_synth_lsp.cli.main import main\n"
    "import dlm_synth_lsp.cli.instructions, dlm_synth_lsp.synth.teachers.server_teacher",
    call="main(argv)",
)
UPSTREAM_WARM = WARM.format(
    imports="from dlm.cli.app import main\nimport dlm.synth.run, dlm.synth.teachers, dlm.synth.filter",
    call="sys.argv = ['dlm', *argv]; main()",
)

TOPICS = [
    "cache blocking",
    "vector registers",
    "prefetching",
    "loop unrolling",
    "branch prediction",
    "memory bandwidth",
    "NUMA placement",
    "thread pinning",
    "false sharing",
    "TLB reach",
    "huge pages",
    "instruction latency",
    "FMA throughput",
    "roofline model",
    "panel packing",
    "micro-kernels",
    "alignment",
    "streaming stores",
    "register spills",
    "hyper-threading",
]


def document(sections: int, doc_index: int = 9) -> str:
    """`sections` prose sections; `doc_index` varies the id and the text, so every
    document of a corpus asks different prompts."""
    parts = [f"---\ndlm_id: 01KPQ9X10000000000000{doc_index:05d}\nbase_model: smollm2-135m\n---\n"]
    for i in range(sections):
        topic = TOPICS[(i + doc_index) % len(TOPICS)]
        if i:
            parts.append("::prose::\n")
        parts.append(
            f"# {topic.title()} ({doc_index}.{i + 1})\n\n"
            f"{topic.capitalize()} matters for dense kernels in part {doc_index}.{i + 1}. "
            f"Measured speedups from {topic} reach {10 + i + doc_index}% on test machine {doc_index}. "
            f"Profilers show where {topic} applies and where it does not help at all.\n\n"
        )
    return "".join(parts)


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} on {os.cpu_count()} cores"


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900, check=False)
    return time.perf_counter() - start, done


def timed_warm(python: Path, script: str, argv: list[str], env: dict[str, str]) -> float:
    done = subprocess.run(
        [str(python), "-c", script, *argv], capture_output=True, text=True, env=env, timeout=600, check=False
    )
    for line in done.stderr.splitlines():
        if line.startswith("ELAPSED "):
            return float(line.split()[1])
    sys.exit(f"warm run failed: {done.stderr[-2000:]}")


def _env(tmp: Path) -> dict[str, str]:
    return {**os.environ, "DLM_HOME": str(tmp / "home"), "DLM_SYNTH_CACHE_DIR": str(tmp / "cache")}


# -- (1) one document against upstream ----------------------------------------------------


def part_single(args: argparse.Namespace) -> None:
    owner = "fake" if args.unknown_server else "vllm"
    with (
        tempfile.TemporaryDirectory() as tmp,
        fake_llm_server(default_reply=passage_reply, owned_by=owner) as server,
    ):
        server.latency_s = args.latency
        path = Path(tmp) / "bench.dlm"
        path.write_text(document(args.sections), encoding="utf-8")
        env = _env(Path(tmp))
        common = [
            str(path),
            "--teacher",
            f"vllm-server:{server.url}",
            "--filter",
            "dedup-only",
            "--per-section",
            str(args.per_section),
            "--dry-run",
        ]
        ours_cmd = [str(OURS), "synth", "instructions", *common, "--no-cache", "--json", "-q"]
        if args.concurrency is not None:
            ours_cmd += ["--concurrency", str(args.concurrency)]
        upstream_cmd = [str(UPSTREAM), "synth", "instructions", *common]
        ours_t: list[float] = []
        up_t: list[float] = []
        ours_w: list[float] = []
        up_w: list[float] = []
        accepted = None
        print(f"(1) before: {load()}")
        for _ in range(args.rounds):
            seconds, done = timed(upstream_cmd, env)
            if done.returncode not in (0, 2):
                sys.exit(f"upstream failed ({done.returncode}): {done.stderr[-2000:]}")
            up_t.append(seconds)
            seconds, done = timed(ours_cmd, env)
            if done.returncode not in (0, 2):
                sys.exit(f"ours failed ({done.returncode}): {done.stderr[-2000:]}")
            ours_t.append(seconds)
            accepted = json.loads(done.stdout)["report"]["accepted"]
            up_w.append(timed_warm(UPSTREAM_PY, UPSTREAM_WARM, upstream_cmd[1:], env))
            ours_w.append(timed_warm(OURS_PY, OURS_WARM, ours_cmd[1:], env))
        calls = len(server.generation_requests()) // (4 * args.rounds)
        peak = server.peak_in_flight
    up, ours = statistics.median(up_t), statistics.median(ours_t)
    setting = "default settings" if args.concurrency is None else f"--concurrency {args.concurrency}"
    print(f"(1) after: {load()}")
    print(
        f"(1) {args.sections} prose sections, {args.latency * 1000:.0f} ms per teacher reply, "
        f"{calls} generation requests per run (each tool), {args.rounds} rounds, server says it is "
        f"{'an unknown OpenAI-compatible server' if args.unknown_server else 'vLLM'}; "
        f"most requests the server saw at once: {peak}"
    )
    up_runs = ", ".join(f"{t:.2f}" for t in up_t)
    print(f"    upstream dlm synth instructions: median {up:.2f} s  (runs: {up_runs})")
    runs = ", ".join(f"{t:.2f}" for t in ours_t)
    print(f"    dlm-synth-lsp ({setting}): median {ours:.2f} s  (runs: {runs}), {accepted} pairs accepted")
    print(f"    ratio, cold processes: {up / ours:.1f}x faster (target >= 6x)")
    up_m, ours_m = statistics.median(up_w), statistics.median(ours_w)
    print(
        f"    warm process (imports done): upstream median {up_m:.2f} s, ours median {ours_m:.2f} s, "
        f"ratio {up_m / ours_m:.1f}x"
    )


# -- (2) a corpus against a many-slot server -----------------------------------------------


def write_corpus(directory: Path, docs: int, sections: int) -> None:
    directory.mkdir(parents=True)
    for i in range(docs):
        (directory / f"doc{i:03d}.dlm").write_text(document(sections, i), encoding="utf-8")


def user_prompt(request: Any) -> tuple[str, str]:
    messages = request.json.get("messages", []) if isinstance(request.json, dict) else []
    system = next((m["content"] for m in messages if m.get("role") == "system"), "")
    user = next((m["content"] for m in messages if m.get("role") == "user"), "")
    return system, user


def corpus_cmd(directory: Path, server: FakeLLMServer) -> list[str]:
    return [
        str(OURS),
        "synth",
        "instructions",
        str(directory),
        "--teacher",
        f"vllm-server:{server.url}",
        "--filter",
        "dedup-only",
        "--apply",
        "--json",
        "-q",
    ]


def check_documents(directory: Path, sections: int, per_section: int) -> tuple[int, int]:
    """(documents with every pair exactly once, documents in all)."""
    good = 0
    files = sorted(directory.glob("*.dlm"))
    for path in files:
        doc = parse_text(path.read_text(encoding="utf-8"))
        pairs = [pair for pair, section in doc.instruction_pairs if section.auto_synth]
        if len(pairs) == len(set(pairs)) == sections * per_section:
            good += 1
    return good, len(files)


def part_corpus(args: argparse.Namespace) -> None:
    calls = args.docs * args.doc_sections
    capacity = args.slots / args.latency
    with (
        tempfile.TemporaryDirectory() as tmp_name,
        fake_llm_server(
            default_reply=passage_reply, owned_by="vllm", slots=args.slots, latency_s=args.latency
        ) as server,
    ):
        tmp = Path(tmp_name)
        print(f"(2) before: {load()}")
        # full run
        full = tmp / "full"
        write_corpus(full / "docs", args.docs, args.doc_sections)
        seconds, done = timed(corpus_cmd(full / "docs", server), _env(full))
        if done.returncode != 0:
            sys.exit(f"corpus run failed ({done.returncode}): {done.stderr[-3000:]}")
        totals = json.loads(done.stdout)["totals"]
        requests = server.generation_requests()
        first = min(r.received_at for r in requests)
        last_answer = max(r.answered_at for r in requests if r.answered_at is not None)
        window = last_answer - first
        good, files = check_documents(full / "docs", args.doc_sections, 3)
        print(f"(2) after the full run: {load()}")
        print(
            f"(2) {args.docs} documents / {calls} sections, {args.slots} slots × "
            f"{args.latency * 1000:.0f} ms: capacity {capacity:.1f} calls/s"
        )
        print(
            f"    full run: {len(requests)} requests, server window {window:.2f} s → "
            f"{len(requests) / window:.1f} calls/s = "
            f"{100 * len(requests) / window / capacity:.0f}% of capacity; "
            f"process wall {seconds:.2f} s "
            f"({calls / seconds:.1f} calls/s = {100 * calls / seconds / capacity:.0f}% incl. start-up); "
            f"most in flight at the server {server.peak_in_flight}; our limit {totals['concurrency']}; "
            f"{good}/{files} documents with all {args.doc_sections * 3} pairs exactly once"
        )
        before = len(requests)
        # killed at 50 %, then resumed
        killed = tmp / "killed"
        write_corpus(killed / "docs", args.docs, args.doc_sections)
        env = _env(killed)
        cmd = corpus_cmd(killed / "docs", server)
        process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        half = calls // 2
        if not server.wait_for(
            lambda s: sum(r.answered for r in s.generation_requests()[before:]) >= half, 300
        ):
            process.kill()
            sys.exit("the run to kill never reached half of its calls")
        process.send_signal(signal.SIGKILL)
        process.wait()
        run1 = server.generation_requests()[before:]
        answered = [r for r in run1 if r.answered]
        cache_dir = Path(env["DLM_SYNTH_CACHE_DIR"])
        cached = {p.stem for p in cache_dir.rglob("*.json")}
        written = sum(1 for p in (killed / "docs").glob("*.dlm") if "dlm-auto-synth" in p.read_text())
        mark = len(server.generation_requests())
        seconds2, done = timed(cmd, env)
        if done.returncode not in (0, 2):
            sys.exit(f"resumed run failed ({done.returncode}): {done.stderr[-3000:]}")
        run2 = server.generation_requests()[mark:]
        teacher = f"vllm-server:{server.url}"
        keys2 = {cache_key(teacher, "fake-model", Prompt(*user_prompt(r)), SamplingParams()) for r in run2}
        repeated_cached = len(keys2 & cached)
        answered_prompts = {user_prompt(r) for r in answered}
        in_transit = sum(1 for r in run2 if user_prompt(r) in answered_prompts)
        good, files = check_documents(killed / "docs", args.doc_sections, 3)
        print(f"(2) after the kill and resume: {load()}")
        print(
            f"    killed with SIGKILL after {len(answered)} of {calls} calls were answered by the server "
            f"({len(cached)} replies in the reply cache, {written} documents already written, "
            f"{sum(r.abandoned for r in run1)} requests abandoned in flight)"
        )
        print(
            f"    resumed run: {len(run2)} requests in {seconds2:.2f} s; {repeated_cached} of them repeat a "
            f"call whose reply the first run had received; {in_transit} repeat a call the server had "
            f"answered but whose reply was still in transit at the kill; {good}/{files} documents end "
            "with all their pairs exactly once"
        )


# -- (0) cold start -------------------------------------------------------------------


def _imports_openai(cmd: list[str], env: dict[str, str]) -> bool:
    done = subprocess.run(
        [str(OURS_PY), "-X", "importtime", "-m", "dlm_synth_lsp", *cmd[1:]],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    return any(line.rstrip().endswith("| openai") for line in done.stderr.splitlines())


def part_startup(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp, fake_llm_server(default_reply=passage_reply) as server:
        path = Path(tmp) / "bench.dlm"
        path.write_text(document(args.sections), encoding="utf-8")
        env = {**_env(Path(tmp)), "OPENAI_API_KEY": "sk-bench", "OPENAI_BASE_URL": server.openai_base_url}
        run = [str(OURS), "synth", "instructions", str(path), "--teacher", "openai:bench-model",
               "--filter", "dedup-only", "--dry-run", "-q", "--json"]  # fmt: skip
        timed(run, env)  # fills the reply cache
        rows = {
            "import the CLI only": [str(OURS_PY), "-c", "import dlm_synth_lsp.cli.main"],
            f"{args.sections} calls, all from the reply cache": run,
            f"{args.sections} calls, cache off (one request each)": [*run, "--no-cache"],
        }
        print(f"(0) before: {load()}")
        for label, cmd in rows.items():
            times = [timed(cmd, env)[0] for _ in range(args.rounds)]
            sdk = "" if cmd[0] == str(OURS_PY) else f"; openai imported: {_imports_openai(cmd, env)}"
            print(f"    {label}: median {statistics.median(times):.2f} s (runs: "
                  f"{', '.join(f'{t:.2f}' for t in times)}){sdk}")  # fmt: skip
        print(f"(0) after: {load()}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--part", choices=("startup", "single", "corpus", "all"), default="all")
    parser.add_argument("--sections", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--per-section", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--concurrency", type=int, default=None, help="ours: --concurrency (default: none given)"
    )
    parser.add_argument("--unknown-server", action="store_true", help="(1): the fake does not say it is vLLM")
    parser.add_argument("--docs", type=int, default=50)
    parser.add_argument("--doc-sections", type=int, default=10)
    parser.add_argument("--slots", type=int, default=64)
    args = parser.parse_args()
    if args.part in ("startup", "all"):
        part_startup(args)
    if args.part in ("single", "all"):
        part_single(args)
    if args.part in ("corpus", "all"):
        part_corpus(args)


if __name__ == "__main__":
    main()
