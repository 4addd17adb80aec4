"""Subscriptions: the seat-based subscriptions Polar bills, their bodies and routes.

A subscription is held as the body Polar sends (``Subscription.body``), its seat count
included; the claimed-subscriptions list (``GET /v1/customer-portal/seats/subscriptions``)
pages those on which the caller holds a claimed seat, as Polar's seat router does, and
serves each in the shape of the version asked for.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

from aiohttp import web

from .._core.answers import json_response
from .._core.clock import Clock
from .._core.middleware import exchange
from .._core.pagination import page_of, page_query
from .._core.routing import PORTAL, RouteTable, requires, state_of
from .._core.store import Json, iso
from .customers import Organization
from .seats import SeatTables
from .sessions import Session

__all__ = [
    "ROUTES",
    "Subscription",
    "SubscriptionTables",
    "list_page",
    "reshape_2027_01",
]


@dataclasses.dataclass
class Subscription:
    """A subscription, and its body as Polar sends it."""

    id: str
    customer_id: str
    organization_id: str
    body: Json
    locked: bool = False
    """Polar's row lock of a subscription with an update under way: the organization's
    ``PATCH`` answers 409 ``SubscriptionLocked`` while it is set."""
    clock: Callable[[], float] = dataclasses.field(default=time.time, repr=False)
    """The server's clock, for the times a change writes."""

    def cancel(self, at_period_end: bool = True) -> None:
        """Cancel it as Polar does: at the end of the period (still active until then), or
        now (``status`` ``canceled``, ended)."""
        now = iso(self.clock())
        self.body["canceled_at"] = now
        if at_period_end:
            self.body.update(cancel_at_period_end=True, ends_at=self.body["current_period_end"])
        else:
            self.body.update(status="canceled", ends_at=now, ended_at=now)

    @property
    def seats(self) -> int:
        """Its seat count, held once: the body's ``seats`` (a body without any counts one)."""
        count: int = self.body.get("seats") or 1
        return count

    @seats.setter
    def seats(self, count: int) -> None:
        self.body["seats"] = count


class SubscriptionTables(SeatTables):
    """Subscriptions by id, and which of them a session holds a claimed seat on."""

    def __init__(self, clock: Clock, *, seed: int = 0) -> None:
        super().__init__(clock, seed=seed)
        self.subscriptions: dict[str, Subscription] = {}

    def add_subscription(self, body: Json) -> Subscription:
        """A subscription from its body; its seat count is the body's ``seats`` (at least 1).

        A body whose id is known replaces the one held.
        """
        organization = self.add_organization(body["product"]["organization"])
        if body["customer_id"] not in self.customers:
            self.add_customer(
                organization.id,
                f"billing-{body['customer_id'][:8]}@example.com",
                id=body["customer_id"],
            )
        subscription = Subscription(
            body["id"], body["customer_id"], organization.id, body, clock=self.clock
        )
        self.subscriptions[subscription.id] = subscription
        return subscription

    def subscription(self, subscription_id: str) -> Subscription | None:
        return self.subscriptions.get(subscription_id)

    def subscription_of_checkout(self, checkout_id: str | None) -> Subscription | None:
        for subscription in self.subscriptions.values():
            if subscription.body.get("checkout_id") == checkout_id:
                return subscription
        return None

    def claimed_subscriptions(self, session: Session) -> list[Subscription]:
        """The subscriptions on which the session's subject holds a claimed seat."""
        return [
            self.subscriptions[seat.subscription_id]
            for seat in self.seats
            if seat.status == "claimed"
            and seat.subscription_id is not None
            and self.holds(session, seat)
        ]


# Bodies ----------------------------------------------------------------------------------


def served_subscription(body: Json, organization: Organization) -> Json:
    """A subscription's body with the 16 keys Polar adds to ``product.organization``.

    Its contract leaves them out; Polar's real server sends them (see the recordings), and
    always sends ``organization_features`` and ``customer_portal_settings.customer``, which
    the contract makes optional.
    """
    product = body["product"]
    features = {
        "member_model_enabled": organization.member_model_enabled,
        "checkout_localization_enabled": False,
    }
    given = product["organization"]
    settings = {"customer": {"allow_email_change": False}, **given["customer_portal_settings"]}
    settings["subscription"] = {
        **settings.get("subscription", {}),
        "update_seats": organization.update_seats,
    }
    served_organization = {
        "organization_features": features,
        **given,
        "proration_behavior": organization.proration_behavior,
        "customer_portal_settings": settings,
        **_undeclared(organization),
    }
    return {**body, "product": {**product, "organization": served_organization}}


