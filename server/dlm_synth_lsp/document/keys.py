"""The frontmatter vocabulary for people: every key's place, type, default, allowed
values and a one-line description.

Types, defaults and allowed values are read from the schema table (schema.py), so
completion can never offer a key or value the validator rejects; only the
descriptions are written here, one per key path (a test checks every schema key has
one). Adapter entries (`training.adapters.<name>.*`) share the flat keys' text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .coercion import coerce_bool
from .schema import CURRENT_VERSION, FRONTMATTER
from .specs import AutoOrPositiveInt, Choice, Model, ModelList, ModelMap, Nullable, Scalar, Spec, StrList

Shape = Literal["scalar", "mapping", "named", "list"]

DESCRIPTIONS: dict[str, str] = {
    "dlm_id": "The document's identity (a ULID): names its store of trained adapters.",
    "dlm_version": "Frontmatter format version; without it a document is read as version 1 and migrated.",
    "base_model": "The model to fine-tune: a registry key or hf:<org>/<name>.",
    "training": "How `dlm train` fine-tunes the base model on this document.",
    "export": "Defaults for `dlm export` (quantised GGUF and Modelfile).",
    "system_prompt": "System prompt used when training and when the model is run.",
    "training.adapter": "Adapter method: LoRA, QLoRA (quantised base) or DoRA.",
    "training.lora_r": "LoRA rank: the size of the low-rank update matrices.",
    "training.lora_alpha": "LoRA scaling factor (the update is scaled by alpha / r).",
    "training.lora_dropout": "Dropout applied to the LoRA layers while training.",
    "training.target_modules": "Layers that get adapters: `auto` picks the base model's own list.",
    "training.learning_rate": "Optimizer learning rate.",
    "training.sequence_len": "Longest training sequence in tokens; longer rows are cut.",
    "training.micro_batch_size": "Rows per device step; `auto` sizes it to the hardware.",
    "training.grad_accum": "Steps whose gradients add up before one update; `auto` picks it.",
    "training.num_epochs": "Passes over the training rows.",
    "training.optimizer": "Optimizer; the 8-bit and GaLore variants save memory.",
    "training.lr_scheduler": "How the learning rate changes over the run.",
    "training.warmup_ratio": "Share of the steps spent ramping the learning rate up.",
    "training.precision": "Numeric precision for training; unset lets the hardware decide.",
    "training.seed": "Random seed, for repeatable runs.",
    "training.preference": "Preference tuning (DPO or ORPO) on the ::preference:: sections.",
    "training.preference.enabled": "Run the preference phase after supervised training.",
    "training.preference.method": "Preference objective: DPO, or ORPO (no reference model).",
    "training.preference.hyperparams": "Hyperparameters of the preference phase.",
    "training.preference.hyperparams.beta": "Strength of the pull towards the reference model (DPO).",
    "training.preference.hyperparams.alpha": "Weight of the odds-ratio term (ORPO).",
    "training.preference.hyperparams.learning_rate": "Learning rate of the preference phase.",
    "training.preference.hyperparams.num_epochs": "Passes over the preference triples.",
    "training.preference.loss_type": "DPO loss variant.",
    "training.preference.reference": "Reference model: the base, or the adapter before this phase.",
    "training.cpt": "Continued pre-training on the prose sections.",
    "training.cpt.schedule": "Training curve for prose: `auto` picks by the mix of rows.",
    "training.cpt.embed_warmup_steps": "Steps that also train the embeddings (larger adapters).",
    "training.gate": "A learned router that mixes the named adapters per prompt.",
    "training.gate.enabled": "Train the router after the adapters (needs two or more adapters).",
    "training.gate.hidden_proj_dim": "Hidden size of the router network.",
    "training.gate.steps": "Router training steps.",
    "training.gate.lr": "Router learning rate.",
    "training.gate.cold_start_floor": "Fewest sections per adapter before the router is trained.",
    "training.gate.entropy_lambda": "Keeps the router from sending everything to one adapter.",
    "training.cache": "The cache of tokenised sections in the document's store.",
    "training.cache.enabled": "Cache tokenised sections between runs.",
    "training.cache.max_bytes": "Size limit of the cache in bytes.",
    "training.cache.prune_older_than_days": "Age after which `dlm cache prune` drops entries.",
    "training.audio": "Audio handling for audio-language base models.",
    "training.audio.auto_resample": "Resample clips to the model's rate instead of refusing them.",
    "training.adapters": "Named adapters, each trained on the sections fenced with its #name.",
    "training.sources": "Files and directories read as extra prose at training time.",
    "training.sources.path": "File or directory to read (relative to the document).",
    "training.sources.include": "Glob patterns of the files to read.",
    "training.sources.exclude": "Glob patterns of files to skip.",
    "training.sources.max_bytes_per_file": "Skip files larger than this.",
    "training.sources.max_files": "Read at most this many files from this source.",
    "training.sources_policy": "`strict` keeps source paths inside the document's directory.",
    "export.default_quant": "GGUF quantisation level of `dlm export`.",
    "export.default_temperature": "Sampling temperature written into the exported Modelfile.",
    "export.default_top_p": "Top-p written into the exported Modelfile.",
}


@dataclass(frozen=True, slots=True)
class KeyDoc:
    """What to say about one key. `values` are the complete set of scalar values worth
    offering (choices, booleans, `auto`); `default` is YAML text, None when the key is
    required."""

    name: str
    path: str  # dotted, with list entries and adapter names left out ("training.sources.path")
    shape: Shape
    type_text: str
    description: str
    default: str | None
    values: tuple[str, ...]
    required: bool


def _unwrap(spec: Spec) -> Spec:
    return spec.inner if isinstance(spec, Nullable) else spec


def spec_at(path: Sequence[str | int]) -> Spec | None:
    """The schema spec at a frontmatter path; list entries (ints) and adapter names
    step into the entry's model."""
    spec: Spec = FRONTMATTER
    for part in path:
        spec = _unwrap(spec)
        if isinstance(spec, Model) and isinstance(part, str):
            found = spec.fields.get(part)
            if found is None:
                return None
            spec = found
        elif isinstance(spec, ModelMap | ModelList) and isinstance(part, int) == isinstance(spec, ModelList):
            spec = spec.inner  # an adapter name, or a list entry
        else:
            return None
    return spec


