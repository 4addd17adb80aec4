"""The lax decoding path, for the bodies the fast tagged unions refuse.

A legacy price, a kind this version does not know, or a field that does not fit: a model
that holds prices or benefits has a lax twin (beside it, in its module) that hands every
price and benefit to ``decode_hook``, which tells them apart, keeps an unknown kind raw,
and gives an error the full path of its field.
"""

from __future__ import annotations

from typing import Any

import msgspec

from .benefits import BENEFIT_CLASSES, BenefitMarker, UnknownBenefit
from .prices import LEGACY_PRICE_CLASSES, PRICE_CLASSES, PriceMarker, UnknownProductPrice


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
