"""The synchronous Client against the benchmark server: ``python -m benchmarks.sync``.

- (S1) one call at a time, 1,000 calls of one token: ``Client`` against the same calls
  awaited one after another through ``AsyncClient`` (target: at most 1.15x);
- (S2) 10 threads, 2,000 calls over 500 tokens: one ``Client`` shared by the threads
  (``with_token`` per call), polar-sdk 1.0.2's sync ``Polar`` shared the same way with
  ``request_access_token=`` (target: the Client at least 10x faster), and one ``Client``
  per thread, made and closed inside each run as a thread pool's worker would.

Each scenario also times two raw floors, the least a client can do: the same requests with
``http.client`` (a kept connection per thread) and msgspec, from the calling threads, the
cheapest sync call there is; and with plain aiohttp and msgspec on one event loop (one
request at a time for (S1), 10 in flight for (S2)), which is what a ``Client`` runs on,
with no thread in between. (S2) also times one ``AsyncClient`` with 10 calls in flight: the
shared ``Client``'s work without its threads.

The clients take turns, one rep each (as ``benchmarks.run`` times them), and every run's
ids are checked before it counts. Ratios are of medians measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import statistics
import threading
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import aiohttp

import polar_seats as ps
from polar_seats.versions import DEFAULT as POLAR_VERSION

from .clients import PATH, Tally, page_decoder, sdk1_available
from .run import TOKENS, Servers, calls_wanted

THREADS = 10
QUERY = "?page=1&limit=10"
"""The request every client sends: page 1 of a 10-item listing."""


def sync_calls(url: str, calls: int, client_class: Any = ps.Client) -> Tally:
    """``client_class`` is another version's ``Client`` in ``benchmarks.instructions``."""
    with client_class(TOKENS[0], base_url=url, rate_limit=None) as client:
        return Tally.of(
            sub.id for _ in range(calls) for sub in client.list_claimed_subscriptions().items
        )


def async_calls(url: str, calls: int, client_class: Any = ps.AsyncClient) -> Tally:
    async def main() -> Tally:
        async with client_class(TOKENS[0], base_url=url, rate_limit=None) as client:
            tally = Tally()
            for _ in range(calls):
                for sub in (await client.list_claimed_subscriptions()).items:
                    tally.add(sub.id)
            return tally

    return asyncio.run(main())


def in_threads(calls: int, call: Callable[[int], list[str]]) -> Tally:
    """``calls`` calls spread over ``THREADS`` threads, call ``n`` by thread ``n % THREADS``."""

    def share(first: int) -> list[str]:
        return [item for n in range(first, calls, THREADS) for item in call(n)]

    with ThreadPoolExecutor(THREADS) as pool:
        return Tally.of(item for chunk in pool.map(share, range(THREADS)) for item in chunk)


def shared_client(url: str, calls: int, client_class: Any = ps.Client) -> Tally:
    with client_class(TOKENS[0], base_url=url, rate_limit=None) as client:

        def call(n: int) -> list[str]:
            page = client.with_token(TOKENS[n % len(TOKENS)]).list_claimed_subscriptions()
            return [sub.id for sub in page.items]

        return in_threads(calls, call)


def client_per_thread(url: str, calls: int) -> Tally:
    local = threading.local()
    made: list[ps.Client] = []

    def call(n: int) -> list[str]:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = ps.Client(TOKENS[0], base_url=url, rate_limit=None)
            made.append(client)
        page = client.with_token(TOKENS[n % len(TOKENS)]).list_claimed_subscriptions()
        return [sub.id for sub in page.items]

    try:
        return in_threads(calls, call)
    finally:
        for client in made:
            client.close()


