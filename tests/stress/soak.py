"""The reliability soak: many walks through random faults, then many cancelled walks.

``nox -s soak`` runs it at full size and writes ``docs/reliability.md``;
``tests/core/test_reliability.py`` runs it small on every test run.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import dataclasses
import logging
import platform
import random
import time
from pathlib import Path

import aiohttp

import polar_seats as ps
from polar_seats.testing import RETRYABLE_FAULTS, FakePolarServer, Fault, FaultPlan, set_testing
from tests.support.helpers import Connections, client_for

from .write_matrix import MARKER

SOAK_FAULTS = (*RETRYABLE_FAULTS, Fault.stall(6.0), Fault.slow_body(0.05))
"""Every fault a walk should ride out: each retryable status, the HTML proxy page, resets
before the headers and mid-body, a stall past the timeout, and a slow body."""

ATTEMPT_TIMEOUT = 5.0
"""Per attempt: far above a page's time on a busy machine (20 walks share one loop, and at
1 s a loaded machine timed out every attempt of some pages), below the stall's 6 s."""


@dataclasses.dataclass
class SoakReport:
    walks: int
    items_per_walk: int
    fault_rate: float
    seed: int
    at_once: int = 0
    requests: int = 0
    faults: dict[str, int] = dataclasses.field(default_factory=dict)
    retries: int = 0
    retry_reasons: dict[str, int] = dataclasses.field(default_factory=dict)
    items_expected: int = 0
    items_received: int = 0
    lost: int = 0
    repeated: int = 0
    out_of_order_walks: int = 0
    failed_walks: int = 0
    cancelled_walks: int = 0
    connections_in_use_after_cancel: int = 0
    server_connections_after_close: int = 0
    seconds: float = 0.0

    @property
    def faults_injected(self) -> int:
        return sum(self.faults.values())


async def run_soak(
    *,
    walks: int,
    items: int,
    fault_rate: float = 0.2,
    seed: int = 2026,
    at_once: int = 20,
    cancelled: int = 200,
) -> SoakReport:
    """Run the soak and report what the server injected and what the walks received."""
    report = SoakReport(
        walks=walks, items_per_walk=items, fault_rate=fault_rate, seed=seed, at_once=at_once
    )
    reasons: collections.Counter[str] = collections.Counter()

    def count_retry(event: ps.RetryEvent) -> None:
        status = getattr(event.error, "status", None)
        reasons[type(event.error).__name__ + (f" {status}" if status else "")] += 1

    # Ten attempts and no budget: at a sustained 20% fault rate the default budget is meant
    # to run dry, and four attempts leave about 1 page in 600 failing.
    policy = ps.RetryPolicy(max_attempts=10, retry_budget=None, on_retry=count_retry)
    rng = random.Random(seed)
    started = time.monotonic()
    set_testing(True)
    try:
        faults = FaultPlan(rate=fault_rate, choices=SOAK_FAULTS, seed=seed)
        async with FakePolarServer(count=items, seed=seed, faults=faults) as server:
            expected = [s["id"] for s in server.subscriptions]
            async with (
                Connections() as connections,
                client_for(
                    server, session=connections.session, timeout=ATTEMPT_TIMEOUT, retry=policy
                ) as client,
            ):
                gate = asyncio.Semaphore(at_once)

                async def walk() -> list[str] | None:
                    async with gate:
                        try:
                            walker = client.iter_claimed_subscriptions(limit=100)
                            return [sub.id async for sub in walker]
                        except ps.PolarError:
                            return None

                for got in await asyncio.gather(*(walk() for _ in range(walks))):
                    report.items_expected += len(expected)
                    if got is None:
                        report.failed_walks += 1
                        report.lost += len(expected)
                        continue
                    report.items_received += len(got)
                    report.lost += len(set(expected) - set(got))
                    report.repeated += len(got) - len(set(got))
                    report.out_of_order_walks += got != expected

                async def cancelled_walk() -> None:
                    walker = client.iter_claimed_subscriptions(limit=100)
                    task = asyncio.ensure_future(_drain(walker))
                    await asyncio.sleep(rng.uniform(0.0, 0.05))
                    task.cancel()
                    try:
                        await task
                    except asyncio.CancelledError:
                        report.cancelled_walks += 1
                    except ps.PolarError:
                        report.failed_walks += 1

                await asyncio.gather(*(cancelled_walk() for _ in range(cancelled)))
                report.connections_in_use_after_cancel = connections.in_use
            # The server sees each closed connection's end when its loop gets to it: a
            # loaded machine takes longer than a quiet one, so wait for it, within reason.
            for _ in range(500):
                if server.open_connections == 0:
                    break
                await asyncio.sleep(0.01)
            report.server_connections_after_close = server.open_connections
            report.requests = len(server.requests)
            report.faults = dict(
                collections.Counter(r.fault for r in server.requests if r.fault is not None)
            )
    finally:
        set_testing(False)
    report.retries = sum(reasons.values())
    report.retry_reasons = dict(reasons)
    report.seconds = time.monotonic() - started
    return report


async def _drain(walker: ps.SubscriptionIterator) -> None:
    async with walker:
        async for _ in walker:
            pass


