from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.compat.oracle import Oracle


@pytest.fixture(scope="session")
def oracle() -> Iterator[Oracle]:
    handle = Oracle()
    yield handle
    handle.close()
