"""The fake server behaves as Polar's does, seen from a plain HTTP client, and fits the contract."""

from __future__ import annotations

import asyncio
import gc
import os
import re
import socket
import ssl
import warnings
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import trustme

from polar_seats.testing import (
    DEFAULT_ORGANIZATION_TOKEN,
    PRICE_KINDS,
    FakePolarServer,
    Fault,
    FaultPlan,
    make_subscription,
    make_subscriptions,
    page_dict,
)
from tests.support import contract

PATH = "/v1/customer-portal/seats/subscriptions"


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def get(
    http: aiohttp.ClientSession,
    server: FakePolarServer,
    *,
    path: str = PATH,
    token: str | None = "default",
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any, aiohttp.typedefs.LooseHeaders]:
    sent = dict(headers or {})
    if token is not None:
        sent["Authorization"] = f"Bearer {server.token if token == 'default' else token}"
    async with http.get(server.url + path, params=query or {}, headers=sent) as response:
        body = await response.read()
        data = await response.json(content_type=None) if body else None
        return response.status, data, response.headers


async def test_page_fits_the_contract_and_counts(http: aiohttp.ClientSession) -> None:
    """A 200 body validates against the newest contract, with Polar's pagination figures."""
    async with FakePolarServer(count=64) as server:
        status, body, headers = await get(http, server, query={"page": "1", "limit": "50"})
    assert status == 200
    assert headers["Polar-Version"] == "2026-10"
    assert headers["Content-Type"].startswith("application/json")
    assert contract.errors(body) == []
    assert len(body["items"]) == 50
    assert body["pagination"] == {"total_count": 64, "max_page": 2}


async def test_every_variant_served_validates(http: aiohttp.ClientSession) -> None:
    """Seeded data with every price and benefit kind passes the contract check."""
    async with FakePolarServer(count=3 * len(PRICE_KINDS)) as server:
        _, body, _ = await get(http, server, query={"limit": "100"})
    kinds = {
        ("legacy_" if "legacy" in price else "") + price["amount_type"]
        for item in body["items"]
        for price in item["prices"]
    }
    assert kinds == set(PRICE_KINDS)
    assert contract.errors(body) == []


def test_contract_check_catches_a_broken_body() -> None:
    """The contract check is not blind: a missing required field and a bad price fail it."""
    item = make_subscriptions(1)[0]
    del item["product"]["name"]
    assert contract.errors({"items": [item], "pagination": {"total_count": 1, "max_page": 1}})
    item = make_subscriptions(7)[6]  # a legacy price
    item["prices"] = [dict(item["prices"][0], price_amount="free")]
    assert contract.errors({"items": [item], "pagination": {"total_count": 1, "max_page": 1}})


async def test_defaults_are_page_1_limit_10(
    http: aiohttp.ClientSession, server: FakePolarServer
) -> None:
    """Without a query, the first 10 items."""
    _, body, _ = await get(http, server)
    assert [item["id"] for item in body["items"]] == [s["id"] for s in server.subscriptions[:10]]
    assert body["pagination"] == {"total_count": 25, "max_page": 3}


async def test_limit_above_100_is_clamped_silently(http: aiohttp.ClientSession) -> None:
    """limit=500 serves 100 items and computes max_page with 100, saying nothing."""
    async with FakePolarServer(count=250) as server:
        status, body, _ = await get(http, server, query={"limit": "500"})
    assert status == 200
    assert len(body["items"]) == 100
    assert body["pagination"] == {"total_count": 250, "max_page": 3}


async def test_page_past_the_end_is_empty_with_pagination(
    http: aiohttp.ClientSession, server: FakePolarServer
) -> None:
    """A page beyond max_page is a 200 with no items and the same pagination."""
    status, body, _ = await get(http, server, query={"page": "9", "limit": "10"})
    assert status == 200
    assert body == {"items": [], "pagination": {"total_count": 25, "max_page": 3}}


