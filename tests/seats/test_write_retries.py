"""Writes resend through the one retry loop that reads use: the attempts, budget, deadline,
``on_retry`` and log records of the policy hold for every resend of a write, reconciled
ones included; and a revoke by id finds its seat first, so it is as safe as one given the
seat."""

from __future__ import annotations

import logging
from typing import Any

import pytest

import polar_seats as ps
from polar_seats.testing import (
    BillingCustomer,
    FakePolarServer,
    Fault,
    FaultPlan,
)
from tests.stress.write_matrix import OTHER, reuse_on_revoke

# A proxy's 502 before the route ran: the assign did nothing, and the answer cannot say so.
REFUSED_BY_PROXY = Fault.proxy_html(502)


@pytest.fixture
def billing(server: FakePolarServer) -> BillingCustomer:
    return server.add_billing_customer(seats=2, order_seats=1)


def client(server: FakePolarServer, billing: BillingCustomer, **retry: Any) -> ps.AsyncClient:
    policy = ps.RetryPolicy(**retry)
    return ps.AsyncClient(billing.token, base_url=server.url, retry=policy, rate_limit=None)


def methods(server: FakePolarServer, first: int = 0) -> list[str]:
    return [record.method for record in server.requests[first:]]


def seats_of(server: FakePolarServer, email: str) -> list[str]:
    return [seat.status for seat in server.state.seats if seat.email == email]


async def test_two_lost_assigns_are_reconciled_then_resent_as_two_retries(
    server: FakePolarServer, billing: BillingCustomer, caplog: pytest.LogCaptureFixture
) -> None:
    """The issue's probe: each 502 is followed by a read that shows no seat, then a resend,
    and each resend is an on_retry event and a log record; the third POST assigns."""
    events: list[ps.RetryEvent] = []
    server.faults = FaultPlan({1: REFUSED_BY_PROXY, 3: REFUSED_BY_PROXY})
    async with client(server, billing, on_retry=events.append) as me:
        with caplog.at_level(logging.WARNING, "polar_seats"):
            seat = await me.assign_seat(subscription_id=billing.subscription_id, email="a@x.test")
    assert (seat.status, seats_of(server, "a@x.test")) == ("pending", ["pending"])
    assert methods(server) == ["POST", "GET", "POST", "GET", "POST"]
    assert [(e.attempt, type(e.error), e.request and e.request.label) for e in events] == [
        (1, ps.ServerError, "assign seat"),
        (2, ps.ServerError, "assign seat"),
    ]
    retries = [r.message for r in caplog.records if r.message.startswith("Retrying assign seat")]
    assert len(retries) == 2
    assert all(m.endswith("the seats show no seat of the person") for m in retries)


