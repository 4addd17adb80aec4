"""msgspec Structs for everything ``GET /v1/customer-portal/seats/subscriptions`` returns.

Polar changes this contract under released clients, so the models are built to survive it:

- unknown fields are skipped;
- enumerations are open: a field holds a plain ``str`` and the ``*Status``/``*Interval``
  classes only name the values known today, so a new value decodes and compares equal to
  its raw string;
- a price or benefit of a kind this version does not know decodes into
  :class:`UnknownProductPrice` / :class:`UnknownBenefit` instead of failing the page;
- fields added by later revisions of the contract default to ``None``.

Decoded objects form no reference cycles, so the Structs opt out of garbage-collector
tracking (``gc=False``), which removes most of the collector's cost on large walks.

Two decoders read a page. The fast one sees the current prices and benefits as msgspec
tagged unions and runs no Python per object; a page it refuses (a legacy price, an unknown
kind, a misfit field) goes to the lax models at the end of this module, whose
:func:`decode_hook` tells every price and benefit apart and gives errors their full path.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

import msgspec

__all__ = [
    "BenefitCustom",
    "BenefitDiscord",
    "BenefitDownloadables",
    "BenefitFeatureFlag",
    "BenefitGitHubRepository",
    "BenefitLicenseKeys",
    "BenefitMeterCredit",
    "BenefitMeterCreditProperties",
    "BenefitSlackSharedChannel",
    "BenefitType",
    "CustomerCancellationReason",
    "CustomerOrganization",
    "CustomerOrganizationFeatureSettings",
    "CustomerPortalCustomerSettings",
    "CustomerPortalSubscriptionSettings",
    "CustomerPortalUsageSettings",
    "CustomerSubscription",
    "CustomerSubscriptionMeter",
    "CustomerSubscriptionMeterMeter",
    "CustomerSubscriptionProduct",
    "LegacyRecurringProductPriceCustom",
    "LegacyRecurringProductPriceFixed",
    "MeterUnit",
    "OrganizationCustomerPortalSettings",
    "Page",
    "Pagination",
    "PendingSubscriptionUpdate",
    "PriceAmountType",
    "ProductMediaFileRead",
    "ProductPriceCustom",
    "ProductPriceFixed",
    "ProductPriceMeter",
    "ProductPriceMeteredTiers",
    "ProductPriceMeteredUnit",
    "ProductPriceSeatBased",
    "ProductPriceSeatTier",
    "ProductPriceSeatTiers",
    "ProductPriceSource",
    "ProductPriceUnitBased",
    "ProductVisibility",
    "RecurringInterval",
    "SeatTierType",
    "SubscriptionProrationBehavior",
    "SubscriptionStatus",
    "TaxBehaviorOption",
    "Tier",
    "TierType",
    "Tiers",
    "UnknownBenefit",
    "UnknownProductPrice",
]


# Open enumerations: named constants for the values known today. Fields hold plain ``str``.


class SubscriptionStatus(str, enum.Enum):
    """Known values of :attr:`CustomerSubscription.status`."""

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
    """Known values of :attr:`CustomerSubscription.customer_cancellation_reason`."""

    CUSTOMER_SERVICE = "customer_service"
    LOW_QUALITY = "low_quality"
    MISSING_FEATURES = "missing_features"
    SWITCHED_SERVICE = "switched_service"
    TOO_COMPLEX = "too_complex"
    TOO_EXPENSIVE = "too_expensive"
    UNUSED = "unused"
    OTHER = "other"


class ProductVisibility(str, enum.Enum):
    """Known values of :attr:`CustomerSubscriptionProduct.visibility`."""

    DRAFT = "draft"
    PRIVATE = "private"
    PUBLIC = "public"


class ProductPriceSource(str, enum.Enum):
    """Known values of a price's ``source``."""

    CATALOG = "catalog"
    AD_HOC = "ad_hoc"


class TaxBehaviorOption(str, enum.Enum):
    """Known values of a price's ``tax_behavior``."""

    LOCATION = "location"
    INCLUSIVE = "inclusive"
    EXCLUSIVE = "exclusive"


class SeatTierType(str, enum.Enum):
    """Known values of :attr:`ProductPriceSeatTiers.seat_tier_type`."""

    VOLUME = "volume"
    GRADUATED = "graduated"


class TierType(str, enum.Enum):
    """Known values of :attr:`Tiers.type`."""

    VOLUME = "volume"
    GRADUATED = "graduated"


