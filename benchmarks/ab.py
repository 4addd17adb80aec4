"""A/B of polar_seats against an older revision of itself, in one process.

``python -m benchmarks.ab 48cf389`` exports that revision's ``polar_seats/`` into a
temporary folder under another package name, and times benchmarks (1) (walking 10,000
items, 100-item pages), (3) (the same walk with 20 ms answers) and (4) (2,000 calls of one
10-item page over 500 tokens through ``with_token``) for the old copy and for the
``polar_seats`` this interpreter imports, taking turns (old, new, new, old, ...), so a
slow stretch of this shared machine weighs on both alike. Both run the benchmark's own
code (``clients.polar_seats_walk`` and ``clients.polar_seats_calls`` with the client
class passed in) against the benchmark's own server (the current ``benchmarks/server.py``),
with the benchmark's settings: ``rate_limit=None`` and the default concurrency.

The package uses only relative imports, so a copy under another name is a second,
independent library; ``polar_seats.testing`` is left out of the copy (only the CLI uses it,
and the server is the current one).

``python -m benchmarks.ab 48cf389 --sync`` times ``benchmarks.sync``'s scenarios instead,
through each version's ``Client``: (S1) 1,000 calls one at a time, and (S2) 2,000 calls
over 500 tokens from 10 threads sharing one ``Client``, taking turns the same way.

``python -m benchmarks.ab --polar-versions 2026-10,2027-01`` instead times (1) and (3) for
the ``polar_seats`` this interpreter imports asking for each of two API versions, which the
server answers in that version's shapes (the same items and prices), taking turns the same
way: "old" is the first version, "new" the second.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import functools
import importlib
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from types import ModuleType

import polar_seats

from . import clients
from .clients import Tally
from .run import TOKENS, Servers, expected, timed_each
from .server import item_id

ROOT = Path(__file__).resolve().parent.parent


def _imports_polar_seats(node: ast.AST) -> bool:
    """An import statement (not an example in a docstring) naming ``polar_seats``."""
    if isinstance(node, ast.ImportFrom):
        names = [node.module or ""] if node.level == 0 else []
    elif isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        return False
    return any(name.split(".")[0] == "polar_seats" for name in names)


def export(revision: str, folder: Path) -> ModuleType:
    """Import ``revision``'s ``polar_seats`` as ``polar_seats_<commit>`` from ``folder``."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", f"{revision}^{{commit}}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    name = f"polar_seats_{commit}"
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit, "polar_seats"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    package = folder / name
    (folder / "polar_seats").rename(package)
    # The fake server and its fixtures: not needed, and a test-only dependency surface.
    subprocess.run(["rm", "-rf", str(package / "testing")], check=True)
    for path in package.rglob("*.py"):
        # The generated sync client imports the library by its name (``from
        # polar_seats._protocol import ...``): those lines name the exported package.
        text = path.read_text()
        renamed = re.sub(r"^(\s*)from polar_seats([. ])", rf"\1from {name}\2", text, flags=re.M)
        if renamed != text:
            path.write_text(renamed)
    absolute = [
        f"{path.relative_to(folder)}:{node.lineno}"
        for path in sorted(package.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if _imports_polar_seats(node)
    ]
    if absolute:
        # Such an import would load the new library into the old one.
        raise SystemExit(f"{commit} imports polar_seats absolutely: {', '.join(absolute)}")
    sys.path.insert(0, str(folder))
    module = importlib.import_module(name)
    if Path(module.__file__ or "").resolve().parent != package.resolve():
        raise SystemExit(f"{name} was imported from {module.__file__}, not from {package}")
    return module


def cpu_timed(
    run: Callable[[], Awaitable[Tally]], seconds: list[float]
) -> Callable[[], Awaitable[Tally]]:
    """``run``, appending this process's CPU seconds of each call to ``seconds``."""

    async def timed_run() -> Tally:
        started = time.process_time()
        try:
            return await run()
        finally:
            seconds.append(time.process_time() - started)

    return timed_run


def describe(name: str, seconds: list[float]) -> str:
    median = statistics.median(seconds)
    low, high = min(seconds), max(seconds)
    return (
        f"{name:4} median {median * 1000:8.1f} ms  min {low * 1000:8.1f}  max {high * 1000:8.1f}"
        f"  spread (max-min)/median {(high - low) / median:6.1%}"
    )


async def compare(servers: Servers, old: ModuleType, rounds: int, freeze: bool) -> list[str]:
    lines = []
    url = servers.fast
    cases: list[tuple[str, Mapping[str, Callable[[], Awaitable[Tally]]], Tally]] = [
        (
            "(1) 10,000 items, limit=100",
            {
                version: functools.partial(
                    clients.polar_seats_walk(None, module.AsyncClient), f"{url}/10000", 100
                )
                for version, module in (("old", old), ("new", polar_seats))
            },
            expected(10_000),
        ),
        (
            "(3) 100 pages, 20 ms latency",
            {
                version: functools.partial(
                    clients.polar_seats_walk(None, module.AsyncClient),
                    f"{servers.slow}/10000",
                    100,
                )
                for version, module in (("old", old), ("new", polar_seats))
            },
            expected(10_000),
        ),
        (
            "(4) 2,000 calls, 500 tokens, 64 at once",
            {
                version: functools.partial(
                    clients.polar_seats_calls,
                    f"{url}/10",
                    TOKENS,
                    2_000,
                    client_class=module.AsyncClient,
                )
                for version, module in (("old", old), ("new", polar_seats))
            },
            Tally.of(item_id(n % 10) for n in range(2_000 * 10)),
        ),
    ]
    for title, runs, want in cases:
        lines.extend(await _time_case(title, runs, want, rounds, freeze))
    return lines


def in_a_thread(run: Callable[[], Tally], seconds: list[float]) -> Callable[[], Awaitable[Tally]]:
    """``run`` in a thread of its own (a Client refuses calls from a coroutine), appending
    this process's CPU seconds of each call to ``seconds``."""

    async def threaded() -> Tally:
        started = time.process_time()
        try:
            return await asyncio.to_thread(run)
        finally:
            seconds.append(time.process_time() - started)

    return threaded


def compare_sync(servers: Servers, old: ModuleType, rounds: int) -> list[str]:
    """(S1) and (S2) of ``benchmarks.sync`` through the old and the new ``Client``."""
    from . import sync

    url = f"{servers.fast}/10"
    lines = []
    for title, calls, run in (
        ("(S1) 1,000 calls one at a time, Client", 1_000, sync.sync_calls),
        ("(S2) 2,000 calls, 500 tokens, 10 threads, one Client", 2_000, sync.shared_client),
    ):
        runs = {
            version: functools.partial(run, url, calls, module.Client)
            for version, module in (("old", old), ("new", polar_seats))
        }
        cpu: dict[str, list[float]] = {version: [] for version in runs}
        block = asyncio.run(
            _time_case(
                title,
                {version: in_a_thread(run, cpu[version]) for version, run in runs.items()},
                sync.calls_wanted(calls),
                rounds,
                freeze=False,
                cpu=cpu,
            )
        )
        lines.extend(block)
    return lines


async def compare_versions(
    servers: Servers, polar_versions: tuple[str, str], rounds: int, freeze: bool
) -> list[str]:
    """(1) and (3) for this ``polar_seats`` asking for each of ``polar_versions``."""
    lines = []
    for title, base in (
        ("(1) 10,000 items, limit=100", servers.fast),
        ("(3) 100 pages, 20 ms latency", servers.slow),
    ):
        runs = {
            label: functools.partial(
                clients.polar_seats_walk(None, polar_version=version), f"{base}/10000", 100
            )
            for label, version in zip(("old", "new"), polar_versions, strict=True)
        }
        title = f"{title}, Polar-Version {polar_versions[0]} (old) and {polar_versions[1]} (new)"
        lines.extend(await _time_case(title, runs, expected(10_000), rounds, freeze))
    return lines


async def _time_case(
    title: str,
    runs: Mapping[str, Callable[[], Awaitable[Tally]]],
    want: Tally,
    rounds: int,
    freeze: bool,
    cpu: dict[str, list[float]] | None = None,
) -> list[str]:
    """``runs["old"]`` and ``runs["new"]`` in turns; the lines that report them. ``cpu``
    holds each run's CPU seconds when the runs measure them themselves."""
    if cpu is None:
        cpu = {version: [] for version in runs}
        runs = {version: cpu_timed(run, cpu[version]) for version, run in runs.items()}
    times = await timed_each(runs, want, rounds, freeze)
    ratio = statistics.median(times["new"]) / statistics.median(times["old"])
    paired = sorted(new / old for old, new in zip(times["old"], times["new"], strict=True))
    block = [
        f"{title}: {rounds} rounds, gc {'frozen after warm-up' if freeze else 'defaults'}",
        "  " + describe("old", times["old"]),
        "  " + describe("new", times["new"]),
        f"  new/old of the medians {ratio:.3f}; per round: median "
        f"{statistics.median(paired):.3f}, range {paired[0]:.3f}-{paired[-1]:.3f}",
    ]
    # This process's CPU seconds (the server runs in another): what another process
    # running on this shared machine disturbs least. The first run is the warm-up.
    old_cpu, new_cpu = cpu["old"][1:], cpu["new"][1:]
    cpu_paired = sorted(new / old for old, new in zip(old_cpu, new_cpu, strict=True))
    block.append(
        f"  CPU: old {statistics.median(old_cpu) * 1000:.1f} ms, new "
        f"{statistics.median(new_cpu) * 1000:.1f} ms, new/old "
        f"{statistics.median(new_cpu) / statistics.median(old_cpu):.3f}; per round: "
        f"median {statistics.median(cpu_paired):.3f}, "
        f"range {cpu_paired[0]:.3f}-{cpu_paired[-1]:.3f}"
    )
    print("\n".join(block), flush=True)
    return block


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("revision", nargs="?", help="the old revision, e.g. 48cf389")
    parser.add_argument("--rounds", type=int, default=9, help="runs of each version")
    parser.add_argument("--freeze", action="store_true", help="gc.freeze() after warm-up")
    parser.add_argument("--sync", action="store_true", help="time the sync Client's scenarios")
    parser.add_argument(
        "--polar-versions",
        metavar="OLD,NEW",
        help="instead of a revision: two API versions for this polar_seats to ask for",
    )
    args = parser.parse_args()
    if (args.revision is None) == (args.polar_versions is None):
        parser.error("name one of: a revision, or --polar-versions")
    if args.polar_versions is not None:
        versions = tuple(version.strip() for version in args.polar_versions.split(","))
        if len(versions) != 2:
            parser.error("--polar-versions takes two versions, e.g. 2026-10,2027-01")
        print(f"polar_seats from {Path(polar_seats.__file__ or '').parent}", flush=True)
        servers = Servers()
        try:
            asyncio.run(compare_versions(servers, versions, args.rounds, args.freeze))
        finally:
            servers.close()
        return
    with tempfile.TemporaryDirectory(prefix="ab-old-") as folder:
        old = export(args.revision, Path(folder))
        print(f"old: {old.__name__} from {Path(old.__file__ or '').parent}")
        print(f"new: polar_seats from {Path(polar_seats.__file__ or '').parent}", flush=True)
        servers = Servers()
        try:
            if args.sync:
                compare_sync(servers, old, args.rounds)
            else:
                asyncio.run(compare(servers, old, args.rounds, args.freeze))
        finally:
            servers.close()


if __name__ == "__main__":
    main()
