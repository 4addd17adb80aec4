"""The lax decoding path, for the pages the fast tagged unions refuse.

A legacy price, a kind this version does not know, or a field that does not fit: the lax
models hand every price and benefit to ``decode_hook``, which tells them apart, keeps an
unknown kind raw, and gives an error the full path of its field.
"""

from __future__ import annotations

from typing import Any, cast

import msgspec

from ._base import become
from .benefits import BENEFIT_CLASSES, BenefitMarker, UnknownBenefit
from .pages import Page
from .prices import LEGACY_PRICE_CLASSES, PRICE_CLASSES, PriceMarker, UnknownProductPrice
from .subscriptions import CustomerSubscription, CustomerSubscriptionProduct, Product, Subscription


def _optional_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _unknown(type_: type, obj: dict[str, Any]) -> object:
    if type_ is PriceMarker:
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
        what = "price" if type_ is PriceMarker else "benefit"
        raise ValueError(f"Expected a {what} object, got {type(obj).__name__}")
    cls: type[msgspec.Struct] | None
    kind: Any
    try:
        if type_ is PriceMarker:
            kind = obj.get("amount_type")
            cls = (LEGACY_PRICE_CLASSES if "legacy" in obj else PRICE_CLASSES).get(kind)
        elif type_ is BenefitMarker:
            kind = obj.get("type")
            cls = BENEFIT_CLASSES.get(kind)
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
LaxSubscription = _LaxSubscription
LaxProduct = _LaxProduct
LaxOrganizationSubscription = _LaxOrganizationSubscription


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
