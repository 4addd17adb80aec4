from __future__ import annotations

from collections.abc import Iterator

import pytest

from polar_seats import AsyncClient
from polar_seats.testing import FakePolarServer, set_testing
from tests.redis_server import RedisServer


@pytest.fixture(autouse=True)
def _no_backoff() -> Iterator[None]:
    """Retries wait zero seconds in tests, unless a test switches waits back on."""
    set_testing(True)
    yield
    set_testing(False)


@pytest.fixture
def server(polar_fake_server: FakePolarServer) -> FakePolarServer:
    """The testing kit's own fixture, as its users get it: 25 subscriptions, or what
    ``@pytest.mark.polar_fake_server(...)`` says (on the module, class or test: the
    closest wins)."""
    return polar_fake_server


@pytest.fixture
def client(polar_client: AsyncClient) -> AsyncClient:
    """The kit's ``polar_client``: a client of ``server`` with its token."""
    return polar_client


@pytest.fixture(scope="session")
def redis_process() -> Iterator[RedisServer]:
    """One real redis-server for the session's fleet tests (a test fails, never skips,
    when redis-server is not installed)."""
    try:
        process = RedisServer()
    except FileNotFoundError as missing:
        pytest.fail(str(missing), pytrace=False)
    process.start()
    yield process
    process.stop()


@pytest.fixture
def redis_server(redis_process: RedisServer) -> RedisServer:
    """The session's redis-server, emptied."""
    redis_process.flush()
    return redis_process
