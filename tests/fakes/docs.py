"""The small two-section document the CLI, language-server and Neovim tests share:
prose, a hand-written instruction pair, then a fenced prose section."""

from __future__ import annotations


def cache_notes(
    dlm_id: str, *, comment: str | None = None, heading_suffix: str = "", second_fence: str = "::prose::"
) -> str:
    """`comment` adds a YAML comment line (it must survive edits); `second_fence` may be
    misspelled to provoke a diagnostic; `heading_suffix` adds e.g. an astral character."""
    comment_line = f"# {comment}\n" if comment else ""
    return f"""---
{comment_line}dlm_id: {dlm_id}
base_model: smollm2-135m
---
# Cache blocking

Tiled loops keep a block of A in the L2 cache. Each block is reused for a whole row
of B. The block size is chosen so that three tiles fit in the cache at once.

::instruction::
### Q
What is a tile?
### A
A sub-matrix processed as a unit.

{second_fence}
# Vector units{heading_suffix}

AVX-512 registers hold eight doubles. Two FMA units give sixteen flops per cycle.
"""