async def test_no_items_gives_max_page_0(http: aiohttp.ClientSession) -> None:
    """total_count 0 gives max_page 0."""
    async with FakePolarServer([]) as server:
        _, body, _ = await get(http, server)
    assert body == {"items": [], "pagination": {"total_count": 0, "max_page": 0}}
    assert contract.errors(body) == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"page": "0"}, [("greater_than", "page")]),
        ({"limit": "-3"}, [("greater_than", "limit")]),
        ({"page": "x", "limit": "0"}, [("int_parsing", "page"), ("greater_than", "limit")]),
    ],
)
async def test_bad_page_or_limit_is_a_422(
    http: aiohttp.ClientSession,
    server: FakePolarServer,
    query: dict[str, str],
    expected: list[tuple[str, str]],
) -> None:
    """Polar's 422 body: error key and one detail entry per problem; int_parsing has no ctx."""
    status, body, _ = await get(http, server, query=query)
    assert status == 422
    assert body["error"] == "RequestValidationError"
    assert [(d["type"], d["loc"][1]) for d in body["detail"]] == expected
    for entry in body["detail"]:
        assert ("ctx" in entry) == (entry["type"] == "greater_than")
    assert contract.errors(body, "HTTPValidationError") == []


async def test_missing_token_is_401_unauthorized(
    http: aiohttp.ClientSession, server: FakePolarServer
) -> None:
    """No token: the `Unauthorized` body and a bare Bearer challenge."""
    status, body, headers = await get(http, server, token=None)
    assert status == 401
    assert body == {"error": "Unauthorized", "detail": "Unauthorized"}
    assert headers["WWW-Authenticate"] == 'Bearer realm="polar"'


async def test_token_of_the_wrong_kind_is_401_unauthorized(
    http: aiohttp.ClientSession, server: FakePolarServer
) -> None:
    """A valid organization token on a customer endpoint: the `Unauthorized` body."""
    status, body, _ = await get(http, server, token=DEFAULT_ORGANIZATION_TOKEN)
    assert status == 401
    assert body["error"] == "Unauthorized"


@pytest.mark.parametrize("token", ["polar_oat_unknown", "polar_mst_unknown", "not-a-polar-token"])
async def test_unknown_token_of_any_prefix_is_401_invalid_token(
    http: aiohttp.ClientSession, server: FakePolarServer, token: str
) -> None:
    """Every unknown bearer token gets `invalid_token`, whatever its prefix."""
    status, body, headers = await get(http, server, token=token)
    assert (status, body["error"]) == (401, "invalid_token")
    assert headers["Pragma"] == "no-cache"


async def test_unknown_token_is_401_invalid_token(
    http: aiohttp.ClientSession, server: FakePolarServer
) -> None:
    """A well-formed but unknown token: the `invalid_token` body and its headers."""
    status, body, headers = await get(http, server, token="polar_cst_expired")
    assert status == 401
    assert body["error"] == "invalid_token"
    assert "expired" in body["error_description"]
    assert 'error="invalid_token"' in headers["WWW-Authenticate"]
    assert headers["Cache-Control"] == "no-store"


async def test_member_session_tokens_are_accepted(http: aiohttp.ClientSession) -> None:
    """polar_mst_ tokens work like customer session tokens."""
    async with FakePolarServer(tokens=["polar_mst_member"]) as server:
        status, _, _ = await get(http, server)
    assert status == 200


@pytest.mark.parametrize("version", ["1999-01", "latest", "2026-4"])
async def test_unknown_polar_version_is_404(
    http: aiohttp.ClientSession, server: FakePolarServer, version: str
) -> None:
    """An unknown or malformed Polar-Version: 404 Not Found, without a version header."""
    status, body, headers = await get(http, server, headers={"Polar-Version": version})
    assert status == 404
    assert body == {"detail": "Not Found"}
    assert "Polar-Version" not in headers


