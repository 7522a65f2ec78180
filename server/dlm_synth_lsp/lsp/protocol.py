"""The server's command contract: ids, the argument each command takes and the result
it answers, as typed classes.

The ids are public (editor keybindings and both clients name them), so they never
change. Every command takes exactly one JSON object (`arguments: [{...}]`); its keys
are the camelCase names of the fields below. pygls structures the object into the
handler's argument class (`commands.py`) with the hooks registered here, which check
every key's JSON type and every option against `synth/options.py`; anything wrong is
a `CommandError`, answered as JSON-RPC -32602 (invalid params) with a message that
names the key. Results are unstructured the same way, camelCase.

`editors/vscode/src/protocol.ts` mirrors this module field by field
(`tests/editors/test_vscode_contract.py` compares them).
"""

from __future__ import annotations

import dataclasses
import functools
import typing
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar, get_args

import attrs
import cattrs
from lsprotocol import types as lsp
from lsprotocol.converters import get_converter
from pygls.exceptions import JsonRpcInvalidParams

from ..synth.options import RULES, FilterChoice, OptionError, check_option
from ..synth.pipeline import Rejection
from ..synth.prompts import StrategyChoice
from ..synth.results import AcceptedPair, Report
from ..synth.staging import MarkedPair
from ..synth.teachers.base import Usage
from .config import json_problem

# -- ids ---------------------------------------------------------------------------

SYNTHESIZE = "dlm-synth.synthesize"
SYNTHESIZE_DOCUMENT = "dlm-synth.synthesizeDocument"
REVERT = "dlm-synth.revert"
LIST = "dlm-synth.list"
CANCEL = "dlm-synth.cancel"
APPLY_STAGED = "dlm-synth.applyStaged"
REVEAL_SOURCE = "dlm-synth.revealSource"
STATUS = "dlm-synth.status"
RELINK = "dlm-synth.relink"
REVIEW = "dlm-synth.review"
APPLY_REVIEW = "dlm-synth.applyReview"

ALL_COMMANDS: tuple[str, ...] = (
    SYNTHESIZE,
    SYNTHESIZE_DOCUMENT,
    REVERT,
    LIST,
    CANCEL,
    APPLY_STAGED,
    REVEAL_SOURCE,
    STATUS,
    RELINK,
    REVIEW,
    APPLY_REVIEW,
)

# Follow-up actions a `Message` may offer that only the editor can carry out (the
# server does not register them): the client runs them itself.
#: open the editor's settings on one setting: {setting: "teacher"}
OPEN_SETTING = "dlm-synth.openSetting"
#: write settings and keep them: {settings: {"filter": "grounded"}}
REMEMBER_SETTINGS = "dlm-synth.rememberSettings"

CLIENT_COMMANDS: tuple[str, ...] = (OPEN_SETTING, REMEMBER_SETTINGS)

#: `ClientCapabilities.experimental[EXPERIMENTAL]`: what a client tells the server it
#: does with our protocol. `resultMessages: true`: it shows every command result's
#: `message` itself (so the server never also sends `window/showMessage` about an
#: outcome) and runs the client commands above.
EXPERIMENTAL = "dlmSynth"

T = TypeVar("T")

ONE_ARGUMENT = 'expected one argument: a JSON object such as {"uri": "file:///…"}'


