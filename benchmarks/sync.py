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

``--handshakes 0.0005,0`` instead times (S2)'s one ``Client`` with each of these caps (in
seconds) on the loop's wait for the callers it woke (``polar_seats._sync.HANDSHAKE``; 0:
no wait), beside one ``AsyncClient``.

The clients take turns, one rep each (as ``benchmarks.run`` times them), and every run's
ids are checked before it counts. Ratios are of medians measured in the same run. Each run's
CPU seconds are reported per call beside its wall clock: this process's
(``time.process_time()``, all its threads), and the server's (from ``/proc``, on Linux),
which shares the machine's cores with the client.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
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
from polar_seats import _sync
from polar_seats.versions import DEFAULT as POLAR_VERSION

from .clients import PATH, Tally, floor_call, page_decoder, sdk1_available
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
            return await in_flight_calls(calls, in_flight, floor_call(session, url, tokens))

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


@dataclasses.dataclass
class Measured:
    """The medians of a run's seconds: wall clock, this process's CPU, the server's CPU."""

    wall: float
    cpu: float
    server_cpu: float | None


def timed(
    runs: dict[str, Callable[[], Tally]], want: Tally, reps: int, server: int
) -> dict[str, Measured]:
    """The medians of each run, the runs taking turns from a rotating start. ``server``
    is the benchmark server's process id, whose CPU seconds are read where Linux tells
    them."""
    for name, run in runs.items():
        check(name, run(), want)  # warm-up: imports, connections
    names = list(runs)
    times: dict[str, list[tuple[float, float, float | None]]] = {name: [] for name in names}
    for rep in range(reps):
        for name in names[rep % len(names) :] + names[: rep % len(names)]:
            server_started = process_seconds(server)
            cpu_started = time.process_time()
            started = time.perf_counter()
            got = runs[name]()
            wall = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
            server_now = process_seconds(server)
            served = (
                None
                if server_started is None or server_now is None
                else server_now - server_started
            )
            times[name].append((wall, cpu, served))
            check(name, got, want)
    return {name: _medians(measured) for name, measured in times.items()}


def _medians(measured: list[tuple[float, float, float | None]]) -> Measured:
    served = [run[2] for run in measured if run[2] is not None]
    return Measured(
        wall=statistics.median(run[0] for run in measured),
        cpu=statistics.median(run[1] for run in measured),
        server_cpu=statistics.median(served) if served else None,
    )


