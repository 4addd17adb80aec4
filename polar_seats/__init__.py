"""polar_seats: an async-first client for Polar's customer-portal seats API.

::

    async with AsyncClient("polar_cst_...") as client:
        async for subscription in client.iter_claimed_subscriptions():
            print(subscription.id, subscription.status, subscription.product.name)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._client import AsyncClient
from ._errors import (
    AmbiguousExternalCustomerIdError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    CustomerNotFoundError,
    EventLoopError,
    InvalidArgumentError,
    InvitationTokenError,
    NetworkError,
    NotFoundError,
    OutcomeUnknownError,
    PermissionDeniedError,
    PolarError,
    PolarTimeoutError,
    RateLimitError,
    RequestValidationError,
    ResponseDecodeError,
    SeatAlreadyAssignedError,
    SeatNotAvailableError,
    SeatNotFoundError,
    ServerError,
    ValidationProblem,
    VersionNotFoundError,
)
from ._pagination import PageIterator, SubscriptionIterator
from ._protocol import Request, RetryKind
from ._ratelimit import RateLimit
from ._retry import RetryBudget, RetryEvent, RetryPolicy
from ._secret import Secret
from .models import (
    Address,
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
    decode,
)
from .versions import DeprecatedVersionWarning

if TYPE_CHECKING:
    from ._models import Benefit, Price

    __version__: str

__all__ = [
    "APIStatusError",
    "Address",
    "AmbiguousExternalCustomerIdError",
    "AsyncClient",
    "AuthenticationError",
    "BadRequestError",
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
    "ClientClosedError",
    "Customer",
    "CustomerCancellationReason",
    "CustomerNotFoundError",
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
    "DeprecatedVersionWarning",
    "EventLoopError",
    "IndividualCustomer",
    "InvalidArgumentError",
    "InvitationTokenError",
    "LegacyRecurringProductPriceCustom",
    "LegacyRecurringProductPriceFixed",
    "Member",
    "MemberRole",
    "MeterUnit",
    "NetworkError",
    "NotFoundError",
    "OrganizationCustomerPortalSettings",
    "OutcomeUnknownError",
    "Page",
    "PageIterator",
    "Pagination",
    "PendingSubscriptionUpdate",
    "PermissionDeniedError",
    "PolarError",
    "PolarTimeoutError",
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
    "RateLimit",
    "RateLimitError",
    "RecurringInterval",
    "Request",
    "RequestValidationError",
    "ResponseDecodeError",
    "RetryBudget",
    "RetryEvent",
    "RetryKind",
    "RetryPolicy",
    "SeatAlreadyAssignedError",
    "SeatClaim",
    "SeatClaimInfo",
    "SeatNotAvailableError",
    "SeatNotFoundError",
    "SeatPricing",
    "SeatStatus",
    "SeatTierRange",
    "SeatTierType",
    "SeatsList",
    "Secret",
    "ServerError",
    "SubscriptionIterator",
    "SubscriptionProrationBehavior",
    "SubscriptionStatus",
    "TaxBehaviorOption",
    "TeamCustomer",
    "Tier",
    "TierType",
    "Tiers",
    "UnknownBenefit",
    "UnknownProductPrice",
    "ValidationProblem",
    "VersionNotFoundError",
    "__version__",
    "decode",
]


def _show_public_path() -> None:
    # Reprs and tracebacks show polar_seats.AsyncClient, not a private module, as httpx's do.
    # msgspec Structs keep theirs: msgspec resolves their annotations through that module.
    import inspect

    import msgspec

    for name in __all__:
        value = globals().get(name)
        if (inspect.isclass(value) and not issubclass(value, msgspec.Struct)) or inspect.isfunction(
            value
        ):
            value.__module__ = __name__


_show_public_path()


def __getattr__(name: str) -> object:
    # Read lazily: importlib.metadata is slow to import and most programs never ask.
    if name == "__version__":
        from ._version import version

        return version()
    if name in ("Price", "Benefit"):
        from . import _models

        return getattr(_models, name)
    raise AttributeError(f"module 'polar_seats' has no attribute {name!r}")
