"""Concurrent prefetch: pages fetched ahead, items still in page order, nothing left running."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from pathlib import Path
from typing import Any

import pytest

import polar_seats as ps
from polar_seats.testing import FakePolarServer, Fault, FaultPlan
from tests.support.helpers import Connections, client_for, until

_LIBRARY = Path(ps.__file__).parent


def fetching() -> int:
    """The library's tasks still running: the pages a walk fetches ahead (the fake's own
    code runs in aiohttp's tasks, which are not counted)."""
    running = 0
    for task in asyncio.all_tasks():
        code = getattr(task.get_coro(), "cr_code", None)
        path = Path(code.co_filename) if code is not None else None
        if path is not None and path.is_relative_to(_LIBRARY) and "testing" not in path.parts:
            running += not task.done()
    return running


async def quiet(server: FakePolarServer) -> None:
    """Until no page is fetched ahead any more and the fake is answering nothing: from then
    on, no request of the walk's can still reach it."""
    await until(lambda: fetching() == 0 and server.in_flight == 0)
    assert fetching() == 0


async def test_items_come_in_page_order_when_pages_finish_out_of_order() -> None:
    """Page 2 answers slowest: the walk still yields page 1, 2, 3... in order."""
    faults = FaultPlan(pages={2: [Fault.slow_body(0.2)], 3: [Fault.slow_body(0.1)]})
    async with FakePolarServer(count=60, faults=faults) as server, client_for(server) as client:
        ids = [sub.id async for sub in client.iter_claimed_subscriptions(limit=10)]
        assert ids == [s["id"] for s in server.subscriptions]
        assert server.peak_in_flight > 1


@pytest.mark.parametrize("concurrency", [1, 2, 5])
async def test_no_more_than_concurrency_pages_in_flight(concurrency: int) -> None:
    """With every page slow, the server never sees more than `concurrency` at once."""
    faults = FaultPlan(rate=1.0, choices=[Fault.slow_body(0.05)])
    async with FakePolarServer(count=100, faults=faults) as server, client_for(server) as client:
        walk = client.iter_claimed_subscriptions(limit=10, concurrency=concurrency)
        assert len([sub async for sub in walk]) == 100
        assert server.peak_in_flight == concurrency
        assert len(server.requests) == 10


async def test_client_concurrency_is_the_default_for_walks() -> None:
    """AsyncClient(concurrency=3) makes walks fetch three pages at a time."""
    faults = FaultPlan(rate=1.0, choices=[Fault.slow_body(0.05)])
    async with (
        FakePolarServer(count=100, faults=faults) as server,
        client_for(server, concurrency=3) as client,
    ):
        assert len([s async for s in client.iter_claimed_subscriptions(limit=10)]) == 100
        assert server.peak_in_flight == 3


async def test_error_on_a_page_comes_after_earlier_pages_and_cancels_the_rest() -> None:
    """A refusal on page 3 of 10: pages 1-2 are yielded, then the error; nothing left running."""
    faults = FaultPlan(pages={3: [Fault.http_status(403, body=b'{"detail":"Forbidden"}')]})
    async with (
        FakePolarServer(count=100, faults=faults) as server,
        client_for(server, concurrency=4) as client,
    ):
        seen: list[str] = []

        async def consume() -> None:
            async for sub in client.iter_claimed_subscriptions(limit=10):
                seen.append(sub.id)

        with pytest.raises(ps.APIStatusError) as caught:
            await consume()
        assert caught.value.status == 403
        assert caught.value.page == 3
        assert seen == [s["id"] for s in server.subscriptions[:20]]
        await until(lambda: server.in_flight == 0)
        assert server.in_flight == 0
        assert len(server.requests) <= 1 + 4 + 2


async def test_break_and_aclose_cancel_the_pages_fetched_ahead() -> None:
    """Leaving on page 3, with pages 4-7 stalled ahead, cancels them at once."""
    faults = FaultPlan(pages={page: [Fault.stall(60.0)] for page in range(4, 11)})
    async with (
        FakePolarServer(count=100, faults=faults) as server,
        Connections() as connections,
        client_for(server, concurrency=4, session=connections.session) as client,
    ):
        walk = client.iter_claimed_subscriptions(limit=10)
        async with walk:
            async for sub in walk:
                if sub.id == server.subscriptions[20]["id"]:
                    await until(lambda: server.in_flight >= 4)  # the pages ahead, stalled
                    assert server.in_flight == 4
                    break
        assert connections.in_use == 0
        await until(lambda: server.in_flight == 0)
        assert server.in_flight == 0
        assert sorted(int(r.query["page"]) for r in server.requests) == list(range(1, 8))


async def test_pages_ahead_double_as_the_caller_keeps_reading() -> None:
    """The first page alone; with page k handed over, min(2 ** (k - 1), 8) pages ahead."""
    async with FakePolarServer(count=300) as server, client_for(server) as client:
        firsts = {s["id"]: n for n, s in enumerate(server.subscriptions[::10], start=1)}
        requested: list[int] = []
        async with client.iter_claimed_subscriptions(limit=10) as walk:
            async for sub in walk:
                if sub.id in firsts:
                    await quiet(server)
                    requested.append(len(server.requests))
                    if firsts[sub.id] == 6:
                        break
        assert requested == [2, 4, 7, 12, 13, 14]


