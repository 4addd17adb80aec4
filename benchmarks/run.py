"""Run every benchmark against every client in one run, and report medians and ratios.

``nox -s bench`` runs this and rewrites ``docs/performance.md``. Servers run in their own
processes; each measurement is the median of ``--reps`` runs after one warm-up run, and
every run's items are checked against the expected ids, so no client is timed on a wrong
answer. The whole suite runs twice: with the garbage collector frozen after warm-up
(``gc.freeze()``), and with Python's defaults, since users run with the defaults.

``--only 7,8`` runs some benchmarks (and ``--gc`` one collector policy) to look at them;
only a full run writes the page.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import functools
import gc
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Collection
from importlib import metadata
from pathlib import Path

import aiohttp

from . import clients, fleet
from .clients import Tally
from .server import Listing, item_id

TOKENS = [f"polar_cst_customer_{n:03d}" for n in range(500)]
CUSTOMERS = [f"user-{n:03d}" for n in range(500)]
BENCHMARKS = ("1", "2", "3", "4", "5", "6", "7", "8", "9")
"""What ``--only`` selects from; ``1`` is (1) and (1b), ``5`` is (5) and (5b)."""

SHAPES_2026 = "polar_seats, Polar-Version 2026-10"
SHAPES_2027 = "polar_seats, Polar-Version 2027-01"
WITH_TOKEN = "polar_seats (with_token)"
KEPT_WITH_TOKEN = "polar_seats (with_token), one client kept open"
WARM = "polar_seats for_customer(), warm sessions"
COLD = "polar_seats for_customer(), a new client a run"
# Organization tokens differ per client, so the server's count of mints by token tells
# each run's mints apart.
_organization_tokens = (f"polar_oat_benchmark_{n}" for n in itertools.count())


@dataclasses.dataclass
class Row:
    benchmark: str
    client: str
    seconds: float | None
    note: str = ""


class Servers:
    """The two benchmark servers: one answering at once, one after 20 ms."""

    def __init__(self) -> None:
        self.processes: list[subprocess.Popen[str]] = []
        self.fast = self._start(0.0)
        self.slow = self._start(0.020)

    def _start(self, latency: float) -> str:
        process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.server", "--latency", str(latency)],
            stdout=subprocess.PIPE,
            text=True,
        )
        self.processes.append(process)
        assert process.stdout is not None
        return f"http://127.0.0.1:{process.stdout.readline().strip()}"

    def close(self) -> None:
        for process in self.processes:
            process.terminate()
            process.wait()


def expected(items: int) -> Tally:
    return Tally.of(item_id(n) for n in range(items))


async def timed(
    runs: dict[str, Callable[[], Awaitable[Tally]]], want: Tally, reps: int, freeze: bool
) -> dict[str, float]:
    """The median seconds of each run. The clients take turns, one rep each, starting from
    a different one every round, so a machine that slows down for a while (this one is
    shared) weighs on every client alike and the ratios hold."""
    times = await timed_each(runs, want, reps, freeze)
    return {name: statistics.median(seconds) for name, seconds in times.items()}


async def timed_each(
    runs: dict[str, Callable[[], Awaitable[Tally]]], want: Tally, reps: int, freeze: bool
) -> dict[str, list[float]]:
    """Every rep's seconds of each run, in the order of :func:`timed`."""
    for name, run in runs.items():
        await check(name, run, want)  # warm-up: connections, imports, caches
    if freeze:
        gc.collect()
        gc.freeze()
    names = list(runs)
    times: dict[str, list[float]] = {name: [] for name in names}
    for rep in range(reps):
        for name in names[rep % len(names) :] + names[: rep % len(names)]:
            started = time.perf_counter()
            await check(name, runs[name], want)
            times[name].append(time.perf_counter() - started)
    if freeze:
        gc.unfreeze()
    return times


async def check(name: str, run: Callable[[], Awaitable[Tally]], want: Tally) -> None:
    got = await run()
    if got != want:
        raise AssertionError(f"{name} gave a wrong answer: {got} instead of {want}")


