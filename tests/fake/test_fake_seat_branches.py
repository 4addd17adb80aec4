"""The fake's seat lifecycle, the paths test_fake_seats.py leaves out: orders and checkouts,
each way of naming the person (email, customer ids, member ids), the member model, seeded
seats an assign never leaves behind; and the claimant's views, and the pytest plugin."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from polar_seats.testing import (
    DEFAULT_ORGANIZATION_TOKEN,
    BillingCustomer,
    FakePolarServer,
    make_subscriptions,
)
from polar_seats.testing._core.store import new_id
from polar_seats.testing._resources.seats import INVITATION_TTL, Seat

from .test_fake_seats import CLAIM, ORG, PORTAL, assign, call

pytest_plugins = ["pytester"]

LIST = "/v1/customer-portal/seats/subscriptions"
UNKNOWN = "43870022-9fb4-41d3-bfb9-f01032e3ab00"  # 04-seats/016: no seat, customer or member


@pytest.fixture
def billing(server: FakePolarServer) -> BillingCustomer:
    """A team that bought 3 seats and a paid order of 2, with an owner member."""
    return server.add_billing_customer(seats=3, members={"boss@x.test": "owner"}, order_seats=2)


@pytest.fixture
def member_model(server: FakePolarServer) -> FakePolarServer:
    """The claimant's organization (the billing customers') with the member model on."""
    server.claimant.organization.member_model_enabled = True
    return server


async def post_raw(
    server: FakePolarServer, path: str, data: bytes, token: str | None = None
) -> tuple[int, Any]:
    """One POST of exactly these bytes as ``application/json``: its status and JSON body."""
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    async with (
        aiohttp.ClientSession() as http,
        http.post(server.url + path, data=data, headers=headers) as response,
    ):
        return response.status, await response.json(content_type=None)


async def seats_of(server: FakePolarServer, billing: BillingCustomer, query: str) -> Any:
    """The portal's ``SeatsList`` for ``query`` (``subscription_id=...`` or ``order_id=...``)."""
    status, listed = await call(server, "GET", f"{PORTAL}?{query}", billing.token)
    assert status == 200, listed
    return listed


def seed_pending(
    server: FakePolarServer, billing: BillingCustomer, token: str | None, **fields: Any
) -> Seat:
    """A pending seat on the billing subscription as Polar's own seed may leave one (no
    member yet, or no token, or nobody), which no assign through the API makes."""
    now = server.clock()
    seat = Seat(
        new_id(),
        billing.subscription_id,
        None,
        "pending",
        invitation_token=token,
        invitation_expires_at=now + INVITATION_TTL if token else None,
        created_at=now,
        **fields,
    )
    server.state.seats.append(seat)
    return seat


def error_of(answer: tuple[int, Any]) -> tuple[int, str, str]:
    """Polar's error envelope: the status, ``error`` and ``detail``."""
    status, body = answer
    return status, body["error"], body["detail"]


def first_entry(answer: tuple[int, Any]) -> tuple[int, str, list[Any], str]:
    """A 422's status, and its first entry's type, location and message."""
    status, body = answer
    assert body["error"] == "RequestValidationError", body
    problem = body["detail"][0]
    return status, problem["type"], problem["loc"], problem["msg"]


# Orders and checkouts ----------------------------------------------------------------------


