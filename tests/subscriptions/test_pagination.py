"""Walking every page: the edges of Polar's pagination, moving rows, early exits."""

from __future__ import annotations

import asyncio
import gc
import sys
from typing import Any

import pytest

import polar_seats as ps
from polar_seats import SubscriptionIterator
from polar_seats._resources.subscriptions import decode_page
from polar_seats.testing import (
    FakePolarServer,
    Fault,
    FaultPlan,
    RecordedRequest,
    make_subscriptions,
    page_body,
)
from tests.support.helpers import Connections


async def walk(server: FakePolarServer, **options: Any) -> list[str]:
    async with ps.AsyncClient(server.token, base_url=server.url) as client:
        return [sub.id async for sub in client.iter_claimed_subscriptions(**options)]


@pytest.mark.parametrize(
    ("count", "limit", "requests"),
    [
        (0, 100, 1),
        (1, 100, 1),
        (100, 100, 1),
        (101, 100, 2),
        (250, 100, 3),
        (250, 10, 25),
        (100, 10, 10),
        (7, 3, 3),
    ],
)
async def test_walk_yields_every_item_once_in_order(count: int, limit: int, requests: int) -> None:
    """Every item of every page, in server order, with max_page requests (1 when empty)."""
    async with FakePolarServer(count=count) as server:
        ids = await walk(server, limit=limit)
        assert ids == [s["id"] for s in server.subscriptions]
        assert len(server.requests) == requests
        # Pages fetched ahead can reach the server out of order (one reuses a connection
        # while another opens one); each is asked for once.
        assert sorted(int(r.query["page"]) for r in server.requests) == list(range(1, requests + 1))


async def test_short_page_does_not_end_the_walk() -> None:
    """A page shorter than limit is not the end while page < max_page (polar-sdk 0.32 stops)."""
    subs = make_subscriptions(23)
    sizes = {1: subs[:3], 2: subs[3:13], 3: subs[13:]}
    requested: list[int] = []

    async def fetch(number: int) -> ps.Page:
        # Rows deleted while a walk runs can leave a short page before the last one.
        requested.append(number)
        body = page_body(sizes[number], total=30, max_page=3)
        return decode_page(body, page=number)

    walk_all = SubscriptionIterator(fetch, start_page=1, limit=10, max_items=None, concurrency=4)
    ids = [sub.id async for sub in walk_all]
    assert ids == [s["id"] for s in subs]
    assert requested == [1, 2, 3]


async def test_a_page_of_rows_already_yielded_does_not_end_the_walk() -> None:
    """Page 2 holds only rows page 1 gave (they moved): the walk reads on to page 3."""
    subs = make_subscriptions(5)
    pages = {1: subs[:3], 2: subs[:3], 3: subs[3:]}

    async def fetch(number: int) -> ps.Page:
        return decode_page(page_body(pages[number], total=9, max_page=3), page=number)

    walk_all = SubscriptionIterator(fetch, start_page=1, limit=3, max_items=None, concurrency=2)
    assert [sub.id async for sub in walk_all] == [s["id"] for s in subs]


async def test_start_page_skips_earlier_pages() -> None:
    """start_page begins the walk there."""
    async with FakePolarServer(count=25) as server:
        ids = await walk(server, limit=10, start_page=2)
        assert ids == [s["id"] for s in server.subscriptions[10:]]


async def test_start_page_past_the_end_yields_nothing() -> None:
    """A start page beyond max_page is one empty request and no items."""
    async with FakePolarServer(count=25) as server:
        assert await walk(server, limit=10, start_page=9) == []
        assert len(server.requests) == 1


async def test_max_items_stops_early() -> None:
    """max_items bounds the items and the requests."""
    async with FakePolarServer(count=250) as server:
        ids = await walk(server, limit=100, max_items=150)
        assert ids == [s["id"] for s in server.subscriptions[:150]]
        assert len(server.requests) == 2
        assert await walk(server, max_items=0) == []
        assert len(server.requests) == 2


async def test_server_clamps_a_raw_limit_of_500() -> None:
    """The client refuses limit=500, so nothing is lost to the server's silent clamp."""
    async with (
        FakePolarServer(count=10) as server,
        ps.AsyncClient(server.token, base_url=server.url) as client,
    ):
        with pytest.raises(ValueError, match="between 1 and 100"):
            client.iter_claimed_subscriptions(limit=500)
        with pytest.raises(ValueError, match="start_page"):
            client.iter_claimed_subscriptions(start_page=0)
        with pytest.raises(ValueError, match="max_items"):
            client.iter_claimed_subscriptions(max_items=-1)
    assert server.requests == []