def walk_clients() -> dict[str, clients.Walk]:
    found: dict[str, clients.Walk] = {
        "polar_seats (default)": clients.polar_seats_walk(None),
        "polar_seats concurrency=1": clients.polar_seats_walk(1),
    }
    if clients.sdk1_available():
        found["polar-sdk 1.0.2"] = clients.sdk1_walk
    if clients.sdk032_available():
        found["polar-sdk 0.32.0"] = clients.sdk032_walk
    found["raw floor, sequential"] = clients.floor_walk(1)
    found["raw floor, 8 in flight"] = clients.floor_walk(8)
    return found


def call_clients() -> dict[str, clients.Calls]:
    found: dict[str, clients.Calls] = {"polar_seats (with_token)": clients.polar_seats_calls}
    if clients.sdk1_available():
        found["polar-sdk 1.0.2, request_access_token="] = clients.sdk1_calls_token_per_call
        found["polar-sdk 1.0.2, a client per token"] = clients.sdk1_calls_client_per_token
    if clients.sdk032_available():
        found["polar-sdk 0.32.0, security= per call"] = clients.sdk032_calls
    found["raw floor"] = clients.floor_calls
    return found


async def run_suite(
    servers: Servers, reps: int, freeze: bool, only: Collection[str] = BENCHMARKS
) -> list[Row]:
    rows: list[Row] = []
    walks = [
        ("(1) 10,000 items, limit=100", servers.fast, 10_000, 100),
        ("(2) 1,000 items, limit=10", servers.fast, 1_000, 10),
        ("(3) 100 pages, 20 ms latency", servers.slow, 10_000, 100),
    ]
    for title, base, items, limit in walks:
        if title[1] not in only:
            continue
        url = f"{base}/{items}"
        runs = {name: functools.partial(walk, url, limit) for name, walk in walk_clients().items()}
        for name, seconds in (await timed(runs, expected(items), reps, freeze)).items():
            rows.append(Row(title, name, seconds))
            print(f"  {title:32} {name:42} {seconds * 1000:9.1f} ms", flush=True)
        if title.startswith("(1)"):
            rows.extend(await versions_rows(servers, reps, freeze))
    if "4" in only:
        rows.extend(await many_tokens_rows(servers, reps, freeze))
    if "5" in only:
        rows.extend(decode_rows(reps, freeze))
    if "7" in only or "8" in only:
        rows.extend(await customer_rows(servers, reps, freeze))
    if "9" in only:
        rows.extend(await fleet_budget_rows(servers, reps, freeze))
    return rows


async def versions_rows(servers: Servers, reps: int, freeze: bool) -> list[Row]:
    """(1b): (1)'s walk asking for 2026-10 and for 2027-01, in turns. The server sends the
    same items with the same prices in each version's shapes; 2027-01 reshapes seat-based
    prices (``tiers``, ``minimum_units``, ``maximum_units``)."""
    title = "(1b) the walk of (1) by version"
    url = f"{servers.fast}/10000"
    runs = {
        name: functools.partial(clients.polar_seats_walk(None, polar_version=version), url, 100)
        for name, version in ((SHAPES_2026, "2026-10"), (SHAPES_2027, "2027-01"))
    }
    rows = []
    for name, seconds in (await timed(runs, expected(10_000), reps, freeze)).items():
        rows.append(Row(title, name, seconds))
        print(f"  {title:32} {name:42} {seconds * 1000:9.1f} ms", flush=True)
    return rows


async def fleet_budget_rows(servers: Servers, reps: int, freeze: bool) -> list[Row]:
    title = "(9) 2,000 calls, 500 customers, paced: Redis budget"
    calls = 2_000
    medians, note = await fleet.fleet_rows(
        f"{servers.fast}/10",
        TOKENS,
        calls,
        lambda runs: timed(runs, calls_wanted(calls), reps, freeze),
    )
    rows = []
    for name, seconds in medians.items():
        rows.append(Row(title, name, seconds, note))
        print(f"  {title:32} {name:42} {seconds * 1000:9.1f} ms", flush=True)
    print(f"  {title:32} {note}", flush=True)
    return rows


