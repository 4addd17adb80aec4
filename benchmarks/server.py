"""A Polar-like server for benchmarks, run in its own process so it never competes with the
client for the event loop.

Bodies are assembled from pre-encoded pieces, so serving a page costs a join, not JSON
encoding: the server is not what is measured. Item ``n`` of a listing is one of 1,000
seeded subscriptions with a unique id derived from ``n``, so 100,000 items cost no more
memory than 1,000.

``POST /v1/customer-sessions/`` mints a customer session the same way: a body template cut
once from a real answer of Polar's, with a fresh token (``polar_cst_minted_<n>``), id and
times per mint. The listings accept those tokens (and refuse a number never minted, or an
organization token), and ``GET /_stats`` tells how many sessions each organization token
minted (and how many listing requests it answered), so a benchmark can count the mints
(and requests) a client made.

Every answer carries the ``Polar-Version`` the request asked for (Polar's Current version
when it named none), as Polar's does, so no client is told it was served another version.
A request for 2027-01 gets that version's seat-based prices (``tiers``, ``minimum_units``,
``maximum_units`` for ``seat_tiers``: the fake's ``reshape_2027_01``), every other version
the shape of 2026-04 and 2026-10. Both are cut from the same 1,000 subscriptions, so a page
of either holds the same prices, of the same kinds, in the same order (a quarter of the
items have a seat-based price; :func:`price_kinds` counts them).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import datetime
import math
import re
import socket
import sys
from collections.abc import Callable
from typing import Any

import msgspec
from aiohttp import web

from polar_seats import versions
from polar_seats.testing import PRICE_KINDS, make_subscription
from polar_seats.testing._resources.subscriptions import reshape_2027_01

TEMPLATES = 1000
_MARK = "@@ID@@"
# polar-sdk 0.32.0 fails a whole page on the price kinds the newer contract added, so the
# benchmark serves only kinds every client can read: all are timed on the same bytes.
_NEWER_KINDS = {"unit_based", "metered_tiers"}
# Legacy prices are the recurring prices of products made before Polar's current price
# model; listings serve current prices, and (5) also times a page where a third of the items
# carry a legacy price, which polar_seats decodes on its slower path.
_LEGACY_KINDS = {"legacy_fixed", "legacy_custom"}
RESHAPED = "2027-01"
"""The version whose seat-based prices this server sends in their 2027-01 shape."""


MINTED_PREFIX = "polar_cst_minted_"
# Polar's answer to a mint (tests/real_polar/exchanges/02-customer-sessions/), with the
# parts that change per mint marked.
_SESSION_TEMPLATE = (
    b'{"created_at":"@@CREATED@@","modified_at":null,"id":"@@ID@@","token":"@@TOKEN@@",'
    b'"expires_at":"@@EXPIRES@@","return_url":null,"customer_portal_url":'
    b'"http://127.0.0.1:3000/seat-co/portal?customer_session_token=@@TOKEN@@'
    b'&email=alice%40seatco-clients.com","customer_id":"ff396d0b-2d8e-4274-9d4f-4d82d6bb7ccf",'
    b'"customer":{"id":"ff396d0b-2d8e-4274-9d4f-4d82d6bb7ccf","created_at":'
    b'"2026-12-01T19:14:19.151802Z","modified_at":null,"metadata":{},"external_id":@@EXTERNAL@@,'
    b'"email":"alice@seatco-clients.com","email_verified":true,"type":"individual",'
    b'"name":"Alice Claimant","billing_name":"Alice Claimant","billing_address":null,'
    b'"tax_id":null,"locale":null,"organization_id":"5ffc2b64-fbcc-4b8a-a457-f41d4acdec4a",'
    b'"default_payment_method_id":null,"deleted_at":null,"first_user_event_at":null,'
    b'"avatar_url":null}}'
)
_HOUR = datetime.timedelta(hours=1)


def _cut(template: bytes) -> tuple[list[bytes], list[str]]:
    """The fixed pieces of ``template`` and the names of the marks between them."""
    parts = re.split(rb"@@([A-Z]+)@@", template)
    return parts[0::2], [name.decode() for name in parts[1::2]]


class Sessions:
    """Mints customer sessions and knows which tokens it minted."""

    def __init__(self, clock: Callable[[], datetime.datetime] | None = None) -> None:
        self.pieces, self.marks = _cut(_SESSION_TEMPLATE)
        self.minted = 0
        self.by_organization_token: collections.Counter[str] = collections.Counter()
        self._clock = clock or (lambda: datetime.datetime.now(datetime.UTC))

    def mint(self, organization_token: str, external_id: str | None) -> bytes:
        n = self.minted
        self.minted += 1
        self.by_organization_token[organization_token] += 1
        created = self._clock()
        values = {
            "CREATED": _iso(created),
            "EXPIRES": _iso(created + _HOUR),
            "ID": item_id(n).encode(),
            "TOKEN": f"{MINTED_PREFIX}{n}".encode(),
            "EXTERNAL": msgspec.json.encode(external_id),
        }
        out = [self.pieces[0]]
        for mark, piece in zip(self.marks, self.pieces[1:], strict=True):
            out.append(values[mark])
            out.append(piece)
        return b"".join(out)

    def knows(self, token: str) -> bool:
        """Whether ``token`` is a customer session this server would accept."""
        if not token.startswith(MINTED_PREFIX):
            return token.startswith(("polar_cst_", "polar_mst_"))
        number = token[len(MINTED_PREFIX) :]
        return number.isdigit() and int(number) < self.minted


def _iso(moment: datetime.datetime) -> bytes:
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds").encode() + b"Z"


def _unauthorized(error: str = "Unauthorized") -> web.Response:
    return web.json_response({"error": error, "detail": error}, status=401)


def item_id(n: int) -> str:
    """The id of item ``n`` (from 0): a valid UUID string, unique per ``n``."""
    return f"{n:08x}-0000-4000-8000-{n:012x}"


def templates(*, legacy: bool = False, version: str = "2026-10") -> list[dict[str, Any]]:
    """The 1,000 subscriptions a listing repeats, as ``version`` sends them."""
    left_out = _NEWER_KINDS if legacy else _NEWER_KINDS | _LEGACY_KINDS
    kinds = len(PRICE_KINDS)
    indexes = [i for i in range(10 * TEMPLATES) if PRICE_KINDS[i % kinds] not in left_out]
    raws = [make_subscription(index, seed=42) for index in indexes[:TEMPLATES]]
    return [reshape_2027_01(raw) for raw in raws] if version == RESHAPED else raws


def price_kinds(*, legacy: bool = False, version: str = "2026-10") -> collections.Counter[str]:
    """How many price objects of each kind the templates hold, the shape included
    (``seat_based 2027-01``): each subscription sends its first price three times
    (``price``, ``prices``, ``product.prices``) and about 30% of them a metered one too."""
    counts: collections.Counter[str] = collections.Counter()
    for raw in templates(legacy=legacy, version=version):
        for price in [raw["price"], *raw["prices"], *raw["product"]["prices"]]:
            kind = price["amount_type"]
            if kind == "seat_based":
                kind += " 2027-01" if "tiers" in price else " 2026-04"
            counts["legacy " + kind if price.get("legacy") else kind] += 1
    return counts


class Listing:
    """The bodies of a listing of ``total`` claimed subscriptions, in ``version``'s shape."""

    def __init__(self, total: int, *, legacy: bool = False, version: str = "2026-10") -> None:
        self.total = total
        self.pieces: list[tuple[bytes, bytes]] = []
        for raw in templates(legacy=legacy, version=version):
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


