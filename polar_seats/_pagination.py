"""Walking every page of an endpoint that paginates as Polar's server does.

The server computes ``max_page = ceil(total_count / min(limit, 100))``, answers a page past
the end with an empty 200, and orders rows by nothing, so a row can move between pages
while a walk runs. A walk therefore:

- goes on while ``page < max_page``, re-reading ``max_page`` from every page, and stops at
  the first empty page; it never stops because a page is shorter than ``limit``;
- yields each subscription ``id`` at most once;
- follows a ``max_page`` that grows while it runs up to ``2 * first max_page + 10``, so a
  server that keeps raising it cannot hold a worker forever.

The first page is fetched alone. From then on each page handed over starts the pages after
it, and each time the caller comes back for the next page the walk reaches twice as far
ahead, at once: 1 page ahead with the first page, then 2, 4, 8... up to ``concurrency``.
A caller that stops early has cost a page or two, and a long walk is at full depth from
its fourth page. Items still come strictly in page order. An error on page k surfaces
after the items of the pages before it; an error, ``aclose()``, a cancellation or the walk
being dropped (a bare ``break``) cancels the pages fetched ahead.
"""

from __future__ import annotations

import asyncio
import collections
import math
import re
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from types import TracebackType
from typing import Generic, NoReturn, Protocol, TypeVar

from ._errors import InvalidArgumentError
from ._models.pages import Page
from ._tracing import WalkSpan
from ._tracing import active as tracing

__all__ = ["PageIterator"]


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=_HasId)

_IN_USE = (
    "This walk is already being read by another task; give each task its own walk, or "
    "share items through an asyncio.Queue."
)
_OVER = (
    "This walk is over (read to its end, failed or closed); call the method that made it "
    "(such as iter_claimed_subscriptions()) again for a new one, with start_page=error.page "
    "to resume one that failed."
)
_STARTED = (
    "This walk has already started; call the method that made it (such as "
    "iter_claimed_subscriptions()) again for a new one."
)
_BY_PAGES = (
    "This walk is being read a page at a time with pages(); start a new walk to read it "
    "item by item."
)


def page_cap(first_max_page: int) -> int:
    """The last page a walk will request, given the ``max_page`` of its first page."""
    return 2 * max(first_max_page, 0) + 10


def check_max_items(max_items: int | None) -> None:
    """Raise [`InvalidArgumentError`][polar_seats.InvalidArgumentError] unless
    ``max_items`` is ``None`` or 0 or more."""
    if max_items is not None and max_items < 0:
        raise InvalidArgumentError(
            f"max_items must be 0 or more, or None (got {max_items}).",
            argument="max_items",
            expected="0 or more",
        )


def check_concurrency(concurrency: int) -> int:
    """``concurrency`` if it is a number of pages to fetch at once, else
    [`InvalidArgumentError`][polar_seats.InvalidArgumentError]."""
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise InvalidArgumentError(
            f"concurrency must be a whole number of pages, 1 or more (got {concurrency!r}); "
            "1 fetches one page at a time.",
            argument="concurrency",
            expected="a whole number of pages, 1 or more",
        )
    return concurrency


class PageIterator(Generic[T]):
    """One walk over a paginated endpoint: ``async for item in it`` or ``it.pages()``.

    The first page is fetched alone; then the walk fetches pages ahead of the caller, 1,
    then 2, 4, 8... up to ``concurrency`` as the caller keeps reading. Breaking out of the
    loop early is fine: a walk dropped after a ``break`` cancels the pages it fetched
    ahead, and ``aclose()`` (or ``async with``) also waits until they have let go of their
    connections. A walk is read once, by one task at a time: reading it again once it is
    over, or from a second task while the first awaits a page, raises ``RuntimeError``
    saying what to do instead.
    """

    _operation = "polar_seats.walk"
    """The name of the walk's span, when tracing, unless ``span=`` names it."""

    def __init__(
        self,
        fetch: Callable[[int], Awaitable[Page[T]]],
        *,
        start_page: int,
        limit: int,
        max_items: int | None,
        concurrency: int = 1,
        span: str | None = None,
    ) -> None:
        self._walker: _Pages[T] = _Pages(
            fetch,
            self._operation if span is None else span,
            start_page=start_page,
            limit=limit,
            max_items=max_items,
            concurrency=concurrency,
        )
        self._buffer: Iterator[T] = iter(())
        self._by_items: bool | None = None
        """Whether the walk is read item by item (``True``) or by pages(); ``None`` until read."""
        # The finalizer holds the walker, never the walk (nor do the pages ahead), so a
        # walk dropped after a bare `break` is collected at once and cancels them.
        weakref.finalize(self, self._walker.abandon).atexit = False

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
        if not self._by_items:
            if self._by_items is not None:
                raise RuntimeError(_BY_PAGES)
            self._by_items = True
        walker = self._walker
        while True:
            page = await walker.next()
            if page is None:
                raise StopAsyncIteration
            self._buffer = iter(page.items)
            for item in self._buffer:
                return item

    def pages(self) -> AsyncIterator[Page[T]]:
        """The same walk a page at a time; each page holds only ids not yielded before."""
        if self._by_items is not None:
            raise RuntimeError(_STARTED)
        self._by_items = False
        return _PageView(self, self._walker)

    async def aclose(self) -> None:
        """Stop the walk, cancel the pages fetched ahead, and release the connections."""
        self._buffer = iter(())
        await self._walker.close()

    async def __aenter__(self) -> PageIterator[T]:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class _PageView(Generic[T]):
    """``walk.pages()``: the walk's pages. It holds the walk, which lives as long as it is
    read this way."""

    __slots__ = ("_walk", "_walker")

    def __init__(self, walk: PageIterator[T], walker: _Pages[T]) -> None:
        self._walk = walk
        self._walker = walker

    def __aiter__(self) -> _PageView[T]:
        return self

    async def __anext__(self) -> Page[T]:
        page = await self._walker.next()
        if page is None:
            raise StopAsyncIteration
        return page

    async def aclose(self) -> None:
        """The walk's ``aclose()``."""
        await self._walk.aclose()


