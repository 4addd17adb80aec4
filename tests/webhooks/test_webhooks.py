"""polar_seats.webhooks: the fake Polar's signed seat events verified by a real receiver,
and every way a delivery can fail to verify."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import math
import sys
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy
from standardwebhooks import Webhook
from starlette.datastructures import Headers

import polar_seats as ps
from polar_seats.testing import FakePolarServer
from polar_seats.webhooks import (
    CustomerSeatAssigned,
    CustomerSeatClaimed,
    CustomerSeatEvent,
    CustomerSeatRevoked,
    UnknownWebhookEvent,
    WebhookEvent,
    WebhookVerificationError,
    verify,
)
from tests.support.helpers import webhook_receiver

SECRET = "whsec_Kq3vN8yTgR2wXo5LmE7bHc1ZpUa9SdFj4Ve6QiYn0Bk"
"""Shaped like the secrets Polar generates; the tests below sign with its UTF-8 bytes, the
key of the ones made before 2026-09-08."""
NEW_KEY = bytes(range(200, 232))
NEW_SECRET = "whsec_" + base64.b64encode(NEW_KEY).decode()
"""A secret as Polar makes them since 2026-09-08: its base64-decoded bytes sign."""
OLD_SECRET = "whsec_test_secret"
"""A secret whose rest is no base64 (an older or merchant-supplied one): its UTF-8 bytes sign."""
VERSIONS = ("2026-04", "2026-10", "2027-01")
"""The API versions a webhook endpoint can have on 2026-12-06."""
NOW = datetime(2026, 12, 1, 19, 17, tzinfo=timezone.utc)
AT = int(NOW.timestamp())
WEBHOOK_ID = "4f1c2f0e-7a55-4e0b-9a57-3c1b6b1f2a10"

# A seat as Polar's server sent it (real-polar 04-seats), assigned: pending, invited.
SEAT: dict[str, Any] = {
    "created_at": "2026-12-01T19:16:55.159318Z",
    "modified_at": None,
    "id": "eb6db870-9fea-4add-9f64-59aa0da53c6a",
    "subscription_id": "b670c073-70d8-4c0b-bf3d-3204563d63bd",
    "order_id": None,
    "status": "pending",
    "customer_id": "a7d03763-2f8c-40ef-b77a-bf32b908d6cc",
    "member_id": "779bfa3f-b7ec-497a-b3f3-cc417bb61759",
    "member": {
        "id": "779bfa3f-b7ec-497a-b3f3-cc417bb61759",
        "created_at": "2026-12-01T19:16:55.154817Z",
        "modified_at": None,
        "customer_id": "a7d03763-2f8c-40ef-b77a-bf32b908d6cc",
        "email": "frank@seatco-clients.com",
        "name": None,
        "external_id": None,
        "role": "member",
    },
    "email": "frank@seatco-clients.com",
    "customer_email": "frank@seatco-clients.com",
    "invitation_token_expires_at": "2026-12-02T19:16:55.159318Z",
    "claimed_at": None,
    "revoked_at": None,
    "seat_metadata": {},
}


def event_body(event_type: str = "customer_seat.assigned", **fields: Any) -> bytes:
    """An event as Polar's pydantic writes it: compact, ``type``, ``timestamp``, ``data``
    (and ``api_version`` where a test gives it)."""
    payload = {"type": event_type, "timestamp": "2026-12-01T19:16:55.161Z", "data": SEAT}
    return json.dumps({**payload, **fields}, separators=(",", ":")).encode()


def signature(
    body: bytes, key: bytes = SECRET.encode(), at: int = AT, webhook_id: str = WEBHOOK_ID
) -> str:
    """``v1,`` and the HMAC-SHA256 of ``id.timestamp.body``, computed here over the bytes."""
    digest = hmac.new(key, f"{webhook_id}.{at}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed(body: bytes, key: bytes = SECRET.encode(), at: int = AT) -> dict[str, str]:
    return {
        "webhook-id": WEBHOOK_ID,
        "webhook-timestamp": str(at),
        "webhook-signature": signature(body, key, at),
    }


def refused(body: bytes | str, headers: dict[str, str], secret: str = SECRET) -> str:
    """The message of the WebhookVerificationError that verify() raises; checked to hold
    neither the secret nor any signature."""
    return refused_with(body, headers, secret)


def refused_with(
    body: bytes | str, headers: dict[str, str], secret: str = SECRET, tolerance: float = 300
) -> str:
    with pytest.raises(WebhookVerificationError) as caught:
        verify(body, headers, secret, now=NOW, tolerance=tolerance)
    shown = f"{caught.value} {caught.value!r}"
    secret_forms = {SECRET, SECRET.removeprefix("whsec_"), secret}
    signatures = headers.get("webhook-signature", "").replace(",", " ").split()
    assert not [part for part in secret_forms | set(signatures) if len(part) > 3 and part in shown]
    return str(caught.value)


# End to end: the fake POSTs what the client does, a real receiver verifies it.


Received = list[tuple[str, WebhookEvent]]


@contextlib.asynccontextmanager
async def receiving(secret: str = SECRET) -> AsyncIterator[tuple[str, Received]]:
    """An aiohttp.web endpoint on loopback that verifies with ``secret``: 202 and the event
    recorded, or 403 for a delivery that does not verify."""
    received: Received = []

    async def endpoint(request: web.Request) -> web.Response:
        try:
            event = verify(await request.read(), request.headers, secret)
        except WebhookVerificationError:
            return web.Response(status=403)
        received.append((request.headers["webhook-id"], event))
        return web.Response(status=202)

    async with webhook_receiver(endpoint) as url:
        yield url, received


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[str, Received]]:
    """`receiving` with SECRET."""
    async with receiving() as endpoint:
        yield endpoint


async def seat_lifecycle(server: FakePolarServer) -> None:
    """Through the client: assign a seat, claim it, revoke it; then wait for the webhooks."""
    billing = server.add_billing_customer(seats=1)
    async with ps.AsyncClient(billing.token, base_url=server.url, rate_limit=None) as client:
        await client.assign_seat(subscription_id=billing.subscription_id, email="erin@x.test")
        claimed = await client.claim_seat(server.outbox[-1].token)
        await client.revoke_seat(claimed.seat)
    await server.deliver_webhooks()


async def test_the_fakes_seat_events_verify_and_decode(receiver: tuple[str, Received]) -> None:
    """Two assigns, a claim and a revoke through the client: four signed events, each
    verified by the receiver and decoded to its class with the seat as the client saw it."""
    url, received = receiver
    async with FakePolarServer(webhook_url=url, webhook_secret=SECRET) as server:
        billing = server.add_billing_customer(seats=2)
        async with ps.AsyncClient(billing.token, base_url=server.url, rate_limit=None) as client:
            erin = await client.assign_seat(
                subscription_id=billing.subscription_id, email="erin@x.test"
            )
            frank = await client.assign_seat(
                subscription_id=billing.subscription_id, email="frank@x.test"
            )
            claimed = await client.claim_seat(server.outbox[0].token)
            await client.revoke_seat(claimed.seat)
        await server.deliver_webhooks()
    assert [d.status for d in server.webhooks_sent] == [202] * 4
    events = [event for _, event in received]
    assert [type(e) for e in events] == [
        CustomerSeatAssigned,
        CustomerSeatAssigned,
        CustomerSeatClaimed,
        CustomerSeatRevoked,
    ]
    assert all(isinstance(e, CustomerSeatEvent) for e in events)
    seats = [e.data for e in events if isinstance(e, CustomerSeatEvent)]
    assert [(s.id, s.status) for s in seats] == [
        (erin.id, "pending"),
        (frank.id, "pending"),
        (erin.id, "claimed"),
        (erin.id, "revoked"),
    ]
    assert [s.email for s in seats] == ["erin@x.test", "frank@x.test", "erin@x.test", None]
    assert [e.type for e in events] == [d.type for d in server.webhooks_sent]
    assert [webhook_id for webhook_id, _ in received] == [d.id for d in server.webhooks_sent]
    assert len({webhook_id for webhook_id, _ in received}) == 4
    for event, delivery in zip(events, server.webhooks_sent, strict=True):
        assert event.timestamp is not None
        assert event.timestamp.utcoffset() == timedelta(0)
        assert abs(event.timestamp.timestamp() - delivery.timestamp) < 1


async def test_a_receiver_with_another_secret_refuses_every_delivery(
    receiver: tuple[str, Received],
) -> None:
    """The fake signs with a secret the receiver does not have: 403 for each, none kept."""
    url, received = receiver
    async with FakePolarServer(webhook_url=url, webhook_secret="whsec_another") as server:
        billing = server.add_billing_customer(seats=2)
        async with ps.AsyncClient(billing.token, base_url=server.url, rate_limit=None) as client:
            seat = await client.assign_seat(
                subscription_id=billing.subscription_id, email="erin@x.test"
            )
            await client.revoke_seat(seat)
        await server.deliver_webhooks()
    assert [d.status for d in server.webhooks_sent] == [403, 403]
    assert received == []


@pytest.mark.parametrize("version", VERSIONS)
async def test_each_live_version_decodes_and_says_its_api_version(version: str) -> None:
    """An endpoint of 2026-04, 2026-10 or 2027-01: the three seat events decode alike, each
    with ``api_version`` the endpoint's, as its header says too."""
    async with receiving() as (url, received):
        server = FakePolarServer(
            webhook_url=url, webhook_secret=SECRET, webhook_api_version=version
        )
        async with server:
            await seat_lifecycle(server)
    events = [event for _, event in received]
    assert [type(e) for e in events] == [
        CustomerSeatAssigned,
        CustomerSeatClaimed,
        CustomerSeatRevoked,
    ]
    assert [e.api_version for e in events] == [version] * 3
    assert [d.headers["webhook-api-version"] for d in server.webhooks_sent] == [version] * 3
    assert [e.data.status for e in events if isinstance(e, CustomerSeatEvent)] == [
        "pending",
        "claimed",
        "revoked",
    ]


