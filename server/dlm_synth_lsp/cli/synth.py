"""`dlm-synth-lsp synth list|revert|apply`, and what `synth` does differently from upstream.

Flags and exit codes mirror upstream's `dlm synth` (spec section 6): 0 done, 1 the
document or a teacher/judge could not be used, 2 bad flags or nothing accepted.
Differences, on purpose: `instructions` takes many documents (`instructions.py`);
`--apply` inserts each pair right after its source with minimal edits (upstream
rewrites the whole file and appends at the end) and never writes over a file that
changed while the teacher ran or over a read-only one (the pairs are staged
instead); staging merges into the plan instead of replacing it; and `apply` writes a
staged plan (upstream can only list it). Files are written with a compare-and-swap
under the document's lock (`synth/writeback.py`), plans changed under theirs
(`synth/staging.py`), as the language server does.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..document.edits import EditError, plan_revert, render
from ..synth.placement import plan_placement
from ..synth.results import applied_sections, as_json, listing, render_listing
from ..synth.staging import read_staged, unstage
from ..synth.writeback import WriteRefused, os_reason, write_document
from .errors import CliError
from .instructions import read_document
from .output import print_json


def _write(path: Path, original: bytes, text: str, *, allow_read_only: bool = False) -> None:
    """The file, rewritten with a compare-and-swap under its lock; CliError(1) when it
    changed, is read-only or cannot be written (the file then unchanged)."""
    try:
        write_document(path, original, text, allow_read_only=allow_read_only)
    except WriteRefused as exc:
        raise CliError(str(exc), 1) from exc
    except OSError as exc:
        raise CliError(f"cannot write {path}: {os_reason(exc)}; the file is unchanged", 1) from exc


def cmd_list(args: argparse.Namespace) -> int:
    _, doc = read_document(args.file)
    _, plan = read_staged(doc, args.home)
    found = listing(doc, plan.pairs if plan is not None else ())
    if args.json:
        print_json(as_json(found))
    else:
        print(render_listing(str(args.file), found))
    return 0


def cmd_revert(args: argparse.Namespace) -> int:
    original, doc = read_document(args.file)
    try:
        edits = plan_revert(doc, args.section or None)
    except EditError as exc:
        raise CliError(str(exc), 2) from exc
    removed = len(applied_sections(doc)) - len(applied_sections(render(doc, edits)))
    if edits:
        _write(args.file, original, render(doc, edits).source_text, allow_read_only=args.allow_read_only)
    print(f"synth: removed {removed} auto-synth instruction section(s) from {args.file}")
    return 0


def cmd_apply(args: argparse.Namespace) -> int:
    original, doc = read_document(args.file)
    pending, plan = read_staged(doc, args.home)
    if pending is None or plan is None or not plan.pairs:
        raise CliError(f"nothing staged for {args.file}", 2)
    placement = plan_placement(doc, plan.pairs)
    if placement.edits:
        _write(
            args.file,
            original,
            render(doc, placement.edits).source_text,
            allow_read_only=args.allow_read_only,
        )
    try:
        # only what was written or found: a pair staged meanwhile by another run stays
        left = unstage(pending, args.file, placement.placed + placement.present)
    except OSError as exc:
        raise CliError(
            f"wrote {len(placement.placed)} section(s) to {args.file}, but could not update the staged plan "
            f"{pending}: {os_reason(exc)}; `synth apply` again skips what is already there",
            1,
        ) from exc
    message = (
        f"synth: wrote {len(placement.placed)} section(s) to {args.file}; "
        f"{len(placement.present)} already present; {len(placement.unplaced)} still staged (source not found)"
    )
    if placement.unusable:
        message += (
            f"; {len(placement.unusable)} not written: nothing is left of them once unsafe text is removed "
            "(they stay staged; edit or remove them in the plan)"
        )
    print(message + f"; {left} pair(s) staged in all")
    return 0
