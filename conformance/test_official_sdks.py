"""Polar's own SDKs, unmodified, walk the fake server and read what polar_seats reads.

Code no one here wrote agrees with the fake server, so the tests built on it speak Polar's
protocol. polar-sdk 1.0.2 reads in each API version it ships a module for (2026-04,
2026-10, 2027-01, all live on the pinned date). Run by `nox -s conformance`, which
installs polar-sdk 1.0.2 and, in a folder of its own, polar-sdk 0.32.0.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from polar.base import PolarRateLimitError

import polar_seats as ps
from polar_seats.testing import (
    PRICE_KINDS,
    FakePolarServer,
    Fault,
    FaultPlan,
    make_subscription,
    serve_in_thread,
)

from .polar_versions import EACH_VERSION, SDK_MODULES, polar_async

NEWER_KINDS = {"unit_based", "metered_tiers"}
LIST = "/v1/customer-portal/seats/subscriptions"
SHARED_PRICE_FIELDS = (
    "created_at",
    "modified_at",
    "source",
    "price_currency",
    "tax_behavior",
    "is_archived",
    "product_id",
)
"""What a seat-based price declares in every API version."""


def older_kinds_only(count: int) -> list[dict[str, Any]]:
    """Subscriptions whose prices polar-sdk 0.32.0 knows (it predates two kinds)."""
    indexes = [i for i in range(count * 2) if PRICE_KINDS[i % 8] not in NEWER_KINDS]
    return [make_subscription(i) for i in indexes[:count]]


async def ours(server: FakePolarServer, limit: int) -> list[ps.CustomerSubscription]:
    async with ps.AsyncClient(server.token, base_url=server.url) as client:
        return [sub async for sub in client.iter_claimed_subscriptions(limit=limit)]


async def served(server: FakePolarServer, version: str) -> list[dict[str, Any]]:
    """Every claimed subscription as the fake's body has it under ``version``, read over
    plain HTTP."""
    headers = {"Authorization": f"Bearer {server.token}", "Polar-Version": version}
    items: list[dict[str, Any]] = []
    page, max_page = 1, 1
    async with aiohttp.ClientSession(headers=headers) as http:
        while page <= max_page:
            query = {"page": str(page), "limit": "100"}
            async with http.get(server.url + LIST, params=query) as response:
                assert response.headers["Polar-Version"] == version
                body = await response.json()
            items += body["items"]
            max_page, page = body["pagination"]["max_page"], page + 1
    return items


def kind(price: Any) -> str:
    """A price of the SDK by the name ``PRICE_KINDS`` gives its variant."""
    return ("legacy_" if getattr(price, "legacy", False) else "") + price.amount_type


def seat_based_count(count: int) -> int:
    """How many of ``count`` seeded subscriptions have a seat-based price."""
    return sum(PRICE_KINDS[i % len(PRICE_KINDS)] == "seat_based" for i in range(count))


@EACH_VERSION
async def test_polar_sdk_1_0_2_reads_what_polar_seats_reads(version: str) -> None:
    """Each version's iter_list_claimed_subscriptions over 250 subscriptions of every price
    kind: each page asked for in that version and answered in it."""
    async with FakePolarServer(count=250) as server:
        async with polar_async(version, server.token, server.url) as (polar, heard):
            seats = polar.customer_portal.seats
            theirs = [sub async for sub in seats.iter_list_claimed_subscriptions(limit=100)]
        mine = await ours(server, 100)
    assert heard == [(version, version)] * 3
    assert {kind(p) for s in theirs for p in s.prices} == set(PRICE_KINDS)
    assert [s.id for s in theirs] == [s.id for s in mine] == [r["id"] for r in server.subscriptions]
    assert [s.status for s in theirs] == [s.status for s in mine]
    assert [s.product.name for s in theirs] == [s.product.name for s in mine]
    assert [[p.id for p in s.prices] for s in theirs] == [[p.id for p in s.prices] for s in mine]
    assert [[p.id for p in s.product.prices] for s in theirs] == [
        [p.id for p in s.product.prices] for s in mine
    ]
    # polar-sdk 1.0.2 keeps datetimes as the strings it received.
    assert [datetime.fromisoformat(s.current_period_end) for s in theirs] == [
        s.current_period_end for s in mine
    ]


async def test_polar_sdk_1_0_2_reads_2027_01_seat_prices_as_the_2026_10_body_has_them() -> None:
    """Every 2027-01 seat-based price (a subscription's and its product's) is the SDK's
    tiers, minimum_units and maximum_units, saying what the fake's 2026-10 body says."""
    outputs = SDK_MODULES["2027-01"].outputs
    async with FakePolarServer(count=250) as server:
        async with polar_async("2027-01", server.token, server.url) as (polar, _):
            seats = polar.customer_portal.seats
            theirs = [sub async for sub in seats.iter_list_claimed_subscriptions(limit=100)]
        bodies = await served(server, "2026-10")
    compared = 0
    for sub, body in zip(theirs, bodies, strict=True):
        assert sub.id == body["id"]
        prices = zip(
            [*sub.prices, *sub.product.prices],
            [*body["prices"], *body["product"]["prices"]],
            strict=True,
        )
        for price, sent in prices:
            assert price.id == sent["id"]
            if sent["amount_type"] != "seat_based":
                continue
            compared += 1
            assert type(price) is outputs.ProductPriceSeatBased
            assert not hasattr(price, "seat_tiers")
            old = sent["seat_tiers"]
            assert price.tiers.type == old["seat_tier_type"]
            assert [(t.bound, Decimal(t.unit_amount)) for t in price.tiers.tiers] == [
                (t["max_seats"], Decimal(t["price_per_seat"])) for t in old["tiers"]
            ]
            assert (price.minimum_units, price.maximum_units) == (
                old["minimum_seats"],
                old["maximum_seats"],
            )
            for name in SHARED_PRICE_FIELDS:
                assert getattr(price, name) == sent[name], name
    assert compared == 2 * seat_based_count(250)


