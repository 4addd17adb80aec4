"""The synchronous Client against the benchmark server: ``python -m benchmarks.sync``.

- (S1) one call at a time, 1,000 calls of one token: ``Client`` against the same calls
  awaited one after another through ``AsyncClient`` (target: at most 1.15x);
- (S2) 10 threads, 2,000 calls over 500 tokens: one ``Client`` shared by the threads
  (``with_token`` per call), polar-sdk 1.0.2's sync ``Polar`` shared the same way with
  ``request_access_token=`` (target: the Client at least 10x faster), and one ``Client``
  per thread, made and closed inside each run as a thread pool's worker would.

The clients take turns, one rep each (as ``benchmarks.run`` times them), and every run's
ids are checked before it counts. Ratios are of medians measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import polar_seats as ps

from .clients import Tally, sdk1_available
from .run import TOKENS, Servers, calls_wanted

THREADS = 10


def sync_calls(url: str, calls: int) -> Tally:
    with ps.Client(TOKENS[0], base_url=url, rate_limit=None) as client:
        return Tally.of(
            sub.id for _ in range(calls) for sub in client.list_claimed_subscriptions().items
        )


def async_calls(url: str, calls: int) -> Tally:
    async def main() -> Tally:
        async with ps.AsyncClient(TOKENS[0], base_url=url, rate_limit=None) as client:
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


def shared_client(url: str, calls: int) -> Tally:
    with ps.Client(TOKENS[0], base_url=url, rate_limit=None) as client:

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--calls", type=int, default=1_000, help="(S1)'s calls")
    arguments = parser.parse_args()
    servers = Servers()
    try:
        url = f"{servers.fast}/10"
        one = arguments.calls
        s1 = timed(
            {
                "Client": lambda: sync_calls(url, one),
                "AsyncClient": lambda: async_calls(url, one),
            },
            calls_wanted(one),
            arguments.reps,
        )
        report(f"(S1) {one:,} calls one at a time, one token", s1)
        print(f"  Client / AsyncClient: {s1['Client'] / s1['AsyncClient']:.2f}x (target <= 1.15x)")
        runs = {
            "one Client, 10 threads": lambda: shared_client(url, 2_000),
            "a Client per thread": lambda: client_per_thread(url, 2_000),
        }
        if sdk1_available():
            runs["polar-sdk 1.0.2 Polar, request_access_token="] = lambda: sdk1_shared(url, 2_000)
        s2 = timed(runs, calls_wanted(2_000), arguments.reps)
        report("(S2) 2,000 calls, 500 tokens, 10 threads", s2)
        shared = s2["one Client, 10 threads"]
        print(f"  a Client per thread / one Client: {s2['a Client per thread'] / shared:.2f}x")
        sdk = s2.get("polar-sdk 1.0.2 Polar, request_access_token=")
        if sdk is not None:
            print(f"  polar-sdk 1.0.2 / one Client: {sdk / shared:.1f}x (target >= 10x)")
    finally:
        servers.close()


def report(title: str, medians: dict[str, float]) -> None:
    print(title)
    for name, seconds in medians.items():
        print(f"  {name:46} {seconds * 1000:9.1f} ms")


if __name__ == "__main__":
    main()
