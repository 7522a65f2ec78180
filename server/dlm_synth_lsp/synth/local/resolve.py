"""Which weights a selector or a document names: upstream's base-model registry
keys, `hf:` targets (a hub id, a model directory, a .gguf file), and a document's
own model (its base plus the store's current adapter, for `self` and `sway`).

Nothing here loads a model or imports torch; `models.py` does the loading.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..staging import ADAPTER_POINTER, current_adapter, store_root
from ..teachers.base import TeacherOptions

# Upstream's base-model registry keys (dlm.base_models.registry) and the Hugging Face
# ids they stand for. Data only: upstream pins revisions and records licences; we
# need just the id to find the weights a `dlm train` already downloaded.
REGISTRY_HF_IDS: dict[str, str] = {
    "qwen2.5-0.5b": "Qwen/Qwen2.5-0.5B-Instruct",
    "qwen2.5-1.5b": "Qwen/Qwen2.5-1.5B-Instruct",
    "qwen2.5-3b": "Qwen/Qwen2.5-3B-Instruct",
    "qwen2.5-coder-1.5b": "Qwen/Qwen2.5-Coder-1.5B-Instruct",
    "qwen3-1.7b": "Qwen/Qwen3-1.7B",
    "qwen3-1.7b-thinking": "Qwen/Qwen3-1.7B",
    "qwen3-4b": "Qwen/Qwen3-4B",
    "qwen3-8b": "Qwen/Qwen3-8B",
    "llama-3.2-1b": "meta-llama/Llama-3.2-1B-Instruct",
    "llama-3.2-3b": "meta-llama/Llama-3.2-3B-Instruct",
    "llama-3.3-8b-instruct": "allura-forge/Llama-3.3-8B-Instruct",
    "smollm3-3b": "HuggingFaceTB/SmolLM3-3B",
    "olmo-2-7b-instruct": "allenai/OLMo-2-1124-7B-Instruct",
    "gemma-2-2b-it": "google/gemma-2-2b-it",
    "gemma-2-9b-it": "google/gemma-2-9b-it",
    "smollm2-135m": "HuggingFaceTB/SmolLM2-135M-Instruct",
    "smollm2-360m": "HuggingFaceTB/SmolLM2-360M-Instruct",
    "smollm2-1.7b": "HuggingFaceTB/SmolLM2-1.7B-Instruct",
    "phi-3.5-mini": "microsoft/Phi-3.5-mini-instruct",
    "phi-4-mini-reasoning": "microsoft/Phi-4-mini-reasoning",
    "mixtral-8x7b-instruct": "mistralai/Mixtral-8x7B-Instruct-v0.1",
    "mistral-small-3.1-24b-instruct": "mistralai/Mistral-Small-3.1-24B-Instruct-2503",
    "paligemma-3b-mix-224": "google/paligemma-3b-mix-224",
    "qwen2-vl-2b-instruct": "Qwen/Qwen2-VL-2B-Instruct",
    "internvl2-2b": "OpenGVLab/InternVL2-2B",
    "internvl3-2b": "OpenGVLab/InternVL3-2B",
    "qwen2-audio-7b-instruct": "Qwen/Qwen2-Audio-7B-Instruct",
}
# Upstream loads these with trust_remote_code=True; we never do, so we refuse them
# up front with a clear reason instead of failing deep inside transformers.
REMOTE_CODE_KEYS = frozenset({"internvl2-2b", "internvl3-2b"})


class LocalModelError(Exception):
    """A local model cannot be resolved or loaded. The message is complete and
    user-facing; teachers re-raise it as TeacherUnavailableError, the judge as
    JudgeUnavailableError, so one loader serves both error vocabularies."""


@dataclass(frozen=True, slots=True)
class ModelSource:
    """Where weights come from. `kind` decides how from_pretrained is called:
    `hub` (an id, from the local Hugging Face cache), `dir` (a local directory) or
    `gguf` (`location` is the .gguf file). `identity` is the user-facing name."""

    kind: Literal["hub", "dir", "gguf"]
    location: str
    identity: str


@dataclass(frozen=True, slots=True)
class DocumentModel:
    """The `self` model of one document: its base and its store's current adapter
    (None before the first `dlm train`)."""

    base: ModelSource
    adapter: Path | None
    store: Path


def resolve_registry_key(key: str) -> str:
    """The Hugging Face id for an upstream registry key or an `hf:org/name` base,
    as written in a document's `base_model`."""
    name = key.strip()
    if name.startswith("hf:"):
        hf_id = name[3:].strip()
        if not hf_id:
            raise LocalModelError("base_model 'hf:' must name a model, e.g. hf:HuggingFaceTB/SmolLM2-135M")
        return hf_id
    if name in REMOTE_CODE_KEYS:
        raise LocalModelError(
            f"base model {name!r} needs trust_remote_code, which dlm-synth-lsp never enables; "
            "pick another teacher (hf:<local model dir>, vllm-server:<url>, openai:<model>)"
        )
    try:
        return REGISTRY_HF_IDS[name]
    except KeyError:
        raise LocalModelError(
            f"unknown base model {name!r}: not an upstream registry key; write base_model as "
            f"hf:<org>/<name> for any Hugging Face model (known keys: {', '.join(REGISTRY_HF_IDS)})"
        ) from None


