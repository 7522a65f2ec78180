"""Metrics over run records joined with labels (pure: records and labels in, numbers out).

Definitions (what `report` prints and `bench/README.md` quotes):

- a *group* is one system × model × strategy; its calls and pairs come from every run
  file given (a pair produced twice counts twice: both were generated);
- *calls*: teacher calls the tool made (or should have made: a call the tool never sent
  because it had stopped counts as a failed call);
- *parsed*: calls whose reply gave at least one valid pair to **that system's** parser
  (ours: lenient `parse_reply`; upstream: its strict `json_list` parser);
- *generated*: valid pairs within the call's budget (the first n); *extras*: valid pairs a
  reply held beyond its budget (the pipeline drops them today);
- *accepted[F]*: pairs the pipeline with filter F (`none`, `dedup-only`, `grounded`)
  accepts: each call's pairs in reply order until its budget is met, so an extra can
  stand in for a rejected pair; for upstream also `own`, what upstream itself staged (its
  first n per reply, then its own dedup);
- label shares are over **labelled** pairs only (the unlabelled count is reported);
  a pair's label is the majority of its labels, ties broken towards the worse class
  (malformed, unsupported, trivial, good);
- for filter F, as a classifier (its own verdict on every labelled valid pair, extras
  included, budget aside): *good kept* = good passing / good, *unsupported rejected* =
  unsupported failing / unsupported, *rejection precision* = (unsupported + malformed)
  failing / labelled failing; and *precision* = good / labelled among the pairs the
  pipeline accepts with F;
- *good accepted per call* = good pairs accepted by F / calls;
- *tokens/s* = completion tokens / wall seconds summed over calls that got a reply
  (prompt evaluation included, as a user waits for it); *generation tokens/s* and
  *prompt tokens/s* come from llama.cpp's own per-call timings where recorded.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .records import LABEL_CLASSES

FILTERS = ("none", "dedup-only", "grounded", "grounded+check")
WORST_FIRST = ("malformed", "unsupported", "trivial", "good")
BAD_FOR_REJECTION = ("unsupported", "malformed")


def resolve_label(labels: Sequence[Mapping[str, Any]]) -> str | None:
    """Majority label; ties go to the worse class (a pair two labellers disagree on is
    not counted as good)."""
    if not labels:
        return None
    counts = Counter(str(label["label"]) for label in labels)
    top = max(counts.values())
    return next(cls for cls in WORST_FIRST if counts.get(cls) == top)


def agreement(labels: Mapping[str, Sequence[Mapping[str, Any]]]) -> tuple[int, int]:
    """(pairs with 2+ labels, of which all labels agree)."""
    multi = [ls for ls in labels.values() if len(ls) >= 2]
    agree = sum(1 for ls in multi if len({str(x["label"]) for x in ls}) == 1)
    return len(multi), agree


@dataclass
class FilterStats:
    """`accepted` / `labels_accepted`: what the pipeline with this filter accepts (a call's
    pairs until its budget is met, extras standing in). `labels_pass` / `labels_fail`: the
    filter's own verdict on every valid labelled pair of the group, budget aside: what it
    keeps and rejects as a classifier."""

    accepted: int = 0
    labels_accepted: Counter[str] = field(default_factory=Counter)
    labels_pass: Counter[str] = field(default_factory=Counter)
    labels_fail: Counter[str] = field(default_factory=Counter)

    @staticmethod
    def _share(num: int, den: int) -> float | None:
        return None if den == 0 else num / den

    @property
    def good_kept(self) -> float | None:
        return self._share(self.labels_pass["good"], self.labels_pass["good"] + self.labels_fail["good"])

    @property
    def unsupported_rejected(self) -> float | None:
        total = self.labels_pass["unsupported"] + self.labels_fail["unsupported"]
        return self._share(self.labels_fail["unsupported"], total)

    @property
    def precision(self) -> float | None:
        """Good pairs among the labelled pairs the pipeline accepts."""
        return self._share(self.labels_accepted["good"], sum(self.labels_accepted.values()))

    @property
    def rejection_precision(self) -> float | None:
        bad = sum(self.labels_fail[c] for c in BAD_FOR_REJECTION)
        return self._share(bad, sum(self.labels_fail.values()))


@dataclass
class GroupMetrics:
    system: str
    model: str
    strategy: str
    #: the run file the records came from: one system is measured in several runs when
    #: its prompt changes (see `shown`)
    run: str = ""
    #: how the report names the system: with the run where the system, model and
    #: strategy are measured in more than one run
    shown: str = ""
    calls: int = 0
    calls_failed: int = 0
    parsed: int = 0
    requested: int = 0
    generated: int = 0
    extras: int = 0
    unlabelled: int = 0
    labels_generated: Counter[str] = field(default_factory=Counter)
    labels_extras: Counter[str] = field(default_factory=Counter)
    filters: dict[str, FilterStats] = field(default_factory=dict)
    wall_s: list[float] = field(default_factory=list)
    completion_tokens: int = 0
    calls_over_30s: int = 0
    documents: set[str] = field(default_factory=set)
    #: documents with a call over 30 s: upstream's stock client (30 s timeout, and any
    #: teacher error aborts the run) would have produced nothing for them
    documents_over_30s: set[str] = field(default_factory=set)
    #: llama.cpp's own timings, summed over calls that have them
    eval_tokens: int = 0
    eval_ms: float = 0.0
    prompt_eval_tokens: int = 0
    prompt_eval_ms: float = 0.0

    @property
    def key(self) -> tuple[str, str, str]:
        return self.system, self.model, self.strategy

    @property
    def parse_rate(self) -> float | None:
        return None if self.calls == 0 else self.parsed / self.calls

    @property
    def pairs_per_call(self) -> float | None:
        return None if self.calls == 0 else self.generated / self.calls

    @property
    def labelled(self) -> int:
        return sum(self.labels_generated.values())

    def share(self, label: str, counts: Counter[str] | None = None) -> float | None:
        counts = self.labels_generated if counts is None else counts
        total = sum(counts.values())
        return None if total == 0 else counts[label] / total

    def good_per_call(self, filter_name: str) -> float | None:
        stats = self.filters.get(filter_name)
        if stats is None or self.calls == 0 or self.labelled == 0:
            return None
        return stats.labels_accepted["good"] / self.calls

    @property
    def tokens_per_s(self) -> float | None:
        total = sum(self.wall_s)
        return None if total == 0 else self.completion_tokens / total

    @property
    def generation_tokens_per_s(self) -> float | None:
        return None if self.eval_ms == 0 else 1000 * self.eval_tokens / self.eval_ms

    @property
    def prompt_tokens_per_s(self) -> float | None:
        return None if self.prompt_eval_ms == 0 else 1000 * self.prompt_eval_tokens / self.prompt_eval_ms

    @property
    def median_wall_s(self) -> float | None:
        return statistics.median(self.wall_s) if self.wall_s else None


def _call_parsed(call: Mapping[str, Any]) -> bool:
    """Did the system's own parser get at least one valid pair out of the reply?"""
    if call.get("raw_reply") is None or call.get("client_gone"):
        return False
    if call["system"] == "upstream":
        view = call.get("upstream_parse") or {}
        return bool(view.get("ok")) and int(view.get("valid", 0)) > 0
    view = call.get("ours_parse") or {}
    return int(view.get("valid", 0)) > 0


