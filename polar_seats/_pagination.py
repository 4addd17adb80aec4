"""Walking every page of claimed subscriptions, as Polar's server paginates them.

The server computes ``max_page = ceil(total_count / min(limit, 100))``, answers a page past
the end with an empty 200, and orders rows by nothing, so a row can move between pages
while a walk runs. A walk therefore:

- goes on while ``page < max_page``, re-reading ``max_page`` from every page, and stops at
  the first empty page; it never stops because a page is shorter than ``limit``;
- yields each subscription ``id`` at most once;
- follows a ``max_page`` that grows while it runs up to ``2 * first max_page + 10``, so a
  server that keeps raising it cannot hold a worker forever.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from types import TracebackType

from ._models import CustomerSubscription, Page

__all__ = ["SubscriptionIterator"]


def page_cap(first_max_page: int) -> int:
    """The last page a walk will request, given the ``max_page`` of its first page."""
    return 2 * max(first_max_page, 0) + 10


class SubscriptionIterator:
    """One walk over the claimed subscriptions: ``async for sub in it`` or ``it.pages()``.

    Breaking out of the loop early is fine; ``aclose()`` (or ``async with``) releases what
    the walk holds at once rather than when it is garbage-collected.
    """

    def __init__(
        self,
        fetch: Callable[[int], Awaitable[Page]],
        *,
        start_page: int,
        max_items: int | None,
    ) -> None:
        self._fetch = fetch
        self._start_page = start_page
        self._max_items = max_items
        self._pages: AsyncGenerator[Page, None] | None = None
        self._items: AsyncGenerator[CustomerSubscription, None] | None = None

    def __aiter__(self) -> SubscriptionIterator:
        return self

    async def __anext__(self) -> CustomerSubscription:
        if self._items is None:
            self._items = self._walk_items(self._claim_pages())
        return await self._items.__anext__()

    def pages(self) -> AsyncIterator[Page]:
        """The same walk a page at a time; each page holds only ids not yielded before."""
        return self._claim_pages()

    async def aclose(self) -> None:
        """Stop the walk and release what it holds."""
        if self._items is not None:
            await self._items.aclose()
        if self._pages is not None:
            await self._pages.aclose()

    async def __aenter__(self) -> SubscriptionIterator:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def _claim_pages(self) -> AsyncGenerator[Page, None]:
        if self._pages is not None:
            raise RuntimeError(
                "This walk has already started; call iter_claimed_subscriptions() again "
                "for a new one."
            )
        self._pages = self._walk_pages()
        return self._pages

    async def _walk_items(
        self, pages: AsyncGenerator[Page, None]
    ) -> AsyncGenerator[CustomerSubscription, None]:
        async for page in pages:
            for item in page.items:
                yield item

    async def _walk_pages(self) -> AsyncGenerator[Page, None]:
        seen: set[str] = set()
        left = self._max_items
        number = self._start_page
        last: int | None = None
        while left is None or left > 0:
            page = await self._fetch(number)
            if not page.items:
                return
            max_page = page.pagination.max_page
            if last is None:
                last = page_cap(max_page)
            fresh: list[CustomerSubscription] = []
            for item in page.items:
                if item.id not in seen:
                    seen.add(item.id)
                    fresh.append(item)
                    if len(fresh) == left:
                        break
            if left is not None:
                left -= len(fresh)
            if len(fresh) != len(page.items):
                page = Page(items=fresh, pagination=page.pagination)
            yield page
            if number >= min(max_page, last):
                return
            number += 1