def calls_wanted(calls: int) -> Tally:
    # Every call reads the first page (10 items) of a 10-item listing.
    return Tally.of(item_id(n % 10) for n in range(calls * 10))


async def many_tokens_rows(servers: Servers, reps: int, freeze: bool) -> list[Row]:
    rows = []
    title = "(4) 2,000 calls, 500 tokens, 64 at once"
    calls = 2_000
    url = f"{servers.fast}/10"
    want = calls_wanted(calls)
    runs = {
        name: functools.partial(call, url, TOKENS, calls) for name, call in call_clients().items()
    }
    # A client per token takes most of a minute a run: it is timed once, on its own.
    once = {name: run for name, run in runs.items() if name.endswith("a client per token")}
    together = {name: run for name, run in runs.items() if name not in once}
    medians = await timed(together, want, reps, freeze)
    medians.update(
        {f"{name} (1 run)": s for name, s in (await timed(once, want, 1, freeze)).items()}
    )
    for name, seconds in medians.items():
        rows.append(Row(title, name, seconds))
        print(f"  {title:32} {name:42} {seconds * 1000:9.1f} ms", flush=True)
    return rows


async def customer_rows(servers: Servers, reps: int, freeze: bool) -> list[Row]:
    """(7) and (8): (4)'s calls, but naming 500 customers through ``for_customer()``, the
    client minting their sessions; timed in turns with (4)'s ``with_token`` client.

    (7) keeps one client open with all 500 sessions minted before anything is timed;
    (8) makes a new client, so an empty session cache, every run. The server counts the
    mints of each organization token: (7)'s timed runs must mint nothing, each of (8)'s
    exactly one session per customer.
    """
    calls = 2_000
    url = f"{servers.fast}/10"
    warm_token = next(_organization_tokens)
    cold_tokens: list[str] = []

    def cold() -> Awaitable[Tally]:
        token = next(_organization_tokens)
        cold_tokens.append(token)
        return clients.polar_seats_calls_cold(url, CUSTOMERS, calls, token)

    async with clients.KeptClient(url, warm_token) as kept:
        await kept.mint_all(CUSTOMERS)
        primed = (await server_stats(servers.fast)).get(warm_token, 0)
        if primed != len(CUSTOMERS):
            raise AssertionError(f"warming minted {primed} sessions, not {len(CUSTOMERS)}")
        runs = {
            WITH_TOKEN: functools.partial(clients.polar_seats_calls, url, TOKENS, calls),
            KEPT_WITH_TOKEN: functools.partial(kept.with_token, TOKENS, calls),
            WARM: functools.partial(kept.for_customer, CUSTOMERS, calls),
            COLD: cold,
            "raw floor": functools.partial(clients.floor_calls, url, TOKENS, calls),
        }
        medians = await timed(runs, calls_wanted(calls), reps, freeze)
    mints = await server_stats(servers.fast)
    if mints.get(warm_token, 0) != primed:
        raise AssertionError(
            f"warm sessions: the timed runs minted {mints.get(warm_token, 0) - primed}, not 0"
        )
    per_run = [mints.get(token, 0) for token in cold_tokens]
    if per_run != [len(CUSTOMERS)] * len(cold_tokens):
        raise AssertionError(f"cold runs minted {per_run}, not {len(CUSTOMERS)} each")
    rows = []
    for name, seconds in medians.items():
        if name == COLD:
            title = "(8) the same, cold: a new client, 500 mints a run"
            row = Row(title, name, seconds, f"{len(CUSTOMERS)} mints a run")
        else:
            title = "(7) 2,000 calls, 500 customers, for_customer()"
            row = Row(title, name, seconds)
        rows.append(row)
        print(f"  {title[:3]} {name:50} {seconds * 1000:9.1f} ms", flush=True)
    print(f"  (8) the server counted {per_run} mints in {len(per_run)} runs", flush=True)
    return rows


