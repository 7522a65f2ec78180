"""synth/options.py is the one place option values are checked: the pipeline, the
server's settings and the CLI's flags report a bad value with the same problem text,
each under the name its users know."""

from __future__ import annotations

import pytest
from dlm_synth_lsp.cli.main import main
from dlm_synth_lsp.lsp.config import load_settings
from dlm_synth_lsp.synth.options import OptionError, SynthOptions, check_option
from dlm_synth_lsp.synth.teachers.base import SamplingParams

CASES = [
    # option, bad value, setting key, CLI flag, the problem as synth/options.py words it
    ("per_section", 0, "perSection", "--per-section", "must be >= 1, got 0"),
    ("strategy", "all", "strategy", "--strategy", "must be one of extraction, expansion, both, got 'all'"),
    ("filter", "judge", "filter", "--filter", "must be one of auto, sway, dedup-only, none, grounded, got 'judge'"),  # noqa: E501
    ("top_p", 1.5, "topP", "--top-p", "must be in (0, 1], got 1.5"),
    ("max_new_tokens", 0, "maxNewTokens", "--max-new-tokens", "must be >= 1, got 0"),
]


@pytest.mark.parametrize(("option", "value", "setting", "flag", "problem"), CASES)
def test_one_wording_for_a_bad_value_everywhere(
    option: str, value: object, setting: str, flag: str, problem: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(OptionError) as raised:
        check_option(option, value)
    assert raised.value.problem == problem and str(raised.value) == f"{option}: {problem}"
    # the pipeline
    if option in ("max_new_tokens", "top_p"):
        options = SynthOptions(params=SamplingParams(**{option: value}))  # type: ignore[arg-type]
    else:
        options = SynthOptions(**{option: value})  # type: ignore[arg-type]
    with pytest.raises(OptionError) as validated:
        options.validate()
    assert str(validated.value) == f"{option}: {problem}"
    # the server's settings: the key keeps its default and the problem is reported once
    settings, problems = load_settings({setting: value})
    assert problems == [f"dlmSynth.{setting}: {problem}; using the default {getattr(settings, option)!r}"]
    # the command line: exit 2 and the same problem under the flag's name
    assert main(["synth", "instructions", "missing.dlm", flag, str(value)]) == 2
    assert capsys.readouterr().err == f"synth: {flag}: {problem}\n"
