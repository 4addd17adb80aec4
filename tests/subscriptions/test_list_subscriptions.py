"""list_subscriptions through the client: the subscriptions customers pay for, on the
customer portal (a customer's own, a member's customer's) and on the organization side
(every customer's, filtered by customer); filters, pages and Polar's order; checks made
before sending; and the sync Client once."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import aiohttp
import pytest

import polar_seats as ps
from polar_seats.testing import (
    DEFAULT_ORGANIZATION_TOKEN,
    PRICE_KINDS,
    BillingCustomer,
    FakePolarServer,
    Fault,
    FaultPlan,
    make_subscription,
    serve_in_thread,
)


@pytest.fixture
def billing(server: FakePolarServer) -> BillingCustomer:
    return server.add_billing_customer(
        seats=3, external_id="team-1", members={"mia@x.test": "member"}
    )


def customer(server: FakePolarServer, token: str) -> ps.AsyncClient:
    return ps.AsyncClient(token, base_url=server.url, rate_limit=None)


def organization(server: FakePolarServer) -> ps.AsyncClient:
    return ps.AsyncClient(
        organization_token=DEFAULT_ORGANIZATION_TOKEN, base_url=server.url, rate_limit=None
    )


def another(
    server: FakePolarServer,
    billing: BillingCustomer,
    started_at: str | None,
    *,
    status: str = "active",
    product_id: str | None = None,
) -> str:
    """One more subscription the billing customer pays for; its id."""
    body = copy.deepcopy(billing.subscription.body)
    body.update(id=str(uuid.uuid4()), started_at=started_at, status=status)
    if product_id is not None:
        body["product_id"] = body["product"]["id"] = product_id
    return server.state.add_subscription(body).id


def ids(page: ps.Page[Any]) -> list[str]:
    return [item.id for item in page.items]


def sent(server: FakePolarServer) -> list[str]:
    return [f"{r.method} {r.path} {sorted(r.query.items())}" for r in server.requests]


# The customer portal's side ---------------------------------------------------------------


async def test_a_customer_lists_what_it_pays_for_newest_first(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """Its own subscriptions only, as CustomerSubscriptions, by started_at, newest first;
    one that never started is not listed."""
    billing.subscription.body["started_at"] = "2026-03-01T00:00:00Z"
    newer = another(server, billing, "2026-05-01T00:00:00Z")
    older = another(server, billing, "2025-11-30T23:59:59.5Z")
    another(server, billing, None, status="incomplete")
    server.add_billing_customer(seats=2)  # another customer's: not listed
    async with customer(server, billing.token) as me:
        page = await me.list_subscriptions()
    assert ids(page) == [newer, billing.subscription_id, older]
    assert all(type(item) is ps.CustomerSubscription for item in page.items)
    assert (page.pagination.total_count, page.pagination.max_page) == (3, 1)
    assert sent(server) == [
        "GET /v1/customer-portal/subscriptions/ [('limit', '10'), ('page', '1')]"
    ]


async def test_a_member_of_any_role_lists_its_customer_s_subscriptions(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """A member session (here role ``member``, not a billing role) lists what its
    customer pays for, as Polar's portal reads the member's customer."""
    async with customer(server, billing.member_tokens["mia@x.test"]) as mia:
        page = await mia.list_subscriptions()
    assert ids(page) == [billing.subscription_id]


async def test_a_customer_view_lists_through_the_portal(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """A view of the organization's client for one customer lists that customer's, on the
    portal, with a session minted for it."""
    async with organization(server) as org:
        page = await org.for_customer(external_customer_id="team-1").list_subscriptions()
    assert ids(page) == [billing.subscription_id]
    assert type(page.items[0]) is ps.CustomerSubscription
    assert [r.path for r in server.requests] == [
        "/v1/customer-sessions/",
        "/v1/customer-portal/subscriptions/",
    ]


async def test_filters_by_product_and_by_active_on_the_portal(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """``product_id`` keeps those products (repeated in the query for a list);
    ``active=True`` keeps active and trialing ones, ``active=False`` canceled and unpaid
    ones: a past-due one is in neither."""
    product = billing.subscription.body["product_id"]
    other_product = str(uuid.uuid4())
    trialing = another(server, billing, "2026-01-01T00:00:00Z", status="trialing")
    canceled = another(server, billing, "2025-01-01T00:00:00Z", status="canceled")
    past_due = another(server, billing, "2024-01-01T00:00:00Z", status="past_due")
    elsewhere = another(server, billing, "2023-01-01T00:00:00Z", product_id=other_product)
    async with customer(server, billing.token) as me:
        active = await me.list_subscriptions(active=True)
        revoked = await me.list_subscriptions(active=False)
        one = await me.list_subscriptions(product_id=uuid.UUID(other_product))
        both = await me.list_subscriptions(product_id=[product, other_product])
    assert set(ids(active)) == {billing.subscription_id, trialing, elsewhere}
    assert ids(revoked) == [canceled]
    assert past_due not in ids(active) + ids(revoked)
    assert ids(one) == [elsewhere]
    assert len(both.items) == 5
    assert server.requests[2].query == {"page": "1", "limit": "10", "product_id": other_product}
    assert server.requests[-1].path == "/v1/customer-portal/subscriptions/"


async def test_the_customer_side_refuses_the_organization_s_filters(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """customer_id and external_customer_id pick customers among the organization's:
    refused with a customer's credential, before anything is sent."""
    async with customer(server, billing.token) as me:
        with pytest.raises(ps.InvalidArgumentError) as by_id:
            await me.list_subscriptions(customer_id=billing.customer.id)
        with pytest.raises(ps.InvalidArgumentError) as by_external:
            await me.list_subscriptions(external_customer_id="team-1")
    assert by_id.value.argument == "customer_id"
    assert by_external.value.argument == "external_customer_id"
    assert "organization access token" in str(by_id.value)
    assert server.requests == []


