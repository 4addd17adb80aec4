"""Instructions (callgrind's Ir) a fixed client workload executes: the A/B that a wall clock
on a shared machine cannot settle to a few percent.

``python -m benchmarks.instructions`` counts the current tree's ``polar_seats``;
``python -m benchmarks.instructions f431654`` counts that revision too (exported under
another package name, as ``benchmarks.ab`` does) and gives the ratio new ÷ old.
``--workloads`` picks what is run (default ``walk,calls``):

- ``walk``: benchmark (1), a walk of 10,000 items in 100-item pages, default concurrency;
- ``calls``: benchmark (4), 2,000 calls of a 10-item page over 500 tokens through
  ``with_token()``, 64 at once;
- ``walk-2026-10``, ``walk-2027-01``: (1) with ``polar_version=`` that version, which the
  server answers in that version's shapes (``benchmarks.server``); the current tree only,
  as older revisions do not read 2027-01;
- ``s1-client``, ``s1-async``: ``benchmarks.sync``'s (S1), 500 calls one at a time through
  ``Client`` and through ``AsyncClient``;
- ``s2-client``: (S2), 500 calls over 500 tokens from 10 threads sharing one ``Client``
  (valgrind runs one thread at a time, so the threads interleave differently than on two
  cores, and from count to count).

The sync workloads run in threads of their own (the ``Client``'s loop, the caller threads),
which callgrind's per-thread toggle would leave out; each is counted whole instead, twice: a
fresh interpreter runs it once, or twice, after the warm-up, and the difference of the two
totals is one run.

Each workload runs as the benchmarks run it (``benchmarks.clients``: a new client a run,
``rate_limit=None``, Python's default garbage collector), against the benchmark server,
which runs natively in a process of its own and is not counted. Each count is a fresh
interpreter under ``valgrind --tool=callgrind --collect-atstart=no
--toggle-collect=sys_call_tracing``: it imports the client, runs the workload once to warm
up (imports, decoders, first-call caches), checks the answer, then runs it again inside
``sys.call_tracing()`` (CPython's C function ``sys_call_tracing``, which nothing else on
this path calls, and which only calls its argument when no tracer is set), so the total is
that one run: the client, aiohttp, msgspec, the event loop and the collector, and
neither start-up, imports nor the warm-up. Every run's items are checked (count and ids),
and the server's count of listing requests must be what the workload makes (a retry would
show there). ``--repeat`` counts each version that many times, taking turns (old, new, new,
old, ...); the counts vary a little from run to run with how the socket's bytes arrive.

``--out DIR`` keeps the callgrind files (``<workload>.<version>.<n>.out``) for
``callgrind_annotate``; Python functions show as the interpreter's C functions there.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import importlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from . import clients
from .clients import Tally
from .run import TOKENS, calls_wanted, expected

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = ("walk", "calls", "walk-2026-10", "walk-2027-01", "s1-client", "s1-async", "s2-client")
SYNC_WORKLOADS = ("s1-client", "s1-async", "s2-client")
SYNC_CALLS = 500
NEW = "polar_seats"
"""The package name of the current tree's client."""


def _workload(
    name: str, client_class: Any, url: str
) -> tuple[Callable[[], Awaitable[Tally]], Tally, int]:
    """The run, the answer it must give, and the listing requests it makes."""
    if name == "calls":
        run = functools.partial(
            clients.polar_seats_calls, f"{url}/10", TOKENS, 2_000, client_class=client_class
        )
        return run, calls_wanted(2_000), 2_000
    version = name.removeprefix("walk-") if name.startswith("walk-") else None
    walk = clients.polar_seats_walk(None, client_class, polar_version=version)
    return functools.partial(walk, f"{url}/10000", 100), expected(10_000), 100


def _listing_requests(url: str) -> int:
    with urllib.request.urlopen(f"{url}/_stats") as response:
        count: int = json.loads(response.read())["listing_requests"]
        return count


def _sync_workload(name: str, module: Any, url: str) -> tuple[Callable[[], Tally], Tally, int]:
    """A sync workload's run, the answer it must give, and the listing requests it makes."""
    from . import sync

    run: Callable[[], Tally]
    if name == "s1-client":
        run = functools.partial(sync.sync_calls, f"{url}/10", SYNC_CALLS, module.Client)
    elif name == "s1-async":
        run = functools.partial(sync.async_calls, f"{url}/10", SYNC_CALLS, module.AsyncClient)
    else:
        run = functools.partial(sync.shared_client, f"{url}/10", SYNC_CALLS, module.Client)
    return run, calls_wanted(SYNC_CALLS), SYNC_CALLS


def worker(name: str, package: str, url: str, runs: int) -> None:
    """Under callgrind: warm up, then run ``name`` once inside ``sys.call_tracing`` (a sync
    workload: ``runs`` times, all of it counted)."""
    module = importlib.import_module(package)
    if name in SYNC_WORKLOADS:
        sync_run, want, requests = _sync_workload(name, module, url)
        check_run(name, package, url, lambda: [sync_run()], want, requests)
        check_run(name, package, url, lambda: [sync_run() for _ in range(runs)], want, requests)
        return
    run, want, requests = _workload(name, module.AsyncClient, url)
    loop = asyncio.new_event_loop()
    check_run(name, package, url, lambda: [loop.run_until_complete(run())], want, requests)
    check_run(
        name,
        package,
        url,
        lambda: [sys.call_tracing(loop.run_until_complete, (run(),))],
        want,
        requests,
    )
    loop.close()


