"""pytest fixtures for code that uses polar_seats, registered when polar-seats is installed.

- ``polar_fake_server``: a running
  [`FakePolarServer`][polar_seats.testing.FakePolarServer] (25 seeded subscriptions unless
  the test says otherwise with ``@pytest.mark.polar_fake_server(count=250, seed=1)``: the
  marker takes ``FakePolarServer``'s keyword arguments);
- ``polar_client``: an [`AsyncClient`][polar_seats.AsyncClient] pointed at it, closed
  after the test.

Both are async fixtures of pytest-asyncio (use ``asyncio_mode = "auto"`` or mark the test
``@pytest.mark.asyncio``), which aiohttp's pytest plugin builds on too. Without
pytest-asyncio installed they are not there, so the plugin never breaks a test run.

For synchronous code (Django, Flask, scripts), two plain fixtures take the same marker:

- ``polar_fake_server_thread``: the fake server running on an event loop in a thread of
  its own ([`serve_in_thread()`][polar_seats.testing.serve_in_thread]);
- ``polar_sync_client``: a [`Client`][polar_seats.Client] pointed at it, closed after the
  test.
"""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from .._client import AsyncClient
from .._sync_client import Client
from ._server import FakePolarServer, serve_in_thread

MARKER = "polar_fake_server"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(**options): FakePolarServer keyword arguments for the polar_fake_server "
        "fixture, e.g. count=250, seed=1, tokens=[...], rate_limit=100.",
    )


def server_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The keyword arguments the test's ``polar_fake_server`` markers give, the closest last."""
    options: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers(MARKER))):
        if marker.args:
            raise TypeError(
                f"@pytest.mark.{MARKER} takes keyword arguments only, as FakePolarServer does "
                f"(got {marker.args!r})."
            )
        options.update(marker.kwargs)
    return options


@pytest.fixture
def polar_fake_server_thread(request: pytest.FixtureRequest) -> Iterator[FakePolarServer]:
    """A fake Polar server on 127.0.0.1, answering from a thread of its own, for one test."""
    with serve_in_thread(FakePolarServer(**server_options(request))) as server:
        yield server


@pytest.fixture
def polar_sync_client(polar_fake_server_thread: FakePolarServer) -> Iterator[Client]:
    """A synchronous client of ``polar_fake_server_thread``, with its token; closed after."""
    server = polar_fake_server_thread
    with Client(server.token, base_url=server.url) as client:
        yield client


if importlib.util.find_spec("pytest_asyncio") is not None:
    import pytest_asyncio

    @pytest_asyncio.fixture
    async def polar_fake_server(request: pytest.FixtureRequest) -> AsyncIterator[FakePolarServer]:
        """A fake Polar server on 127.0.0.1 for the length of one test."""
        async with FakePolarServer(**server_options(request)) as server:
            yield server

    @pytest_asyncio.fixture
    async def polar_client(polar_fake_server: FakePolarServer) -> AsyncIterator[AsyncClient]:
        """A client of ``polar_fake_server``, with its token; closed after the test."""
        async with AsyncClient(polar_fake_server.token, base_url=polar_fake_server.url) as client:
            yield client
