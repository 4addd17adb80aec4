"""A page of a paginated list, generic in what it holds."""

from __future__ import annotations

from typing import TYPE_CHECKING, Generic

from ._base import Model

if TYPE_CHECKING:
    from typing_extensions import TypeVar

    from .subscriptions import CustomerSubscription

    # For type checkers a bare ``Page`` stays a page of subscriptions, as before it was generic.
    T = TypeVar("T", default=CustomerSubscription)
else:
    # typing.TypeVar takes a default only from Python 3.13, and msgspec only needs the
    # TypeVar itself, at module level, to resolve ``list[T]``.
    from typing import TypeVar

    T = TypeVar("T")


class Pagination(Model, kw_only=True):
    """Where a page stands: ``max_page == ceil(total_count / min(limit, 100))``."""

    total_count: int
    max_page: int


class Page(Model, Generic[T], kw_only=True):
    """One page of items (claimed subscriptions, by default), as the server sent it.

    To decode a stored one, use [`polar_seats.decode()`][polar_seats.decode] with
    ``Page[CustomerSubscription]``: it reads legacy and unknown prices as the client does,
    where ``msgspec.json.decode`` fails. msgspec itself reads a bare ``Page`` as
    ``Page[Any]`` and leaves the items as dicts.
    """

    items: list[T]
    pagination: Pagination
