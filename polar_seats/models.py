"""The public models: what Polar's answers decode to, as ``openai.types`` holds openai's.

Every name here is also importable from ``polar_seats`` itself; ``decode()`` decodes a
stored body as the client decodes an answer.
"""

from __future__ import annotations

from typing import TypeVar

from ._models import codec_for

# The Structs keep the __module__ of the module that defines them: msgspec resolves their
# string annotations (from __future__ import annotations) through it.
from ._models.benefits import (
    Benefit as Benefit,  # a type: importable, not in __all__, as at the top level
)
from ._models.benefits import (
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
    UnknownBenefit,
)
from ._models.customers import Address, Customer, CustomerType, IndividualCustomer, TeamCustomer
from ._models.pages import Page, Pagination
from ._models.prices import (
    LegacyRecurringProductPriceCustom,
    LegacyRecurringProductPriceFixed,
    MeterUnit,
    PriceAmountType,
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
    SeatPricing,
    SeatTierRange,
    SeatTierType,
    TaxBehaviorOption,
    Tier,
    Tiers,
    TierType,
    UnknownProductPrice,
)
from ._models.prices import (
    Price as Price,  # a type: importable, not in __all__, as at the top level
)
from ._models.seats import (
    CustomerSeat,
    Member,
    MemberRole,
    SeatClaim,
    SeatClaimInfo,
    SeatsList,
    SeatStatus,
)
from ._models.sessions import CustomerSession, CustomerSessionInfo
from ._models.subscriptions import (
    CustomerCancellationReason,
    CustomerOrganization,
    CustomerOrganizationFeatureSettings,
    CustomerPortalCustomerSettings,
    CustomerPortalSubscriptionSettings,
    CustomerPortalUsageSettings,
    CustomerSubscription,
    CustomerSubscriptionMeter,
    CustomerSubscriptionMeterMeter,
    CustomerSubscriptionProduct,
    OrganizationCustomerPortalSettings,
    PendingSubscriptionUpdate,
    Product,
    ProductFields,
    ProductMediaFileRead,
    ProductVisibility,
    RecurringInterval,
    Subscription,
    SubscriptionFields,
    SubscriptionProrationBehavior,
    SubscriptionStatus,
)
from ._protocol import decode_body

T = TypeVar("T")

__all__ = [
    "Address",
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
    "PriceAmountType",
    "Product",
    "ProductFields",
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
    "Subscription",
    "SubscriptionFields",
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