async def test_an_order_lists_revokes_and_gives_its_seat_back(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """A seat of the order: listed by order_id (the last of repeated values), revoked by
    its id, after which the order has both its seats free again."""
    order = f"order_id={billing.order_id}"
    status, seat = await call(
        server, "POST", PORTAL, billing.token, {"order_id": billing.order_id, "email": "o@x.test"}
    )
    assert (status, seat["order_id"], seat["subscription_id"]) == (200, billing.order_id, None)
    listed = await seats_of(server, billing, f"order_id=not-this&{order}")
    assert ([s["id"] for s in listed["seats"]], listed["available_seats"]) == ([seat["id"]], 1)
    assert listed["total_seats"] == 2
    status, revoked = await call(server, "DELETE", f"{PORTAL}/{seat['id']}", billing.token)
    assert (status, revoked["status"], revoked["order_id"]) == (200, "revoked", billing.order_id)
    assert (await seats_of(server, billing, order))["available_seats"] == 2
    listed = await seats_of(server, billing, f"subscription_id={billing.subscription_id}")
    assert listed["seats"] == []


async def test_the_portal_assigns_by_checkout_and_the_organization_may_not(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """checkout_id finds the subscription that checkout made; an unknown checkout is a 404;
    SeatAssign (the organization's) has no checkout_id, so it names no seat source."""
    checkout = new_id()
    billing.subscription.body["checkout_id"] = checkout
    body = {"checkout_id": checkout, "email": "c@x.test"}
    status, seat = await call(server, "POST", PORTAL, billing.token, body)
    assert (status, seat["subscription_id"], seat["email"]) == (
        200,
        billing.subscription_id,
        "c@x.test",
    )
    unknown = await call(server, "POST", PORTAL, billing.token, {**body, "checkout_id": UNKNOWN})
    assert error_of(unknown) == (
        404,
        "ResourceNotFound",
        "No subscription or order found for this checkout",
    )
    refused = await call(server, "POST", ORG, DEFAULT_ORGANIZATION_TOKEN, body)
    assert first_entry(refused) == (
        422,
        "value_error",
        ["body"],
        "Value error, Exactly one of subscription_id or order_id must be provided",
    )


# Naming the person, the member model off ---------------------------------------------------


async def test_a_known_customer_is_assigned_by_its_id_or_external_id(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """As 04-seats/028 (dave by customer_id): the seat is the customer's, with its email, and
    a member of that email under the billing customer; a second time is SeatAlreadyAssigned
    naming the identifier given."""
    dave = server.add_customer(email="dave@x.test", subscriptions=0)
    eve = server.add_customer(external_id="ext-eve", subscriptions=0)
    status, seat = await assign(server, billing, customer_id=dave.id)
    assert (status, seat["customer_id"], seat["email"]) == (200, dave.id, "dave@x.test")
    assert (seat["member"]["customer_id"], seat["member"]["email"]) == (
        billing.customer.id,
        "dave@x.test",
    )
    status, seat = await assign(server, billing, external_customer_id="ext-eve")
    assert (status, seat["customer_id"], seat["customer_email"]) == (200, eve.id, eve.email)
    assert [mail.to for mail in server.outbox] == ["dave@x.test", eve.email]
    for given in ({"customer_id": dave.id}, {"external_customer_id": "ext-eve"}):
        (value,) = given.values()
        assert error_of(await assign(server, billing, **given)) == (
            400,
            "SeatAlreadyAssigned",
            f"Seat already assigned to customer {value}",
        )


@pytest.mark.parametrize(
    "given", [{"customer_id": UNKNOWN}, {"external_customer_id": "ext-nobody"}]
)
async def test_an_unknown_customer_is_customer_not_found(
    server: FakePolarServer, billing: BillingCustomer, given: dict[str, str]
) -> None:
    """No customer of the organization by that id (and no email to create one by): 404."""
    (value,) = given.values()
    assert error_of(await assign(server, billing, **given)) == (
        404,
        "CustomerNotFound",
        f"Customer not found: {value}",
    )
    assert (await seats_of(server, billing, f"subscription_id={billing.subscription_id}")) == {
        "seats": [],
        "available_seats": 3,
        "total_seats": 3,
    }


async def test_assigning_an_email_again_after_a_revoke_reuses_its_member(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """get_or_create_by_email: the billing customer's member of that email (its owner's
    own address gives the owner), not a second one."""
    _, first = await assign(server, billing, email="erin@x.test")
    await call(server, "DELETE", f"{PORTAL}/{first['id']}", billing.token)
    members = len(server.state.members)
    _, again = await assign(server, billing, email="erin@x.test")
    assert (again["id"], again["member_id"]) == (first["id"], first["member_id"])
    _, boss = await assign(server, billing, email="boss@x.test")
    assert (boss["member_id"], boss["member"]["role"]) == (
        billing.members["boss@x.test"].id,
        "owner",
    )
    assert len(server.state.members) == members


# The member model, and member ids ---------------------------------------------------------


async def test_the_member_model_names_the_person_by_a_customers_email(
    member_model: FakePolarServer, billing: BillingCustomer
) -> None:
    """customer_id on: the seat stays the billing customer's, its member gets the named
    customer's email; an unknown id is InvalidSeatAssignmentRequest; the same person twice
    is SeatAlreadyAssigned by the member's email."""
    server = member_model
    dave = server.add_customer(email="dave@x.test", subscriptions=0)
    status, seat = await assign(server, billing, customer_id=dave.id)
    assert (status, seat["customer_id"], seat["email"]) == (200, billing.customer.id, dave.email)
    assert seat["member"]["customer_id"] == billing.customer.id
    assert error_of(await assign(server, billing, external_customer_id="ext-nobody")) == (
        400,
        "InvalidSeatAssignmentRequest",
        "Customer not found for the provided customer_id or external_customer_id.",
    )
    assert error_of(await assign(server, billing, email="dave@x.test")) == (
        400,
        "SeatAlreadyAssigned",
        "Seat already assigned to customer dave@x.test",
    )


async def test_a_member_id_names_a_member_of_the_billing_customer_only(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """member_id picks the member model's target even with the model off; a member of
    another customer, or none, is MemberNotFound."""
    boss = billing.members["boss@x.test"]
    status, seat = await assign(server, billing, member_id=boss.id)
    assert (status, seat["member_id"], seat["customer_id"], seat["email"]) == (
        200,
        boss.id,
        billing.customer.id,
        "boss@x.test",
    )
    for stranger in (server.claimant.member.id, UNKNOWN):
        assert error_of(await assign(server, billing, member_id=stranger)) == (
            404,
            "MemberNotFound",
            f"Member not found: {stranger}",
        )


async def test_an_external_member_id_finds_or_makes_a_member_and_checks_its_email(
    member_model: FakePolarServer, billing: BillingCustomer
) -> None:
    """Polar's _resolve_member by external_member_id: a known one (its email, if given, must
    be the member's); an unknown one needs an email, and is written on the member of that
    email unless that member already has another."""
    server = member_model
    billing.members["boss@x.test"].external_id = "ext-boss"
    status, seat = await assign(server, billing, external_member_id="ext-boss")
    assert (status, seat["member"]["external_id"], seat["email"]) == (
        200,
        "ext-boss",
        "boss@x.test",
    )
    # ext-boss with another email; boss@x.test (whose member is ext-boss) with another id.
    for external, email in (("ext-boss", "b@x.test"), ("ext-2", "boss@x.test")):
        answer = await assign(server, billing, external_member_id=external, email=email)
        assert error_of(answer) == (
            400,
            "MemberEmailMismatch",
            f"Member with external_member_id '{external}' exists but has a different email "
            f"than '{email}'",
        )
    assert error_of(await assign(server, billing, external_member_id="ext-new")) == (
        404,
        "MemberNotFound",
        "Member not found: ext-new",
    )
    status, seat = await assign(server, billing, external_member_id="ext-new", email="n@x.test")
    assert (status, seat["member"]["external_id"], seat["member"]["email"]) == (
        200,
        "ext-new",
        "n@x.test",
    )
    members = {m.external_id: m.email for m in server.state.members.values() if m.external_id}
    assert (members["ext-boss"], members["ext-new"], "ext-2" in members) == (
        "boss@x.test",
        "n@x.test",
        False,
    )


# Seeded seats ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "seeded",
    [{"token": None, "email": "t@x.test"}, {"token": "seed-token-nobody"}],
    ids=["no-token", "no-email"],
)
async def test_resending_a_pending_seat_without_a_token_or_an_email_is_refused(
    server: FakePolarServer, billing: BillingCustomer, seeded: dict[str, Any]
) -> None:
    """A pending seat with no invitation token, or nobody to send it to: 400
    InvalidInvitationToken, and no email goes out."""
    seat = seed_pending(server, billing, **seeded)
    for side, token in ((PORTAL, billing.token), (ORG, DEFAULT_ORGANIZATION_TOKEN)):
        assert error_of(await call(server, "POST", f"{side}/{seat.id}/resend", token)) == (
            400,
            "InvalidInvitationToken",
            "Invalid or expired invitation token",
        )
    assert server.outbox == []


async def test_a_member_model_claim_gives_a_seeded_seat_its_member(
    member_model: FakePolarServer, billing: BillingCustomer
) -> None:
    """As carol's seeded seat in 05-claim/003, with the member model on: the claim makes a
    member of the seat's email under its customer; the answer shows the member Polar had
    loaded (none), and the member session lists the subscription."""
    server = member_model
    seat = seed_pending(
        server, billing, "seed-carol", email="carol@x.test", customer_id=billing.customer.id
    )
    status, info = await call(server, "GET", f"{CLAIM}/seed-carol")
    assert (status, info["customer_email"], info["can_claim"]) == (200, "carol@x.test", True)
    status, claimed = await call(server, "POST", CLAIM, body={"invitation_token": "seed-carol"})
    assert status == 200
    assert (claimed["seat"]["status"], claimed["seat"]["member"]) == ("claimed", None)
    member = server.state.members[claimed["seat"]["member_id"]]
    assert (member.customer_id, member.email, member.role) == (
        billing.customer.id,
        "carol@x.test",
        "member",
    )
    assert (seat.member_id, seat.invitation_token) == (member.id, None)
    _, page = await call(server, "GET", LIST, claimed["customer_session_token"])
    assert [item["id"] for item in page["items"]] == [billing.subscription_id]


async def test_a_member_model_claim_of_a_seat_without_an_email_is_refused(
    member_model: FakePolarServer, billing: BillingCustomer
) -> None:
    """No member and no email to make one by: InvalidInvitationToken; the seat stays pending."""
    server = member_model
    seat = seed_pending(server, billing, "seed-x", customer_id=billing.customer.id)
    assert error_of(await call(server, "POST", CLAIM, body={"invitation_token": "seed-x"})) == (
        400,
        "InvalidInvitationToken",
        "Invalid or expired invitation token",
    )
    assert (seat.status, seat.member_id, seat.invitation_token) == ("pending", None, "seed-x")


# The claimant's views ----------------------------------------------------------------------


async def listed_ids(server: FakePolarServer) -> list[str]:
    """The ids the claimant's token lists, in order (one page of at most 100)."""
    status, page = await call(server, "GET", f"{LIST}?limit=100", server.token)
    assert status == 200, page
    return [item["id"] for item in page["items"]]


@pytest.mark.polar_fake_server(count=3)
async def test_the_claimed_subscriptions_view_changes_what_the_claimant_lists(
    server: FakePolarServer,
) -> None:
    """Setting an item moves its seat to another subscription; an insert far before the
    start lists first; it compares as a list, not as anything else; a slice cannot be set."""
    first, _, third = (body["id"] for body in server.subscriptions)
    replacement, earliest = make_subscriptions(2, seed=7)
    server.subscriptions[1] = replacement
    server.subscriptions.insert(-10, earliest)
    expected = [earliest["id"], first, replacement["id"], third]
    assert await listed_ids(server) == expected  # not the second any more
    assert server.subscriptions == [server.subscriptions[i] for i in range(4)]
    assert server.subscriptions == server.claimant.subscriptions
    assert (server.subscriptions == 4) is False
    assert repr(server.subscriptions) == "ClaimedSubscriptions(4 subscriptions)"
    with pytest.raises(TypeError, match="one subscription at a time"):
        server.subscriptions[0:1] = [earliest]
    assert await listed_ids(server) == expected


async def test_the_tokens_view_counts_live_sessions_and_leaves_others_alone(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """Adding a live token again mints nothing; discarding an unknown token or another
    customer's leaves every session as it was."""
    assert (len(server.tokens), repr(server.tokens)) == (1, "ClaimantTokens(1 tokens)")
    server.tokens.add(server.token)
    server.tokens.add("polar_mst_second")
    assert len(server.tokens) == 2
    assert len(server.state.sessions) == 2 + 1 + len(billing.member_tokens)
    server.tokens.discard("polar_cst_never_minted")
    server.tokens.discard(billing.token)
    assert (await seats_of(server, billing, f"subscription_id={billing.subscription_id}"))[
        "total_seats"
    ] == 3
    assert len(await listed_ids(server)) == 25
    assert sorted(server.tokens) == sorted([server.token, "polar_mst_second"])


# The pytest plugin -------------------------------------------------------------------------

PLUGIN_USER = """
import pytest

pytestmark = pytest.mark.polar_fake_server(count=2)


async def test_the_modules_marker(polar_fake_server):
    assert len(polar_fake_server.subscriptions) == 2


@pytest.mark.polar_fake_server(count=1)
async def test_the_closest_marker_wins(polar_client):
    assert len([s async for s in polar_client.iter_claimed_subscriptions()]) == 1


@pytest.mark.polar_fake_server(3)
async def test_a_positional_argument(polar_fake_server):
    pass
"""


def test_the_plugin_serves_its_fixtures_to_a_fresh_pytest_run(pytester: pytest.Pytester) -> None:
    """Installed, the plugin is loaded by a new pytest (its entry point), before coverage
    of this run began: its markers configure the fixtures, the closest winning; a
    positional argument is an error of the test's setup."""
    pytester.makepyfile(test_user=PLUGIN_USER)
    result = pytester.runpytest_subprocess(
        *("-o", "asyncio_mode=auto", "-o", "asyncio_default_fixture_loop_scope=function"),
        # Hypothesis's plugin alone would double the run's time.
        *("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-W", "error"),
    )
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        ["*TypeError: @pytest.mark.polar_fake_server takes keyword arguments only*(3,)*"]
    )