async def test_row_moving_back_between_pages_is_yielded_once() -> None:
    """A row that moves to a later page mid-walk is not yielded twice."""
    async with FakePolarServer(count=30) as server:
        moved = server.subscriptions[0]

        def move_first_row_to_the_end(record: RecordedRequest) -> None:
            if record.number == 2:
                server.subscriptions.remove(moved)
                server.subscriptions.append(moved)

        server.on_request = move_first_row_to_the_end
        ids = await walk(server, limit=10)
    assert len(ids) == len(set(ids))
    assert ids.count(moved["id"]) == 1


async def test_row_moving_forward_shows_why_ids_are_deduplicated() -> None:
    """A row moving from page 2 to page 3 while page 1 is read: yielded once, not twice."""
    async with FakePolarServer(count=30) as server:
        row = server.subscriptions[15]

        def move_after_page_2(record: RecordedRequest) -> None:
            if record.number == 3:
                server.subscriptions.remove(row)
                server.subscriptions.insert(25, row)

        server.on_request = move_after_page_2
        ids = await walk(server, limit=10)
    assert ids.count(row["id"]) == 1
    assert len(ids) == len(set(ids))


async def test_duplicate_ids_within_a_page_are_yielded_once() -> None:
    """Two rows with one id in the same page: the first wins."""
    subs = make_subscriptions(3)
    subs[2] = dict(subs[2], id=subs[0]["id"])
    async with FakePolarServer(subs) as server:
        assert await walk(server) == [subs[0]["id"], subs[1]["id"]]


async def test_pages_view_yields_page_objects() -> None:
    """.pages() yields Page objects with the server's pagination."""
    async with (
        FakePolarServer(count=25) as server,
        ps.AsyncClient(server.token, base_url=server.url) as client,
    ):
        pages = [page async for page in client.iter_claimed_subscriptions(limit=10).pages()]
    assert [len(page.items) for page in pages] == [10, 10, 5]
    assert all(page.pagination.max_page == 3 for page in pages)


async def test_a_walk_cannot_be_started_twice() -> None:
    """Iterating the same walk again asks for a new one."""
    async with (
        FakePolarServer(count=5) as server,
        ps.AsyncClient(server.token, base_url=server.url) as client,
    ):
        walk_once = client.iter_claimed_subscriptions()
        assert len([sub async for sub in walk_once]) == 5
        with pytest.raises(RuntimeError, match="again"):
            walk_once.pages()


async def test_growing_max_page_is_followed_up_to_a_cap() -> None:
    """A server that keeps adding rows cannot keep a walk going past 2 * max_page + 10."""
    async with FakePolarServer(count=20) as server:
        counter = iter(range(10**6))

        def keep_growing(record: RecordedRequest) -> None:
            server.subscriptions.extend(make_subscriptions(10, seed=next(counter) + 1))

        server.on_request = keep_growing
        ids = await walk(server, limit=10)
    # The first page reports max_page 3 (30 rows): the walk stops at page 2 * 3 + 10 = 16.
    assert len(server.requests) == 16
    assert len(ids) == 160


async def test_break_then_aclose_releases_the_connection() -> None:
    """Breaking out and closing the walk leaves no connection in use."""
    async with (
        FakePolarServer(count=50) as server,
        Connections() as connections,
        ps.AsyncClient(server.token, base_url=server.url, session=connections.session) as client,
    ):
        subs = client.iter_claimed_subscriptions(limit=10)
        async with subs:
            async for _ in subs:
                break
        assert connections.in_use == 0
        assert len(server.requests) == 1


async def test_abandoned_walk_is_collected_cleanly() -> None:
    """A half-read walk dropped without aclose() warns about nothing (warnings are errors)."""
    async with (
        FakePolarServer(count=50) as server,
        ps.AsyncClient(server.token, base_url=server.url) as client,
    ):
        subs = client.iter_claimed_subscriptions(limit=10)
        first = await subs.__anext__()
        assert first.id == server.subscriptions[0]["id"]
        del subs
        gc.collect()
    assert len(server.requests) == 1