class MeterUnit(str, enum.Enum):
    """Known values of :attr:`ProductPriceMeter.unit`."""

    SCALAR = "scalar"
    TOKEN = "token"
    CUSTOM = "custom"


class SubscriptionProrationBehavior(str, enum.Enum):
    """Known values of :attr:`CustomerOrganization.proration_behavior`."""

    INVOICE = "invoice"
    PRORATE = "prorate"
    NEXT_PERIOD = "next_period"
    RESET = "reset"


class PriceAmountType(str, enum.Enum):
    """Known values of a price's ``amount_type``, which tells the price variants apart."""

    FIXED = "fixed"
    CUSTOM = "custom"
    SEAT_BASED = "seat_based"
    METERED_UNIT = "metered_unit"
    UNIT_BASED = "unit_based"
    METERED_TIERS = "metered_tiers"


class BenefitType(str, enum.Enum):
    """Known values of a benefit's ``type``, which tells the benefit variants apart."""

    CUSTOM = "custom"
    DISCORD = "discord"
    GITHUB_REPOSITORY = "github_repository"
    DOWNLOADABLES = "downloadables"
    LICENSE_KEYS = "license_keys"
    METER_CREDIT = "meter_credit"
    FEATURE_FLAG = "feature_flag"
    SLACK_SHARED_CHANNEL = "slack_shared_channel"


class _Model(msgspec.Struct, kw_only=True, gc=False):
    """Base of every model: keyword-only, untracked by the garbage collector."""


# Prices ----------------------------------------------------------------------------------


class _PriceMarker:
    """Base of every price class; msgspec hands fields of this type to :func:`decode_hook`."""

    __slots__ = ()


class _BenefitMarker:
    """Base of every benefit class; msgspec hands fields of this type to :func:`decode_hook`."""

    __slots__ = ()


class _PriceFields(_Model, _PriceMarker, kw_only=True):
    id: str
    created_at: datetime
    modified_at: datetime | None = None
    source: str
    price_currency: str
    tax_behavior: str | None = None
    is_archived: bool
    product_id: str
    # Sent by Polar on every price although the contract leaves them out.
    type: str | None = None
    recurring_interval: str | None = None


class _Price(_PriceFields, kw_only=True, tag_field="amount_type"):
    # The current prices are a msgspec tagged union on ``amount_type``, so a page decodes
    # without a Python call per price. The tag is each class's own, not a stored field.

    legacy: Literal[False] = False
    """``False``: a price that carries Polar's ``legacy`` key is a legacy price class. A
    legacy price fails this field, which sends its page to the lax decoder."""

    @property
    def amount_type(self) -> str:
        """The kind of price, which tells the price classes apart."""
        return self.__struct_config__.tag  # type: ignore[return-value]


class ProductPriceFixed(_Price, kw_only=True, tag="fixed"):
    """A fixed price (``amount_type == "fixed"``); free prices are fixed at 0."""

    price_amount: int


class ProductPriceCustom(_Price, kw_only=True, tag="custom"):
    """A pay-what-you-want price (``amount_type == "custom"``)."""

    minimum_amount: int
    maximum_amount: int | None = None
    preset_amount: int | None = None


class ProductPriceSeatTier(_Model, kw_only=True):
    """One tier of a seat-based price."""

    min_seats: int
    max_seats: int | None = None
    price_per_seat: int


class ProductPriceSeatTiers(_Model, kw_only=True):
    """The tiers of a seat-based price."""

    seat_tier_type: str = "volume"
    tiers: list[ProductPriceSeatTier]
    minimum_seats: int
    maximum_seats: int | None = None


class ProductPriceSeatBased(_Price, kw_only=True, tag="seat_based"):
    """A per-seat price (``amount_type == "seat_based"``)."""

    seat_tiers: ProductPriceSeatTiers
    # Sent by Polar although the contract leaves it out.
    price_per_seat: int | None = None


class ProductPriceMeter(_Model, kw_only=True):
    """The meter a metered price bills."""

    id: str
    name: str
    unit: str
    custom_label: str | None = None
    custom_multiplier: int | None = None


class ProductPriceMeteredUnit(_Price, kw_only=True, tag="metered_unit"):
    """A price per consumed unit of a meter (``amount_type == "metered_unit"``)."""

    unit_amount: Decimal
    cap_amount: int | None = None
    meter_id: str
    meter: ProductPriceMeter


class Tier(_Model, kw_only=True):
    """One tier of a tiered price; ``bound`` is ``None`` on the last tier."""

    bound: int | None = None
    unit_amount: Decimal


