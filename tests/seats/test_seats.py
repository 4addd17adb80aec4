"""The seat operations through the client: each endpoint chosen by the credential, Polar's
checks before any request, its 400s as errors of their own, reconciliation in the cases the
write matrix leaves out, and no secret in any message."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

import polar_seats as ps
from polar_seats._models import CUSTOMER_SEAT, SEAT_CLAIM, SEAT_CLAIM_INFO, SEATS_LIST
from polar_seats._protocol import error_for_status
from polar_seats._resources.seats import Person, same_occupant
from polar_seats.testing import (
    DEFAULT_ORGANIZATION_TOKEN,
    BillingCustomer,
    FakePolarServer,
    Fault,
    FaultPlan,
    advance_testing_clock,
    set_testing,
)

EXCHANGES = Path(__file__).parents[1] / "real_polar" / "exchanges"


@pytest.fixture
def billing(server: FakePolarServer) -> BillingCustomer:
    return server.add_billing_customer(
        seats=2, members={"boss@x.test": "owner", "mia@x.test": "member"}, order_seats=1
    )


def customer(server: FakePolarServer, token: str) -> ps.AsyncClient:
    return ps.AsyncClient(token, base_url=server.url, rate_limit=None)


def organization(server: FakePolarServer) -> ps.AsyncClient:
    return ps.AsyncClient(
        organization_token=DEFAULT_ORGANIZATION_TOKEN, base_url=server.url, rate_limit=None
    )


def seats_of(server: FakePolarServer, billing: BillingCustomer) -> list[Any]:
    """The fake's seat rows of the billing customer's subscription."""
    return [s for s in server.state.seats if s.subscription_id == billing.subscription_id]


def paths(server: FakePolarServer, first: int = 0) -> list[str]:
    return [f"{r.method} {r.path}" for r in server.requests[first:]]


async def test_the_credential_picks_the_portal_or_the_organization_side(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """A customer token and a customer view use the portal; the organization token alone
    uses /v1/customer-seats; both see the same seats."""
    async with customer(server, billing.token) as me, organization(server) as org:
        mine = await me.assign_seat(subscription_id=billing.subscription_id, email="ada@x.test")
        theirs = await org.list_seats(subscription_id=billing.subscription_id)
        viewed = await org.for_customer(customer_id=billing.customer.id).list_seats(
            subscription_id=billing.subscription_id
        )
        revoked = await org.revoke_seat(theirs.seats[0])
    assert [s.id for s in theirs.seats] == [s.id for s in viewed.seats] == [mine.id]
    assert (theirs.total_seats, theirs.available_seats) == (2, 1)
    assert revoked.status == ps.SeatStatus.REVOKED
    assert [p for p in paths(server) if "customer-sessions" not in p] == [
        "POST /v1/customer-portal/seats",
        "GET /v1/customer-seats",
        "GET /v1/customer-portal/seats",
        f"DELETE /v1/customer-seats/{mine.id}",
    ]


async def test_an_order_has_seats_too(server: FakePolarServer, billing: BillingCustomer) -> None:
    async with customer(server, billing.token) as me:
        assert billing.order_id is not None
        seat = await me.assign_seat(order_id=billing.order_id, email="ada@x.test")
        listed = await me.list_seats(order_id=billing.order_id)
    assert (seat.order_id, seat.subscription_id) == (billing.order_id, None)
    assert (listed.total_seats, listed.available_seats, listed.live()) == (1, 0, [seat])


async def test_the_whole_cycle_with_an_invitation_read_from_the_outbox(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    async with customer(server, billing.token) as me, ps.AsyncClient(base_url=server.url) as anon:
        seat = await me.assign_seat(
            subscription_id=billing.subscription_id, email="ada@x.test", metadata={"team": "eng"}
        )
        again = await me.resend_invitation(seat)
        token = server.outbox[-1].token
        info = await anon.get_claim_info(token)
        claim = await anon.claim_seat(token)
        async with customer(server, claim.customer_session_token) as ada:
            held = [sub.id async for sub in ada.iter_claimed_subscriptions()]
        with pytest.raises(ps.InvitationTokenError) as used:
            await anon.claim_seat(token)
        with pytest.raises(ps.InvitationTokenError) as gone:
            await anon.get_claim_info(token)
    assert (seat.status, seat.seat_metadata, seat.occupant_email) == (
        "pending",
        {"team": "eng"},
        "ada@x.test",
    )
    assert again.invitation_token_expires_at == seat.invitation_token_expires_at
    assert [mail.to for mail in server.outbox] == ["ada@x.test", "ada@x.test"]
    assert (info.customer_email, info.can_claim) == ("ada@x.test", True)
    assert claim.seat.status == ps.SeatStatus.CLAIMED
    assert claim.customer_session_token.startswith("polar_mst_")
    assert held == [billing.subscription_id]
    assert (used.value.status, used.value.error) == (400, "InvalidInvitationToken")
    assert gone.value.status == 404
    for error in (used.value, gone.value):
        assert token not in str(error)
        assert token not in repr(error.request)
    assert "customer_session_token=<redacted>" in repr(claim)
    assert claim.customer_session_token not in repr(claim)


async def test_polar_s_refusals_have_their_own_errors(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    async with customer(server, billing.token) as me:
        await me.assign_seat(subscription_id=billing.subscription_id, email="ada@x.test")
        with pytest.raises(ps.SeatAlreadyAssignedError) as twice:
            await me.assign_seat(subscription_id=billing.subscription_id, email="ada@x.test")
        await me.assign_seat(subscription_id=billing.subscription_id, email="bob@x.test")
        with pytest.raises(ps.SeatNotAvailableError) as full:
            await me.assign_seat(subscription_id=billing.subscription_id, email="cy@x.test")
        claimed = await me.assign_seat(
            order_id=str(billing.order_id), immediate_claim=True, email="dee@x.test"
        )
        with pytest.raises(ps.BadRequestError) as not_pending:
            await me.resend_invitation(claimed)
    async with customer(server, billing.member_tokens["mia@x.test"]) as mia:
        with pytest.raises(ps.PermissionDeniedError) as member:
            await mia.revoke_seat(claimed)
    assert twice.value.error == "SeatAlreadyAssigned"
    assert "list_seats() shows it" in str(twice.value)
    assert (full.value.error, full.value.status) == ("SeatNotAvailable", 400)
    assert str(full.value.detail).startswith("No available seats for")
    assert "revoke one, or buy more seats" in str(full.value)
    assert type(not_pending.value) is ps.BadRequestError
    assert not_pending.value.error == "SeatNotPending"
    assert member.value.error == "NotPermitted"
    assert claimed.status == "claimed"
    assert len(server.outbox) == 2


@pytest.mark.parametrize(
    ("arguments", "said", "argument"),
    [
        ({"email": "a@x.test"}, "exactly one of subscription_id", "subscription_id, order_id"),
        (
            {"subscription_id": "S", "order_id": "S", "email": "a@x.test"},
            "exactly one of",
            "subscription_id, order_id",
        ),
        (
            {"subscription_id": "S"},
            "Name the person",
            "email, external_customer_id, customer_id, member_id, external_member_id",
        ),
        (
            {"subscription_id": "S", "email": "a@x.test", "customer_id": "C"},
            "exactly one of email",
            "email, customer_id",
        ),
        (
            {"subscription_id": "S", "customer_id": "C", "member_id": "M"},
            "one way",
            "customer_id, member_id",
        ),
        (
            {"subscription_id": "S", "member_id": "M", "external_member_id": "E"},
            "not both",
            "member_id, external_member_id",
        ),
        (
            {"subscription_id": "S", "member_id": "M", "email": "a@x.test"},
            "member_id= with email",
            "email, member_id",
        ),
        ({"subscription_id": "S", "email": ""}, "non-empty str", "email"),
        ({"subscription_id": "nope", "email": "a@x.test"}, "must be a Polar id", "subscription_id"),
        ({"order_id": "../seats", "email": "a@x.test"}, "must be a Polar id", "order_id"),
        (
            {
                "subscription_id": "S",
                "email": "a@x.test",
                "metadata": {str(n): n for n in range(11)},
            },
            "at most 10 keys",
            "metadata",
        ),
        (
            {"subscription_id": "S", "email": "a@x.test", "metadata": {"k": "v" * 1100}},
            "1024 bytes",
            "metadata",
        ),
    ],
)
async def test_polar_s_assign_rules_are_checked_before_any_request(
    server: FakePolarServer,
    billing: BillingCustomer,
    arguments: dict[str, Any],
    said: str,
    argument: str,
) -> None:
    """A rule of Polar's broken: an InvalidArgumentError (so a ValueError and a
    PolarError) naming the arguments at fault, and nothing sent."""
    for key in ("subscription_id", "order_id"):
        if arguments.get(key) == "S":
            arguments[key] = billing.subscription_id
    async with customer(server, billing.token) as me:
        with pytest.raises(ValueError, match=said) as caught:
            await me.assign_seat(**arguments)
    assert isinstance(caught.value, ps.InvalidArgumentError)
    assert caught.value.argument == argument
    assert server.requests == []


_ONE_WAY = ("email", "customer_id", "external_customer_id")
_IDS = ("customer_id", "external_customer_id", "member_id", "external_member_id")
_MEMBER = ("member_id", "external_member_id")
_EVERY_WAY = ("email", "external_customer_id", "customer_id", *_MEMBER)


@pytest.mark.parametrize(
    ("person", "given", "choices"),
    [
        ({"email": "a@x.test", "external_customer_id": "X"}, _ONE_WAY[::2], _ONE_WAY),
        ({"customer_id": "C", "external_customer_id": "X"}, _EVERY_WAY[1:3], _ONE_WAY),
        ({"member_id": "M", "external_member_id": "N"}, _MEMBER, _MEMBER),
        ({"member_id": "M", "email": "a@x.test"}, ("email", "member_id"), ("email", "member_id")),
        ({"customer_id": "C", "member_id": "M"}, ("customer_id", "member_id"), _IDS),
        ({}, (), _EVERY_WAY),
    ],
    ids=[
        "email+external",
        "both customer ids",
        "both member ids",
        "member+email",
        "customer+member",
        "nobody",
    ],
)
async def test_a_choice_between_arguments_gives_them_as_fields(
    server: FakePolarServer,
    billing: BillingCustomer,
    person: dict[str, str],
    given: tuple[str, ...],
    choices: tuple[str, ...],
) -> None:
    """For a front end that names arguments its own way (the command line): those given,
    and those to pass exactly one of, as fields; nothing sent."""
    async with customer(server, billing.token) as me:
        with pytest.raises(ps.InvalidArgumentError) as caught:
            await me.assign_seat(subscription_id=billing.subscription_id, **person)
    assert (caught.value.given, caught.value.choices) == (given, choices)
    assert caught.value.expected is None
    assert server.requests == []


async def test_mistakes_in_other_calls_are_caught_before_any_request(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """No credential, no container, a seat id or an invitation token that cannot be one:
    InvalidArgumentError naming the argument; a key of the wrong type: TypeError."""
    async with ps.AsyncClient(base_url=server.url) as nobody, customer(server, billing.token) as me:
        with pytest.raises(ps.InvalidArgumentError, match="Managing seats needs") as anonymous:
            await nobody.list_seats(subscription_id=billing.subscription_id)
        with pytest.raises(ps.InvalidArgumentError, match="Pass exactly one") as neither:
            await me.list_seats()
        with pytest.raises(ps.InvalidArgumentError, match="must be a Polar id") as path:
            await me.revoke_seat("../../customer-sessions")
        with pytest.raises(TypeError, match="metadata keys must be str"):
            await me.assign_seat(
                subscription_id=billing.subscription_id, email="a@x.test", metadata={1: "x"}
            )  # type: ignore[dict-item]
        with pytest.raises(ps.InvalidArgumentError, match="not the whole link") as link:
            await nobody.claim_seat("https://polar.sh/claim?token=secret-abc")
        with pytest.raises(ps.InvalidArgumentError, match="empty") as empty:
            await nobody.get_claim_info("")
    assert anonymous.value.argument == "token, organization_token"
    assert neither.value.argument == "subscription_id, order_id"
    assert (anonymous.value.given, neither.value.given, path.value.given) == ((), (), ("seat",))
    assert anonymous.value.choices == ("token", "organization_token")
    assert neither.value.choices == ("subscription_id", "order_id")
    assert path.value.expected == "a Polar id, a UUID such as '…-4f1c-…'"
    assert path.value.argument == "seat"
    assert link.value.argument == empty.value.argument == "invitation_token"
    assert "secret-abc" not in str(link.value)
    assert server.requests == []


async def test_ids_may_be_uuids(server: FakePolarServer, billing: BillingCustomer) -> None:
    """A uuid.UUID is taken wherever an id is, and sent as its string."""
    dave = server.add_customer(email="dave@x.test")
    subscription = UUID(billing.subscription_id)
    async with organization(server) as org:
        seats = await org.list_seats(subscription_id=subscription)
        seat = await org.assign_seat(subscription_id=subscription, customer_id=UUID(dave.id))
        revoked = await org.revoke_seat(UUID(seat.id))
        by_order = await org.list_seats(order_id=UUID(str(billing.order_id)))
    assert seats.seats == []
    assert seat.subscription_id == billing.subscription_id
    assert seat.customer_id == dave.id
    assert revoked.status == ps.SeatStatus.REVOKED
    assert by_order.total_seats == 1
    assert [r.query for r in server.requests if r.method == "GET"] == [
        {"subscription_id": billing.subscription_id},
        {"order_id": billing.order_id},
    ]


async def test_an_id_of_another_type_is_still_a_type_error(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """Neither a str nor a UUID: TypeError saying which types an id may be, nothing sent."""
    async with customer(server, billing.token) as me:
        with pytest.raises(TypeError, match=r"subscription_id must be a str or a uuid\.UUID"):
            await me.list_seats(subscription_id=42)  # type: ignore[arg-type]
    assert server.requests == []


async def test_a_malformed_email_is_polar_s_422_with_the_field_named(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """Polar refuses an address that is not one: a RequestValidationError, not a
    CustomerNotFoundError, whose problems name the email field."""
    async with customer(server, billing.token) as me:
        with pytest.raises(ps.RequestValidationError) as caught:
            await me.assign_seat(subscription_id=billing.subscription_id, email="ada.x.test")
    assert type(caught.value) is ps.RequestValidationError
    assert caught.value.problems == (
        ps.ValidationProblem(
            loc=("body", "email"),
            msg="value is not a valid email address: An email address must have an @-sign.",
            type="value_error",
        ),
    )


async def test_an_expired_invitation_is_not_resent(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """Polar would email the same dead link again: say to revoke and assign, send nothing."""
    async with customer(server, billing.token) as me:
        seat = await me.assign_seat(subscription_id=billing.subscription_id, email="a@x.test")
        assert seat.invitation_token_expires_at is not None
        stale = ps.CustomerSeat(
            **{
                **{f: getattr(seat, f) for f in seat.__struct_fields__},
                "invitation_token_expires_at": datetime.now(timezone.utc) - timedelta(seconds=1),
            }
        )
        sent = len(server.requests)
        with pytest.raises(ps.InvalidArgumentError, match="Revoke the seat and assign") as dead:
            await me.resend_invitation(stale)
    assert dead.value.argument == "seat"
    assert len(server.requests) == sent
    assert len(server.outbox) == 1


async def test_a_member_model_seat_is_found_again_by_email_not_by_the_billing_customer(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """With the member model, every seat's customer_id is the billing customer's: it must
    not make any seat look like the person's."""
    organization_id = billing.subscription.organization_id
    server.state.organizations[organization_id].member_model_enabled = True
    async with customer(server, billing.token) as me:
        other = await me.assign_seat(subscription_id=billing.subscription_id, email="bo@x.test")
        server.faults = FaultPlan({1: Fault.reset().after()})
        with set_testing(True):
            mine = await me.assign_seat(subscription_id=billing.subscription_id, email="a@x.test")
    assert other.customer_id == mine.customer_id == billing.customer.id
    assert (mine.email, mine.id != other.id) == ("a@x.test", True)
    assert not Person(customer_id=billing.customer.id).holds(other)
    assert Person(email="A@X.test").holds(mine)


