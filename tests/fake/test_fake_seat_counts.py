"""The fake plays Polar's seat counts: one subscription read and its seat count changed, on
the customer portal and on the organization side, with Polar's checks in Polar's order,
each proration, the charges and their 402s, webhooks, and answers lost after the change."""

from __future__ import annotations

import asyncio
import base64
from datetime import datetime
from typing import Any

import aiohttp
import pytest
from standardwebhooks.webhooks import Webhook

from polar_seats.testing import (
    BENEFIT_TYPES,
    DEFAULT_ORGANIZATION_TOKEN,
    BillingCustomer,
    FakePolarServer,
    Fault,
    FaultPlan,
    make_subscriptions,
)
from tests.fake.test_fake_seats import assign, call, receiver, valid
from tests.real_polar.test_real_polar import schema
from tests.support import contract

__all__ = ["receiver"]  # the webhook endpoint fixture, shared with the seat lifecycle's tests

PORTAL = "/v1/customer-portal/subscriptions"
ORG = "/v1/subscriptions"
UPDATES = "subscription-updates.openapi.json"
CUSTOMER_SUBSCRIPTION = contract.validator("CustomerSubscription")
SUBSCRIPTION = schema(UPDATES, "Subscription")
UPDATED = schema(UPDATES, "WebhookSubscriptionUpdatedPayload")
ERRORS = {
    name: schema(UPDATES, name)
    for name in (
        "AlreadyCanceledSubscription",
        "NotASeatBasedSubscription",
        "PaymentFailed",
        "PaymentActionRequired",
        "SubscriptionLocked",
        "UpdateSubscriptionSeatsNotAllowed",
        "ResourceNotFound",
    )
}
ORG_TOKEN = DEFAULT_ORGANIZATION_TOKEN
MONTH = 30 * 86_400


@pytest.fixture
def billing(server: FakePolarServer) -> BillingCustomer:
    return server.add_billing_customer(
        seats=3,
        members={"owner@x.test": "owner", "bill@x.test": "billing_manager", "mia@x.test": "member"},
    )


async def portal(
    server: FakePolarServer, billing: BillingCustomer, body: Any = None, token: str | None = None
) -> tuple[int, Any]:
    """The portal's GET (no body) or PATCH of the billing customer's subscription."""
    method = "GET" if body is None else "PATCH"
    path = f"{PORTAL}/{billing.subscription_id}"
    return await call(server, method, path, token or billing.token, body)


async def org(
    server: FakePolarServer, billing: BillingCustomer, body: Any = None, token: str = ORG_TOKEN
) -> tuple[int, Any]:
    """The organization's GET (no body) or PATCH of the billing customer's subscription."""
    method = "GET" if body is None else "PATCH"
    return await call(server, method, f"{ORG}/{billing.subscription_id}", token, body)


def error(answer: tuple[int, Any]) -> tuple[int, str, str]:
    status, body = answer
    if body.get("error") in ERRORS:
        assert valid(ERRORS[body["error"]], body)
    return status, body["error"], body["detail"]


def watch(server: FakePolarServer) -> None:
    """Record webhooks (to the discard port: nothing listens, each is still recorded)."""
    server.webhook_url = "http://127.0.0.1:9/hook"
    server.webhook_secret = "polar_whs_secret"


def updates(server: FakePolarServer) -> list[dict[str, Any]]:
    return [d.payload for d in server.webhooks_sent if d.type == "subscription.updated"]


# Reading ---------------------------------------------------------------------------------