@pytest.mark.parametrize(
    ("secret", "key"),
    [
        pytest.param(NEW_SECRET, NEW_KEY, id="since-2026-09-08"),
        pytest.param(OLD_SECRET, OLD_SECRET.encode(), id="older"),
    ],
)
async def test_both_secret_forms_verify_the_fakes_deliveries(secret: str, key: bytes) -> None:
    """The fake signs a new secret with its decoded bytes and an older one with its UTF-8
    bytes (checked here by hand), and a receiver given either secret verifies each event."""
    async with (
        receiving(secret) as (url, received),
        FakePolarServer(webhook_url=url, webhook_secret=secret) as server,
    ):
        await seat_lifecycle(server)
    assert [d.status for d in server.webhooks_sent] == [202] * 3
    assert [type(e) for _, e in received] == [
        CustomerSeatAssigned,
        CustomerSeatClaimed,
        CustomerSeatRevoked,
    ]
    for delivery in server.webhooks_sent:
        expected = signature(delivery.body.encode(), key, delivery.timestamp, delivery.id)
        assert delivery.headers["webhook-signature"] == expected


# What verifies.


def test_a_seat_event_decodes_to_its_class() -> None:
    body = event_body("customer_seat.claimed")
    event = verify(body, signed(body), SECRET, now=NOW)
    assert isinstance(event, CustomerSeatClaimed)
    assert event.type == "customer_seat.claimed"
    assert event.timestamp == datetime(2026, 12, 1, 19, 16, 55, 161000, tzinfo=timezone.utc)
    assert isinstance(event.data, ps.CustomerSeat)
    assert (event.data.id, event.data.status) == (SEAT["id"], "pending")
    assert event.data.member is not None
    assert event.data.member.role == "member"


