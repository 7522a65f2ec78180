"""The `---` frontmatter block: delimiting, YAML, and where each key lives.

YAML is loaded with PyYAML's SafeLoader (YAML 1.1, like upstream) from the composed
node tree, so every value keeps its source marks and schema problems can point at
the exact key instead of upstream's fixed "line 2".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from .problems import Code, Problem
from .text import Span

DELIMITER = "---"
PathPart = str | int
#: how deeply frontmatter collections may nest. PyYAML composes nodes recursively, so
#: a few hundred levels end in a RecursionError (at a depth that depends on how deep
#: the caller's stack already is); no valid dlm frontmatter nests more than five
#: levels, so refusing beyond this changes no accept/reject decision.
MAX_DEPTH = 100


class _Loader(yaml.SafeLoader):
    """PyYAML's SafeLoader (YAML 1.1, as upstream) that refuses nesting deeper than
    MAX_DEPTH with a YAML error at the node that goes too deep."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self._depth >= MAX_DEPTH:
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, f"collections nested more than {MAX_DEPTH} levels deep", mark
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class KeyLocator:
    """Finds the source span of a key path such as ("training", "lora_r")."""

    def __init__(self, root: yaml.Node | None, line_offset: int, fallback: Span) -> None:
        self._root = root
        self._offset = line_offset
        self.fallback = fallback
        #: id of a mapping node (alive as long as `root`) → its key index
        self._index: dict[int, dict[str, tuple[yaml.Node, yaml.Node]]] = {}

    @property
    def root(self) -> yaml.Node | None:
        """The composed node tree (None for an empty block), for checks that need
        what loading forgets, such as a key written twice."""
        return self._root

    def node_span(self, node: yaml.Node) -> Span:
        start, end = node.start_mark, node.end_mark
        return Span.of(start.line + self._offset, start.column, end.line + self._offset, end.column)

    def _children(self, node: yaml.MappingNode) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        """`node`'s scalar keys (the last duplicate wins, as in PyYAML) → (key node,
        value node), indexed once per mapping: a lookup per reported problem must not
        scan every key, or a frontmatter with many unknown keys costs quadratic time."""
        index = self._index.get(id(node))
        if index is None:
            index = {k.value: (k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)}
            self._index[id(node)] = index
        return index

    def _walk(self, path: Sequence[PathPart]) -> tuple[yaml.Node | None, yaml.Node | None]:
        """(key node, value node) of the deepest existing element of `path`."""
        key_node: yaml.Node | None = None
        node = self._root
        for part in path:
            if isinstance(node, yaml.MappingNode):
                found = self._children(node).get(str(part))
                if found is None:
                    break
                key_node, node = found
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if part >= len(node.value):
                    break
                key_node, node = node.value[part], node.value[part]
            else:
                break
        return key_node, node

    def key(self, path: Sequence[PathPart]) -> Span:
        """The key itself, or the nearest existing ancestor's key, or the fallback."""
        key_node, _ = self._walk(path)
        return self.node_span(key_node) if key_node is not None else self.fallback

    def value(self, path: Sequence[PathPart]) -> Span:
        key_node, value_node = self._walk(path)
        if value_node is not None and key_node is not None and value_node is not self._root:
            span = self.node_span(value_node)
            if span.start == span.end:  # an empty value: point at the key instead
                return self.node_span(key_node)
            return span
        return self.key(path)

    def has(self, path: Sequence[PathPart]) -> bool:
        node = self._root
        for part in path:
            if not isinstance(node, yaml.MappingNode):
                return False
            found = self._children(node).get(str(part))
            if found is None:
                return False
            node = found[1]
        return True


@dataclass(frozen=True, slots=True)
class Frontmatter:
    """`closer` is the 0-based index of the closing `---` (None when absent);
    `data` the loaded mapping, None when the block could not be read."""

    closer: int | None
    body_raw_first: int
    data: dict[Any, Any] | None
    problems: tuple[Problem, ...]


def find_closer(lines: Sequence[str]) -> int | None:
    for index in range(1, len(lines)):
        if lines[index] == DELIMITER:
            return index
    return None


def _yaml_problem(exc: yaml.YAMLError, lines: Sequence[str]) -> Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is None:
        span = Span.line(lines, 0)
    else:
        row = mark.line + 1
        width = len(lines[row]) if row < len(lines) else 0
        column = min(mark.column, width)
        span = Span.of(row, column, row, max(width, column + 1) if column >= width else width)
    return Problem(Code.YAML_SYNTAX, span, f"invalid YAML: {exc}")


#: checks a loaded mapping (the schema, `schema.validate_frontmatter`)
Validator = Callable[[dict[Any, Any], KeyLocator], Sequence[Problem]]


def parse_frontmatter(lines: Sequence[str], validate: Validator | None = None) -> Frontmatter:
    """The block's extent, YAML and syntax problems; `validate` adds the problems of
    the loaded mapping (this module knows YAML, not what the keys mean)."""
    if not lines or lines[0] != DELIMITER:
        got = repr(lines[0]) if lines else "''"
        # recover by reading the whole text as body, so the outline still works
        return Frontmatter(
            None,
            0,
            None,
            (
                Problem(
                    Code.FRONTMATTER_OPEN,
                    Span.line(lines, 0),
                    f"expected '---' on line 1 to open frontmatter, got {got}",
                ),
            ),
        )
    closer = find_closer(lines)
    if closer is None:
        return Frontmatter(
            None,
            len(lines),
            None,
            (
                Problem(
                    Code.FRONTMATTER_CLOSE,
                    Span.line(lines, 0),
                    "no closing '---' found for frontmatter block",
                ),
            ),
        )
    yaml_text = "\n".join(lines[1:closer])
    opener = Span.line(lines, 0)
    root: yaml.Node | None = None
    data: Any = {}
    if yaml_text.strip():
        try:
            loader = _Loader(yaml_text)
        except yaml.YAMLError as exc:  # the reader refuses non-printable characters up front
            return Frontmatter(closer, closer + 1, None, (_yaml_problem(exc, lines),))
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        except yaml.YAMLError as exc:
            return Frontmatter(closer, closer + 1, None, (_yaml_problem(exc, lines),))
        finally:
            loader.dispose()
    locator = KeyLocator(root, 1, opener)
    if not isinstance(data, dict):
        span = locator.node_span(root) if root is not None else opener
        return Frontmatter(
            closer,
            closer + 1,
            None,
            (
                Problem(
                    Code.FRONTMATTER_NOT_MAPPING,
                    span,
                    f"frontmatter must be a mapping, got {type(data).__name__}",
                ),
            ),
        )
    problems = validate(data, locator) if validate is not None else ()
    return Frontmatter(closer, closer + 1, data, tuple(problems))
