"""A subscription, as the customer portal shows it and as the organization reads it: its
product, the product's organization, its meters and its pending update."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, cast

import msgspec

from ._base import Model, become
from ._codec import Codec, register
from ._lax import decode_hook
from .benefits import BenefitMarker, BenefitUnion
from .customers import Customer
from .pages import Page
from .prices import PriceMarker, PriceUnion


class SubscriptionStatus(str, enum.Enum):
    """Known values of ``CustomerSubscription.status``."""

    INCOMPLETE = "incomplete"
    INCOMPLETE_EXPIRED = "incomplete_expired"
    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    CANCELED = "canceled"
    UNPAID = "unpaid"
    PAUSED = "paused"


class RecurringInterval(str, enum.Enum):
    """Known billing and trial intervals."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


class CustomerCancellationReason(str, enum.Enum):
    """Known values of ``CustomerSubscription.customer_cancellation_reason``."""

    CUSTOMER_SERVICE = "customer_service"
    LOW_QUALITY = "low_quality"
    MISSING_FEATURES = "missing_features"
    SWITCHED_SERVICE = "switched_service"
    TOO_COMPLEX = "too_complex"
    TOO_EXPENSIVE = "too_expensive"
    UNUSED = "unused"
    OTHER = "other"


class ProductVisibility(str, enum.Enum):
    """Known values of ``CustomerSubscriptionProduct.visibility``."""

    DRAFT = "draft"
    PRIVATE = "private"
    PUBLIC = "public"


class SubscriptionProrationBehavior(str, enum.Enum):
    """Known values of ``CustomerOrganization.proration_behavior``."""

    INVOICE = "invoice"
    PRORATE = "prorate"
    NEXT_PERIOD = "next_period"
    RESET = "reset"


# Organization ----------------------------------------------------------------------------


class CustomerPortalUsageSettings(Model, kw_only=True):
    """Whether the customer portal shows usage."""

    show: bool


class CustomerPortalSubscriptionSettings(Model, kw_only=True):
    """What a customer may change on a subscription in the portal."""

    update_seats: bool
    update_plan: bool
    update_units: bool | None = None
    pause: bool | None = None


class CustomerPortalCustomerSettings(Model, kw_only=True):
    """What a customer may change about themselves in the portal."""

    allow_email_change: bool | None = None


class OrganizationCustomerPortalSettings(Model, kw_only=True):
    """An organization's customer portal settings."""

    usage: CustomerPortalUsageSettings
    subscription: CustomerPortalSubscriptionSettings
    customer: CustomerPortalCustomerSettings | None = None


class CustomerOrganizationFeatureSettings(Model, kw_only=True):
    """Feature switches of an organization, as a customer sees them."""

    member_model_enabled: bool = False
    checkout_localization_enabled: bool = False


class CustomerOrganization(Model, kw_only=True):
    """The organization that sells the product."""

    created_at: datetime
    modified_at: datetime | None = None
    id: str
    name: str
    slug: str
    avatar_url: str | None = None
    proration_behavior: str
    allow_customer_updates: bool
    customer_portal_settings: OrganizationCustomerPortalSettings
    organization_features: CustomerOrganizationFeatureSettings | None = None


# Product, meters, subscription -----------------------------------------------------------


class ProductMediaFileRead(Model, kw_only=True):
    """An image attached to a product."""

    id: str
    organization_id: str
    name: str
    path: str
    mime_type: str
    size: int
    storage_version: str | None = None
    checksum_etag: str | None = None
    checksum_sha256_base64: str | None = None
    checksum_sha256_hex: str | None = None
    last_modified_at: datetime | None = None
    version: str | None = None
    service: str
    is_uploaded: bool
    created_at: datetime
    size_readable: str
    public_url: str


class ProductFields(Model, kw_only=True):
    """What a product holds on both sides of Polar's API: the customer portal's
    [`CustomerSubscriptionProduct`][polar_seats.CustomerSubscriptionProduct] and the
    organization's [`Product`][polar_seats.Product] add their own fields."""

    id: str
    created_at: datetime
    modified_at: datetime | None = None
    trial_interval: str | None = None
    trial_interval_count: int | None = None
    name: str
    description: str | None = None
    recurring_interval: str | None = None
    recurring_interval_count: int | None = None
    is_recurring: bool
    is_archived: bool
    organization_id: str
    prices: list[PriceUnion]
    benefits: list[BenefitUnion]


class CustomerSubscriptionProduct(ProductFields, kw_only=True):
    """The product a subscription is for, as the customer portal shows it."""

    visibility: str
    meter_interval: str | None = None
    meter_interval_count: int | None = None
    medias: list[ProductMediaFileRead]
    organization: CustomerOrganization


