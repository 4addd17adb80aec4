"""Customers: organizations, customers and their members, and the bodies Polar sends of them.

No route of its own: sessions, seats and subscriptions find customers here.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any, Literal

from .._core.clock import Clock
from .._core.store import Json, Store, iso, new_id

__all__ = [
    "Customer",
    "CustomerTables",
    "Member",
    "Organization",
    "PaymentMethod",
    "ProrationBehavior",
    "Role",
    "customer_body",
    "member_body",
]

Role = Literal["owner", "billing_manager", "member"]
ProrationBehavior = Literal["invoice", "prorate", "next_period", "reset"]
PaymentMethod = Literal["card", "none", "card_error", "3ds"]
"""How a charge of the customer goes: paid (``card``), refused for want of a payment
method (``none``) or by the card (``card_error``), or held for 3-D Secure (``3ds``)."""


@dataclasses.dataclass
class Organization:
    id: str
    slug: str
    name: str
    member_model_enabled: bool = False
    update_seats: bool = True
    """The portal setting ``customer_portal_settings.subscription.update_seats``: whether
    customers may change their seat count themselves."""
    proration_behavior: ProrationBehavior = "prorate"
    """How a seat change is billed when the request names no proration."""


@dataclasses.dataclass
class Customer:
    id: str
    organization_id: str
    email: str | None
    """``None`` only for a team: with the member model, its members have the addresses."""
    name: str | None = None
    external_id: str | None = None
    type: Literal["individual", "team"] = "individual"
    email_verified: bool = True
    metadata: Json = dataclasses.field(default_factory=dict[str, Any])
    created_at: float = 0.0
    payment_method: PaymentMethod = "card"
    """What happens when Polar charges the customer at once (a seat increase invoiced now)."""


@dataclasses.dataclass
class Member:
    id: str
    customer_id: str
    email: str
    name: str | None = None
    external_id: str | None = None
    role: Role = "member"
    created_at: float = 0.0


class CustomerTables(Store):
    """Organizations, customers and members, in dicts keyed by id."""

    def __init__(self, clock: Clock, *, seed: int = 0) -> None:
        super().__init__(clock, seed=seed)
        self.organizations: dict[str, Organization] = {}
        self.customers: dict[str, Customer] = {}
        self.members: dict[str, Member] = {}

    def add_organization(self, body: Json, **settings: Any) -> Organization:
        """The organization of a product body (``product.organization``), once per id, with
        the settings the body shows."""
        known = self.organizations.get(body["id"])
        if known is None:
            features: Json = body.get("organization_features") or {}
            portal_settings: Json = body.get("customer_portal_settings") or {}
            portal: Json = portal_settings.get("subscription") or {}
            settings.setdefault("member_model_enabled", bool(features.get("member_model_enabled")))
            settings.setdefault("update_seats", portal.get("update_seats", True))
            settings.setdefault("proration_behavior", body.get("proration_behavior") or "prorate")
            known = Organization(body["id"], body["slug"], body["name"], **settings)
            self.organizations[known.id] = known
        return known

    def add_customer(self, organization_id: str, email: str | None, **fields: Any) -> Customer:
        if email is None and fields.get("type") != "team":
            raise ValueError("Only a team customer may have no email; pass type='team'.")
        fields.setdefault("email_verified", email is not None)
        fields.setdefault("created_at", self.clock())
        customer = Customer(fields.pop("id", None) or new_id(), organization_id, email, **fields)
        self.customers[customer.id] = customer
        return customer

    def add_member(self, customer: Customer, **fields: Any) -> Member:
        email = fields.pop("email", customer.email)
        if email is None:
            raise ValueError("A member needs an email, and the customer has none: pass email=.")
        fields.setdefault("created_at", self.clock())
        member = Member(fields.pop("id", None) or new_id(), customer.id, email, **fields)
        self.members[member.id] = member
        return member

    def owner(self, customer: Customer) -> Member | None:
        """The customer's owner member, if it has one."""
        return next(
            (
                m
                for m in self.members.values()
                if m.customer_id == customer.id and m.role == "owner"
            ),
            None,
        )


def customer_body(customer: Customer) -> Json:
    """Polar's ``Customer`` (``CustomerIndividual`` or ``CustomerTeam``, whose email may be
    null), every key it sends."""
    return {
        "id": customer.id,
        "created_at": iso(customer.created_at),
        "modified_at": None,
        "metadata": customer.metadata,
        "external_id": customer.external_id,
        "email": customer.email,
        "email_verified": customer.email_verified,
        "type": customer.type,
        "name": customer.name,
        "billing_name": customer.name,
        "billing_address": None,
        "tax_id": None,
        "locale": None,
        "organization_id": customer.organization_id,
        "default_payment_method_id": None,
        "deleted_at": None,
        "first_user_event_at": None,
        "avatar_url": _gravatar(customer.email) if customer.email is not None else None,
    }


def _gravatar(email: str) -> str:
    digest = hashlib.sha256(email.lower().encode()).hexdigest()
    return f"https://www.gravatar.com/avatar/{digest}?d=404"


def member_body(member: Member) -> Json:
    """Polar's ``Member``."""
    return {
        "id": member.id,
        "created_at": iso(member.created_at),
        "modified_at": None,
        "customer_id": member.customer_id,
        "email": member.email,
        "name": member.name,
        "external_id": member.external_id,
        "role": member.role,
    }
