"""(9) The fleet's rate budget in Redis against the in-process one: (4)'s 2,000 calls over
500 customers (``with_token`` views), paced at Polar's 500 a minute, on a loopback
``redis-server`` this benchmark starts; and the Redis commands each request cost."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

import polar_seats as ps
from tests.redis_server import RedisServer

from .clients import Tally, _spread

IN_PROCESS = "polar_seats, in-process budget"
IN_REDIS = "polar_seats, Redis budget (rate_limit_store=)"
# Sent once per new connection by redis-py, not per request.
SETUP_COMMANDS = {"client|setinfo", "hello", "select", "config|resetstat"}
# Run inside the moving-window script: counted by Redis, but no round trip of their own.
IN_SCRIPT = {"time", "lindex", "lpush", "ltrim", "pexpire"}


async def paced_calls(url: str, tokens: list[str], calls: int, store: str | None) -> Tally:
    async with ps.AsyncClient(
        tokens[0], base_url=url, rate_limit=ps.RateLimit(500), rate_limit_store=store
    ) as client:

        async def call(n: int) -> list[str]:
            page = await client.with_token(tokens[n % len(tokens)]).list_claimed_subscriptions()
            return [sub.id for sub in page.items]

        return await _spread(calls, 64, call)


async def fleet_rows(
    url: str,
    tokens: list[str],
    calls: int,
    timed: Callable[[dict[str, Callable[[], Awaitable[Tally]]]], Awaitable[dict[str, float]]],
) -> tuple[dict[str, float], float, int]:
    """The medians of both budgets, the Redis round trips per request (the commands the
    client sent, less a connection's setup) and the new connections, counted by Redis
    over one more run."""
    redis = RedisServer()
    redis.start()
    try:
        runs = {
            IN_PROCESS: functools.partial(paced_calls, url, tokens, calls, None),
            IN_REDIS: functools.partial(paced_calls, url, tokens, calls, redis.url),
        }
        medians = await timed(runs)
        redis.flush()
        await paced_calls(url, tokens, calls, redis.url)
        with redis.client() as look:
            stats: dict[str, Any] = look.info("commandstats")
    finally:
        redis.stop()
    sent = {k.removeprefix("cmdstat_"): v["calls"] for k, v in stats.items()}
    trips = sum(n for k, n in sent.items() if k not in SETUP_COMMANDS | IN_SCRIPT)
    return medians, trips / calls, sent.get("hello", 0)