def test_the_body_as_text_verifies_as_its_bytes_do() -> None:
    body = event_body(data={**SEAT, "email": "zoë@x.test"})
    event = verify(body.decode(), signed(body), SECRET, now=NOW)
    assert isinstance(event, CustomerSeatAssigned)
    assert event.data.email == "zoë@x.test"


def test_the_official_signer_is_verified() -> None:
    """standardwebhooks.Webhook signs as Polar's server calls it: key given base64 encoded."""
    body = event_body().decode()
    signer = Webhook(base64.b64encode(SECRET.encode()).decode())
    headers = {
        "webhook-id": WEBHOOK_ID,
        "webhook-timestamp": str(AT),
        "webhook-signature": signer.sign(WEBHOOK_ID, NOW, body),
    }
    assert isinstance(verify(body, headers, SECRET, now=NOW), CustomerSeatAssigned)


@pytest.mark.parametrize(
    "configured",
    [
        pytest.param(SECRET, id="as-polar-shows-it"),
        pytest.param(base64.b64encode(SECRET.encode()).decode(), id="base64"),
        pytest.param("whsec_" + base64.b64encode(SECRET.encode()).decode(), id="whsec-base64"),
        pytest.param(base64.b64encode(SECRET.encode()).decode().rstrip("="), id="unpadded"),
    ],
)
def test_both_secret_forms_verify_polars_signature(configured: str) -> None:
    """An older secret keys the HMAC with its UTF-8 bytes; the base64 of those bytes (what
    standardwebhooks.Webhook takes), with or without ``whsec_``, names the same key."""
    body = event_body()
    assert isinstance(verify(body, signed(body), configured, now=NOW), CustomerSeatAssigned)


