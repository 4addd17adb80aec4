"""Decoding a body into a model: a fast decoder, with a lax one to fall back on.

The fast decoder of a page sees the current prices and benefits as msgspec tagged unions and
runs no Python per object; a page it refuses goes to the lax models (``_lax.py``), which
decide. A model without unions needs no lax decoder.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, get_args, get_origin

import msgspec

from ._base import Model
from ._lax import (
    LaxOrganizationSubscription,
    LaxPage,
    LaxProduct,
    LaxSubscription,
    decode_hook,
    from_lax,
    organization_subscription_from_lax,
    product_from_lax,
    subscription_from_lax,
)
from .pages import Page
from .seats import CustomerSeat, SeatClaim, SeatClaimInfo, SeatsList
from .sessions import CustomerSession, CustomerSessionInfo
from .subscriptions import CustomerSubscription, CustomerSubscriptionProduct, Subscription

T = TypeVar("T")


class Codec(Generic[T]):
    """A fast decoder for T, with an optional lax fallback.

    ``decode()`` tries the fast decoder of ``type_``; if it fails and ``lax`` is given,
    the body is decoded as ``lax`` with ``decode_hook`` and ``from_lax`` turns the
    result into a T. The lax decoder's errors (``msgspec.ValidationError``,
    ``msgspec.DecodeError``, ``RecursionError``, ``UnicodeDecodeError``) propagate, as the
    fast decoder's do when there is no lax type.
    """

    __slots__ = ("fast", "from_lax", "lax")

    def __init__(
        self, type_: Any, *, lax: Any = None, from_lax: Callable[[Any], T] | None = None
    ) -> None:
        if from_lax is not None and lax is None:
            raise TypeError("from_lax needs a lax type to convert from.")
        # Lax mode lets a field Polar widens from integer to number (1000 sent as 1000.0)
        # decode; a real fraction in an integer field still fails, naming the field.
        self.fast: msgspec.json.Decoder[T] = msgspec.json.Decoder(type_, strict=False)
        self.lax: msgspec.json.Decoder[Any] | None = (
            None if lax is None else msgspec.json.Decoder(lax, dec_hook=decode_hook, strict=False)
        )
        self.from_lax: Callable[[Any], T] | None = from_lax

    def decode(self, body: bytes) -> T:
        """``body`` as a T: by the fast decoder, else by the lax one, which decides."""
        try:
            return self.fast.decode(body)
        except Exception:
            if self.lax is None:
                raise
        return self.decode_lax(body)

    def decode_lax(self, body: bytes) -> T:
        """``body`` as a T by the lax decoder alone (``TypeError`` if there is none)."""
        if self.lax is None:
            raise TypeError("This Codec has no lax type.")
        result: T = self.lax.decode(body)
        return result if self.from_lax is None else self.from_lax(result)


SUBSCRIPTION_PAGE: Codec[Page[CustomerSubscription]] = Codec(
    Page[CustomerSubscription], lax=LaxPage, from_lax=from_lax
)
"""A page of ``GET /v1/customer-portal/seats/subscriptions``."""

SESSION_INFO: Codec[CustomerSessionInfo] = Codec(CustomerSessionInfo)
"""The body of ``GET /v1/customer-portal/customer-session/introspect``."""

CUSTOMER_SESSION: Codec[CustomerSession] = Codec(CustomerSession)
"""The body of ``POST /v1/customer-sessions/``."""

SEATS_LIST: Codec[SeatsList] = Codec(SeatsList)
"""The body of ``GET /v1/customer-portal/seats`` and ``GET /v1/customer-seats``."""

CUSTOMER_SEAT: Codec[CustomerSeat] = Codec(CustomerSeat)
"""The body of an assign, a revoke and a resend."""

SEAT_CLAIM_INFO: Codec[SeatClaimInfo] = Codec(SeatClaimInfo)
"""The body of ``GET /v1/customer-seats/claim/{invitation_token}``."""

SEAT_CLAIM: Codec[SeatClaim] = Codec(SeatClaim)
"""The body of ``POST /v1/customer-seats/claim``."""

SUBSCRIPTION: Codec[CustomerSubscription] = Codec(
    CustomerSubscription, lax=LaxSubscription, from_lax=subscription_from_lax
)
"""One subscription as the customer portal shows it: an item of a page, or the body of
``GET``/``PATCH /v1/customer-portal/subscriptions/{id}``."""

ORGANIZATION_SUBSCRIPTION: Codec[Subscription] = Codec(
    Subscription, lax=LaxOrganizationSubscription, from_lax=organization_subscription_from_lax
)
"""The body of ``GET``/``PATCH /v1/subscriptions/{id}`` (an organization's read)."""

PRODUCT: Codec[CustomerSubscriptionProduct] = Codec(
    CustomerSubscriptionProduct, lax=LaxProduct, from_lax=product_from_lax
)
"""A subscription's product, as stored by the caller."""

_CODECS: dict[Any, Codec[Any]] = {
    # A bare Page is a page of subscriptions, as type checkers read it.
    Page: SUBSCRIPTION_PAGE,
    Page[CustomerSubscription]: SUBSCRIPTION_PAGE,
    CustomerSubscription: SUBSCRIPTION,
    Subscription: ORGANIZATION_SUBSCRIPTION,
    CustomerSubscriptionProduct: PRODUCT,
    CustomerSessionInfo: SESSION_INFO,
    CustomerSession: CUSTOMER_SESSION,
    SeatsList: SEATS_LIST,
    CustomerSeat: CUSTOMER_SEAT,
    SeatClaimInfo: SEAT_CLAIM_INFO,
    SeatClaim: SEAT_CLAIM,
}


def _is_model(type_: Any) -> bool:
    if isinstance(type_, type):
        return issubclass(type_, Model)
    return get_origin(type_) is Page and all(map(_is_model, get_args(type_)))


def codec_for(type_: type[T]) -> Codec[T]:
    """The codec the client decodes ``type_`` with, lax fallback included; for a model no
    endpoint returns as such (a ``Customer``, a webhook event), a fast one, made once.

    ``TypeError`` for a type that is not one of the library's models.
    """
    try:
        codec = _CODECS.get(type_)
    except TypeError:  # an unhashable type, such as a typing construct holding a list
        codec = None
    if codec is not None:
        return codec
    if not _is_model(type_):
        raise TypeError(
            f"polar_seats.decode() decodes polar-seats models (CustomerSubscription, "
            f"Page[CustomerSubscription], CustomerSeat, SeatsList...), not {type_!r}: "
            "decode other types with msgspec.json.decode()."
        )
    return _CODECS.setdefault(type_, Codec(type_))
