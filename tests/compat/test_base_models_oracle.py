"""The base-model registry data (document/data/base_models.json) is exactly what the
upstream package records: scripts/gen_base_models.py, run in the oracle environment,
prints the same JSON. A new upstream release fails here until the data is regenerated
(`.venv-oracle/bin/python scripts/gen_base_models.py`)."""

from __future__ import annotations

import json
import subprocess
from importlib.resources import files
from typing import Any

import pytest
from dlm_synth_lsp.document.base_models import registry

from tests.compat.oracle import ORACLE_PYTHON, ROOT, require_oracle

pytestmark = pytest.mark.oracle


def oracle_json(*args: str) -> Any:
    """Run the oracle environment's Python with `args`; its stdout as JSON."""
    require_oracle()
    proc = subprocess.run(
        [str(ORACLE_PYTHON), *args], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_registry_data_matches_upstream() -> None:
    upstream = oracle_json(str(ROOT / "scripts" / "gen_base_models.py"), "--stdout")
    shipped = json.loads(files("dlm_synth_lsp.document").joinpath("data/base_models.json").read_text("utf-8"))
    assert shipped == upstream
    # and the loader reads every entry and field of it
    reg = registry()
    assert reg.source == upstream["source"]
    assert [m.key for m in reg.models] == [m["key"] for m in upstream["models"]]
    for model, raw in zip(reg.models, upstream["models"], strict=True):
        assert {name: getattr(model, name) for name in raw} == raw


def test_upstream_resolves_exactly_the_keys_we_accept() -> None:
    """Upstream's registry lookup and ours agree on keys, near misses (case, a cut
    suffix) and a Hugging Face id written without `hf:`."""
    script = (
        "import json, sys\n"
        "from dlm.base_models.registry import BASE_MODELS\n"
        "values = json.loads(sys.argv[1])\n"
        "print(json.dumps([v in BASE_MODELS for v in values]))\n"
    )
    values = ["qwen2.5-1.5b", "Qwen2.5-1.5B", "smollm2-135", "llama-3.2-1b", "Qwen/Qwen2.5-1.5B-Instruct", ""]
    proc = subprocess.run(
        [str(ORACLE_PYTHON), "-c", script, json.dumps(values)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    theirs = json.loads(proc.stdout)
    ours = [registry().get(v) is not None for v in values]
    assert ours == theirs
