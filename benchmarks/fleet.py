"""(9) The fleet's rate budget in Redis against the in-process one: (4)'s 2,000 calls over
500 customers (``with_token`` views), paced at Polar's 500 a minute, on a loopback
``redis-server`` this benchmark starts; and what each request cost Redis: its round trips
(the reads of a client socket the server processed, ``total_reads_processed``: a pipeline
of many commands arrives in one) and its commands."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

import redis
import redis.asyncio

import polar_seats as ps
from tests.support.redis_server import RedisServer

from .clients import Tally, _spread

IN_PROCESS = "polar_seats, in-process budget"
IN_REDIS = "polar_seats, Redis budget (rate_limit_store=)"
# Sent once per new connection by redis-py, or by this benchmark to look; and those run
# inside the moving-window script, counted by Redis but no command of the client's.
SETUP_COMMANDS = {
    *("client|setinfo", "hello", "select", "config|resetstat", "info"),
    *("time", "lindex", "lpush", "ltrim", "pexpire"),
}


async def paced_calls(url: str, tokens: list[str], calls: int, store: str | None) -> Tally:
    async with ps.AsyncClient(
        tokens[0], base_url=url, rate_limit=ps.RateLimit(500), rate_limit_store=store
    ) as client:

        async def call(n: int) -> list[str]:
            page = await client.with_token(tokens[n % len(tokens)]).list_claimed_subscriptions()
            return [sub.id for sub in page.items]

        return await _spread(calls, 64, call)


async def one_ping(url: str) -> None:
    client = redis.asyncio.Redis.from_url(url)
    await client.ping()
    await client.aclose()


async def reads_of(look: redis.Redis, run: Callable[[], Awaitable[object]]) -> int:
    """The reads of client sockets the server processed during ``run``, less the one of
    ``look``'s closing INFO."""
    before = look.info("stats")["total_reads_processed"]
    await run()
    return int(look.info("stats")["total_reads_processed"]) - int(before) - 1


async def fleet_rows(
    url: str,
    tokens: list[str],
    calls: int,
    timed: Callable[[dict[str, Callable[[], Awaitable[Tally]]]], Awaitable[dict[str, float]]],
) -> tuple[dict[str, float], str]:
    """The medians of both budgets, and a note of the Redis round trips and commands per
    request (less a connection's setup) and the new connections, counted by Redis over
    one more run. The note starts with the round trips per request."""
    redis = RedisServer()
    redis.start()
    try:
        runs = {
            IN_PROCESS: functools.partial(paced_calls, url, tokens, calls, None),
            IN_REDIS: functools.partial(paced_calls, url, tokens, calls, redis.url),
        }
        medians = await timed(runs)
        with redis.client() as look:
            setup = await reads_of(look, lambda: one_ping(redis.url)) - 1
            redis.flush()
            reads = await reads_of(look, lambda: paced_calls(url, tokens, calls, redis.url))
            stats: dict[str, Any] = look.info("commandstats")
    finally:
        redis.stop()
    sent = {k.removeprefix("cmdstat_"): v["calls"] for k, v in stats.items()}
    commands = sum(n for k, n in sent.items() if k not in SETUP_COMMANDS)
    # The looking connection said HELLO before the statistics were reset.
    connections = sent.get("hello", 0)
    trips = reads - setup * connections
    note = (
        f"{trips / calls:.3f} Redis round trips a request ({commands / calls:.2f} commands; "
        f"{connections} connection{'' if connections == 1 else 's'} opened)"
    )
    return medians, note