def doc_path(path: Sequence[str | int]) -> str:
    """The DESCRIPTIONS key of a path: list entries dropped, adapter entries mapped to
    the flat training keys."""
    parts = [p for p in path if isinstance(p, str)]
    if parts[:2] == ["training", "adapters"] and len(parts) > 3:
        parts = ["training", *parts[3:]]
    return ".".join(parts)


def keys_at(path: Sequence[str | int]) -> dict[str, KeyDoc] | None:
    """The keys of the mapping at `path`, in schema order; None when `path` is not a
    mapping of the schema (or is the adapter map, whose keys are free names)."""
    spec = spec_at(path)
    spec = _unwrap(spec) if spec is not None else None
    if not isinstance(spec, Model):
        return None
    return {
        name: _doc(name, (*path, name), field, name in spec.required) for name, field in spec.fields.items()
    }


def key_doc(path: Sequence[str | int]) -> KeyDoc | None:
    if not path or not isinstance(path[-1], str):
        return None
    siblings = keys_at(path[:-1])
    return None if siblings is None else siblings.get(path[-1])


def _doc(name: str, path: Sequence[str | int], spec: Spec, required: bool) -> KeyDoc:
    inner = _unwrap(spec)
    shape: Shape = "scalar"
    if isinstance(inner, Model):
        shape = "mapping"
    elif isinstance(inner, ModelMap):
        shape = "named"
    elif isinstance(inner, ModelList) or (isinstance(inner, StrList) and not inner.allow_auto):
        shape = "list"
    dotted = doc_path(path)
    return KeyDoc(
        name=name,
        path=dotted,
        shape=shape,
        type_text=spec.expected(),
        description=DESCRIPTIONS.get(dotted, ""),
        # dlm_version's schema default is the migrated value; absent means version 1
        default=None
        if required or shape in ("mapping", "named") or dotted == "dlm_version"
        else yaml_text(spec.default),
        values=_values(path, inner),
        required=required,
    )


def _values(path: Sequence[str | int], spec: Spec) -> tuple[str, ...]:
    if isinstance(spec, Choice):
        return spec.choices
    if isinstance(spec, Scalar) and spec.coerce is coerce_bool:
        return ("true", "false")
    if isinstance(spec, AutoOrPositiveInt) or (isinstance(spec, StrList) and spec.allow_auto):
        return ("auto",)
    if tuple(path) == ("dlm_version",):
        return (str(CURRENT_VERSION),)
    return ()


def yaml_text(value: Any) -> str:
    """A default as the author would write it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(f'"{item}"' for item in value) + "]"
    return str(value)


def describe(info: KeyDoc) -> str:
    """Markdown for a key: its path, what it is for, what it takes, its default."""
    rows = [f"`{info.path}` — {info.description}" if info.description else f"`{info.path}`", ""]
    rows.append(("Required; expects " if info.required else "Expects ") + f"{info.type_text}.")
    if info.default is not None:
        rows.append(f"Default: `{info.default}`.")
    return "\n".join(rows)
