"""Frontmatter schema validation (placeholder: required keys only)."""

from __future__ import annotations

from typing import Any

from .frontmatter import KeyLocator
from .problems import Code, Problem


def validate_frontmatter(data: dict[Any, Any], locator: KeyLocator) -> list[Problem]:
    problems: list[Problem] = []
    for key in ("dlm_id", "base_model"):
        if key not in data:
            problems.append(
                Problem(Code.SCHEMA_MISSING_KEY, locator.fallback, f"{key}: Field required")
            )
    return problems
