"""Writes upstream's base-model registry as data: server/dlm_synth_lsp/document/data/base_models.json.

Run it with the upstream package importable (the test oracle environment):

    .venv-oracle/bin/python scripts/gen_base_models.py            # rewrite the JSON file
    .venv-oracle/bin/python scripts/gen_base_models.py --stdout   # print it instead

Only facts are taken (keys, Hugging Face ids, sizes, context lengths, licences, gating),
as plain JSON; nothing of upstream's code is copied. `tests/compat/test_base_models_oracle.py`
runs this script against the oracle and fails when the committed file differs, so a new
upstream release is one re-run away.
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib.metadata import version
from pathlib import Path

TARGET = (
    Path(__file__).resolve().parents[1]
    / "server"
    / "dlm_synth_lsp"
    / "document"
    / "data"
    / "base_models.json"
)
PACKAGE = "document-language-model"
#: BaseModelSpec attributes recorded, in this order
FIELDS = (
    "key",
    "hf_id",
    "revision",
    "architecture",
    "params",
    "context_length",
    "context_length_effective",
    "recommended_seq_len",
    "size_gb_fp16",
    "modality",
    "template",
    "license_spdx",
    "license_url",
    "requires_acceptance",
    "redistributable",
    "trust_remote_code",
    "reasoning_tuned",
)


def collect() -> dict[str, object]:
    from dlm.base_models.registry import BASE_MODELS

    models = [{name: getattr(spec, name) for name in FIELDS} for spec in BASE_MODELS.values()]
    return {"source": f"{PACKAGE} {version(PACKAGE)}", "models": models}


def render(data: dict[str, object]) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stdout", action="store_true", help="print the JSON instead of writing the file")
    args = parser.parse_args()
    text = render(collect())
    if args.stdout:
        sys.stdout.write(text)
    else:
        TARGET.write_text(text, encoding="utf-8")
        print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