async def server_stats(base: str) -> dict[str, int]:
    """Sessions minted so far, by organization token, as the server counted them."""
    async with aiohttp.ClientSession() as session, session.get(f"{base}/_stats") as response:
        response.raise_for_status()
        counts: dict[str, int] = json.loads(await response.read())["mints_by_token"]
        return counts


def decode_rows(reps: int, freeze: bool) -> list[Row]:
    rows = []
    for title, body in [
        ("(5) decode one 100-item page", Listing(100).body(1, 100)),
        ("(5b) the same with a third legacy prices", Listing(100, legacy=True).body(1, 100)),
    ]:
        rows.extend(decode_rows_of(title, body, reps, freeze))
    return rows


def decode_rows_of(title: str, body: bytes, reps: int, freeze: bool) -> list[Row]:
    rows = []
    for name, decode in clients.decoders().items():
        decode(body)
        if freeze:
            gc.collect()
            gc.freeze()
        times = []
        for _ in range(max(reps, 20)):
            started = time.perf_counter()
            decode(body)
            times.append(time.perf_counter() - started)
        if freeze:
            gc.unfreeze()
        median = statistics.median(times)
        rows.append(Row(title, name, median))
        print(f"  {title[:4]} decode {name:40} {median * 1000:9.2f} ms", flush=True)
    return rows


def memory_rows(servers: Servers) -> list[Row]:
    rows = []
    names = list(walk_clients())
    for items in (1_000, 100_000):
        for name in names:
            memory_name = name.replace(" (default)", "")
            result = subprocess.run(
                [sys.executable, "-m", "benchmarks.memory", memory_name, servers.fast, str(items)],
                capture_output=True,
                text=True,
                check=True,
            )
            peak = int(result.stdout.strip().splitlines()[-1])
            rows.append(Row(f"(6) peak memory, {items:,} items", name, float(peak), "bytes"))
            print(f"  (6) {items:>7,} items {name:42} {peak / 2**20:8.1f} MiB", flush=True)
    return rows


def seconds_of(rows: list[Row], benchmark: str, client: str) -> float | None:
    for row in rows:
        if row.benchmark.startswith(benchmark) and row.client == client:
            return row.seconds
    return None


def table(rows: list[Row]) -> str:
    lines = []
    benchmarks = list(dict.fromkeys(row.benchmark for row in rows))
    for benchmark in benchmarks:
        group = [row for row in rows if row.benchmark == benchmark]
        memory = group[0].note == "bytes"
        sdk = next((r.seconds for r in group if r.client.startswith("polar-sdk 1.0.2")), None)
        floor = next((r.seconds for r in group if r.client.startswith("raw floor")), None)
        if benchmark.startswith("(4)"):
            sdk = seconds_of(rows, "(4)", "polar-sdk 1.0.2, request_access_token=")
        if benchmark.startswith("(5"):
            floor = None
        if benchmark.startswith("(8)"):
            floor = seconds_of(rows, "(7)", "raw floor")
        measure = "peak (MiB), one run" if memory else "median (ms)"
        lines.append(f"\n### {benchmark}\n")
        lines.append(f"| client | {measure} | polar-sdk 1.0.2 ÷ this | this ÷ floor |")
        lines.append("|---|---:|---:|---:|")
        for row in group:
            value = row.seconds or 0.0
            shown = f"{value / 2**20:.1f}" if memory else f"{value * 1000:.2f}"
            vs_sdk = f"{sdk / value:.1f}x" if sdk and value and not memory else "-"
            vs_floor = f"{value / floor:.2f}" if floor and value and not memory else "-"
            lines.append(f"| {row.client} | {shown} | {vs_sdk} | {vs_floor} |")
    return "\n".join(lines)