def test_a_standard_webhooks_secret_verifies_with_its_decoded_key() -> None:
    """A ``whsec_<base64>`` secret as Standard Webhooks means it: the decoded bytes sign."""
    key = bytes(range(24))
    configured = "whsec_" + base64.b64encode(key).decode()
    body = event_body()
    assert isinstance(verify(body, signed(body, key), configured, now=NOW), CustomerSeatAssigned)
    assert "No signature" in refused(body, signed(body, key), SECRET)


def test_a_secret_with_nothing_after_the_prefix_is_its_own_key() -> None:
    body = event_body()
    assert verify(body, signed(body, b"whsec_"), "whsec_", now=NOW) is not None


@pytest.mark.parametrize("sent", ["old", "new", "old new", "new old"])
def test_an_endpoint_switching_keys_verifies_with_either_signature(sent: str) -> None:
    """While Polar moves a secret to its decoded key it may send both signatures,
    space-separated; either one alone verifies too."""
    body = event_body()
    secret = "whsec_" + base64.b64encode(NEW_KEY).decode()
    made = {"old": signature(body, secret.encode()), "new": signature(body, NEW_KEY)}
    headers = {**signed(body), "webhook-signature": " ".join(made[s] for s in sent.split())}
    assert isinstance(verify(body, headers, secret, now=NOW), CustomerSeatAssigned)
    assert "No signature" in refused(body, headers, OLD_SECRET)


def test_one_matching_signature_among_several_is_enough() -> None:
    """Space-separated entries: other versions, bad base64, stray words and wrong digests
    are passed over (Standard Webhooks allows several, for a key's rotation; Polar sends
    one)."""
    body = event_body()
    headers = signed(body)
    wrong = signature(body, b"another key")
    headers["webhook-signature"] = (
        f"v1a,{wrong[3:]} nocomma v1,not*base64 {wrong}  {headers['webhook-signature']} v2,x"
    )
    assert isinstance(verify(body, headers, SECRET, now=NOW), CustomerSeatAssigned)
    headers["webhook-signature"] = f"v1a,{wrong[3:]} nocomma v1,not*base64 {wrong}"
    assert "No signature" in refused(body, headers)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda h: {k.upper(): v for k, v in h.items()}, id="upper"),
        pytest.param(lambda h: {k.title(): v for k, v in h.items()}, id="title"),
        pytest.param(lambda h: CIMultiDictProxy(CIMultiDict(h)), id="aiohttp"),
        pytest.param(
            lambda h: Headers(raw=[(k.encode(), v.encode()) for k, v in h.items()]),
            id="starlette",
        ),
    ],
)
def test_header_names_match_whatever_their_case(make: Any) -> None:
    body = event_body()
    headers = make({"Content-Type": "application/json", **signed(body)})
    assert isinstance(verify(body, headers, SECRET, now=NOW), CustomerSeatAssigned)


def test_an_unknown_type_is_kept_whole() -> None:
    """subscription.created (or any type Polar adds): verified, and the payload kept."""
    data = {"id": "sub_1", "status": "active", "seats": 3}
    body = event_body("subscription.created", data=data, api_version="2026-04")
    event = verify(body, signed(body), SECRET, now=NOW)
    assert isinstance(event, UnknownWebhookEvent)
    assert event.type == "subscription.created"
    assert event.timestamp == datetime(2026, 12, 1, 19, 16, 55, 161000, tzinfo=timezone.utc)
    assert event.payload == json.loads(body)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("event_type", ["customer_seat.revoked", "subscription.migrated"])
def test_the_payloads_api_version_is_the_events(event_type: str, version: str) -> None:
    """A seat event or one of a type not decoded: ``api_version`` as the payload says."""
    body = event_body(event_type, api_version=version)
    assert verify(body, signed(body), SECRET, now=NOW).api_version == version


