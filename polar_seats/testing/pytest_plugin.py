"""pytest fixtures for code that uses polar_seats, registered when polar-seats is installed.

- ``polar_fake_server``: a running :class:`FakePolarServer` with 25 seeded subscriptions;
- ``polar_client``: an :class:`AsyncClient` pointed at it, closed after the test.

Both are async fixtures of pytest-asyncio (use ``asyncio_mode = "auto"`` or mark the test
``@pytest.mark.asyncio``), which aiohttp's pytest plugin builds on too. Without
pytest-asyncio installed the plugin adds nothing, so it never breaks a test run.
"""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator

from .._client import AsyncClient
from ._server import FakePolarServer

if importlib.util.find_spec("pytest_asyncio") is not None:
    import pytest_asyncio

    @pytest_asyncio.fixture
    async def polar_fake_server() -> AsyncIterator[FakePolarServer]:
        """A fake Polar server on 127.0.0.1 for the length of one test."""
        async with FakePolarServer() as server:
            yield server

    @pytest_asyncio.fixture
    async def polar_client(polar_fake_server: FakePolarServer) -> AsyncIterator[AsyncClient]:
        """A client of ``polar_fake_server``, with its token; closed after the test."""
        async with AsyncClient(polar_fake_server.token, base_url=polar_fake_server.url) as client:
            yield client
