"""What the user is told about a command's outcome, worded once, here.

Every command result carries its `Message` (severity, text, follow-up actions,
detail lines). The VS Code extension and the Neovim plugin show it as it is, behind
the one prefix every client uses (`dlm-synth: `), and offer its actions as buttons
or commands; a client that does not say it shows results
(`experimental.dlmSynth.resultMessages`) also gets the message as
`window/showMessage` when it is worth an interruption (see `Synthesizer`).

The wording is the editor's: sections are named by title and line, never by hash;
options by their setting name (`dlmSynth.teacher`), never by a command-line flag;
follow-ups by their button title, never by a command id.
"""

from __future__ import annotations

from collections.abc import Sequence

from lsprotocol import types as lsp

from ..synth.errors import JudgeUnavailableError, SynthError, TeacherUnavailableError
from ..synth.pipeline import Rejection, SynthResult
from ..synth.results import rejection_line, rejection_summary, where
from ..synth.staging import MarkedPair
from ..synth.teachers.spec import without_userinfo
from . import protocol as p
from .config import SECTION

APPLY_STAGED_TITLE = "Apply staged instructions"
#: the bundled offline teacher (synth/local/bundled.py)
LOCAL = "local"
UNDO_TITLE = "Undo"
CHOOSE_TEACHER_TITLE = "Choose a teacher…"
CHOOSE_FILTER_TITLE = "Choose a filter…"
#: a preview-mode job's follow-ups (applyMode preview: nothing inserted yet)
INSERT_ALL_TITLE = "Insert all"
STAGE_THEM_TITLE = "Stage them"
#: why pairs were staged instead of inserted, besides placement's reasons
#: (synth/placement.py: the source was deleted, swallowed, changed)
DOCUMENT_CLOSED = "the document was closed before they could be inserted"
EDIT_NOT_APPLIED = "the editor did not apply the edit"


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def setting(name: str) -> str:
    """How a message names a setting: `dlmSynth.teacher`."""
    return f"{SECTION}.{name}"


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


def review_action(uri: str, section_ids: Sequence[str], pairs: int) -> lsp.Command:
    """Lists what a job inserted, once it is in the document (VS Code: a pick list
    that jumps to each pair; Neovim: the quickfix list). A job awaiting review offers
    `review_actions` instead."""
    return p.command(
        f"Review {plural(pairs, 'pair')}…", p.LIST, p.ListArgs(uri=uri, section_ids=list(section_ids))
    )


def undo_action(uri: str, section_ids: Sequence[str]) -> lsp.Command:
    """Removes exactly what a job inserted, even after the user typed elsewhere."""
    return p.command(UNDO_TITLE, p.REVERT, p.RevertArgs(uri=uri, section_ids=list(section_ids)))


def open_setting_action(title: str, name: str) -> lsp.Command:
    return lsp.Command(title=title, command=p.OPEN_SETTING, arguments=[{"setting": name}])


def remember_action(title: str, values: dict[str, object]) -> lsp.Command:
    return lsp.Command(title=title, command=p.REMEMBER_SETTINGS, arguments=[{"settings": values}])


def _single_source(result: SynthResult) -> str:
    """“ for “Title” (line N)” when the job was about one section, else “”."""
    named: set[tuple[str, int | None]] = {(a.source.title, a.source.start_line) for a in result.accepted}
    named |= {(r.source_title, r.source_line) for r in result.report.rejected}
    if len(named) != 1:
        return ""
    title, line = next(iter(named))
    return f" for {where(title, line)}"


def _counted(result: SynthResult, inserted: int, staged: int, present: int) -> str:
    rejected = result.report.rejected
    text = counts(len(result.accepted), len(rejected), inserted, staged, present)
    reasons = rejection_summary(rejected)
    return f"{text}; rejected: {reasons}" if reasons else text


def review_actions(uri: str, review_id: str, count: int) -> list[lsp.Command]:
    """What a finished preview-mode job offers: review one by one (the clients open a
    pick list), or decide for all at once. Declining is doing nothing."""
    return [
        p.command(
            f"Review {plural(count, 'pair')}…", p.REVIEW, p.ReviewArgs(uri=uri, review_id=review_id)
        ),
        p.command(
            INSERT_ALL_TITLE,
            p.APPLY_REVIEW,
            p.ApplyReviewArgs(uri=uri, review_id=review_id, keep=tuple(range(count))),
        ),
        p.command(
            STAGE_THEM_TITLE, p.APPLY_REVIEW, p.ApplyReviewArgs(uri=uri, review_id=review_id, stage=True)
        ),
    ]