async def test_an_external_customer_id_cannot_be_found_in_a_list_so_its_loss_is_reported(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """No seat shows an external customer id: after a lost answer the resend's refusal
    proves a seat exists but not which, so the outcome is reported as unknown."""
    server.add_customer(external_id="usr_7", email="seven@x.test")
    server.state.customers[
        next(reversed(server.state.customers))
    ].organization_id = billing.subscription.organization_id
    server.faults = FaultPlan({1: Fault.reset().after()})
    async with customer(server, billing.token) as me:
        with set_testing(True), pytest.raises(ps.OutcomeUnknownError) as caught:
            await me.assign_seat(
                subscription_id=billing.subscription_id, external_customer_id="usr_7"
            )
    assert "cannot check" in str(caught.value)
    # What is known and what to call next are kept apart: a command line or a web page
    # shows the finding with its own next step.
    error = caught.value
    assert error.finding.endswith("cannot check whether the lost attempt took one.")
    assert "list_seats()" in error.advice
    assert "list_seats()" not in error.finding
    assert str(error) == f"{error.finding} {error.advice}"
    assert isinstance(caught.value.__cause__, ps.SeatAlreadyAssignedError)
    assert caught.value.request is not None
    assert caught.value.request.method == "POST"
    assert [s.status for s in seats_of(server, billing)] == ["pending"]
    assert [r.method for r in server.requests] == ["POST", "POST"]


async def test_without_retries_an_unknown_assign_is_reported_once_checked(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """retry=None: one send; after a drop before the route ran, the list shows no seat of the
    person, and the error says assigning again is safe."""
    server.faults = FaultPlan({1: Fault.reset()})
    async with ps.AsyncClient(billing.token, base_url=server.url, retry=None) as me:
        with pytest.raises(ps.OutcomeUnknownError, match="Assigning again is safe") as caught:
            await me.assign_seat(subscription_id=billing.subscription_id, email="a@x.test")
    assert "Gave up after 1 attempt" in str(caught.value)
    assert "(retries are off: retry=None)" in str(caught.value)
    assert [r.method for r in server.requests] == ["POST", "GET"]
    assert seats_of(server, billing) == []


async def test_a_revoke_whose_occupant_stays_is_sent_until_the_attempts_run_out(
    server: FakePolarServer, billing: BillingCustomer, caplog: pytest.LogCaptureFixture
) -> None:
    async with customer(server, billing.token) as me:
        seat = await me.assign_seat(subscription_id=billing.subscription_id, email="a@x.test")
        server.faults = FaultPlan({n: Fault.reset() for n in range(1, 9, 2)})
        with (
            set_testing(True),
            caplog.at_level(logging.WARNING, "polar_seats"),
            pytest.raises(ps.OutcomeUnknownError, match="still holds the same person"),
        ):
            await me.revoke_seat(seat)
    # Each lost DELETE is followed by a read: the last one too, which might have worked.
    assert [r.method for r in server.requests[1:]] == ["DELETE", "GET"] * 4
    assert [s.status for s in seats_of(server, billing)] == ["pending"]
    resends = [r.message for r in caplog.records if r.message.startswith("Retrying revoke seat")]
    assert len(resends) == 3
    assert all(m.endswith("the seat still holds the same person") for m in resends)


def test_an_occupant_is_the_same_by_member_or_by_email() -> None:
    def seat(**fields: Any) -> ps.CustomerSeat:
        return ps.CustomerSeat(id="0" * 32, status="pending", **fields)

    assert same_occupant(seat(member_id="m1"), seat(member_id="m1", email="x@x.test"))
    assert not same_occupant(seat(member_id="m2"), seat(member_id="m1"))
    assert same_occupant(seat(customer_email="A@x.test"), seat(email="a@X.test"))
    assert not same_occupant(seat(customer_email="b@x.test"), seat(email="a@x.test"))
    assert not same_occupant(seat(), seat())
    assert not same_occupant(ps.CustomerSeat(id="0" * 32, status="revoked"), seat())


def _recorded(group: str) -> list[dict[str, Any]]:
    return [json.loads(path.read_text()) for path in sorted((EXCHANGES / group).glob("*.json"))]


def test_the_client_decodes_every_recorded_seat_and_claim_answer() -> None:
    """Each 200 of Polar's real server decodes with the client's models, field for field;
    each error status becomes the error class the client raises."""
    decoded: set[str] = set()
    for exchange in _recorded("04-seats") + _recorded("05-claim"):
        request, answer = exchange["request"], exchange["response"]
        body = json.dumps(answer.get("body_json")).encode()
        method, path = request["method"], request["path"]
        if answer["status"] != 200 or "subscriptions" in path or "introspect" in path:
            if answer["status"] >= 400:
                error = error_for_status(answer["status"], {}, body)
                code = (answer.get("body_json") or {}).get("error")
                expected = {
                    "SeatNotAvailable": ps.SeatNotAvailableError,
                    "SeatAlreadyAssigned": ps.SeatAlreadyAssignedError,
                    "InvalidInvitationToken": ps.InvitationTokenError,
                    "NotPermitted": ps.PermissionDeniedError,
                }.get(code)
                assert expected is None or type(error) is expected, (path, code)
            continue
        sent = answer["body_json"]
        if method == "GET" and path.endswith("/seats"):
            decoded.add("list")
            listed = SEATS_LIST.decode(body)
            assert [s.id for s in listed.seats] == [s["id"] for s in sent["seats"]]
            assert [s.status for s in listed.seats] == [s["status"] for s in sent["seats"]]
            assert listed.available_seats == sent["available_seats"]
        elif "/claim/" in path:
            decoded.add("claim info")
            info = SEAT_CLAIM_INFO.decode(body)
            assert (info.customer_email, info.can_claim) == (sent["customer_email"], True)
        elif path.endswith("/claim"):
            decoded.add("claim")
            claim = SEAT_CLAIM.decode(body)
            assert claim.seat.id == sent["seat"]["id"]
            assert claim.customer_session_token == sent["customer_session_token"]
        else:
            decoded.add("seat")
            seat = CUSTOMER_SEAT.decode(body)
            assert (seat.id, seat.status, seat.customer_email) == (
                sent["id"],
                sent["status"],
                sent["customer_email"],
            )
            assert seat.member is None or seat.member.id == sent["member"]["id"]
    assert decoded == {"list", "claim info", "claim", "seat"}


async def test_five_concurrent_assigns_for_the_last_seat_give_one_seat(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """Through the client as through the fake: one seat, four SeatNotAvailableError."""
    async with customer(server, billing.token) as me:
        await me.assign_seat(subscription_id=billing.subscription_id, email="first@x.test")
        results = await asyncio.gather(
            *(
                me.assign_seat(subscription_id=billing.subscription_id, email=f"p{n}@x.test")
                for n in range(5)
            ),
            return_exceptions=True,
        )
    won = [r for r in results if isinstance(r, ps.CustomerSeat)]
    assert len(won) == 1
    assert [type(r) for r in results if not isinstance(r, ps.CustomerSeat)] == [
        ps.SeatNotAvailableError
    ] * 4
    assert len([s for s in seats_of(server, billing) if s.status != "revoked"]) == 2


async def test_a_concurrent_assign_of_the_same_person_counts_as_success(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """Someone else assigned Ada, and this call's answer was lost: her seat is the result,
    and no other seat would be."""
    async with customer(server, billing.token) as me, customer(server, billing.token) as them:
        bo = await them.assign_seat(subscription_id=billing.subscription_id, email="bo@x.test")
        ada = await them.assign_seat(subscription_id=billing.subscription_id, email="ada@x.test")
        server.faults = FaultPlan({1: Fault.reset()})
        with set_testing(True):
            mine = await me.assign_seat(subscription_id=billing.subscription_id, email="ada@x.test")
    assert mine.id == ada.id != bo.id
    assert [r.method for r in server.requests[2:]] == ["POST", "GET"]


@pytest.mark.parametrize(
    ("person", "seat", "holds"),
    [
        (
            Person(member_id="m1"),
            {"member": {"id": "m1", "customer_id": "b", "email": "a@x"}},
            True,
        ),
        (Person(member_id="m1"), {"member_id": "m2"}, False),
        (
            Person(external_member_id="e1"),
            {"member": {"id": "m", "customer_id": "b", "email": "a@x", "external_id": "e1"}},
            True,
        ),
        (Person(external_member_id="e1"), {}, False),
        (Person(customer_id="c1"), {"customer_id": "c1"}, True),
        (
            Person(customer_id="c1"),
            {"customer_id": "c1", "member": {"id": "m", "customer_id": "c1", "email": "a@x"}},
            False,
        ),
        (Person(email="a@x"), {"customer_email": "A@X", "status": "revoked"}, False),
        (Person(external_customer_id="u1"), {"customer_id": "c1"}, False),
    ],
)
def test_who_holds_a_seat(person: Person, seat: dict[str, Any], holds: bool) -> None:
    fields = {"id": "0" * 32, "status": "pending", **seat}
    assert person.holds(CUSTOMER_SEAT.decode(json.dumps(fields).encode())) is holds


def test_the_argument_types_are_checked() -> None:
    from polar_seats._resources.seats import (
        check_invitation_token,
        check_metadata,
        expired,
        seat_id_of,
    )

    with pytest.raises(TypeError, match="seat must be a str"):
        seat_id_of(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="invitation token must be a str"):
        check_invitation_token(b"token")
    with pytest.raises(TypeError, match="metadata must be a dict"):
        check_metadata(["team"])
    with pytest.raises(TypeError, match="metadata must be JSON"):
        check_metadata({"when": datetime.now(timezone.utc)})
    naive = ps.CustomerSeat(
        id="0" * 32, status="pending", invitation_token_expires_at=datetime(2020, 1, 1)
    )
    assert expired(naive)
    assert not expired(ps.CustomerSeat(id="0" * 32, status="claimed"))


async def test_a_failed_check_after_a_lost_answer_is_an_unknown_outcome(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """The read that would tell what a lost revoke did fails too: the revoke's outcome is
    reported unknown (not the read's error), and nothing more is sent."""
    async with customer(server, billing.token) as me:
        seat = await me.assign_seat(subscription_id=billing.subscription_id, email="a@x.test")
        server.faults = FaultPlan(
            {1: Fault.reset().after(), **{n: Fault.server_error(503) for n in range(2, 6)}}
        )
        with set_testing(True), pytest.raises(ps.OutcomeUnknownError) as caught:
            await me.revoke_seat(seat)
    assert "Reading the seats to find out failed too" in str(caught.value)
    assert isinstance(caught.value.__cause__, ps.ServerError)
    assert [r.method for r in server.requests[1:]] == ["DELETE"] + ["GET"] * 4
    assert [s.status for s in seats_of(server, billing)] == ["revoked"]


async def test_the_expiry_of_an_invitation_follows_the_testing_clock(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """Two days later on the testing clock (the fake's too), the invitation is dead for the
    library as for the fake: nothing is sent."""
    async with customer(server, billing.token) as me:
        seat = await me.assign_seat(subscription_id=billing.subscription_id, email="a@x.test")
        with set_testing(True):
            advance_testing_clock(2 * 86_400)
            sent = len(server.requests)
            with pytest.raises(ValueError, match="expired"):
                await me.resend_invitation(seat)
    assert len(server.requests) == sent


async def test_a_lost_revoke_of_a_seat_already_revoked_says_so(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    async with customer(server, billing.token) as me:
        seat = await me.assign_seat(subscription_id=billing.subscription_id, email="a@x.test")
        revoked = await me.revoke_seat(seat)
        server.faults = FaultPlan({1: Fault.reset().after()})
        with pytest.raises(ps.OutcomeUnknownError, match="revoked already"):
            await me.revoke_seat(revoked)
