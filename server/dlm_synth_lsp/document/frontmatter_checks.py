"""Frontmatter problems that upstream's loader never reports.

- A key written twice in one mapping: YAML (PyYAML, as upstream loads it) silently
  keeps the last value, so the author's earlier line does nothing. Reported at every
  later occurrence, naming the first.
- A `base_model` that is neither a registry key nor `hf:<org>/<name>`: the parser
  accepts any non-empty string and `dlm train` refuses it much later.

Both are warnings (upstream accepts the document; training goes wrong), and both run
on the composed node tree, so they point at the exact key or value.
"""

from __future__ import annotations

from typing import Any

import yaml

from .base_models import check
from .frontmatter import KeyLocator
from .problems import Code, Problem


def check_frontmatter(data: dict[Any, Any], locator: KeyLocator) -> list[Problem]:
    return [*duplicate_keys(locator.root, locator), *unknown_base_model(data, locator)]


def duplicate_keys(root: yaml.Node | None, locator: KeyLocator) -> list[Problem]:
    found: list[Problem] = []
    seen_nodes: set[int] = set()  # aliases can share (or even nest) nodes
    stack: list[tuple[yaml.Node, str]] = [(root, "")] if root is not None else []
    while stack:
        node, where = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict[str, yaml.Node] = {}
            for key, value in node.value:
                name = key.value if isinstance(key, yaml.ScalarNode) else None
                dotted = f"{where}.{name}" if where else str(name)
                if name is not None and name != "<<":
                    earlier = first.setdefault(name, key)
                    if earlier is not key:
                        found.append(_duplicate(dotted, name, earlier, key, locator))
                stack.append((value, dotted))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, f"{where}[{index}]") for index, item in enumerate(node.value))
    found.sort(key=lambda p: (p.span.start.line, p.span.start.column))
    return found


def _duplicate(dotted: str, name: str, earlier: yaml.Node, key: yaml.Node, locator: KeyLocator) -> Problem:
    first = locator.node_span(earlier).start.line
    return Problem(
        Code.DUPLICATE_KEY,
        locator.node_span(key),
        f"duplicate key '{dotted}': it is already set on line {first + 1}; YAML keeps only "
        "this later value and silently drops the earlier one",
        (("key", name), ("first_line", str(first))),
    )


def unknown_base_model(data: dict[Any, Any], locator: KeyLocator) -> list[Problem]:
    value = data.get("base_model")
    if not isinstance(value, str) or not value:
        return []  # missing or not a string: the schema says so
    verdict = check(value)
    if verdict is None:
        return []
    details = [("value", value)]
    if verdict.suggestion is not None:
        details.append(("suggestion", verdict.suggestion))
    if verdict.hf is not None:
        details.append(("hf", verdict.hf))
    return [Problem(Code.UNKNOWN_BASE_MODEL, locator.value(("base_model",)), verdict.message, tuple(details))]
