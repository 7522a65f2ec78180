"""End-to-end synthesis wall time: our CLI against upstream's `dlm synth instructions`.

Run from the repository root:  .venv/bin/python bench/bench_synth.py [--sections 20] [--latency 0.3]

Both command lines run as subprocesses, twice: cold (interpreter start-up and imports
included, as a CLI user experiences them) and warm (imports done before the clock
starts, as in the long-running language server) against the same fake OpenAI-compatible server on
127.0.0.1 that answers every generation after `--latency` seconds: upstream with
`--teacher vllm-server:URL --filter dedup-only --dry-run`, ours with the same flags
plus `--no-cache` (so every call really reaches the server). The runs alternate so
load drift affects both alike.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes.llm_server import fake_llm_server  # noqa: E402
from tests.fakes.teacher_replies import passage_reply  # noqa: E402

OURS = ROOT / ".venv" / "bin" / "dlm-synth-lsp"
UPSTREAM = ROOT / ".venv-oracle" / "bin" / "dlm"
OURS_PY = ROOT / ".venv" / "bin" / "python"
UPSTREAM_PY = ROOT / ".venv-oracle" / "bin" / "python"

# A warm process, as an editor's language server is: imports done before the clock
# starts (for us that includes the openai SDK, ~0.5 s of the cold start), then the
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
OURS_WARM = WARM.format(imports="import openai\nfrom dlm_synth_lsp.cli.main import main", call="main(argv)")
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


def document(sections: int) -> str:
    parts = ["---\ndlm_id: 01KPQ9X1000000000000000009\nbase_model: smollm2-135m\n---\n"]
    for i in range(sections):
        topic = TOPICS[i % len(TOPICS)]
        if i:
            parts.append("::prose::\n")
        parts.append(
            f"# {topic.title()} ({i + 1})\n\n"
            f"{topic.capitalize()} matters for dense kernels in section {i + 1}. "
            f"Measured speedups from {topic} reach {10 + i}% on the test machine. "
            f"Profilers show where {topic} applies and where it does not help at all.\n\n"
        )
    return "".join(parts)


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600, check=False)
    return time.perf_counter() - start, done


def timed_warm(python: Path, script: str, argv: list[str], env: dict[str, str]) -> float:
    done = subprocess.run(
        [str(python), "-c", script, *argv], capture_output=True, text=True, env=env, timeout=600, check=False
    )
    for line in done.stderr.splitlines():
        if line.startswith("ELAPSED "):
            return float(line.split()[1])
    sys.exit(f"warm run failed: {done.stderr[-2000:]}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sections", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--per-section", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=4, help="our requests in flight (default 4)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, fake_llm_server(default_reply=passage_reply) as server:
        server.latency_s = args.latency
        path = Path(tmp) / "bench.dlm"
        path.write_text(document(args.sections), encoding="utf-8")
        env = {**os.environ, "DLM_HOME": str(Path(tmp) / "home"), "DLM_SYNTH_CACHE_DIR": str(Path(tmp) / "c")}
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
        ours_cmd = [
            str(OURS),
            "synth",
            "instructions",
            *common,
            "--no-cache",
            "--json",
            "-q",
            "--concurrency",
            str(args.concurrency),
        ]
        upstream_cmd = [str(UPSTREAM), "synth", "instructions", *common]
        ours_t: list[float] = []
        up_t: list[float] = []
        ours_w: list[float] = []
        up_w: list[float] = []
        accepted = None
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
    up, ours = statistics.median(up_t), statistics.median(ours_t)
    print(
        f"{args.sections} prose sections, {args.latency * 1000:.0f} ms per teacher reply, "
        f"{calls} generation requests per run (each tool), {args.rounds} rounds"
    )
    print(
        f"upstream dlm synth instructions: median {up:.2f} s  (runs: {', '.join(f'{t:.2f}' for t in up_t)})"
    )
    runs = ", ".join(f"{t:.2f}" for t in ours_t)
    print(
        f"dlm-synth-lsp synth instructions (--concurrency {args.concurrency}): median {ours:.2f} s  "
        f"(runs: {runs}), {accepted} pairs accepted"
    )
    print(f"ratio, cold processes: {up / ours:.1f}x faster (target >= 4x)")
    up_m, ours_m = statistics.median(up_w), statistics.median(ours_w)
    print(
        f"warm process (imports done): upstream median {up_m:.2f} s, ours median {ours_m:.2f} s, "
        f"ratio {up_m / ours_m:.1f}x"
    )


if __name__ == "__main__":
    main()
