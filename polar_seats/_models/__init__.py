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

The public names are in ``polar_seats.models``; this package keeps the codecs. A
``Codec`` decodes a body: ``_codec.py`` tells how a page is read fast, and when the
lax models of ``_lax.py`` take over.
"""

from __future__ import annotations

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
from .pages import Page
from .subscriptions import CustomerSubscription

__all__ = [
    "CUSTOMER_SEAT",
    "CUSTOMER_SESSION",
    "SEATS_LIST",
    "SEAT_CLAIM",
    "SEAT_CLAIM_INFO",
    "SESSION_INFO",
    "SUBSCRIPTION_PAGE",
    "Codec",
    "CustomerSubscription",
    "LaxPage",
    "Page",
    "codec_for",
    "decode_hook",
    "from_lax",
    "subscription_from_builtins",
]