def compute(
    records: Iterable[Mapping[str, Any]], labels: Mapping[str, Sequence[Mapping[str, Any]]]
) -> list[GroupMetrics]:
    """One GroupMetrics per system × model × strategy × run, in first-seen order."""
    groups: dict[tuple[str, str, str, str], GroupMetrics] = {}
    resolved = {pid: resolve_label(ls) for pid, ls in labels.items()}

    def group(record: Mapping[str, Any]) -> GroupMetrics:
        key = (
            str(record["system"]),
            str(record["model"]),
            str(record["strategy"]),
            str(record.get("run", "")),
        )
        if key not in groups:
            groups[key] = GroupMetrics(*key)
        return groups[key]

    for record in records:
        kind = record.get("kind")
        if kind == "call":
            g = group(record)
            g.calls += 1
            g.documents.add(str(record.get("document")))
            g.requested += int(record["n"])
            got_reply = record.get("raw_reply") is not None and not record.get("client_gone")
            if not got_reply:
                g.calls_failed += 1
            if _call_parsed(record):
                g.parsed += 1
            if record.get("wall_s") is not None and record.get("raw_reply") is not None:
                g.wall_s.append(float(record["wall_s"]))
                g.completion_tokens += int(record.get("completion_tokens") or 0)
                if float(record["wall_s"]) > 30.0:
                    g.calls_over_30s += 1
                    g.documents_over_30s.add(str(record.get("document")))
                timing = record.get("llama_timings")
                if timing:
                    g.eval_tokens += int(timing["eval_tokens"])
                    g.eval_ms += float(timing["eval_ms"])
                    # the first call after a load reports ~0 ms for its prompt: not a speed
                    if float(timing["prompt_eval_ms"]) > 1.0:
                        g.prompt_eval_tokens += int(timing["prompt_eval_tokens"])
                        g.prompt_eval_ms += float(timing["prompt_eval_ms"])
        elif kind == "pair":
            g = group(record)
            label = resolved.get(str(record["id"]))
            if record["within_budget"]:
                g.generated += 1
                if label is None:
                    g.unlabelled += 1
                else:
                    g.labels_generated[label] += 1
            else:
                g.extras += 1
                if label is not None:
                    g.labels_extras[label] += 1
            accepted = dict(record["accepted"])
            verdicts = dict(record["verdicts"])
            if g.system == "upstream":
                accepted["own"] = verdicts["own"] = bool(record.get("upstream_staged"))
            # a filter is reported for a group when its pairs carry its decisions
            # (`grounded+check` needs the support margins of `bench_quality.py support`)
            for name in accepted:
                g.filters.setdefault(name, FilterStats())
            for name, stats in g.filters.items():
                ok = bool(accepted.get(name))
                stats.accepted += ok
                if label is not None:
                    if ok:
                        stats.labels_accepted[label] += 1
                    (stats.labels_pass if verdicts.get(name) else stats.labels_fail)[label] += 1
    for g in groups.values():
        for cls in LABEL_CLASSES:  # make every class present so tables show 0, not gaps
            g.labels_generated[cls] += 0
    measured = Counter(g.key for g in groups.values())
    for g in groups.values():
        g.shown = f"{g.system} ({g.run})" if measured[g.key] > 1 else g.system
    return list(groups.values())
