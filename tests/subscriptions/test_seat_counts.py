"""Seat counts through the client: one subscription read, and its seats bought or released,
on the customer portal and on the organization side; Polar's refusals as errors of their
own, with their numbers; checks before sending; a lost answer reconciled by reading the
subscription, never resent blindly; and ``assign_seat(add_seat_if_full=True)``, which never
buys two seats."""

from __future__ import annotations

import re
from typing import Any

import pytest

import polar_seats as ps
from polar_seats._protocol import error_for_status
from polar_seats.testing import (
    DEFAULT_ORGANIZATION_TOKEN,
    BillingCustomer,
    FakePolarServer,
    Fault,
    FaultPlan,
    serve_in_thread,
)

# A proxy's 502 before the route ran: nothing changed at Polar, and the answer cannot say so.
BEFORE = Fault.proxy_html(502)
MONTH = 30 * 86_400


@pytest.fixture
def billing(server: FakePolarServer) -> BillingCustomer:
    return server.add_billing_customer(seats=3, members={"bill@x.test": "billing_manager"})


def customer(server: FakePolarServer, token: str, **retry: Any) -> ps.AsyncClient:
    policy = ps.RetryPolicy(**retry)
    return ps.AsyncClient(token, base_url=server.url, retry=policy, rate_limit=None)


def organization(server: FakePolarServer, **retry: Any) -> ps.AsyncClient:
    return ps.AsyncClient(
        organization_token=DEFAULT_ORGANIZATION_TOKEN,
        base_url=server.url,
        retry=ps.RetryPolicy(**retry),
        rate_limit=None,
    )


def sent(server: FakePolarServer, first: int = 0) -> list[str]:
    return [f"{r.method} {r.path.split('/v1/')[1].split('/')[0]}" for r in server.requests[first:]]


def charged(server: FakePolarServer) -> list[tuple[int, int]]:
    return [(charge.seats_before, charge.seats_after) for charge in server.charges]


async def fill(server: FakePolarServer, billing: BillingCustomer) -> None:
    """Assign every seat of the billing customer's subscription."""
    async with customer(server, billing.token) as me:
        for n in range(billing.subscription.seats):
            await me.assign_seat(subscription_id=billing.subscription_id, email=f"p{n}@x.test")


# Reading one subscription ------------------------------------------------------------------


