"""msgspec Structs for what Polar's customer portal returns, one module per resource.

Polar changes this contract under released clients, so the models are built to survive it:

- unknown fields are skipped;
- enumerations are open: a field holds a plain ``str`` and the ``*Status``/``*Interval``
  classes only name the values known today, so a new value decodes and compares equal to
  its raw string;
- a price or benefit of a kind this version does not know decodes into
  [`UnknownProductPrice`][polar_seats.UnknownProductPrice] /
  [`UnknownBenefit`][polar_seats.UnknownBenefit] instead of failing the page;
- fields added by later revisions of the contract default to ``None``.

A ``Codec`` decodes a body: ``_codec.py`` tells how a page is read fast, and when the
lax models of ``_lax.py`` take over.
"""

from __future__ import annotations

# The Structs keep the __module__ of the module that defines them: msgspec resolves their
# string annotations (from __future__ import annotations) through it.
from ._codec import (
    CUSTOMER_SEAT,
    CUSTOMER_SESSION,
    SEAT_CLAIM,
    SEAT_CLAIM_INFO,
    SEATS_LIST,
    SESSION_INFO,
    SUBSCRIPTION_PAGE,
    Codec,
    codec_for,
)
from ._lax import LaxPage, decode_hook, from_lax, subscription_from_builtins
from .benefits import (
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
    UnknownBenefit,
)
from .customers import Address, Customer, CustomerType, IndividualCustomer, TeamCustomer
from .pages import Page, Pagination
from .prices import (
    LegacyRecurringProductPriceCustom,
    LegacyRecurringProductPriceFixed,
    MeterUnit,
    Price,
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
from .seats import (
    CustomerSeat,
    Member,
    MemberRole,
    SeatClaim,
    SeatClaimInfo,
    SeatsList,
    SeatStatus,
)
from .sessions import CustomerSession, CustomerSessionInfo
from .subscriptions import (
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
    ProductMediaFileRead,
    ProductVisibility,
    RecurringInterval,
    SubscriptionProrationBehavior,
    SubscriptionStatus,
)

__all__ = [
    "CUSTOMER_SEAT",
    "CUSTOMER_SESSION",
    "SEATS_LIST",
    "SEAT_CLAIM",
    "SEAT_CLAIM_INFO",
    "SESSION_INFO",
    "SUBSCRIPTION_PAGE",
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
    "Codec",
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
    "LaxPage",
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
    "codec_for",
    "decode_hook",
    "from_lax",
    "subscription_from_builtins",
]