@pytest.mark.parametrize("event_type", ["customer_seat.claimed", "subscription.migrated"])
@pytest.mark.parametrize(
    ("payload", "header", "seen"),
    [
        pytest.param({}, "2026-10", "2026-10", id="header-only"),
        pytest.param({"api_version": None}, "2027-01", "2027-01", id="payload-null"),
        pytest.param({"api_version": "2026-04"}, "2027-01", "2026-04", id="disagree"),
        pytest.param({}, "", None, id="header-empty"),
        pytest.param({}, None, None, id="neither"),
    ],
)
def test_the_header_gives_the_api_version_only_when_the_payload_does_not(
    event_type: str, payload: dict[str, Any], header: str | None, seen: str | None
) -> None:
    """``webhook-api-version`` is not signed: read only when the payload has no version, so
    where the two disagree the payload wins; with neither, ``None``."""
    body = event_body(event_type, **payload)
    headers = signed(body)
    if header is not None:
        headers["Webhook-API-Version"] = header
    assert verify(body, headers, SECRET, now=NOW).api_version == seen


def test_an_unknown_types_api_version_that_is_no_string_falls_back_to_the_header() -> None:
    """An unknown type is kept whatever its fields: an odd ``api_version`` is passed over."""
    body = event_body("subscription.migrated", api_version=202610)
    headers = {**signed(body), "webhook-api-version": "2026-10"}
    event = verify(body, headers, SECRET, now=NOW)
    assert isinstance(event, UnknownWebhookEvent)
    assert (event.api_version, event.payload["api_version"]) == ("2026-10", 202610)


@pytest.mark.parametrize("timestamp", [None, "yesterday", "2026-12-01T19:16:55", 1764616615])
def test_an_unknown_types_odd_timestamp_is_none(timestamp: object) -> None:
    body = event_body("order.paid", timestamp=timestamp)
    event = verify(body, signed(body), SECRET, now=NOW)
    assert isinstance(event, UnknownWebhookEvent)
    assert (event.type, event.timestamp) == ("order.paid", None)


@pytest.mark.parametrize("offset", [-300, 0, 299, 300])
def test_timestamps_within_the_tolerance_verify(offset: int) -> None:
    body = event_body()
    assert verify(body, signed(body, at=AT + offset), SECRET, now=NOW) is not None


# What does not verify.


def test_a_tampered_body_is_refused() -> None:
    body = event_body()
    headers = signed(body)
    assert "No signature" in refused(body.replace(b"pending", b"claimed"), headers)
    # JSON decoded and encoded again is another body: verify the bytes as received.
    again = json.dumps(json.loads(body)).encode()
    assert "raw bytes" in refused(again, headers)


def test_a_wrong_secret_is_refused() -> None:
    body = event_body()
    assert "wrong secret" in refused(body, signed(body), "whsec_not_the_endpoints_secret")


def test_the_signature_of_another_timestamp_is_refused() -> None:
    """The timestamp is signed: moving it (to pass the tolerance check) breaks the match."""
    body = event_body()
    headers = signed(body, at=AT - 3600)
    headers["webhook-timestamp"] = str(AT)
    assert "No signature" in refused(body, headers)


