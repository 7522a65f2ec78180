"""The architecture's invariants (docs/architecture.md, "Invariants" and "Layers"),
checked on the source itself so a change that breaks one fails here, by name.

The import graph is read from the syntax tree: every `import` counts, the ones
inside functions and `TYPE_CHECKING` blocks too (a lazy import still ties two
modules together), plus the backends `synth/backends.py` names by module path.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "server" / "dlm_synth_lsp"
ROOT = "dlm_synth_lsp"
PROTOCOL_LIBRARIES = ("pygls", "lsprotocol")
HEAVY = ("torch", "transformers", "peft", "openai", "anthropic", "llama_cpp")

#: what each layer may import from the package (itself included); the key is
#: the top-level part of a module name under dlm_synth_lsp
LAYERS: dict[str, set[str]] = {
    "document": {"document"},
    "synth": {"document", "synth"},
    "lsp": {"document", "synth", "lsp", "__init__"},
    "cli": {"document", "synth", "lsp", "cli", "__init__"},
    "__main__": {"cli"},
    "__init__": set(),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(importer: str, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    is_package = modules()[importer].name == "__init__.py"
    base = importer.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports_of(name: str) -> Iterator[tuple[str, int]]:
    """(imported module, line) for every import statement in module `name`."""
    tree = ast.parse(modules()[name].read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(name, node)
            yield target, node.lineno
            for alias in node.names:
                # `from . import features` imports a module, not a name
                yield f"{target}.{alias.name}", node.lineno


def _backend_modules() -> list[str]:
    from dlm_synth_lsp.synth import backends

    return sorted({b.module for b in backends.BACKENDS.values()} | {backends.SWAY_JUDGE.module})


@cache
def graph() -> dict[str, set[str]]:
    """Module → the package modules it imports."""
    known = modules()
    edges: dict[str, set[str]] = {name: set() for name in known}
    for name in known:
        for target, _ in imports_of(name):
            if target in known and target != name:
                edges[name].add(target)
    for target in _backend_modules():
        edges[f"{ROOT}.synth.backends"].add(target)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(edges[node]):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def layer(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_the_scanner_sees_lazy_and_relative_imports() -> None:
    edges = graph()
    # relative, at module level
    assert f"{ROOT}.document.text" in edges[f"{ROOT}.document.document"]
    # inside a function (lsp/main.py imports the server when it starts)
    assert f"{ROOT}.lsp.server" in edges[f"{ROOT}.lsp.main"]
    # a backend chosen at run time
    assert f"{ROOT}.synth.teachers.openai_teacher" in edges[f"{ROOT}.synth.backends"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles() -> None:
    assert cycles(graph()) == []


def test_layers_import_only_downwards() -> None:
    wrong = [
        f"{name} imports {target}"
        for name, targets in graph().items()
        for target in sorted(targets)
        if layer(target) not in LAYERS[layer(name)]
    ]
    assert wrong == []


@pytest.mark.parametrize("core", ["document", "synth"])
def test_cores_never_import_an_editor_protocol(core: str) -> None:
    found = [
        f"{name}:{line} imports {target}"
        for name in modules()
        if layer(name) == core
        for target, line in imports_of(name)
        if target.split(".")[0] in PROTOCOL_LIBRARIES
    ]
    assert found == []


def test_heavy_libraries_are_imported_only_inside_functions() -> None:
    """At module level nothing imports torch, an SDK or llama.cpp, except the
    backend module that exists to wrap it (and is itself imported only when chosen)."""
    wrappers = {
        f"{ROOT}.synth.teachers.openai_teacher": "openai",
        f"{ROOT}.synth.teachers.anthropic_teacher": "anthropic",
    }
    found = []
    for name, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and node.level == 0
                else []
            )
            for imported in names:
                top = imported.split(".")[0]
                if top in HEAVY and wrappers.get(name) != top:
                    found.append(f"{name}:{node.lineno} imports {imported}")
    assert found == []


def test_server_and_cli_start_without_heavy_libraries() -> None:
    code = (
        "import sys, dlm_synth_lsp.lsp.server, dlm_synth_lsp.cli.main, dlm_synth_lsp.synth.pipeline\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == ""
