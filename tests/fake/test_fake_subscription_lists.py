"""The fake plays Polar's two lists of the subscriptions customers pay for: the customer
portal's (``GET /v1/customer-portal/subscriptions/``) and the organization's (``GET
/v1/subscriptions/``), with Polar's authentication, filters, order, pagination and 422s, in
each version's shape; the parameters it does not play answer 501."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import aiohttp
import pytest

from polar_seats.testing import (
    DEFAULT_ORGANIZATION_TOKEN,
    BillingCustomer,
    FakePolarServer,
)
from tests.real_polar.test_real_polar import schema
from tests.support import contract

PORTAL = "/v1/customer-portal/subscriptions/"
ORG = "/v1/subscriptions/"
SUBSCRIPTION = schema("subscription-updates.openapi.json", "Subscription")
PAGINATION = contract.validator("Pagination")
MONTH = 30 * 86_400


@pytest.fixture
def billing(server: FakePolarServer) -> BillingCustomer:
    return server.add_billing_customer(seats=3, members={"mia@x.test": "member"})


async def get(
    server: FakePolarServer,
    path: str,
    token: str | None,
    query: list[tuple[str, str]] | None = None,
    version: str | None = None,
) -> tuple[int, Any, aiohttp.ClientResponse]:
    """One GET: its status, its JSON body (or text), and the response."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if version is not None:
        headers["Polar-Version"] = version
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            server.url + path, headers=headers, params=query or [], allow_redirects=False
        ) as answer,
    ):
        if answer.content_type == "application/json":
            return answer.status, await answer.json(), answer
        return answer.status, await answer.text(), answer


def organization_page_problems(body: Any) -> list[str]:
    """How a body breaks ``ListResource[Subscription]``: its items, its pagination."""
    problems = [] if set(body) == {"items", "pagination"} else [f"keys: {sorted(body)}"]
    for index, item in enumerate(body["items"]):
        problems += [f"items/{index}: {e.message}" for e in SUBSCRIPTION.iter_errors(item)]
    problems += [f"pagination: {e.message}" for e in PAGINATION.iter_errors(body["pagination"])]
    return problems


def add(server: FakePolarServer, billing: BillingCustomer, **changes: Any) -> str:
    """One more subscription of the billing customer; its id."""
    body = copy.deepcopy(billing.subscription.body)
    body.update(id=str(uuid.uuid4()), **changes)
    return server.state.add_subscription(body).id


