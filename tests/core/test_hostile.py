"""A hostile or broken server: every answer ends in a PolarError or a bounded, documented result."""

from __future__ import annotations

import logging
import time

import pytest

import polar_seats as ps
from polar_seats.testing import FakePolarServer, Fault, FaultPlan, make_subscription, page_body

SECRET = "polar_cst_SECRET_tok3n_never_to_be_seen"
pytestmark = pytest.mark.polar_fake_server(tokens=[SECRET])


def ok(body: bytes, content_type: str = "application/json") -> Fault:
    return Fault.http_status(200, headers={"Content-Type": content_type}, body=body)


NESTED = "[" * 5000 + "]" * 5000
HOSTILE_BODIES = {
    "html with a json content type": ok(b"<html><body>Hello</body></html>"),
    "json behind an html content type": None,  # decodes: the body is what counts
    "invalid utf-8": ok(
        page_body([make_subscription(0)]).replace(b'"status": "', b'"status": "\xff\xfe')
    ),
    "deeply nested json": ok(
        ('{"items":[],"junk":' + NESTED + ',"pagination":{"total_count":0,"max_page":0}}').encode()
    ),
    "a number too large": ok(b'{"items":[],"pagination":{"total_count":1e999,"max_page":0}}'),
    "NaN": ok(b'{"items":[],"pagination":{"total_count":NaN,"max_page":0}}'),
    "max_page in the billions": ok(page_body([make_subscription(0)], max_page=2_000_000_000)),
    "negative max_page": ok(page_body([], max_page=-1)),
    "items that are not a list": ok(b'{"items":{},"pagination":{"total_count":0,"max_page":0}}'),
    "an empty 200": ok(b""),
    "a JSON string": ok(b'"hello"'),
    "truncated": Fault.truncated_json(),
}


@pytest.mark.parametrize(
    "name", [name for name, fault in HOSTILE_BODIES.items() if fault is not None]
)
async def test_hostile_200_is_a_decode_error_after_one_request(
    server: FakePolarServer, name: str
) -> None:
    """Each broken 200 raises ResponseDecodeError with the bytes, and is not retried."""
    fault = HOSTILE_BODIES[name]
    assert fault is not None
    server.faults = FaultPlan({1: fault})
    async with ps.AsyncClient(SECRET, base_url=server.url) as client:
        with pytest.raises(ps.ResponseDecodeError) as caught:
            await client.list_claimed_subscriptions()
    assert caught.value.page == 1
    assert len(server.requests) == 1
    assert SECRET not in str(caught.value)


async def test_json_behind_a_wrong_content_type_still_decodes(server: FakePolarServer) -> None:
    """The body decides, not the Content-Type header: a valid page labelled HTML decodes."""
    server.faults = FaultPlan({1: ok(page_body([make_subscription(1)]), "text/html")})
    async with ps.AsyncClient(SECRET, base_url=server.url) as client:
        page = await client.list_claimed_subscriptions()
    assert len(page.items) == 1


async def test_duplicate_keys_take_the_last_value(server: FakePolarServer) -> None:
    """A key sent twice in one object: the last value counts, as in most JSON parsers."""
    body = b'{"items":[],"pagination":{"total_count":0,"max_page":5,"max_page":0}}'
    server.faults = FaultPlan({1: ok(body)})
    async with ps.AsyncClient(SECRET, base_url=server.url) as client:
        page = await client.list_claimed_subscriptions()
    assert page.pagination.max_page == 0


async def test_endless_body_stops_at_the_size_cap(server: FakePolarServer) -> None:
    """A body that never ends is cut at max_body_size: a clear error, bounded memory."""
    server.faults = FaultPlan({1: Fault.endless_body()})
    started = time.monotonic()
    async with ps.AsyncClient(SECRET, base_url=server.url, max_body_size=2**20) as client:
        with pytest.raises(ps.ResponseDecodeError, match="max_body_size") as caught:
            await client.list_claimed_subscriptions()
    assert len(caught.value.raw_body) <= 1024
    assert time.monotonic() - started < 5


async def test_huge_error_body_is_capped_too(server: FakePolarServer) -> None:
    """A 500 announcing a body beyond the cap is refused without reading it."""
    server.faults = FaultPlan({1: Fault.http_status(500, body=b"x" * 300_000)})
    async with ps.AsyncClient(
        SECRET, base_url=server.url, max_body_size=100_000, retry=None
    ) as client:
        with pytest.raises(ps.ResponseDecodeError, match="max_body_size"):
            await client.list_claimed_subscriptions()


async def test_total_count_that_disagrees_with_the_pages_ends_the_walk(
    server: FakePolarServer,
) -> None:
    """total_count says 30 but the rows run out after 25: the walk ends at the empty page."""
    subs = [make_subscription(n) for n in range(3)]
    server.faults = FaultPlan(
        pages={
            1: [ok(page_body(subs, total=30, max_page=3))],
            2: [ok(page_body([], total=30, max_page=3))],
        }
    )
    async with ps.AsyncClient(SECRET, base_url=server.url, concurrency=1) as client:
        ids = [sub.id async for sub in client.iter_claimed_subscriptions(limit=10)]
    assert ids == [sub["id"] for sub in subs]
    assert len(server.requests) == 2


async def test_no_token_in_any_log_record_at_debug(
    server: FakePolarServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A run full of failures, every logger at DEBUG (aiohttp's too): the token is nowhere."""
    caplog.set_level(logging.DEBUG)
    server.faults = FaultPlan(
        pages={
            1: [Fault.server_error(503)],
            2: [Fault.reset_mid_body()],
            3: [Fault.rate_limited("0"), Fault.proxy_html(502)],
        }
    )
    async with ps.AsyncClient(SECRET, base_url=server.url) as client:
        assert len([s async for s in client.iter_claimed_subscriptions(limit=10)]) == 25
        assert SECRET not in repr(client)
        assert SECRET not in repr(client.with_token(SECRET))
    async with ps.AsyncClient(SECRET + "x", base_url=server.url) as client:
        with pytest.raises(ps.AuthenticationError) as caught:
            await client.list_claimed_subscriptions()
    messages = [record.getMessage() for record in caplog.records]
    assert any("Retrying" in message for message in messages)
    assert not [message for message in messages if "SECRET" in message]
    assert "SECRET" not in str(caught.value) + repr(caught.value)
    assert "SECRET" not in repr(server.requests)