async def test_error_mid_walk_surfaces_after_earlier_items() -> None:
    """An error on page 2 comes after page 1's items, and a walk can resume from there."""
    async with (
        FakePolarServer(count=25) as server,
        ps.AsyncClient(server.token, base_url=server.url, retry=None) as client,
    ):
        server.faults = FaultPlan({2: Fault.server_error(503)})
        seen: list[str] = []

        async def consume() -> None:
            async for sub in client.iter_claimed_subscriptions(limit=10):
                seen.append(sub.id)

        with pytest.raises(ps.ServerError) as caught:
            await consume()
        assert caught.value.page == 2
        assert seen == [s["id"] for s in server.subscriptions[:10]]
        rest = [sub.id async for sub in client.iter_claimed_subscriptions(limit=10, start_page=2)]
        assert seen + rest == [s["id"] for s in server.subscriptions]


async def test_a_walk_read_by_pages_cannot_also_be_read_by_items() -> None:
    """Mixing pages() and item iteration on one walk is refused with what to do instead."""
    async with (
        FakePolarServer(count=5) as server,
        ps.AsyncClient(server.token, base_url=server.url) as client,
    ):
        walk_pages = client.iter_claimed_subscriptions()
        pages = walk_pages.pages()
        assert len((await pages.__anext__()).items) == 5
        with pytest.raises(RuntimeError, match="item by item"):
            await walk_pages.__anext__()
        await walk_pages.aclose()


async def test_a_walk_read_to_its_end_refuses_to_be_read_again() -> None:
    """A second `async for` over a finished walk says it is over instead of yielding
    nothing; so does a second loop over its pages()."""
    async with (
        FakePolarServer(count=25) as server,
        ps.AsyncClient(server.token, base_url=server.url) as client,
    ):
        by_items = client.iter_claimed_subscriptions(limit=10)
        assert len([sub async for sub in by_items]) == 25
        with pytest.raises(RuntimeError, match=r"walk is over .* again for a new one"):
            [sub async for sub in by_items]
        with pytest.raises(RuntimeError, match="already started"):
            by_items.pages()
        by_pages = client.iter_claimed_subscriptions(limit=10).pages()
        assert len([page async for page in by_pages]) == 3
        with pytest.raises(RuntimeError, match="walk is over"):
            [page async for page in by_pages]
        assert len(server.requests) == 6


async def test_a_closed_walk_refuses_to_be_read() -> None:
    """After aclose(), of the walk or of its pages(), reading says the walk is over."""
    async with (
        FakePolarServer(count=25) as server,
        ps.AsyncClient(server.token, base_url=server.url) as client,
    ):
        walk_items = client.iter_claimed_subscriptions(limit=10)
        await walk_items.__anext__()
        await walk_items.aclose()
        with pytest.raises(RuntimeError, match="walk is over"):
            await walk_items.__anext__()
        pages = client.iter_claimed_subscriptions(limit=10).pages()
        await pages.aclose()  # type: ignore[attr-defined]
        with pytest.raises(RuntimeError, match="walk is over"):
            await pages.__anext__()
        assert len(server.requests) == 1


async def test_a_walk_that_failed_says_how_to_resume() -> None:
    """Reading on after a page's error names start_page, which the error's page gives."""
    async with (
        FakePolarServer(count=25, faults=FaultPlan({2: Fault.server_error(503)})) as server,
        ps.AsyncClient(server.token, base_url=server.url, retry=None) as client,
    ):
        walk_failing = client.iter_claimed_subscriptions(limit=10)
        with pytest.raises(ps.ServerError) as caught:
            [sub async for sub in walk_failing]
        assert caught.value.page == 2
        with pytest.raises(RuntimeError, match=r"start_page=error\.page"):
            await walk_failing.__anext__()


def test_a_walk_dropped_after_its_loop_closed_leaves_its_pages_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A closed loop can run nothing: the page fetched ahead is left as it is, and
    dropping the walk raises nothing."""
    subs = make_subscriptions(30)

    async def fetch(number: int) -> ps.Page:
        if number > 1:
            await asyncio.Event().wait()  # a page that never comes
        body = page_body(subs[(number - 1) * 10 : number * 10], total=30, max_page=3)
        return decode_page(body, page=number)

    unraisable: list[object] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    reported: list[str] = []
    loop = asyncio.new_event_loop()
    loop.set_exception_handler(lambda _, context: reported.append(context["message"]))
    walk_ahead = SubscriptionIterator(fetch, start_page=1, limit=10, max_items=None, concurrency=2)
    first = loop.run_until_complete(walk_ahead.__anext__())
    loop.run_until_complete(asyncio.sleep(0))  # page 2 starts, and waits
    loop.close()
    del walk_ahead
    gc.collect()
    assert first.id == subs[0]["id"]
    assert unraisable == []
    assert reported == ["Task was destroyed but it is pending!"]
