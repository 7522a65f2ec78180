"""The VS Code extension against the server: its manifest (editors/vscode/package.json)
and its copy of the command contract (editors/vscode/src/protocol.ts).

Every server setting must be contributed as `dlmSynth.<camelCase>` with the same
default, enum and type, and with bounds the server agrees with; protocol.ts must
mirror lsp/protocol.py field by field (ids, every argument and result interface: the
same keys, the same optionality, the same types); every server command the extension
sends must exist on the server; palette command ids must differ from the server's
(vscode-languageclient registers the server's ids as VS Code commands itself).
"""

from __future__ import annotations

import json
import re
import types
import typing
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import attrs
import pytest
from dlm_synth_lsp.lsp import protocol
from dlm_synth_lsp.lsp import protocol as server_commands
from dlm_synth_lsp.lsp.config import SECTION, Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
EXTENSION = ROOT / "editors" / "vscode"
MANIFEST = json.loads((EXTENSION / "package.json").read_text(encoding="utf-8"))
PROPERTIES: dict[str, dict[str, Any]] = MANIFEST["contributes"]["configuration"]["properties"]
FIELDS = attrs.fields(Settings)

#: settings that belong to the client only
CLIENT_ONLY = {f"{SECTION}.server.path", f"{SECTION}.trace.server"}
#: settings that name a program, an endpoint or a store: an untrusted workspace must not set them
MUST_BE_RESTRICTED = {
    f"{SECTION}.server.path",
    f"{SECTION}.teacher",
    f"{SECTION}.fallbackTeachers",
    f"{SECTION}.dlmHome",
}


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def key(field: attrs.Attribute[Any]) -> str:
    return f"{SECTION}.{camel(field.name)}"


def json_types(tp: Any) -> set[str]:
    """The JSON schema types a Python annotation corresponds to."""
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return set().union(*(json_types(arg) for arg in get_args(tp)))
    if tp is type(None):
        return {"null"}
    if origin is Literal:
        return {"string"}
    if origin is tuple:
        return {"array"}
    return {bool: {"boolean"}, int: {"integer"}, float: {"number"}, str: {"string"}}[tp]


def literal_choices(tp: Any) -> set[str] | None:
    if get_origin(tp) is Literal:
        return set(get_args(tp))
    return None


def declared_types(spec: dict[str, Any]) -> set[str]:
    value = spec["type"]
    return set(value) if isinstance(value, list) else {value}


def test_every_setting_has_an_input_box_in_the_settings_ui() -> None:
    """VS Code's Settings UI edits a plain type, a number-or-null and an
    integer-or-null in place; any other union gets only "Edit in settings.json"."""
    for name, spec in PROPERTIES.items():
        types = declared_types(spec)
        assert len(types) == 1 or types in ({"number", "null"}, {"integer", "null"}), name


def test_every_server_setting_is_contributed_and_nothing_else() -> None:
    server_keys = {key(f) for f in FIELDS}
    assert set(PROPERTIES) - CLIENT_ONLY == server_keys
    assert set(PROPERTIES) >= CLIENT_ONLY


def _empty_means_default(field: attrs.Attribute[Any]) -> bool:
    """A nullable string setting is contributed as a plain string whose default is ""
    (VS Code's Settings UI has no input box for a string-or-null); the server reads
    "" as its own default."""
    return field.default is None and json_types(field.type) == {"string", "null"}


@pytest.mark.parametrize("field", FIELDS, ids=lambda f: camel(f.name))
def test_setting_matches_the_server(field: attrs.Attribute[Any]) -> None:
    spec = PROPERTIES[key(field)]
    default = list(field.default) if isinstance(field.default, tuple) else field.default
    if _empty_means_default(field):
        assert spec["default"] == "" and spec["type"] == "string", "editable in the Settings UI"
        settings, problems = load_settings({camel(field.name): ""})
        assert problems == [] and getattr(settings, field.name) is None, '"" is the server default'
        return
    assert spec["default"] == default, "same default as the server"
    assert type(spec["default"]) is type(default) or isinstance(default, float), "same JSON type of default"
    choices = literal_choices(field.type)
    if choices is None:
        assert "enum" not in spec
    else:
        assert set(spec["enum"]) == choices, "same enum as the server"
        assert len(spec.get("enumDescriptions", spec["enum"])) == len(spec["enum"])
    assert declared_types(spec) == json_types(field.type), "same type (and nullability)"
    assert spec.get("description") or spec.get("markdownDescription")
    # the contributed default passes the server's own validation
    settings, problems = load_settings({camel(field.name): spec["default"]})
    assert problems == []
    assert getattr(settings, field.name) == field.default


