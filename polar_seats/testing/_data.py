"""Seeded, realistic bodies of claimed subscriptions, as Polar's server sends them.

They cover every price and benefit variant, nullable fields both null and set, and the
fields Polar sends that its contract leaves out (``user_id``, ``price``, ``price_id`` on a
subscription; ``type`` and ``recurring_interval`` on every price; ``price_per_seat`` on a
seat-based price). Everything is plain JSON data (dicts, lists, str, int, bool, None).
``page_dict()`` and ``page_body()`` wrap items in a page, for tests that need no server.
"""

from __future__ import annotations

import json
import math
import random
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from .._models import subscription_from_builtins
from .._models.benefits import BENEFIT_CLASSES
from .._models.prices import LEGACY_PRICE_CLASSES, PRICE_CLASSES
from ..models import CustomerSubscription

__all__ = [
    "BENEFIT_TYPES",
    "PRICE_KINDS",
    "make_customer_subscription",
    "make_subscription",
    "make_subscriptions",
    "page_body",
    "page_dict",
]

Json = dict[str, Any]

PRICE_KINDS: tuple[str, ...] = (
    *PRICE_CLASSES,
    *(f"legacy_{kind}" for kind in LEGACY_PRICE_CLASSES),
)
"""Every price variant the 2026-04 contract knows; ``legacy_*`` carry the ``legacy`` key."""

BENEFIT_TYPES: tuple[str, ...] = tuple(BENEFIT_CLASSES)
"""Every benefit type the 2026-04 contract knows."""

_STATUSES = (
    "active",
    "active",
    "active",
    "trialing",
    "past_due",
    "canceled",
    "incomplete",
    "incomplete_expired",
    "unpaid",
    "paused",
)
_REASONS = (
    "customer_service",
    "low_quality",
    "missing_features",
    "switched_service",
    "too_complex",
    "too_expensive",
    "unused",
    "other",
)
_INTERVALS = ("day", "week", "month", "month", "year")
_PRODUCT_NAMES = ("Team plan", "Pro seats", "Studio", "Enterprise", "Starter", "Café Plus")
_EPOCH = datetime(2025, 1, 3, 13, 37, tzinfo=timezone.utc)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _when(rng: random.Random, days: int = 400) -> datetime:
    moment = _EPOCH + timedelta(seconds=rng.randrange(days * 86_400))
    # Polar drops the fraction when it is zero: both forms must appear.
    return moment.replace(microsecond=rng.choice((0, rng.randrange(1, 1_000_000))))


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _maybe(rng: random.Random, value: Any, chance: float = 0.5) -> Any:
    return value if rng.random() < chance else None


def _price(rng: random.Random, kind: str, product_id: str, interval: str | None) -> Json:
    currency = rng.choice(("usd", "usd", "eur", "sek"))
    legacy = kind.startswith("legacy_")
    amount_type = kind.removeprefix("legacy_")
    price: Json = {
        "created_at": _iso(_when(rng)),
        "modified_at": _maybe(rng, _iso(_when(rng))),
        "id": _uuid(rng),
        "source": rng.choice(("catalog", "catalog", "ad_hoc")),
        "amount_type": amount_type,
        "price_currency": currency,
        "tax_behavior": rng.choice((None, "location", "inclusive", "exclusive")),
        "is_archived": rng.random() < 0.1,
        "product_id": product_id,
        "type": "recurring" if (legacy or interval) else "one_time",
        "recurring_interval": (interval or "month") if legacy else interval,
    }
    meter = {
        "id": _uuid(rng),
        "name": rng.choice(("API calls", "Tokens", "Storage GB")),
        "unit": rng.choice(("scalar", "token", "custom")),
        "custom_label": _maybe(rng, "requests"),
        "custom_multiplier": _maybe(rng, rng.choice((1, 1000))),
    }
    tiers = {
        "type": rng.choice(("volume", "graduated")),
        "tiers": [
            {"bound": 1000, "unit_amount": "0.5"},
            {"bound": None, "unit_amount": str(rng.choice(("0.25", "0.1", "0.015")))},
        ],
    }
    if amount_type == "fixed":
        price["price_amount"] = rng.choice((0, 900, 1900, 4900, 9900))
    elif amount_type == "custom":
        price["minimum_amount"] = rng.choice((0, 50, 100))
        price["maximum_amount"] = _maybe(rng, 100_000)
        price["preset_amount"] = _maybe(rng, 2_000)
    elif amount_type == "seat_based":
        per_seat = rng.choice((500, 1000, 1500))
        price["seat_tiers"] = {
            "seat_tier_type": rng.choice(("volume", "graduated")),
            "tiers": [
                {"min_seats": 1, "max_seats": 10, "price_per_seat": per_seat},
                {"min_seats": 11, "max_seats": None, "price_per_seat": per_seat - 100},
            ],
            "minimum_seats": 1,
            "maximum_seats": None,
        }
        price["price_per_seat"] = per_seat
    elif amount_type == "metered_unit":
        price["unit_amount"] = rng.choice(("0.5", "12.75", "0.000001", "3"))
        price["cap_amount"] = _maybe(rng, 1_000_000)
        price["meter_id"] = meter["id"]
        price["meter"] = meter
    elif amount_type == "unit_based":
        price["tiers"] = tiers
        price["minimum_units"] = _maybe(rng, 1)
        price["unit_label"] = _maybe(rng, {"en": {"one": "unit", "other": "units"}})
        price["maximum_units"] = _maybe(rng, 500)
    elif amount_type == "metered_tiers":
        price["cap_amount"] = _maybe(rng, 500_000)
        price["meter_id"] = meter["id"]
        price["meter"] = meter
        price["tiers"] = tiers
    if legacy:
        price["legacy"] = True
    return price