def _rows(counts: dict[str, int]) -> str:
    return "\n".join(f"| {name} | {count:,} |" for name, count in sorted(counts.items()))


def render(report: SoakReport, command: str) -> str:
    """The reliability page, with the figures of ``report``."""
    faults = _rows(report.faults)
    reasons = _rows(report.retry_reasons)
    return f"""# Reliability

What `polar_seats` does when requests fail, and the figures that show it holds.

## What is retried

Each page is retried on its own, and a walk continues from the page that failed, never from
page 1. Retried: connection errors, a connection closed before or during the answer, a body
cut off before its announced length, timeouts, and statuses 408, 429, 500, 502, 503 and 504.
Never retried: cancellation, other 4xx statuses, and complete bodies that are not JSON or do
not fit the models. Every resend is a retry of the policy, counted in `attempts`, passed to
`on_retry` and logged: aiohttp would send a GET, HEAD, PUT or DELETE once more by itself when
its connection drops before the answer, on a new connection as on a kept-alive one and
unseen by any count, and polar-seats stops that for every request. Writes are different:
see [Writes under faults](#writes-under-faults).

Waits are exponential with full jitter (`random(0, min(8, 0.5 * 2 ** (attempt - 1)))`
seconds by default); a 429 waits what its `Retry-After` asks, up to `retry_after_cap` (60 s),
and above it the `RateLimitError` is raised at once. A call stops after `max_attempts` (4)
requests or before a wait that would end past its `deadline` (120 s), and no attempt outlives
the deadline. A retry budget shared by the client (500 tokens, 5 a retry, 10 after a timeout,
1 back per success) makes failures surface at once during a lasting outage. Requests are
paced on the client to Polar's limit (500 a minute per token, 100 in the sandbox).

## The soak

`{command}` walks `{report.walks:,}` times over {report.items_per_walk:,} subscriptions
(`limit=100`, {report.items_per_walk // 100} pages a walk, {report.at_once} walks at a time, each
fetching up to 8 pages at once, the default) while the fake
server fails {report.fault_rate:.0%} of requests at random (seed {report.seed}) with every
fault a client should ride out; then it starts {report.cancelled_walks:,} more walks and
cancels each at a random point in its first 50 ms.
The client runs with `timeout=5.0`, `RetryPolicy(max_attempts=10, retry_budget=None)` and
retry waits skipped (`polar_seats.testing.set_testing(True)`): at a sustained 20% failure rate
the default budget is meant to run dry, and with 4 attempts about 1 page in 600 would still
fail.

| figure | value |
|---|---|
| walks | {report.walks:,} |
| items expected | {report.items_expected:,} |
| items received | {report.items_received:,} |
| items lost | {report.lost:,} |
| items repeated | {report.repeated:,} |
| walks out of order | {report.out_of_order_walks:,} |
| walks failed | {report.failed_walks:,} |
| requests served | {report.requests:,} |
| faults injected | {report.faults_injected:,} |
| retries spent | {report.retries:,} |
| walks cancelled | {report.cancelled_walks:,} |
| connections in use after the cancellations | {report.connections_in_use_after_cancel} |
| connections open at the server after close | {report.server_connections_after_close} |
| run time | {report.seconds:.1f} s |

Faults injected, by kind:

| fault | count |
|---|---|
{faults}

Retries, by the error that caused them. A slow body is not an error, and a
timeout also fires without a stall when a page waits more than {ATTEMPT_TIMEOUT:g} s for its
turn on the one event loop that the fake server and up to {8 * report.at_once} requests in
flight share here.
That sharing is also why the walks run {report.at_once} at a time: at 50 (400 requests in
flight), 4 to 10 walks of 1,000 failed in three runs on this 2-core machine, each on a page
that timed out ten times in a row, which measures the shared loop, not the client.

| error | retries |
|---|---|
{reasons}

Machine: {platform.python_implementation()} {platform.python_version()} on
{platform.machine()}, aiohttp {aiohttp.__version__}.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--walks", type=int, default=1000)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--cancelled", type=int, default=200)
    parser.add_argument("--fault-rate", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--at-once", type=int, default=20, help="walks run at the same time")
    parser.add_argument("--write", type=Path, help="write the reliability page here")
    args = parser.parse_args()
    # Thousands of retries are the point here; the figures below count them.
    logging.getLogger("polar_seats").setLevel(logging.ERROR)
    report = asyncio.run(
        run_soak(
            walks=args.walks,
            items=args.items,
            fault_rate=args.fault_rate,
            seed=args.seed,
            cancelled=args.cancelled,
            at_once=args.at_once,
        )
    )
    print(report)
    if args.write is not None:
        # The write fault matrix (tests/stress/write_matrix.py) has its own section of the page.
        kept = args.write.read_text().partition(MARKER)
        matrix = kept[1] + kept[2] if kept[1] else ""
        args.write.write_text(render(report, "nox -s soak") + ("\n" + matrix if matrix else ""))
    clean = report.lost == report.repeated == report.failed_walks == 0
    raise SystemExit(0 if clean and report.connections_in_use_after_cancel == 0 else 1)


if __name__ == "__main__":
    main()
