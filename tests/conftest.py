from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from polar_seats import AsyncClient
from polar_seats.testing import FakePolarServer, set_testing, set_testing_date
from tests.support.redis_server import RedisServer


@pytest.fixture(autouse=True)
def _no_backoff() -> Iterator[None]:
    """Retries wait zero seconds in tests, unless a test switches waits back on."""
    set_testing(True)
    yield
    set_testing(False)


SUITE_DATE = date(2026, 12, 6)
"""The day the suite runs on, whatever the wall clock says: 2026-10 Current, 2026-04
Deprecated, 2027-01 Next. Tests of other days set theirs."""


@pytest.fixture(autouse=True)
def _pinned_date(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The release calendar reads SUITE_DATE, so the suite decides the same next quarter;
    each test starts with no deprecation warned yet (the library warns once a process)."""
    monkeypatch.setattr("polar_seats.versions._warned", set())
    monkeypatch.setattr("polar_seats.versions._noted", set())
    with set_testing_date(SUITE_DATE):
        yield


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