async def test_a_customer_reads_its_portal_subscription_and_the_organization_its_own(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    async with customer(server, billing.token) as me:
        mine = await me.get_subscription(billing.subscription_id)
    async with organization(server) as org:
        theirs = await org.get_subscription(billing.subscription_id)
    assert type(mine) is ps.CustomerSubscription
    assert type(theirs) is ps.Subscription
    assert (mine.id, mine.seats, mine.pending_update) == (billing.subscription_id, 3, None)
    assert (theirs.id, theirs.seats, theirs.customer.id) == (mine.id, 3, billing.customer.id)
    assert isinstance(theirs.product, ps.Product)
    assert isinstance(mine, ps.SubscriptionFields)
    assert isinstance(theirs, ps.SubscriptionFields)
    assert [f"{r.method} {r.path}" for r in server.requests] == [
        f"GET /v1/customer-portal/subscriptions/{billing.subscription_id}",
        f"GET /v1/subscriptions/{billing.subscription_id}",
    ]


async def test_another_customer_s_subscription_is_not_found(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    other = server.add_billing_customer(seats=1)
    async with customer(server, billing.token) as me:
        with pytest.raises(ps.NotFoundError) as caught:
            await me.get_subscription(other.subscription_id)
    assert caught.value.status == 404


# Buying and releasing ---------------------------------------------------------------------


async def test_the_portal_buys_seats_with_the_organization_s_proration(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """Prorate, the fake's default: the count changes now, and nothing is charged now."""
    async with customer(server, billing.token) as me:
        grown = await me.update_seats(billing.subscription_id, 5)
    assert type(grown) is ps.CustomerSubscription
    assert (grown.seats, grown.pending_update, billing.subscription.seats) == (5, None, 5)
    assert charged(server) == []
    assert sent(server) == ["PATCH customer-portal"]


async def test_a_billing_manager_member_releases_seats(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    async with customer(server, billing.member_tokens["bill@x.test"]) as manager:
        shrunk = await manager.update_seats(billing.subscription_id, 1)
    assert (shrunk.seats, billing.subscription.seats, charged(server)) == (1, 1, [])


async def test_the_organization_charges_now_with_invoice(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    async with organization(server) as org:
        grown = await org.update_seats(billing.subscription_id, 4, proration_behavior="invoice")
    assert type(grown) is ps.Subscription
    assert (grown.seats, charged(server)) == (4, [(3, 4)])  # invoice: charged now


async def test_next_period_waits_in_the_pending_update_until_the_period_ends(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    async with organization(server) as org:
        later = await org.update_seats(billing.subscription_id, 6, proration_behavior="next_period")
        assert later.seats == 3
        assert later.pending_update is not None
        assert later.pending_update.seats == 6
        assert later.pending_update.applies_at == later.current_period_end
        server.clock.advance(MONTH + 1)
        applied = await org.get_subscription(billing.subscription_id)
    assert (applied.seats, applied.pending_update, charged(server)) == (6, None, [])


async def test_the_same_count_cancels_a_pending_change(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    async with organization(server) as org:
        await org.update_seats(billing.subscription_id, 6, proration_behavior="next_period")
        kept = await org.update_seats(billing.subscription_id, 3)
    assert (kept.seats, kept.pending_update) == (3, None)


# Polar's refusals -------------------------------------------------------------------------


async def test_a_count_below_the_price_s_minimum_says_the_minimum(
    server: FakePolarServer,
) -> None:
    billing = server.add_billing_customer(seats=3, minimum_seats=2)
    async with customer(server, billing.token) as me:
        with pytest.raises(ps.BelowMinimumSeatsError) as caught:
            await me.update_seats(billing.subscription_id, 1)
    error = caught.value
    assert (error.status, error.minimum, error.requested, error.attempts) == (400, 2, 1, 1)
    assert "Ask for 2 seats or more." in str(error)
    assert isinstance(error, ps.SeatCountError)
    assert isinstance(error, ps.BadRequestError)


async def test_a_count_above_the_price_s_maximum_says_the_maximum(
    server: FakePolarServer,
) -> None:
    billing = server.add_billing_customer(seats=3, maximum_seats=4)
    async with organization(server) as org:
        with pytest.raises(ps.AboveMaximumSeatsError) as caught:
            await org.update_seats(billing.subscription_id, 9)
    assert (caught.value.maximum, caught.value.requested) == (4, 9)
    assert billing.subscription.seats == 3


async def test_fewer_seats_than_are_assigned_says_how_many_to_revoke(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    await fill(server, billing)
    async with customer(server, billing.token) as me:
        with pytest.raises(ps.SeatsAlreadyAssignedError) as caught:
            await me.update_seats(billing.subscription_id, 1)
    error = caught.value
    assert (error.assigned, error.requested) == (3, 1)
    assert "revoke 2 of them first (revoke_seat())" in str(error)
    assert not isinstance(error, ps.SeatAlreadyAssignedError)


@pytest.mark.parametrize(
    ("arrange", "kind", "error_code"),
    [
        ("seat_based", ps.NotASeatBasedSubscriptionError, "NotASeatBasedSubscription"),
        ("cancel", ps.AlreadyCanceledSubscriptionError, "AlreadyCanceledSubscription"),
        (
            "portal_off",
            ps.UpdateSubscriptionSeatsNotAllowedError,
            "UpdateSubscriptionSeatsNotAllowed",
        ),
    ],
)
async def test_each_refusal_of_the_portal_has_its_class(
    server: FakePolarServer, arrange: str, kind: type[ps.APIStatusError], error_code: str
) -> None:
    billing = server.add_billing_customer(seats=3, seat_based=arrange != "seat_based")
    if arrange == "cancel":
        billing.subscription.cancel(at_period_end=True)
    if arrange == "portal_off":
        billing.organization.update_seats = False
    async with customer(server, billing.token) as me:
        with pytest.raises(kind) as caught:
            await me.update_seats(billing.subscription_id, 4)
    assert (caught.value.error, caught.value.attempts, len(server.requests)) == (error_code, 1, 1)
    assert caught.value.advice() in str(caught.value)


async def test_a_locked_subscription_is_a_409_of_its_own(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    billing.subscription.locked = True
    async with organization(server) as org:
        with pytest.raises(ps.SubscriptionLockedError) as caught:
            await org.update_seats(billing.subscription_id, 4)
    assert (caught.value.status, caught.value.attempts) == (409, 1)


@pytest.mark.parametrize(
    ("payment_method", "reason"), [("none", "missing_payment_method"), ("card_error", "card_error")]
)
async def test_a_failed_charge_is_never_resent_and_changed_nothing(
    server: FakePolarServer, billing: BillingCustomer, payment_method: Any, reason: str
) -> None:
    billing.customer.payment_method = payment_method
    async with organization(server, max_attempts=5) as org:
        with pytest.raises(ps.PaymentFailedError) as caught:
            await org.update_seats(billing.subscription_id, 5, proration_behavior="invoice")
    error = caught.value
    assert (error.status, error.reason, error.attempts) == (402, reason, 1)
    assert isinstance(error, ps.PaymentRequiredError)
    assert "Nothing changed" in str(error)
    assert (billing.subscription.seats, charged(server), len(server.requests)) == (3, [], 1)


async def test_a_charge_that_needs_3ds_carries_the_order_to_pay(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    billing.customer.payment_method = "3ds"
    async with organization(server) as org:
        with pytest.raises(ps.PaymentActionRequiredError) as caught:
            await org.update_seats(billing.subscription_id, 5, proration_behavior="invoice")
    order_id = caught.value.order_id
    assert order_id is not None
    assert f"order {order_id}" in str(caught.value)
    assert "customer portal" in str(caught.value)
    assert billing.subscription.seats == 3


# Checks before sending --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seats", "kind", "words"),
    [
        (0, ps.InvalidArgumentError, "seats must be at least 1 (got 0)"),
        (-2, ps.InvalidArgumentError, "seats must be at least 1 (got -2)"),
        (2**31, ps.InvalidArgumentError, "seats must be at most 2147483647"),
        (True, TypeError, "seats must be an int, not bool"),
        ("3", TypeError, "seats must be an int, not str"),
    ],
)
async def test_a_seat_count_polar_cannot_take_is_refused_before_sending(
    server: FakePolarServer, billing: BillingCustomer, seats: Any, kind: type[Exception], words: str
) -> None:
    async with customer(server, billing.token) as me:
        with pytest.raises(kind, match=re.escape(words)):
            await me.update_seats(billing.subscription_id, seats)
    assert server.requests == []


async def test_proration_is_refused_on_the_portal_and_checked_on_the_organization_side(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    async with customer(server, billing.token) as me:
        with pytest.raises(ps.InvalidArgumentError, match="organization's default proration"):
            await me.update_seats(billing.subscription_id, 4, proration_behavior="invoice")
        with pytest.raises(ps.InvalidArgumentError, match="a Polar id"):
            await me.update_seats("sub_123", 4)
    async with organization(server) as org:
        with pytest.raises(ps.InvalidArgumentError, match="one of invoice, next_period"):
            await org.update_seats(billing.subscription_id, 4, proration_behavior="now")
    assert server.requests == []


async def test_no_credential_is_refused_with_the_ways_to_get_one(server: FakePolarServer) -> None:
    async with ps.AsyncClient(base_url=server.url) as anonymous:
        with pytest.raises(ps.InvalidArgumentError, match="subscriptions:write"):
            await anonymous.update_seats("3b1f6b3e-8c2a-4f1c-9a55-0e7d2a9c1f00", 2)


# Lost answers ----------------------------------------------------------------------------


async def test_an_answer_lost_after_polar_applied_it_is_read_back_and_charged_once(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    server.faults = FaultPlan({1: Fault.reset().after()})
    async with organization(server) as org:
        grown = await org.update_seats(billing.subscription_id, 5, proration_behavior="invoice")
    assert (grown.seats, charged(server)) == (5, [(3, 5)])
    assert sent(server) == ["PATCH subscriptions", "GET subscriptions"]


async def test_an_answer_lost_before_polar_ran_it_is_sent_again_after_a_read(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    events: list[ps.RetryEvent] = []
    server.faults = FaultPlan({1: BEFORE})
    async with organization(server, on_retry=events.append) as org:
        grown = await org.update_seats(billing.subscription_id, 5, proration_behavior="invoice")
    assert (grown.seats, charged(server)) == (5, [(3, 5)])
    assert sent(server) == ["PATCH subscriptions", "GET subscriptions", "PATCH subscriptions"]
    assert [(e.attempt, type(e.error)) for e in events] == [(1, ps.ServerError)]


async def test_a_pending_change_whose_answer_was_lost_is_the_result_not_resent(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """Resending the same count would do nothing, but resending it after the period ended
    or a resend of another count would cancel the pending change: read, never resend."""
    server.faults = FaultPlan({1: Fault.reset().after()})
    async with organization(server) as org:
        later = await org.update_seats(billing.subscription_id, 7, proration_behavior="next_period")
    assert later.pending_update is not None
    assert later.pending_update.seats == 7
    assert billing.subscription.body["pending_update"]["seats"] == 7
    assert sent(server) == ["PATCH subscriptions", "GET subscriptions"]


async def test_a_pending_change_lost_before_it_ran_is_sent_again(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    server.faults = FaultPlan({1: BEFORE})
    async with organization(server) as org:
        later = await org.update_seats(billing.subscription_id, 7, proration_behavior="next_period")
    assert later.pending_update is not None
    assert later.pending_update.seats == 7
    assert sent(server) == ["PATCH subscriptions", "GET subscriptions", "PATCH subscriptions"]


async def test_cancelling_a_pending_change_whose_answer_was_lost_is_checked_by_its_pending(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """The count asked for is the count it has: only the pending change tells whether the
    lost attempt ran (it cancels it), so a read that still shows it sends again."""
    async with organization(server) as org:
        await org.update_seats(billing.subscription_id, 7, proration_behavior="next_period")
        first = len(server.requests)
        server.faults = FaultPlan({1: BEFORE})
        kept = await org.update_seats(billing.subscription_id, 3)
    assert (kept.seats, kept.pending_update) == (3, None)
    assert sent(server, first) == [
        "PATCH subscriptions",
        "GET subscriptions",
        "PATCH subscriptions",
    ]


async def test_a_count_changed_by_someone_else_meanwhile_is_reported_not_overwritten(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """Given the subscription read before, the step knows what it had: a read that shows
    neither that nor what was asked raises, with what it read, and sends nothing more."""
    async with customer(server, billing.token) as me:
        before = await me.get_subscription(billing.subscription_id)
        billing.subscription.seats = 8  # another admin, between our read and our change
        server.faults = FaultPlan({1: BEFORE})
        with pytest.raises(ps.OutcomeUnknownError) as caught:
            await me.update_seats(before, 5)
    message = str(caught.value)
    assert caught.value.safe_to_retry is False
    assert "now has 8 seats and no pending change" in message
    assert "what it had (3 seats)" in message
    assert billing.subscription.seats == 8
    assert sent(server)[-2:] == ["PATCH customer-portal", "GET customer-portal"]


async def test_with_no_attempt_left_the_unknown_outcome_says_what_was_read(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    server.faults = FaultPlan({1: BEFORE})
    async with organization(server, max_attempts=1) as org:
        with pytest.raises(ps.OutcomeUnknownError) as caught:
            await org.update_seats(billing.subscription_id, 5, proration_behavior="invoice")
    message = str(caught.value)
    assert "still has 3 seats and no pending change" in message
    assert "changed nothing and charged nothing. Asking again is safe." in message
    assert caught.value.safe_to_retry is True
    assert isinstance(caught.value.__cause__, ps.ServerError)
    assert (charged(server), sent(server)) == ([], ["PATCH subscriptions", "GET subscriptions"])


async def test_a_failed_read_after_a_lost_answer_is_an_unknown_outcome(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    server.faults = FaultPlan({1: Fault.reset().after(), 2: Fault.server_error(500)})
    async with customer(server, billing.token, max_attempts=1) as me:
        with pytest.raises(ps.OutcomeUnknownError, match="Reading the subscription to find out"):
            await me.update_seats(billing.subscription_id, 5)
    assert billing.subscription.seats == 5  # it did run: the error said "may have worked"


async def test_a_429_is_resent_without_a_read(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    server.faults = FaultPlan({1: Fault.rate_limited("1")})
    async with customer(server, billing.token) as me:
        grown = await me.update_seats(billing.subscription_id, 4)
    assert grown.seats == 4
    assert sent(server) == ["PATCH customer-portal", "PATCH customer-portal"]


# Growing on assign -----------------------------------------------------------------------


async def test_a_full_subscription_buys_exactly_one_seat_then_assigns_it(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    await fill(server, billing)
    first = len(server.requests)
    async with customer(server, billing.token) as me:
        seat = await me.assign_seat(
            subscription_id=billing.subscription_id, email="new@x.test", add_seat_if_full=True
        )
    assert (seat.email, seat.status, billing.subscription.seats) == ("new@x.test", "pending", 4)
    assert sent(server, first) == [
        "POST customer-portal",  # SeatNotAvailable
        "GET customer-portal",
        "PATCH customer-portal",
        "POST customer-portal",
    ]


async def test_a_free_seat_is_assigned_without_buying(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    async with organization(server) as org:
        await org.assign_seat(
            subscription_id=billing.subscription_id, email="new@x.test", add_seat_if_full=True
        )
    assert billing.subscription.seats == 3
    assert [r.method for r in server.requests] == ["POST"]


async def test_a_person_who_holds_a_seat_gets_none_bought(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    await fill(server, billing)
    first = len(server.requests)
    async with customer(server, billing.token) as me:
        with pytest.raises(ps.SeatAlreadyAssignedError) as caught:
            await me.assign_seat(
                subscription_id=billing.subscription_id, email="p0@x.test", add_seat_if_full=True
            )
    assert "no seat was bought" in str(caught.value)
    assert isinstance(caught.value.__cause__, ps.SeatNotAvailableError)
    assert (caught.value.attempts, billing.subscription.seats) == (1, 3)
    assert sent(server, first) == ["POST customer-portal", "GET customer-portal"]


@pytest.mark.parametrize("fault", [BEFORE, Fault.reset().after()], ids=["before", "after"])
async def test_a_lost_purchase_never_buys_two_seats(
    server: FakePolarServer, billing: BillingCustomer, fault: Fault
) -> None:
    await fill(server, billing)
    first = len(server.requests)
    server.faults = FaultPlan({3: fault, 5: fault})  # the PATCH, and its resend if any
    async with organization(server, max_attempts=4) as org:
        seat = await org.assign_seat(
            subscription_id=billing.subscription_id, email="new@x.test", add_seat_if_full=True
        )
    assert (seat.email, billing.subscription.seats) == ("new@x.test", 4)
    assert sent(server, first)[:4] == [
        "POST customer-seats",  # SeatNotAvailable
        "GET customer-seats",
        "PATCH subscriptions",
        "GET subscriptions",  # the lost purchase, read back
    ]


async def test_an_assign_that_fails_after_the_purchase_says_the_seat_is_free(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    await fill(server, billing)
    # The assign after the purchase is lost, and so is the read that would check it.
    server.faults = FaultPlan({4: Fault.reset().after(), 5: Fault.server_error(503)})
    async with customer(server, billing.token, max_attempts=1) as me:
        with pytest.raises(ps.OutcomeUnknownError) as caught:
            await me.assign_seat(
                subscription_id=billing.subscription_id, email="new@x.test", add_seat_if_full=True
            )
    error = caught.value
    assert error.bought is not None
    assert error.bought.seats == 4
    assert f"subscription {billing.subscription_id} now has 4 seats" in str(error)
    assert "the seat bought is free" in str(error)


async def test_an_order_cannot_grow(server: FakePolarServer) -> None:
    billing = server.add_billing_customer(seats=1, order_seats=1)
    async with customer(server, billing.token) as me:
        with pytest.raises(ps.InvalidArgumentError, match="one-time order's seats cannot grow"):
            await me.assign_seat(
                order_id=billing.order_id, email="new@x.test", add_seat_if_full=True
            )
    assert server.requests == []


async def test_with_next_period_billing_the_seat_bought_comes_later_and_says_so(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    await fill(server, billing)
    billing.organization.proration_behavior = "next_period"
    async with customer(server, billing.token) as me:
        with pytest.raises(ps.SeatNotAvailableError) as caught:
            await me.assign_seat(
                subscription_id=billing.subscription_id, email="new@x.test", add_seat_if_full=True
            )
    error = caught.value
    assert error.bought is not None
    assert error.bought.pending_update is not None
    assert error.bought.pending_update.seats == 4
    assert "now has 3 seats and a pending change to 4" in str(error)
    assert "comes at the period's end" in str(error)
    assert billing.subscription.seats == 3


def test_the_sync_client_reads_and_buys_seats() -> None:
    fake = FakePolarServer()
    billing = fake.add_billing_customer(seats=2)
    with serve_in_thread(fake) as server, ps.Client(billing.token, base_url=server.url) as polar:
        assert polar.get_subscription(billing.subscription_id).seats == 2
        grown = polar.update_seats(billing.subscription_id, 3)
    assert (type(grown), grown.seats, billing.subscription.seats) == (ps.CustomerSubscription, 3, 3)


async def test_a_resend_refused_after_a_read_that_showed_no_change_is_that_refusal(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """The read showed the old count, so the resend's 402 is the whole truth: raised as is."""
    billing.customer.payment_method = "none"
    server.faults = FaultPlan({1: BEFORE})
    async with organization(server) as org:
        with pytest.raises(ps.PaymentFailedError) as caught:
            await org.update_seats(billing.subscription_id, 5, proration_behavior="invoice")
    assert (caught.value.attempts, charged(server), billing.subscription.seats) == (2, [], 3)
    assert sent(server) == ["PATCH subscriptions", "GET subscriptions", "PATCH subscriptions"]


def test_an_unknown_402_and_a_refusal_without_its_numbers_still_say_what_to_do() -> None:
    """Polar's words are parsed for the numbers; without them the advice stays general."""
    unknown = error_for_status(402, {}, b'{"error":"SomethingNew","detail":"No."}')
    assert type(unknown) is ps.PaymentRequiredError
    assert "the charge did not go through, and nothing changed" in str(unknown)
    assert unknown.advice() == ""
    vague = error_for_status(400, {}, b'{"error":"SeatsAlreadyAssigned","detail":"Too few."}')
    assert isinstance(vague, ps.SeatsAlreadyAssignedError)
    assert (vague.assigned, vague.requested) == (None, None)
    assert "Revoke seats (revoke_seat()) until no more are assigned" in str(vague)
    below = error_for_status(400, {}, b'{"error":"BelowMinimumSeats","detail":"?"}')
    assert isinstance(below, ps.BelowMinimumSeatsError)
    assert "Ask for the price's minimum seats or more." in str(below)


@pytest.mark.filterwarnings("ignore::polar_seats.DeprecatedVersionWarning")
@pytest.mark.parametrize("version", ["2026-04", "2026-10", "2027-01"])
async def test_each_live_version_s_subscription_decodes_on_both_sides(
    server: FakePolarServer, billing: BillingCustomer, version: str
) -> None:
    """2027-01 reshapes the seat-based price (tiers, minimum and maximum units): both
    sides' subscriptions decode in each version Polar serves, their seat price included."""
    async with ps.AsyncClient(
        billing.token, base_url=server.url, polar_version=version, rate_limit=None
    ) as me:
        mine = await me.update_seats(billing.subscription_id, 4)
    async with ps.AsyncClient(
        organization_token=DEFAULT_ORGANIZATION_TOKEN,
        base_url=server.url,
        polar_version=version,
        rate_limit=None,
    ) as org:
        theirs = await org.get_subscription(billing.subscription_id)
    for subscription in (mine, theirs):
        assert subscription.seats == 4
        kinds = {type(price) for price in subscription.prices}
        assert ps.ProductPriceSeatBased in kinds, kinds
    assert {r.headers.get("Polar-Version") for r in server.requests} == {version}


async def test_an_address_polar_refuses_buys_no_seat(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """Polar checks the address before it looks for a free seat: the assign goes first, so
    an address whose domain takes no mail is refused with nothing bought."""
    await fill(server, billing)
    first = len(server.requests)
    async with customer(server, billing.token) as me:
        with pytest.raises(ps.RequestValidationError) as caught:
            await me.assign_seat(
                subscription_id=billing.subscription_id,
                email="ada@mail.invalid",
                add_seat_if_full=True,
            )
    assert caught.value.bought is None
    assert (billing.subscription.seats, sent(server, first)) == (3, ["POST customer-portal"])