async def test_polar_sdk_1_0_2_reads_seat_tier_defaults_in_2026_10_and_2027_01() -> None:
    """A seat price without seat_tier_type or a last max_seats (2026-04's defaults): 2026-10
    reads them as absent, 2027-01 as volume tiers whose last bound is null."""
    sub = make_subscription(PRICE_KINDS.index("seat_based"))
    for price in (*sub["prices"], *sub["product"]["prices"]):
        if price["amount_type"] == "seat_based":
            price["seat_tiers"].pop("seat_tier_type", None)
            price["seat_tiers"]["tiers"][-1].pop("max_seats", None)
    async with FakePolarServer([sub]) as server:
        async with polar_async("2026-10", server.token, server.url) as (polar, _):
            (old,) = (await polar.customer_portal.seats.list_claimed_subscriptions()).items
        async with polar_async("2027-01", server.token, server.url) as (polar, _):
            (new,) = (await polar.customer_portal.seats.list_claimed_subscriptions()).items
    old_tiers = old.prices[0].seat_tiers
    assert (old_tiers.seat_tier_type, old_tiers.tiers[-1].max_seats) == (None, None)
    for price in (new.prices[0], new.product.prices[0]):
        assert price.tiers.type == "volume"
        assert [tier.bound for tier in price.tiers.tiers] == [10, None]


@EACH_VERSION
async def test_polar_sdk_1_0_2_sees_the_fake_servers_errors_as_polars(version: str) -> None:
    """An unknown token is the version's 401 error of the list; the 429 is the SDK's
    rate-limit error; both answered in the version asked."""
    errors = SDK_MODULES[version].errors
    async with FakePolarServer(faults=FaultPlan({2: Fault.rate_limited("60")})) as server:
        async with polar_async(version, "polar_cst_unknown", server.url) as (polar, heard):
            with pytest.raises(errors.CustomerPortalSeatsListClaimedSubscriptions401Error) as no:
                await polar.customer_portal.seats.list_claimed_subscriptions()
        assert no.value.status_code == 401
        async with polar_async(version, server.token, server.url) as (polar, more):
            with pytest.raises(PolarRateLimitError) as limited:
                await polar.customer_portal.seats.list_claimed_subscriptions()
            assert limited.value.retry_after == 60
    assert heard + more == [(version, version)] * 2


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
