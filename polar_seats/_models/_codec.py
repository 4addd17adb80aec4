"""Decoding a body into a model: a fast decoder, with a lax one to fall back on.

The fast decoder of a page sees the current prices and benefits as msgspec tagged unions and
runs no Python per object; a page it refuses goes to the lax models (twins of the models,
beside them, using ``_lax.py``), which decide. A model without unions needs no lax decoder,
and no codec declared: ``codec_for()`` makes its fast one on first use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, get_args, get_origin

import msgspec

from ._base import Model
from ._lax import decode_hook
from .pages import Page

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


_CODECS: dict[Any, Codec[Any]] = {}
"""The codec of each model decoded so far; those with a lax twin register here as their
module defines them."""


def register(codec: Codec[T], *types: Any) -> Codec[T]:
    """``codec``, made the one ``codec_for()`` gives for each of ``types``."""
    for type_ in types:
        _CODECS[type_] = codec
    return codec


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
