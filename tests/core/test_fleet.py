"""A fleet of processes sharing one rate budget and one session cache in a real Redis.

The processes are real (``tests/support/fleet_worker.py``), the Redis is a real ``redis-server``
and the fake server enforces Polar's fixed windows, scaled down to 60 requests per 2 s.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
from typing import Any

import pytest

import polar_seats as ps
from polar_seats.testing import DEFAULT_ORGANIZATION_TOKEN, FakePolarServer
from tests.support.redis_server import RedisServer

LIMIT, WINDOW = 60, 2.0
PACED = ps.RateLimit(LIMIT, per=WINDOW).paced_per  # 2.2 s
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


async def fleet(server: FakePolarServer, processes: int, **task: Any) -> list[dict[str, Any]]:
    """Run ``processes`` processes at once against ``server``; their JSON results."""
    task = {
        "url": server.url,
        "organization_token": DEFAULT_ORGANIZATION_TOKEN,
        "limit": LIMIT,
        "window": WINDOW,
        "customer": "user-1",
        "page": 1,
        "walks": 1,
        "rounds": 1,
        **task,
    }
    fleet = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.support.fleet_worker",
        str(processes),
        json.dumps(task),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await asyncio.wait_for(fleet.communicate(), 60)
    assert fleet.returncode == 0
    results = [json.loads(line) for line in out.splitlines()]
    assert len(results) == processes
    return results


def portal(server: FakePolarServer) -> list[ps.testing.RecordedRequest]:
    return [r for r in server.requests if r.path.startswith("/v1/customer-portal/")]


async def test_four_processes_share_the_customers_budget(redis_server: RedisServer) -> None:
    """4 processes walking one customer: 0 answers 429, and together they go at the pace
    of the limit (60 per 2.2 s, the paced window), not a quarter of it."""
    server = FakePolarServer(count=0, rate_limit=LIMIT, rate_window=WINDOW)
    server.add_customer(external_id="user-1", subscriptions=15)
    async with server:
        results = await fleet(server, 4, store=redis_server.url, walks=3)
    assert [r["items"] for r in results] == [[15, 15, 15]] * 4
    requests = portal(server)
    assert len(requests) == 180
    assert [r.status for r in requests].count(429) == 0
    # No sliding-window count of arrivals here: the fake stamps a request when its loop gets
    # to it, and on a loaded machine requests Redis admitted apart can bunch up at the server.
    # Polar's fixed windows, the ones that matter, answered no 429 (above).
    arrivals = sorted(r.received_at for r in requests)
    # The pace: how long the fleet takes to send LIMIT more requests, request after request.
    spans = sorted(
        later - earlier for earlier, later in zip(arrivals, arrivals[LIMIT:], strict=False)
    )
    assert WINDOW <= spans[len(spans) // 2] <= PACED * 1.1
    assert all(r["warnings"] == [] for r in results)


async def test_without_the_store_the_same_fleet_draws_429s() -> None:
    """The problem the store solves: each process alone stays under the limit, and
    together they go over it."""
    server = FakePolarServer(count=0, rate_limit=LIMIT, rate_window=WINDOW)
    server.add_customer(external_id="user-1", subscriptions=15)
    async with server:
        results = await fleet(server, 4, walks=2)
    assert [r["items"] for r in results] == [[15, 15]] * 4  # retried after each 429
    assert [r.status for r in portal(server)].count(429) > 0


async def test_eight_processes_needing_one_session_mint_it_once(
    redis_server: RedisServer,
) -> None:
    """8 processes asking at once for the same customer's session: one mints (under the
    Redis lock), the others read its session."""
    server = FakePolarServer(count=0)
    customer = server.add_customer(external_id="user-1", subscriptions=2)
    async with server:
        results = await fleet(server, 8, store=redis_server.url, page=10)
    assert [r["items"] for r in results] == [[2]] * 8
    assert [r["warnings"] for r in results] == [[]] * 8
    assert server.sessions_minted(customer) == 1
    assert len({r.headers.get("Authorization") for r in portal(server)}) == 1


def organization_client(server: FakePolarServer, **options: Any) -> ps.AsyncClient:
    return ps.AsyncClient(
        organization_token=DEFAULT_ORGANIZATION_TOKEN, base_url=server.url, **options
    )


def warnings_of(caplog: pytest.LogCaptureFixture, words: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if words in r.getMessage()]


async def walk_all(view: ps.AsyncClient, walks: int) -> list[int]:
    async def walk() -> int:
        return len([s async for s in view.iter_claimed_subscriptions(limit=1)])

    return list(await asyncio.gather(*(walk() for _ in range(walks))))


async def test_redis_killed_mid_run_then_back(caplog: pytest.LogCaptureFixture) -> None:
    """Redis killed while walks run: every walk completes, paced in the process, with one
    warning; Redis back on the same port: the shared budget is counted there again."""
    caplog.set_level(logging.INFO, logger="polar_seats")
    redis_server = RedisServer()
    redis_server.start()
    started = asyncio.Event()
    server = FakePolarServer(
        count=0, on_request=lambda _: started.set() if len(server.requests) >= 10 else None
    )
    server.add_customer(external_id="user-1", subscriptions=5)
    try:
        async with (
            server,
            organization_client(
                server, rate_limit=ps.RateLimit(1000, per=1.0), rate_limit_store=redis_server.url
            ) as polar,
        ):
            polar._shared.rate_store.recheck_after = 0.2  # type: ignore[union-attr]
            me = polar.for_customer(external_customer_id="user-1")
            walks = asyncio.ensure_future(walk_all(me, 20))
            await started.wait()
            redis_server.stop()
            assert await walks == [5] * 20
            assert await walk_all(me, 5) == [5] * 5
            assert len(warnings_of(caplog, "did not answer")) == 1
            redis_server.start()
            await asyncio.sleep(0.25)
            assert await walk_all(me, 2) == [5] * 2
            assert len(warnings_of(caplog, "answers again")) == 1
            with redis_server.client() as look:
                (key,) = look.keys("polar-seats:rate:*")
                assert look.llen(key) == 10  # the walks since Redis came back
    finally:
        redis_server.stop()
    assert {r.status for r in portal(server)} == {200}


async def test_a_hanging_redis_times_out_and_the_client_goes_on(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A Redis that stops answering (SIGSTOP) costs one command timeout, one warning, and
    the calls go on paced and minted in the process; nothing waits for it."""
    server = FakePolarServer(count=0)
    server.add_customer(external_id="user-1", subscriptions=3)
    server.add_customer(external_id="user-2", subscriptions=3)
    async with (
        server,
        organization_client(
            server, rate_limit_store=redis_server.url, session_store=redis_server.url
        ) as polar,
    ):
        assert polar._shared.rate_store is polar._shared.session_store  # one pool
        me = polar.for_customer(external_customer_id="user-1")
        assert await walk_all(me, 1) == [3]
        redis_server.freeze()
        try:
            assert await asyncio.wait_for(walk_all(me, 3), 10) == [3] * 3
            other = polar.for_customer(external_customer_id="user-2")
            assert await asyncio.wait_for(walk_all(other, 3), 10) == [3] * 3
        finally:
            redis_server.thaw()
    assert len(warnings_of(caplog, "did not answer (TimeoutError)")) == 1
    assert server.sessions_minted() == 2


