"""Prices: the current kinds as a tagged union on ``amount_type``; legacy and unknown ones."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from ._base import Model, by_tag


class PriceAmountType(str, enum.Enum):
    """Known values of a price's ``amount_type``, which tells the price variants apart."""

    FIXED = "fixed"
    CUSTOM = "custom"
    SEAT_BASED = "seat_based"
    METERED_UNIT = "metered_unit"
    UNIT_BASED = "unit_based"
    METERED_TIERS = "metered_tiers"


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
    """Known values of ``ProductPriceSeatTiers.seat_tier_type``."""

    VOLUME = "volume"
    GRADUATED = "graduated"


class TierType(str, enum.Enum):
    """Known values of ``Tiers.type``."""

    VOLUME = "volume"
    GRADUATED = "graduated"


class MeterUnit(str, enum.Enum):
    """Known values of ``ProductPriceMeter.unit``."""

    SCALAR = "scalar"
    TOKEN = "token"
    CUSTOM = "custom"


class PriceMarker:
    """Base of every price class; msgspec hands fields of this type to the lax decode hook."""

    __slots__ = ()


class _PriceFields(Model, PriceMarker, kw_only=True):
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


class ProductPriceFixed(_Price, kw_only=True, tag=PriceAmountType.FIXED.value):
    """A fixed price (``amount_type == "fixed"``); free prices are fixed at 0."""

    price_amount: int


class ProductPriceCustom(_Price, kw_only=True, tag=PriceAmountType.CUSTOM.value):
    """A pay-what-you-want price (``amount_type == "custom"``)."""

    minimum_amount: int
    maximum_amount: int | None = None
    preset_amount: int | None = None


class ProductPriceSeatTier(Model, kw_only=True):
    """One tier of a seat-based price."""

    min_seats: int
    max_seats: int | None = None
    price_per_seat: int


class ProductPriceSeatTiers(Model, kw_only=True):
    """The tiers of a seat-based price."""

    seat_tier_type: str = "volume"
    tiers: list[ProductPriceSeatTier]
    minimum_seats: int
    maximum_seats: int | None = None


class SeatTierRange(NamedTuple):
    """One tier of a seat-based price, the same in every API version."""

    first: int
    """The tier's first seat count."""
    last: int | None
    """Its last seat count, inclusive; ``None`` for a tier without an end."""
    price_per_seat: Decimal
    """The price of one seat in this tier, in cents (or the currency's minor unit); 2027-01
    may send fractions of a cent."""


class SeatPricing(NamedTuple):
    """A seat-based price read the same from every API version's shape
    ([`ProductPriceSeatBased.pricing`][polar_seats.ProductPriceSeatBased.pricing])."""

    tier_type: str
    """How the tiers apply: ``"volume"`` (every seat at the tier the count reaches) or
    ``"graduated"`` (each seat at its own tier); an open value."""
    tiers: tuple[SeatTierRange, ...]
    minimum: int
    """The fewest seats that may be bought."""
    maximum: int | None
    """The most seats that may be bought; ``None`` for no limit."""


