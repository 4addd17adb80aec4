"""A Polar-like server for benchmarks, run in its own process so it never competes with the
client for the event loop.

Bodies are assembled from pre-encoded pieces, so serving a page costs a join, not JSON
encoding: the server is not what is measured. Item ``n`` of a listing is one of 1,000
seeded subscriptions with a unique id derived from ``n``, so 100,000 items cost no more
memory than 1,000.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import socket
import sys

import msgspec
from aiohttp import web

from polar_seats.testing import PRICE_KINDS, make_subscription

TEMPLATES = 1000
_MARK = "@@ID@@"
# polar-sdk 0.32.0 fails a whole page on the price kinds the newer contract added, so the
# benchmark serves only kinds every client can read: all are timed on the same bytes.
_NEWER_KINDS = {"unit_based", "metered_tiers"}
# Legacy prices are the recurring prices of products made before Polar's current price
# model; listings serve current prices, and (5) also times a page where a third of the items
# carry a legacy price, which polar_seats decodes on its slower path.
_LEGACY_KINDS = {"legacy_fixed", "legacy_custom"}


def item_id(n: int) -> str:
    """The id of item ``n`` (from 0): a valid UUID string, unique per ``n``."""
    return f"{n:08x}-0000-4000-8000-{n:012x}"


class Listing:
    """The bodies of a listing of ``total`` claimed subscriptions."""

    def __init__(self, total: int, *, legacy: bool = False) -> None:
        self.total = total
        self.pieces: list[tuple[bytes, bytes]] = []
        left_out = _NEWER_KINDS if legacy else _NEWER_KINDS | _LEGACY_KINDS
        kinds = len(PRICE_KINDS)
        indexes = (i for i in range(10 * TEMPLATES) if PRICE_KINDS[i % kinds] not in left_out)
        for index in list(indexes)[:TEMPLATES]:
            raw = make_subscription(index, seed=42)
            encoded = msgspec.json.encode(dict(raw, id=_MARK))
            head, tail = encoded.split(_MARK.encode(), 1)
            self.pieces.append((head, tail))

    def body(self, page: int, limit: int) -> bytes:
        limit = min(limit, 100)
        start = (page - 1) * limit
        stop = min(start + limit, self.total)
        items = b",".join(
            head + item_id(n).encode() + tail
            for n in range(start, stop)
            for head, tail in (self.pieces[n % TEMPLATES],)
        )
        max_page = math.ceil(self.total / limit)
        return (
            b'{"items":['
            + items
            + b'],"pagination":{"total_count":%d,"max_page":%d}}' % (self.total, max_page)
        )


def make_app(latency: float) -> web.Application:
    listings: dict[int, Listing] = {}

    async def handle(request: web.Request) -> web.Response:
        if not request.headers.get("Authorization", "").startswith("Bearer polar_"):
            return web.json_response(
                {"error": "Unauthorized", "detail": "Unauthorized"}, status=401
            )
        total = int(request.match_info["total"])
        listing = listings.get(total) or listings.setdefault(total, Listing(total))
        page = int(request.query.get("page", "1"))
        limit = int(request.query.get("limit", "10"))
        if latency:
            await asyncio.sleep(latency)
        return web.Response(
            body=listing.body(page, limit),
            content_type="application/json",
            headers={"Polar-Version": "2026-04"},
        )

    app = web.Application()
    # The listing size is part of the path, so one server serves every benchmark.
    app.router.add_get("/{total:\\d+}/v1/customer-portal/seats/subscriptions", handle)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per answer")
    args = parser.parse_args()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    print(sock.getsockname()[1], flush=True)
    sys.stdout.close()
    web.run_app(make_app(args.latency), sock=sock, print=None, access_log=None)


if __name__ == "__main__":
    main()
