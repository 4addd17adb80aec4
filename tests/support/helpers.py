"""What several test modules build the same way: a client of a fake server, and a count of
the connections a client's requests hold."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from types import SimpleNamespace, TracebackType
from typing import Any

import aiohttp
import pytest
from aiohttp import web

import polar_seats as ps
from polar_seats._ratelimit import RateLimiter
from polar_seats.testing import FakePolarServer


def client_for(server: FakePolarServer, **options: Any) -> ps.AsyncClient:
    """A client of ``server`` with its token, unpaced (``rate_limit=None``) unless ``options``
    say otherwise; the other ``options`` go to :class:`AsyncClient` as they are."""
    options.setdefault("rate_limit", None)
    return ps.AsyncClient(server.token, base_url=server.url, **options)


async def until(condition: Callable[[], bool], within: float = 10.0) -> None:
    """Wait until ``condition()`` holds, or ``within`` seconds have passed (the test's own
    assertion then says what is wrong): for what the other end of a connection does when
    its loop gets to it, later on a loaded machine than on a quiet one."""
    for _ in range(round(within / 0.005)):
        if condition():
            return
        await asyncio.sleep(0.005)


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


class Lockstep:
    """Virtual time for pacing tests, read by the client's pacer and the fake's rate windows.

    Time moves only when the pacer waits, and only once every request it has let go has
    reached the fake (as on a network whose latency is shorter than the wait). The network
    is as uneven as ``spread`` seconds allows, in the way that tests a pacer hardest: the
    requests let go before the first wait arrive ``spread`` late, those after it on time,
    and so on alternately, so a window Polar starts late ends late too. What the machine's
    load does to the event loop changes no stamp: a pacing test decides the same on a busy
    machine as on a quiet one.

    ``install(monkeypatch)`` gives the clients made afterwards this pacer; pass
    ``clock=lockstep.arrival`` to the fake and ``follow()`` it. ``admitted`` holds each
    request's stamp at the pacer, in order.
    """

    def __init__(self, spread: float) -> None:
        self.now = 0.0
        self.waits = 0
        self.admitted: list[float] = []
        self.spread = spread
        self._arrived: Callable[[], int] = lambda: 0
        self._arrival = asyncio.Event()

    def arrival(self) -> float:
        """The fake's clock: now, plus the network's delay for the requests let go now."""
        return self.now + (self.spread if self.waits % 2 == 0 else 0.0)

    def follow(self, server: FakePolarServer) -> None:
        """Count arrivals at ``server`` (it tells of each request before it counts it)."""
        server.on_request = lambda _: self._arrival.set()
        self._arrived = lambda: len(server.requests)

    async def sleep(self, seconds: float) -> None:
        """The pacer's wait: the requests it let go arrive, then time moves on."""
        async with asyncio.timeout(30):  # a bound for a bug, not for a busy machine
            while self._arrived() < len(self.admitted):
                self._arrival.clear()
                await self._arrival.wait()
        self.now += seconds
        self.waits += 1

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Make every client created afterwards pace on this time."""
        lockstep = self

        class Pacer(RateLimiter):
            def __init__(self, limit: ps.RateLimit) -> None:
                super().__init__(limit, clock=lambda: lockstep.now, sleep=lockstep.sleep)

            async def acquire(self) -> float:
                waited = await super().acquire()
                lockstep.admitted.append(lockstep.now)
                return waited

        monkeypatch.setattr("polar_seats._shared.RateLimiter", Pacer)


@contextlib.asynccontextmanager
async def webhook_receiver(
    endpoint: Callable[[web.Request], Awaitable[web.Response]],
) -> AsyncIterator[str]:
    """``endpoint`` served on loopback for POSTs to ``/polar``; yields that URL."""
    app = web.Application()
    app.router.add_post("/polar", endpoint)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/polar"
    finally:
        await runner.cleanup()


Arrived = list[tuple[bytes, dict[str, str]]]
"""Webhook deliveries as they arrived: each body and its headers."""


@contextlib.asynccontextmanager
async def deliveries() -> AsyncIterator[tuple[str, Arrived]]:
    """A loopback webhook endpoint that keeps each delivery as it arrived and answers 202 at
    once (polar-sdk builds its loaders on its first event, which can take longer than
    Polar's 10 s); yields its URL and the deliveries."""
    arrived: Arrived = []

    async def endpoint(request: web.Request) -> web.Response:
        arrived.append((await request.read(), dict(request.headers)))
        return web.Response(status=202)

    async with webhook_receiver(endpoint) as url:
        yield url, arrived
