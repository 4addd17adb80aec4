"""Client-side pacing: requests stay under Polar's limit instead of meeting a minute-long 429."""

from __future__ import annotations

import asyncio
import bisect

import pytest

import polar_seats as ps
from polar_seats._ratelimit import RateLimiter
from polar_seats.testing import DEFAULT_TOKEN, FakePolarServer
from tests.support.helpers import Lockstep


async def test_limiter_waits_for_the_oldest_request_to_leave_the_window() -> None:
    """Three per 10 s, paced over 11 s (the margin): the fourth waits until the first is 11 s
    old."""
    now = [100.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(ps.RateLimit(3, per=10.0), clock=lambda: now[0], sleep=sleep)
    waits = [await limiter.acquire() for _ in range(3)]
    now[0] += 4.0
    waits.append(await limiter.acquire())
    assert waits == [0.0, 0.0, 0.0, 7.0]
    assert slept == [7.0]


def test_the_pacing_margin_is_a_tenth_of_the_window_at_most_two_seconds() -> None:
    """Polar's minute is paced over 62 s; a short window gets a tenth more."""
    assert ps.RateLimit(500).paced_per == 62.0
    assert ps.RateLimit(10, per=0.5).paced_per == pytest.approx(0.55)
    assert ps.RateLimit(60, per=2.0).paced_per == pytest.approx(2.2)


def test_defaults_follow_the_server() -> None:
    """500 a minute in production, 100 in the sandbox, an int is per minute, None is off."""
    assert ps.AsyncClient(DEFAULT_TOKEN).rate_limit == ps.RateLimit(500, per=60.0)
    assert ps.AsyncClient(DEFAULT_TOKEN, server="sandbox").rate_limit == ps.RateLimit(100)
    assert ps.AsyncClient(DEFAULT_TOKEN, rate_limit=42).rate_limit == ps.RateLimit(42)
    assert ps.AsyncClient(DEFAULT_TOKEN, rate_limit=None).rate_limit is None
    with pytest.raises(ValueError, match="rate_limit=None"):
        ps.RateLimit(0)
    with pytest.raises(TypeError, match="rate_limit"):
        ps.AsyncClient(DEFAULT_TOKEN, rate_limit=2.5)  # type: ignore[arg-type]


async def test_fifty_concurrent_walks_stay_under_the_rate_at_the_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """50 walks at once on one client: no 429 at the server, and the pacer lets at most
    10 go in any 0.5 s (on the lockstep's virtual time, arrivals 0 or 40 ms late)."""
    limit, window = 10, 0.5
    lockstep = Lockstep(0.04)
    lockstep.install(monkeypatch)
    server = FakePolarServer(
        count=5, rate_limit=limit + 2, rate_window=window, clock=lockstep.arrival
    )
    lockstep.follow(server)
    async with (
        server,
        ps.AsyncClient(
            server.token, base_url=server.url, rate_limit=ps.RateLimit(limit, per=window)
        ) as client,
    ):

        async def walk() -> int:
            return len([sub async for sub in client.iter_claimed_subscriptions()])

        counts = await asyncio.gather(*(walk() for _ in range(50)))
    assert counts == [5] * 50
    assert [r.status for r in server.requests] == [200] * 50
    sent = lockstep.admitted
    busiest = max(bisect.bisect_left(sent, start + window) - i for i, start in enumerate(sent))
    assert busiest <= limit
    # 50 requests at 10 per 0.5 s (paced over 0.55 s) cannot all go in less than 2.2 s.
    assert sent[-1] - sent[0] >= (50 - limit) / limit * window * 1.1