async def test_an_empty_retry_budget_stops_a_write_s_resend_and_says_so(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """Budget 0: the lost assign is still checked (nothing was assigned), but not resent."""
    events: list[ps.RetryEvent] = []
    server.faults = FaultPlan({1: REFUSED_BY_PROXY, 3: REFUSED_BY_PROXY})
    async with client(server, billing, retry_budget=0, on_retry=events.append) as me:
        with pytest.raises(ps.OutcomeUnknownError) as caught:
            await me.assign_seat(subscription_id=billing.subscription_id, email="a@x.test")
    assert methods(server) == ["POST", "GET"]
    assert events == []
    assert caught.value.retry_budget_exhausted
    assert "Assigning again is safe" in str(caught.value)
    assert caught.value.safe_to_retry is True
    assert "retry budget is empty" in str(caught.value)
    assert isinstance(caught.value.__cause__, ps.ServerError)
    assert seats_of(server, "a@x.test") == []


async def test_what_the_policy_stopped_is_part_of_the_finding_before_the_advice(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """A person named by external customer id shows on no seat: after a lost answer the
    assign may go again only because Polar refuses a second seat, and max_attempts=1 stops
    it. The note of what stopped it belongs to what is known, ahead of the advice."""
    server.add_customer(external_id="ext-1")
    server.faults = FaultPlan({1: REFUSED_BY_PROXY})
    async with client(server, billing, max_attempts=1) as me:
        with pytest.raises(ps.OutcomeUnknownError) as caught:
            await me.assign_seat(
                subscription_id=billing.subscription_id, external_customer_id="ext-1"
            )
    error = caught.value
    assert methods(server) == ["POST"]
    assert "took one. Gave up after 1 attempt over " in error.finding
    assert error.finding.endswith("s (the policy's max_attempts=1).")
    assert error.advice.startswith("Look for the person's seat with list_seats()")
    assert str(error) == f"{error.finding} {error.advice}"


async def test_max_attempts_counts_every_send_of_a_write(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """A 429, then two lost answers: three sends in all with max_attempts=3, never more,
    whether a resend followed a 429 or a read."""
    server.faults = FaultPlan(
        {1: Fault.rate_limited("0"), 2: REFUSED_BY_PROXY, 4: REFUSED_BY_PROXY}
    )
    async with client(server, billing, max_attempts=3) as me:
        with pytest.raises(ps.OutcomeUnknownError, match="Assigning again is safe") as caught:
            await me.assign_seat(subscription_id=billing.subscription_id, email="a@x.test")
    assert methods(server) == ["POST", "POST", "GET", "POST", "GET"]
    assert caught.value.attempts == 3


async def test_the_deadline_stops_a_write_s_resend(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """On the testing clock: the assign waits out a 429's 3 s, its answer is then lost, and
    the read that finds no seat waits out a 429's 2 s. The write's 4 s deadline is over, so
    the assign is not sent again."""
    server.faults = FaultPlan(
        {1: Fault.rate_limited("3"), 2: REFUSED_BY_PROXY, 3: Fault.rate_limited("2")}
    )
    async with client(server, billing, deadline=4.0) as me:
        with pytest.raises(ps.OutcomeUnknownError, match="Assigning again is safe") as caught:
            await me.assign_seat(subscription_id=billing.subscription_id, email="a@x.test")
    assert methods(server) == ["POST", "POST", "GET", "GET"]
    assert caught.value.attempts == 2
    assert seats_of(server, "a@x.test") == []


@pytest.mark.parametrize(
    ("fault", "sent"),
    [
        (Fault.reset().after(), ["GET", "DELETE", "GET"]),
        (Fault.reset(), ["GET", "DELETE", "GET", "DELETE"]),
    ],
    ids=["answer-lost", "dropped-before-the-route"],
)
async def test_a_revoke_by_id_and_subscription_is_checked_like_a_revoke_of_the_seat(
    server: FakePolarServer, billing: BillingCustomer, fault: Fault, sent: list[str]
) -> None:
    """The seat is looked up first; after the lost DELETE its row is read again: revoked is
    the result, the same occupant is revoked again."""
    async with client(server, billing) as me:
        seat = await me.assign_seat(subscription_id=billing.subscription_id, email="a@x.test")
        first = len(server.requests)
        server.faults = FaultPlan({2: fault})
        revoked = await me.revoke_seat(seat.id, subscription_id=billing.subscription_id)
    assert (revoked.id, revoked.status) == (seat.id, "revoked")
    assert methods(server, first) == sent
    assert [s.status for s in server.state.seats if s.id == seat.id] == ["revoked"]


async def test_a_revoke_by_id_never_revokes_the_next_holder_of_the_row(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """The row is revoked, and given to Bob, before the lost answer is seen: the read shows
    Bob, so nothing more is sent and Bob keeps the seat."""
    async with client(server, billing) as me:
        seat = await me.assign_seat(subscription_id=billing.subscription_id, email="a@x.test")
        reuse_on_revoke(server, billing)
        first = len(server.requests)
        server.faults = FaultPlan({2: Fault.reset().after()})
        with pytest.raises(ps.OutcomeUnknownError, match="holds someone else"):
            await me.revoke_seat(seat.id, subscription_id=billing.subscription_id)
    assert methods(server, first) == ["GET", "DELETE", "GET"]
    assert seats_of(server, OTHER) == ["pending"]


async def test_a_seat_id_not_in_the_list_is_not_found_before_anything_is_sent(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    async with client(server, billing) as me:
        seat = await me.assign_seat(order_id=billing.order_id, email="a@x.test")
        first = len(server.requests)
        with pytest.raises(ps.SeatNotFoundError, match="not among the 0 seats") as caught:
            await me.revoke_seat(seat.id, subscription_id=billing.subscription_id)
        with pytest.raises(ps.InvalidArgumentError, match="pass it alone"):
            await me.revoke_seat(seat, subscription_id=billing.subscription_id)
    assert methods(server, first) == ["GET"]
    assert isinstance(caught.value, ps.NotFoundError)
    assert (caught.value.status, caught.value.attempts) == (404, 0)
    assert caught.value.request is not None
    assert caught.value.request.method == "DELETE"
    assert (caught.value.seat_id, caught.value.seat_count) == (seat.id, 0)
    assert caught.value.where == ("subscription_id", billing.subscription_id)
    assert seats_of(server, "a@x.test") == ["pending"]


async def test_a_seat_found_revoked_by_id_is_returned_without_a_delete(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    async with client(server, billing) as me:
        seat = await me.assign_seat(subscription_id=billing.subscription_id, email="a@x.test")
        await me.revoke_seat(seat)
        first = len(server.requests)
        again = await me.revoke_seat(seat.id, subscription_id=billing.subscription_id)
    assert (again.id, again.status) == (seat.id, "revoked")
    assert methods(server, first) == ["GET"]


async def test_a_resend_by_id_is_looked_up_and_an_expired_one_refused_unsent(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """By id and subscription the seat is read first, so an expired invitation is refused
    before any email, as with the row; an id not there is not found; a live one is sent."""
    async with client(server, billing) as me:
        seat = await me.assign_seat(subscription_id=billing.subscription_id, email="a@x.test")
        first = len(server.requests)
        sent = await me.resend_invitation(seat.id, subscription_id=billing.subscription_id)
        assert methods(server, first) == ["GET", "POST"]
        assert (sent.id, sent.status) == (seat.id, "pending")
        with pytest.raises(ps.SeatNotFoundError):
            await me.resend_invitation(seat.id, order_id=billing.order_id)
        row = next(row for row in server.state.seats if row.id == seat.id)
        row.invitation_expires_at = server.clock() - 60
        first = len(server.requests)
        with pytest.raises(ps.InvalidArgumentError, match="expired"):
            await me.resend_invitation(seat.id, subscription_id=billing.subscription_id)
    assert methods(server, first) == ["GET"]


NOT_PERMITTED = Fault.http_status(
    403,
    headers={"Content-Type": "application/json"},
    body=b'{"error":"NotPermitted","detail":"Only owners and billing managers can access."}',
)


@pytest.mark.parametrize("write", ["assign", "revoke"])
async def test_a_refusal_of_the_resend_that_tells_nothing_of_the_lost_attempt_is_raised(
    server: FakePolarServer, billing: BillingCustomer, write: str
) -> None:
    """The check after the lost attempt found nothing done; the resend is refused with a
    403, which says nothing about that attempt: it is raised as Polar sent it."""
    async with client(server, billing) as me:
        seat = await me.assign_seat(subscription_id=billing.subscription_id, email="a@x.test")
        first = len(server.requests)
        server.faults = FaultPlan({1: REFUSED_BY_PROXY, 3: NOT_PERMITTED})
        again = (
            me.assign_seat(subscription_id=billing.subscription_id, email="b@x.test")
            if write == "assign"
            else me.revoke_seat(seat)
        )
        with pytest.raises(ps.PermissionDeniedError) as caught:
            await again
    assert caught.value.error == "NotPermitted"
    assert caught.value.attempts == 2
    method = "POST" if write == "assign" else "DELETE"
    assert methods(server, first) == [method, "GET", method]
    assert seats_of(server, "a@x.test") == ["pending"]
    assert seats_of(server, "b@x.test") == []
