"""The testing kit as users meet it: the pytest fixtures and the model factory."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web

import polar_seats as ps
from polar_seats.testing import (
    BENEFIT_TYPES,
    PRICE_KINDS,
    FakePolarServer,
    Fault,
    make_customer_subscription,
    make_subscription,
)


async def test_the_plugins_fixtures_give_a_server_and_a_client(
    polar_fake_server: FakePolarServer, polar_client: ps.AsyncClient
) -> None:
    """polar_fake_server and polar_client come from the installed pytest plugin."""
    subs = [sub async for sub in polar_client.iter_claimed_subscriptions()]
    assert [sub.id for sub in subs] == [raw["id"] for raw in polar_fake_server.subscriptions]
    assert polar_client.base_url == polar_fake_server.url


async def test_the_fixtures_work_beside_aiohttp_pytest_plugin(
    aiohttp_client: Callable[[web.Application], Awaitable[Any]],
    polar_fake_server: FakePolarServer,
    polar_client: ps.AsyncClient,
) -> None:
    """An app under test with pytest-aiohttp's `aiohttp_client`, calling the fake Polar."""

    async def count(request: web.Request) -> web.Response:
        page = await polar_client.list_claimed_subscriptions(limit=100)
        return web.json_response({"count": page.pagination.total_count})

    app = web.Application()
    app.router.add_get("/count", count)
    http = await aiohttp_client(app)
    response = await http.get("/count")
    assert await response.json() == {"count": len(polar_fake_server.subscriptions)}


def test_factory_builds_every_variant_as_models() -> None:
    """make_customer_subscription gives CustomerSubscription values of every kind."""
    subs = [make_customer_subscription(index) for index in range(len(PRICE_KINDS))]
    assert all(isinstance(sub, ps.CustomerSubscription) for sub in subs)
    assert len({type(sub.prices[0]) for sub in subs}) == len(PRICE_KINDS)
    assert {sub.product.benefits[0].type for sub in subs} == set(BENEFIT_TYPES)
    assert subs[3].id == make_subscription(3)["id"]


@pytest.mark.parametrize(
    ("spec", "fault"),
    [
        ("503", Fault.server_error(503)),
        ("429", Fault.rate_limited("60")),
        ("429:2", Fault.rate_limited("2")),
        ("408", Fault.http_status(408)),
        ("proxy-html", Fault.proxy_html(502)),
        ("proxy-html:504", Fault.proxy_html(504)),
        ("reset", Fault.reset()),
        ("Reset-Mid-Body", Fault.reset_mid_body()),
        ("truncated-json", Fault.truncated_json()),
        ("invalid-json", Fault.invalid_json()),
        ("endless-body", Fault.endless_body()),
        ("stall:1.5", Fault.stall(1.5)),
        ("slow-body:0.2", Fault.slow_body(0.2)),
    ],
)
def test_fault_parse_reads_every_kind(spec: str, fault: Fault) -> None:
    """Fault.parse (what serve-fake --fault takes) builds the same faults as the methods."""
    assert Fault.parse(spec) == fault


@pytest.mark.parametrize("spec", ["", "teapot", "50", "stall", "stall:soon", "reset:3", "5033"])
def test_fault_parse_refuses_what_it_does_not_know_with_the_choices(spec: str) -> None:
    """An unknown fault is a ValueError that lists what is accepted."""
    with pytest.raises(ValueError, match=r"use a status .* stall:SECONDS or slow-body:SECONDS"):
        Fault.parse(spec)
