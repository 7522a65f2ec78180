"""Upstream's base-model registry, as data.

`base_model` is either a registry key (`qwen2.5-1.5b`) or `hf:<org>/<name>`. Upstream's
parser only checks that it is a non-empty string; an unknown key fails much later, when
`dlm train` resolves it. The registry's facts (Hugging Face id, size, context, licence,
gating) are kept in `data/base_models.json`, generated from the upstream package by
`scripts/gen_base_models.py` and compared with it by a test, so completion, hover and
the unknown-key warning agree with the `dlm` version we are compatible with.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from rapidfuzz import fuzz, process

HF_PREFIX = "hf:"


@dataclass(frozen=True, slots=True)
class BaseModel:
    """One registry entry; field names are upstream's."""

    key: str
    hf_id: str
    revision: str
    architecture: str
    params: int
    context_length: int
    context_length_effective: int | None
    recommended_seq_len: int
    size_gb_fp16: float
    modality: str
    template: str
    license_spdx: str
    license_url: str | None
    requires_acceptance: bool
    redistributable: bool
    trust_remote_code: bool
    reasoning_tuned: bool

    @property
    def gated(self) -> bool:
        """Hugging Face asks the user to accept the licence before downloading."""
        return self.requires_acceptance


@dataclass(frozen=True, slots=True)
class Registry:
    source: str  # "document-language-model 0.10.0"
    models: tuple[BaseModel, ...]

    def get(self, key: str) -> BaseModel | None:
        return _by_key(self).get(key)


@cache
def _by_key(registry: Registry) -> dict[str, BaseModel]:
    return {model.key: model for model in registry.models}


@cache
def registry() -> Registry:
    raw: dict[str, Any] = json.loads(files(__package__).joinpath("data/base_models.json").read_text("utf-8"))
    return Registry(raw["source"], tuple(BaseModel(**entry) for entry in raw["models"]))


def is_hf(value: str) -> bool:
    return value.startswith(HF_PREFIX)


# -- text ------------------------------------------------------------------------------


def params_text(params: int) -> str:
    """135000000 → "135M", 1500000000 → "1.5B"."""
    if params >= 1_000_000_000:
        return f"{params / 1e9:.3g}B"
    return f"{params / 1e6:.3g}M"


def context_text(tokens: int) -> str:
    """32768 → "32k" (powers of two read as k of 1024, as model cards write them)."""
    return f"{tokens // 1024}k" if tokens % 1024 == 0 else f"{tokens:,}"


def summary(model: BaseModel) -> str:
    """One line for a completion list: id, size, context, licence, gating."""
    parts = [model.hf_id, params_text(model.params), f"{context_text(model.context_length)} context"]
    parts.append(model.license_spdx)
    if model.gated:
        parts.append("gated")
    return " · ".join(parts)


def card(model: BaseModel, source: str) -> str:
    """A markdown card for hover and completion documentation. Values come from the
    generated data, never from the document, so nothing needs escaping except what
    is shown in code spans."""
    licence = f"[{model.license_spdx}]({model.license_url})" if model.license_url else model.license_spdx
    context = f"{model.context_length:,} tokens"
    if model.context_length_effective is not None:
        context += f" ({model.context_length_effective:,} usable)"
    rows = [
        f"**{model.key}** — `{model.hf_id}`",
        "",
        f"- parameters: {params_text(model.params)} (about {model.size_gb_fp16:g} GB in fp16)",
        f"- context: {context}; recommended `sequence_len` {model.recommended_seq_len:,}",
        f"- licence: {licence}" + ("" if model.redistributable else " (not redistributable)"),
        "- gated: " + ("yes, accept the licence on Hugging Face before `dlm train`" if model.gated else "no"),
        f"- modality: {model.modality}" + (", reasoning-tuned" if model.reasoning_tuned else ""),
        f"- architecture: `{model.architecture}`, chat template `{model.template}`",
    ]
    if model.trust_remote_code:
        rows.append("- loads code from its repository (`trust_remote_code`)")
    rows += ["", f"revision `{model.revision[:12]}` · registry of {source}"]
    return "\n".join(rows)


def hf_card() -> str:
    return "\n".join(
        [
            "**`hf:<org>/<name>`** — any Hugging Face model outside the registry",
            "",
            "`dlm train` probes it first (architecture, tokenizer, export support) and refuses "
            "models it cannot train or export.",
        ]
    )


# -- checking a value ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verdict:
    """Why a `base_model` value is not a registry key, and what would fix it:
    `suggestion` is a registry key, `hf` the `hf:` form of an `org/name` value."""

    message: str
    suggestion: str | None = None
    hf: str | None = None


def check(value: str) -> Verdict | None:
    """None for a registry key or an `hf:` value; otherwise what is wrong."""
    reg = registry()
    if is_hf(value) or reg.get(value) is not None:
        return None
    suggestion = _closest(value, reg)
    hf = HF_PREFIX + value if _looks_like_hf_id(value) else None
    message = (
        f"unknown base model {value!r}: not in the registry of {reg.source}, so `dlm train` will refuse it"
    )
    if suggestion is not None:
        message += f" (did you mean '{suggestion}'?)"
    if hf is not None:
        message += f"; write '{hf}' for that Hugging Face model"
    else:
        message += "; write hf:<org>/<name> for any other Hugging Face model"
    return Verdict(message, suggestion, hf)


def _looks_like_hf_id(value: str) -> bool:
    org, slash, name = value.partition("/")
    return bool(slash and org and name and "/" not in name and " " not in value)


def _closest(value: str, reg: Registry) -> str | None:
    lowered = value.strip().lower()
    for model in reg.models:  # a key in the wrong case, or the model's Hugging Face id
        if lowered in (model.key.lower(), model.hf_id.lower()):
            return model.key
    keys = [model.key for model in reg.models]
    found = process.extractOne(lowered, keys, scorer=fuzz.ratio, score_cutoff=75)
    return str(found[0]) if found is not None else None
