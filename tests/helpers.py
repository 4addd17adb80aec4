"""What several test modules build the same way: a client of a fake server, and a count of
the connections a client's requests hold."""

from __future__ import annotations

import weakref
from types import SimpleNamespace, TracebackType
from typing import Any

import aiohttp

import polar_seats as ps
from polar_seats.testing import FakePolarServer


def client_for(server: FakePolarServer, **options: Any) -> ps.AsyncClient:
    """A client of ``server`` with its token, unpaced (``rate_limit=None``) unless ``options``
    say otherwise; the other ``options`` go to :class:`AsyncClient` as they are."""
    options.setdefault("rate_limit", None)
    return ps.AsyncClient(server.token, base_url=server.url, **options)


class Connections:
    """An ``aiohttp.ClientSession`` that counts the connections its requests hold.

    Give :attr:`session` to ``AsyncClient(session=...)`` (the client then never closes it;
    leaving ``async with Connections()`` does). :attr:`in_use` counts what aiohttp's pool
    has handed out and not taken back, through aiohttp's public tracing hooks: a request
    that got a connection (or is opening one) and has not ended, and a response whose
    ``connection`` is not yet released (a response not read to its end, nor released, nor
    closed, holds its connection for good: that is a leak).
    """

    def __init__(self) -> None:
        trace = aiohttp.TraceConfig()
        trace.on_request_start.append(self._started)
        trace.on_connection_create_start.append(self._connected)
        trace.on_connection_reuseconn.append(self._connected)
        trace.on_request_end.append(self._ended)
        trace.on_request_exception.append(self._failed)
        self._trace = trace
        self._session: aiohttp.ClientSession | None = None
        self.requests = 0
        """Requests started through the session."""
        self._connecting = 0
        # Weak: a response dropped unreleased is released by aiohttp when it is collected.
        self._responses: weakref.WeakSet[aiohttp.ClientResponse] = weakref.WeakSet()

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("Use Connections as `async with Connections() as connections`.")
        return self._session

    @property
    def in_use(self) -> int:
        """Connections handed out by the session's pool and not yet taken back."""
        # A count of a session that carried no request proves nothing (a client not given it).
        assert self.requests > 0, "no request went through this session"
        held = sum(response.connection is not None for response in self._responses)
        return self._connecting + held

    async def __aenter__(self) -> Connections:
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(), trace_configs=[self._trace]
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.session.close()

    async def _started(self, session: object, context: SimpleNamespace, params: object) -> None:
        self.requests += 1
        context.holds_connection = False

    async def _connected(self, session: object, context: SimpleNamespace, params: object) -> None:
        # From the start of opening a connection, as aiohttp's pool counts it. One request
        # holds one connection at a time, even when aiohttp re-sends it on a new one (the
        # first was closed before any answer).
        if not context.holds_connection:
            context.holds_connection = True
            self._connecting += 1

    def _let_go(self, context: SimpleNamespace) -> None:
        # From here the response (if any) holds the connection, or aiohttp closed it.
        if context.holds_connection:
            context.holds_connection = False
            self._connecting -= 1

    async def _ended(
        self, session: object, context: SimpleNamespace, params: aiohttp.TraceRequestEndParams
    ) -> None:
        self._let_go(context)
        self._responses.add(params.response)

    async def _failed(self, session: object, context: SimpleNamespace, params: object) -> None:
        self._let_go(context)