def _benefit(rng: random.Random, kind: str, organization_id: str) -> Json:
    benefit: Json = {
        "id": _uuid(rng),
        "created_at": _iso(_when(rng)),
        "modified_at": _maybe(rng, _iso(_when(rng))),
        "type": kind,
        "description": f"{kind.replace('_', ' ').title()} access",
        "selectable": rng.random() < 0.8,
        "deletable": rng.random() < 0.8,
        "is_deleted": rng.random() < 0.05,
        "organization_id": organization_id,
    }
    if kind == "meter_credit":
        benefit["properties"] = {"units": rng.choice((100, 1000, 10_000)), "meter_id": _uuid(rng)}
    return benefit


def _organization(rng: random.Random) -> Json:
    name = rng.choice(("Acme", "Globex", "Initech", "Umbrella", "Hooli", "Zoë & Co"))
    subscription_settings = {"update_seats": rng.random() < 0.7, "update_plan": True}
    # Polar sends neither `update_units` nor `pause` (the recordings); the draws that once
    # chose them stay, so that a seed goes on giving the bodies it gave.
    if rng.random() < 0.5:
        rng.random()
    rng.random()
    settings: Json = {"usage": {"show": True}, "subscription": subscription_settings}
    if rng.random() < 0.5:
        settings["customer"] = {"allow_email_change": rng.random() < 0.5}
    organization: Json = {
        "created_at": _iso(_when(rng)),
        "modified_at": _maybe(rng, _iso(_when(rng))),
        "id": _uuid(rng),
        "name": name,
        "slug": name.lower().replace(" ", "-").replace("&", "and"),
        "avatar_url": _maybe(rng, f"https://avatars.example.com/{rng.randrange(10**6)}.png"),
        "proration_behavior": rng.choice(("invoice", "prorate", "next_period", "reset")),
        "allow_customer_updates": rng.random() < 0.8,
        "customer_portal_settings": settings,
    }
    if rng.random() < 0.8:
        organization["organization_features"] = {
            "member_model_enabled": rng.random() < 0.5,
            "checkout_localization_enabled": False,
        }
    return organization


def _media(rng: random.Random, organization_id: str) -> Json:
    size = rng.randrange(10_000, 2_000_000)
    media_id = _uuid(rng)
    return {
        "id": media_id,
        "organization_id": organization_id,
        "name": "cover.png",
        "path": f"{organization_id}/{media_id}/cover.png",
        "mime_type": "image/png",
        "size": size,
        "storage_version": _maybe(rng, "v4"),
        "checksum_etag": _maybe(rng, f'"{rng.getrandbits(64):x}"'),
        "checksum_sha256_base64": None,
        "checksum_sha256_hex": None,
        "last_modified_at": _maybe(rng, _iso(_when(rng))),
        "version": None,
        "service": "product_media",
        "is_uploaded": True,
        "created_at": _iso(_when(rng)),
        "size_readable": f"{size / 1024:.1f} KB",
        "public_url": f"https://files.example.com/{media_id}/cover.png",
    }


def _meter(rng: random.Random) -> Json:
    meter_id = _uuid(rng)
    return {
        "created_at": _iso(_when(rng)),
        "modified_at": _maybe(rng, _iso(_when(rng))),
        "id": _uuid(rng),
        "consumed_units": rng.choice((0, 12, 1234.5, 0.25)),
        "credited_units": rng.choice((0, 100, 1000)),
        "amount": rng.randrange(0, 50_000),
        "meter_id": meter_id,
        "meter": {
            "created_at": _iso(_when(rng)),
            "modified_at": None,
            "id": meter_id,
            "name": rng.choice(("API calls", "Tokens", "Storage GB")),
        },
    }


