"""Classifying one body line as a fence, with upstream's accept/reject rules.

Upstream raises on the first bad fence. We keep going, so each bad fence also says
how to *recover*: a misspelled fence whose intended type is clear still opens that
section (the outline stays useful), anything else stays plain content.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from .model import SECTION_TYPE_NAMES, SectionType
from .problems import Code

FENCE_RE = re.compile(r"^::([A-Za-z0-9_#-]+)::$")
ATTR_FENCE_RE = re.compile(r'^::([a-z][a-z0-9_]*)((?:\s+[a-z][a-z0-9_]*="[^"\n]*")+)\s*::$')
_ATTR_KV_RE = re.compile(r'([a-z][a-z0-9_]*)="([^"\n]*)"')
ADAPTER_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
ADAPTER_PATTERN = ADAPTER_RE.pattern
CODE_FENCE_PREFIX = "```"

#: required and allowed attribute keys of the media fences
ATTR_SPEC: dict[SectionType, tuple[frozenset[str], frozenset[str]]] = {
    SectionType.IMAGE: (frozenset({"path"}), frozenset({"path", "alt"})),
    SectionType.AUDIO: (frozenset({"path", "transcript"}), frozenset({"path", "transcript"})),
}


@dataclass(frozen=True, slots=True)
class FenceProblem:
    code: Code
    message: str
    start: int  # code-point columns on the fence line
    end: int
    data: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Fence:
    """A line the tokenizer treats as a section boundary (possibly with a problem).

    `type` None means the line is *not* a boundary: it is content, and the problem
    (if any) is still reported.
    """

    type: SectionType | None
    adapter: str | None = None
    attrs: dict[str, str] = field(default_factory=dict)
    problem: FenceProblem | None = None


def suggest_type(name: str) -> SectionType | None:
    """The section type a misspelled fence most likely meant, if any is close."""
    lowered = name.lower()
    if lowered in SECTION_TYPE_NAMES:
        return SectionType(lowered)
    best = process.extractOne(lowered, SECTION_TYPE_NAMES, scorer=Levenshtein.distance)
    if best is None:
        return None
    choice, distance, _ = best
    limit = 1 if len(choice) <= 5 else 2
    return SectionType(choice) if distance <= limit else None


def _unknown(name: str, line: str, base: str) -> Fence:
    intended = suggest_type(base)
    message = f"unknown section fence '::{name}::'; valid types are {list(SECTION_TYPE_NAMES)}"
    data: tuple[tuple[str, str], ...] = ()
    if intended is not None:
        message += f" (did you mean '::{intended.value}::'?)"
        data = (("suggestion", f"::{intended.value}::"),)
    problem = FenceProblem(Code.UNKNOWN_FENCE, message, 0, len(line), data)
    if intended is None or intended in ATTR_SPEC:
        return Fence(None, problem=problem)
    return Fence(intended, problem=problem)


def _bare(line: str, name: str) -> Fence:
    base, hashed, adapter = name.partition("#")
    problem: FenceProblem | None = None
    if hashed:
        if not adapter:
            problem = FenceProblem(
                Code.INVALID_ADAPTER,
                f"fence '::{name}::' has an empty adapter suffix after '#'",
                2 + len(base),
                3 + len(base),
            )
        elif not ADAPTER_RE.fullmatch(adapter):
            problem = FenceProblem(
                Code.INVALID_ADAPTER,
                f"fence '::{name}::' has an invalid adapter name {adapter!r} "
                f"(must match {ADAPTER_PATTERN})",
                3 + len(base),
                3 + len(base) + len(adapter),
            )
    if base not in SECTION_TYPE_NAMES:
        # upstream checks the adapter first, but an unknown type is the bigger problem
        return _unknown(name, line, base)
    kind = SectionType(base)
    if kind in ATTR_SPEC:
        return Fence(
            None,
            problem=FenceProblem(
                Code.FENCE_NEEDS_ATTRIBUTES,
                f"fence '::{name}::' requires attributes "
                f'(expected e.g. `::{kind.value} path="..."::`)',
                0,
                len(line),
            ),
        )
    return Fence(kind, (adapter or None) if problem is None else None, problem=problem)


def _attributed(line: str, match: re.Match[str]) -> Fence:
    name, blob_start = match.group(1), match.start(2)
    label = f"'::{name}...::'"
    if name not in SECTION_TYPE_NAMES:
        return Fence(
            None,
            problem=FenceProblem(
                Code.ATTRIBUTE_FENCE,
                f"unknown attribute fence {label}; attribute form is only valid for types "
                f"{sorted(t.value for t in ATTR_SPEC)}",
                2,
                2 + len(name),
            ),
        )
    kind = SectionType(name)
    if kind not in ATTR_SPEC:
        return Fence(
            None,
            problem=FenceProblem(
                Code.ATTRIBUTE_FENCE, f"fence {label} does not take attributes", 0, len(line)
            ),
        )
    required, allowed = ATTR_SPEC[kind]
    attrs: dict[str, str] = {}
    for kv in _ATTR_KV_RE.finditer(match.group(2)):
        key, value = kv.group(1), kv.group(2)
        start, end = blob_start + kv.start(), blob_start + kv.end()
        message = None
        if key in attrs:
            message = f"fence {label} repeats attribute {key!r}"
        elif key not in allowed:
            message = f"fence {label} has unknown attribute {key!r} (allowed: {sorted(allowed)})"
        elif not value.isascii():
            message = f"fence {label} attribute {key!r} contains non-ASCII characters"
        if message is not None:
            return Fence(kind, problem=FenceProblem(Code.ATTRIBUTE_FENCE, message, start, end))
        attrs[key] = value
    missing = sorted(required - attrs.keys())
    if missing:
        return Fence(
            kind,
            attrs=attrs,
            problem=FenceProblem(
                Code.ATTRIBUTE_FENCE,
                f"fence {label} is missing required attribute(s) {missing}",
                0,
                len(line),
            ),
        )
    return Fence(kind, attrs=attrs)


def classify(line: str) -> Fence | None:
    """None for ordinary content; a Fence for anything upstream treats as a fence line."""
    if not line.startswith("::"):
        return None
    match = ATTR_FENCE_RE.match(line)
    if match is not None:
        return _attributed(line, match)
    match = FENCE_RE.match(line)
    if match is not None:
        return _bare(line, match.group(1))
    return None


def looks_like_fence(line: str) -> bool:
    """A line that would be a fence without its surrounding whitespace."""
    stripped = line.strip()
    return stripped != line and bool(FENCE_RE.match(stripped) or ATTR_FENCE_RE.match(stripped))
