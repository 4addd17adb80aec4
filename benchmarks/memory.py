"""Peak memory of one walk, measured in a fresh process: ``python -m benchmarks.memory
CLIENT URL ITEMS`` prints how far the walk raised the process's resident size at its peak.

Linux only: the peak (VmHWM) is reset just before the walk through /proc/self/clear_refs,
because ``getrusage``'s figure carries the high-water mark of the parent that forked us.
"""

from __future__ import annotations

import asyncio
import gc
import sys
from pathlib import Path

from . import clients

WALKS = {
    "polar_seats": clients.polar_seats_walk(None),
    "polar_seats concurrency=1": clients.polar_seats_walk(1),
    "polar-sdk 1.0.2": clients.sdk1_walk,
    "polar-sdk 0.32.0": clients.sdk032_walk,
    "raw floor, sequential": clients.floor_walk(1),
    "raw floor, 8 in flight": clients.floor_walk(8),
}


def status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")


async def measure(name: str, url: str, items: int) -> int:
    walk = WALKS[name]
    # A short walk first, so imports, connections and caches are in the baseline.
    await walk(f"{url}/200", 100)
    gc.collect()
    reset_peak()
    before = status("VmRSS")
    tally = await walk(f"{url}/{items}", 100)
    if tally.count != items:
        raise SystemExit(f"{name} read {tally.count} items, not {items}")
    return status("VmHWM") - before


def main() -> None:
    name, url, items = sys.argv[1], sys.argv[2], int(sys.argv[3])
    print(asyncio.run(measure(name, url, items)))


if __name__ == "__main__":
    main()
