"""Concurrent prefetch: pages fetched ahead, items still in page order, nothing left running."""

from __future__ import annotations

import pytest

import polar_seats as ps
from polar_seats.testing import FakePolarServer, Fault, FaultPlan

from .helpers import Connections, client_for, until


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
    """Leaving after the first item cancels the stalled pages ahead at once."""
    faults = FaultPlan(pages={page: [Fault.stall(5.0)] for page in range(2, 11)})
    async with (
        FakePolarServer(count=100, faults=faults) as server,
        Connections() as connections,
        client_for(server, concurrency=4, session=connections.session) as client,
    ):
        walk = client.iter_claimed_subscriptions(limit=10)
        async with walk:
            async for _ in walk:
                await until(lambda: server.in_flight >= 4)  # the pages ahead, stalled there
                assert server.in_flight == 4
                break
        assert connections.in_use == 0
        await until(lambda: server.in_flight == 0)
        assert server.in_flight == 0


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
