"""The soak, small: walks through random faults lose, repeat and reorder nothing."""

from __future__ import annotations

import asyncio
import gc
import random

import pytest

import polar_seats as ps
from polar_seats.testing import FakePolarServer, Fault, FaultPlan
from tests.stress.soak import SOAK_FAULTS, render, run_soak
from tests.support.helpers import Connections, client_for, until


async def test_soak_through_random_faults_loses_nothing() -> None:
    """40 walks of 300 items, 20% of requests faulted, then 40 cancelled walks: all clean."""
    report = await run_soak(walks=40, items=300, at_once=20, cancelled=40, seed=11)
    assert report.failed_walks == 0
    assert report.items_received == report.items_expected == 40 * 300
    assert (report.lost, report.repeated, report.out_of_order_walks) == (0, 0, 0)
    assert report.faults_injected > 0.1 * report.requests
    assert report.retries > 0
    assert {"reset", "reset_mid_body", "stall", "status 502"} <= set(report.faults)
    assert report.cancelled_walks == 40
    assert report.connections_in_use_after_cancel == 0
    assert report.server_connections_after_close == 0
    page = render(report, "nox -s soak")
    assert "| items lost | 0 |" in page


def test_soak_faults_are_all_retryable() -> None:
    """The soak injects only faults the retry policy rides out (no decode errors)."""
    policy = ps.RetryPolicy()
    kinds = {fault.kind for fault in SOAK_FAULTS}
    assert "invalid_json" not in kinds
    assert "truncated_json" not in kinds
    assert all(
        fault.kind != "status" or fault.status in policy.retry_statuses for fault in SOAK_FAULTS
    )


async def test_cancelling_at_every_await_point_leaves_no_connection() -> None:
    """Walks cancelled after 0..30 ms, over slow and stalled answers: once they are
    collected, nothing stays in use."""
    faults = FaultPlan(rate=0.5, choices=[Fault.slow_body(0.05), Fault.stall(0.2)], seed=3)
    rng = random.Random(5)
    async with FakePolarServer(count=300, faults=faults) as server:
        async with (
            Connections() as connections,
            client_for(server, session=connections.session) as client,
        ):

            async def walk() -> None:
                async for _ in client.iter_claimed_subscriptions(limit=50):
                    await asyncio.sleep(0)

            tasks = [asyncio.ensure_future(walk()) for _ in range(30)]
            for task in tasks:
                await asyncio.sleep(rng.uniform(0, 0.03))
                task.cancel()
            results = await asyncio.gather(*tasks, return_exceptions=True)
            assert any(isinstance(r, asyncio.CancelledError) for r in results)
            # A walk cancelled in the caller's loop body is closed when it is collected:
            # asyncio then runs its aclose(), which cancels the pages fetched ahead.
            del tasks, results
            gc.collect()
            await until(lambda: connections.in_use == 0)
            assert connections.in_use == 0
        await until(lambda: server.open_connections == 0)
        assert server.open_connections == 0


async def test_exception_in_the_loop_body_releases_the_walk() -> None:
    """An error raised by the caller's own code mid-walk leaves no connection in use."""
    async with (
        FakePolarServer(count=30) as server,
        Connections() as connections,
        ps.AsyncClient(server.token, base_url=server.url, session=connections.session) as client,
    ):
        walker = client.iter_claimed_subscriptions(limit=10)

        async def fail_midway(walker: ps.SubscriptionIterator) -> None:
            async with walker:
                async for sub in walker:
                    if sub.id == server.subscriptions[12]["id"]:
                        raise LookupError(sub.id)

        with pytest.raises(LookupError) as caught:
            await fail_midway(walker)
        assert caught.value.args == (server.subscriptions[12]["id"],)
        del walker
        gc.collect()
        assert connections.in_use == 0
    # Page 1, page 2 fetched ahead while page 1 was read, and page 3 from when the loop
    # came back for page 2 (2 pages ahead).
    assert len(server.requests) == 3