# The organization's side ------------------------------------------------------------------


async def test_the_organization_lists_every_customer_s_subscriptions(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """Subscriptions (with their customer), of its own organization only: the claimant's
    seeded subscriptions belong to other organizations."""
    second = server.add_billing_customer(seats=2)
    async with organization(server) as org:
        page = await org.list_subscriptions(limit=100)
    assert set(ids(page)) == {billing.subscription_id, second.subscription_id}
    assert all(type(item) is ps.Subscription for item in page.items)
    owners = {item.id: item.customer.id for item in page.items if isinstance(item, ps.Subscription)}
    assert owners[billing.subscription_id] == billing.customer.id
    assert server.requests[0].path == "/v1/subscriptions/"


async def test_the_organization_filters_by_customer_id_and_external_id(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """One id or several, Polar ids as str or UUID, external ids as given."""
    second = server.add_billing_customer(seats=2, external_id="team-2")
    server.add_billing_customer(seats=2, external_id="team-3")
    async with organization(server) as org:
        by_id = await org.list_subscriptions(customer_id=uuid.UUID(billing.customer.id))
        by_ids = await org.list_subscriptions(customer_id=(billing.customer.id, second.customer.id))
        by_external = await org.list_subscriptions(external_customer_id={"team-2", "team-1"})
        nobody = await org.list_subscriptions(external_customer_id="team-9")
    assert ids(by_id) == [billing.subscription_id]
    assert set(ids(by_ids)) == {billing.subscription_id, second.subscription_id}
    assert set(ids(by_external)) == set(ids(by_ids))
    assert (ids(nobody), nobody.pagination.total_count) == ([], 0)


async def test_pages_walked_by_hand_cover_every_subscription_once(
    server: FakePolarServer,
) -> None:
    """limit=2 over five subscriptions: three pages, max_page 3; past the end, empty."""
    made = [server.add_billing_customer(seats=1) for _ in range(5)]
    for n, one in enumerate(made):
        one.subscription.body["started_at"] = f"2026-0{n + 1}-01T00:00:00Z"
    async with organization(server) as org:
        pages = [await org.list_subscriptions(page=n, limit=2) for n in (1, 2, 3, 4)]
    assert [p.pagination.max_page for p in pages] == [3, 3, 3, 3]
    assert [len(p.items) for p in pages] == [2, 2, 1, 0]
    newest_first = [one.subscription_id for one in reversed(made)]
    assert [item for p in pages for item in ids(p)] == newest_first


async def test_a_transient_failure_is_retried_as_a_read(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    server.faults = FaultPlan({1: Fault.proxy_html(502)})
    async with organization(server) as org:
        page = await org.list_subscriptions()
    assert ids(page) == [billing.subscription_id]
    assert [r.status for r in server.requests] == [502, 200]


# Checks before sending --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "argument"),
    [
        ({"product_id": "not-an-id"}, "product_id"),
        ({"product_id": []}, "product_id"),
        ({"customer_id": ["4b0b53a5-9a2f-4c57-9d2b-1f1b1c1d1e1f", "x"]}, "customer_id"),
        ({"external_customer_id": ""}, "external_customer_id"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"page": 0}, "page"),
    ],
)
async def test_a_bad_argument_is_refused_before_sending(
    server: FakePolarServer, arguments: dict[str, Any], argument: str
) -> None:
    async with organization(server) as org:
        with pytest.raises(ps.InvalidArgumentError) as caught:
            await org.list_subscriptions(**arguments)
    assert caught.value.argument == argument
    assert server.requests == []


@pytest.mark.parametrize(
    "arguments",
    [
        {"product_id": 7},
        {"product_id": [uuid.uuid4(), 7]},
        {"external_customer_id": [uuid.uuid4()]},
        {"active": "yes"},
        {"limit": "10"},
    ],
)
async def test_a_wrong_type_is_a_type_error(
    server: FakePolarServer, arguments: dict[str, Any]
) -> None:
    async with organization(server) as org:
        with pytest.raises(TypeError):
            await org.list_subscriptions(**arguments)
    assert server.requests == []


async def test_a_client_without_a_credential_is_told_what_to_pass(
    server: FakePolarServer,
) -> None:
    async with ps.AsyncClient(base_url=server.url) as nobody:
        with pytest.raises(ps.InvalidArgumentError) as caught:
            await nobody.list_subscriptions()
    assert "organization_token" in str(caught.value)
    assert server.requests == []


# Decoding ---------------------------------------------------------------------------------


async def test_a_page_of_the_organization_s_with_a_legacy_price_decodes(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """The lax path reads a price the fast models refuse, as it does the portal's pages."""
    legacy = make_subscription(PRICE_KINDS.index("legacy_fixed"))["prices"][0]
    headers = {"Authorization": f"Bearer {DEFAULT_ORGANIZATION_TOKEN}"}
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{server.url}/v1/subscriptions/", headers=headers) as answer,
    ):
        body = await answer.json()
    body["items"][0]["prices"] = [legacy]
    page = ps.decode(json.dumps(body), ps.Page[ps.Subscription])
    assert type(page.items[0]) is ps.Subscription
    assert page.items[0].prices[0].id == legacy["id"]


# The sync client --------------------------------------------------------------------------


def test_the_sync_client_lists_on_either_side() -> None:
    fake = FakePolarServer()
    billing = fake.add_billing_customer(seats=2)
    with serve_in_thread(fake) as server:
        with ps.Client(billing.token, base_url=server.url) as me:
            mine = me.list_subscriptions(active=True)
        with ps.Client(organization_token=DEFAULT_ORGANIZATION_TOKEN, base_url=server.url) as org:
            theirs = org.list_subscriptions(customer_id=billing.customer.id)
    assert ids(mine) == ids(theirs) == [billing.subscription_id]
    assert (type(mine.items[0]), type(theirs.items[0])) == (
        ps.CustomerSubscription,
        ps.Subscription,
    )