def check_run(
    name: str,
    package: str,
    url: str,
    runs: Callable[[], list[Tally]],
    want: Tally,
    requests: int,
) -> None:
    """Call ``runs``; refuse any wrong answer, or a request more or less than planned."""
    before = _listing_requests(url)
    got = runs()
    made = _listing_requests(url) - before
    if any(tally != want for tally in got) or made != requests * len(got):
        raise SystemExit(
            f"{name} with {package}: {got} in {made} requests, not {want} in {requests} a run"
        )


def _start_server() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.server", "--latency", "0"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert process.stdout is not None
    return process, f"http://127.0.0.1:{process.stdout.readline().strip()}"


def total_ir(out_file: Path) -> int:
    """The Ir callgrind counted, from its output file's ``totals:`` (or ``summary:``)."""
    found: dict[str, int] = {}
    for line in out_file.read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("totals", "summary"):
            found[key] = int(value.split()[0])
    return found.get("totals", found.get("summary", 0))


def count(name: str, package: str, path: Path | None, url: str, out_file: Path) -> int:
    """One run of workload ``name`` of ``package``, counted by callgrind."""
    if name not in SYNC_WORKLOADS:
        return _count(name, package, path, url, out_file, ["--toggle-collect=sys_call_tracing"])
    twice = _count(name, package, path, url, out_file, [], runs=2)
    once = _count(name, package, path, url, out_file.with_suffix(".once.out"), [], runs=1)
    return twice - once


def _count(
    name: str,
    package: str,
    path: Path | None,
    url: str,
    out_file: Path,
    collect: list[str],
    runs: int = 1,
) -> int:
    """A fresh interpreter under callgrind running the worker: what it counted in all."""
    env = dict(os.environ, PYTHONHASHSEED="0")
    if path is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(path), env.get("PYTHONPATH")]))
    command = [
        "valgrind",
        "--tool=callgrind",
        f"--collect-atstart={'no' if collect else 'yes'}",
        *collect,
        f"--callgrind-out-file={out_file}",
        sys.executable,
        "-m",
        "benchmarks.instructions",
        "--worker",
        name,
        "--package",
        package,
        "--url",
        url,
        "--runs",
        str(runs),
    ]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return total_ir(out_file)


def _describe(label: str, counts: list[int]) -> str:
    median = statistics.median(counts)
    spread = (max(counts) - min(counts)) / median
    listed = ", ".join(f"{n:,}" for n in counts)
    return f"  {label:22} median {median:15,.0f} Ir  (runs: {listed}; spread {spread:.2%})"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("revision", nargs="?", help="an older revision to count too, e.g. f431654")
    parser.add_argument(
        "--workloads", default="walk,calls", help=f"comma-separated, of {', '.join(WORKLOADS)}"
    )
    parser.add_argument("--repeat", type=int, default=1, help="counts of each version")
    parser.add_argument("--out", type=Path, help="keep the callgrind files in this folder")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--package", default=NEW, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--runs", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        worker(args.worker, args.package, args.url, args.runs)
        return
    workloads = [name.strip() for name in args.workloads.split(",")]
    unknown = [name for name in workloads if name not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workloads {unknown}: pick from {', '.join(WORKLOADS)}")
    if args.revision is not None and any(name.startswith("walk-") for name in workloads):
        parser.error("walk-2026-10 and walk-2027-01 count the current tree only")
    with tempfile.TemporaryDirectory(prefix="instructions-") as folder:
        out = args.out or Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        versions: dict[str, tuple[str, Path | None]] = {}
        if args.revision is not None:
            from .ab import export

            old = export(args.revision, Path(folder))
            versions["old"] = (old.__name__, Path(folder))
            print(f"old: {old.__name__} (revision {args.revision})")
        versions["new"] = (NEW, None)
        print(f"new: polar_seats from {ROOT / 'polar_seats'}", flush=True)
        server, url = _start_server()
        medians: dict[str, float] = {}
        try:
            for name in workloads:
                counts: dict[str, list[int]] = {label: [] for label in versions}
                labels = list(versions)
                for n in range(args.repeat):
                    for label in labels if n % 2 == 0 else labels[::-1]:
                        package, path = versions[label]
                        out_file = out / f"{name}.{label}.{n}.out"
                        counts[label].append(count(name, package, path, url, out_file))
                print(f"{name}: {args.repeat} count(s) of each", flush=True)
                for label, found in counts.items():
                    print(_describe(f"{label} ({versions[label][0]})", found), flush=True)
                if "old" in counts:
                    ratio = statistics.median(counts["new"]) / statistics.median(counts["old"])
                    print(f"  new/old {ratio:.4f}", flush=True)
                medians[name] = statistics.median(counts["new"])
            if "walk-2026-10" in medians and "walk-2027-01" in medians:
                ratio = medians["walk-2027-01"] / medians["walk-2026-10"]
                print(f"walk-2027-01/walk-2026-10 {ratio:.4f}", flush=True)
        finally:
            server.terminate()
            server.wait()
        if args.out is not None:
            print(f"callgrind files in {out}")


if __name__ == "__main__":
    main()
