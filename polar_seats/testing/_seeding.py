"""Seeding a billing customer: a subscription of N seats (and an order), members, sessions.

What ``FakePolarServer.add_billing_customer`` builds: the customer who pays for the
seats and hands them out, with everything a test of the seat lifecycle needs at hand.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Literal

from ._claimant import SEEDED_TTL
from ._data import PRICE_KINDS, make_subscription
from ._resources.customers import (
    Customer,
    Json,
    Member,
    Order,
    Organization,
    State,
    Subscription,
    new_id,
)

__all__ = ["BillingCustomer", "Role", "seed_billing_customer"]

Role = Literal["owner", "billing_manager", "member"]
_SEAT_BASED = PRICE_KINDS.index("seat_based")


@dataclasses.dataclass
class BillingCustomer:
    """A customer that bought seats, as ``FakePolarServer.add_billing_customer`` made it."""

    customer: Customer
    subscription: Subscription
    """Its seat-based subscription: ``subscription.seats`` seats, none assigned yet."""
    order: Order | None
    """A paid one-time order of ``order_seats`` seats, when asked for."""
    members: dict[str, Member]
    """Its members by email (``members={email: role}``)."""
    token: str = dataclasses.field(repr=False)
    """A customer session of the billing customer: it may assign, revoke and resend."""
    member_tokens: dict[str, str] = dataclasses.field(repr=False)
    """A member session (``polar_mst_``) of each member, by email."""

    @property
    def subscription_id(self) -> str:
        return self.subscription.id

    @property
    def order_id(self) -> str | None:
        return self.order.id if self.order is not None else None


def seed_billing_customer(
    state: State,
    organization: Organization,
    *,
    index: int,
    seed: int,
    seats: int,
    email: str,
    external_id: str | None,
    name: str | None,
    members: Mapping[str, Role],
    order_seats: int | None,
) -> BillingCustomer:
    customer = state.add_customer(
        organization.id,
        email,
        external_id=external_id,
        name=name,
        type="team" if members else "individual",
    )
    people = {
        address: state.add_member(customer, email=address, role=role)
        for address, role in members.items()
    }
    body = make_subscription(_SEAT_BASED + index * len(PRICE_KINDS), seed=seed)
    _belongs_to(body, customer, organization, seats)
    subscription = state.add_subscription(body)
    order = None
    if order_seats is not None:
        order = Order(
            new_id(),
            customer.id,
            organization.id,
            order_seats,
            {"id": new_id(), "product": body["product"], "customer_id": customer.id},
        )
        order.body["id"] = order.id
        state.orders[order.id] = order
    session = state.mint_session(customer, ttl=SEEDED_TTL)
    member_tokens = {
        address: state.mint_session(customer, member, ttl=SEEDED_TTL).token
        for address, member in people.items()
    }
    return BillingCustomer(customer, subscription, order, people, session.token, member_tokens)


def _belongs_to(body: Json, customer: Customer, organization: Organization, seats: int) -> None:
    """Make a seeded subscription body the customer's, in ``organization``, active."""
    product = body["product"]
    product["organization"] = {
        **product["organization"],
        "id": organization.id,
        "name": organization.name,
        "slug": organization.slug,
    }
    product["organization_id"] = organization.id
    for owned in (*product["benefits"], *product["medias"]):
        owned["organization_id"] = organization.id
    body.update(
        customer_id=customer.id,
        user_id=customer.id,
        seats=seats,
        status="active",
        canceled_at=None,
        ends_at=None,
        ended_at=None,
        cancel_at_period_end=False,
        customer_cancellation_reason=None,
        customer_cancellation_comment=None,
        past_due_at=None,
        paused_at=None,
        resumes_at=None,
    )
