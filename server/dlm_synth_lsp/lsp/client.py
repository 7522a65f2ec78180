"""What the connected client can do, resolved once at `initialize`.

Every decision that depends on the client (send progress? ask the user to pick an
alternative? versioned `documentChanges` or plain `changes`?
pull settings with `workspace/configuration`?) reads one field of `ClientProfile`
instead of walking the capability tree where it is needed, so the two client
profiles the tests run under (VS Code, Neovim 0.11) differ in one visible place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lsprotocol import types as lsp

from ..document.text import PositionEncoding
from .convert import encoding_of
from .protocol import EXPERIMENTAL


def _flag(caps: Any, *path: str) -> bool:
    node = caps
    for name in path:
        node = getattr(node, name, None)
        if node is None:
            return False
    return bool(node)


@dataclass(frozen=True, slots=True)
class ClientProfile:
    """Defaults describe a client that declared nothing (before `initialize`)."""

    #: the negotiated column unit of positions
    encoding: PositionEncoding = PositionEncoding.UTF16
    #: server-initiated `window/workDoneProgress/create` and `$/progress`
    work_done_progress: bool = False
    #: `window/showMessageRequest` (the cold-start question)
    message_actions: bool = False
    #: versioned `documentChanges` in a workspace edit
    document_changes: bool = False
    #: `workspace/configuration` (settings are pulled, per document)
    configuration: bool = False
    #: the client shows every command result's `message` and runs our client
    #: commands (`experimental.dlmSynth.resultMessages`, protocol.py): the server then
    #: never also sends `window/showMessage` about an outcome
    result_messages: bool = False
    #: a `window/showMessageRequest` answer may carry data besides its title
    #: (`messageActionItem.additionalPropertiesSupport`): a choice can say which
    #: setting to remember
    choice_data: bool = False
    #: snippet syntax in completion items (placeholders, choices); plain text otherwise
    snippets: bool = False

    @classmethod
    def resolve(
        cls, caps: lsp.ClientCapabilities, encoding: lsp.PositionEncodingKind | str | None
    ) -> ClientProfile:
        return cls(
            encoding=encoding_of(encoding),
            work_done_progress=_flag(caps, "window", "work_done_progress"),
            message_actions=_flag(caps, "window", "show_message"),
            document_changes=_flag(caps, "workspace", "workspace_edit", "document_changes"),
            configuration=_flag(caps, "workspace", "configuration"),
            result_messages=_experimental(caps, "resultMessages"),
            choice_data=_flag(
                caps, "window", "show_message", "message_action_item", "additional_properties_support"
            )
            or _experimental(caps, "resultMessages"),
            snippets=_flag(caps, "text_document", "completion", "completion_item", "snippet_support"),
        )


def _experimental(caps: lsp.ClientCapabilities, name: str) -> bool:
    """`experimental.dlmSynth.<name>` is true (`experimental` is free-form JSON)."""
    experimental = caps.experimental
    ours = experimental.get(EXPERIMENTAL) if isinstance(experimental, dict) else None
    return isinstance(ours, dict) and ours.get(name) is True
