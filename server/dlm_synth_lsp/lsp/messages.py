"""What the user is told about a command's outcome, worded once, here.

Every command result carries its `Message` (severity, text, follow-up actions,
detail lines); the VS Code extension and the Neovim plugin show it as it is, and a
client that did not ask for `quiet` also gets it as `window/showMessage` when it is
worth an interruption (see `Synthesizer`). Sections are named by title and line,
never by hash.
"""

from __future__ import annotations

from collections.abc import Sequence

from lsprotocol import types as lsp

from ..synth.pipeline import Rejection, SynthResult
from ..synth.results import rejection_line, rejection_summary
from . import protocol as p

APPLY_STAGED_TITLE = "Apply staged instructions"
#: why pairs were staged instead of inserted, besides placement's reasons
#: (synth/placement.py: the source was deleted, swallowed, changed)
DOCUMENT_CLOSED = "the document was closed before they could be inserted"
EDIT_NOT_APPLIED = "the editor did not apply the edit"


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def counts(
    accepted: int, rejected: int, inserted: int = 0, staged: int = 0, present: int = 0, review: int = 0
) -> str:
    """“3 accepted, 1 rejected, 3 inserted, 1 already present”: also the progress end."""
    parts = [f"{accepted} accepted", f"{rejected} rejected"]
    parts += [
        f"{n} {what}"
        for n, what in (
            (inserted, "inserted"),
            (staged, "staged"),
            (present, "already present"),
            (review, "awaiting review"),
        )
        if n
    ]
    return ", ".join(parts)


def teacher_failures(rejected: Sequence[Rejection]) -> list[Rejection]:
    return [r for r in rejected if r.reason == "teacher_failed"]


def apply_staged_action(uri: str) -> lsp.Command:
    return p.command(APPLY_STAGED_TITLE, p.APPLY_STAGED, p.DocumentArgs(uri=uri))


def review_actions(uri: str, review_id: str, count: int) -> list[lsp.Command]:
    """What a finished preview-mode job offers: review one by one (the clients open a
    pick list), or decide for all at once. Declining is doing nothing."""
    return [
        p.command(
            f"Review {plural(count, 'pair')}…", p.REVIEW, p.ReviewArgs(uri=uri, review_id=review_id)
        ),
        p.command(
            "Insert all",
            p.APPLY_REVIEW,
            p.ApplyReviewArgs(uri=uri, review_id=review_id, keep=tuple(range(count))),
        ),
        p.command("Stage them", p.APPLY_REVIEW, p.ApplyReviewArgs(uri=uri, review_id=review_id, stage=True)),
    ]


def synthesis(
    status: p.SynthStatus,
    result: SynthResult,
    uri: str,
    *,
    inserted: int,
    staged: int,
    present: int,
    lost: int,
    note: str = "",
    reasons: Sequence[str] = (),
    review: str | None = None,
) -> p.Message:
    """One message for a synthesis job's outcome."""
    report = result.report
    counted = counts(len(result.accepted), len(report.rejected), inserted, staged, present)
    failures = teacher_failures(report.rejected)
    severity: p.Severity = "info"
    parts: list[str] = []
    if status == "failed":
        severity = "error"
        why = "; ".join(filter(None, [result.error, failures[0].detail if failures else None]))
        parts.append(f"Synthesis failed: {why}" if why else "Synthesis failed")
    elif status == "cancelled":
        parts.append("Synthesis cancelled")
    elif status == "nothing-accepted":
        severity = "warning"
        reasons = rejection_summary(report.rejected)
        parts.append(f"No synthesized pair was accepted ({counted})" + (f": {reasons}" if reasons else ""))
    elif status == "review":
        waiting = len(result.accepted)
        parts.append(
            f"{plural(waiting, 'synthesized pair')} {'awaits' if waiting == 1 else 'await'} your review "
            f"({counted}); nothing is inserted until you keep {'it' if waiting == 1 else 'them'}"
        )
    elif inserted:
        parts.append(f"Inserted {plural(inserted, 'synthesized pair')} ({counted})")
    if staged:
        severity = "warning" if severity == "info" and status != "cancelled" else severity
        why = "; ".join(reasons) or "their source section changed or the edit was not applied"
        parts.append(
            f"{note}{staged} synthesized pair(s) staged in the dlm store ({why}); "
            f"run “{APPLY_STAGED_TITLE}” ({p.APPLY_STAGED}) to insert them"
        )
    if failures and status != "failed":
        severity = "warning" if severity == "info" else severity
        parts.append(
            f"{len(failures)} teacher call(s) failed ({failures[0].detail}); "
            "the other sections' pairs were kept"
        )
    if lost:
        severity = "warning" if severity == "info" else severity
        parts.append(
            f"{lost} synthesized pair(s) could not be inserted or staged (no dlm_id, or the document is not "
            "a file); they are in the command's result"
        )
    actions = [apply_staged_action(uri)] if staged else []
    if review is not None:
        actions = review_actions(uri, review, len(result.accepted))
    return p.Message(
        severity=severity,
        text=". ".join(parts) + ".",
        details=[rejection_line(r) for r in report.rejected],
        actions=actions,
    )


