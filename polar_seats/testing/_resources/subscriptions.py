"""Response bodies as Polar sends them, built from the fake's state, and the page builder."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

from .customers import Customer, Json, Member, Organization, Session, State

__all__ = [
    "customer_body",
    "customer_session_body",
    "iso",
    "page_body",
    "page_dict",
    "portal_user_body",
    "reshape_2027_01",
    "served_subscription",
    "session_body",
]


def page_dict(
    items: Sequence[Any], *, total: int | None = None, max_page: int | None = None, limit: int = 10
) -> Json:
    """A ``ListResource`` page: ``items`` and Polar's ``pagination`` figures.

    ``total`` defaults to ``len(items)`` and ``max_page`` to ``ceil(total / min(limit, 100))``,
    as Polar computes it; pass either to build a page that says something else.
    """
    total = len(items) if total is None else total
    if max_page is None:
        max_page = math.ceil(total / min(limit, 100))
    return {"items": list(items), "pagination": {"total_count": total, "max_page": max_page}}


def page_body(
    items: Sequence[Any], *, total: int | None = None, max_page: int | None = None, limit: int = 10
) -> bytes:
    """``page_dict()`` as JSON bytes, for tests of decoding that need no server.

    Written as ``json.dumps`` writes it (a space after each colon and comma), so a test can
    find and replace a field's bytes; the decoder reads it as it reads Polar's compact JSON.
    """
    return json.dumps(page_dict(items, total=total, max_page=max_page, limit=limit)).encode()


def iso(seconds: float) -> str:
    """A Unix time as Polar writes datetimes: ISO 8601, ``Z``, no fraction when it is zero."""
    moment = datetime.fromtimestamp(seconds, timezone.utc)
    return moment.isoformat().replace("+00:00", "Z")


def session_body(session: Session) -> Json:
    """``CustomerCustomerSession``, what the introspect endpoint answers."""
    return {"expires_at": iso(session.expires_at), "return_url": session.return_url}


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


def customer_session_body(state: State, session: Session) -> Json:
    """``CustomerSession``, what ``POST /v1/customer-sessions/`` answers (the token is in
    ``customer_portal_url`` too, with the email of the member or customer)."""
    customer = state.customers[session.customer_id]
    member = state.members.get(session.member_id or "")
    email = member.email if member is not None else customer.email
    slug = state.organizations[customer.organization_id].slug
    query = urlencode(
        {"customer_session_token": session.token, **({"email": email} if email else {})}
    )
    return {
        "created_at": iso(session.created_at),
        "modified_at": None,
        "id": session.id,
        "token": session.token,
        "expires_at": iso(session.expires_at),
        "return_url": session.return_url,
        "customer_portal_url": f"{state.frontend_url}/{slug}/portal?{query}",
        "customer_id": customer.id,
        "customer": customer_body(customer),
    }


def portal_user_body(customer: Customer, member: Member | None) -> Json:
    """``PortalAuthenticatedUser``: who a customer or member session is."""
    if member is None:
        return {
            "type": "customer",
            "name": customer.name,
            "email": customer.email,
            "customer_id": customer.id,
            "member_id": None,
            "role": None,
        }
    return {
        "type": "member",
        "name": member.name,
        "email": member.email,
        "customer_id": customer.id,
        "member_id": member.id,
        "role": member.role,
    }


def _gravatar(email: str) -> str:
    digest = hashlib.sha256(email.lower().encode()).hexdigest()
    return f"https://www.gravatar.com/avatar/{digest}?d=404"


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
    served_organization = {
        "organization_features": features,
        **given,
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
            "proration_behavior": "prorate",
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
