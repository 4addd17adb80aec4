"""The base of every model, and the tables of the tagged unions."""

from __future__ import annotations

from typing import Any, get_args

import msgspec


class Model(msgspec.Struct, kw_only=True, gc=False):
    """Base of every model: keyword-only, untracked by the garbage collector.

    Decoded objects form no reference cycles, so the Structs opt out of garbage-collector
    tracking, which removes most of the collector's cost on large walks.
    """


def become(obj: object, cls: type) -> Any:
    """``obj``, now of class ``cls``: a subclass that adds no field, so the layout is the same
    (Python raises ``TypeError`` if it ever differs), at no cost per field."""
    obj.__class__ = cls
    return obj


def by_tag(union: Any) -> dict[str, type[Any]]:
    """The classes of a msgspec tagged union by their tag, in the union's order.

    The ``tag=`` of each class is the one place a kind is written; tables derive from it.
    """
    table: dict[str, type[Any]] = {}
    for cls in get_args(union):
        tag = cls.__struct_config__.tag
        if not isinstance(tag, str) or tag in table:
            raise TypeError(f"{cls.__name__} needs a tag of its own, not {tag!r}")
        table[tag] = cls
    return table