def review_listed(count: int) -> p.Message:
    return p.Message(
        severity="info",
        text=f"{plural(count, 'synthesized pair')} {'awaits' if count == 1 else 'await'} review: keep the "
        "ones you want; the others are dropped (or staged, if you choose).",
    )


def reviewed(
    uri: str,
    *,
    inserted: int,
    staged: int,
    dropped: int,
    present: int,
    lost: int,
    reasons: Sequence[str],
) -> p.Message:
    """The outcome of a review decision."""
    parts: list[str] = []
    if inserted:
        parts.append(f"inserted {plural(inserted, 'reviewed pair')}")
    if present:
        parts.append(f"{present} already present")
    if staged:
        why = f" ({'; '.join(reasons)})" if reasons else ""
        parts.append(f"staged {plural(staged, 'reviewed pair')} in the dlm store{why}")
    if dropped:
        parts.append(f"dropped {plural(dropped, 'reviewed pair')}")
    severity: p.Severity = "warning" if lost or (staged and reasons) else "info"
    if lost:
        parts.append(f"{lost} could not be inserted or staged (no dlm_id, or the document is not a file)")
    text = "; ".join(parts) or "nothing to insert"
    return p.Message(
        severity=severity,
        text=text[0].upper() + text[1:] + ".",
        actions=[apply_staged_action(uri)] if staged else [],
    )


def review_staged(staged: int, lost: int) -> str:
    text = f"{plural(staged, 'synthesized pair')} awaiting review were staged in the dlm store"
    if lost:
        text += f" ({lost} could not be: no dlm_id, or the document is not a file)"
    return text + "."


def not_run(error: str) -> p.Message:
    """A job that ended before any teacher call (bad option, unusable teacher)."""
    return p.Message(severity="error", text=f"Synthesis failed: {error}")


def busy(title: str) -> str:
    return f"“{title}” is still running for this section; cancel it or wait for it to finish."


def reverted(removed: int) -> p.Message:
    if removed == 0:
        return p.Message(severity="info", text="There were no synthesized instructions to revert.")
    return p.Message(severity="info", text=f"Removed {plural(removed, 'synthesized section')}.")


def edit_refused(what: str, error: str) -> p.Message:
    return p.Message(
        severity="warning",
        text=f"The editor did not apply the {what} ({error}; the document changed?); try again.",
    )


def relinked(count: int) -> p.Message:
    if count == 0:
        return p.Message(severity="info", text="No synthesized pairs follow edited prose.")
    return p.Message(
        severity="info",
        text=f"Re-linked {plural(count, 'synthesized section')} to the edited prose above "
        "(they may no longer match the new text: regenerate them if not).",
    )


def applied_staged(applied: int, present: int, remaining: int) -> p.Message:
    if applied == 0 and present == 0 and remaining == 0:
        return p.Message(severity="info", text="Nothing is staged for this document.")
    parts = [f"Inserted {plural(applied, 'staged pair')}"]
    if present:
        parts.append(f"{present} already present")
    if remaining:
        parts.append(f"{remaining} still staged (their source section is gone or changed)")
    return p.Message(severity="warning" if remaining else "info", text="; ".join(parts) + ".")


def cancelled(jobs: int) -> p.Message:
    if jobs == 0:
        return p.Message(severity="info", text="No synthesis is running for this document.")
    return p.Message(severity="info", text=f"Cancelled {plural(jobs, 'synthesis job')}.")