class _Pages(Generic[T]):
    """The pages of one walk, in order, with the pages ahead of the caller in tasks.

    It holds no reference to the ``PageIterator`` reading it, so that the walk can be
    collected (and this abandoned) as soon as its caller lets go of it.
    """

    def __init__(
        self,
        fetch: Callable[[int], Awaitable[Page[T]]],
        operation: str,
        *,
        start_page: int,
        limit: int,
        max_items: int | None,
        concurrency: int,
    ) -> None:
        self._fetch = fetch
        self._operation = operation
        self._start_page = start_page
        self._limit = limit
        self._concurrency = concurrency
        self._walk: _Walk[T] = _Walk(max_items)
        self._ahead: collections.deque[asyncio.Task[Page[T]]] = collections.deque()
        self._depth = 1
        """How many pages to fetch past the last page handed over; it doubles each time the
        caller asks for the next page, up to ``concurrency``."""
        self._number = start_page - 1
        """The last page handed over."""
        self._max_page = start_page
        self._last = start_page
        self._span: WalkSpan | None = None
        self._over = False
        self._reading = False

    async def next(self) -> Page[T] | None:
        """The next page, with only ids not yielded before; ``None`` once the walk is over."""
        if self._reading:
            raise RuntimeError(_IN_USE)
        if self._over:
            raise RuntimeError(_OVER)
        self._reading = True
        try:
            page = await self._advance()
        except BaseException as error:
            await self._end(error)
            raise
        finally:
            self._reading = False
        if page is None:
            await self._end(None)
        return page

    async def _advance(self) -> Page[T] | None:
        fetch = self._fetch
        if self._number < self._start_page and tracing():
            self._span = WalkSpan(
                self._operation,
                {
                    "polar_seats.start_page": self._start_page,
                    "polar_seats.limit": self._limit,
                    "polar_seats.concurrency": self._concurrency,
                },
            )
            fetch = self._fetch = self._span.wrap(fetch)
        walk = self._walk
        if walk.done or self._number >= self._max_page:
            return None
        self._number = number = self._number + 1
        if number == self._start_page:
            page = await fetch(number)
            self._last = page_cap(page.pagination.max_page)
        else:
            if self._concurrency > 1:
                # The caller came back for more: reach twice as far ahead, from now on
                # rather than once this page has come.
                self._depth = min(2 * self._depth, self._concurrency)
                self._fetch_ahead(number - 1)
            ahead = self._ahead
            page = await ahead.popleft() if ahead else await fetch(number)
        fresh = walk.take(page)
        if fresh is None or self._over:  # over: another task closed the walk meanwhile
            return None
        self._max_page = min(page.pagination.max_page, self._last)
        if self._concurrency > 1:
            # Start the next pages before handing this one over, so the fetching overlaps
            # with the caller's work on it.
            self._fetch_ahead(number)
        return fresh

    def _fetch_ahead(self, number: int) -> None:
        """Have the pages after page ``number`` fetched in tasks, ``_depth`` of them."""
        ahead = self._ahead
        horizon = min(self._max_page, number + self._walk.pages_needed(self._limit))
        scheduled = number + len(ahead)
        while len(ahead) < self._depth and scheduled < horizon:
            scheduled += 1
            ahead.append(asyncio.ensure_future(self._fetch(scheduled)))

    async def close(self) -> None:
        """End the walk: cancel the pages ahead and wait until they have let go."""
        await self._end(None)

    async def _end(self, error: BaseException | None) -> None:
        if self._over:
            return
        self._over = True
        ahead = list(self._ahead)
        self._ahead.clear()
        try:
            for task in ahead:
                task.cancel()
            if ahead:
                await asyncio.gather(*ahead, return_exceptions=True)
        finally:
            if self._span is not None:
                self._span.end(error)

    def abandon(self) -> None:
        """End the walk now that nothing reads it: cancel the pages ahead, end the span."""
        if self._over:
            return
        self._over = True
        ahead = self._ahead
        # cancel() also keeps asyncio from logging the error of a page that failed ahead
        # of the caller; once the loop is closed, a task can no longer be told anything.
        if ahead and not ahead[0].get_loop().is_closed():
            for task in ahead:
                task.cancel()
        ahead.clear()
        if self._span is not None:
            self._span.end(None)


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