def verdicts(rows: list[Row]) -> list[str]:
    """One line per target, for the benchmarks that ran."""

    def get(benchmark: str, client: str) -> float:
        value = seconds_of(rows, benchmark, client)
        return float("nan") if value is None else value

    def ran(benchmark: str) -> bool:
        return any(row.benchmark.startswith(benchmark) for row in rows)

    ours, one = "polar_seats (default)", "polar_seats concurrency=1"
    sdk = "polar-sdk 1.0.2"
    out = []
    if ran("(1)"):
        r1 = get("(1)", sdk) / get("(1)", ours)
        floor1 = get("(1)", ours) / get("(1)", "raw floor, sequential")
        out.append(
            f"(1) {r1:.1f}x polar-sdk 1.0.2 (target 10x), {floor1:.2f} of the sequential "
            f"floor's time (target at most 1.00): "
            f"{'met' if r1 >= 10 and floor1 <= 1 else 'MISSED'}"
        )
    if ran("(1b)"):
        r1b = get("(1b)", SHAPES_2027) / get("(1b)", SHAPES_2026)
        out.append(
            f"(1b) the 2027-01 walk takes {r1b:.2f}x the 2026-10 walk's time, timed in turns "
            "(target at most 1.05; instruction counts, `python -m benchmarks.instructions "
            "--workloads walk-2026-10,walk-2027-01`, settle what this machine's clock cannot): "
            f"{'met' if r1b <= 1.05 else 'MISSED'}"
        )
    if ran("(3)"):
        r3 = get("(3)", one) / get("(3)", ours)
        out.append(
            f"(3) default {r3:.1f}x concurrency=1 (target 5x): {'met' if r3 >= 5 else 'MISSED'}"
        )
    if ran("(4)"):
        r4 = get("(4)", "polar-sdk 1.0.2, request_access_token=") / get("(4)", WITH_TOKEN)
        f4 = get("(4)", WITH_TOKEN) / get("(4)", "raw floor")
        out.append(
            f"(4) {r4:.1f}x polar-sdk 1.0.2 with request_access_token= (target 15x), "
            f"{f4:.2f}x the floor's time (target at most 1.25): "
            f"{'met' if r4 >= 15 and f4 <= 1.25 else 'MISSED'}"
        )
    if ran("(5)"):
        r5 = get("(5)", sdk) / get("(5)", "polar_seats")
        out.append(
            f"(5) decoding {r5:.1f}x polar-sdk 1.0.2 (target 10x): "
            f"{'met' if r5 >= 10 else 'MISSED'}"
        )
        r5b = get("(5b)", sdk) / get("(5b)", "polar_seats")
        out.append(f"(5b) with legacy prices, decoding {r5b:.1f}x polar-sdk 1.0.2 (no target)")
    if ran("(6)"):
        small = get("(6) peak memory, 1,000", ours)
        large = get("(6) peak memory, 100,000", ours)
        grew = (large - small) / 2**20
        out.append(
            f"(6) streaming 100,000 items peaks {grew:.1f} MiB above 1,000 (target at most "
            f"10 MiB): {'met' if grew <= 10 else 'MISSED'}"
        )
    if ran("(7)"):
        r7 = get("(7)", WARM) / get("(7)", WITH_TOKEN)
        kept = get("(7)", WARM) / get("(7)", KEPT_WITH_TOKEN)
        out.append(
            f"(7) for_customer() with warm sessions takes {r7:.2f}x the time of (4)'s "
            f"with_token() client, timed in turns with it (target at most 1.10): "
            f"{'met' if r7 <= 1.10 else 'MISSED'}; {kept:.2f}x with_token() on a client "
            "kept open like it (no target)"
        )
    if ran("(8)"):
        cold = get("(8)", COLD)
        r8 = cold / get("(7)", WITH_TOKEN)
        mints = next(row.note for row in rows if row.benchmark.startswith("(8)"))
        out.append(
            f"(8) for_customer() with a new client a run: {cold * 1000:.0f} ms, {r8:.2f}x "
            f"with_token()'s time (no target); the server counted {mints} (must be exactly "
            f"{len(CUSTOMERS)}, checked on every run): met"
        )
    if ran("(9)"):
        r9 = get("(9)", fleet.IN_REDIS) / get("(9)", fleet.IN_PROCESS)
        note = next(row.note for row in rows if row.benchmark.startswith("(9)"))
        per_request = float(note.split()[0])
        out.append(
            f"(9) the Redis budget takes {r9:.2f}x the in-process budget's time (target at "
            f"most 1.5x); {note} (target 1): "
            f"{'met' if r9 <= 1.5 and per_request <= 1.0 else 'MISSED'}"
        )
    return out


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "not installed"

    return (
        f"{cpu}, {os.cpu_count()} cores; {platform.python_implementation()} "
        f"{platform.python_version()} on {platform.system()}; "
        f"polar-seats {version('polar-seats')}, "
        f"aiohttp {version('aiohttp')}, msgspec {version('msgspec')}, {sdk_versions()}, "
        f"httpx {version('httpx')}, adaptix {version('adaptix')}, "
        f"pydantic {version('pydantic')}"
    )