async def test_2027_01_reshapes_seat_based_prices(http: aiohttp.ClientSession) -> None:
    """Under 2027-01, seat_tiers becomes tiers of bounds and decimal unit amounts, with
    minimum_units and maximum_units."""
    async with FakePolarServer(count=len(PRICE_KINDS)) as server:
        _, body, headers = await get(http, server, headers={"Polar-Version": "2027-01"})
    assert headers["Polar-Version"] == "2027-01"
    seat = body["items"][PRICE_KINDS.index("seat_based")]["prices"][0]
    assert "seat_tiers" not in seat
    assert "price_per_seat" not in seat
    assert seat["tiers"]["type"] in ("volume", "graduated")
    assert seat["tiers"] == {
        "type": seat["tiers"]["type"],
        "tiers": [
            {"bound": 10, "unit_amount": seat["tiers"]["tiers"][0]["unit_amount"]},
            {"bound": None, "unit_amount": seat["tiers"]["tiers"][1]["unit_amount"]},
        ],
    }
    first, second = (int(t["unit_amount"]) for t in seat["tiers"]["tiers"])
    assert first - second == 100
    assert (seat["minimum_units"], seat["maximum_units"]) == (1, None)


async def test_2027_01_fills_in_the_seat_tier_defaults_2026_04_may_leave_out(
    http: aiohttp.ClientSession,
) -> None:
    """A seat price without seat_tier_type or a last max_seats (the contract's defaults:
    volume, unbounded) is a 2027-01 price of volume tiers whose last bound is null."""
    sub = make_subscription(PRICE_KINDS.index("seat_based"))
    for price in (*sub["prices"], *sub["product"]["prices"]):
        if price["amount_type"] == "seat_based":
            price["seat_tiers"].pop("seat_tier_type", None)
            price["seat_tiers"]["tiers"][-1].pop("max_seats", None)
    assert contract.errors(page_dict([sub])) == []
    async with FakePolarServer([sub]) as server:
        status, body, _ = await get(http, server, headers={"Polar-Version": "2027-01"})
    assert status == 200
    item = body["items"][0]
    for served in (item["prices"][0], item["product"]["prices"][0]):
        assert served["tiers"]["type"] == "volume"
        assert [tier["bound"] for tier in served["tiers"]["tiers"]] == [10, None]


async def test_wrong_path_is_404(http: aiohttp.ClientSession, server: FakePolarServer) -> None:
    """Another path: 404 with Polar's body."""
    status, body, _ = await get(http, server, path="/v2/customer-portal/seats/subscriptions")
    assert (status, body) == (404, {"detail": "Not Found"})


async def test_trailing_slash_is_a_307_to_the_path_without(
    http: aiohttp.ClientSession, server: FakePolarServer
) -> None:
    """A trailing slash: 307 to the same URL without it, query kept."""
    async with http.get(
        server.url + PATH + "/?limit=1", headers=auth(server), allow_redirects=False
    ) as response:
        assert response.status == 307
        assert response.headers["Location"] == server.url + PATH + "?limit=1"


async def test_requests_are_recorded_without_the_token_in_repr(
    http: aiohttp.ClientSession, server: FakePolarServer
) -> None:
    """The server keeps each request; the token is there but not in the repr."""
    await get(http, server, query={"page": "2"})
    (record,) = server.requests
    assert record.number == 1
    assert record.query == {"page": "2"}
    assert record.status == 200
    assert record.token == server.token
    assert "Authorization" not in record.headers
    assert server.token not in repr(record)


async def test_rate_limit_answers_429_with_retry_after_60(http: aiohttp.ClientSession) -> None:
    """Past the per-minute limit: 429, empty body, no content type, Retry-After: 60."""
    now = [600.0]
    async with FakePolarServer(rate_limit=2, clock=lambda: now[0]) as server:
        statuses = [(await get(http, server))[0] for _ in range(2)]
        async with http.get(
            server.url + PATH, headers={"Authorization": f"Bearer {server.token}"}
        ) as response:
            assert response.status == 429
            assert response.headers["Retry-After"] == "60"
            assert "Content-Type" not in response.headers
            assert await response.read() == b""
        now[0] += 60
        statuses.append((await get(http, server))[0])
    assert statuses == [200, 200, 200]