class Tiers(_Model, kw_only=True):
    """The tiers of a tiered price."""

    type: str
    tiers: list[Tier]


class ProductPriceUnitBased(_Price, kw_only=True, tag="unit_based"):
    """A price per unit bought (``amount_type == "unit_based"``)."""

    tiers: Tiers
    minimum_units: int | None = None
    unit_label: dict[str, dict[str, str]] | None = None
    maximum_units: int | None = None


class ProductPriceMeteredTiers(_Price, kw_only=True, tag="metered_tiers"):
    """A tiered price per consumed unit of a meter (``amount_type == "metered_tiers"``)."""

    cap_amount: int | None = None
    meter_id: str
    meter: ProductPriceMeter
    tiers: Tiers


class LegacyRecurringProductPriceFixed(_PriceFields, kw_only=True):
    """A legacy recurring fixed price: one that carries the ``legacy`` key."""

    amount_type: str
    price_amount: int
    legacy: bool = True


class LegacyRecurringProductPriceCustom(_PriceFields, kw_only=True):
    """A legacy recurring pay-what-you-want price: one that carries the ``legacy`` key."""

    amount_type: str
    minimum_amount: int
    maximum_amount: int | None = None
    preset_amount: int | None = None
    legacy: bool = True


class UnknownProductPrice(_Model, _PriceMarker, kw_only=True):
    """A price of a kind this version of polar-seats does not know.

    It keeps the price's ``id`` and ``amount_type``, and every field Polar sent in ``raw``,
    so one new kind of price never fails a page.
    """

    id: str | None
    amount_type: str | None
    legacy: bool
    raw: dict[str, Any]


# Benefits --------------------------------------------------------------------------------


class _Benefit(_Model, _BenefitMarker, kw_only=True, tag_field="type"):
    # A msgspec tagged union on ``type``, as the prices are on ``amount_type``.
    id: str
    created_at: datetime
    modified_at: datetime | None = None
    description: str
    selectable: bool
    deletable: bool
    is_deleted: bool
    organization_id: str

    @property
    def type(self) -> str:
        """The kind of benefit, which tells the benefit classes apart."""
        return self.__struct_config__.tag  # type: ignore[return-value]


class BenefitCustom(_Benefit, kw_only=True, tag="custom"):
    """A custom benefit (``type == "custom"``)."""


class BenefitDiscord(_Benefit, kw_only=True, tag="discord"):
    """A Discord role benefit (``type == "discord"``)."""


class BenefitGitHubRepository(_Benefit, kw_only=True, tag="github_repository"):
    """A GitHub repository access benefit (``type == "github_repository"``)."""


class BenefitDownloadables(_Benefit, kw_only=True, tag="downloadables"):
    """A file downloads benefit (``type == "downloadables"``)."""


class BenefitLicenseKeys(_Benefit, kw_only=True, tag="license_keys"):
    """A license keys benefit (``type == "license_keys"``)."""


class BenefitFeatureFlag(_Benefit, kw_only=True, tag="feature_flag"):
    """A feature flag benefit (``type == "feature_flag"``)."""


class BenefitSlackSharedChannel(_Benefit, kw_only=True, tag="slack_shared_channel"):
    """A shared Slack channel benefit (``type == "slack_shared_channel"``)."""


class BenefitMeterCreditProperties(_Model, kw_only=True):
    """How many units of which meter a meter-credit benefit grants."""

    units: int
    meter_id: str


class BenefitMeterCredit(_Benefit, kw_only=True, tag="meter_credit"):
    """A meter credit benefit (``type == "meter_credit"``).

    ``properties`` is ``None`` when an older revision of the contract omits it.
    """

    properties: BenefitMeterCreditProperties | None = None


class UnknownBenefit(_Model, _BenefitMarker, kw_only=True):
    """A benefit of a kind this version of polar-seats does not know, with its fields in ``raw``."""

    id: str | None
    type: str | None
    raw: dict[str, Any]


