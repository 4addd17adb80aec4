"""Walking every page of an endpoint that paginates as Polar's server does.

The server computes ``max_page = ceil(total_count / min(limit, 100))``, answers a page past
the end with an empty 200, and orders rows by nothing, so a row can move between pages
while a walk runs. A walk therefore:

- goes on while ``page < max_page``, re-reading ``max_page`` from every page, and stops at
  the first empty page; it never stops because a page is shorter than ``limit``;
- yields each subscription ``id`` at most once;
- follows a ``max_page`` that grows while it runs up to ``2 * first max_page + 10``, so a
  server that keeps raising it cannot hold a worker forever.

Once the first page has told the walk ``max_page``, it fetches up to ``concurrency`` of the
following pages at once, still yielding strictly in page order and holding no more than
``concurrency`` pages ahead. An error on page k surfaces after the items of the pages before
it; an error, a break or a cancellation cancels the pages fetched ahead.
"""

from __future__ import annotations

import asyncio
import collections
import math
import re
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterator
from types import TracebackType
from typing import Generic, NoReturn, Protocol, TypeVar

from ._errors import InvalidArgumentError
from ._models import CustomerSubscription, Page
from ._tracing import active as tracing
from ._tracing import walk as traced_walk

__all__ = ["PageIterator", "SubscriptionIterator"]


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=_HasId)


def page_cap(first_max_page: int) -> int:
    """The last page a walk will request, given the ``max_page`` of its first page."""
    return 2 * max(first_max_page, 0) + 10


def check_concurrency(concurrency: int) -> int:
    """``concurrency`` if it is a number of pages to fetch at once, else
    [`InvalidArgumentError`][polar_seats.InvalidArgumentError]."""
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise InvalidArgumentError(
            f"concurrency must be a whole number of pages, 1 or more (got {concurrency!r}); "
            "1 fetches one page at a time.",
            argument="concurrency",
        )
    return concurrency