def synthesis(
    status: p.SynthStatus,
    result: SynthResult,
    uri: str,
    *,
    inserted: Sequence[str],
    inserted_pairs: int,
    staged: int,
    present: int,
    lost: Sequence[MarkedPair],
    note: str = "",
    reasons: Sequence[str] = (),
    review: str | None = None,
) -> p.Message:
    """One message for a synthesis job's outcome. `inserted`: the ids of the
    synthesized sections the job added (for Review and Undo); `inserted_pairs`: how
    many pairs they hold."""
    report = result.report
    counted = _counted(result, inserted_pairs, staged, present)
    failures = teacher_failures(report.rejected)
    severity: p.Severity = "info"
    parts: list[str] = []
    actions: list[lsp.Command] = []
    if status == "failed":
        severity = "error"
        why = "; ".join(filter(None, [result.error, failures[0].detail if failures else None]))
        parts.append(f"Synthesis failed: {why}" if why else "Synthesis failed")
    elif status == "cancelled":
        parts.append("Synthesis cancelled")
    elif status == "nothing-accepted":
        severity = "warning"
        parts.append(f"No synthesized pair was accepted{_single_source(result)} ({counted})")
    elif status == "review":
        waiting = len(result.accepted)
        parts.append(
            f"{plural(waiting, 'synthesized pair')}{_single_source(result)} "
            f"{'awaits' if waiting == 1 else 'await'} your review ({counted}); nothing is inserted "
            f"until you keep {'it' if waiting == 1 else 'them'}"
        )
        if review is not None:
            actions += review_actions(uri, review, waiting)
    elif inserted_pairs:
        parts.append(
            f"Inserted {plural(inserted_pairs, 'synthesized pair')}{_single_source(result)} ({counted})"
        )
        actions += [review_action(uri, inserted, inserted_pairs), undo_action(uri, inserted)]
    if staged:
        severity = "warning" if severity == "info" and status != "cancelled" else severity
        why = "; ".join(reasons) or "their source section changed or the edit was not applied"
        parts.append(
            f"{note}{plural(staged, 'synthesized pair')} staged in the dlm store ({why}); "
            f"“{APPLY_STAGED_TITLE}” inserts them"
        )
        actions.append(apply_staged_action(uri))
    if failures and status != "failed":
        severity = "warning" if severity == "info" else severity
        parts.append(
            f"{len(failures)} teacher call(s) failed ({failures[0].detail}); "
            "the other sections' pairs were kept"
        )
    if lost:
        severity = "warning" if severity == "info" else severity
        parts.append(
            f"{plural(len(lost), 'synthesized pair')} could not be inserted or staged (the document has "
            "no dlm_id, or is not saved as a file); their text is in the details"
        )
    details = [rejection_line(r) for r in report.rejected]
    for pair in lost:
        details += [f"not inserted: Q: {pair.question}", f"  A: {pair.answer}"]
    return p.Message(severity=severity, text=". ".join(parts) + ".", details=details, actions=actions)


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


def not_run(error: SynthError | str) -> p.Message:
    """A job that ended before any teacher call (bad option, unusable teacher or
    judge), with the setting that fixes it as a follow-up."""
    actions: list[lsp.Command] = []
    text = f"Synthesis did not start: {error}"
    if isinstance(error, JudgeUnavailableError):
        text += f" (the filter is the setting {setting('filter')})"
        actions = [
            remember_action("Always use grounded", {"filter": "grounded"}),
            open_setting_action(CHOOSE_FILTER_TITLE, "filter"),
        ]
    elif isinstance(error, TeacherUnavailableError):
        text += f" (the teacher is the setting {setting('teacher')})"
        actions = [open_setting_action(CHOOSE_TEACHER_TITLE, "teacher")]
    return p.Message(severity="error", text=text, actions=actions)


def busy(title: str) -> str:
    return f"“{title}” is still running for this section; cancel it or wait for it to finish."


def reverted(removed: int) -> p.Message:
    if removed == 0:
        return p.Message(severity="info", text="There were no synthesized instructions to revert.")
    return p.Message(severity="info", text=f"Removed {plural(removed, 'synthesized section')}.")


def nothing_to_revert(*, at_cursor: bool) -> p.Message:
    if at_cursor:
        text = (
            "The cursor is not in a synthesized section, nor in a prose section that has "
            "synthesized pairs; nothing was removed."
        )
    else:
        text = "Those synthesized sections are no longer in the document (edited or removed)."
    return p.Message(severity="info", text=text)


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


def settings_problem(problem: str) -> str:
    """A bad settings value (reported once per value, `window/showMessage`)."""
    return f"Settings: {problem}"


# -- the cold-start question ----------------------------------------------------------


def alternatives(
    error: SynthError, fallback_teachers: Sequence[str], current_teacher: str
) -> tuple[list[p.Choice], dict[str, dict[str, object]]]:
    """The choices offered when the configured teacher or judge cannot run here, and
    for each title the option values it stands for. A choice that `remember`s is
    also written to the settings by the client."""
    options: dict[str, dict[str, object]] = {}
    choices: list[p.Choice] = []
    if isinstance(error, JudgeUnavailableError):
        options["Use grounded"] = {"filter": "grounded"}
        options["Always use grounded"] = {"filter": "grounded"}
        options["Use dedup-only"] = {"filter": "dedup-only"}
        choices = [
            p.Choice(title="Use grounded"),
            p.Choice(title="Always use grounded", remember={"filter": "grounded"}),
            p.Choice(title="Use dedup-only"),
        ]
    else:
        # the bundled offline model needs no key, server or training: always possible
        candidates = [t for t in dict.fromkeys([LOCAL, *fallback_teachers]) if t != current_teacher]
        for teacher in candidates:
            title = f"Use {_teacher_name(teacher)}"
            options[title] = {"teacher": teacher}
            choices.append(p.Choice(title=title))
        if candidates:
            first = candidates[0]
            title = f"Always use {_teacher_name(first)}"
            options[title] = {"teacher": first}
            choices.insert(1, p.Choice(title=title, remember={"teacher": first}))
    return choices, options


def _teacher_name(selector: str) -> str:
    return "the offline model (local)" if selector == LOCAL else without_userinfo(selector)