def sdk_versions() -> str:
    """Each polar-sdk found, with the module it provides.

    Two releases of the one distribution run side by side: 1.0.2 provides ``polar`` and
    0.32.0 (from its own folder on PYTHONPATH) ``polar_sdk``. ``metadata.version`` would
    name only the first one on the path, so each copy is asked for its own files.
    """
    found: dict[str, str] = {}
    for dist in metadata.distributions(name="polar-sdk"):
        files = dist.files or []
        module = "polar_sdk" if any(f.parts[0] == "polar_sdk" for f in files) else "polar"
        found.setdefault(dist.version, module)
    if not found:
        return "polar-sdk not installed"
    return ", ".join(
        f"polar-sdk {number} (the `{module}` package)" for number, module in found.items()
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--write", type=Path, help="write the performance page here")
    parser.add_argument(
        "--only",
        type=_benchmarks,
        default=BENCHMARKS,
        metavar="N,N,...",
        help="run only these benchmarks, by number (1-9; 1 is (1) and (1b), 5 is (5) and (5b)); "
        "not with --write",
    )
    parser.add_argument(
        "--gc",
        choices=("both", "frozen", "default"),
        default="both",
        help="the collector policies to run the suite with (default: both); not with --write",
    )
    args = parser.parse_args()
    if args.write is not None and (args.only != BENCHMARKS or args.gc != "both"):
        parser.error("--write needs a full run: leave out --only and --gc")
    servers = Servers()
    frozen: list[Row] = []
    default: list[Row] = []
    memory: list[Row] = []
    try:
        if args.gc in ("both", "frozen"):
            print("gc frozen after warm-up:")
            frozen = asyncio.run(run_suite(servers, args.reps, freeze=True, only=args.only))
        if args.gc in ("both", "default"):
            print("gc defaults:")
            default = asyncio.run(run_suite(servers, args.reps, freeze=False, only=args.only))
        if "6" in args.only:
            print("peak memory:")
            memory = memory_rows(servers)
    finally:
        servers.close()
    results = "\n".join(f"- {line}" for line in verdicts(default + memory))
    frozen_results = "\n".join(f"- {line}" for line in verdicts(frozen + memory))
    if default or not frozen:
        print(results)
    if frozen:
        print("with the collector frozen:")
        print(frozen_results)
    if args.write is not None:
        from .report import render

        args.write.write_text(
            render(
                machine=machine(),
                reps=args.reps,
                sdk032=clients.sdk032_available(),
                default=table(default),
                frozen=table(frozen),
                memory=table(memory),
                verdicts=results,
                frozen_verdicts=frozen_results,
            )
        )


def _benchmarks(text: str) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(part.strip().removesuffix("b") for part in text.split(",")))
    unknown = [n for n in chosen if n not in BENCHMARKS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"benchmarks are numbered {', '.join(BENCHMARKS)} (got {text!r})"
        )
    return chosen


if __name__ == "__main__":
    main()
