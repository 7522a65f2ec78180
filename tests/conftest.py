from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.compat.oracle import Oracle


@pytest.fixture(scope="session")
def oracle() -> Iterator[Oracle]:
    handle = Oracle()
    yield handle
    handle.close()


@pytest.fixture(autouse=True)
def private_reply_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test (and every server or CLI it starts) gets its own empty reply cache:
    the CLI and the server fill the user's cache by default, and a reply cached by
    one test must never answer another's teacher call."""
    monkeypatch.setenv("DLM_SYNTH_CACHE_DIR", str(tmp_path_factory.mktemp("reply-cache")))
