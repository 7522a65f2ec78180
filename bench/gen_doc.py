"""Deterministic generator of a large, realistic `.dlm` document for benchmarks."""

from __future__ import annotations

import random

WORDS = [
    "certificate",
    "renewal",
    "proxy",
    "connection",
    "daemon",
    "cache",
    "index",
    "shard",
    "replica",
    "latency",
    "throughput",
    "budget",
    "gradient",
    "adapter",
    "tokenizer",
    "section",
    "fence",
    "marker",
    "document",
    "corpus",
    "teacher",
    "student",
    "pair",
    "prompt",
    "answer",
    "chosen",
    "rejected",
    "judge",
    "score",
    "parser",
    "editor",
    "schema",
    "version",
    "rotate",
    "expire",
    "reload",
    "signal",
    "kernel",
    "buffer",
    "stream",
    "worker",
    "queue",
]


def _sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def _paragraph(rng: random.Random) -> list[str]:
    return [_sentence(rng, rng.randint(6, 11)) for _ in range(rng.randint(2, 5))]


PLACEHOLDER = "@@source-id-16@@"


def generate(target_bytes: int = 1_000_000, seed: int = 20261124) -> str:
    """A document of about `target_bytes` characters: frontmatter, then prose with
    headings and code blocks, instruction pairs (some auto-synthesised), preference
    triples and image sections, in a fixed pseudo-random mix."""
    rng = random.Random(seed)
    lines = [
        "---",
        "dlm_id: 01KPQ9X1000000000000000042",
        "dlm_version: 15",
        "base_model: smollm2-135m",
        "training:",
        "  adapters:",
        "    tone:",
        "      lora_r: 8",
        "    facts: {}",
        "---",
        "",
    ]
    size = sum(len(line) + 1 for line in lines)
    index = 0
    while size < target_bytes:
        start = len(lines)
        kind = rng.random()
        if kind < 0.30:
            if index:
                lines.append("::prose::")
            lines.append(f"# Topic {index}: {rng.choice(WORDS)} {rng.choice(WORDS)}")
            lines.append("")
            for _ in range(rng.randint(1, 3)):
                lines += _paragraph(rng)
                lines.append("")
            if rng.random() < 0.5:
                lines += ["```python", f"def f_{index}(x):", "    return x + 1", "```", ""]
            lines.append(f"## Details {index}")
            lines += _paragraph(rng)
            lines.append("")
        elif kind < 0.65:
            lines.append(rng.choice(["::instruction::", "::instruction#facts::", "::instruction#tone::"]))
            if rng.random() < 0.5:
                lines.append(
                    '<!-- dlm-auto-synth: synth_teacher="self" synth_strategy="extraction" '
                    f'synth_at="2026-11-20T09:12:00Z" source_section_id="{PLACEHOLDER}" -->'
                )
            for _ in range(rng.randint(1, 3)):
                lines += ["### Q", _sentence(rng, rng.randint(6, 12)), "", "### A"]
                lines += _paragraph(rng)
                lines.append("")
        elif kind < 0.85:
            lines.append("::preference::")
            lines += ["### Prompt", _sentence(rng, 10), "", "### Chosen"]
            lines += _paragraph(rng)
            lines += ["", "### Rejected"]
            lines += _paragraph(rng)
            lines.append("")
        else:
            lines.append(f'::image path="figures/fig_{index}.png" alt="figure {index}"::')
            lines.append(_sentence(rng, 12))
            lines.append("")
        size += sum(len(line) + 1 for line in lines[start:])
        index += 1
    text = "\n".join(lines) + "\n"
    return _link_provenance(text, rng)


def _link_provenance(text: str, rng: random.Random) -> str:
    """Point every synth marker at a real prose section (ids are 16 characters, like the
    placeholder, so no line moves), so the document has no stale provenance."""
    from dlm_synth_lsp.document.document import parse_text

    prose = [s.section_id for s in parse_text(text).sections if s.type == "prose"]
    pieces = text.split(PLACEHOLDER)
    out = [pieces[0]]
    for piece in pieces[1:]:
        out += [rng.choice(prose), piece]
    return "".join(out)


if __name__ == "__main__":
    import sys

    sys.stdout.write(generate())