class CustomerSubscriptionMeterMeter(Model, kw_only=True):
    """The meter a subscription meter counts."""

    created_at: datetime
    modified_at: datetime | None = None
    id: str
    name: str


class CustomerSubscriptionMeter(Model, kw_only=True):
    """Usage of one meter in the current period of a subscription."""

    created_at: datetime
    modified_at: datetime | None = None
    id: str
    consumed_units: float
    credited_units: int
    amount: int
    meter_id: str
    meter: CustomerSubscriptionMeterMeter


class PendingSubscriptionUpdate(Model, kw_only=True):
    """A change to a subscription that applies at ``applies_at``."""

    created_at: datetime
    modified_at: datetime | None = None
    id: str
    applies_at: datetime
    product_id: str | None = None
    seats: int | None = None
    units: int | None = None


class SubscriptionFields(Model, kw_only=True):
    """What a subscription holds on both sides of Polar's API: the customer portal's
    [`CustomerSubscription`][polar_seats.CustomerSubscription] and the organization's
    [`Subscription`][polar_seats.Subscription] add their own ``product`` and more."""

    created_at: datetime
    modified_at: datetime | None = None
    id: str
    amount: int
    currency: str
    recurring_interval: str
    recurring_interval_count: int
    status: str
    current_period_start: datetime
    current_period_end: datetime
    current_meter_period_start: datetime | None = None
    current_meter_period_end: datetime | None = None
    trial_start: datetime | None = None
    trial_end: datetime | None = None
    cancel_at_period_end: bool
    canceled_at: datetime | None = None
    started_at: datetime | None = None
    ends_at: datetime | None = None
    ended_at: datetime | None = None
    past_due_at: datetime | None = None
    pause_at_period_end: bool = False
    paused_at: datetime | None = None
    resumes_at: datetime | None = None
    customer_id: str
    product_id: str
    discount_id: str | None = None
    checkout_id: str | None = None
    seats: int | None = None
    units: int | None = None
    customer_cancellation_reason: str | None = None
    customer_cancellation_comment: str | None = None
    prices: list[PriceUnion]
    meters: list[CustomerSubscriptionMeter]
    pending_update: PendingSubscriptionUpdate | None = None
    """A change that applies at ``pending_update.applies_at`` (a seat count asked for
    with ``next_period`` proration), or ``None``."""
    # Sent by Polar although the contract leaves them out.
    price_id: str | None = None
    price: PriceUnion | None = None
    user_id: str | None = None


class CustomerSubscription(SubscriptionFields, kw_only=True):
    """A subscription as the customer portal shows it: one on which the customer holds a
    seat (``list_claimed_subscriptions()``), or the customer's own
    (``get_subscription()``, ``update_seats()`` with a customer's credential)."""

    product: CustomerSubscriptionProduct


class Product(ProductFields, kw_only=True):
    """A product as the organization reads it (the product of a
    [`Subscription`][polar_seats.Subscription])."""

    visibility: str | None = None
    metadata: dict[str, Any] = msgspec.field(default_factory=dict[str, Any])
    medias: list[ProductMediaFileRead] = msgspec.field(default_factory=list[ProductMediaFileRead])


class Subscription(SubscriptionFields, kw_only=True):
    """A subscription as the organization reads it, with an organization access token
    (``get_subscription()``, ``update_seats()``): its ``customer`` and ``product`` in
    full, and the organization's ``metadata``."""

    customer: Customer
    product: Product
    metadata: dict[str, Any] = msgspec.field(default_factory=dict[str, Any])
    custom_field_data: dict[str, Any] = msgspec.field(default_factory=dict[str, Any])
    discount: dict[str, Any] | None = None
    """The discount applied, as Polar sends it (one of several kinds), or ``None``."""


# The same containers with prices and benefits handed to ``decode_hook``. They only narrow
# annotations, so they add no slots and share their bases' layout: Python lets a decoded
# object's class be set to the public one (it raises TypeError if the layouts ever differ),
# at no cost per field.


class _LaxProduct(CustomerSubscriptionProduct, kw_only=True):
    prices: list[PriceMarker]  # type: ignore[assignment]
    benefits: list[BenefitMarker]  # type: ignore[assignment]


class _LaxSubscription(CustomerSubscription, kw_only=True):
    product: _LaxProduct  # pyright: ignore[reportIncompatibleVariableOverride]
    prices: list[PriceMarker]  # type: ignore[assignment]
    price: PriceMarker | None = None  # type: ignore[assignment]


