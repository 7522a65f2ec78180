"""Progress on stderr: a redrawn one-line bar on a terminal, plain lines otherwise
(logs, CI, editors' task panels).

One document: a line per teacher call, as before corpus runs existed. A corpus: the
bar counts documents, calls, accepted pairs, tokens, the concurrency limit and an
ETA; plain output prints one line per finished document instead of one per call
(hundreds of calls would bury what matters).
"""

from __future__ import annotations

from typing import TextIO

from ..synth.corpus import CorpusProgress
from ..synth.pipeline import Progress

WIDTH = 160


def _tokens(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}M"
    if n >= 10_000:
        return f"{n / 1000:.0f}k"
    return str(n)


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = max(0, round(seconds))
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def corpus_line(p: CorpusProgress) -> str:
    return (
        f"{p.documents_done}/{p.documents_total} docs · {p.calls_done}/{p.calls_total} calls · "
        f"{p.accepted} pairs · tokens {_tokens(p.input_tokens)}/{_tokens(p.output_tokens)} · "
        f"limit {p.limit} · ETA {duration(p.eta_s)}"
    )


class ProgressPrinter:
    def __init__(self, stream: TextIO, quiet: bool, corpus: bool = False) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.quiet = quiet
        self.corpus = corpus
        self.dirty = False

    def _bar(self, percentage: int, text: str) -> None:
        filled = percentage // 5
        bar = "#" * filled + "-" * (20 - filled)
        self.stream.write(f"\r[{bar}] {text}"[:WIDTH].ljust(100))
        self.dirty = True
        self.stream.flush()

    def __call__(self, progress: Progress) -> None:
        """A call of a one-document run was consumed."""
        if self.quiet:
            return
        if self.tty:
            self._bar(progress.percentage, f"{progress.done}/{progress.total} {progress.message}")
            return
        self.stream.write(f"synth: [{progress.done}/{progress.total}] {progress.message}\n")
        self.stream.flush()

    def corpus_progress(self, progress: CorpusProgress, document_done: bool) -> None:
        if self.quiet:
            return
        if self.tty:
            self._bar(progress.percentage, corpus_line(progress))
        elif document_done:
            self.stream.write(f"synth: [{corpus_line(progress)}] {progress.message}\n")
            self.stream.flush()

    def notice(self, message: str) -> None:
        if not self.quiet:
            self.end()
            self.stream.write(f"synth: {message}\n")
            self.stream.flush()

    def end(self) -> None:
        if self.dirty:
            self.stream.write("\n")
            self.dirty = False