# The kinds known today, as msgspec tagged unions: what the fast decoder reads. msgspec cannot
# tell a legacy price from a current one (both share ``amount_type``) nor fall back on an
# unknown tag, so a page that holds either is decoded by the lax models at the end of this
# module, which hand each price and benefit to ``decode_hook``.
_CurrentPrice = (
    ProductPriceFixed
    | ProductPriceCustom
    | ProductPriceSeatBased
    | ProductPriceMeteredUnit
    | ProductPriceUnitBased
    | ProductPriceMeteredTiers
)
_CurrentBenefit = (
    BenefitCustom
    | BenefitDiscord
    | BenefitGitHubRepository
    | BenefitDownloadables
    | BenefitLicenseKeys
    | BenefitFeatureFlag
    | BenefitSlackSharedChannel
    | BenefitMeterCredit
)
if TYPE_CHECKING:
    Price = (
        _CurrentPrice
        | LegacyRecurringProductPriceFixed
        | LegacyRecurringProductPriceCustom
        | UnknownProductPrice
    )
    Benefit = _CurrentBenefit | UnknownBenefit
    _PriceUnion = Price
    _BenefitUnion = Benefit
else:
    # At run time ``Price`` and ``Benefit`` are the marker bases, for ``isinstance``.
    Price = _PriceMarker
    Benefit = _BenefitMarker
    _PriceUnion = _CurrentPrice
    _BenefitUnion = _CurrentBenefit

_PRICE_TYPES: dict[str, type[_PriceFields]] = {
    "fixed": ProductPriceFixed,
    "custom": ProductPriceCustom,
    "seat_based": ProductPriceSeatBased,
    "metered_unit": ProductPriceMeteredUnit,
    "unit_based": ProductPriceUnitBased,
    "metered_tiers": ProductPriceMeteredTiers,
}
_LEGACY_PRICE_TYPES: dict[str, type[_PriceFields]] = {
    "fixed": LegacyRecurringProductPriceFixed,
    "custom": LegacyRecurringProductPriceCustom,
}
_BENEFIT_TYPES: dict[str, type[_Benefit]] = {
    "custom": BenefitCustom,
    "discord": BenefitDiscord,
    "github_repository": BenefitGitHubRepository,
    "downloadables": BenefitDownloadables,
    "license_keys": BenefitLicenseKeys,
    "feature_flag": BenefitFeatureFlag,
    "slack_shared_channel": BenefitSlackSharedChannel,
    "meter_credit": BenefitMeterCredit,
}


def _optional_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _unknown(type_: type, obj: dict[str, Any]) -> object:
    if type_ is _PriceMarker:
        return UnknownProductPrice(
            id=_optional_str(obj.get("id")),
            amount_type=_optional_str(obj.get("amount_type")),
            legacy="legacy" in obj,
            raw=obj,
        )
    return UnknownBenefit(
        id=_optional_str(obj.get("id")), type=_optional_str(obj.get("type")), raw=obj
    )


def decode_hook(type_: type, obj: Any, _convert: Any = msgspec.convert) -> object:
    """Decode the fields msgspec hands over: the price and benefit unions.

    This runs for every price and benefit of a page, so it is written for speed.
    """
    if obj.__class__ is not dict:
        what = "price" if type_ is _PriceMarker else "benefit"
        raise ValueError(f"Expected a {what} object, got {type(obj).__name__}")
    cls: type[msgspec.Struct] | None
    kind: Any
    try:
        if type_ is _PriceMarker:
            kind = obj.get("amount_type")
            cls = (_LEGACY_PRICE_TYPES if "legacy" in obj else _PRICE_TYPES).get(kind)
        elif type_ is _BenefitMarker:
            kind = obj.get("type")
            cls = _BENEFIT_TYPES.get(kind)
        else:
            raise NotImplementedError(f"polar_seats cannot decode {type_!r}")
    except TypeError:
        # An unhashable discriminator (a list, an object): not a kind this version knows.
        cls = None
    if cls is None:
        return _unknown(type_, obj)
    try:
        return _convert(obj, cls, strict=False)
    except msgspec.ValidationError as exc:
        # A ValueError makes msgspec append the outer path (`$.items[2].prices[0]`) to the
        # inner one, so the page's error can name the whole path of the field.
        raise ValueError(str(exc)) from None


# Organization ----------------------------------------------------------------------------


class CustomerPortalUsageSettings(_Model, kw_only=True):
    """Whether the customer portal shows usage."""

    show: bool


class CustomerPortalSubscriptionSettings(_Model, kw_only=True):
    """What a customer may change on a subscription in the portal."""

    update_seats: bool
    update_plan: bool
    update_units: bool | None = None
    pause: bool | None = None


class CustomerPortalCustomerSettings(_Model, kw_only=True):
    """What a customer may change about themselves in the portal."""

    allow_email_change: bool | None = None


class OrganizationCustomerPortalSettings(_Model, kw_only=True):
    """An organization's customer portal settings."""

    usage: CustomerPortalUsageSettings
    subscription: CustomerPortalSubscriptionSettings
    customer: CustomerPortalCustomerSettings | None = None


