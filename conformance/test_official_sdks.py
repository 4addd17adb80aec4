"""Polar's own SDKs, unmodified, walk the fake server and read what polar_seats reads.

Code no one here wrote agrees with the fake server, so the tests built on it speak Polar's
protocol. Run by `nox -s conformance`, which installs polar-sdk 1.0.2 and, in a folder of
its own, polar-sdk 0.32.0.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pytest

import polar_seats as ps
from polar_seats.testing import (
    PRICE_KINDS,
    FakePolarServer,
    Fault,
    FaultPlan,
    make_subscription,
    serve_in_thread,
)

NEWER_KINDS = {"unit_based", "metered_tiers"}


def older_kinds_only(count: int) -> list[dict[str, Any]]:
    """Subscriptions whose prices polar-sdk 0.32.0 knows (it predates two kinds)."""
    indexes = [i for i in range(count * 2) if PRICE_KINDS[i % 8] not in NEWER_KINDS]
    return [make_subscription(i) for i in indexes[:count]]


async def ours(server: FakePolarServer, limit: int) -> list[ps.CustomerSubscription]:
    async with ps.AsyncClient(server.token, base_url=server.url) as client:
        return [sub async for sub in client.iter_claimed_subscriptions(limit=limit)]


async def test_polar_sdk_1_0_2_reads_what_polar_seats_reads() -> None:
    """PolarAsync.iter_list_claimed_subscriptions over 250 subscriptions of every variant."""
    from polar.v2026_04 import PolarAsync

    async with FakePolarServer(count=250) as server:
        async with PolarAsync(server.token, base_url=server.url) as polar:
            seats = polar.customer_portal.seats
            theirs = [sub async for sub in seats.iter_list_claimed_subscriptions(limit=100)]
        mine = await ours(server, 100)
    assert [s.id for s in theirs] == [s.id for s in mine] == [r["id"] for r in server.subscriptions]
    assert [s.status for s in theirs] == [s.status for s in mine]
    assert [s.product.name for s in theirs] == [s.product.name for s in mine]
    assert [[p.id for p in s.prices] for s in theirs] == [[p.id for p in s.prices] for s in mine]
    # polar-sdk 1.0.2 keeps datetimes as the strings it received.
    assert [datetime.fromisoformat(s.current_period_end) for s in theirs] == [
        s.current_period_end for s in mine
    ]
    assert {request.headers["Polar-Version"] for request in server.requests} == {"2026-04"}


async def test_polar_sdk_1_0_2_sees_the_fake_servers_errors_as_polars() -> None:
    """An unknown token is the SDK's 401 error; the 429 is its rate-limit error."""
    from polar.base import PolarRateLimitError
    from polar.v2026_04 import PolarAsync

    async with FakePolarServer(faults=FaultPlan({2: Fault.rate_limited("60")})) as server:
        async with PolarAsync("polar_cst_unknown", base_url=server.url) as polar:
            with pytest.raises(Exception, match=r"401|Unauthorized|invalid") as caught:
                await polar.customer_portal.seats.list_claimed_subscriptions()
            assert type(caught.value).__module__.startswith("polar")
        async with PolarAsync(server.token, base_url=server.url) as polar:
            with pytest.raises(PolarRateLimitError) as limited:
                await polar.customer_portal.seats.list_claimed_subscriptions()
            assert limited.value.retry_after == 60


def test_polar_sdk_0_32_reads_what_polar_seats_reads() -> None:
    """polar_sdk's documented walk (an async first page, then next()) over 120 subscriptions."""
    from polar_sdk import Polar, models

    server = FakePolarServer(older_kinds_only(120))
    with serve_in_thread(server):
        security = models.CustomerPortalSeatsListClaimedSubscriptionsSecurity(
            customer_session=server.token
        )

        async def walk() -> list[Any]:
            # The documented walk; next() blocks this loop, the server runs on its own.
            read: list[Any] = []
            with Polar(server_url=server.url) as polar:
                async with polar:
                    seats = polar.customer_portal.seats
                    response = await seats.list_claimed_subscriptions_async(
                        security=security, limit=50
                    )
                    while response is not None:
                        read.extend(response.result.items)
                        response = response.next()
            return read

        theirs = asyncio.run(walk())
        mine = asyncio.run(ours(server, 50))
    assert [s.id for s in theirs] == [s.id for s in mine] == [r["id"] for r in server.subscriptions]
    assert [s.status for s in theirs] == [s.status for s in mine]


def test_polar_sdk_0_32_fails_a_whole_page_on_a_newer_price_kind() -> None:
    """What FACTS.md says, seen: one unit_based price fails 0.32's page; polar_seats reads it."""
    from polar_sdk import Polar, models

    server = FakePolarServer([make_subscription(PRICE_KINDS.index("unit_based"))])
    with serve_in_thread(server):
        security = models.CustomerPortalSeatsListClaimedSubscriptionsSecurity(
            customer_session=server.token
        )
        with Polar(server_url=server.url) as polar, pytest.raises(Exception, match="unit_based"):
            polar.customer_portal.seats.list_claimed_subscriptions(security=security)
        mine = asyncio.run(ours(server, 10))
    assert isinstance(mine[0].prices[0], ps.ProductPriceUnitBased)
