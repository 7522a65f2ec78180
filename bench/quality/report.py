"""`report`: the metrics of `metrics.py`, as text for a terminal and as markdown for
bench/README.md."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .metrics import FILTERS, GroupMetrics, agreement, compute
from .records import LABEL_CLASSES, load_labels, load_runs


def pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


def num(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _filters(g: GroupMetrics) -> list[str]:
    return [f for f in (*FILTERS, "own") if f in g.filters]


def _name(g: GroupMetrics) -> str:
    return f"{g.shown or g.system} · {g.model} · {g.strategy}"


def text_report(groups: Sequence[GroupMetrics], labels_total: int, multi: tuple[int, int]) -> str:
    lines = [
        f"labels: {labels_total} pair id(s) labelled; {multi[0]} with 2+ labels, {multi[1]} of them agree"
    ]
    for g in groups:
        lines += [
            "",
            f"== {_name(g)}",
            f"calls {g.calls} (failed {g.calls_failed}); replies that parse {g.parsed}/{g.calls} "
            f"({pct(g.parse_rate)}); pairs per call {num(g.pairs_per_call)} "
            f"(requested {g.requested}, generated {g.generated}, extras beyond budget {g.extras})",
            f"wall: {sum(g.wall_s):.0f} s total, median {num(g.median_wall_s, 1)} s per call, "
            f"{g.calls_over_30s} call(s) over 30 s (in {len(g.documents_over_30s)} of "
            f"{len(g.documents)} documents); {g.completion_tokens} output tokens, "
            f"{num(g.tokens_per_s, 1)} tokens/s over wall time (llama.cpp: generation "
            f"{num(g.generation_tokens_per_s, 1)} tokens/s, prompt {num(g.prompt_tokens_per_s, 1)} tokens/s)",
            f"labelled {g.labelled} of {g.generated} generated (unlabelled {g.unlabelled}); "
            + ", ".join(f"{c} {pct(g.share(c))}" for c in LABEL_CLASSES),
        ]
        if g.extras:
            lines.append(
                f"extras: {sum(g.labels_extras.values())} labelled; "
                + ", ".join(f"{c} {pct(g.share(c, g.labels_extras))}" for c in LABEL_CLASSES)
            )
        for name in _filters(g):
            s = g.filters[name]
            lines.append(
                f"  filter {name:<10} accepted {s.accepted:>4}  "
                + " ".join(f"{c} {pct(g.share(c, s.labels_accepted)):>4}" for c in LABEL_CLASSES)
                + f" | good kept {pct(s.good_kept)}, unsupported rejected "
                f"{pct(s.unsupported_rejected)}, precision {pct(s.precision)}, "
                f"rejection precision {pct(s.rejection_precision)}, good accepted per call "
                f"{num(g.good_per_call(name))}"
            )
    return "\n".join(lines)


def markdown_report(groups: Sequence[GroupMetrics]) -> str:
    head = (
        "| system | model | strategy | calls | parse | pairs/call | extras | good | trivial | unsupp. "
        "| malf. | filter | accepted | good among accepted | good kept | unsupp. rejected "
        "| good accepted/call | s/call | tok/s (wall) | gen. tok/s |"
    )
    rows = [head, "|" + "---|" * (head.count("|") - 1)]
    for g in groups:
        for i, name in enumerate(_filters(g)):
            s = g.filters[name]
            first = i == 0
            rows.append(
                "| "
                + " | ".join(
                    [
                        (g.shown or g.system) if first else "",
                        g.model if first else "",
                        g.strategy if first else "",
                        str(g.calls) if first else "",
                        pct(g.parse_rate) if first else "",
                        num(g.pairs_per_call) if first else "",
                        str(g.extras) if first else "",
                        *(pct(g.share(c)) if first else "" for c in LABEL_CLASSES),
                        name,
                        str(s.accepted),
                        pct(s.precision),
                        pct(s.good_kept),
                        pct(s.unsupported_rejected),
                        num(g.good_per_call(name)),
                        num(g.median_wall_s, 1) if first else "",
                        num(g.tokens_per_s, 1) if first else "",
                        num(g.generation_tokens_per_s, 1) if first else "",
                    ]
                )
                + " |"
            )
    return "\n".join(rows)


def print_report(runs: list[Path], labels_path: Path, *, markdown: bool) -> None:
    labels = load_labels(labels_path)
    records = load_runs(runs)
    groups = compute(records, labels)
    known = {r["id"] for r in records if r.get("kind") == "pair"}
    stray = sorted(set(labels) - known)
    if stray:
        print(f"warning: {len(stray)} label id(s) match no pair in these runs, e.g. {', '.join(stray[:3])}")
    print(text_report(groups, len(labels), agreement(labels)))
    if markdown:
        print()
        print(markdown_report(groups))