class CustomerOrganizationFeatureSettings(_Model, kw_only=True):
    """Feature switches of an organization, as a customer sees them."""

    member_model_enabled: bool = False
    checkout_localization_enabled: bool = False


class CustomerOrganization(_Model, kw_only=True):
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


class ProductMediaFileRead(_Model, kw_only=True):
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


class CustomerSubscriptionProduct(_Model, kw_only=True):
    """The product a subscription is for."""

    id: str
    created_at: datetime
    modified_at: datetime | None = None
    trial_interval: str | None = None
    trial_interval_count: int | None = None
    name: str
    description: str | None = None
    visibility: str
    recurring_interval: str | None = None
    recurring_interval_count: int | None = None
    meter_interval: str | None = None
    meter_interval_count: int | None = None
    is_recurring: bool
    is_archived: bool
    organization_id: str
    prices: list[_PriceUnion]
    benefits: list[_BenefitUnion]
    medias: list[ProductMediaFileRead]
    organization: CustomerOrganization


class CustomerSubscriptionMeterMeter(_Model, kw_only=True):
    """The meter a subscription meter counts."""

    created_at: datetime
    modified_at: datetime | None = None
    id: str
    name: str


class CustomerSubscriptionMeter(_Model, kw_only=True):
    """Usage of one meter in the current period of a subscription."""

    created_at: datetime
    modified_at: datetime | None = None
    id: str
    consumed_units: float
    credited_units: int
    amount: int
    meter_id: str
    meter: CustomerSubscriptionMeterMeter


class PendingSubscriptionUpdate(_Model, kw_only=True):
    """A change to a subscription that applies at ``applies_at``."""

    created_at: datetime
    modified_at: datetime | None = None
    id: str
    applies_at: datetime
    product_id: str | None = None
    seats: int | None = None
    units: int | None = None


class CustomerSubscription(_Model, kw_only=True):
    """A subscription on which the customer holds a seat."""

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
    product: CustomerSubscriptionProduct
    prices: list[_PriceUnion]
    meters: list[CustomerSubscriptionMeter]
    pending_update: PendingSubscriptionUpdate | None = None
    # Sent by Polar although the contract leaves them out.
    price_id: str | None = None
    price: _PriceUnion | None = None
    user_id: str | None = None


class Pagination(_Model, kw_only=True):
    """Where a page stands: ``max_page == ceil(total_count / min(limit, 100))``."""

    total_count: int
    max_page: int


class Page(_Model, kw_only=True):
    """One page of claimed subscriptions, as the server sent it."""

    items: list[CustomerSubscription]
    pagination: Pagination


# The lax models -------------------------------------------------------------------------
# The same containers with prices and benefits handed to ``decode_hook``, for the pages the
# tagged unions refuse: a legacy price, a kind this version does not know, or a field that
# does not fit (the hook's error names the field's full path). They only narrow annotations,
# so they add no slots and share their bases' layout: Python lets a decoded object's class be
# set to the public one (it raises TypeError if the layouts ever differ), at no cost per field.


class _LaxProduct(CustomerSubscriptionProduct, kw_only=True):
    prices: list[_PriceMarker]  # type: ignore[assignment]
    benefits: list[_BenefitMarker]  # type: ignore[assignment]


class _LaxSubscription(CustomerSubscription, kw_only=True):
    product: _LaxProduct  # pyright: ignore[reportIncompatibleVariableOverride]
    prices: list[_PriceMarker]  # type: ignore[assignment]
    price: _PriceMarker | None = None  # type: ignore[assignment]


class LaxPage(Page, kw_only=True):
    items: list[_LaxSubscription]  # type: ignore[assignment]


def _become(obj: object, cls: type) -> Any:
    obj.__class__ = cls
    return obj


def _from_lax(item: _LaxSubscription) -> CustomerSubscription:
    _become(item.product, CustomerSubscriptionProduct)
    result: CustomerSubscription = _become(item, CustomerSubscription)
    return result


def from_lax(page: LaxPage) -> Page:
    """The public :class:`Page` holding what the lax models decoded."""
    for item in page.items:
        _from_lax(item)
    result: Page = _become(page, Page)
    return result


def subscription_from_builtins(obj: Any) -> CustomerSubscription:
    """A :class:`CustomerSubscription` from JSON-like Python data (a decoded item)."""
    return _from_lax(msgspec.convert(obj, _LaxSubscription, dec_hook=decode_hook, strict=False))