@pytest.mark.parametrize(
    "name", sorted(k for k, v in PROPERTIES.items() if {"minimum", "exclusiveMinimum", "maximum"} & v.keys())
)
def test_bounds_agree_with_the_server(name: str) -> None:
    spec = PROPERTIES[name]
    short = name.removeprefix(f"{SECTION}.")
    integer = "integer" in declared_types(spec)
    step = 1 if integer else 1e-6

    def accepted(value: float) -> bool:
        return load_settings({short: value})[1] == []

    if "minimum" in spec:
        assert accepted(spec["minimum"]), f"{name}: the minimum itself is valid"
        assert not accepted(spec["minimum"] - step), f"{name}: below the minimum is refused"
    if "exclusiveMinimum" in spec:
        assert not accepted(spec["exclusiveMinimum"]), f"{name}: the exclusive minimum is refused"
        assert accepted(spec["exclusiveMinimum"] + (1 if integer else 1e-3))
    if "maximum" in spec:
        assert accepted(spec["maximum"])
        assert not accepted(spec["maximum"] + step)


def test_untrusted_workspaces_cannot_name_programs_or_endpoints() -> None:
    untrusted = MANIFEST["capabilities"]["untrustedWorkspaces"]
    assert untrusted["supported"] == "limited"
    restricted = set(untrusted["restrictedConfigurations"])
    assert restricted >= MUST_BE_RESTRICTED
    assert restricted <= set(PROPERTIES)
    # the client filters the same keys itself (src/settings.ts RESTRICTED_KEYS)
    source = (EXTENSION / "src" / "settings.ts").read_text(encoding="utf-8")
    block = re.search(r"RESTRICTED_KEYS[^=]*=\s*\[(.*?)\]", source, re.DOTALL)
    assert block is not None
    listed = {f"{SECTION}.{k}" for k in re.findall(r"'([^']+)'", block.group(1))}
    assert listed == restricted


PROTOCOL_TS = (EXTENSION / "src" / "protocol.ts").read_text(encoding="utf-8")


def _extension_server_ids() -> dict[str, str]:
    block = re.search(r"ServerCommand = \{(.*?)\}", PROTOCOL_TS, re.DOTALL)
    assert block is not None
    return dict(re.findall(r"(\w+):\s*'([^']+)'", block.group(1)))


def _ts_aliases() -> dict[str, set[str]]:
    """`export type X = 'a' | 'b';` → {X: {"'a'", "'b'"}}"""
    return {
        name: {part.strip() for part in body.split("|")}
        for name, body in re.findall(r"export type (\w+) = ([^;(]+);", PROTOCOL_TS)
    }


def _ts_interfaces() -> dict[str, dict[str, tuple[bool, set[str]]]]:
    """interface → field → (optional, the set of types of its union), bases merged in."""
    aliases = _ts_aliases()
    found: dict[str, dict[str, tuple[bool, set[str]]]] = {}
    pattern = r"export interface (\w+)(?: extends (\w+))? \{(.*?)\n\}"
    for name, base, body in re.findall(pattern, PROTOCOL_TS, re.DOTALL):
        fields = dict(found[base]) if base else {}
        for key, optional, union in re.findall(r"^\s*(\w+)(\??): ([^;]+);", body, re.MULTILINE):
            types: set[str] = set()
            for part in (p.strip() for p in union.split("|")):
                types |= aliases.get(part, {part})
            fields[key] = (optional == "?", types)
        found[name] = fields
    return found


def _py_types(tp: Any) -> set[str]:
    """A Python annotation as the TypeScript types it corresponds to."""
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return set().union(*(_py_types(arg) for arg in get_args(tp)))
    if origin is Literal:
        return {f"'{value}'" for value in get_args(tp)}
    if origin in (list, tuple):  # tuple[X, ...] arrives as a JSON array too
        (item,) = _py_types(get_args(tp)[0])
        return {f"{item}[]"}
    if origin is dict:
        return {"Record<string, unknown>"}
    if tp is type(None):
        return {"null"}
    simple = {str: "string", int: "number", float: "number", bool: "boolean"}
    return {simple.get(tp, getattr(tp, "__name__", str(tp)))}


