"""The fake plays Polar's seat lifecycle: assign, list, resend, revoke, claim, on both sides,
with its outbox of invitation emails, its webhooks, and faults that lose a write's answer."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from polar_seats.testing import (
    DEFAULT_ORGANIZATION_TOKEN,
    BillingCustomer,
    FakePolarServer,
    Fault,
    FaultPlan,
)
from tests.real_polar.test_real_polar import schema

PORTAL = "/v1/customer-portal/seats"
ORG = "/v1/customer-seats"
CLAIM = "/v1/customer-seats/claim"
SEAT = schema("customer-seats.openapi.json", "CustomerSeat")
SEATS_LIST = schema("customer-seats.openapi.json", "SeatsList")
CLAIMED = schema("customer-seats.openapi.json", "CustomerSeatClaimResponse")
CLAIM_INFO = schema("customer-seats.openapi.json", "SeatClaimInfo")
WEBHOOKS = {
    kind: schema("customer-seats.openapi.json", f"WebhookCustomerSeat{kind.title()}Payload")
    for kind in ("assigned", "claimed", "revoked")
}


async def call(
    server: FakePolarServer, method: str, path: str, token: str | None = None, body: Any = None
) -> tuple[int, Any]:
    """One request to the fake: its status and JSON body (or its text, when not JSON)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = json.dumps(body).encode() if body is not None else b""
    if body is not None:
        headers["Content-Type"] = "application/json"
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, server.url + path, headers=headers, data=data) as response,
    ):
        raw = await response.read()
        if response.content_type != "application/json":
            return response.status, raw.decode()
        return response.status, json.loads(raw)


async def assign(server: FakePolarServer, billing: BillingCustomer, **body: Any) -> tuple[int, Any]:
    return await call(
        server, "POST", PORTAL, billing.token, {"subscription_id": billing.subscription_id, **body}
    )


def valid(validator: Any, body: Any) -> bool:
    return not list(validator.iter_errors(body))


@pytest.fixture
async def billing(server: FakePolarServer) -> BillingCustomer:
    return server.add_billing_customer(seats=2, members={"boss@x.test": "owner"})


