"""Command ids and payload construction, shared by code lenses, code actions and
the server's `workspace/executeCommand` handlers.

The ids are a public contract (editor keybindings and the VS Code extension name
them), so they live in one place and never change. Every command takes exactly one
JSON object as its single argument (`arguments=[{...}]`), built here from plain
`str`/`int`/`dict` values so it serialises without a converter.
"""

from __future__ import annotations

from lsprotocol import types as lsp

SYNTHESIZE = "dlm-synth.synthesize"
"""`{uri, sectionId?, range?, strategy?, teacher?, perSection?, filter?}`"""
SYNTHESIZE_DOCUMENT = "dlm-synth.synthesizeDocument"
"""`{uri, ...same options as SYNTHESIZE}`"""
REVERT = "dlm-synth.revert"
"""`{uri, sectionId?}`: one synthesized section (by id), or all of them"""
LIST = "dlm-synth.list"
"""`{uri}`"""
CANCEL = "dlm-synth.cancel"
"""`{uri?}`"""
APPLY_STAGED = "dlm-synth.applyStaged"
"""`{uri}`"""
REVEAL_SOURCE = "dlm-synth.revealSource"
"""`{uri, sectionId}`: show the source prose section (server: window/showDocument)"""

ALL_COMMANDS: tuple[str, ...] = (
    SYNTHESIZE,
    SYNTHESIZE_DOCUMENT,
    REVERT,
    LIST,
    CANCEL,
    APPLY_STAGED,
    REVEAL_SOURCE,
)

#: JSON values a payload may hold (an LSP range is a nested dict of ints)
Json = str | int | dict[str, "Json"]


def command(title: str, command_id: str, payload: dict[str, Json]) -> lsp.Command:
    """One `lsp.Command` with the payload as its single argument."""
    return lsp.Command(title=title, command=command_id, arguments=[payload])


def range_payload(rng: lsp.Range) -> dict[str, Json]:
    """An LSP range as plain JSON, in the client's own units (what the server's
    `synthesize` handler reads back)."""
    return {
        "start": {"line": rng.start.line, "character": rng.start.character},
        "end": {"line": rng.end.line, "character": rng.end.character},
    }
