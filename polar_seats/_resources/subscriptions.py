"""Claimed subscriptions: ``GET /v1/customer-portal/seats/subscriptions``, a page or a walk."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import TypeVar

from .._errors import InvalidArgumentError, PolarError, ResponseDecodeError
from .._models import SUBSCRIPTION_PAGE
from .._operation import Operation
from .._pagination import PageIterator, check_concurrency
from .._protocol import (
    MAX_LIMIT,
    Request,
    check_limit,
    check_page,
    decode_body,
    max_page_for,
    parse_response,
    subject,
)
from .._retry import page_context
from .._tracing import active as tracing
from .._tracing import operation
from ..models import CustomerSubscription, Page
from ._base import Operations

SubscriptionPage = Page[CustomerSubscription]
T = TypeVar("T")

LIST_CLAIMED_SUBSCRIPTIONS = Operation(
    "list_claimed_subscriptions",
    "GET",
    "/v1/customer-portal/seats/subscriptions",
    SUBSCRIPTION_PAGE.decode,
)
PATH = LIST_CLAIMED_SUBSCRIPTIONS.path


@functools.lru_cache(maxsize=4096)
def page_request(page: int, limit: int) -> Request:
    """The request of one page of claimed subscriptions (a value: made once per page)."""
    return LIST_CLAIMED_SUBSCRIPTIONS.request(
        query=(("page", str(page)), ("limit", str(limit))),
        label=f"page {page} of claimed subscriptions",
    )


def decode_page(body: bytes, *, page: int, request: Request | None = None) -> SubscriptionPage:
    """Decode a 200 body into a [`Page`][polar_seats.Page], or raise
    [`ResponseDecodeError`][polar_seats.ResponseDecodeError].

    Most pages take the fast path: prices and benefits as msgspec tagged unions, with no
    Python call per object. A page the fast path refuses (a legacy price, a kind this
    version does not know, a field that does not fit) is decoded again by the lax models,
    which decide.
    """
    if request is None:
        request = page_request(page, MAX_LIMIT)
    return _on_page(page, lambda: decode_body(LIST_CLAIMED_SUBSCRIPTIONS.decode, body, request))


def check_pagination(
    result: SubscriptionPage, *, limit: int, body: bytes, request: Request
) -> SubscriptionPage:
    """``result`` if its pagination is what Polar computes, else
    [`ResponseDecodeError`][polar_seats.ResponseDecodeError].

    A server that reports a negative count, or a ``max_page`` that its own ``total_count``
    does not give, is not believed: a walk would otherwise follow it for as long as it says.
    """
    total, max_page = result.pagination.total_count, result.pagination.max_page
    if total < 0 or max_page < 0 or max_page != max_page_for(total, limit):
        raise ResponseDecodeError(
            f"{subject(request)} reports max_page={max_page} for total_count={total} at "
            f"limit={limit}; Polar computes max_page=ceil(total_count / "
            f"{min(limit, MAX_LIMIT)}).",
            path="$.pagination",
            raw_body=body,
            request=request,
        )
    return result


@functools.lru_cache(maxsize=4096)
def page_decoder(request: Request, limit: int) -> Callable[[bytes], SubscriptionPage]:
    """The decoder of one page of claimed subscriptions, pagination checked."""

    def decode(body: bytes) -> SubscriptionPage:
        return check_pagination(
            LIST_CLAIMED_SUBSCRIPTIONS.decode(body), limit=limit, body=body, request=request
        )

    return decode


def handle_response(
    status: int, headers: Mapping[str, str], body: bytes, *, page: int, limit: int | None = None
) -> SubscriptionPage:
    """Turn one page's response into a [`Page`][polar_seats.Page], or raise the
    matching [`PolarError`][polar_seats.PolarError]. With ``limit``, the pagination is
    checked against it."""
    request = page_request(page, limit or MAX_LIMIT)
    decode = LIST_CLAIMED_SUBSCRIPTIONS.decode if limit is None else page_decoder(request, limit)
    return _on_page(page, lambda: parse_response(request, status, headers, body, decode))


def _on_page(page: int, run: Callable[[], T]) -> T:
    """``run()``, its error telling the page (a pure function's, as a call's does)."""
    try:
        return run()
    except PolarError as error:
        error.page = page
        raise


class SubscriptionIterator(PageIterator[CustomerSubscription]):
    """One walk over the claimed subscriptions: ``async for sub in it`` or ``it.pages()``."""

    _operation = "polar_seats.iter_claimed_subscriptions"


class SubscriptionOperations(Operations):
    async def list_claimed_subscriptions(
        self, *, page: int = 1, limit: int = 10, timeout: float | None = None
    ) -> Page[CustomerSubscription]:
        """Fetch one page of the subscriptions on which the customer holds a seat.

        Exactly one request, plus retries of transient failures. ``limit`` is 10 by
        default, as Polar's; at most 100. ``timeout`` overrides the client's per-attempt
        timeout for this call.
        """
        self._check_token_given()
        check_page(page, limit=check_limit(limit))
        return await self._fetch_page(page, limit, timeout)

    def iter_claimed_subscriptions(
        self,
        *,
        limit: int = 100,
        start_page: int = 1,
        max_items: int | None = None,
        concurrency: int | None = None,
        timeout: float | None = None,
    ) -> SubscriptionIterator:
        """Walk every claimed subscription, page after page: ``async for sub in ...``.

        Each subscription ``id`` is yielded at most once, although rows can move between
        pages while a walk runs (the server's query has no order). ``.pages()`` walks the
        same pages a page at a time. Stops after ``max_items`` items if given. After the
        first page, pages are fetched ahead of the loop: 1, then 2, 4, 8... as it keeps
        reading, up to ``concurrency`` (the client's by default; 1 for one at a time),
        and items still come in page order. Leaving the loop (``aclose()``, ``async with``,
        or a ``break`` that drops the walk) cancels the pages fetched ahead. ``timeout``
        overrides the client's per-attempt timeout for every page of the walk.
        """
        self._check_token_given()
        check_page(start_page, "start_page", limit=check_limit(limit))
        if max_items is not None and max_items < 0:
            raise InvalidArgumentError(
                f"max_items must be 0 or more, or None (got {max_items}).",
                argument="max_items",
                expected="0 or more",
            )
        caller = self._for_walk()
        return SubscriptionIterator(
            lambda page: caller._fetch_page(page, limit, timeout),
            start_page=start_page,
            limit=limit,
            max_items=max_items,
            concurrency=self.concurrency if concurrency is None else check_concurrency(concurrency),
        )

    async def _fetch_page(
        self, page: int, limit: int, timeout: float | None
    ) -> Page[CustomerSubscription]:
        request = page_request(page, limit)
        decode = page_decoder(request, limit)
        # The page is the call's context, not the request's: the retry loop's events and
        # the error raised tell it from here.
        context = page_context.set((request, page))
        try:
            if tracing():
                with operation(LIST_CLAIMED_SUBSCRIPTIONS.span) as span:
                    if span.is_recording():
                        span.set_attributes({"polar_seats.page": page, "polar_seats.limit": limit})
                    return await self._call(request, decode, timeout=timeout)
            return await self._call(request, decode, timeout=timeout)
        except PolarError as error:
            if error.request is request:
                error.page = page
            raise
        finally:
            page_context.reset(context)
