"""Claimed subscriptions: ``GET /v1/customer-portal/seats/subscriptions``, a page or a walk."""

from __future__ import annotations

from .._errors import InvalidArgumentError
from .._models import CustomerSubscription, Page
from .._pagination import SubscriptionIterator, check_concurrency
from .._protocol import check_limit, check_page, page_decoder, page_request
from .._tracing import active as tracing
from .._tracing import operation
from ._base import Operations


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
                f"max_items must be 0 or more, or None (got {max_items}).", argument="max_items"
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
        if tracing():
            with operation("polar_seats.list_claimed_subscriptions") as span:
                if span.is_recording():
                    span.set_attributes({"polar_seats.page": page, "polar_seats.limit": limit})
                return await self._call(request, page_decoder(request, limit), timeout=timeout)
        return await self._call(request, page_decoder(request, limit), timeout=timeout)
