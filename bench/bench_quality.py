"""Quality benchmark: are the pairs a real local model writes from real prose any good, and do
our filters keep the good ones and drop the bad ones? Ours and upstream's, side by side.

Run from the repository root with the project's virtual environment:

    .venv/bin/python bench/bench_quality.py generate --name NAME --model M.gguf
        [--systems ours,upstream] [--strategies extraction,expansion] [--per-section 3]
        [--docs a,b] [--threads 1] [--upstream-timeout 120]
    .venv/bin/python bench/bench_quality.py queue [--out bench/quality/queue-1.jsonl] [--seed 15]
    .venv/bin/python bench/bench_quality.py label --labeller NAME [--queue bench/quality/queue-1.jsonl]
    .venv/bin/python bench/bench_quality.py report [--runs bench/quality/runs/*.jsonl]
        [--labels bench/quality/labels.jsonl] [--markdown]
    .venv/bin/python bench/bench_quality.py modes [--runs ...] [--examples]
    .venv/bin/python bench/bench_quality.py refilter [NAME...]   # after a filter changed
    .venv/bin/python bench/bench_quality.py support NAME... [--labelled-only] [--checked-only]
    .venv/bin/python bench/bench_quality.py probes [--runs NAME...] [--roundtrip M.gguf]

`generate --systems ours-embedded` asks the embedded teacher in-process (the default
configuration) and needs only the offline extra. Otherwise `generate` needs
`llama-cpp-python[server]` in `.venv` and upstream in `.venv-oracle`
(`scripts/setup --oracle`); it serves the GGUF with llama.cpp on a free loopback port,
runs both tools per document through a recording proxy and appends everything to
`bench/quality/runs/NAME.jsonl` (resumable: documents already there are skipped).
`queue` writes every pair without a label to a blinded file for labellers (shuffled with a
fixed seed; only id, passage, question and answer). `report` joins the runs with the
labels. Rubric: `bench/quality/RUBRIC.md`; what the runs showed: `bench/quality/NOTES.md`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.quality.records import CORPUS, LABELS, RUNS  # noqa: E402


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def cmd_generate(args: argparse.Namespace) -> int:
    from bench.quality.generate import EMBEDDED, SYSTEMS, Settings, generate, generate_embedded

    docs = sorted(CORPUS.glob("*.dlm"))
    if args.docs:
        wanted = set(_csv(args.docs))
        docs = [d for d in docs if d.stem in wanted]
        missing = wanted - {d.stem for d in docs}
        if missing:
            print(f"no corpus document named {', '.join(sorted(missing))}", file=sys.stderr)
            return 2
    systems = _csv(args.systems)
    if not set(systems) <= {*SYSTEMS, EMBEDDED}:
        print(f"--systems must be among {', '.join((*SYSTEMS, EMBEDDED))}", file=sys.stderr)
        return 2
    if EMBEDDED in systems and len(systems) > 1:
        print(f"{EMBEDDED} runs on its own (no server): one system per run", file=sys.stderr)
        return 2
    strategies = _csv(args.strategies)
    if not set(strategies) <= {"extraction", "expansion", "both"}:
        print("--strategies must be among extraction, expansion, both", file=sys.stderr)
        return 2
    if "upstream" in systems and "both" in strategies:
        print("note: upstream runs `both` too (its own budget split)", file=sys.stderr)
    model = Path(args.model).resolve()
    if not model.is_file():
        print(f"no model file {model}", file=sys.stderr)
        return 2
    settings = Settings(
        model=model,
        run_file=RUNS / f"{args.name}.jsonl",
        systems=systems,
        strategies=strategies,
        per_section=args.per_section,
        documents=docs,
        threads=args.threads,
        ctx=args.ctx,
        upstream_timeout_s=args.upstream_timeout,
    )
    (generate_embedded if EMBEDDED in systems else generate)(settings)
    return 0


def cmd_queue(args: argparse.Namespace) -> int:
    from bench.quality.labelling import write_queue

    runs = [Path(p) for p in args.runs] if args.runs else sorted(RUNS.glob("*.jsonl"))
    count = write_queue(runs, Path(args.labels), Path(args.out), seed=args.seed)
    print(f"{count} unlabelled pair(s) written to {args.out}")
    return 0


def cmd_label(args: argparse.Namespace) -> int:
    from bench.quality.labelling import label_interactively

    written = label_interactively(Path(args.queue), Path(args.labels), args.labeller)
    print(f"\n{written} label(s) appended to {args.labels}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from bench.quality.report import print_report

    runs = [Path(p) for p in args.runs] if args.runs else sorted(RUNS.glob("*.jsonl"))
    print_report(runs, Path(args.labels), markdown=args.markdown)
    return 0


def cmd_modes(args: argparse.Namespace) -> int:
    from bench.quality.modes import count_modes, modes_table
    from bench.quality.records import load_runs

    runs = [Path(p) for p in args.runs] if args.runs else sorted(RUNS.glob("*.jsonl"))
    groups = count_modes(load_runs(runs))
    print(modes_table(groups))
    if args.examples:
        for (system, model, strategy), counts in groups.items():
            print(f"\n{system} · {model} · {strategy}")
            for mode, where in counts.examples.items():
                print(f"  {mode}: {', '.join(where)}")
    return 0


def cmd_timings(args: argparse.Namespace) -> int:
    """For a run made before timings were recorded: attach llama.cpp's per-call timings
    from the server's log, in order, checking each call's token count."""
    from bench.quality.generate import llama_timings
    from bench.quality.records import read_jsonl, write_jsonl

    path = RUNS / f"{args.name}.jsonl"
    records = list(read_jsonl(path))
    calls = [r for r in records if r.get("kind") == "call" and r.get("raw_reply") is not None]
    timings = llama_timings(Path(args.log).read_text(encoding="utf-8", errors="replace"))
    if len(timings) != len(calls):
        print(f"{len(timings)} timing lines for {len(calls)} calls: not attached", file=sys.stderr)
        return 1
    for call, timing in zip(calls, timings, strict=True):
        if call.get("completion_tokens") not in (timing["eval_tokens"], None):
            print(
                f"token counts differ at {call['document']}#{call['call_index']}: not attached",
                file=sys.stderr,
            )
            return 1
        call["llama_timings"] = timing
    write_jsonl(path, records)
    print(f"attached timings to {len(calls)} call(s) in {path}")
    return 0


def cmd_refilter(args: argparse.Namespace) -> int:
    from bench.quality.generate import refilter

    runs = [RUNS / f"{name}.jsonl" for name in args.names] if args.names else sorted(RUNS.glob("*.jsonl"))
    bad = 0
    for run in runs:
        problems = refilter(run)
        for problem in problems:
            print(problem, file=sys.stderr)
        bad += len(problems)
        print(f"{run}: filters recomputed" + (f", {len(problems)} disagreement(s)" if problems else ""))
    return 1 if bad else 0


def cmd_probes(args: argparse.Namespace) -> int:
    from bench.quality.probes import extraction_pairs, probe_table, reanswer
    from bench.quality.records import load_labels, load_runs

    names = args.runs or sorted(p.stem for p in RUNS.glob("qwen2.5-coder-1.5b*.jsonl"))
    pairs = extraction_pairs(
        load_runs(RUNS / f"{name}.jsonl" for name in names), load_labels(Path(args.labels))
    )
    if args.roundtrip:
        asked = reanswer([pair for pair, _ in pairs], Path(args.roundtrip), args.threads)
        print(f"roundtrip: {asked} question(s) asked")
    print(
        f"{len(pairs)} labelled extraction pairs grounded's model-free checks accept ({', '.join(names)})"
    )
    print(probe_table(pairs))
    return 0


def cmd_support(args: argparse.Namespace) -> int:
    from bench.quality.records import load_labels
    from bench.quality.support import support

    only = set(load_labels(Path(args.labels))) if args.labelled_only else None
    for name in args.names:
        count = support(RUNS / f"{name}.jsonl", args.teacher, args.threads, only, args.checked_only)
        print(f"{name}: {count} support margin(s) computed")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="run both tools on the corpus against one GGUF model")
    gen.add_argument("--name", required=True, help="run file name (bench/quality/runs/NAME.jsonl)")
    gen.add_argument("--model", required=True, help="path of the GGUF file")
    gen.add_argument(
        "--systems",
        default="ours,upstream",
        help="ours, upstream (both through llama.cpp's server), or ours-embedded alone (in-process)",
    )
    gen.add_argument("--strategies", default="extraction,expansion")
    gen.add_argument("--per-section", type=int, default=3)
    gen.add_argument("--docs", default="", help="only these corpus documents (stems, comma-separated)")
    gen.add_argument("--threads", type=int, default=1, help="llama.cpp threads (default 1)")
    gen.add_argument("--ctx", type=int, default=4096)
    gen.add_argument(
        "--upstream-timeout",
        type=float,
        default=120.0,
        help="upstream's per-request timeout in s (its stock 30 s has no flag; 0 keeps it)",
    )
    gen.set_defaults(func=cmd_generate)

    queue = sub.add_parser("queue", help="write the blinded labelling queue")
    queue.add_argument("--runs", nargs="*")
    queue.add_argument("--labels", default=str(LABELS))
    queue.add_argument("--out", default=str(ROOT / "bench" / "quality" / "queue-1.jsonl"))
    queue.add_argument("--seed", type=int, default=15)
    queue.set_defaults(func=cmd_queue)

    lab = sub.add_parser("label", help="label queued pairs in the terminal (appends to labels.jsonl)")
    lab.add_argument("--queue", default=str(ROOT / "bench" / "quality" / "queue-1.jsonl"))
    lab.add_argument("--labels", default=str(LABELS))
    lab.add_argument("--labeller", required=True, help="your name, stored with each label")
    lab.set_defaults(func=cmd_label)

    report = sub.add_parser("report", help="metrics per system x model x strategy")
    report.add_argument("--runs", nargs="*")
    report.add_argument("--labels", default=str(LABELS))
    report.add_argument("--markdown", action="store_true", help="also print the table for bench/README.md")
    report.set_defaults(func=cmd_report)

    modes = sub.add_parser("modes", help="count failure modes in the raw replies and pairs")
    modes.add_argument("--runs", nargs="*")
    modes.add_argument("--examples", action="store_true", help="list up to 3 document#call per mode")
    modes.set_defaults(func=cmd_modes)

    refilt = sub.add_parser("refilter", help="recompute filter decisions in run files (no model needed)")
    refilt.add_argument("names", nargs="*", help="run names (default: every run)")
    refilt.set_defaults(func=cmd_refilter)

    sup = sub.add_parser("support", help="the local teacher's model check on each pair (then refilter)")
    sup.add_argument("names", nargs="+", help="run names (bench/quality/runs/NAME.jsonl)")
    sup.add_argument("--teacher", default="local", help="a local teacher selector (default: bundled model)")
    sup.add_argument("--threads", type=int, default=2)
    sup.add_argument("--labelled-only", action="store_true", help="only pairs that have a label")
    sup.add_argument("--checked-only", action="store_true", help="only strategies the pipeline checks")
    sup.add_argument("--labels", default=str(LABELS))
    sup.set_defaults(func=cmd_support)
    probe = sub.add_parser("probes", help="signals tried on extraction pairs and not adopted (AUC table)")
    probe.add_argument("--runs", nargs="*", help="run names (default: every run of the 1.5B model)")
    probe.add_argument("--roundtrip", metavar="GGUF", help="first ask this model each question again")
    probe.add_argument("--threads", type=int, default=1)
    probe.add_argument("--labels", default=str(LABELS))
    probe.set_defaults(func=cmd_probes)
    timings = sub.add_parser("timings", help="attach llama.cpp timings from a server log to an older run")
    timings.add_argument("--name", required=True)
    timings.add_argument("--log", required=True)
    timings.set_defaults(func=cmd_timings)

    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
