"""Go to definition (`textDocument/definition`): from an auto-synth marker to the
prose section it was synthesized from.

The marker's own `source_section_id` is read from the line under the cursor (not
from the section), so with stacked markers each line jumps to the source it names.
Anywhere on the marker line works: the id is the only reference on it.
"""

from __future__ import annotations

from lsprotocol import types as lsp

from ...document import Document
from ...document.marker import SYNTH_RE, source_attribute
from ...document.model import Section
from ...document.outline import index, last_content_line
from ...document.text import PositionEncoding
from ..convert import from_position, line_range


def synth_marker_at(doc: Document, line: int) -> Section | None:
    """The auto-synth section whose (lifted) synth marker is on 0-based `line`."""
    section = doc.section_at(line)
    if section is None or not section.fenced or not section.marker_lines:
        return None
    fence = section.start_line - 1
    if not fence < line <= fence + section.marker_lines or not SYNTH_RE.match(doc.lines[line]):
        return None
    return section


def definition(doc: Document, uri: str, position: lsp.Position, enc: PositionEncoding) -> lsp.Location | None:
    line = from_position(doc, position, enc).line
    if synth_marker_at(doc, line) is None:
        return None
    found = source_attribute(doc.lines[line])
    source = index(doc).prose.get(found[0]) if found else None
    if source is None:
        return None
    first = source.start_line - 1
    return lsp.Location(uri=uri, range=line_range(doc, first, last_content_line(doc, source), enc))