async def test_assign_gives_a_pending_seat_and_emails_one_invitation(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """200 (not 201), a pending seat for a new customer with a member of the billing customer."""
    status, seat = await assign(server, billing, email="erin@x.test", metadata={"team": "a"})
    assert status == 200
    assert valid(SEAT, seat)
    assert (seat["status"], seat["customer_email"], seat["seat_metadata"]) == (
        "pending",
        "erin@x.test",
        {"team": "a"},
    )
    assert seat["customer_id"] != billing.customer.id
    assert seat["member"]["customer_id"] == billing.customer.id
    assert seat["member"]["role"] == "member"
    assert [(mail.to, mail.seat_id) for mail in server.outbox] == [("erin@x.test", seat["id"])]


async def test_a_subscriptions_seat_count_is_held_once_in_its_body(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """Setting the count writes the body, and the body's count is the one the seats list."""
    billing.subscription.seats = 4
    assert billing.subscription.body["seats"] == 4
    billing.subscription.body["seats"] = 3
    _, listed = await call(
        server, "GET", f"{PORTAL}?subscription_id={billing.subscription_id}", billing.token
    )
    assert (listed["total_seats"], listed["available_seats"]) == (3, 3)


async def test_five_concurrent_assigns_for_the_last_seat_give_one_seat(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """The subscription's lock: one 200, four SeatNotAvailable, no over-provisioning."""
    await assign(server, billing, email="first@x.test")
    answers = await asyncio.gather(
        *(assign(server, billing, email=f"p{n}@x.test") for n in range(5))
    )
    assert sorted(status for status, _ in answers) == [200, 400, 400, 400, 400]
    assert {body.get("error") for status, body in answers if status == 400} == {"SeatNotAvailable"}
    _, listed = await call(
        server, "GET", f"{PORTAL}?subscription_id={billing.subscription_id}", billing.token
    )
    assert (len(listed["seats"]), listed["available_seats"]) == (2, 0)


async def test_the_claim_gives_a_member_session_that_lists_the_subscription_at_once(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """Claim info, then the claim: a polar_mst_ session listing the claimed subscription."""
    await assign(server, billing, email="erin@x.test")
    token = server.outbox[-1].token
    status, info = await call(server, "GET", f"{CLAIM}/{token}")
    assert (status, info["customer_email"], info["can_claim"]) == (200, "erin@x.test", True)
    assert valid(CLAIM_INFO, info)
    status, claimed = await call(server, "POST", CLAIM, body={"invitation_token": token})
    assert status == 200
    assert valid(CLAIMED, claimed)
    assert claimed["seat"]["status"] == "claimed"
    session = claimed["customer_session_token"]
    assert session.startswith("polar_mst_")
    _, page = await call(server, "GET", f"{PORTAL}/subscriptions", session)
    assert [item["id"] for item in page["items"]] == [billing.subscription_id]


async def test_an_invitation_is_single_use(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """After the claim: claim info 404, a second claim 400 InvalidInvitationToken."""
    await assign(server, billing, email="erin@x.test")
    token = server.outbox[-1].token
    assert (await call(server, "POST", CLAIM, body={"invitation_token": token}))[0] == 200
    assert (await call(server, "GET", f"{CLAIM}/{token}"))[0] == 404
    status, body = await call(server, "POST", CLAIM, body={"invitation_token": token})
    assert (status, body) == (
        400,
        {"error": "InvalidInvitationToken", "detail": "Invalid or expired invitation token"},
    )


async def test_an_invitation_expires_after_a_day_on_the_fakes_clock(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """A day and a second later the token neither shows nor claims."""
    await assign(server, billing, email="erin@x.test")
    token = server.outbox[-1].token
    server.clock.advance(86_401)
    assert (await call(server, "GET", f"{CLAIM}/{token}"))[0] == 404
    assert (await call(server, "POST", CLAIM, body={"invitation_token": token}))[0] == 400


async def test_resend_sends_the_same_token_with_the_same_expiry(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """Resend: a second email with the same token; the seat's expiry unchanged."""
    _, seat = await assign(server, billing, email="erin@x.test")
    status, again = await call(server, "POST", f"{PORTAL}/{seat['id']}/resend", billing.token)
    assert status == 200
    assert again["invitation_token_expires_at"] == seat["invitation_token_expires_at"]
    assert [mail.token for mail in server.outbox] == [server.outbox[0].token] * 2


async def test_resend_of_a_claimed_or_revoked_seat_is_seat_not_pending(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """400 SeatNotPending, and no email."""
    _, claimed = await assign(server, billing, email="a@x.test", immediate_claim=True)
    _, revoked = await assign(server, billing, email="b@x.test")
    await call(server, "DELETE", f"{PORTAL}/{revoked['id']}", billing.token)
    for seat in (claimed, revoked):
        status, body = await call(server, "POST", f"{PORTAL}/{seat['id']}/resend", billing.token)
        assert (status, body["error"]) == (400, "SeatNotPending")
    assert len(server.outbox) == 1


async def test_immediate_claim_claims_at_once_without_an_email(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """immediate_claim: claimed, no invitation expiry, nothing in the outbox."""
    _, seat = await assign(server, billing, email="erin@x.test", immediate_claim=True)
    assert (seat["status"], seat["invitation_token_expires_at"]) == ("claimed", None)
    assert server.outbox == []


async def test_revoking_twice_answers_200_and_the_row_is_reused(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """Revoke: cleared, customer_email null the second time; the next assign reuses the id."""
    _, seat = await assign(server, billing, email="erin@x.test")
    status, first = await call(server, "DELETE", f"{PORTAL}/{seat['id']}", billing.token)
    assert (status, first["status"], first["customer_id"], first["email"]) == (
        200,
        "revoked",
        None,
        None,
    )
    assert first["customer_email"] == "erin@x.test"  # the relationships Polar had loaded
    status, second = await call(server, "DELETE", f"{PORTAL}/{seat['id']}", billing.token)
    assert (status, second["customer_email"], second["revoked_at"]) == (
        200,
        None,
        first["revoked_at"],
    )
    _, reused = await assign(server, billing, email="grace@x.test")
    assert (reused["id"], reused["created_at"], reused["status"]) == (
        seat["id"],
        seat["created_at"],
        "pending",
    )


async def test_a_live_seat_for_the_same_person_is_seat_already_assigned(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """The same email twice: 400 SeatAlreadyAssigned with Polar's message."""
    await assign(server, billing, email="erin@x.test")
    status, body = await assign(server, billing, email="erin@x.test")
    assert (status, body["detail"]) == (400, "Seat already assigned to customer erin@x.test")


async def test_a_member_needs_a_billing_role_to_assign(server: FakePolarServer) -> None:
    """Role member: 403 NotPermitted; billing_manager: 200; every member may list."""
    team = server.add_billing_customer(
        members={"mia@x.test": "member", "bill@x.test": "billing_manager"}
    )
    body = {"subscription_id": team.subscription_id, "email": "nina@x.test"}
    status, refused = await call(server, "POST", PORTAL, team.member_tokens["mia@x.test"], body)
    assert (status, refused["error"]) == (403, "NotPermitted")
    assert (await call(server, "POST", PORTAL, team.member_tokens["bill@x.test"], body))[0] == 200
    listing = f"{PORTAL}?subscription_id={team.subscription_id}"
    status, listed = await call(server, "GET", listing, team.member_tokens["mia@x.test"])
    assert status == 200
    assert valid(SEATS_LIST, listed)


async def test_the_member_model_puts_the_billing_customer_on_the_seat(
    server: FakePolarServer,
) -> None:
    """Member model on: seat.customer_id is the billing customer, the member its own."""
    server.claimant.organization.member_model_enabled = True
    team = server.add_billing_customer(members={"boss@x.test": "owner"})
    _, seat = await assign(server, team, email="nina@x.test")
    assert seat["customer_id"] == team.customer.id
    assert (seat["email"], seat["member"]["customer_id"]) == ("nina@x.test", team.customer.id)


async def test_the_organization_side_runs_the_same_service_with_its_scopes(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """customer_seats:write assigns and revokes; read-only lists but gets 403 on assign."""
    body = {"subscription_id": billing.subscription_id, "email": "erin@x.test"}
    status, seat = await call(server, "POST", ORG, DEFAULT_ORGANIZATION_TOKEN, body)
    assert status == 200
    reader = server.state.add_organization_token(
        server.claimant.organization, frozenset({"customer_seats:read"})
    )
    listing = f"{ORG}?subscription_id={billing.subscription_id}"
    status, listed = await call(server, "GET", listing, reader.token)
    assert (status, [s["id"] for s in listed["seats"]]) == (200, [seat["id"]])
    status, refused = await call(server, "POST", ORG, reader.token, body)
    assert (status, refused["error"]) == (403, "insufficient_scope")
    status, revoked = await call(
        server, "DELETE", f"{ORG}/{seat['id']}", DEFAULT_ORGANIZATION_TOKEN
    )
    assert (status, revoked["status"]) == (200, "revoked")


async def test_another_organizations_token_sees_no_subscription(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """A token of another organization: 404 Subscription not found, 404 Seat not found."""
    other = server.state.add_organization(
        {"id": "0c5d0c1e-3b2a-4f3e-9a47-0d2d7d0b8d1a", "slug": "other", "name": "Other"}
    )
    token = server.state.add_organization_token(other, frozenset({"customer_seats:write"}))
    body = {"subscription_id": billing.subscription_id, "email": "erin@x.test"}
    assert await call(server, "POST", ORG, token.token, body) == (
        404,
        {"error": "ResourceNotFound", "detail": "Subscription not found"},
    )


async def test_another_method_on_the_claim_path_meets_the_revoke_route_first(
    server: FakePolarServer,
) -> None:
    """Polar's router declares ``DELETE /v1/customer-seats/{seat_id}`` before the claim's
    routes: a GET on ``/claim`` gets that route's 405 (``Allow: DELETE``, not aiohttp's
    ``DELETE, POST``), a DELETE its 422 for the id "claim"; a POST still claims."""
    async with aiohttp.ClientSession() as http, http.get(server.url + CLAIM) as response:
        assert (response.status, response.headers["Allow"]) == (405, "DELETE")
    status, body = await call(server, "DELETE", CLAIM, DEFAULT_ORGANIZATION_TOKEN)
    assert (status, body["detail"][0]["loc"]) == (422, ["path", "seat_id"])
    status, body = await call(server, "POST", CLAIM, body={"invitation_token": "spent"})
    assert (status, body["error"]) == (400, "InvalidInvitationToken")


async def test_an_unpaid_order_has_no_seat_to_give(server: FakePolarServer) -> None:
    """An order must be paid first: 400 SeatNotAvailable; paid, its seats go out."""
    billing = server.add_billing_customer(order_seats=1)
    assert billing.order is not None
    billing.order.paid = False
    body = {"order_id": billing.order_id, "email": "erin@x.test"}
    status, refused = await call(server, "POST", PORTAL, billing.token, body)
    assert (status, refused["detail"]) == (400, "Order must be paid before assigning seats")
    billing.order.paid = True
    status, seat = await call(server, "POST", PORTAL, billing.token, body)
    assert (status, seat["order_id"], seat["subscription_id"]) == (200, billing.order_id, None)


async def test_metadata_over_a_kilobyte_is_refused(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """json.dumps of the metadata over 1024 characters: 422 "Metadata size cannot exceed 1KB"."""
    status, body = await assign(server, billing, email="e@x.test", metadata={"k": "x" * 1020})
    assert status == 422
    assert body["detail"][0]["msg"] == "Value error, Metadata size cannot exceed 1KB"
    assert (await assign(server, billing, email="e@x.test", metadata={"k": "x" * 1010}))[0] == 200


async def test_an_undeliverable_domain_fails_the_mx_check(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """A domain in undeliverable_domains (or under one): Polar's 422 "does not exist"."""
    server.undeliverable_domains.add("nomx.test")
    status, body = await assign(server, billing, email="zed@a.nomx.test")
    assert status == 422
    assert body["detail"][0]["ctx"]["reason"] == "The domain name a.nomx.test does not exist."
    assert server.outbox == []


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[str, list[tuple[dict[str, str], str]]]]:
    """A webhook endpoint on loopback: its URL and what it received."""
    received: list[tuple[dict[str, str], str]] = []

    async def endpoint(request: web.Request) -> web.Response:
        received.append((dict(request.headers), await request.text()))
        return web.Response(status=202)

    app = web.Application()
    app.router.add_post("/hook", endpoint)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}/hook", received
    await runner.cleanup()


async def test_seat_events_are_posted_signed_in_order(
    receiver: tuple[str, list[tuple[dict[str, str], str]]],
) -> None:
    """assigned, claimed, revoked: each verified by standardwebhooks, recorded with its 202."""
    url, received = receiver
    async with FakePolarServer(webhook_url=url, webhook_secret="polar_whs_secret") as server:
        billing = server.add_billing_customer()
        _, seat = await assign(server, billing, email="erin@x.test")
        await call(server, "POST", CLAIM, body={"invitation_token": server.outbox[-1].token})
        await call(server, "DELETE", f"{PORTAL}/{seat['id']}", billing.token)
        await server.deliver_webhooks()
    verifier = Webhook(base64.b64encode(b"polar_whs_secret").decode())
    payloads = [verifier.verify(body, headers) for headers, body in received]
    assert [p["type"] for p in payloads] == [
        "customer_seat.assigned",
        "customer_seat.claimed",
        "customer_seat.revoked",
    ]
    assert all(valid(WEBHOOKS[p["type"].split(".")[1]], p) for p in payloads)
    assert [p["data"]["status"] for p in payloads] == ["pending", "claimed", "revoked"]
    assert [d.status for d in server.webhooks_sent] == [202, 202, 202]
    # Polar's order of the payload's keys; the endpoint's version (Current) in body and header.
    assert all(list(p) == ["type", "timestamp", "api_version", "data"] for p in payloads)
    assert {p["api_version"] for p in payloads} == {"2026-10"}
    assert {headers["webhook-api-version"] for headers, _ in received} == {"2026-10"}


NEW_SECRET = "whsec_" + base64.b64encode(bytes(range(100, 132))).decode()
"""Shaped like the secrets Polar makes since 2026-09-08: base64 after ``whsec_``."""


@pytest.mark.parametrize(
    ("secret", "key"),
    [
        pytest.param(NEW_SECRET, bytes(range(100, 132)), id="whsec-base64"),
        pytest.param(NEW_SECRET.rstrip("="), bytes(range(100, 132)), id="whsec-unpadded"),
        pytest.param("polar_whs_secret", b"polar_whs_secret", id="older"),
        pytest.param("whsec_test_secret", b"whsec_test_secret", id="whsec-not-base64"),
        pytest.param("whsec_", b"whsec_", id="whsec-alone"),
    ],
)
async def test_the_secrets_form_chooses_the_signing_key(
    receiver: tuple[str, list[tuple[dict[str, str], str]]], secret: str, key: bytes
) -> None:
    """A ``whsec_<base64>`` secret signs with its decoded bytes, any other with its UTF-8
    bytes: standardwebhooks, given that key, verifies; given the other one, refuses."""
    url, received = receiver
    async with FakePolarServer(webhook_url=url, webhook_secret=secret) as server:
        await assign(server, server.add_billing_customer(), email="erin@x.test")
        await server.deliver_webhooks()
    ((headers, body),) = received
    assert Webhook(base64.b64encode(key).decode()).verify(body, headers)["type"] == (
        "customer_seat.assigned"
    )
    other = secret.encode() if key != secret.encode() else b"another key"
    with pytest.raises(WebhookVerificationError):
        Webhook(base64.b64encode(other).decode()).verify(body, headers)


async def test_a_new_webhook_api_version_holds_for_later_events(
    receiver: tuple[str, list[tuple[dict[str, str], str]]],
) -> None:
    """Changed between two events: the first keeps the version it was made with."""
    url, received = receiver
    async with FakePolarServer(
        webhook_url=url, webhook_secret="s", webhook_api_version="2026-04"
    ) as server:
        billing = server.add_billing_customer()
        await assign(server, billing, email="erin@x.test")
        server.webhook_api_version = "2027-01"
        await assign(server, billing, email="frank@x.test")
        await server.deliver_webhooks()
    assert server.webhook_api_version == "2027-01"
    assert [json.loads(body)["api_version"] for _, body in received] == ["2026-04", "2027-01"]
    assert [h["webhook-api-version"] for h, _ in received] == ["2026-04", "2027-01"]
    assert [d.payload["api_version"] for d in server.webhooks_sent] == ["2026-04", "2027-01"]


@pytest.mark.parametrize("version", ["2025-10", "2026-4", "", "latest"])
def test_a_webhook_api_version_the_fake_does_not_know_is_refused(version: str) -> None:
    """In the constructor and as an attribute: ValueError naming the versions there are."""
    with pytest.raises(ValueError, match=r"\(2026-04, 2026-10, 2027-01\), not "):
        FakePolarServer(webhook_api_version=version)
    server = FakePolarServer()
    with pytest.raises(ValueError, match="webhook_api_version is one of"):
        server.webhook_api_version = version
    assert server.webhook_api_version == "2026-10"


async def test_an_unreachable_endpoint_is_recorded_as_failed() -> None:
    """A refused connection: the delivery is recorded with no status and the error."""
    async with FakePolarServer(webhook_secret="s") as server:
        server.webhook_url = "http://127.0.0.1:9/hook"  # the discard port: nothing listens
        billing = server.add_billing_customer()
        await assign(server, billing, email="erin@x.test")
        await server.deliver_webhooks()
    (delivery,) = server.webhooks_sent
    assert (delivery.type, delivery.status) == ("customer_seat.assigned", None)
    assert delivery.error is not None


async def test_no_webhook_is_sent_without_a_url(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """No webhook_url: nothing queued, nothing recorded."""
    server.webhook_secret = "s"
    await assign(server, billing, email="erin@x.test")
    assert server.webhooks_sent == []


async def test_an_assign_whose_answer_is_lost_still_assigned(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """Fault.reset(after=True): the connection drops, yet the seat and its email exist."""
    server.faults = FaultPlan({1: Fault.reset(after=True)})
    with pytest.raises(aiohttp.ClientError):
        await assign(server, billing, email="erin@x.test")
    listing = f"{PORTAL}?subscription_id={billing.subscription_id}"
    _, listed = await call(server, "GET", listing, billing.token)
    assert [s["customer_email"] for s in listed["seats"]] == ["erin@x.test"]
    assert len(server.outbox) == 1
    status, again = await assign(server, billing, email="erin@x.test")
    assert (status, again["error"]) == (400, "SeatAlreadyAssigned")


async def test_a_revoke_whose_answer_is_lost_still_revoked(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """A 502 after the route ran: the seat is revoked all the same; revoking again is 200."""
    _, seat = await assign(server, billing, email="erin@x.test")
    server.faults = FaultPlan({1: Fault.server_error(502).after()})
    lost = await call(server, "DELETE", f"{PORTAL}/{seat['id']}", billing.token)
    assert lost == (502, "Internal Server Error")
    assert [s.status for s in server.state.seats if s.id == seat["id"]] == ["revoked"]
    status, again = await call(server, "DELETE", f"{PORTAL}/{seat['id']}", billing.token)
    assert (status, again["status"]) == (200, "revoked")


async def test_the_assign_body_is_checked_as_pydantic_checks_it(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """Field errors first (bad UUID, bad email), then the model's rules, one at a time."""
    status, body = await call(server, "POST", PORTAL, billing.token, {"subscription_id": "x"})
    assert (status, body["detail"][0]["loc"]) == (422, ["body", "subscription_id"])
    status, body = await call(
        server,
        "POST",
        PORTAL,
        billing.token,
        {
            "subscription_id": billing.subscription_id,
            "member_id": billing.customer.id,
            "email": "e@x.test",
        },
    )
    assert body["detail"][0]["msg"] == "Value error, Cannot combine member_id with email"
    status, body = await call(
        server, "POST", ORG, DEFAULT_ORGANIZATION_TOKEN, {"email": "e@x.test"}
    )
    assert body["detail"][0]["msg"] == (
        "Value error, Exactly one of subscription_id or order_id must be provided"
    )