def _looks_like_path(target: str) -> bool:
    return (
        target.startswith(("/", "~", "./", "../", ".\\", "..\\"))
        or "\\" in target
        or target.lower().endswith(".gguf")
        or (len(target) > 1 and target[1] == ":")  # a Windows drive
    )


def resolve_hf_target(target: str) -> ModelSource:
    """What an `hf:` selector names: a registry key (resolved to its id, as upstream
    records it), an existing directory or .gguf file, else a hub id. A path that does
    not exist is reported here rather than sent to the hub as a bogus id."""
    text = target.strip()
    if text in REGISTRY_HF_IDS or text.startswith("hf:"):
        hf_id = resolve_registry_key(text)
        return ModelSource("hub", hf_id, hf_id)
    path = Path(text).expanduser()
    if path.is_dir():
        return ModelSource("dir", str(path.resolve()), text)
    if path.is_file():
        if path.suffix.lower() != ".gguf":
            raise LocalModelError(
                f"hf:{text}: a file was given but only .gguf files can be loaded; "
                "point hf: at a model directory or a .gguf file"
            )
        return ModelSource("gguf", str(path.resolve()), text)
    if _looks_like_path(text):
        raise LocalModelError(
            f"hf:{text}: no such model directory or .gguf file ({path}); "
            "point hf: at a local model directory or .gguf file"
        )
    return ModelSource("hub", text, text)


def resolve_document_model(base_model: str | None, dlm_id: str | None, home: str | None) -> DocumentModel:
    """Base + current adapter for a document, from its frontmatter values. Missing
    frontmatter is an error; a missing adapter is not (callers word the cold-start
    message for their own context)."""
    if not base_model or not dlm_id:
        raise LocalModelError(
            "the document's base_model and dlm_id are needed to find its trained adapter "
            "(run synthesis on a .dlm document whose frontmatter has both)"
        )
    # an `hf:` base may also name a local model directory (handy for private bases)
    base = resolve_hf_target(resolve_registry_key(base_model))
    try:
        root = store_root(dlm_id, home)
        adapter = current_adapter(dlm_id, home)
    except ValueError as exc:
        raise LocalModelError(str(exc)) from exc
    return DocumentModel(base, adapter, root)


def locate_document_model(options: TeacherOptions) -> DocumentModel:
    """Base and adapter for the document in `options`; LocalModelError if the
    frontmatter or the registry cannot say which base it is."""
    return resolve_document_model(options.base_model, options.dlm_id, options.dlm_home)


def document_label(options: TeacherOptions) -> str:
    """How messages name the document: its path if known, else its dlm_id."""
    if options.document_path is not None:
        return str(options.document_path)
    return options.dlm_id or "this document"


def adapter_problem(options: TeacherOptions, located: DocumentModel) -> str | None:
    """Why the document's adapter cannot be used (the shared middle of the self
    teacher's and the sway judge's cold-start messages), or None when it can."""
    doc = document_label(options)
    if located.adapter is None:
        return (
            f"a trained adapter for {doc}, and {located.store / ADAPTER_POINTER} does not exist. "
            f"Train once with `dlm train {doc}`"
        )
    if not located.adapter.is_dir():
        return (
            f"a trained adapter for {doc}, but {located.store / ADAPTER_POINTER} points at "
            f"{located.adapter}, which does not exist. Retrain with `dlm train {doc}`"
        )
    return None