async def test_the_portal_reads_its_customers_subscription_as_a_customer_subscription(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """200 with a CustomerSubscription of the contract; its organization shows update_seats."""
    status, body = await portal(server, billing)
    assert status == 200
    assert contract.errors(body, "CustomerSubscription") == []
    assert (body["id"], body["seats"], body["pending_update"]) == (billing.subscription_id, 3, None)
    organization = body["product"]["organization"]
    assert organization["customer_portal_settings"]["subscription"]["update_seats"] is True
    billing.organization.update_seats = False
    _, body = await portal(server, billing)
    settings = body["product"]["organization"]["customer_portal_settings"]
    assert settings["subscription"]["update_seats"] is False


async def test_every_member_reads_the_customers_subscription(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """A member of any role reads it (Polar's readable statement is the customer's)."""
    for token in billing.member_tokens.values():
        status, body = await portal(server, billing, token=token)
        assert (status, body["id"]) == (200, billing.subscription_id)


async def test_another_customers_subscription_is_not_found_on_the_portal(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """Another customer's session: 404 ResourceNotFound for a read and for an update."""
    other = server.add_billing_customer()
    path = f"{PORTAL}/{billing.subscription_id}"
    assert error(await call(server, "GET", path, other.token)) == (
        404,
        "ResourceNotFound",
        "Not found",
    )
    answer = await call(server, "PATCH", path, other.token, {"seats": 4})
    assert error(answer) == (404, "ResourceNotFound", "Not found")
    assert billing.subscription.seats == 3


async def test_the_organizations_body_holds_every_benefit_and_meter_in_full(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """Each benefit type with its properties, each meter with its whole Meter: valid."""
    kinds: dict[str, Any] = {}
    meters: list[Any] = []
    for body in make_subscriptions(len(BENEFIT_TYPES)):
        meters += body["meters"]
        for benefit in body["product"]["benefits"]:
            kinds.setdefault(benefit["type"], benefit)
    assert set(kinds) == set(BENEFIT_TYPES)
    assert meters
    billing.subscription.body["product"]["benefits"] = list(kinds.values())
    billing.subscription.body["meters"] = meters
    _, body = await org(server, billing)
    assert list(SUBSCRIPTION.iter_errors(body)) == []
    credit = next(b for b in body["product"]["benefits"] if b["type"] == "meter_credit")
    assert credit["properties"]["rollover"] is False
    assert {m["meter"]["organization_id"] for m in body["meters"]} == {billing.organization.id}


async def test_the_organization_reads_its_subscription_as_polar_sdk_needs_it(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """The organization's Subscription: its customer, a Product with is_deletable and full
    benefits, and units, which polar-sdk 1.0.2 requires."""
    status, body = await org(server, billing)
    assert status == 200
    assert valid(SUBSCRIPTION, body)
    assert body["customer"]["id"] == billing.customer.id
    assert "units" in body
    assert body["product"]["is_deletable"] is False
    assert "organization" not in body["product"]
    assert all("properties" in benefit for benefit in body["product"]["benefits"])


async def test_another_organizations_subscription_is_not_found(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """A token of another organization: 404 for a read and for an update."""
    other = server.state.add_organization(
        {"id": "9f5e8b1c-2d3a-4e5f-8a7b-0c1d2e3f4a5b", "slug": "other", "name": "Other"}
    )
    token = server.state.add_organization_token(
        other, frozenset({"subscriptions:read", "subscriptions:write"})
    ).token
    assert error(await org(server, billing, token=token))[:2] == (404, "ResourceNotFound")
    assert error(await org(server, billing, {"seats": 4}, token=token))[0] == 404
    assert billing.subscription.seats == 3


async def test_an_organization_token_needs_the_subscriptions_scopes(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """Without subscriptions:read the read is 403; with only read, the update is 403."""
    organization = billing.organization
    blind = server.state.add_organization_token(organization, frozenset({"customer_seats:read"}))
    reader = server.state.add_organization_token(organization, frozenset({"subscriptions:read"}))
    status, body = await org(server, billing, token=blind.token)
    assert (status, body["error"]) == (403, "insufficient_scope")
    assert (await org(server, billing, token=reader.token))[0] == 200
    status, body = await org(server, billing, {"seats": 4}, token=reader.token)
    assert (status, body["error"]) == (403, "insufficient_scope")
    assert billing.subscription.seats == 3


# Who may change the count ----------------------------------------------------------------


async def test_only_owners_and_billing_managers_change_the_count(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """A plain member: 403 NotPermitted; an owner and a billing manager may."""
    member = billing.member_tokens["mia@x.test"]
    assert error(await portal(server, billing, {"seats": 4}, token=member)) == (
        403,
        "NotPermitted",
        "Only owners and billing managers can access billing features.",
    )
    assert billing.subscription.seats == 3
    for email, seats in (("owner@x.test", 4), ("bill@x.test", 5)):
        status, body = await portal(server, billing, {"seats": seats}, billing.member_tokens[email])
        assert (status, body["seats"]) == (200, seats)


async def test_the_portal_setting_refuses_before_any_seat_check(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """update_seats off: 403 UpdateSubscriptionSeatsNotAllowed, even for a canceled
    subscription, a count below the minimum; the organization side is not bound by it."""
    billing.organization.update_seats = False
    billing.subscription.cancel(at_period_end=True)
    assert error(await portal(server, billing, {"seats": 0})) == (
        403,
        "UpdateSubscriptionSeatsNotAllowed",
        "Updating subscription seats is not allowed.",
    )
    assert error(await org(server, billing, {"seats": 0}))[1] == "AlreadyCanceledSubscription"


# The checks, in Polar's order ------------------------------------------------------------


@pytest.mark.parametrize("at_period_end", [True, False], ids=["at-period-end", "now"])
async def test_a_canceled_subscription_is_refused(
    server: FakePolarServer, billing: BillingCustomer, at_period_end: bool
) -> None:
    """Canceled now or at the period's end: 403 AlreadyCanceledSubscription on both sides."""
    billing.subscription.cancel(at_period_end=at_period_end)
    expected = (
        403,
        "AlreadyCanceledSubscription",
        "This subscription is already canceled or will be at the end of the period.",
    )
    assert error(await portal(server, billing, {"seats": 4})) == expected
    assert error(await org(server, billing, {"seats": 4})) == expected
    assert billing.subscription.seats == 3


async def test_cancel_shows_in_both_bodies(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """cancel(at_period_end=True): still active, ending with the period; cancel(False): over."""
    billing.subscription.cancel(at_period_end=True)
    _, body = await portal(server, billing)
    assert (body["status"], body["cancel_at_period_end"]) == ("active", True)
    assert body["ends_at"] == body["current_period_end"]
    billing.subscription.cancel(at_period_end=False)
    _, body = await org(server, billing)
    assert body["status"] == "canceled"
    assert body["ended_at"] == body["canceled_at"]


async def test_a_subscription_without_a_seat_based_price_is_refused(
    server: FakePolarServer,
) -> None:
    """400 NotASeatBasedSubscription; a canceled one is refused for that first."""
    billing = server.add_billing_customer(seat_based=False)
    assert all(
        price["amount_type"] != "seat_based" for price in billing.subscription.body["prices"]
    )
    assert error(await portal(server, billing, {"seats": 4})) == (
        400,
        "NotASeatBasedSubscription",
        "This subscription does not support seat-based pricing.",
    )
    billing.subscription.cancel()
    assert error(await org(server, billing, {"seats": 4}))[1] == "AlreadyCanceledSubscription"


async def test_below_the_minimum_is_refused(server: FakePolarServer) -> None:
    """400 BelowMinimumSeats with the price's minimum; a price that is not seat-based is
    refused for that first, even for 0 seats."""
    billing = server.add_billing_customer(seats=4, minimum_seats=3)
    assert error(await portal(server, billing, {"seats": 2})) == (
        400,
        "BelowMinimumSeats",
        "Minimum 3 seats required.",
    )
    plain = server.add_billing_customer(seat_based=False)
    assert error(await org(server, plain, {"seats": 0}))[1] == "NotASeatBasedSubscription"


async def test_zero_seats_passes_the_schema_and_meets_the_minimum_of_one(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """The schema lets 0 (and negative counts) through: "Minimum 1 seats required."."""
    for seats in (0, -1):
        for call_side in (portal, org):
            assert error(await call_side(server, billing, {"seats": seats})) == (
                400,
                "BelowMinimumSeats",
                "Minimum 1 seats required.",
            )


async def test_above_the_maximum_is_refused(server: FakePolarServer) -> None:
    """400 AboveMaximumSeats with the price's maximum."""
    billing = server.add_billing_customer(seats=4, maximum_seats=8)
    assert error(await org(server, billing, {"seats": 9})) == (
        400,
        "AboveMaximumSeats",
        "Maximum 8 seats allowed.",
    )
    assert (await org(server, billing, {"seats": 8}))[0] == 200


async def test_fewer_seats_than_assigned_is_refused_counting_pending_and_claimed(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """A pending and a claimed seat count, a revoked one does not: 400 SeatsAlreadyAssigned."""
    await assign(server, billing, email="pending@x.test")
    await assign(server, billing, email="claimed@x.test", immediate_claim=True)
    _, gone = await assign(server, billing, email="gone@x.test")
    await call(server, "DELETE", f"/v1/customer-portal/seats/{gone['id']}", billing.token)
    assert error(await portal(server, billing, {"seats": 1})) == (
        400,
        "SeatsAlreadyAssigned",
        "Cannot decrease seats to 1. Currently 2 seats are assigned. Revoke seats first.",
    )
    assert (await portal(server, billing, {"seats": 2}))[0] == 200


async def test_the_minimum_is_checked_before_the_assigned_seats(
    server: FakePolarServer,
) -> None:
    """A count both below the minimum and below the seats assigned: BelowMinimumSeats."""
    billing = server.add_billing_customer(seats=4, minimum_seats=3)
    for email in ("a@x.test", "b@x.test", "c@x.test"):
        await assign(server, billing, email=email)
    assert error(await org(server, billing, {"seats": 2}))[1] == "BelowMinimumSeats"


async def test_a_locked_subscription_is_refused_on_the_organization_side(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """409 SubscriptionLocked, before the seat checks; the portal does not answer it."""
    billing.subscription.locked = True
    billing.subscription.cancel()
    assert error(await org(server, billing, {"seats": 4})) == (
        409,
        "SubscriptionLocked",
        "This subscription is pending an update.",
    )
    assert error(await portal(server, billing, {"seats": 4}))[1] == "AlreadyCanceledSubscription"


# Prorations ------------------------------------------------------------------------------


async def test_prorate_applies_now_and_charges_nothing_now(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """The organization's default (prorate): the count changes at once, no charge."""
    watch(server)
    status, body = await portal(server, billing, {"seats": 5})
    assert (status, body["seats"], body["pending_update"]) == (200, 5, None)
    assert valid(CUSTOMER_SUBSCRIPTION, body)
    assert server.charges == []
    assert billing.subscription.seats == 5
    (payload,) = updates(server)
    assert payload["data"]["seats"] == 5


@pytest.mark.parametrize("proration", ["invoice", "reset"])
async def test_an_increase_charged_now_is_one_charge(
    server: FakePolarServer, billing: BillingCustomer, proration: str
) -> None:
    """invoice and reset: applied and charged at once, one charge with the counts."""
    status, body = await org(server, billing, {"seats": 6, "proration_behavior": proration})
    assert (status, body["seats"]) == (200, 6)
    assert valid(SUBSCRIPTION, body)
    (charge,) = server.charges
    assert (charge.subscription_id, charge.seats_before, charge.seats_after) == (
        billing.subscription_id,
        3,
        6,
    )


async def test_a_decrease_is_never_charged_and_never_refused_for_payment(
    server: FakePolarServer,
) -> None:
    """A decrease with invoice and no payment method: 200, no charge."""
    billing = server.add_billing_customer(seats=5, payment_method="none")
    status, body = await org(server, billing, {"seats": 2, "proration_behavior": "invoice"})
    assert (status, body["seats"]) == (200, 2)
    assert server.charges == []


async def test_the_portal_uses_the_organizations_default_proration(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """organization.proration_behavior = "invoice": the portal's increase is charged; the
    organization side with no proration_behavior too."""
    billing.organization.proration_behavior = "invoice"
    assert (await portal(server, billing, {"seats": 4}))[0] == 200
    assert (await org(server, billing, {"seats": 5, "proration_behavior": None}))[0] == 200
    assert [(c.seats_before, c.seats_after) for c in server.charges] == [(3, 4), (4, 5)]


async def test_next_period_waits_in_pending_update_then_applies_once_the_period_ends(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """Nothing charged, the count unchanged, pending_update with applies_at = the period's
    end; once the fake's clock passes it, the next read shows the count applied."""
    watch(server)
    status, body = await org(server, billing, {"seats": 7, "proration_behavior": "next_period"})
    assert status == 200
    assert valid(SUBSCRIPTION, body)
    pending = body["pending_update"]
    assert (body["seats"], pending["seats"], pending["product_id"]) == (3, 7, None)
    assert pending["applies_at"] == body["current_period_end"]
    assert server.charges == []
    _, seen = await portal(server, billing)
    assert (seen["seats"], seen["pending_update"]) == (3, pending)
    assert valid(CUSTOMER_SUBSCRIPTION, seen)
    server.clock.advance(MONTH - 60)
    assert (await portal(server, billing))[1]["seats"] == 3
    server.clock.advance(120)
    _, applied = await portal(server, billing)
    assert (applied["seats"], applied["pending_update"]) == (7, None)
    assert applied["current_period_start"] == pending["applies_at"]
    assert [p["data"]["seats"] for p in updates(server)] == [3, 7]


async def test_a_pending_change_applies_in_the_period_the_clock_is_in(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """Read two and a half periods later: applied, and the period is the current one."""
    start = billing.subscription.body["current_period_start"]
    assert (await org(server, billing, {"seats": 5, "proration_behavior": "next_period"}))[0] == 200
    server.clock.advance(MONTH * 2.5)
    _, applied = await org(server, billing)
    assert applied["seats"] == 5
    assert contract_seconds(applied["current_period_start"]) == (
        contract_seconds(start) + 2 * MONTH
    )


def contract_seconds(moment: str) -> float:
    return datetime.fromisoformat(moment.replace("Z", "+00:00")).timestamp()


async def test_the_same_count_keeps_a_pending_product_change_without_its_seats(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """A pending update that changes the product too: only its seats are cancelled."""
    product_id = billing.subscription.body["product_id"]
    pending = {
        "created_at": billing.subscription.body["current_period_start"],
        "modified_at": None,
        "id": "4f1c2b3a-5d6e-4f70-8a9b-0c1d2e3f4a5b",
        "applies_at": billing.subscription.body["current_period_end"],
        "product_id": product_id,
        "seats": 9,
        "units": None,
    }
    billing.subscription.body["pending_update"] = pending
    status, body = await org(server, billing, {"seats": 3})
    assert (status, body["pending_update"]) == (200, {**pending, "seats": None})
    assert valid(SUBSCRIPTION, body)


async def test_a_count_changed_now_cancels_a_pending_change(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """A change applied now drops the pending seat change: nothing applies later."""
    await org(server, billing, {"seats": 7, "proration_behavior": "next_period"})
    status, body = await org(server, billing, {"seats": 4, "proration_behavior": "prorate"})
    assert (status, body["seats"], body["pending_update"]) == (200, 4, None)
    server.clock.advance(MONTH + 60)
    assert (await org(server, billing))[1]["seats"] == 4


# The same count --------------------------------------------------------------------------


async def test_the_same_count_changes_nothing_and_sends_no_webhook(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """The same count, even with invoice: 200, no charge, no webhook."""
    watch(server)
    status, body = await org(server, billing, {"seats": 3, "proration_behavior": "invoice"})
    assert (status, body["seats"]) == (200, 3)
    assert (await portal(server, billing, {"seats": 3}))[0] == 200
    assert server.charges == []
    assert server.webhooks_sent == []


async def test_the_same_count_cancels_a_pending_seat_change(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """The same count with a seat change pending: the pending change is cancelled (Polar's
    code then sends subscription.updated, the change being one)."""
    watch(server)
    await org(server, billing, {"seats": 8, "proration_behavior": "next_period"})
    status, body = await portal(server, billing, {"seats": 3})
    assert (status, body["seats"], body["pending_update"]) == (200, 3, None)
    assert [p["data"]["pending_update"] is None for p in updates(server)] == [False, True]
    server.clock.advance(MONTH + 60)
    assert (await portal(server, billing))[1]["seats"] == 3


# Payment ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "reason"), [("none", "missing_payment_method"), ("card_error", "card_error")]
)
async def test_a_failed_charge_is_402_and_rolls_everything_back(
    server: FakePolarServer, method: Any, reason: str
) -> None:
    """402 PaymentFailed with the reason; the count unchanged, no pending change, no charge,
    no webhook; on the portal too, with the organization's invoice default."""
    billing = server.add_billing_customer(seats=3, payment_method=method)
    watch(server)
    expected = (402, "PaymentFailed", f"Payment failed with reason: {reason}.")
    assert error(await org(server, billing, {"seats": 5, "proration_behavior": "invoice"})) == (
        expected
    )
    billing.organization.proration_behavior = "invoice"
    assert error(await portal(server, billing, {"seats": 5})) == expected
    _, body = await org(server, billing)
    assert (body["seats"], body["pending_update"]) == (3, None)
    assert server.charges == []
    assert server.webhooks_sent == []


async def test_a_charge_that_needs_3ds_is_402_payment_action_required(
    server: FakePolarServer,
) -> None:
    """402 PaymentActionRequired naming a new order each time; rolled back."""
    billing = server.add_billing_customer(seats=3, payment_method="3ds")
    details = []
    for _ in range(2):
        status, name, detail = error(
            await org(server, billing, {"seats": 5, "proration_behavior": "reset"})
        )
        assert (status, name) == (402, "PaymentActionRequired")
        details.append(detail)
    order_ids = [detail.split()[1] for detail in details]
    assert details[0] == (
        f"Order {order_ids[0]} payment requires customer authentication (e.g. 3DS "
        "challenge); off-session charge cannot complete."
    )
    assert len(set(order_ids)) == 2
    assert billing.subscription.seats == 3
    assert server.charges == []


async def test_a_payment_method_added_later_lets_the_charge_through(
    server: FakePolarServer,
) -> None:
    """customer.payment_method is read at each charge: "none", then "card"."""
    billing = server.add_billing_customer(seats=3, payment_method="none")
    body = {"seats": 4, "proration_behavior": "invoice"}
    assert (await org(server, billing, body))[0] == 402
    billing.customer.payment_method = "card"
    assert (await org(server, billing, body))[0] == 200
    assert [(c.seats_before, c.seats_after) for c in server.charges] == [(3, 4)]


# Webhooks --------------------------------------------------------------------------------


async def test_a_change_sends_subscription_updated_signed_with_the_organizations_body(
    receiver: tuple[str, list[tuple[dict[str, str], str]]],
) -> None:
    """subscription.updated carries the organization's Subscription, verified by
    standardwebhooks; a refused change and a no-op send nothing."""
    url, received = receiver
    async with FakePolarServer(webhook_url=url, webhook_secret="polar_whs_secret") as server:
        billing = server.add_billing_customer(seats=3, maximum_seats=5)
        await org(server, billing, {"seats": 9})
        await org(server, billing, {"seats": 3})
        await org(server, billing, {"seats": 4})
        await server.deliver_webhooks()
    verifier = Webhook(base64.b64encode(b"polar_whs_secret").decode())
    (payload,) = [verifier.verify(body, headers) for headers, body in received]
    assert payload["type"] == "subscription.updated"
    assert valid(UPDATED, payload)
    assert (payload["data"]["id"], payload["data"]["seats"]) == (billing.subscription_id, 4)
    assert payload["api_version"] == "2026-10"


async def test_a_2027_01_webhook_endpoint_gets_the_2027_01_price_shape(
    server: FakePolarServer,
) -> None:
    """An endpoint on 2027-01: the seat price has tiers and minimum_units/maximum_units."""
    billing = server.add_billing_customer(seats=3, minimum_seats=2, maximum_seats=12)
    watch(server)
    server.webhook_api_version = "2027-01"
    await org(server, billing, {"seats": 4})
    (payload,) = updates(server)
    price = payload["data"]["prices"][0]
    assert "seat_tiers" not in price
    assert (price["minimum_units"], price["maximum_units"]) == (2, 12)


# Seeding and versions --------------------------------------------------------------------


async def test_the_seat_range_is_served_in_both_version_shapes(server: FakePolarServer) -> None:
    """minimum_seats/maximum_seats: 2026-04's seat_tiers (derived from its tiers) and
    2027-01's minimum_units/maximum_units, on both sides."""
    billing = server.add_billing_customer(seats=4, minimum_seats=2, maximum_seats=20)
    _, current = await portal(server, billing)
    tiers = current["prices"][0]["seat_tiers"]
    assert (tiers["minimum_seats"], tiers["maximum_seats"]) == (2, 20)
    assert (tiers["tiers"][0]["min_seats"], tiers["tiers"][-1]["max_seats"]) == (2, 20)
    path = f"{PORTAL}/{billing.subscription_id}"
    for where, token in ((path, billing.token), (f"{ORG}/{billing.subscription_id}", ORG_TOKEN)):
        async with (
            aiohttp.ClientSession() as http,
            http.get(
                server.url + where,
                headers={"Authorization": f"Bearer {token}", "Polar-Version": "2027-01"},
            ) as response,
        ):
            price = (await response.json())["prices"][0]
        assert (price["minimum_units"], price["maximum_units"]) == (2, 20)
        assert price["tiers"]["tiers"][-1]["bound"] == 20


@pytest.mark.parametrize(
    ("minimum", "maximum", "bounds"),
    [(None, 5, [(1, 5)]), (12, None, [(12, None)]), (3, 40, [(3, 10), (11, 40)])],
)
def test_the_seeded_seat_tiers_run_from_the_minimum_to_the_maximum(
    server: FakePolarServer, minimum: int | None, maximum: int | None, bounds: list[Any]
) -> None:
    """One tier when the range fits in one, two when it spans the first tier's end."""
    billing = server.add_billing_customer(minimum_seats=minimum, maximum_seats=maximum)
    tiers = billing.subscription.body["prices"][0]["seat_tiers"]
    assert [(t["min_seats"], t["max_seats"]) for t in tiers["tiers"]] == bounds


def test_a_maximum_below_the_minimum_is_a_seeding_mistake(server: FakePolarServer) -> None:
    """A sentence saying which bound is wrong."""
    with pytest.raises(ValueError, match=r"maximum_seats \(2\) is below minimum_seats \(3\)"):
        server.add_billing_customer(minimum_seats=3, maximum_seats=2)


async def test_the_count_is_held_once_and_seats_follow_it(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """After a change, the seats list counts the new total, and the subscription's body."""
    await portal(server, billing, {"seats": 4})
    _, listed = await call(
        server,
        "GET",
        f"/v1/customer-portal/seats?subscription_id={billing.subscription_id}",
        billing.token,
    )
    assert (listed["total_seats"], billing.subscription.body["seats"]) == (4, 4)


# Lost answers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault", [Fault.reset(after=True), Fault.server_error(502).after()], ids=["reset", "502"]
)
async def test_a_lost_answer_leaves_the_change_applied_and_charged_once(
    server: FakePolarServer, billing: BillingCustomer, fault: Fault
) -> None:
    """The PATCH ran (count changed, one charge), its answer lost: reading tells what happened."""
    server.faults = FaultPlan({1: fault})
    try:
        status, _ = await org(server, billing, {"seats": 6, "proration_behavior": "invoice"})
    except aiohttp.ClientError:
        status = None
    assert status in (None, 502)
    _, body = await org(server, billing)
    assert body["seats"] == 6
    assert len(server.charges) == 1


async def test_concurrent_changes_run_one_at_a_time(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """Two changes at once run one after the other: each is charged (or not) from the count
    the other left, never both from 3."""
    answers = await asyncio.gather(
        *(org(server, billing, {"seats": n, "proration_behavior": "invoice"}) for n in (5, 7))
    )
    assert [status for status, _ in answers] == [200, 200]
    charged = [(c.seats_before, c.seats_after) for c in server.charges]
    last = 7 if charged == [(3, 5), (5, 7)] else 5
    assert charged in ([(3, 5), (5, 7)], [(3, 7)])
    assert billing.subscription.seats == last


# Request bodies --------------------------------------------------------------------------


async def test_an_extra_key_fails_every_branch_of_the_union(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """{"seats": 4, "x": 1}: 422, each branch of CustomerSubscriptionUpdate refusing it
    (extra_forbidden), as pydantic's union does; nothing changes."""
    status, body = await portal(server, billing, {"seats": 4, "x": 1})
    assert (status, body["error"]) == (422, "RequestValidationError")
    seats_branch = [e for e in body["detail"] if e["loc"][1] == "CustomerSubscriptionUpdateSeats"]
    assert seats_branch == [
        {
            "type": "extra_forbidden",
            "loc": ["body", "CustomerSubscriptionUpdateSeats", "x"],
            "msg": "Extra inputs are not permitted",
            "input": 1,
        }
    ]
    assert {e["loc"][1] for e in body["detail"]} == {
        "CustomerSubscriptionUpdateProduct",
        "CustomerSubscriptionUpdateSeats",
        "CustomerSubscriptionCancel",
        "CustomerSubscriptionPause",
        "CustomerSubscriptionResume",
        "CustomerSubscriptionUpdateClear",
    }
    assert billing.subscription.seats == 3


@pytest.mark.parametrize(
    ("seats", "kind"),
    [
        ("four", "int_parsing"),
        (4.5, "int_from_float"),
        (None, "int_type"),
        (2**31, "less_than_equal"),
        (-(2**31) - 1, "greater_than_equal"),
    ],
)
async def test_a_count_that_is_not_an_int32_is_422(
    server: FakePolarServer, billing: BillingCustomer, seats: Any, kind: str
) -> None:
    """The seats branch's own entry says what is wrong with the count."""
    status, body = await org(server, billing, {"seats": seats})
    assert status == 422
    (entry,) = [e for e in body["detail"] if e["loc"][1:] == ["SubscriptionUpdateSeats", "seats"]]
    assert entry["type"] == kind


@pytest.mark.parametrize(("seats", "read"), [("5", 5), (True, 1), (6.0, 6)])
async def test_pydantic_reads_numeric_strings_booleans_and_whole_floats(
    server: FakePolarServer, billing: BillingCustomer, seats: Any, read: int
) -> None:
    """pydantic's lax int: "5" is 5, true is 1, 6.0 is 6."""
    status, body = await org(server, billing, {"seats": seats})
    assert (status, body["seats"]) == (200, read)


async def test_an_unknown_proration_is_422_and_the_portal_takes_none(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """proration_behavior outside the enum: 422 enum; the portal's model has no such key."""
    status, body = await org(server, billing, {"seats": 4, "proration_behavior": "later"})
    assert status == 422
    (entry,) = [
        e
        for e in body["detail"]
        if e["loc"] == ["body", "SubscriptionUpdateSeats", "proration_behavior"]
    ]
    assert entry["msg"] == "Input should be 'invoice', 'prorate', 'next_period' or 'reset'"
    status, body = await portal(server, billing, {"seats": 4, "proration_behavior": "invoice"})
    assert status == 422
    assert billing.subscription.seats == 3


async def test_constants_and_nulls_of_the_other_branches_are_checked(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """{"revoke": false}: SubscriptionRevoke's literal_error; {"pending_update": 1}:
    SubscriptionUpdateClear's none_required."""
    _, body = await org(server, billing, {"revoke": False})
    (entry,) = [e for e in body["detail"] if e["loc"][1] == "SubscriptionRevoke"]
    assert (entry["type"], entry["msg"]) == ("literal_error", "Input should be True")
    _, body = await org(server, billing, {"pending_update": 1})
    (entry,) = [e for e in body["detail"] if e["loc"][1] == "SubscriptionUpdateClear"]
    assert (entry["type"], entry["msg"]) == ("none_required", "Input should be None")


async def test_a_bad_id_and_a_bad_body_are_one_422(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """The path's UUID entry first, then the body's; a GET's bad id alone."""
    status, body = await call(server, "PATCH", f"{ORG}/nope", ORG_TOKEN, {"seats": "x"})
    assert status == 422
    assert body["detail"][0]["loc"] == ["path", "id"]
    assert any(e["loc"][-1] == "seats" for e in body["detail"][1:])
    status, body = await call(server, "GET", f"{PORTAL}/nope", billing.token)
    assert (status, [e["loc"] for e in body["detail"]]) == (422, [["path", "id"]])


async def test_no_body_and_a_broken_body_are_refused_as_fastapi_does(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """Content-Length: 0: 422 "Field required"; not JSON: 422 json_invalid."""
    path = f"{server.url}{ORG}/{billing.subscription_id}"
    headers = {"Authorization": f"Bearer {ORG_TOKEN}", "Content-Type": "application/json"}
    async with aiohttp.ClientSession() as http:
        async with http.patch(path, headers=headers, data=b"") as response:
            assert response.status == 422
            assert (await response.json())["detail"][0]["loc"] == ["body"]
        async with http.patch(path, headers=headers, data=b"{seats") as response:
            assert response.status == 422
            assert (await response.json())["detail"][0]["type"] == "json_invalid"


async def test_the_other_update_shapes(server: FakePolarServer, billing: BillingCustomer) -> None:
    """{} (a cancellation asking nothing) answers the subscription unchanged; clearing a
    pending update clears it (and, with none, is Polar's 422); shapes the fake does not
    play answer 501 and change nothing."""
    watch(server)
    assert (await portal(server, billing, {}))[0] == 200
    assert (await org(server, billing, {"proration_behavior": "invoice"}))[0] == 200
    assert server.webhooks_sent == []
    status, body = await portal(server, billing, {"pending_update": None})
    assert (status, body["error"]) == (422, "PolarRequestValidationError")
    assert body["detail"][0]["msg"] == "This subscription has no pending update to clear."
    await org(server, billing, {"seats": 9, "proration_behavior": "next_period"})
    status, body = await org(server, billing, {"pending_update": None})
    assert (status, body["pending_update"], body["seats"]) == (200, None, 3)
    server.clock.advance(MONTH + 60)
    assert (await org(server, billing))[1]["seats"] == 3
    for answer in (
        await portal(server, billing, {"cancel_at_period_end": True}),
        await org(server, billing, {"revoke": True}),
    ):
        assert answer[0] == 501
        assert "does not play" in answer[1]["detail"]
    assert billing.subscription.body["cancel_at_period_end"] is False
