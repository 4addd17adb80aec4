"""polar-sdk 1.0.2, unmodified, reads and changes the fake's seat counts on both sides.

``customer_portal.subscriptions.get/update`` with the billing customer's session and
``subscriptions.get/update`` with an organization token, in each API version the SDK
ships, over real HTTP against ``FakePolarServer``: every answer decodes into the SDK's own
models (the organization's ``Subscription`` needs ``units``, a ``Product`` with
``is_deletable`` and full benefit objects), every refusal is the SDK's own error type with
Polar's status, and the ``subscription.updated`` webhook passes its ``validate_event``.
"""

from __future__ import annotations

from typing import Any

import pytest
from polar.base import PolarClientError, PolarDeserializationError

# Imported together, before any event is loaded: importing one extends the SDK's shared
# adaptix retort, which drops every loader built so far.
from polar.v2026_04 import webhooks as webhooks_2026_04
from polar.v2026_10 import webhooks as webhooks_2026_10
from polar.v2027_01 import webhooks as webhooks_2027_01

from polar_seats.testing import (
    BENEFIT_TYPES,
    DEFAULT_ORGANIZATION_TOKEN,
    BillingCustomer,
    FakePolarServer,
    make_subscriptions,
)
from tests.support.helpers import deliveries

from .polar_versions import EACH_VERSION, SDK_MODULES, polar_async

WEBHOOKS = {"2026-04": webhooks_2026_04, "2026-10": webhooks_2026_10, "2027-01": webhooks_2027_01}


def every_benefit(billing: BillingCustomer) -> None:
    """Give the subscription's product one benefit of each type the contract knows."""
    kinds: dict[str, Any] = {}
    for body in make_subscriptions(len(BENEFIT_TYPES)):
        for benefit in body["product"]["benefits"]:
            kinds.setdefault(benefit["type"], benefit)
    assert set(kinds) == set(BENEFIT_TYPES)
    billing.subscription.body["product"]["benefits"] = list(kinds.values())


def refusal(caught: pytest.ExceptionInfo[PolarClientError]) -> tuple[int, str]:
    """The status and Polar's error name, as the SDK's error holds them."""
    error = caught.value.error
    return caught.value.status_code, getattr(error, "error", None) or str(error)


@EACH_VERSION
async def test_polar_sdk_changes_seats_through_the_customer_portal(version: str) -> None:
    """get, update now, update for the next period; refusals: the portal setting (403),
    another customer's subscription (404), a failed charge (402 PaymentFailed), and a
    charge held for 3-D Secure, whose 402 the SDK cannot decode on this side."""
    errors = SDK_MODULES[version].errors
    async with FakePolarServer(count=1) as server:
        billing = server.add_billing_customer(seats=3, maximum_seats=20)
        other = server.add_billing_customer(seats=2, payment_method="none")
        every_benefit(billing)
        async with polar_async(version, billing.token, server.url) as (polar, heard):
            portal = polar.customer_portal.subscriptions
            read = await portal.get(billing.subscription_id)
            assert type(read).__name__ == "CustomerSubscription"
            assert (read.id, read.seats, read.pending_update) == (billing.subscription_id, 3, None)

            changed = await portal.update(billing.subscription_id, seats=5)
            assert changed.seats == 5

            billing.organization.proration_behavior = "next_period"
            waiting = await portal.update(billing.subscription_id, seats=9)
            assert (waiting.seats, waiting.pending_update.seats) == (5, 9)
            assert waiting.pending_update.applies_at == waiting.current_period_end

            billing.organization.update_seats = False
            with pytest.raises(errors.CustomerPortalSubscriptionsUpdate403Error) as caught:
                await portal.update(billing.subscription_id, seats=6)
            assert refusal(caught) == (403, "UpdateSubscriptionSeatsNotAllowed")
            billing.organization.update_seats = True
            with pytest.raises(errors.ResourceNotFound):
                await portal.get(other.subscription_id)
        assert set(heard) == {(version, version)}

        other.organization.proration_behavior = "invoice"
        async with polar_async(version, other.token, server.url) as (polar, _):
            with pytest.raises(errors.PaymentFailed) as failed:
                await polar.customer_portal.subscriptions.update(other.subscription_id, seats=4)
            assert refusal(failed) == (402, "PaymentFailed")
            # The portal's contract gives its 402 PaymentFailed alone, yet the same payment
            # code runs (FACTS.md): PaymentActionRequired does not decode as one.
            other.customer.payment_method = "3ds"
            with pytest.raises(PolarDeserializationError):
                await polar.customer_portal.subscriptions.update(other.subscription_id, seats=4)
        assert other.subscription.seats == 2


@EACH_VERSION
async def test_polar_sdk_changes_seats_as_the_organization(version: str) -> None:
    """get and update decode into the organization's Subscription (full benefits, units);
    a locked subscription is 409 SubscriptionLocked; a charge held for 3-D Secure is the
    SDK's 402 error holding PaymentActionRequired; the webhook of each change passes
    validate_event."""
    errors = SDK_MODULES[version].errors
    async with (
        deliveries() as (url, arrived),
        FakePolarServer(count=1, webhook_url=url, webhook_secret="polar_whs_secret") as server,
    ):
        server.webhook_api_version = version
        billing = server.add_billing_customer(seats=3, minimum_seats=2, maximum_seats=30)
        every_benefit(billing)
        async with polar_async(version, DEFAULT_ORGANIZATION_TOKEN, server.url) as (
            polar,
            heard,
        ):
            subscriptions = polar.subscriptions
            read = await subscriptions.get(billing.subscription_id)
            assert type(read).__name__ == "Subscription"
            assert (read.seats, read.customer.id) == (3, billing.customer.id)
            assert read.product.is_deletable is False
            kinds = {type(benefit).__name__ for benefit in read.product.benefits}
            assert len(kinds) == len(BENEFIT_TYPES)

            charged = await subscriptions.update(
                billing.subscription_id, seats=6, proration_behavior="invoice"
            )
            assert charged.seats == 6
            assert [(c.seats_before, c.seats_after) for c in server.charges] == [(3, 6)]
            waiting = await subscriptions.update(
                billing.subscription_id, seats=8, proration_behavior="next_period"
            )
            assert (waiting.seats, waiting.pending_update.seats) == (6, 8)

            billing.subscription.locked = True
            with pytest.raises(errors.SubscriptionsUpdate409Error) as locked:
                await subscriptions.update(billing.subscription_id, seats=7)
            assert refusal(locked) == (409, "SubscriptionLocked")
            billing.subscription.locked = False

            billing.customer.payment_method = "3ds"
            with pytest.raises(errors.SubscriptionsUpdate402Error) as held:
                await subscriptions.update(
                    billing.subscription_id, seats=12, proration_behavior="invoice"
                )
            assert refusal(held) == (402, "PaymentActionRequired")
            assert billing.subscription.seats == 6
        assert set(heard) == {(version, version)}
        await server.deliver_webhooks()
    events = [WEBHOOKS[version].validate_event(*a, "polar_whs_secret") for a in arrived]
    assert [(type(e).__name__, e.data.seats) for e in events] == [
        ("WebhookSubscriptionUpdatedPayload", 6),
        ("WebhookSubscriptionUpdatedPayload", 6),
    ]
    assert events[1].data.pending_update.seats == 8