async def test_url_before_start_is_an_error() -> None:
    """Asking for the URL of a server that is not running says how to start it."""
    with pytest.raises(RuntimeError, match="async with"):
        _ = FakePolarServer().url


async def test_a_stall_sends_the_whole_page_once_the_wait_is_over(
    http: aiohttp.ClientSession,
) -> None:
    """`Fault.stall` delays the answer; the page then comes whole, with its length, as a
    normal page does (not in the slow chunks of `Fault.slow_body`)."""
    plan = FaultPlan({1: Fault.stall(0.05), 2: Fault.slow_body(0.05)})
    async with FakePolarServer(count=30, faults=plan) as server:
        stalled = await http.get(server.url + PATH, headers=auth(server))
        slow = await http.get(server.url + PATH, headers=auth(server))
        normal = await http.get(server.url + PATH, headers=auth(server))
        bodies = [await response.read() for response in (stalled, slow, normal)]
    assert [r.status for r in (stalled, slow, normal)] == [200, 200, 200]
    assert bodies[0] == bodies[1] == bodies[2]
    assert stalled.content_length == normal.content_length == len(bodies[0])
    assert slow.content_length is None  # streamed in chunks
    assert [r.fault for r in server.requests] == ["stall", "slow_body", None]


def auth(server: FakePolarServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.token}"}


async def test_a_port_in_use_leaves_no_socket_behind() -> None:
    """Starting on a taken port raises OSError and closes the socket it opened."""
    import gc
    import warnings

    async with FakePolarServer() as taken:
        second = FakePolarServer(port=taken.port or 0)
        with warnings.catch_warnings():
            warnings.simplefilter("error", ResourceWarning)
            with pytest.raises(OSError, match="in use"):
                await second.start()
            gc.collect()


def silent_peer(port: int, token: str, context: ssl.SSLContext, keep_alive: bool) -> ssl.SSLSocket:
    """One request over TLS, its whole answer read, then silence: no answer to the fake's
    close_notify, no end of its own (a client behind a proxy that has not passed its end on)."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=30)
    tls = context.wrap_socket(raw, server_hostname="127.0.0.1")
    connection = "keep-alive" if keep_alive else "close"
    tls.sendall(
        f"GET {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        f"Connection: {connection}\r\n\r\n".encode()
    )
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += tls.recv(65536)
    head, _, body = answer.partition(b"\r\n\r\n")
    length = re.search(rb"(?im)^content-length: *(\d+)", head)
    assert head.startswith(b"HTTP/1.1 200"), head
    assert length is not None, head
    while len(body) < int(length[1]):
        body += tls.recv(65536)
    return tls


def read_to_the_end(peer: ssl.SSLSocket) -> None:
    """Read under the TLS layer until the fake ends the TCP stream (10 s at most)."""
    with socket.socket(fileno=os.dup(peer.fileno())) as raw:
        raw.settimeout(10)
        while raw.recv(65536):
            pass


@pytest.mark.parametrize("keep_alive", [True, False], ids=["idle", "connection-close"])
def test_close_ends_a_tls_connection_whose_peer_stays_silent(keep_alive: bool) -> None:
    """close() ends a TLS connection whose peer never answers the fake's close_notify and
    returns with its socket closed: the loop may close right after, nothing is left open."""
    ca = trustme.CA()
    server_side = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_side)
    client_side = ssl.create_default_context()
    ca.configure_trust(client_side)

    async def serve() -> ssl.SSLSocket:
        async with FakePolarServer(ssl_context=server_side) as server:
            assert server.port is not None
            return await asyncio.to_thread(
                silent_peer, server.port, server.token, client_side, keep_alive
            )

    loop = asyncio.new_event_loop()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        try:
            peer = loop.run_until_complete(serve())
        finally:
            loop.close()  # as soon as close() has returned
        with peer:
            read_to_the_end(peer)
        gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
