"""Fixtures shared by the command-line synthesis tests: a fake teacher server that
answers with grounded pairs (modules and `remote/` may define their own), and a dlm
store of the test's own without the developer's keys."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.llm_server import FakeLLMServer, fake_llm_server
from tests.fakes.teacher_replies import passage_reply


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with fake_llm_server(default_reply=passage_reply) as fake:
        yield fake


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("DLM_HOME", str(home))
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return home
