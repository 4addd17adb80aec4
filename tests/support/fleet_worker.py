"""A fleet of processes for the fleet tests: ``python -m tests.support.fleet_worker N '<json>'``.

It imports the library once, then forks N processes (before any event loop or thread
exists), which start at the same moment. Each walks one customer's claimed subscriptions
through ``for_customer`` as often as it is told and prints what it saw as one JSON line:
the items of each walk (-1 for a walk that failed) and the warnings it logged.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
from typing import Any

import polar_seats as ps


class Count(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


async def run(task: dict[str, Any]) -> dict[str, Any]:
    store = task.get("store")
    client = ps.AsyncClient(
        organization_token=task["organization_token"],
        base_url=task["url"],
        rate_limit=ps.RateLimit(task["limit"], per=task["window"]),
        rate_limit_store=store,
        session_store=store,
        rate_limit_prefix=task.get("prefix", "polar-seats:"),
    )
    for shared in (client._shared.rate_store, client._shared.session_store):
        if shared is not None:
            # These tests are about sharing, not about a slow Redis (test_fleet has its
            # own): a busy 2-core machine may pause a process longer than 0.5 s.
            shared.timeout = 5.0
    me = client.for_customer(external_customer_id=task["customer"])
    async with client:
        await asyncio.sleep(max(0.0, task["start_at"] - time.time()))

        async def walk() -> int:
            try:
                return len([s async for s in me.iter_claimed_subscriptions(limit=task["page"])])
            except ps.PolarError:
                return -1

        items: list[int] = []
        for _ in range(task["rounds"]):
            items += await asyncio.gather(*(walk() for _ in range(task["walks"])))
    return {"items": items}


def child(task: dict[str, Any]) -> None:
    counted = Count()
    logging.getLogger("polar_seats").addHandler(counted)
    result = asyncio.run(run(task))
    sys.stdout.write(json.dumps({**result, "warnings": counted.messages}) + "\n")
    sys.stdout.flush()


def main() -> None:
    processes, task = int(sys.argv[1]), json.loads(sys.argv[2])
    task["start_at"] = time.time() + 0.2 + 0.05 * processes
    children = []
    for _ in range(processes):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child's coverage is not collected
            try:
                child(task)
            finally:
                os._exit(0)
        children.append(pid)
    failed = [pid for pid in children if os.waitpid(pid, 0)[1] != 0]
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