@pytest.mark.parametrize("close", [False, True], ids=["bare break", "async with"])
async def test_leaving_after_the_first_page_costs_that_page_alone(close: bool) -> None:
    """Breaking out after page 1's items costs page 1 alone, closed or not (the issue's bound
    is 2): a loop body that never awaits gives page 2's task no turn to send before the
    dropped walk cancels it."""
    async with FakePolarServer(count=1000) as server, client_for(server) as client:
        walk = client.iter_claimed_subscriptions(limit=10)
        read = 0
        async with walk if close else contextlib.nullcontext():
            async for _ in walk:
                read += 1
                if read == 10:
                    break
        if not close:
            del walk
        await quiet(server)
        assert [r.query["page"] for r in server.requests] == ["1"]


async def test_a_walk_dropped_after_a_break_cancels_the_page_in_flight() -> None:
    """No aclose(): page 2, stalled at the fake, is cancelled once the loop lets go."""
    faults = FaultPlan(pages={2: [Fault.stall(60.0)]})
    async with (
        FakePolarServer(count=1000, faults=faults) as server,
        Connections() as connections,
        client_for(server, session=connections.session) as client,
    ):
        read = 0
        async for _ in client.iter_claimed_subscriptions(limit=10):
            read += 1
            if read == 10:
                await until(lambda: server.in_flight == 1)  # page 2, stalled there
                assert server.in_flight == 1
                break
        await quiet(server)
        assert connections.in_use == 0
        assert sorted(r.query["page"] for r in server.requests) == ["1", "2"]


async def test_a_page_that_failed_ahead_of_a_dropped_walk_is_not_logged() -> None:
    """Page 2 fails while the caller still reads page 1, who then leaves: asyncio has no
    unretrieved task exception to report."""
    faults = FaultPlan(pages={2: [Fault.http_status(403, body=b'{"detail":"Forbidden"}')]})
    reported: list[dict[str, Any]] = []
    asyncio.get_running_loop().set_exception_handler(lambda _, context: reported.append(context))
    async with FakePolarServer(count=100, faults=faults) as server, client_for(server) as client:
        async for _ in client.iter_claimed_subscriptions(limit=10):
            await quiet(server)  # page 2 has failed
            break
        gc.collect()
        assert [r.query["page"] for r in server.requests] == ["1", "2"]
    assert reported == []


@pytest.mark.parametrize("by_pages", [False, True], ids=["items", "pages"])
async def test_a_second_task_reading_the_same_walk_is_told_what_to_do(by_pages: bool) -> None:
    """While one task awaits a page, another task's read is refused with what to do."""
    faults = FaultPlan(pages={1: [Fault.stall(60.0)]})
    async with FakePolarServer(count=30, faults=faults) as server, client_for(server) as client:
        walk = client.iter_claimed_subscriptions(limit=10)
        reader: Any = walk.pages() if by_pages else walk
        first = asyncio.ensure_future(reader.__anext__())
        await until(lambda: server.in_flight == 1)
        with pytest.raises(RuntimeError, match="another task; give each task its own walk"):
            await reader.__anext__()
        assert not first.done()
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        await walk.aclose()
        assert len(server.requests) == 1


async def test_a_walk_closed_by_another_task_ends_its_reader_loop() -> None:
    """aclose() from a second task while the first awaits page 1: the first task's loop
    ends with no item, and no page is fetched ahead."""
    async with FakePolarServer(count=30) as server, client_for(server) as client:
        release = asyncio.Event()

        async def hold(_: object) -> None:
            await release.wait()

        server.on_request = hold
        walk = client.iter_claimed_subscriptions(limit=10)
        reader = asyncio.ensure_future(_read_all(walk))
        await until(lambda: server.in_flight == 1)
        await walk.aclose()
        release.set()
        assert await reader == []
        await quiet(server)
        assert len(server.requests) == 1


async def _read_all(walk: ps.SubscriptionIterator) -> list[str]:
    return [sub.id async for sub in walk]


async def test_max_items_limits_what_is_fetched_ahead() -> None:
    """Asking for 15 items at limit 10 fetches two pages, not eight."""
    async with FakePolarServer(count=200) as server, client_for(server) as client:
        walk = client.iter_claimed_subscriptions(limit=10, max_items=15)
        assert len([sub async for sub in walk]) == 15
        assert sorted(r.query["page"] for r in server.requests) == ["1", "2"]


async def test_retried_page_keeps_its_place() -> None:
    """A page retried while later pages already arrived is yielded in its place."""
    faults = FaultPlan(pages={2: [Fault.server_error(503), Fault.reset_mid_body()]})
    async with FakePolarServer(count=50, faults=faults) as server, client_for(server) as client:
        ids = [sub.id async for sub in client.iter_claimed_subscriptions(limit=10)]
        assert ids == [s["id"] for s in server.subscriptions]


@pytest.mark.parametrize("concurrency", [0, -1, 1.5, True])
async def test_bad_concurrency_is_refused(concurrency: object) -> None:
    """concurrency must be a whole number of pages, 1 or more."""
    with pytest.raises(ValueError, match="concurrency"):
        ps.AsyncClient("polar_cst_x", concurrency=concurrency)  # type: ignore[arg-type]
    client = ps.AsyncClient("polar_cst_x")
    with pytest.raises(ValueError, match="concurrency"):
        client.iter_claimed_subscriptions(concurrency=concurrency)  # type: ignore[arg-type]
    await client.close()
