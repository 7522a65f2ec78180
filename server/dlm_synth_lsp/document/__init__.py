"""The protocol-free `.dlm` document core: text in, immutable model and edits out.

Nothing here does I/O or imports an editor protocol; the language server and the CLI
are both thin layers over it.
"""

from .document import Document, TextChange, body_bounds, parse_bytes, parse_text
from .model import Section, SectionType, section_id
from .problems import Code, Problem, Severity
from .text import DlmEncodingError, Position, PositionEncoding, Span

__all__ = [
    "Code",
    "DlmEncodingError",
    "Document",
    "Position",
    "PositionEncoding",
    "Problem",
    "Section",
    "SectionType",
    "Severity",
    "Span",
    "TextChange",
    "body_bounds",
    "parse_bytes",
    "parse_text",
    "section_id",
]
