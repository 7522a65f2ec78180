"""The dlm frontmatter table: every key upstream knows, its type, default and bounds,
the cross-field rules, and the `dlm_version` dispatch with the v1→v2 migration.

The accept/reject decision mirrors upstream (version dispatch, the `training.dpo`
migration, then strict-keys models in lax coercion mode, see `coercion.py`), but the
rules are written here as data in the vocabulary of `specs.py`, with no dependency
on upstream's models. `read_frontmatter` is the frontmatter block with these
problems added; `frontmatter.py` itself knows nothing of the schema.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Final

from .coercion import describe
from .frontmatter import Frontmatter, KeyLocator, parse_frontmatter
from .frontmatter_checks import check_frontmatter
from .problems import Code, Problem
from .specs import (
    FAIL,
    AutoOrPositiveInt,
    Boolean,
    Checker,
    Choice,
    Integer,
    KeyPath,
    Model,
    ModelList,
    ModelMap,
    Nullable,
    Number,
    Sourced,
    Spec,
    StrList,
    Text,
    dotted,
)

CURRENT_VERSION: Final = 15
ULID_RE: Final = re.compile(r"[0-9A-HJ-KM-NP-TV-Z]{26}")
ADAPTER_NAME_RE: Final = re.compile(r"[a-z][a-z0-9_]{0,31}")

# ---------------------------------------------------------------------------
# the schema table

ADAPTER_KINDS: Final = ("lora", "qlora", "dora")
FLAT_ADAPTER_DEFAULTS: Final[dict[str, Any]] = {
    "adapter": "lora",
    "lora_r": 8,
    "lora_alpha": 16,
    "lora_dropout": 0.05,
    "target_modules": "auto",
    "learning_rate": 2e-4,
}


def _adapter_fields() -> dict[str, Spec]:
    return {
        "adapter": Choice(ADAPTER_KINDS, "lora"),
        "lora_r": Integer(8, ge=1, le=256),
        "lora_alpha": Integer(16, ge=1),
        "lora_dropout": Number(0.05, ge=0.0, le=0.5),
        "target_modules": StrList("auto", allow_auto=True),
        "learning_rate": Number(2e-4, gt=0.0),
    }


def _training_rules(values: dict[str, Any], path: KeyPath, ck: Checker) -> None:
    adapters = values.get("adapters")
    gate = values.get("gate")
    if adapters is FAIL:
        return
    if isinstance(gate, dict) and gate.get("enabled") is True and (adapters is None or len(adapters) < 2):
        ck.report(
            Code.SCHEMA_CROSS_FIELD,
            (*path, "gate", "enabled"),
            f"{dotted((*path, 'gate', 'enabled'))}: the gate routes between named adapters, so "
            f"{dotted((*path, 'adapters'))} must declare at least two "
            f"(found {0 if adapters is None else len(adapters)})",
        )
    if adapters is None:
        return
    for key, default in FLAT_ADAPTER_DEFAULTS.items():
        if values.get(key) is not FAIL and values.get(key) != default:
            ck.report(
                Code.SCHEMA_CROSS_FIELD,
                (*path, key),
                f"{dotted((*path, key))}: must stay at its default ({default!r}) when "
                f"{dotted((*path, 'adapters'))} is declared; set it per adapter instead",
                key=True,
            )


PREFERENCE: Final = Model(
    "preference",
    {
        "enabled": Boolean(False),
        "method": Choice(("dpo", "orpo"), "dpo"),
        "hyperparams": Model(
            "preference hyperparameter",
            {
                "beta": Number(0.1, ge=0.0, le=1.0),
                "alpha": Number(0.1, ge=0.0, le=1.0),
                "learning_rate": Number(5e-6, gt=0.0),
                "num_epochs": Integer(1, ge=1),
            },
        ),
        "loss_type": Choice(("sigmoid", "hinge", "ipo"), "sigmoid"),
        "reference": Choice(("base", "pre_adapter"), "pre_adapter"),
    },
)

SOURCE: Final = Model(
    "source",
    {
        "path": Text(min_length=1),
        "include": StrList(("**/*",)),
        "exclude": StrList(()),
        "max_bytes_per_file": Nullable(Integer(ge=1)),
        "max_files": Nullable(Integer(ge=1)),
    },
    required=("path",),
)

TRAINING: Final = Model(
    "training",
    {
        **_adapter_fields(),
        "sequence_len": Integer(2048, ge=64, le=32768),
        "micro_batch_size": AutoOrPositiveInt(),
        "grad_accum": AutoOrPositiveInt(),
        "num_epochs": Integer(3, ge=1),
        "optimizer": Choice(
            ("adamw_torch", "adamw_bnb_8bit", "paged_adamw_8bit", "galore_adamw", "galore_adamw_8bit"),
            "adamw_torch",
        ),
        "lr_scheduler": Choice(("cosine", "linear", "constant"), "cosine"),
        "warmup_ratio": Number(0.1, ge=0.0, le=0.5),
        "precision": Nullable(Choice(("bf16", "fp16", "fp32"))),
        "seed": Integer(42),
        "preference": PREFERENCE,
        "cpt": Model(
            "cpt",
            {"schedule": Choice(("auto", "dapt", "sft"), "auto"), "embed_warmup_steps": Integer(0, ge=0)},
        ),
        "gate": Model(
            "gate",
            {
                "enabled": Boolean(False),
                "hidden_proj_dim": Integer(64, ge=8, le=2048),
                "steps": Integer(200, ge=1, le=10000),
                "lr": Number(3e-4, gt=0.0, le=1.0),
                "cold_start_floor": Integer(4, ge=1, le=1024),
                "entropy_lambda": Number(0.01, ge=0.0, le=1.0),
            },
        ),
        "cache": Model(
            "cache",
            {
                "enabled": Boolean(True),
                "max_bytes": Integer(10 * 1024**3, ge=1),
                "prune_older_than_days": Integer(90, ge=1),
            },
        ),
        "audio": Model("audio", {"auto_resample": Boolean(False)}),
        "adapters": ModelMap(
            Model("adapter", _adapter_fields()),
            ADAPTER_NAME_RE,
            "a lowercase letter, then up to 31 lowercase letters, digits or underscores",
            "adapter",
        ),
        "sources": ModelList(SOURCE, "source entries"),
        "sources_policy": Choice(("permissive", "strict"), "permissive"),
    },
    after=_training_rules,
    moved={
        "dpo": (
            "preference",
            "since dlm_version 2 these settings live under training.preference (method: dpo)",
        )
    },
)

EXPORT: Final = Model(
    "export",
    {
        "default_quant": Choice(("Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0"), "Q4_K_M"),
        "default_temperature": Nullable(Number(gt=0.0, le=2.0)),
        "default_top_p": Nullable(Number(gt=0.0, le=1.0)),
    },
)

FRONTMATTER: Final = Model(
    "frontmatter",
    {
        "dlm_id": Text(pattern=ULID_RE, pattern_help="a 26-character uppercase Crockford base32 ULID"),
        "dlm_version": Integer(CURRENT_VERSION, ge=1, le=CURRENT_VERSION),
        "base_model": Text(min_length=1),
        "training": TRAINING,
        "export": EXPORT,
        "system_prompt": Nullable(Text()),
    },
    required=("dlm_id", "base_model"),
)

# ---------------------------------------------------------------------------
# dlm_version dispatch and migration


def _migrate_v1(data: dict[Any, Any]) -> dict[Any, Any]:
    """v1 → v2: `training.dpo` becomes `training.preference`, values keep their source."""
    training = data.get("training")
    if not isinstance(training, dict) or "dpo" not in training:
        return data
    training = dict(training)
    dpo = training.pop("dpo")
    src: KeyPath = ("training", "dpo")
    if dpo is None:
        pass
    elif not isinstance(dpo, dict):
        training["preference"] = Sourced(dpo, src)
    else:
        preference: dict[str, Any] = {"method": "dpo"}
        if "enabled" in dpo:
            preference["enabled"] = Sourced(dpo["enabled"], (*src, "enabled"))
        hyper = {
            key: Sourced(dpo[key], (*src, key))
            for key in ("beta", "learning_rate", "num_epochs")
            if key in dpo
        }
        if hyper:
            preference["hyperparams"] = Sourced(hyper, src)
        if "loss_type" in dpo:
            preference["loss_type"] = Sourced(dpo["loss_type"], (*src, "loss_type"))
        if "reference" in dpo:
            ref = dpo["reference"]
            ref = "pre_adapter" if ref == "pre_dpo_adapter" else ref
            preference["reference"] = Sourced(ref, (*src, "reference"))
        training["preference"] = Sourced(preference, src)
    return {**data, "training": training}


def _version_problem(data: dict[Any, Any], locator: KeyLocator) -> tuple[int, Problem | None]:
    version = data.get("dlm_version", 1)
    span = locator.value(("dlm_version",))
    if not isinstance(version, int) or isinstance(version, bool):
        return 0, Problem(
            Code.VERSION,
            span,
            f"dlm_version: expected an integer from 1 to {CURRENT_VERSION}, got {describe(version)}",
        )
    if version > CURRENT_VERSION:
        return 0, Problem(
            Code.VERSION,
            span,
            f"dlm_version {version} is newer than this tool supports (current: {CURRENT_VERSION}); "
            "upgrade dlm or check where the document came from",
        )
    if version < 1:
        return 0, Problem(
            Code.VERSION, span, f"dlm_version: expected an integer from 1 to {CURRENT_VERSION}, got {version}"
        )
    return version, None


def validate_frontmatter(data: dict[Any, Any], locator: KeyLocator) -> list[Problem]:
    version, problem = _version_problem(data, locator)
    if problem is not None:
        return [problem]
    if version == 1:
        data = _migrate_v1(data)
    data = {**data, "dlm_version": CURRENT_VERSION}
    checker = Checker(locator)
    FRONTMATTER.check(data, (), checker)
    return checker.problems


def frontmatter_problems(data: dict[Any, Any], locator: KeyLocator) -> list[Problem]:
    """The schema's problems, then those upstream's loader never reports (a key
    written twice, a base model the registry does not know: frontmatter_checks.py)."""
    return [*validate_frontmatter(data, locator), *check_frontmatter(data, locator)]


def read_frontmatter(lines: Sequence[str]) -> Frontmatter:
    """The frontmatter block of `lines` with its schema problems."""
    return parse_frontmatter(lines, frontmatter_problems)
