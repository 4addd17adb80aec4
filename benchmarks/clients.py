"""Each client doing the benchmarked jobs, the way its documentation says to.

Every walk returns the ids it read, so the runner can refuse to time a wrong answer.
The official SDKs are imported lazily: a machine without one of them still runs the rest.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import aiohttp
import msgspec

import polar_seats as ps
from polar_seats.versions import DEFAULT as POLAR_VERSION

PATH = "/v1/customer-portal/seats/subscriptions"
TOKEN = "polar_cst_benchmark"
page_decoder = msgspec.json.Decoder(ps.Page[ps.CustomerSubscription], strict=False)


class Tally:
    """What a client read, in constant memory: how many ids, and a sum of their hashes."""

    __slots__ = ("count", "digest")

    def __init__(self) -> None:
        self.count = 0
        self.digest = 0

    def add(self, item_id: str) -> None:
        self.count += 1
        self.digest = (self.digest + hash(item_id)) & 0xFFFFFFFFFFFFFFFF

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Tally) and (self.count, self.digest) == (other.count, other.digest)

    def __repr__(self) -> str:
        return f"Tally(count={self.count}, digest={self.digest:#x})"

    @classmethod
    def of(cls, ids: Iterable[str]) -> Tally:
        tally = cls()
        for item_id in ids:
            tally.add(item_id)
        return tally


Walk = Callable[[str, int], Awaitable[Tally]]
Calls = Callable[[str, list[str], int], Awaitable[Tally]]


def sdk1_available() -> bool:
    try:
        import polar.v2026_04  # noqa: F401 - imported only to learn whether it is installed
    except ImportError:
        return False
    return True


def sdk032_available() -> bool:
    try:
        import polar_sdk  # noqa: F401 - imported only to learn whether it is installed
    except ImportError:
        return False
    return True


# Walks ----------------------------------------------------------------------------------


def polar_seats_walk(
    concurrency: int | None, client_class: Any = ps.AsyncClient, polar_version: str | None = None
) -> Walk:
    """``client_class`` is another version's ``AsyncClient`` in ``benchmarks.ab``;
    ``polar_version`` the API version the client asks for (its default if ``None``)."""

    async def walk(url: str, limit: int) -> Tally:
        options: dict[str, Any] = {} if concurrency is None else {"concurrency": concurrency}
        if polar_version is not None:
            options["polar_version"] = polar_version
        tally = Tally()
        async with client_class(TOKEN, base_url=url, rate_limit=None, **options) as client:
            async for sub in client.iter_claimed_subscriptions(limit=limit):
                tally.add(sub.id)
        return tally

    return walk


async def sdk1_walk(url: str, limit: int) -> Tally:
    from polar.v2026_04 import PolarAsync

    tally = Tally()
    async with PolarAsync(TOKEN, base_url=url, timeout=60.0) as polar:
        seats = polar.customer_portal.seats
        async for sub in seats.iter_list_claimed_subscriptions(limit=limit):
            tally.add(sub.id)
    return tally


async def sdk032_walk(url: str, limit: int) -> Tally:
    from polar_sdk import Polar, models

    security = models.CustomerPortalSeatsListClaimedSubscriptionsSecurity(customer_session=TOKEN)
    tally = Tally()
    with Polar(server_url=url, timeout_ms=60_000) as polar:
        seats = polar.customer_portal.seats
        res = await seats.list_claimed_subscriptions_async(security=security, limit=limit)
        while res is not None:
            for sub in res.result.items:
                tally.add(sub.id)
            # The SDK's documented way on: next() is synchronous and blocks the loop.
            res = res.next()
    return tally


def floor_walk(in_flight: int) -> Walk:
    """aiohttp and msgspec with nothing else: the least any client can do."""

    async def walk(url: str, limit: int) -> Tally:
        headers = {"Authorization": f"Bearer {TOKEN}", "Polar-Version": POLAR_VERSION}
        async with aiohttp.ClientSession(headers=headers) as session:

            async def get(page: int) -> ps.Page:
                query = {"page": str(page), "limit": str(limit)}
                async with session.get(url + PATH, params=query) as response:
                    return page_decoder.decode(await response.read())

            tally = Tally()
            first = await get(1)
            for sub in first.items:
                tally.add(sub.id)
            pages = range(2, first.pagination.max_page + 1)
            for start in range(0, len(pages), in_flight):
                batch = pages[start : start + in_flight]
                for page in await asyncio.gather(*(get(n) for n in batch)):
                    for sub in page.items:
                        tally.add(sub.id)
            return tally

    return walk


# Many tokens, one page each -------------------------------------------------------------


async def _spread(
    calls: int, concurrency: int, call: Callable[[int], Awaitable[list[str]]]
) -> Tally:
    gate = asyncio.Semaphore(concurrency)

    async def one(n: int) -> list[str]:
        async with gate:
            return await call(n)

    return Tally.of(
        item_id
        for chunk in await asyncio.gather(*(one(n) for n in range(calls)))
        for item_id in chunk
    )


async def polar_seats_calls(
    url: str, tokens: list[str], calls: int, client_class: Any = ps.AsyncClient
) -> Tally:
    """``client_class`` is another version's ``AsyncClient`` in ``benchmarks.ab``."""
    async with client_class(tokens[0], base_url=url, rate_limit=None) as client:

        async def call(n: int) -> list[str]:
            page = await client.with_token(tokens[n % len(tokens)]).list_claimed_subscriptions()
            return [sub.id for sub in page.items]

        return await _spread(calls, 64, call)