async def test_what_redis_holds_names_no_token(redis_server: RedisServer) -> None:
    """The caller's own Redis client, left open; keys under the prefix, each expiring,
    none naming a token or a customer; the only value is the session token itself."""
    import redis.asyncio

    server = FakePolarServer(count=0)
    server.add_customer(external_id="user-1", subscriptions=2)
    own = redis.asyncio.Redis(port=redis_server.port)
    try:
        await held_in_redis(server, own)
    finally:
        await own.aclose()


async def held_in_redis(server: FakePolarServer, own: Any) -> None:
    async with (
        server,
        organization_client(
            server,
            rate_limit_store=own,
            session_store=own,
            rate_limit_prefix="fleet-a:",
        ) as polar,
    ):
        me = polar.for_customer(external_customer_id="user-1")
        assert await walk_all(me, 1) == [2]
        assert await polar.with_token(server.minted[0].token).list_claimed_subscriptions()
    assert await own.ping()  # the client did not close it
    keys = sorted(await own.keys("*"))
    assert [k.split(b":")[1] for k in keys] == [b"rate", b"rate", b"rate", b"session"]
    assert all(k.startswith(b"fleet-a:") for k in keys)
    secrets = [DEFAULT_ORGANIZATION_TOKEN, server.minted[0].token, "user-1"]
    assert not [k for k in keys for s in secrets if s.encode() in k]
    # Polar's limit as given, with the client's margin: a minute and 2 s in Redis too.
    for key in keys[:3]:
        assert 60_000 < await own.pttl(key) <= 62_000
    # The session until its refresh time: 55 minutes (an hour less the 5-minute margin).
    assert 3_290_000 < await own.pttl(keys[3]) <= 3_300_000
    assert await own.get(keys[3]) == server.minted[0].token.encode()