class ProductPriceSeatBased(_Price, kw_only=True, tag=PriceAmountType.SEAT_BASED.value):
    """A per-seat price (``amount_type == "seat_based"``).

    Each API version sends its own shape: ``seat_tiers`` in 2026-04 and 2026-10; ``tiers``,
    ``minimum_units`` and ``maximum_units`` from 2027-01. The fields hold what was sent (the
    others are ``None``); [`pricing`][polar_seats.ProductPriceSeatBased.pricing] reads either
    the same way.
    """

    seat_tiers: ProductPriceSeatTiers | None = None
    tiers: Tiers | None = None
    minimum_units: int | None = None
    maximum_units: int | None = None
    # Sent by Polar in 2026-04 and 2026-10 although the contract leaves it out.
    price_per_seat: int | None = None

    def __post_init__(self) -> None:
        if self.seat_tiers is None and self.tiers is None:
            raise ValueError(
                "A seat-based price needs seat_tiers (API 2026-04, 2026-10) or tiers "
                "(2027-01): Polar sent neither"
            )

    @property
    def pricing(self) -> SeatPricing:
        """The tiers, the tier type and the purchasable range, whatever the version sent."""
        if self.seat_tiers is not None:
            old = self.seat_tiers
            return SeatPricing(
                old.seat_tier_type,
                tuple(
                    SeatTierRange(tier.min_seats, tier.max_seats, Decimal(tier.price_per_seat))
                    for tier in old.tiers
                ),
                old.minimum_seats,
                old.maximum_seats,
            )
        assert self.tiers is not None  # __post_init__ saw to it
        ranges: list[SeatTierRange] = []
        # 2027-01 gives each tier's last seat only: a tier starts after the one before it
        # (the first at one seat, as 2026-04's first tier does).
        first = 1
        for tier in self.tiers.tiers:
            ranges.append(SeatTierRange(first, tier.bound, tier.unit_amount))
            if tier.bound is not None:
                first = tier.bound + 1
        minimum = 1 if self.minimum_units is None else self.minimum_units
        return SeatPricing(self.tiers.type, tuple(ranges), minimum, self.maximum_units)


class ProductPriceMeter(Model, kw_only=True):
    """The meter a metered price bills."""

    id: str
    name: str
    unit: str
    custom_label: str | None = None
    custom_multiplier: int | None = None


class ProductPriceMeteredUnit(_Price, kw_only=True, tag=PriceAmountType.METERED_UNIT.value):
    """A price per consumed unit of a meter (``amount_type == "metered_unit"``)."""

    unit_amount: Decimal
    cap_amount: int | None = None
    meter_id: str
    meter: ProductPriceMeter


class Tier(Model, kw_only=True):
    """One tier of a tiered price; ``bound`` is ``None`` on the last tier."""

    bound: int | None = None
    unit_amount: Decimal


class Tiers(Model, kw_only=True):
    """The tiers of a tiered price."""

    type: str
    tiers: list[Tier]


class ProductPriceUnitBased(_Price, kw_only=True, tag=PriceAmountType.UNIT_BASED.value):
    """A price per unit bought (``amount_type == "unit_based"``)."""

    tiers: Tiers
    minimum_units: int | None = None
    unit_label: dict[str, dict[str, str]] | None = None
    maximum_units: int | None = None


class ProductPriceMeteredTiers(_Price, kw_only=True, tag=PriceAmountType.METERED_TIERS.value):
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


class UnknownProductPrice(Model, PriceMarker, kw_only=True):
    """A price of a kind this version of polar-seats does not know.

    It keeps the price's ``id`` and ``amount_type``, and every field Polar sent in ``raw``,
    so one new kind of price never fails a page.
    """

    id: str | None
    amount_type: str | None
    legacy: bool
    raw: dict[str, Any]


# The kinds known today, in PriceAmountType's order: what the fast decoder reads. msgspec
# cannot tell a legacy price from a current one (both share ``amount_type``) nor fall back on
# an unknown tag, so a page that holds either goes to the lax decoder (``_lax.py``).
CurrentPrice = (
    ProductPriceFixed
    | ProductPriceCustom
    | ProductPriceSeatBased
    | ProductPriceMeteredUnit
    | ProductPriceUnitBased
    | ProductPriceMeteredTiers
)
if TYPE_CHECKING:
    Price = (
        CurrentPrice
        | LegacyRecurringProductPriceFixed
        | LegacyRecurringProductPriceCustom
        | UnknownProductPrice
    )
    PriceUnion = Price
else:
    # At run time ``Price`` is the marker base, for ``isinstance``; fields hold the union
    # the fast decoder reads.
    Price = PriceMarker
    PriceUnion = CurrentPrice

PRICE_CLASSES: dict[str, type[_Price]] = by_tag(CurrentPrice)
LEGACY_PRICE_CLASSES: dict[str, type[_PriceFields]] = {
    PriceAmountType.FIXED.value: LegacyRecurringProductPriceFixed,
    PriceAmountType.CUSTOM.value: LegacyRecurringProductPriceCustom,
}