async def test_the_portal_lists_the_customer_s_subscriptions_in_the_contract_s_shape(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    server.add_billing_customer(seats=1)
    status, body, answer = await get(server, PORTAL, billing.token)
    assert status == 200
    assert contract.errors(body) == []
    assert [item["id"] for item in body["items"]] == [billing.subscription_id]
    assert body["pagination"] == {"total_count": 1, "max_page": 1}
    assert answer.headers["Polar-Version"]


async def test_a_member_lists_its_customer_s_and_a_claimant_its_billing_customer_s(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """Polar's portal reads a member's customer, whatever the member's role; the
    claimant's own seats are on subscriptions other customers pay for."""
    _, body, _ = await get(server, PORTAL, billing.member_tokens["mia@x.test"])
    assert [item["id"] for item in body["items"]] == [billing.subscription_id]
    _, claimant, _ = await get(server, PORTAL, server.token)
    assert claimant["items"] == []


async def test_the_organization_lists_its_customers_subscriptions_in_the_contract_s_shape(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    second = server.add_billing_customer(seats=2)
    status, body, _ = await get(server, ORG, DEFAULT_ORGANIZATION_TOKEN)
    assert status == 200
    assert organization_page_problems(body) == []
    listed = {item["id"]: item["customer"]["id"] for item in body["items"]}
    assert listed == {
        billing.subscription_id: billing.customer.id,
        second.subscription_id: second.customer.id,
    }


@pytest.mark.parametrize("path", [PORTAL, ORG])
async def test_2027_01_reshapes_the_seat_price_on_both_lists(
    server: FakePolarServer, billing: BillingCustomer, path: str
) -> None:
    token = billing.token if path == PORTAL else DEFAULT_ORGANIZATION_TOKEN
    _, body, answer = await get(server, path, token, version="2027-01")
    (price,) = [p for p in body["items"][0]["prices"] if p["amount_type"] == "seat_based"]
    assert ("tiers" in price, "seat_tiers" in price) == (True, False)
    assert answer.headers["Polar-Version"] == "2027-01"


async def test_each_list_takes_its_own_credentials(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """Another subject type: 401; an organization token without a subscriptions scope: 403."""
    assert (await get(server, PORTAL, DEFAULT_ORGANIZATION_TOKEN))[0] == 401
    assert (await get(server, ORG, billing.token))[0] == 401
    assert (await get(server, ORG, None))[0] == 401
    seats_only = server.state.add_organization_token(
        server.claimant.organization, frozenset({"customer_seats:read"})
    )
    status, body, _ = await get(server, ORG, seats_only.token)
    assert (status, body["error"]) == (403, "insufficient_scope")


@pytest.mark.parametrize("path", [PORTAL, ORG])
async def test_without_its_slash_a_list_redirects(
    server: FakePolarServer, billing: BillingCustomer, path: str
) -> None:
    status, _, answer = await get(server, path.rstrip("/"), billing.token, [("page", "2")])
    assert status == 307
    assert answer.headers["Location"].endswith(f"{path}?page=2")


async def test_filters_order_and_pages_on_the_organization_s_list(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """Repeated ids keep all of them; never-started subscriptions are left out; newest
    first; active=false keeps canceled and unpaid."""
    billing.subscription.body["started_at"] = "2026-02-01T00:00:00Z"
    other = server.add_billing_customer(seats=1, external_id="ext-2")
    other.subscription.body["started_at"] = "2026-03-01T00:00:00Z"
    server.add_billing_customer(seats=1)
    unpaid = add(server, billing, started_at="2025-01-01T00:00:00Z", status="unpaid")
    add(server, billing, started_at=None, status="incomplete")
    query = [("customer_id", billing.customer.id), ("customer_id", other.customer.id)]
    _, body, _ = await get(server, ORG, DEFAULT_ORGANIZATION_TOKEN, query)
    listed = [item["id"] for item in body["items"]]
    assert listed == [other.subscription_id, billing.subscription_id, unpaid]
    query = [("external_customer_id", "ext-2"), ("active", "true")]
    _, body, _ = await get(server, ORG, DEFAULT_ORGANIZATION_TOKEN, query)
    assert [item["id"] for item in body["items"]] == [other.subscription_id]
    query = [("active", "false"), ("limit", "1"), ("page", "1")]
    _, body, _ = await get(server, ORG, DEFAULT_ORGANIZATION_TOKEN, query)
    assert ([i["id"] for i in body["items"]], body["pagination"]) == (
        [unpaid],
        {"total_count": 1, "max_page": 1},
    )
    product = billing.subscription.body["product_id"]
    query = [("product_id", product), ("limit", "1"), ("page", "2")]
    _, body, _ = await get(server, ORG, DEFAULT_ORGANIZATION_TOKEN, query)
    assert ([i["id"] for i in body["items"]], body["pagination"]) == (
        [unpaid],
        {"total_count": 2, "max_page": 2},
    )


async def test_a_bad_query_is_fastapi_s_422_pagination_first(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    query = [("active", "maybe"), ("product_id", "nope"), ("page", "0")]
    status, body, _ = await get(server, ORG, DEFAULT_ORGANIZATION_TOKEN, query)
    assert (status, body["error"]) == (422, "RequestValidationError")
    assert [(e["type"], e["loc"]) for e in body["detail"]] == [
        ("greater_than", ["query", "page"]),
        ("uuid_parsing", ["query", "product_id", 0]),
        ("bool_parsing", ["query", "active"]),
    ]


@pytest.mark.parametrize(
    ("path", "parameter"),
    [(ORG, "status"), (ORG, "metadata[plan]"), (ORG, "sorting"), (PORTAL, "query")],
)
async def test_a_parameter_the_fake_does_not_play_answers_501(
    server: FakePolarServer, billing: BillingCustomer, path: str, parameter: str
) -> None:
    token = billing.token if path == PORTAL else DEFAULT_ORGANIZATION_TOKEN
    status, body, _ = await get(server, path, token, [(parameter, "x")])
    assert (status, body["error"]) == (501, "NotImplemented")
    assert parameter in body["detail"]


async def test_an_unknown_parameter_is_ignored_and_the_default_sorting_played(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """The portal has no metadata filter: FastAPI ignores it. ``sorting=-started_at`` is
    Polar's default, which polar-sdk sends."""
    query = [("metadata[plan]", "x"), ("sorting", "-started_at")]
    status, body, _ = await get(server, PORTAL, billing.token, query)
    assert (status, len(body["items"])) == (200, 1)


async def test_a_seat_change_that_came_due_shows_in_the_list(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """A next-period seat change applies when the clock passes its time, on a list too."""
    headers = {"Authorization": f"Bearer {DEFAULT_ORGANIZATION_TOKEN}"}
    async with (
        aiohttp.ClientSession() as http,
        http.patch(
            f"{server.url}/v1/subscriptions/{billing.subscription_id}",
            headers=headers,
            json={"seats": 5, "proration_behavior": "next_period"},
        ) as answer,
    ):
        assert answer.status == 200
    server.clock.advance(MONTH + 1)
    _, body, _ = await get(server, PORTAL, billing.token)
    assert (body["items"][0]["seats"], body["items"][0]["pending_update"]) == (5, None)