CONTRACT = [*protocol.ARGUMENTS, *protocol.RESULTS]


def test_every_contract_class_has_an_interface_and_nothing_else() -> None:
    assert set(_ts_interfaces()) == {cls.__name__ for cls in CONTRACT}


@pytest.mark.parametrize("cls", CONTRACT, ids=lambda c: c.__name__)
def test_interface_mirrors_the_server_class_field_by_field(cls: type) -> None:
    ts = _ts_interfaces()[cls.__name__]
    py = {key: tp for _, key, tp in protocol.wire_fields(cls)}
    assert list(ts) == list(py), "same keys, in the same order"
    has_default = (
        {protocol.camel(f.name) for f in attrs.fields(cls) if f.default is not attrs.NOTHING}
        if cls in protocol.ARGUMENTS
        else set()
    )
    for key, tp in py.items():
        optional, ts_types = ts[key]
        # an argument key with a default may be left out; every result key is always sent
        assert optional == (key in has_default), f"{key}: optional on one side only"
        assert ts_types == _py_types(tp), f"{key}: {ts_types} vs {_py_types(tp)}"


def test_server_ids_are_mirrored() -> None:
    assert tuple(_extension_server_ids().values()) == server_commands.ALL_COMMANDS


def test_every_server_command_the_extension_sends_exists_on_the_server() -> None:
    ids = _extension_server_ids()
    commands_ts = (EXTENSION / "src" / "commands.ts").read_text(encoding="utf-8")
    sent = set(re.findall(r"ServerCommand\.(\w+)", commands_ts))
    assert sent, "commands.ts sends server commands"
    assert sent <= set(ids)
    # and the server registers them for workspace/executeCommand
    from dlm_synth_lsp.lsp.server import server

    assert {ids[name] for name in sent} <= set(server.protocol.fm.commands)


def test_palette_commands_differ_from_server_commands() -> None:
    palette = {c["command"] for c in MANIFEST["contributes"]["commands"]}
    assert palette.isdisjoint(server_commands.ALL_COMMANDS)
    assert all(c["category"] == "DLM" for c in MANIFEST["contributes"]["commands"])
    menus = MANIFEST["contributes"]["menus"]["commandPalette"]
    assert {m["command"] for m in menus} == palette
    assert all(m["when"] == "editorLangId == dlm" for m in menus)


def test_language_and_grammar_files_exist() -> None:
    contributes = MANIFEST["contributes"]
    assert contributes["languages"][0]["extensions"] == [".dlm"]
    assert (EXTENSION / contributes["languages"][0]["configuration"]).is_file()
    assert (EXTENSION / contributes["grammars"][0]["path"]).is_file()
    assert (EXTENSION / "package-lock.json").is_file(), "the lockfile is committed"


def test_semantic_token_modifiers_and_editor_defaults() -> None:
    """Every non-standard modifier the server sends is contributed (VS Code ignores
    unknown ones) and scoped for themes; in `.dlm` files semantic highlighting is on
    and word-based suggestions are off, so prose (where the server offers nothing)
    never pops a list of document words."""
    from dlm_synth_lsp.document.semantic_tokens import TOKEN_MODIFIERS, TOKEN_TYPES

    contributes = MANIFEST["contributes"]
    assert [m["id"] for m in contributes["semanticTokenModifiers"]] == list(TOKEN_MODIFIERS)
    [scopes] = contributes["semanticTokenScopes"]
    assert scopes["language"] == "dlm" and set(scopes["scopes"]) == {f"*.{m}" for m in TOKEN_MODIFIERS}
    from lsprotocol.types import SemanticTokenModifiers, SemanticTokenTypes

    assert set(TOKEN_TYPES) <= {t.value for t in SemanticTokenTypes}  # no custom types to contribute
    assert not set(TOKEN_MODIFIERS) & {m.value for m in SemanticTokenModifiers}
    defaults = contributes["configurationDefaults"]["[dlm]"]
    assert defaults == {"editor.semanticHighlighting.enabled": True, "editor.wordBasedSuggestions": "off"}