def make_subscription(index: int = 0, *, seed: int = 0) -> Json:
    """One claimed subscription as Polar sends it; the same ``(index, seed)``, the same body.

    Consecutive indexes rotate through every price kind and benefit type, so any eight
    consecutive subscriptions hold them all.
    """
    rng = random.Random(f"{seed}:{index}")
    organization = _organization(rng)
    organization_id = organization["id"]
    interval = rng.choice(_INTERVALS)
    product_id = _uuid(rng)
    price_kind = PRICE_KINDS[index % len(PRICE_KINDS)]
    prices = [_price(rng, price_kind, product_id, interval)]
    if rng.random() < 0.3:
        prices.append(_price(rng, "metered_unit", product_id, interval))
    benefits = [
        _benefit(rng, BENEFIT_TYPES[(index + offset) % len(BENEFIT_TYPES)], organization_id)
        for offset in range(1 + index % 3)
    ]
    trial = rng.random() < 0.2
    product: Json = {
        "id": product_id,
        "created_at": _iso(_when(rng)),
        "modified_at": _maybe(rng, _iso(_when(rng))),
        "trial_interval": rng.choice(_INTERVALS) if trial else None,
        "trial_interval_count": rng.choice((7, 14)) if trial else None,
        "name": rng.choice(_PRODUCT_NAMES),
        "description": _maybe(rng, "Seats for the whole team."),
        "visibility": rng.choice(("public", "public", "private", "draft")),
        "recurring_interval": interval,
        "recurring_interval_count": 1,
        "meter_interval": _maybe(rng, "month", 0.2),
        "meter_interval_count": None,
        "is_recurring": True,
        "is_archived": rng.random() < 0.05,
        "organization_id": organization_id,
        "prices": prices,
        "benefits": benefits,
        "medias": [_media(rng, organization_id) for _ in range(rng.choice((0, 0, 1, 2)))],
        "organization": organization,
    }
    if product["meter_interval"] is not None:
        product["meter_interval_count"] = 1
    status = rng.choice(_STATUSES)
    created = _when(rng)
    period_start = created + timedelta(days=rng.randrange(0, 60))
    canceled = status == "canceled"
    customer_id = _uuid(rng)
    pending = None
    if rng.random() < 0.15:
        pending = {
            "created_at": _iso(_when(rng)),
            "modified_at": None,
            "id": _uuid(rng),
            "applies_at": _iso(period_start + timedelta(days=30)),
            "product_id": _maybe(rng, product_id),
            "seats": _maybe(rng, rng.randrange(1, 50)),
            "units": _maybe(rng, rng.randrange(1, 500)),
        }
    seat_based = price_kind == "seat_based"
    return {
        "created_at": _iso(created),
        "modified_at": _maybe(rng, _iso(_when(rng))),
        "id": _uuid(rng),
        "amount": rng.choice((0, 900, 4900, 15_000)),
        "currency": prices[0]["price_currency"],
        "recurring_interval": interval,
        "recurring_interval_count": 1,
        "status": status,
        "current_period_start": _iso(period_start),
        "current_period_end": _iso(period_start + timedelta(days=30)),
        "current_meter_period_start": _maybe(rng, _iso(period_start), 0.3),
        "current_meter_period_end": _maybe(rng, _iso(period_start + timedelta(days=30)), 0.3),
        "trial_start": _iso(created) if trial else None,
        "trial_end": _iso(created + timedelta(days=14)) if trial else None,
        "cancel_at_period_end": canceled or rng.random() < 0.1,
        "canceled_at": _iso(period_start) if canceled else None,
        "started_at": _maybe(rng, _iso(created), 0.9),
        "ends_at": _iso(period_start + timedelta(days=30)) if canceled else None,
        "ended_at": _iso(period_start + timedelta(days=30)) if canceled else None,
        "past_due_at": _iso(period_start) if status == "past_due" else None,
        "pause_at_period_end": False,
        "paused_at": _iso(period_start) if status == "paused" else None,
        "resumes_at": _iso(period_start + timedelta(days=60)) if status == "paused" else None,
        "customer_id": customer_id,
        "product_id": product_id,
        "discount_id": _maybe(rng, _uuid(rng), 0.2),
        "checkout_id": _maybe(rng, _uuid(rng)),
        "seats": rng.randrange(1, 25) if seat_based else _maybe(rng, rng.randrange(1, 25), 0.2),
        "units": _maybe(rng, rng.randrange(1, 1000), 0.2),
        "customer_cancellation_reason": rng.choice(_REASONS) if canceled else None,
        "customer_cancellation_comment": _maybe(rng, "Too many seats.") if canceled else None,
        "product": product,
        "prices": prices,
        "meters": [_meter(rng) for _ in range(rng.choice((0, 0, 1, 2)))],
        "pending_update": pending,
        "user_id": customer_id,
        "price_id": prices[0]["id"],
        "price": prices[0],
    }


def make_subscriptions(count: int, *, seed: int = 0) -> list[Json]:
    """``count`` claimed subscriptions with distinct ids; the same seed, the same list."""
    return [make_subscription(index, seed=seed) for index in range(count)]


def make_customer_subscription(index: int = 0, *, seed: int = 0) -> CustomerSubscription:
    """The same subscription as
    [`make_subscription()`][polar_seats.testing.make_subscription], decoded into the model.

    For tests that need a valid ``CustomerSubscription`` value and no server; consecutive
    indexes rotate through every price kind and benefit type.
    """
    return subscription_from_builtins(make_subscription(index, seed=seed))


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