def floor_thread_calls(url: str, tokens: list[str], calls: int, threads: int) -> Tally:
    """The raw sync floor: ``http.client`` and msgspec, a kept connection per thread."""
    parts = urllib.parse.urlsplit(url)
    target = f"{parts.path}{PATH}{QUERY}"
    local = threading.local()
    made: list[http.client.HTTPConnection] = []

    def call(n: int) -> list[str]:
        connection = getattr(local, "connection", None)
        if connection is None:
            connection = local.connection = http.client.HTTPConnection(parts.netloc)
            made.append(connection)
        headers = {
            "Authorization": f"Bearer {tokens[n % len(tokens)]}",
            "Polar-Version": POLAR_VERSION,
        }
        connection.request("GET", target, headers=headers)
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise AssertionError(f"the floor was answered {response.status}: {body[:200]!r}")
        return [sub.id for sub in page_decoder.decode(body).items]

    try:
        if threads == 1:
            return Tally.of(item for n in range(calls) for item in call(n))
        return in_threads(calls, call)
    finally:
        for connection in made:
            connection.close()


def floor_loop_calls(url: str, tokens: list[str], calls: int, in_flight: int) -> Tally:
    """The raw async floor: aiohttp and msgspec on one loop, ``in_flight`` at once."""

    async def main() -> Tally:
        async with aiohttp.ClientSession() as session:

            async def call(n: int) -> list[str]:
                headers = {
                    "Authorization": f"Bearer {tokens[n % len(tokens)]}",
                    "Polar-Version": POLAR_VERSION,
                }
                async with session.get(f"{url}{PATH}{QUERY}", headers=headers) as response:
                    page = page_decoder.decode(await response.read())
                return [sub.id for sub in page.items]

            return await in_flight_calls(calls, in_flight, call)

    return asyncio.run(main())


async def in_flight_calls(
    calls: int, in_flight: int, call: Callable[[int], Awaitable[list[str]]]
) -> Tally:
    """``calls`` calls, ``in_flight`` at a time: each of ``in_flight`` workers makes the
    calls ``n`` with ``n % in_flight`` its own, as :func:`in_threads` shares them out."""

    async def share(first: int) -> list[str]:
        return [item for n in range(first, calls, in_flight) for item in await call(n)]

    chunks = await asyncio.gather(*(share(first) for first in range(in_flight)))
    return Tally.of(item for chunk in chunks for item in chunk)


def async_shared(url: str, calls: int) -> Tally:
    """One ``AsyncClient`` with ``THREADS`` calls in flight: (S2) without the threads."""

    async def main() -> Tally:
        async with ps.AsyncClient(TOKENS[0], base_url=url, rate_limit=None) as client:

            async def call(n: int) -> list[str]:
                view = client.with_token(TOKENS[n % len(TOKENS)])
                return [sub.id for sub in (await view.list_claimed_subscriptions()).items]

            return await in_flight_calls(calls, THREADS, call)

    return asyncio.run(main())


def sdk1_shared(url: str, calls: int) -> Tally:
    from polar.v2026_04 import Polar

    with Polar(TOKENS[0], base_url=url, timeout=60.0) as polar:
        seats = polar.customer_portal.seats

        def call(n: int) -> list[str]:
            token = TOKENS[n % len(TOKENS)]
            page = seats.list_claimed_subscriptions(request_access_token=token)
            return [sub.id for sub in page.items]

        return in_threads(calls, call)


def timed(runs: dict[str, Callable[[], Tally]], want: Tally, reps: int) -> dict[str, float]:
    """The median seconds of each run, the runs taking turns from a rotating start."""
    for name, run in runs.items():
        check(name, run(), want)  # warm-up: imports, connections
    names = list(runs)
    times: dict[str, list[float]] = {name: [] for name in names}
    for rep in range(reps):
        for name in names[rep % len(names) :] + names[: rep % len(names)]:
            started = time.perf_counter()
            got = runs[name]()
            times[name].append(time.perf_counter() - started)
            check(name, got, want)
    return {name: statistics.median(seconds) for name, seconds in times.items()}


def check(name: str, got: Tally, want: Tally) -> None:
    if got != want:
        raise AssertionError(f"{name} gave a wrong answer: {got} instead of {want}")