async def test_a_session_polar_refused_is_dropped_from_redis_too(
    redis_server: RedisServer,
) -> None:
    """invalid_token for a session kept in Redis: the fleet's copy goes too, and the
    session minted in its place is the one kept."""
    server = FakePolarServer(count=0)
    customer = server.add_customer(external_id="user-1", subscriptions=1)
    async with server:
        async with organization_client(server, session_store=redis_server.url) as first:
            assert await walk_all(first.for_customer(external_customer_id="user-1"), 1) == [1]
        server.revoke_session(server.minted[0].token)
        async with organization_client(server, session_store=redis_server.url) as second:
            me = second.for_customer(external_customer_id="user-1")
            assert await walk_all(me, 1) == [1]
        async with organization_client(server, session_store=redis_server.url) as third:
            assert await walk_all(third.for_customer(external_customer_id="user-1"), 1) == [1]
    assert server.sessions_minted(customer) == 2
    with redis_server.client() as look:
        (key,) = look.keys("polar-seats:session:*")
        assert look.get(key) == server.minted[1].token.encode()


def test_stores_are_checked_and_need_the_redis_extra() -> None:
    """A store is a URL or a redis.asyncio.Redis; without redis installed the client
    works and a store asks for the extra."""
    with pytest.raises(TypeError, match=r"redis:// URL or a redis.asyncio.Redis"):
        ps.AsyncClient(rate_limit_store=6379)
    with pytest.raises(TypeError, match="rate_limit_prefix"):
        ps.AsyncClient(rate_limit_store="redis://127.0.0.1", rate_limit_prefix=b"x")  # type: ignore[arg-type]
    script = (
        "import sys; sys.modules['redis'] = None\n"
        "import polar_seats as ps\n"
        "ps.AsyncClient('polar_cst_x')\n"
        "try:\n"
        "    ps.AsyncClient('polar_cst_x', rate_limit_store='redis://127.0.0.1')\n"
        "except ImportError as e:\n"
        "    print(e)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert "pip install 'polar-seats[redis]'" in done.stdout


async def test_requests_in_flight_ask_redis_in_one_pipeline(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    """40 customers' calls at once cost Redis a few round trips on one connection, not 40
    on 40; a Redis that lost the window script (restarted, flushed) gets it again and
    answers every call, with no fallback."""
    caplog.set_level(logging.INFO, logger="polar_seats")
    server = FakePolarServer(count=0)
    for n in range(40):
        server.add_customer(external_id=f"user-{n}", subscriptions=1)
    async with server, organization_client(server, rate_limit_store=redis_server.url) as polar:
        views = [polar.for_customer(external_customer_id=f"user-{n}") for n in range(40)]
        # Mint every session first, one at a time: only the calls at once are counted.
        alone = [(await view.list_claimed_subscriptions()).items for view in views]
        with redis_server.client() as look:
            look.script_flush()
            look.config_resetstat()
            pages = await asyncio.gather(*(view.list_claimed_subscriptions() for view in views))
            stats = look.info("commandstats")
            reads = look.info("stats")["total_reads_processed"]
            connections = len(look.client_list())  # the client's one, and this
    assert [page.items for page in pages] == alone
    assert len({items[0].id for items in alone}) == 40
    # Each call ran the window script once: the lost ones again after SCRIPT LOAD.
    assert stats["cmdstat_script|load"]["calls"] == 1
    ran = stats["cmdstat_evalsha"]["calls"] - stats["cmdstat_evalsha"]["failed_calls"]
    assert ran == 40
    assert stats["cmdstat_lpush"]["calls"] == 40
    # The looking connection's reads are 3 (RESETSTAT, two INFO); the pipelines' few.
    assert reads - 3 <= 8
    assert not warnings_of(caplog, "did not answer")
    assert connections == 2


async def test_a_cancelled_pipeline_leaves_no_request_waiting(redis_server: RedisServer) -> None:
    """The task sending a pipeline cancelled mid-flight (its loop shutting down, say):
    every request it carried, and every one asked since, falls back at once."""
    from polar_seats._redis import Unavailable, open_store

    store = open_store(redis_server.url, prefix="p:", namespace=b"n")
    try:
        assert await store.acquire("p:a", 5, 1.0) == 0
        redis_server.freeze()
        try:
            asked = [asyncio.ensure_future(store.acquire(f"p:{n}", 5, 1.0)) for n in range(3)]
            await asyncio.sleep(0.05)
            later = asyncio.ensure_future(store.acquire("p:later", 5, 1.0))
            await asyncio.sleep(0)
            assert store._sender is not None
            store._sender.cancel()
            done = await asyncio.wait_for(
                asyncio.gather(*asked, later, return_exceptions=True), 0.2
            )
        finally:
            redis_server.thaw()
        assert [type(d) for d in done] == [Unavailable] * 4
        assert await store.acquire("p:b", 5, 1.0) == 0  # a new pipeline for the next ones
    finally:
        await store.close()
