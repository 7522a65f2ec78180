"""Editor features as pure functions of a Document snapshot.

No server object and no I/O: each takes the parsed `Document` (plus the uri,
positions in the client's encoding, ...) and returns lsprotocol values, so every
feature is unit-tested headless and the server only wires requests to them.
"""

from __future__ import annotations

from .code_actions import code_actions
from .code_lens import code_lenses
from .completion import completions
from .folding import folding_ranges
from .hover import hover
from .navigation import definition
from .semantic_tokens import LEGEND, SemanticTokensStore
from .symbols import document_symbols

__all__ = [
    "LEGEND",
    "SemanticTokensStore",
    "code_actions",
    "code_lenses",
    "completions",
    "definition",
    "document_symbols",
    "folding_ranges",
    "hover",
]