@pytest.mark.parametrize("name", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_a_missing_or_empty_header_is_refused(name: str) -> None:
    body = event_body()
    headers = signed(body)
    headers[name] = ""
    assert f"The {name} header is missing" in refused(body, headers)
    del headers[name]
    assert f"The {name} header is missing" in refused(body, headers)


@pytest.mark.parametrize(
    ("offset", "said"),
    [(-301, "signed 301 s ago"), (-86400, "signed 86400 s ago"), (301, "301 s ahead")],
)
def test_a_stale_or_future_timestamp_is_refused(offset: int, said: str) -> None:
    body = event_body()
    message = refused(body, signed(body, at=AT + offset))
    assert said in message
    assert "tolerance of 300 s" in message


def test_the_tolerance_and_now_can_be_given() -> None:
    body = event_body()
    headers = signed(body, at=AT - 90)
    assert verify(body, headers, SECRET, now=NOW, tolerance=90) is not None
    with pytest.raises(WebhookVerificationError, match="tolerance of 60 s"):
        verify(body, headers, SECRET, now=NOW, tolerance=60)
    later = NOW + timedelta(minutes=10)
    with pytest.raises(WebhookVerificationError, match="signed 690 s ago"):
        verify(body, headers, SECRET, now=later)


def test_an_endless_tolerance_still_refuses_a_timestamp_past_year_9999() -> None:
    body = event_body()
    headers = signed(body)
    headers["webhook-timestamp"] = "99999999999999"
    assert "out of range" in refused_with(body, headers, tolerance=math.inf)


def test_the_current_time_is_the_default() -> None:
    body = event_body()
    now = int(datetime.now(timezone.utc).timestamp())
    assert verify(body, signed(body, at=now), SECRET) is not None
    with pytest.raises(WebhookVerificationError, match="s ago"):
        verify(body, signed(body), SECRET)  # signed at AT: long ago by now


@pytest.mark.parametrize(
    "value", ["1764616620.5", "-1764616620", "1e9", "\uff11\uff17\uff16", " 1764616620"]
)
def test_a_timestamp_that_is_not_whole_unix_seconds_is_refused(value: str) -> None:
    body = event_body()
    headers = signed(body)
    headers["webhook-timestamp"] = value
    assert "not a Unix time" in refused(body, headers)


def test_a_body_that_is_not_utf8_is_refused() -> None:
    body = event_body().replace(b"frank", b"fr\xffnk")
    assert "not UTF-8" in refused(body, signed(body))
    assert "not UTF-8" in refused("\ud800", signed(b"x"))


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (b"not json", "is not JSON"),
        (b'{"type": "customer_seat.assigned"', "is not JSON"),
        (b"[1, 2]", "a JSON list, not an object"),
        (b'"customer_seat.assigned"', "a JSON str, not an object"),
        (b'{"timestamp": "2026-12-01T19:16:55Z", "data": {}}', "no string `type`"),
        (b'{"type": 7}', "no string `type`"),
    ],
)
def test_a_verified_body_that_is_no_event_is_refused(body: bytes, said: str) -> None:
    """Signed with the right key, yet no Polar event: refused, never returned."""
    assert said in refused(body, signed(body))


# A verified event that does not fit the models.


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"data": {**SEAT, "status": 3}}, "$.data.status"),
        ({"data": {**SEAT, "id": None}}, "$.data.id"),
        ({"data": "eb6db870"}, "$.data"),
        ({"timestamp": "2026-12-01T19:16:55"}, "$.timestamp"),
        ({"timestamp": None}, "$.timestamp"),
        ({"api_version": 202610}, "$.api_version"),
    ],
)
def test_a_seat_event_that_does_not_fit_is_a_decode_error(
    change: dict[str, Any], path: str
) -> None:
    """It verified, so it is no WebhookVerificationError: the model lags behind Polar."""
    body = event_body("customer_seat.revoked", **change)
    with pytest.raises(ps.ResponseDecodeError) as caught:
        verify(body, signed(body), SECRET, now=NOW)
    assert not isinstance(caught.value, WebhookVerificationError)
    assert caught.value.path == path
    assert caught.value.raw_body == body
    assert str(caught.value).startswith(
        f"The customer_seat.revoked webhook verified, but does not fit the model at {path}: "
    )
    assert SECRET not in str(caught.value)


# Mistakes in the arguments, and the missing extra.


def test_mistakes_in_the_arguments_raise_before_anything_is_checked() -> None:
    body = event_body()
    with pytest.raises(ValueError, match="secret is empty"):
        verify(body, signed(body), "", now=NOW)
    with pytest.raises(TypeError, match="not bytes"):
        verify(body, signed(body), SECRET.encode(), now=NOW)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not dict"):
        verify(json.loads(body), signed(body), SECRET, now=NOW)  # type: ignore[arg-type]
    assert verify(bytearray(body), signed(body), SECRET, now=NOW) is not None  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="tolerance"):
        verify(body, signed(body), SECRET, now=NOW, tolerance=-1)
    with pytest.raises(ValueError, match="tolerance"):
        verify(body, signed(body), SECRET, now=NOW, tolerance=float("nan"))
    with pytest.raises(ValueError, match="aware datetime"):
        verify(body, signed(body), SECRET, now=NOW.replace(tzinfo=None))


def test_without_standardwebhooks_the_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("standardwebhooks", "standardwebhooks.webhooks"):
        monkeypatch.setitem(sys.modules, name, None)
    body = event_body()
    with pytest.raises(ImportError, match=r"pip install 'polar-seats\[webhooks\]'") as caught:
        verify(body, signed(body), SECRET, now=NOW)
    assert caught.value.name == "standardwebhooks"


def test_the_verification_error_is_a_polar_error() -> None:
    assert issubclass(WebhookVerificationError, ps.PolarError)
    assert WebhookVerificationError.__module__ == "polar_seats.webhooks"