class PageIterator(Generic[T]):
    """One walk over a paginated endpoint: ``async for item in it`` or ``it.pages()``.

    Breaking out of the loop early is fine; ``aclose()`` (or ``async with``) releases what
    the walk holds at once rather than when it is garbage-collected.
    """

    _operation = "polar_seats.walk"
    """The name of the walk's span, when tracing."""

    def __init__(
        self,
        fetch: Callable[[int], Awaitable[Page[T]]],
        *,
        start_page: int,
        limit: int,
        max_items: int | None,
        concurrency: int = 1,
    ) -> None:
        self._fetch = fetch
        self._start_page = start_page
        self._limit = limit
        self._max_items = max_items
        self._concurrency = concurrency
        self._pages: AsyncGenerator[Page[T], None] | None = None
        self._buffer: Iterator[T] = iter(())
        self._items_started = False

    def __aiter__(self) -> PageIterator[T]:
        return self

    def __iter__(self) -> NoReturn:
        raise TypeError(
            "A walk is an async iterator: use `async for item in walk:` inside a coroutine, "
            "not `for`."
        )

    async def __anext__(self) -> T:
        # Items come from the current page's list; only an exhausted page awaits the next.
        for item in self._buffer:
            return item
        if self._pages is None:
            self._items_started = True
            self._claim_pages()
        elif not self._items_started:
            raise RuntimeError(
                "This walk is being read a page at a time with pages(); start a new walk "
                "to read it item by item."
            )
        pages = self._pages
        assert pages is not None
        while True:
            page = await pages.__anext__()
            self._buffer = iter(page.items)
            for item in self._buffer:
                return item

    def pages(self) -> AsyncIterator[Page[T]]:
        """The same walk a page at a time; each page holds only ids not yielded before."""
        return self._claim_pages()

    async def aclose(self) -> None:
        """Stop the walk, cancel the pages fetched ahead, and release the connections."""
        if self._pages is not None:
            await self._pages.aclose()

    async def __aenter__(self) -> PageIterator[T]:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def _claim_pages(self) -> AsyncGenerator[Page[T], None]:
        if self._pages is not None:
            raise RuntimeError(
                "This walk has already started; call the method that made it (such as "
                "iter_claimed_subscriptions()) again for a new one."
            )
        if tracing():
            attributes = {
                "polar_seats.start_page": self._start_page,
                "polar_seats.limit": self._limit,
                "polar_seats.concurrency": self._concurrency,
            }
            self._pages = traced_walk(self._operation, self._walk_pages, self._fetch, attributes)
        else:
            self._pages = self._walk_pages(self._fetch)
        return self._pages

    async def _walk_pages(
        self, fetch: Callable[[int], Awaitable[Page[T]]]
    ) -> AsyncGenerator[Page[T], None]:
        walk: _Walk[T] = _Walk(self._max_items)
        if walk.done:
            return
        number = self._start_page
        page = await fetch(number)
        last = page_cap(page.pagination.max_page)
        ahead: collections.deque[asyncio.Task[Page[T]]] = collections.deque()
        try:
            while True:
                fresh = walk.take(page)
                if fresh is None:
                    return
                max_page = min(page.pagination.max_page, last)
                if self._concurrency > 1:
                    # Start the next pages before handing this one over, so the fetching
                    # overlaps with the caller's work on it.
                    horizon = min(max_page, number + walk.pages_needed(self._limit))
                    scheduled = number + len(ahead)
                    while len(ahead) < self._concurrency and scheduled < horizon:
                        scheduled += 1
                        ahead.append(asyncio.ensure_future(fetch(scheduled)))
                yield fresh
                if number >= max_page or walk.done:
                    return
                number += 1
                page = await ahead.popleft() if ahead else await fetch(number)
        finally:
            for task in ahead:
                task.cancel()
            if ahead:
                await asyncio.gather(*ahead, return_exceptions=True)


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class SeenIds:
    """The ids a walk has yielded, exactly, in about 20 bytes each past the first few.

    A walk must remember every id to drop a row that moves to a later page, and a set of
    100,000 id strings takes 12 MiB. The first ``COMPACT_AFTER`` ids go in a set, which
    is fastest; past that, a canonical (lowercase) UUID is kept as its 16 bytes, appended
    to one of 4,096 byte arrays picked by its hash, and any other id stays in the set.
    """

    BUCKETS = 4096
    COMPACT_AFTER = 16_384

    def __init__(self) -> None:
        self._set: set[str] = set()
        self._buckets: list[bytearray | None] | None = None

    def add(self, item_id: str) -> bool:
        """Remember ``item_id``; ``False`` if it was remembered already."""
        if self._buckets is None:
            if item_id in self._set:
                return False
            self._set.add(item_id)
            if len(self._set) >= self.COMPACT_AFTER:
                self._compact()
            return True
        if not _UUID.fullmatch(item_id):
            if item_id in self._set:
                return False
            self._set.add(item_id)
            return True
        return self._add_uuid(bytes.fromhex(item_id.replace("-", "")))

    def _compact(self) -> None:
        buckets: list[bytearray | None] = [None] * self.BUCKETS
        self._buckets = buckets
        kept = self._set
        self._set = set()
        for item_id in kept:
            if _UUID.fullmatch(item_id):
                self._add_uuid(bytes.fromhex(item_id.replace("-", "")))
            else:
                self._set.add(item_id)

    def _add_uuid(self, key: bytes) -> bool:
        assert self._buckets is not None
        index = hash(key) & (self.BUCKETS - 1)
        bucket = self._buckets[index]
        if bucket is None:
            self._buckets[index] = bytearray(key)
            return True
        found = bucket.find(key)
        while found != -1:
            if found % 16 == 0:
                return False
            # A match across two stored keys is not one of them.
            found = bucket.find(key, found + 1)
        bucket += key
        return True


class SubscriptionIterator(PageIterator[CustomerSubscription]):
    """One walk over the claimed subscriptions: ``async for sub in it`` or ``it.pages()``."""

    _operation = "polar_seats.iter_claimed_subscriptions"


class _Walk(Generic[T]):
    """What a walk has yielded so far: the ids seen and the items left to yield."""

    def __init__(self, max_items: int | None) -> None:
        self.seen = SeenIds()
        self.left = max_items

    @property
    def done(self) -> bool:
        return self.left is not None and self.left <= 0

    def pages_needed(self, limit: int) -> int:
        """How many more pages could be needed, at most (unbounded without max_items); none
        once ``max_items`` are taken, so that no page is fetched ahead for nothing."""
        if self.left is None:
            return 1 << 62
        return math.ceil(self.left / limit)

    def take(self, page: Page[T]) -> Page[T] | None:
        """The page with only ids not yielded before, or ``None`` when the walk is over."""
        if not page.items or self.done:
            return None
        remember, left = self.seen.add, self.left
        fresh: list[T] = []
        for item in page.items:
            if remember(item.id):
                fresh.append(item)
                if len(fresh) == left:
                    break
        if left is not None:
            self.left = left - len(fresh)
        if len(fresh) == len(page.items):
            return page
        return Page(items=fresh, pagination=page.pagination)
