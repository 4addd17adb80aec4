"""polar-sdk 1.0.2, unmodified, lists the subscriptions customers pay for on the fake.

``customer_portal.subscriptions.list`` with a billing customer's session and
``subscriptions.list`` with an organization token, in each API version the SDK ships, over
real HTTP against ``FakePolarServer``: every page decodes into the SDK's own models (it
sends ``sorting=-started_at``, Polar's default), and its filters keep what Polar keeps.
"""

from __future__ import annotations

from polar_seats.testing import DEFAULT_ORGANIZATION_TOKEN, FakePolarServer

from .polar_versions import EACH_VERSION, polar_async


@EACH_VERSION
async def test_polar_sdk_lists_a_customer_s_subscriptions_on_the_portal(version: str) -> None:
    async with FakePolarServer(count=1) as server:
        billing = server.add_billing_customer(seats=3)
        server.add_billing_customer(seats=2)
        async with polar_async(version, billing.token, server.url) as (polar, heard):
            portal = polar.customer_portal.subscriptions
            page = await portal.list()
            active = await portal.list(
                active=True, product_id=[billing.subscription.body["product_id"]]
            )
            revoked = await portal.list(active=False)
    assert type(page).__name__ == "ListResourceCustomerSubscription"
    assert [item.id for item in page.items] == [billing.subscription_id]
    assert (page.pagination.total_count, page.pagination.max_page) == (1, 1)
    assert [item.id for item in active.items] == [billing.subscription_id]
    assert revoked.items == []
    assert heard == [(version, version)] * 3


@EACH_VERSION
async def test_polar_sdk_lists_the_organization_s_subscriptions(version: str) -> None:
    async with FakePolarServer(count=1) as server:
        billing = server.add_billing_customer(seats=3, external_id="acme")
        other = server.add_billing_customer(seats=2)
        async with polar_async(version, DEFAULT_ORGANIZATION_TOKEN, server.url) as (polar, heard):
            everyone = await polar.subscriptions.list(limit=100)
            by_external = await polar.subscriptions.list(external_customer_id="acme")
            by_ids = await polar.subscriptions.list(
                customer_id=[billing.customer.id, other.customer.id], page=2, limit=1
            )
    assert type(everyone).__name__ == "ListResourceSubscription"
    assert {item.id for item in everyone.items} == {billing.subscription_id, other.subscription_id}
    assert [item.customer.id for item in by_external.items] == [billing.customer.id]
    assert (len(by_ids.items), by_ids.pagination.max_page) == (1, 2)
    assert heard == [(version, version)] * 3