class CommandError(JsonRpcInvalidParams):
    """A command argument the server cannot use: answered as JSON-RPC -32602 with
    this message (pygls sends a JsonRpcException's message and code as they are)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)


# -- arguments ------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class DocumentArgs:
    """`dlm-synth.list`, `dlm-synth.applyStaged`."""

    uri: str


@attrs.frozen(kw_only=True)
class ListArgs:
    """The document's synthesized sections and staged pairs; only those from one
    source section (`source_section_id`), or only the sections `section_ids` (a
    job's insertions), when given."""

    uri: str
    source_section_id: str | None = None
    section_ids: list[str] | None = None


@attrs.frozen(kw_only=True)
class SynthesizeDocumentArgs:
    """Option overrides for one run (None: the document's settings)."""

    uri: str
    strategy: StrategyChoice | None = None
    teacher: str | None = None
    per_section: int | None = None
    filter: FilterChoice | None = None


@attrs.frozen(kw_only=True)
class SynthesizeArgs(SynthesizeDocumentArgs):
    """One prose section: by id, or the one around `range` (a non-empty range also
    limits the teacher to the selected text)."""

    section_id: str | None = None
    range: lsp.Range | None = None


@attrs.frozen(kw_only=True)
class RevertArgs:
    """What to remove: one synthesized section (`section_id`), several
    (`section_ids`: a job's insertions, for Undo), the ones at `range` (the
    synthesized section there, or the synthesized sections of the prose section
    there), or, with none of these, all of them."""

    uri: str
    section_id: str | None = None
    section_ids: list[str] | None = None
    range: lsp.Range | None = None


@attrs.frozen(kw_only=True)
class RelinkArgs:
    """Re-link the synthesized sections that follow edited prose (DLM041): those of
    the run `section_id` is in, or (no id) all of them."""

    uri: str
    section_id: str | None = None


@attrs.frozen(kw_only=True)
class ReviewArgs:
    """The pairs of a job run in `applyMode: preview`, awaiting review: `review_id`
    from the job's message, or (no id) the latest for the document."""

    uri: str
    review_id: str | None = None


@attrs.frozen(kw_only=True)
class ApplyReviewArgs:
    """The user's decision on a review: insert the pairs whose `index` is in `keep`
    (each right after its source, as the source is now); the others are dropped, or
    staged when `stage` is true. `keep: []` without `stage` discards them all."""

    uri: str
    review_id: str | None = None
    keep: tuple[int, ...] = ()
    stage: bool = False


@attrs.frozen(kw_only=True)
class CancelArgs:
    """The jobs of one document, or (no uri) every job."""

    uri: str | None = None


@attrs.frozen(kw_only=True)
class RevealSourceArgs:
    uri: str
    section_id: str


@attrs.frozen(kw_only=True)
class StatusArgs:
    """What a synthesis of `uri` would use now (the server's own state without it).
    `probe`: also try to reach a server teacher (a short HTTP request)."""

    uri: str | None = None
    probe: bool = False


# -- results --------------------------------------------------------------------------

Severity = Literal["info", "warning", "error"]


@attrs.frozen(kw_only=True)
class Message:
    """What to tell the user about a command's outcome, worded by the server: clients
    show `text` at `severity`, offer `actions` (each a command to run with its
    arguments) and may log `details` (one line each, e.g. why pairs were rejected)."""

    severity: Severity
    text: str
    details: list[str] = attrs.field(factory=list)
    actions: list[lsp.Command] = attrs.field(factory=list)


@attrs.define(kw_only=True)
class Choice(lsp.MessageActionItem):
    """One answer to the server's question (`window/showMessageRequest`): a
    `MessageActionItem` whose `remember` holds settings the client writes, and keeps,
    when the user picks it (null: this run only). Sent only to clients that accept
    extra properties on action items."""

    remember: dict[str, Any] | None = None


#: "review": applyMode preview; nothing was inserted, the pairs await the user's review
SynthStatus = Literal["applied", "staged", "review", "cancelled", "nothing-accepted", "failed"]


@attrs.frozen(kw_only=True)
class SynthesizeResult:
    """`unstaged_pairs`: accepted pairs that could be neither inserted nor staged (no
    dlm_id, or not a file), handed back so nothing is lost."""

    status: SynthStatus
    accepted: int
    rejected: int
    applied: int
    staged: int
    already_present: int
    error: str | None
    report: Report | None
    accepted_pairs: list[AcceptedPair]
    rejected_pairs: list[Rejection]
    unstaged_pairs: list[MarkedPair]
    message: Message


@attrs.frozen(kw_only=True)
class RevertResult:
    removed: int
    error: str | None = None
    message: Message


@attrs.frozen(kw_only=True)
class RelinkResult:
    relinked: int
    error: str | None = None
    message: Message


@attrs.frozen(kw_only=True)
class ReviewPair:
    """One pair awaiting review, and where it would land now: right after the
    section `source_range` covers (null when its source is gone: it would be staged)."""

    index: int
    question: str
    answer: str
    strategy: str
    source_title: str
    source_range: lsp.Range | None


@attrs.frozen(kw_only=True)
class ReviewResult:
    review_id: str
    pairs: list[ReviewPair]
    message: Message


@attrs.frozen(kw_only=True)
class ApplyReviewResult:
    applied: int
    staged: int
    dropped: int
    already_present: int
    message: Message


@attrs.frozen(kw_only=True)
class ListEntry:
    """An applied section (`section_id`, `range` set) or a staged pair (both null)."""

    section_id: str | None
    source_section_id: str | None
    source_exists: bool
    teacher: str | None
    strategy: str | None
    synth_at: str | None
    question: str
    range: lsp.Range | None


@attrs.frozen(kw_only=True)
class ListResult:
    applied: list[ListEntry]
    staged: list[ListEntry]


@attrs.frozen(kw_only=True)
class CancelResult:
    cancelled: int
    message: Message


@attrs.frozen(kw_only=True)
class ApplyStagedResult:
    applied: int
    already_present: int
    remaining: int
    message: Message


@attrs.frozen(kw_only=True)
class RevealSourceResult:
    shown: bool


@attrs.frozen(kw_only=True)
class JobStatus:
    title: str
    uri: str


@attrs.frozen(kw_only=True)
class StatusResult:
    """`teacher` and `filter` are what a synthesis would use, resolved from the
    settings (`teacher_setting`, `filter_setting`); `problem` says why it could not
    run here (worded for the editor), `reachable` is the probe's answer (None: not
    probed, or nothing to reach)."""

    server_version: str
    teacher: str
    teacher_setting: str
    filter: str
    filter_setting: str
    problem: str | None
    reachable: bool | None
    jobs: list[JobStatus]


ARGUMENTS: tuple[type, ...] = (
    DocumentArgs,
    ListArgs,
    SynthesizeDocumentArgs,
    SynthesizeArgs,
    RevertArgs,
    RelinkArgs,
    ReviewArgs,
    ApplyReviewArgs,
    CancelArgs,
    RevealSourceArgs,
    StatusArgs,
)
RESULTS: tuple[type, ...] = (
    Message,
    Choice,
    SynthesizeResult,
    RevertResult,
    RelinkResult,
    ReviewPair,
    ReviewResult,
    ApplyReviewResult,
    ListEntry,
    ListResult,
    CancelResult,
    ApplyStagedResult,
    RevealSourceResult,
    JobStatus,
    StatusResult,
    Report,
    Usage,
    AcceptedPair,
    Rejection,
    MarkedPair,
)


# -- (un)structuring --------------------------------------------------------------------


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def wire_fields(cls: type) -> list[tuple[str, str, Any]]:
    """(field name, JSON key, type) of an argument or result class, in order."""
    hints = typing.get_type_hints(cls)
    names = (
        [f.name for f in attrs.fields(cls)] if attrs.has(cls) else [f.name for f in dataclasses.fields(cls)]
    )
    return [(name, camel(name), hints[name]) for name in names]


def _described(tp: Any) -> str:
    return {str: "a string", int: "a number", bool: "true or false"}.get(tp, "an object")


def _structure_args(converter: cattrs.Converter, cls: type[Any]) -> Callable[[Any, Any], Any]:
    fields = wire_fields(cls)
    required = {f.name for f in attrs.fields(cls) if f.default is attrs.NOTHING}

    def value_of(name: str, key: str, tp: Any, value: Any) -> Any:
        """The JSON value as the field's type; CommandError names the key."""
        if tp in (lsp.Range, lsp.Range | None):
            try:
                return converter.structure(value, lsp.Range)
            except Exception as exc:
                raise CommandError(
                    f"{key}: must be an LSP range {{start: {{line, character}}, end: {{…}}}}"
                ) from exc
        problem = json_problem(tp, value)
        if problem is not None:
            raise CommandError(f"{key}: {problem}")
        if isinstance(value, float) and int in (tp, *get_args(tp)):
            value = int(value)  # 3.0 is 3
        if typing.get_origin(tp) is tuple:
            value = tuple(value)
        if name in RULES:
            try:
                check_option(name, value)
            except OptionError as exc:
                raise CommandError(exc.named(key)) from None
        return value

    def structure(raw: Any, _: Any) -> Any:
        if not isinstance(raw, Mapping):
            raise CommandError(ONE_ARGUMENT)
        values: dict[str, Any] = {}
        for name, key, tp in fields:
            value = raw.get(key)
            if value is not None:
                values[name] = value_of(name, key, tp, value)
            elif name in required:
                raise CommandError(f"the argument object needs `{key}` ({_described(tp)})")
        return cls(**values)

    return structure


def _unstructure_args(converter: cattrs.Converter, cls: type) -> Callable[[Any], dict[str, Any]]:
    """Only the keys that differ from their default, as a client would write them."""
    fields = [(f.name, camel(f.name), f.default) for f in attrs.fields(cls)]

    def unstructure(value: Any) -> dict[str, Any]:
        return {
            key: converter.unstructure(item)
            for name, key, default in fields
            if (item := getattr(value, name)) is not default and item != default
        }

    return unstructure


def _unstructure_result(converter: cattrs.Converter, cls: type) -> Callable[[Any], dict[str, Any]]:
    """Every key, null ones too: a result's shape does not depend on its values."""
    fields = [(name, key) for name, key, _ in wire_fields(cls)]

    def unstructure(value: Any) -> dict[str, Any]:
        return {key: converter.unstructure(getattr(value, name)) for name, key in fields}

    return unstructure


def make_converter() -> cattrs.Converter:
    """lsprotocol's converter (the one pygls uses) with the command classes added."""
    converter = get_converter()
    for cls in ARGUMENTS:
        converter.register_structure_hook(cls, _structure_args(converter, cls))
        converter.register_unstructure_hook(cls, _unstructure_args(converter, cls))
    for cls in RESULTS:
        converter.register_unstructure_hook(cls, _unstructure_result(converter, cls))

    def action_item(item: lsp.MessageActionItem) -> dict[str, Any]:
        """A question's actions are typed `MessageActionItem`; a `Choice` keeps its data."""
        data: dict[str, Any] = {"title": item.title}
        if isinstance(item, Choice) and item.remember is not None:
            data["remember"] = item.remember
        return data

    converter.register_unstructure_hook(lsp.MessageActionItem, action_item)
    return converter


@functools.cache
def _argument_converter() -> cattrs.Converter:
    """For the JSON a code lens or code action command carries; built on first use
    (the server builds its own through `make_converter` when it starts)."""
    return make_converter()


def command(title: str, command_id: str, argument: object) -> lsp.Command:
    """One `lsp.Command` whose single argument is `argument` (an argument class)."""
    return lsp.Command(
        title=title, command=command_id, arguments=[_argument_converter().unstructure(argument)]
    )
