"""polar-sdk 1.0.2's own ``validate_event``, unmodified, accepts the fake's seat webhooks.

The fake POSTs ``customer_seat.assigned``, ``.claimed`` and ``.revoked`` to a receiver on
loopback as seats are assigned, claimed and revoked through polar_seats; each delivery, body
and headers as they arrived, goes to ``polar.<version>.webhooks.validate_event`` of the API
version the fake's endpoint has, with a secret of each form Polar signs with.
"""

from __future__ import annotations

import base64
from types import ModuleType

import pytest

# Imported together, before any event is loaded: importing one extends the SDK's shared
# adaptix retort, which drops every loader built so far (several seconds each to build).
from polar.v2026_04 import webhooks as webhooks_2026_04
from polar.v2026_10 import webhooks as webhooks_2026_10
from polar.v2027_01 import webhooks as webhooks_2027_01

import polar_seats as ps
from polar_seats.testing import FakePolarServer
from tests.support.helpers import deliveries

NEW_SECRET = "whsec_" + base64.b64encode(bytes(range(7, 39))).decode()
"""Made since 2026-09-08: its base64-decoded bytes sign."""
OLD_SECRET = "polar_whs_Kq3vN8yTgR2wXo5LmE7bHc1ZpUa9SdFj4Ve6QiYn0Bk"
"""Older, or set by the merchant: its UTF-8 bytes sign."""

WEBHOOKS: dict[str, ModuleType] = {
    "2026-04": webhooks_2026_04,
    "2026-10": webhooks_2026_10,
    "2027-01": webhooks_2027_01,
}
"""``polar.<version>.webhooks`` of each API version polar-sdk 1.0.2 ships."""


@pytest.mark.parametrize("version", WEBHOOKS)
@pytest.mark.parametrize("secret", [NEW_SECRET, OLD_SECRET], ids=["new-secret", "old-secret"])
async def test_validate_event_accepts_each_seat_event_the_fake_sends(
    version: str, secret: str
) -> None:
    """assigned, claimed, revoked: each one is the SDK's payload class of its type, with
    the endpoint's ``api_version`` and the seat polar_seats saw."""
    webhooks = WEBHOOKS[version]
    async with deliveries() as (url, arrived):
        server = FakePolarServer(
            webhook_url=url, webhook_secret=secret, webhook_api_version=version
        )
        async with server:
            billing = server.add_billing_customer(seats=1)
            async with ps.AsyncClient(
                billing.token, base_url=server.url, rate_limit=None
            ) as client:
                seat = await client.assign_seat(
                    subscription_id=billing.subscription_id, email="erin@x.test"
                )
                await client.claim_seat(server.outbox[-1].token)
                await client.revoke_seat(seat)
            await server.deliver_webhooks()
    payloads = [webhooks.validate_event(body, headers, secret) for body, headers in arrived]
    assert [type(p) for p in payloads] == [
        webhooks.WebhookCustomerSeatAssignedPayload,
        webhooks.WebhookCustomerSeatClaimedPayload,
        webhooks.WebhookCustomerSeatRevokedPayload,
    ]
    assert [p.api_version for p in payloads] == [version] * 3
    assert [(p.data.id, p.data.status) for p in payloads] == [
        (seat.id, "pending"),
        (seat.id, "claimed"),
        (seat.id, "revoked"),
    ]