def asked_version(request: web.Request) -> str:
    """The version to serve: the one the request names, else Polar's Current one."""
    return request.headers.get("Polar-Version") or versions.current()


def make_app(latency: float) -> web.Application:
    listings: dict[tuple[int, str], Listing] = {}
    sessions = Sessions()
    listing_requests = 0

    async def handle(request: web.Request) -> web.Response:
        nonlocal listing_requests
        listing_requests += 1
        authorization = request.headers.get("Authorization", "")
        if not authorization.startswith("Bearer "):
            return _unauthorized()
        if not sessions.knows(authorization[7:]):
            return _unauthorized("invalid_token")
        total = int(request.match_info["total"])
        version = asked_version(request)
        shape = RESHAPED if version == RESHAPED else "2026-10"
        listing = listings.get((total, shape)) or listings.setdefault(
            (total, shape), Listing(total, version=shape)
        )
        page = int(request.query.get("page", "1"))
        limit = int(request.query.get("limit", "10"))
        if latency:
            await asyncio.sleep(latency)
        return web.Response(
            body=listing.body(page, limit),
            content_type="application/json",
            headers={"Polar-Version": version},
        )

    async def mint(request: web.Request) -> web.Response:
        authorization = request.headers.get("Authorization", "")
        if not authorization.startswith("Bearer polar_oat_"):
            return _unauthorized()
        body = msgspec.json.decode(await request.read())
        named = [field for field in ("customer_id", "external_customer_id") if field in body]
        if len(named) != 1:
            return web.json_response({"detail": "name the customer once"}, status=422)
        if latency:
            await asyncio.sleep(latency)
        return web.Response(
            body=sessions.mint(authorization[7:], body.get("external_customer_id")),
            status=201,
            content_type="application/json",
            headers={"Polar-Version": asked_version(request)},
        )

    async def stats(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "mints": sessions.minted,
                "mints_by_token": dict(sessions.by_organization_token),
                "listing_requests": listing_requests,
            }
        )

    app = web.Application()
    # The listing size is part of the path, so one server serves every benchmark.
    app.router.add_get("/{total:\\d+}/v1/customer-portal/seats/subscriptions", handle)
    app.router.add_post("/{total:\\d+}/v1/customer-sessions/", mint)
    app.router.add_get("/_stats", stats)
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
