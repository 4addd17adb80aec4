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

The public names are in ``polar_seats.models``, which takes each module's ``__all__``; a
model that holds prices or benefits has its lax twin and its codec beside it in its
module. A ``Codec`` decodes a body: ``_codec.py`` tells how a body is read fast, and when
the lax twins, with ``_lax.py``'s hook, take over.
"""

from __future__ import annotations

from ._codec import Codec, codec_for, register
from ._lax import decode_hook
from .pages import Page
from .seats import CustomerSeat, SeatClaim, SeatClaimInfo, SeatsList
from .sessions import CustomerSession, CustomerSessionInfo
from .subscriptions import (
    ORGANIZATION_SUBSCRIPTION,
    PRODUCT,
    SUBSCRIPTION,
    SUBSCRIPTION_PAGE,
    CustomerSubscription,
    LaxPage,
    from_lax,
    subscription_from_builtins,
)

# The fast codecs of the bodies the operations decode, made once here for their
# declarations; any other model's is made by codec_for() when first asked for.
SESSION_INFO = codec_for(CustomerSessionInfo)
CUSTOMER_SESSION = codec_for(CustomerSession)
SEATS_LIST = codec_for(SeatsList)
CUSTOMER_SEAT = codec_for(CustomerSeat)
SEAT_CLAIM_INFO = codec_for(SeatClaimInfo)
SEAT_CLAIM = codec_for(SeatClaim)

__all__ = [
    "CUSTOMER_SEAT",
    "CUSTOMER_SESSION",
    "ORGANIZATION_SUBSCRIPTION",
    "PRODUCT",
    "SEATS_LIST",
    "SEAT_CLAIM",
    "SEAT_CLAIM_INFO",
    "SESSION_INFO",
    "SUBSCRIPTION",
    "SUBSCRIPTION_PAGE",
    "Codec",
    "CustomerSubscription",
    "LaxPage",
    "Page",
    "codec_for",
    "decode_hook",
    "from_lax",
    "register",
    "subscription_from_builtins",
]