def _undeclared(organization: Organization) -> Json:
    emails = (
        "order_confirmation",
        "payment_method_expiration_reminder",
        "subscription_cancellation",
        "subscription_confirmation",
        "subscription_cycled",
        "subscription_cycled_after_trial",
        "subscription_past_due",
        "subscription_paused",
        "subscription_resumed",
        "subscription_renewal_reminder",
        "subscription_revoked",
        "subscription_trial_conversion_reminder",
        "subscription_uncanceled",
        "subscription_updated",
    )
    flags = (
        "issue_funding_enabled",
        "unit_based_pricing_enabled",
        "wallets_enabled",
        "checkout_localization_enabled",
        "reset_proration_behavior_enabled",
        "off_session_charges_enabled",
        "meter_cycling_enabled",
        "slack_benefit_enabled",
        "preview_access_enabled",
        "disputes_enabled",
        "sso_enabled",
        "dispute_auto_accept_enabled",
        "compass_enabled",
        "merchant_migration_enabled",
    )
    return {
        "bio": None,
        "company": None,
        "blog": None,
        "location": None,
        "twitter_username": None,
        "pledge_minimum_amount": 2000,
        "pledge_badge_show_amount": True,
        "default_upfront_split_to_contributors": None,
        "email": None,
        "website": None,
        "socials": [],
        "status": "active",
        "details_submitted_at": None,
        "feature_settings": {
            **dict.fromkeys(flags, False),
            # Polar dropped the flag (polarsource/polar#14256); the recorded servers, older,
            # send it, always true by then.
            "seat_based_pricing_enabled": True,
            "member_model_enabled": organization.member_model_enabled,
            "overview_metrics": None,
        },
        "subscription_settings": {
            "allow_multiple_subscriptions": False,
            "proration_behavior": organization.proration_behavior,
            "benefit_revocation_grace_period": 0,
            "prevent_trial_abuse": False,
            "allow_customer_updates": True,
        },
        "customer_email_settings": dict.fromkeys(emails, True),
    }


def reshape_2027_01(subscription: Json) -> Json:
    """Seat-based prices as Polar's 2027-01 version sends them."""

    def reshape(price: Json) -> Json:
        if price.get("amount_type") != "seat_based" or "seat_tiers" not in price:
            return price
        price = dict(price)
        seat_tiers = price.pop("seat_tiers")
        # Whether 2027-01 still sends the undeclared price_per_seat is not known: the fake
        # leaves it out, so clients are tested without it.
        price.pop("price_per_seat", None)
        # Each 2027-01 tier runs up to its bound, inclusive; the last is unbounded (null).
        # 2026-04 may leave out seat_tier_type and max_seats (defaults "volume" and null);
        # 2027-01 always sends both.
        price["tiers"] = {
            "type": seat_tiers.get("seat_tier_type") or "volume",
            "tiers": [
                {"bound": tier.get("max_seats"), "unit_amount": str(tier["price_per_seat"])}
                for tier in seat_tiers["tiers"]
            ],
        }
        price["minimum_units"] = seat_tiers.get("minimum_seats")
        price["maximum_units"] = seat_tiers.get("maximum_seats")
        return price

    product = dict(subscription["product"])
    product["prices"] = [reshape(price) for price in product["prices"]]
    reshaped = dict(
        subscription, product=product, prices=[reshape(p) for p in subscription["prices"]]
    )
    if isinstance(subscription.get("price"), dict):
        reshaped["price"] = reshape(subscription["price"])
    return reshaped


# Routes ----------------------------------------------------------------------------------


def list_page(
    state: SubscriptionTables,
    subscriptions: list[Subscription],
    page: int,
    limit: int,
    version: str,
    serve: Callable[[Subscription], Json] | None = None,
) -> Json:
    """One page of subscriptions as Polar sends it; ``limit`` is clamped to 100. Each is
    served as the customer portal shows it, or by ``serve``."""

    def served(subscription: Subscription) -> Json:
        if serve is None:
            organization = state.organizations[subscription.organization_id]
            item = served_subscription(subscription.body, organization)
        else:
            item = serve(subscription)
        return reshape_2027_01(item) if version == "2027-01" else item

    return page_of(subscriptions, page, limit, served)


@requires(PORTAL)
async def list_claimed_subscriptions(request: web.Request) -> web.StreamResponse:
    """``GET /v1/customer-portal/seats/subscriptions``: where the caller holds a claimed seat."""
    query, problems = page_query(request.query)
    if problems:
        return json_response(422, {"error": "RequestValidationError", "detail": problems})
    state = state_of(request, SubscriptionTables)
    session = exchange().subject
    assert isinstance(session, Session)
    body = list_page(state, state.claimed_subscriptions(session), *query, exchange().version)
    return json_response(200, body)


ROUTES: RouteTable = (
    ("GET", "/v1/customer-portal/seats/subscriptions", list_claimed_subscriptions),
)