CLIENT = "Client"
ASYNC = "AsyncClient"
SHARED = "one Client, 10 threads"
PER_THREAD = "a Client per thread"
ASYNC_SHARED = "one AsyncClient, 10 in flight"
SDK1 = "polar-sdk 1.0.2 Polar, request_access_token="
FLOOR_THREADS = "raw floor: http.client + msgspec, calling threads"
FLOOR_LOOP = "raw floor: aiohttp + msgspec, one loop"


def s1(url: str, calls: int, reps: int) -> None:
    one = [TOKENS[0]]
    medians = timed(
        {
            CLIENT: lambda: sync_calls(url, calls),
            ASYNC: lambda: async_calls(url, calls),
            FLOOR_THREADS: lambda: floor_thread_calls(url, one, calls, 1),
            FLOOR_LOOP: lambda: floor_loop_calls(url, one, calls, 1),
        },
        calls_wanted(calls),
        reps,
    )
    report(f"(S1) {calls:,} calls one at a time, one token", medians, calls)
    ratio = medians[CLIENT] / medians[ASYNC]
    print(f"  Client / AsyncClient: {ratio:.2f}x (target <= 1.15x)")
    print(
        f"  Client / http.client floor: {medians[CLIENT] / medians[FLOOR_THREADS]:.2f}x; "
        f"AsyncClient / aiohttp floor: {medians[ASYNC] / medians[FLOOR_LOOP]:.2f}x"
    )


def s2(url: str, calls: int, reps: int) -> None:
    runs = {
        SHARED: lambda: shared_client(url, calls),
        PER_THREAD: lambda: client_per_thread(url, calls),
        ASYNC_SHARED: lambda: async_shared(url, calls),
        FLOOR_THREADS: lambda: floor_thread_calls(url, TOKENS, calls, THREADS),
        FLOOR_LOOP: lambda: floor_loop_calls(url, TOKENS, calls, THREADS),
    }
    if sdk1_available():
        runs[SDK1] = lambda: sdk1_shared(url, calls)
    medians = timed(runs, calls_wanted(calls), reps)
    report(f"(S2) {calls:,} calls, {len(TOKENS)} tokens, {THREADS} threads", medians, calls)
    shared = medians[SHARED]
    sdk = medians.get(SDK1)
    if sdk is not None:
        print(f"  polar-sdk 1.0.2 / one Client: {sdk / shared:.1f}x (target >= 10x)")
    print(f"  a Client per thread / one Client: {medians[PER_THREAD] / shared:.2f}x")
    print(
        f"  one Client / one AsyncClient: {shared / medians[ASYNC_SHARED]:.2f}x; "
        f"one Client / http.client floor: {shared / medians[FLOOR_THREADS]:.2f}x; "
        f"one Client / aiohttp floor: {shared / medians[FLOOR_LOOP]:.2f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--calls", type=int, default=1_000, help="(S1)'s calls")
    parser.add_argument("--only", choices=("S1", "S2"), help="run one scenario")
    arguments = parser.parse_args()
    servers = Servers()
    try:
        url = f"{servers.fast}/10"
        if arguments.only in (None, "S1"):
            load("before (S1)")
            s1(url, arguments.calls, arguments.reps)
        if arguments.only in (None, "S2"):
            load("before (S2)")
            s2(url, 2_000, arguments.reps)
        load("at the end")
    finally:
        servers.close()


def load(when: str) -> None:
    """The machine's load, which the figures of a shared machine depend on."""
    one, five, _ = os.getloadavg()
    print(f"load average {when}: {one:.2f} (1 min), {five:.2f} (5 min)", flush=True)


def report(title: str, medians: dict[str, float], calls: int) -> None:
    print(f"{title}: medians of the runs, and per call")
    for name, seconds in medians.items():
        print(f"  {name:50} {seconds * 1000:9.1f} ms {seconds / calls * 1e6:8.1f} µs")


if __name__ == "__main__":
    main()
