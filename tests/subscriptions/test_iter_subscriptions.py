"""iter_subscriptions: the subscriptions customers pay for as a walk, the same walk as
the claimed subscriptions' (every id once, pages ahead, early exit, .page on errors), on
either side of Polar's API, and from the sync Client."""

from __future__ import annotations

import pytest

import polar_seats as ps
from polar_seats.testing import (
    DEFAULT_ORGANIZATION_TOKEN,
    BillingCustomer,
    FakePolarServer,
    Fault,
    FaultPlan,
    serve_in_thread,
)


def organization(server: FakePolarServer, **options: object) -> ps.AsyncClient:
    return ps.AsyncClient(
        organization_token=DEFAULT_ORGANIZATION_TOKEN,
        base_url=server.url,
        rate_limit=None,
        **options,  # type: ignore[arg-type]
    )


def started(server: FakePolarServer, count: int) -> list[BillingCustomer]:
    """``count`` billing customers, each subscription started a day after the last."""
    made = [server.add_billing_customer(seats=1, external_id=f"team-{n}") for n in range(count)]
    for n, one in enumerate(made):
        one.subscription.body["started_at"] = f"2026-01-{n + 1:02d}T00:00:00Z"
    return made


def lists(server: FakePolarServer) -> list[str]:
    return [r.query.get("page", "") for r in server.requests if r.path == "/v1/subscriptions/"]


async def test_the_organization_walks_every_subscription_once_newest_first(
    server: FakePolarServer,
) -> None:
    """23 subscriptions at limit=10: pages 1 to 3, each id once, in Polar's order."""
    made = started(server, 23)
    async with organization(server) as org:
        walked = [sub async for sub in org.iter_subscriptions(limit=10)]
    assert [sub.id for sub in walked] == [one.subscription_id for one in reversed(made)]
    assert all(type(sub) is ps.Subscription for sub in walked)
    assert sorted(lists(server)) == ["1", "2", "3"]


async def test_every_page_of_the_walk_carries_its_filters(server: FakePolarServer) -> None:
    made = started(server, 6)
    wanted = [made[1], made[4]]
    async with organization(server) as org:
        walk = org.iter_subscriptions(
            limit=1, external_customer_id=["team-1", "team-4"], active=True
        )
        walked = [sub.id async for sub in walk]
    # limit=1: page 2 holds the second of the two only if it was filtered too.
    assert walked == [one.subscription_id for one in reversed(wanted)]
    assert [(r.query["page"], r.query["active"]) for r in server.requests] == [
        ("1", "true"),
        ("2", "true"),
    ]


async def test_a_customer_view_walks_on_one_session(server: FakePolarServer) -> None:
    """The portal's side, for one customer: one session minted for the whole walk."""
    billing = server.add_billing_customer(seats=2, external_id="team-1")
    async with organization(server) as org:
        view = org.for_customer(external_customer_id="team-1")
        walked = [sub async for sub in view.iter_subscriptions(limit=1)]
    assert [sub.id for sub in walked] == [billing.subscription_id]
    assert type(walked[0]) is ps.CustomerSubscription
    paths = [r.path for r in server.requests]
    assert paths.count("/v1/customer-sessions/") == 1


async def test_leaving_after_the_first_page_sends_one_request(server: FakePolarServer) -> None:
    started(server, 30)
    async with organization(server) as org, org.iter_subscriptions(limit=10) as walk:
        async for _ in walk:
            break
    assert lists(server) == ["1"]


async def test_max_items_stops_the_walk(server: FakePolarServer) -> None:
    started(server, 12)
    async with organization(server) as org:
        walked = [sub async for sub in org.iter_subscriptions(limit=5, max_items=7)]
    assert len(walked) == 7


async def test_an_error_tells_its_page(server: FakePolarServer) -> None:
    """Page 2 fails every time: the error says so, and the retry events too."""
    started(server, 15)
    events: list[ps.RetryEvent] = []
    server.faults = FaultPlan(pages={2: [Fault.server_error(503)] * 3})
    policy = ps.RetryPolicy(max_attempts=2, on_retry=events.append)
    async with organization(server, retry=policy) as org:
        with pytest.raises(ps.ServerError) as caught:
            [sub async for sub in org.iter_subscriptions(limit=10, concurrency=1)]
    assert caught.value.page == 2
    assert [event.page for event in events] == [2]


async def test_the_customer_side_refuses_customer_filters_before_sending(
    server: FakePolarServer,
) -> None:
    billing = server.add_billing_customer(seats=2)
    async with ps.AsyncClient(billing.token, base_url=server.url) as me:
        with pytest.raises(ps.InvalidArgumentError) as caught:
            me.iter_subscriptions(customer_id=billing.customer.id)
    assert caught.value.argument == "customer_id"
    assert server.requests == []


def test_the_sync_client_walks_too() -> None:
    fake = FakePolarServer()
    made = started(fake, 7)
    token = DEFAULT_ORGANIZATION_TOKEN
    with (
        serve_in_thread(fake) as server,
        ps.Client(organization_token=token, base_url=server.url) as org,
    ):
        walk = org.iter_subscriptions(limit=3)
        assert isinstance(walk, ps.SyncPageIterator)
        walked = [sub.id for sub in walk]
    assert walked == [one.subscription_id for one in reversed(made)]
