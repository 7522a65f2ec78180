"""Help on frontmatter text: hover cards and the quick fixes of its problems.

Hover: on a key, what it is for, what it takes and its default; on the `base_model`
value, the registry card (or what `hf:` means, or why the value is unknown).

Quick fixes, as core edits, each checking that the text still says what its
diagnostic claims (a diagnostic can be a version old) and none ever leaving a key
twice in one mapping:

- DLM005 (unknown key with a suggestion): rename it, unless the suggested key is
  already set in that mapping; then remove the misspelled entry, or move its value
  onto the existing key (one-line entries);
- DLM050 (duplicate key): remove this occurrence (the earlier value wins), or the
  earlier one (this value stays, as YAML reads it now);
- DLM051 (unknown base model): the suggested registry key, or the `hf:` form.
"""

from __future__ import annotations

from dataclasses import dataclass

from .base_models import card, check, hf_card, is_hf, registry
from .document import Document
from .edits import TextEdit
from .text import Position, Span
from .yaml_lines import FrontmatterLines, KeyLine, frontmatter_lines, in_frontmatter


@dataclass(frozen=True, slots=True)
class Fix:
    title: str
    edits: tuple[TextEdit, ...]
    preferred: bool = False


# -- hover -------------------------------------------------------------------------------


def hover_at(doc: Document, pos: Position) -> tuple[Span, str] | None:
    """(the hovered key or value, markdown), or None."""
    if not in_frontmatter(doc, pos.line):
        return None
    from .keys import describe, key_doc  # the schema table loads on first use, not at start-up

    structure = frontmatter_lines(doc)
    line = structure.at(pos.line)
    if line is None or line.key is None:
        return None
    path = structure.path_of(line)
    if path is None:
        return None
    full = (*path, line.key)
    if line.col <= pos.column < line.key_end:
        info = key_doc(full)
        if info is None:
            return None
        return Span.of(line.row, line.col, line.row, line.key_end), describe(info)
    if full == ("base_model",) and line.value_start <= pos.column <= line.value_end and not line.empty_value:
        value = _unquoted(doc.lines[line.row][line.value_start : line.value_end])
        return Span.of(line.row, line.value_start, line.row, line.value_end), _model_card(value)
    return None


def _unquoted(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def _model_card(value: str) -> str:
    reg = registry()
    model = reg.get(value)
    if model is not None:
        return card(model, reg.source)
    if is_hf(value):
        return hf_card()
    verdict = check(value)
    return f"**unknown base model** `{value}`\n\n" + (verdict.message if verdict is not None else "")


# -- quick fixes ----------------------------------------------------------------------------


def _key_line(structure: FrontmatterLines, row: int, key: str) -> KeyLine | None:
    line = structure.at(row)
    return line if line is not None and line.key == key else None


def _remove(structure: FrontmatterLines, line: KeyLine) -> TextEdit:
    """Delete the entry's lines (the key and its nested block)."""
    return TextEdit(Position(line.row, 0), Position(structure.entry_stop(line.row), 0), "")


def _one_line(structure: FrontmatterLines, line: KeyLine) -> bool:
    return not line.dash and not line.empty_value and structure.entry_stop(line.row) == line.row + 1


def unknown_key_fixes(doc: Document, span: Span, key: str, suggestion: str) -> list[Fix]:
    if span.start.line != span.end.line or key == suggestion:
        return []
    structure = frontmatter_lines(doc)
    line = _key_line(structure, span.start.line, key)
    if line is None or line.col != span.start.column:
        return []
    path = structure.path_of(line)
    existing = structure.keys_in(path).get(suggestion) if path is not None else None
    if existing is None:
        rename = TextEdit(Position(line.row, line.col), Position(line.row, line.key_end), suggestion)
        return [Fix(f"Rename to '{suggestion}'", (rename,))]
    where = f"'{suggestion}' is already set on line {existing.row + 1}"
    if line.dash:
        return []  # the first key of a list entry: removing its line would remove the entry
    fixes = [Fix(f"Remove '{key}' ({where})", (_remove(structure, line),))]
    if _one_line(structure, line) and _one_line(structure, existing):
        text = doc.lines[line.row][line.value_start : line.value_end]
        move = TextEdit(
            Position(existing.row, existing.value_start), Position(existing.row, existing.value_end), text
        )
        fixes.append(
            Fix(
                f"Move this value to '{suggestion}' on line {existing.row + 1}",
                (move, _remove(structure, line)),
            )
        )
    return fixes


def duplicate_key_fixes(doc: Document, row: int, key: str, first_row: int) -> list[Fix]:
    structure = frontmatter_lines(doc)
    later = _key_line(structure, row, key)
    earlier = _key_line(structure, first_row, key)
    if later is None or earlier is None or later.dash or earlier.dash or first_row >= row:
        return []
    if structure.path_of(later) != structure.path_of(earlier):
        return []
    return [
        Fix(
            f"Remove this '{key}' (keep the value on line {first_row + 1})",
            (_remove(structure, later),),
        ),
        Fix(
            f"Remove the earlier '{key}' on line {first_row + 1} (keep this value)",
            (_remove(structure, earlier),),
            preferred=True,  # what YAML reads today stays as it is
        ),
    ]


def base_model_fixes(
    doc: Document, span: Span, value: str, suggestion: str | None, hf: str | None
) -> list[Fix]:
    row = span.start.line
    if row != span.end.line or not in_frontmatter(doc, row):
        return []
    if _unquoted(doc.lines[row][span.start.column : span.end.column]) != value:
        return []
    fixes = []
    for index, choice in enumerate(c for c in (suggestion, hf) if c):
        edit = TextEdit(span.start, span.end, choice)
        fixes.append(Fix(f"Change to '{choice}'", (edit,), preferred=index == 0))
    return fixes