class _LaxOrganizationProduct(Product, kw_only=True):
    prices: list[PriceMarker]  # type: ignore[assignment]
    benefits: list[BenefitMarker]  # type: ignore[assignment]


class _LaxOrganizationSubscription(Subscription, kw_only=True):
    product: _LaxOrganizationProduct  # pyright: ignore[reportIncompatibleVariableOverride]
    prices: list[PriceMarker]  # type: ignore[assignment]
    price: PriceMarker | None = None  # type: ignore[assignment]


LaxPage = Page[_LaxSubscription]


def product_from_lax(product: _LaxProduct) -> CustomerSubscriptionProduct:
    """The public [`CustomerSubscriptionProduct`][polar_seats.CustomerSubscriptionProduct]
    the lax model decoded."""
    result: CustomerSubscriptionProduct = become(product, CustomerSubscriptionProduct)
    return result


def subscription_from_lax(item: _LaxSubscription) -> CustomerSubscription:
    """The public [`CustomerSubscription`][polar_seats.CustomerSubscription] the lax model
    decoded."""
    product_from_lax(item.product)
    result: CustomerSubscription = become(item, CustomerSubscription)
    return result


def organization_subscription_from_lax(item: _LaxOrganizationSubscription) -> Subscription:
    """The public [`Subscription`][polar_seats.Subscription] the lax model decoded."""
    become(item.product, Product)
    result: Subscription = become(item, Subscription)
    return result


def from_lax(page: LaxPage) -> Page[CustomerSubscription]:
    """The public [`Page`][polar_seats.Page] holding what the lax models decoded."""
    for item in page.items:
        subscription_from_lax(item)
    # msgspec built the page as a Page already: only its items changed class.
    return cast("Page[CustomerSubscription]", page)


def subscription_from_builtins(obj: Any) -> CustomerSubscription:
    """A [`CustomerSubscription`][polar_seats.CustomerSubscription] from JSON-like Python
    data (a decoded item)."""
    return subscription_from_lax(
        msgspec.convert(obj, _LaxSubscription, dec_hook=decode_hook, strict=False)
    )


# The codecs of the models that hold prices and benefits: fast, with the lax twin to fall
# back on. ``codec_for()`` finds them by their model; a model without unions needs none.

SUBSCRIPTION_PAGE: Codec[Page[CustomerSubscription]] = register(
    Codec(Page[CustomerSubscription], lax=LaxPage, from_lax=from_lax),
    Page[CustomerSubscription],
    Page,  # a bare Page is a page of subscriptions, as type checkers read it
)
"""A page of ``GET /v1/customer-portal/seats/subscriptions``."""

SUBSCRIPTION: Codec[CustomerSubscription] = register(
    Codec(CustomerSubscription, lax=_LaxSubscription, from_lax=subscription_from_lax),
    CustomerSubscription,
)
"""One subscription as the customer portal shows it: an item of a page, or the body of
``GET``/``PATCH /v1/customer-portal/subscriptions/{id}``."""

PRODUCT: Codec[CustomerSubscriptionProduct] = register(
    Codec(CustomerSubscriptionProduct, lax=_LaxProduct, from_lax=product_from_lax),
    CustomerSubscriptionProduct,
)
"""A subscription's product, as stored by the caller."""

ORGANIZATION_SUBSCRIPTION: Codec[Subscription] = register(
    Codec(
        Subscription,
        lax=_LaxOrganizationSubscription,
        from_lax=organization_subscription_from_lax,
    ),
    Subscription,
)
"""The body of ``GET``/``PATCH /v1/subscriptions/{id}`` (an organization's read)."""


# A page of the organization's subscriptions (``GET /v1/subscriptions/``). The customer
# portal's list (``GET /v1/customer-portal/subscriptions/``) is a page of
# CustomerSubscription, as the claimed subscriptions are: ``SUBSCRIPTION_PAGE`` reads it.

LaxOrganizationPage = Page[_LaxOrganizationSubscription]


def organization_page_from_lax(page: LaxOrganizationPage) -> Page[Subscription]:
    """The public ``Page[Subscription]`` holding what the lax models decoded."""
    for item in page.items:
        organization_subscription_from_lax(item)
    return cast("Page[Subscription]", page)


ORGANIZATION_SUBSCRIPTION_PAGE: Codec[Page[Subscription]] = register(
    Codec(Page[Subscription], lax=LaxOrganizationPage, from_lax=organization_page_from_lax),
    Page[Subscription],
)
"""A page of ``GET /v1/subscriptions/`` (the organization's list)."""
