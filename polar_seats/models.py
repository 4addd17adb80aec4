"""The public models: what Polar's answers decode to, as ``openai.types`` holds openai's.

Every name here is also importable from ``polar_seats`` itself; ``decode()`` decodes a
stored body as the client decodes an answer.
"""

from __future__ import annotations

from typing import TypeVar

from ._models import (
    Address,
    Benefit,
    BenefitCustom,
    BenefitDiscord,
    BenefitDownloadables,
    BenefitFeatureFlag,
    BenefitGitHubRepository,
    BenefitLicenseKeys,
    BenefitMeterCredit,
    BenefitMeterCreditProperties,
    BenefitSlackSharedChannel,
    BenefitType,
    Customer,
    CustomerCancellationReason,
    CustomerOrganization,
    CustomerOrganizationFeatureSettings,
    CustomerPortalCustomerSettings,
    CustomerPortalSubscriptionSettings,
    CustomerPortalUsageSettings,
    CustomerSeat,
    CustomerSession,
    CustomerSessionInfo,
    CustomerSubscription,
    CustomerSubscriptionMeter,
    CustomerSubscriptionMeterMeter,
    CustomerSubscriptionProduct,
    CustomerType,
    IndividualCustomer,
    LegacyRecurringProductPriceCustom,
    LegacyRecurringProductPriceFixed,
    Member,
    MemberRole,
    MeterUnit,
    OrganizationCustomerPortalSettings,
    Page,
    Pagination,
    PendingSubscriptionUpdate,
    Price,
    PriceAmountType,
    ProductMediaFileRead,
    ProductPriceCustom,
    ProductPriceFixed,
    ProductPriceMeter,
    ProductPriceMeteredTiers,
    ProductPriceMeteredUnit,
    ProductPriceSeatBased,
    ProductPriceSeatTier,
    ProductPriceSeatTiers,
    ProductPriceSource,
    ProductPriceUnitBased,
    ProductVisibility,
    RecurringInterval,
    SeatClaim,
    SeatClaimInfo,
    SeatPricing,
    SeatsList,
    SeatStatus,
    SeatTierRange,
    SeatTierType,
    SubscriptionProrationBehavior,
    SubscriptionStatus,
    TaxBehaviorOption,
    TeamCustomer,
    Tier,
    Tiers,
    TierType,
    UnknownBenefit,
    UnknownProductPrice,
    codec_for,
)
from ._protocol import decode_body

T = TypeVar("T")

__all__ = [
    "Address",
    "Benefit",
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
    "Customer",
    "CustomerCancellationReason",
    "CustomerOrganization",
    "CustomerOrganizationFeatureSettings",
    "CustomerPortalCustomerSettings",
    "CustomerPortalSubscriptionSettings",
    "CustomerPortalUsageSettings",
    "CustomerSeat",
    "CustomerSession",
    "CustomerSessionInfo",
    "CustomerSubscription",
    "CustomerSubscriptionMeter",
    "CustomerSubscriptionMeterMeter",
    "CustomerSubscriptionProduct",
    "CustomerType",
    "IndividualCustomer",
    "LegacyRecurringProductPriceCustom",
    "LegacyRecurringProductPriceFixed",
    "Member",
    "MemberRole",
    "MeterUnit",
    "OrganizationCustomerPortalSettings",
    "Page",
    "Pagination",
    "PendingSubscriptionUpdate",
    "Price",
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
    "SeatClaim",
    "SeatClaimInfo",
    "SeatPricing",
    "SeatStatus",
    "SeatTierRange",
    "SeatTierType",
    "SeatsList",
    "SubscriptionProrationBehavior",
    "SubscriptionStatus",
    "TaxBehaviorOption",
    "TeamCustomer",
    "Tier",
    "TierType",
    "Tiers",
    "UnknownBenefit",
    "UnknownProductPrice",
    "decode",
]


def decode(body: bytes | bytearray | memoryview | str, type: type[T]) -> T:
    """``body`` (JSON) as ``type``, one of polar-seats' models, decoded as the client decodes
    an answer: a page or subscription that holds a legacy price, or a price or benefit of a
    kind this version does not know, takes the same fallback.

    For a body stored earlier: a cached page (``Page[CustomerSubscription]``), a
    subscription, a seat or a list of seats, a webhook's ``data``. A body that is not JSON
    or does not fit raises [`ResponseDecodeError`][polar_seats.ResponseDecodeError], with
    the field's ``path`` and the body as ``raw_body``; a ``type`` that is not a model of
    polar-seats raises ``TypeError``.
    """
    codec = codec_for(type)
    raw = body.encode() if isinstance(body, str) else bytes(body)
    return decode_body(codec.decode, raw, None)