# Many customers through for_customer(): sessions minted by the client ----------------------

ORGANIZATION_TOKEN = "polar_oat_benchmark"


class KeptClient:
    """One polar_seats client kept open across runs, as a long-lived backend keeps it: its
    connections, and its session cache for :meth:`for_customer`, outlive each run."""

    def __init__(self, url: str, organization_token: str = ORGANIZATION_TOKEN) -> None:
        self.url = url
        self.client = ps.AsyncClient(
            organization_token=organization_token, base_url=url, rate_limit=None
        )

    async def __aenter__(self) -> KeptClient:
        await self.client.__aenter__()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.client.close()

    async def mint_all(self, customers: list[str]) -> None:
        """Warm the session cache: one call per customer, so each mints its session."""
        await _spread(len(customers), 64, _for_customer_call(self.client, customers))

    async def for_customer(self, customers: list[str], calls: int) -> Tally:
        return await _spread(calls, 64, _for_customer_call(self.client, customers))

    async def with_token(self, tokens: list[str], calls: int) -> Tally:
        client = self.client

        async def call(n: int) -> list[str]:
            page = await client.with_token(tokens[n % len(tokens)]).list_claimed_subscriptions()
            return [sub.id for sub in page.items]

        return await _spread(calls, 64, call)


def _for_customer_call(
    client: ps.AsyncClient, customers: list[str]
) -> Callable[[int], Awaitable[list[str]]]:
    async def call(n: int) -> list[str]:
        view = client.for_customer(external_customer_id=customers[n % len(customers)])
        page = await view.list_claimed_subscriptions()
        return [sub.id for sub in page.items]

    return call


async def polar_seats_calls_cold(
    url: str, customers: list[str], calls: int, organization_token: str
) -> Tally:
    """A new client, so an empty session cache: every customer's first call mints."""
    async with ps.AsyncClient(
        organization_token=organization_token, base_url=url, rate_limit=None
    ) as client:
        return await _spread(calls, 64, _for_customer_call(client, customers))


async def sdk1_calls_token_per_call(url: str, tokens: list[str], calls: int) -> Tally:
    from polar.v2026_04 import PolarAsync

    async with PolarAsync(tokens[0], base_url=url, timeout=60.0) as polar:
        seats = polar.customer_portal.seats

        async def call(n: int) -> list[str]:
            token = tokens[n % len(tokens)]
            page = await seats.list_claimed_subscriptions(request_access_token=token)
            return [sub.id for sub in page.items]

        return await _spread(calls, 64, call)


async def sdk1_calls_client_per_token(url: str, tokens: list[str], calls: int) -> Tally:
    from polar.v2026_04 import PolarAsync

    async def call(n: int) -> list[str]:
        async with PolarAsync(tokens[n % len(tokens)], base_url=url, timeout=60.0) as polar:
            page = await polar.customer_portal.seats.list_claimed_subscriptions()
            return [sub.id for sub in page.items]

    return await _spread(calls, 64, call)


async def sdk032_calls(url: str, tokens: list[str], calls: int) -> Tally:
    from polar_sdk import Polar, models

    with Polar(server_url=url, timeout_ms=60_000) as polar:
        seats = polar.customer_portal.seats

        async def call(n: int) -> list[str]:
            security = models.CustomerPortalSeatsListClaimedSubscriptionsSecurity(
                customer_session=tokens[n % len(tokens)]
            )
            res = await seats.list_claimed_subscriptions_async(security=security)
            return [sub.id for sub in res.result.items]

        return await _spread(calls, 64, call)


def floor_call(
    session: aiohttp.ClientSession, url: str, tokens: list[str]
) -> Callable[[int], Awaitable[list[str]]]:
    """The raw floor's call ``n``: aiohttp and msgspec, with token ``n`` of ``tokens``."""

    async def call(n: int) -> list[str]:
        headers = {
            "Authorization": f"Bearer {tokens[n % len(tokens)]}",
            "Polar-Version": POLAR_VERSION,
        }
        # The same request as every other client's: page 1, 10 items.
        async with session.get(f"{url}{PATH}?page=1&limit=10", headers=headers) as response:
            page = page_decoder.decode(await response.read())
        return [sub.id for sub in page.items]

    return call


async def floor_calls(url: str, tokens: list[str], calls: int) -> Tally:
    async with aiohttp.ClientSession() as session:
        return await _spread(calls, 64, floor_call(session, url, tokens))


# Decoding one page, no HTTP --------------------------------------------------------------


def decoders() -> dict[str, Callable[[bytes], object]]:
    found: dict[str, Callable[[bytes], object]] = {
        "polar_seats": lambda body: ps._resources.subscriptions.decode_page(body, page=1),
        "msgspec, untyped (reference)": msgspec.json.decode,
    }
    if sdk1_available():
        from polar.base import deserialize
        from polar.v2026_04.outputs import ListResourceCustomerSubscription

        # What the SDK does with a response: response.json(), then adaptix.
        found["polar-sdk 1.0.2"] = lambda body: deserialize(
            json.loads(body), ListResourceCustomerSubscription
        )
    if sdk032_available():
        from polar_sdk import models
        from polar_sdk.utils.serializers import unmarshal_json

        found["polar-sdk 0.32.0"] = lambda body: unmarshal_json(
            body.decode(), models.ListResourceCustomerSubscription
        )
    return found
