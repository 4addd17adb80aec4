from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from polar_seats import AsyncClient
from polar_seats.testing import FakePolarServer, set_testing


@pytest.fixture(autouse=True)
def _no_backoff() -> Iterator[None]:
    """Retries wait zero seconds in tests, unless a test switches waits back on."""
    set_testing(True)
    yield
    set_testing(False)


@pytest.fixture
async def server() -> AsyncIterator[FakePolarServer]:
    async with FakePolarServer(count=25) as fake:
        yield fake


@pytest.fixture
async def client(server: FakePolarServer) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(server.token, base_url=server.url) as polar:
        yield polar