def process_seconds(pid: int) -> float | None:
    """The CPU seconds (user and system) process ``pid`` has used, or ``None`` off Linux."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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


def s1(url: str, calls: int, reps: int, server: int) -> None:
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
        server,
    )
    report(f"(S1) {calls:,} calls one at a time, one token", medians, calls)
    print(f"  Client / AsyncClient: {ratio(medians, CLIENT, ASYNC)} (target <= 1.15x)")
    print(
        f"  Client / http.client floor: {ratio(medians, CLIENT, FLOOR_THREADS)}; "
        f"AsyncClient / aiohttp floor: {ratio(medians, ASYNC, FLOOR_LOOP)}"
    )


def s2(url: str, calls: int, reps: int, server: int) -> None:
    runs = {
        SHARED: lambda: shared_client(url, calls),
        PER_THREAD: lambda: client_per_thread(url, calls),
        ASYNC_SHARED: lambda: async_shared(url, calls),
        FLOOR_THREADS: lambda: floor_thread_calls(url, TOKENS, calls, THREADS),
        FLOOR_LOOP: lambda: floor_loop_calls(url, TOKENS, calls, THREADS),
    }
    if sdk1_available():
        runs[SDK1] = lambda: sdk1_shared(url, calls)
    medians = timed(runs, calls_wanted(calls), reps, server)
    report(f"(S2) {calls:,} calls, {len(TOKENS)} tokens, {THREADS} threads", medians, calls)
    if SDK1 in medians:
        print(f"  polar-sdk 1.0.2 / one Client: {ratio(medians, SDK1, SHARED)} (target >= 10x)")
        print(
            f"  polar-sdk 1.0.2 / http.client floor: {ratio(medians, SDK1, FLOOR_THREADS)}; "
            f"polar-sdk 1.0.2 / aiohttp floor: {ratio(medians, SDK1, FLOOR_LOOP)}"
        )
    print(f"  a Client per thread / one Client: {ratio(medians, PER_THREAD, SHARED)}")
    print(
        f"  one Client / one AsyncClient: {ratio(medians, SHARED, ASYNC_SHARED)}; "
        f"one Client / http.client floor: {ratio(medians, SHARED, FLOOR_THREADS)}; "
        f"one Client / aiohttp floor: {ratio(medians, SHARED, FLOOR_LOOP)}"
    )


def handshakes(url: str, caps: list[float], reps: int, server: int) -> None:
    """(S2)'s one ``Client`` with each cap on the loop's wait for the callers it woke
    (``polar_seats._sync.HANDSHAKE``; 0: no wait), in turns, beside one ``AsyncClient``."""

    def with_cap(cap: float) -> Callable[[], Tally]:
        def run() -> Tally:
            _sync.HANDSHAKE = cap
            return shared_client(url, 2_000)

        return run

    runs = {f"one Client, waits at most {cap * 1000:g} ms": with_cap(cap) for cap in caps}
    runs[ASYNC_SHARED] = lambda: async_shared(url, 2_000)
    kept = _sync.HANDSHAKE
    try:
        medians = timed(runs, calls_wanted(2_000), reps, server)
    finally:
        _sync.HANDSHAKE = kept
    report(f"(S2) by the loop's wait for woken callers, {THREADS} threads", medians, 2_000)
    for name in list(runs)[:-1]:
        print(f"  {name} / one AsyncClient: {ratio(medians, name, ASYNC_SHARED)}")


def ratio(medians: dict[str, Measured], slower: str, faster: str) -> str:
    """The ratio of two runs' wall-clock medians, and of their CPU seconds in brackets."""
    wall = medians[slower].wall / medians[faster].wall
    cpu = medians[slower].cpu / medians[faster].cpu
    return f"{wall:.2f}x (CPU {cpu:.2f}x)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--calls", type=int, default=1_000, help="(S1)'s calls")
    parser.add_argument("--only", choices=("S1", "S2"), help="run one scenario")
    parser.add_argument(
        "--handshakes",
        help="instead, (S2)'s one Client with each of these caps in seconds on the loop's "
        "wait for the callers it woke, e.g. 0.0005,0.002,0",
    )
    arguments = parser.parse_args()
    servers = Servers()
    try:
        url = f"{servers.fast}/10"
        server = servers.processes[0].pid
        if arguments.handshakes:
            load("before")
            caps = [float(cap) for cap in arguments.handshakes.split(",")]
            handshakes(url, caps, arguments.reps, server)
            load("at the end")
            return
        if arguments.only in (None, "S1"):
            load("before (S1)")
            s1(url, arguments.calls, arguments.reps, server)
        if arguments.only in (None, "S2"):
            load("before (S2)")
            s2(url, 2_000, arguments.reps, server)
        load("at the end")
    finally:
        servers.close()


def load(when: str) -> None:
    """The machine's load, which the figures of a shared machine depend on."""
    one, five, _ = os.getloadavg()
    print(f"load average {when}: {one:.2f} (1 min), {five:.2f} (5 min)", flush=True)


def report(title: str, medians: dict[str, Measured], calls: int) -> None:
    print(f"{title}: medians of {'the runs':>8}; per call: wall, CPU here, server's CPU")
    for name, measured in medians.items():
        served = "" if measured.server_cpu is None else f"{measured.server_cpu / calls * 1e6:7.0f}"
        print(
            f"  {name:50} {measured.wall * 1000:8.0f} ms {measured.wall / calls * 1e6:6.0f} µs"
            f" {measured.cpu / calls * 1e6:6.0f} µs {served} µs"
        )


if __name__ == "__main__":
    main()
