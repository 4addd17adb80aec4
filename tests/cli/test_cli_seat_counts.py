"""The polar-seats command's seat counts: `seats set-count`, `seats assign --add-seat-if-full`
and the count under a `seats list` table, run in this process against a fake Polar in a
thread (over real HTTP), with the fixtures of the seats commands' tests, which check that
no token shows in any output."""

from __future__ import annotations

import argparse
import json

import msgspec
import pytest

from polar_seats import CustomerSeat, CustomerSubscription, Subscription
from polar_seats import cli as cli_module
from polar_seats._protocol import error_for_status
from polar_seats.cli import ACCESS_TOKEN_VARIABLE, TOKEN_VARIABLE
from polar_seats.cli.seat_counts import explain
from polar_seats.testing import BillingCustomer, FakePolarServer, Fault, FaultPlan
from tests.cli import test_cli_seats as seat_commands
from tests.cli.test_cli_seats import (
    ORG_TOKEN,
    TEAM,
    UNKNOWN,
    Cli,
    Said,
    assign,
    assigning,
    requests_to,
)

# The seats commands' fixtures: the fake, a customer with 3 free seats, and the command.
fake = seat_commands.fake
team = seat_commands.team
cli = seat_commands.cli

BEFORE = Fault.proxy_html(502)
"""A proxy's 502 before the route ran: nothing changed, and the answer cannot say so."""


def set_count(
    cli: Cli, team: BillingCustomer, *argv: str, env: dict[str, str] | None = None
) -> Said:
    """`seats set-count --subscription-id ID ARGV`."""
    return cli("seats", "set-count", "--subscription-id", team.subscription_id, *argv, env=env)


def sent(server: FakePolarServer, first: int = 0) -> list[str]:
    """The requests the fake received, as `PATCH subscriptions` or `GET customer-portal`."""
    return [f"{r.method} {r.path.split('/v1/')[1].split('/')[0]}" for r in server.requests[first:]]


def fill(cli: Cli, team: BillingCustomer) -> None:
    """Assign every seat of the team's subscription."""
    for n in range(team.subscription.seats or 0):
        assign(cli, team, f"p{n}@example.com")


# seats set-count ------------------------------------------------------------------------


def test_set_count_with_each_credential_prints_the_subscription_of_its_side(
    cli: Cli, fake: FakePolarServer, team: BillingCustomer
) -> None:
    """The customer's session token and a customer named by id: the portal's PATCH and its
    CustomerSubscription; the organization token alone: the organization's Subscription."""
    portal = set_count(cli, team, "4", env={TOKEN_VARIABLE: team.token})
    named = set_count(cli, team, "5", "--external-customer-id", TEAM)
    organization = set_count(cli, team, "6")
    for said in (portal, named, organization):
        assert (said.status, said.err, said.out.count("\n")) == (0, "", 1)
    mine = msgspec.json.decode(portal.out, type=CustomerSubscription)
    theirs = msgspec.json.decode(organization.out, type=Subscription)
    assert (mine.seats, json.loads(named.out)["seats"], theirs.seats) == (4, 5, 6)
    assert theirs.customer.id == team.customer.id
    assert "customer" not in json.loads(portal.out)
    patches = [r for r in fake.requests if r.method == "PATCH"]
    assert [(r.path.split("/v1/")[1].split("/")[0], r.token) for r in patches] == [
        ("customer-portal", team.token),
        ("customer-portal", fake.minted[0].token),
        ("subscriptions", ORG_TOKEN),
    ]
    assert team.subscription.seats == 6


def test_set_count_as_a_table_shows_the_pending_change(cli: Cli, team: BillingCustomer) -> None:
    """next_period: the count stays until the period ends; the table says what comes when."""
    said = set_count(cli, team, "5", "--proration-behavior", "next_period", "--format", "table")
    assert (said.status, said.err) == (0, "")
    header, _, row = said.out.splitlines()
    assert header.split() == ["id", "status", "seats", "pending_change"]
    applies = team.subscription.body["pending_update"]["applies_at"][:10]
    assert row.split() == [team.subscription_id, "active", "3", "5", "seats", "from", applies]
    assert max(map(len, said.out.splitlines())) <= 80


def test_the_list_table_of_a_subscription_ends_with_its_pending_change(
    cli: Cli, fake: FakePolarServer, team: BillingCustomer
) -> None:
    """One more GET, for a table of a subscription only: its pending change, if any."""
    assign(cli, team, "ann@example.com")
    listing = ("seats", "list", "--subscription-id", team.subscription_id, "--format", "table")
    assert cli(*listing).out.splitlines()[-1] == "2 of 3 seats available (1 pending)."
    assert set_count(cli, team, "5", "--proration-behavior", "next_period").status == 0
    applies = team.subscription.body["pending_update"]["applies_at"][:10]
    for env in ({}, {TOKEN_VARIABLE: team.token}):
        first = len(fake.requests)
        said = cli(*listing, env=env)
        assert (said.status, said.err) == (0, "")
        assert said.out.splitlines()[-1] == (
            f"2 of 3 seats available (1 pending); 5 seats from {applies} (a pending change)."
        )
        assert [r.method for r in fake.requests[first:]] == ["GET", "GET"]
    first = len(fake.requests)
    cli("seats", "list", "--subscription-id", team.subscription_id)
    assert len(fake.requests) == first + 1


def test_the_list_table_says_when_the_token_may_not_read_the_count(
    cli: Cli, fake: FakePolarServer, team: BillingCustomer
) -> None:
    """A token with the seat scopes only still lists the seats; the line says what it
    could not read, and why."""
    seats_only = fake.state.add_organization_token(
        fake.claimant.organization, frozenset({"customer_seats:read"})
    )
    said = cli(
        "seats",
        "list",
        "--subscription-id",
        team.subscription_id,
        "--format",
        "table",
        env={ACCESS_TOKEN_VARIABLE: seats_only.token},
    )
    assert (said.status, said.err) == (0, "")
    assert said.out == (
        "3 of 3 seats available; none assigned yet; its pending change, if any, is not shown "
        "(403 insufficient_scope reading the subscription: the token lacks the "
        "subscriptions:read scope).\n"
    )


@pytest.mark.parametrize(
    ("env", "options", "said"),
    [
        (
            "session",
            [],
            "--proration-behavior goes with the organization access token alone, and "
            "$POLAR_CUSTOMER_SESSION_TOKEN is set, and its customer session token goes first: "
            "through the customer portal Polar applies the organization's default proration. "
            "Leave --proration-behavior out, or drop the variable "
            "(POLAR_CUSTOMER_SESSION_TOKEN= polar-seats seats set-count …).",
        ),
        (
            "",
            ["--customer-id", "c"],
            "--proration-behavior goes with the organization access token alone, and "
            "--customer-id acts as that customer:",
        ),
        ("", ["--token-file", "t"], "and --token-file gives a customer session token:"),
    ],
    ids=["session-variable", "customer-option", "token-file"],
)
def test_proration_with_a_customer_credential_is_a_usage_error_before_any_read(
    cli: Cli, fake: FakePolarServer, team: BillingCustomer, env: str, options: list[str], said: str
) -> None:
    """Refused before any token is read: the token file named does not even exist."""
    given = {TOKEN_VARIABLE: team.token} if env else {}
    result = set_count(cli, team, "4", "--proration-behavior", "invoice", *options, env=given)
    assert (result.status, result.out) == (cli_module.EXIT_USAGE, "")
    assert said in result.err
    assert result.err.count("\n") == 1
    assert fake.requests == []


@pytest.mark.parametrize(
    ("count", "said"),
    [
        ("0", "N must be at least 1.\n"),
        ("-2", "N must be at least 1.\n"),
        ("2147483648", "N must be at most 2147483647.\n"),
        ("three", "N is the seat count to set, a whole number from 1 (got 'three')."),
        ("2.5", "N is the seat count to set, a whole number from 1 (got '2.5')."),
    ],
)
def test_a_count_polar_cannot_take_is_refused_before_any_token_is_read(
    cli: Cli, fake: FakePolarServer, team: BillingCustomer, count: str, said: str
) -> None:
    """With no credential at all, N is what the command refuses: it is checked first."""
    result = set_count(cli, team, count, env={ACCESS_TOKEN_VARIABLE: ""})
    assert (result.status, result.out) == (cli_module.EXIT_USAGE, "")
    assert result.err.startswith(f"polar-seats: {said}")
    assert fake.requests == []


def test_set_count_takes_a_subscription_only(cli: Cli, fake: FakePolarServer) -> None:
    said = cli("seats", "set-count", "--subscription-id", UNKNOWN, "--order-id", UNKNOWN, "3")
    assert (said.status, said.out) == (cli_module.EXIT_USAGE, "")
    assert said.err.startswith("polar-seats: No such option: --order-id")
    said = cli("seats", "set-count", "--subscription-id", "sub-1", "3")
    assert said.err.startswith("polar-seats: --subscription-id must be a Polar id")
    assert fake.requests == []


# Polar's refusals, each with its exit status ------------------------------------------------


def test_fewer_seats_than_are_assigned_exits_15_saying_how_many_to_revoke(
    cli: Cli, team: BillingCustomer
) -> None:
    fill(cli, team)
    said = set_count(cli, team, "1")
    sub = team.subscription_id
    assert (said.status, said.out) == (cli_module.EXIT_SEAT_COUNT, "")
    assert said.err == (
        "polar-seats: Polar refused to change the seat count (400: Cannot decrease seats to 1. "
        "Currently 3 seats are assigned. Revoke seats first.). 3 seats are assigned (pending "
        f"or claimed): revoke 2 seats first, with `polar-seats seats revoke SEAT_ID "
        f"--subscription-id {sub}` (`polar-seats seats list --subscription-id {sub}` shows "
        "them), then ask for 1 again.\n"
    )


@pytest.mark.parametrize(
    ("arrange", "count", "said"),
    [
        (
            {"minimum_seats": 2},
            "1",
            "(400: Minimum 2 seats required.). The price sells no fewer seats: ask for 2 or more.",
        ),
        (
            {"maximum_seats": 4},
            "9",
            "(400: Maximum 4 seats allowed.). The price sells no more seats: ask for 4 or "
            "fewer; more seats take a product whose price allows them.",
        ),
        (
            {"seat_based": False},
            "4",
            "(400: This subscription does not support seat-based pricing.). Its price is not "
            "seat-based, so it has no seat count to change: check --subscription-id.",
        ),
        (
            {"cancel": True},
            "4",
            "(403: This subscription is already canceled or will be at the end of the "
            "period.). The subscription is canceled, or ends with its period, so its seat "
            "count can no longer change: uncancel it first, then run the command again.",
        ),
    ],
    ids=["below-minimum", "above-maximum", "not-seat-based", "canceled"],
)
def test_a_count_the_subscription_refuses_exits_15(
    cli: Cli, fake: FakePolarServer, arrange: dict[str, object], count: str, said: str
) -> None:
    """The price's bounds, a price without seats, a canceled subscription: no other
    credential helps (the canceled one is a 403, and still not exit 6)."""
    cancel = bool(arrange.pop("cancel", False))
    billing = fake.add_billing_customer(seats=3, **arrange)  # type: ignore[arg-type]
    if cancel:
        billing.subscription.cancel(at_period_end=True)
    before = billing.subscription.seats
    result = set_count(cli, billing, count, env={TOKEN_VARIABLE: billing.token})
    assert (result.status, result.out) == (cli_module.EXIT_SEAT_COUNT, "")
    assert result.err == f"polar-seats: Polar refused to change the seat count {said}\n"
    assert billing.subscription.seats == before


def test_a_portal_that_may_not_change_seats_exits_6_pointing_at_the_organization_token(
    cli: Cli, team: BillingCustomer
) -> None:
    team.organization.update_seats = False
    said = set_count(cli, team, "4", env={TOKEN_VARIABLE: team.token})
    assert (said.status, said.out) == (cli_module.EXIT_PERMISSION, "")
    assert said.err == (
        "polar-seats: Polar refused to change the seat count (403: Updating subscription seats "
        "is not allowed.). The organization does not let customers change their seats (its "
        "customer portal settings): use the organization access token alone "
        "($POLAR_ACCESS_TOKEN, with no --token-file and no customer option), or have the "
        "organization allow it.\n"
    )
    assert set_count(cli, team, "4").status == 0


def test_a_token_without_the_subscriptions_scope_exits_6_naming_it(
    cli: Cli, fake: FakePolarServer, team: BillingCustomer
) -> None:
    reader = fake.state.add_organization_token(
        fake.claimant.organization, frozenset({"subscriptions:read"})
    )
    said = set_count(cli, team, "4", env={ACCESS_TOKEN_VARIABLE: reader.token})
    assert (said.status, said.out) == (cli_module.EXIT_PERMISSION, "")
    assert said.err == (
        "polar-seats: Polar refused to change the seat count (403 insufficient_scope): the "
        "organization access token in $POLAR_ACCESS_TOKEN lacks the subscriptions:write "
        "scope. Create a token with it in the organization's settings.\n"
    )


@pytest.mark.parametrize(
    ("payment_method", "why"),
    [
        ("none", "the customer has no payment method"),
        ("card_error", "the customer's card was declined"),
    ],
)
def test_a_failed_charge_exits_16_and_changed_nothing(
    cli: Cli, fake: FakePolarServer, team: BillingCustomer, payment_method: str, why: str
) -> None:
    team.customer.payment_method = payment_method  # type: ignore[assignment]
    said = set_count(cli, team, "5", "--proration-behavior", "invoice")
    assert (said.status, said.out) == (cli_module.EXIT_PAYMENT, "")
    assert said.err.endswith(
        f"Nothing changed and nothing was charged: {why}. Have the customer add or update a "
        "payment method in the customer portal, then run the command again; or, with the "
        "organization token, --proration-behavior prorate bills the change on the next "
        "invoice instead.\n"
    )
    assert (team.subscription.seats, requests_to(fake, "PATCH")) == (3, 1)


def test_a_charge_that_needs_the_customer_exits_16_with_the_order(
    cli: Cli, fake: FakePolarServer, team: BillingCustomer
) -> None:
    """3-D Secure, through the portal (the organization's proration charges now): send the
    customer to the portal, with the order."""
    team.customer.payment_method = "3ds"
    team.organization.proration_behavior = "invoice"
    said = set_count(cli, team, "5", env={TOKEN_VARIABLE: team.token})
    assert (said.status, said.out) == (cli_module.EXIT_PAYMENT, "")
    (charge_order,) = {
        word for word in said.err.split() if word.count("-") == 4 and word != team.subscription_id
    }
    assert said.err.endswith(
        f"Nothing changed: the charge for order {charge_order} needs the customer to "
        "authenticate it (3-D Secure), which cannot happen off-session. Send the customer "
        "to the customer portal to complete it, then run the command again.\n"
    )
    assert f"(402: Order {charge_order} payment requires customer authentication" in said.err
    assert "prorate" not in said.err
    assert team.subscription.seats == 3


def test_a_locked_subscription_exits_17(cli: Cli, team: BillingCustomer) -> None:
    team.subscription.locked = True
    said = set_count(cli, team, "4")
    assert (said.status, said.out) == (cli_module.EXIT_LOCKED, "")
    assert said.err == (
        "polar-seats: Polar refused to change the seat count (409: This subscription is "
        "pending an update.). The subscription is pending an update: wait until it is done "
        f"(`polar-seats seats list --subscription-id {team.subscription_id} --format table` "
        "shows its seats and any pending change), then run the command again.\n"
    )


def test_an_unknown_subscription_exits_10(cli: Cli, fake: FakePolarServer) -> None:
    other = UNKNOWN
    said = cli("seats", "set-count", "--subscription-id", other, "3")
    assert (said.status, said.out) == (cli_module.EXIT_NOT_FOUND, "")
    assert said.err.startswith(f"polar-seats: Polar found no subscription {other} (404 ")
    assert "for the organization of the access token. Check --subscription-id" in said.err


# Lost answers -------------------------------------------------------------------------------


def test_an_answer_lost_after_polar_applied_it_is_read_back_not_resent(
    cli: Cli, fake: FakePolarServer, team: BillingCustomer
) -> None:
    fake.faults = FaultPlan({2: Fault.reset().after()})  # the read, then the change
    said = set_count(cli, team, "5", "--proration-behavior", "invoice")
    assert (said.status, said.err) == (0, "")
    assert json.loads(said.out)["seats"] == 5
    assert sent(fake) == ["GET subscriptions", "PATCH subscriptions", "GET subscriptions"]
    assert [(c.seats_before, c.seats_after) for c in fake.charges] == [(3, 5)]


def test_an_unknown_outcome_exits_11_pointing_at_the_list_table(
    cli: Cli, fake: FakePolarServer, team: BillingCustomer
) -> None:
    """Each attempt lost before Polar ran it, until none is left: exit 11, what the read
    showed, and the command that shows where things stand."""
    fake.faults = FaultPlan(dict.fromkeys((2, 4, 6, 8), BEFORE))  # each change sent
    said = set_count(cli, team, "5", env={TOKEN_VARIABLE: team.token})
    assert (said.status, said.out) == (cli_module.EXIT_OUTCOME_UNKNOWN, "")
    assert "the subscription still has 3 seats and no pending change" in said.err
    assert said.err.endswith(
        " `polar-seats seats list --subscription-id "
        f"{team.subscription_id} --format table` shows the seats, their count and any "
        "pending change now.\n"
    )
    assert team.subscription.seats == 3


# seats assign --add-seat-if-full -------------------------------------------------------------


def test_add_seat_if_full_buys_one_seat_only_when_none_is_free(
    cli: Cli, fake: FakePolarServer, team: BillingCustomer
) -> None:
    """A free seat: assigned, nothing bought. None free: one more bought, then assigned."""
    assign(cli, team, "ann@example.com", "--add-seat-if-full")
    assert (team.subscription.seats, requests_to(fake, "PATCH")) == (3, 0)
    for email in ("bob@example.com", "cy@example.com"):
        assign(cli, team, email)
    first = len(fake.requests)
    seat = assign(cli, team, "new@example.com", "--add-seat-if-full")
    assert (seat.email, seat.status, team.subscription.seats) == (
        "new@example.com",
        "pending",
        4,
    )
    assert sent(fake, first) == [
        "POST customer-seats",  # SeatNotAvailable
        "GET customer-seats",
        "PATCH subscriptions",
        "POST customer-seats",
    ]


def test_add_seat_if_full_with_an_order_is_a_usage_error(cli: Cli, fake: FakePolarServer) -> None:
    said = cli(
        "seats", "assign", "--order-id", UNKNOWN, "--email", "a@example.com", "--add-seat-if-full"
    )
    assert (said.status, said.out) == (cli_module.EXIT_USAGE, "")
    assert said.err == (
        "polar-seats: --add-seat-if-full buys a seat of a subscription, and a one-time order's "
        "seats cannot grow: pass --subscription-id, or leave --add-seat-if-full out.\n"
    )
    assert fake.requests == []


def test_an_address_polar_refuses_buys_no_seat(
    cli: Cli, fake: FakePolarServer, team: BillingCustomer
) -> None:
    """Polar's MX check comes before it looks for a free seat: the assign goes first, so a
    refused address buys nothing."""
    fill(cli, team)
    said = assigning(cli, team.subscription_id, "new@x.invalid", "--add-seat-if-full")
    assert (said.status, said.out) == (cli_module.EXIT_ERROR, "")
    assert said.err.startswith("polar-seats: Polar refused to assign the seat (422): --email: ")
    assert "bought" not in said.err
    assert (team.subscription.seats, requests_to(fake, "PATCH")) == (3, 0)


def test_an_assign_refused_after_the_purchase_says_the_seat_bought_is_free(
    cli: Cli, fake: FakePolarServer, team: BillingCustomer
) -> None:
    """Polar looks the customer up once it has found a free seat: an unknown customer id is
    refused after the purchase, and the message says the seat bought and what releases it."""
    fill(cli, team)
    sub = team.subscription_id
    said = cli(
        "seats", "assign", "--subscription-id", sub, "--customer-id", UNKNOWN, "--add-seat-if-full"
    )
    assert said.out == ""
    assert said.err.endswith(
        f"A seat was bought first (--add-seat-if-full): subscription {sub} now has 4 seats, "
        f"and the seat bought is free; `polar-seats seats set-count --subscription-id {sub} 3` "
        "releases it.\n"
    )
    assert team.subscription.seats == 4
    assert set_count(cli, team, "3").status == 0


def test_an_assign_lost_after_the_purchase_exits_11_saying_what_to_run(
    cli: Cli, fake: FakePolarServer, team: BillingCustomer
) -> None:
    """The assign's answer lost, and every read after it too: the library's sentence says
    a seat was bought; the command's, what to run."""
    fill(cli, team)
    sub = team.subscription_id
    fake.faults = FaultPlan(
        {4: Fault.reset().after(), **{n: Fault.server_error(503) for n in range(5, 9)}}
    )
    said = assigning(cli, sub, "new@example.com", "--add-seat-if-full")
    assert (said.status, said.out) == (cli_module.EXIT_OUTCOME_UNKNOWN, "")
    assert f"A seat was bought for this assign: subscription {sub} now has 4" in said.err
    assert said.err.endswith(
        f"`polar-seats seats list --subscription-id {sub}` shows the seats now. Run the assign "
        "again: the person gets the free seat, and nothing more is bought while one is free "
        "(exit 8 if the lost attempt gave them one); or release the seat with `polar-seats "
        f"seats set-count --subscription-id {sub} 3`.\n"
    )
    again = assigning(cli, sub, "new@example.com", "--add-seat-if-full")
    assert again.status == cli_module.EXIT_ALREADY_ASSIGNED
    assert (team.subscription.seats, requests_to(fake, "PATCH")) == (4, 1)


def test_a_purchase_refused_for_payment_exits_16_and_assigns_nothing(
    cli: Cli, fake: FakePolarServer, team: BillingCustomer
) -> None:
    fill(cli, team)
    team.customer.payment_method = "none"
    team.organization.proration_behavior = "invoice"
    said = assigning(cli, team.subscription_id, "new@example.com", "--add-seat-if-full")
    assert (said.status, said.out) == (cli_module.EXIT_PAYMENT, "")
    assert said.err.startswith(
        "polar-seats: Polar refused to buy a seat for --add-seat-if-full (402: Payment failed "
        "with reason: missing_payment_method.). Nothing changed and nothing was charged: the "
        "customer has no payment method."
    )
    assert "prorate" not in said.err
    assert (team.subscription.seats, requests_to(fake, "POST")) == (3, 4)  # 3 filled, 1 full


def test_a_seat_bought_for_the_next_period_says_it_comes_later(
    cli: Cli, fake: FakePolarServer, team: BillingCustomer
) -> None:
    """An organization that bills seat changes next_period: the seat bought waits for the
    period's end, so the assign finds none free (exit 7) and says how to cancel it."""
    fill(cli, team)
    team.organization.proration_behavior = "next_period"
    sub = team.subscription_id
    said = assigning(cli, sub, "new@example.com", "--add-seat-if-full")
    assert (said.status, said.out) == (cli_module.EXIT_NO_SEAT, "")
    applies = team.subscription.body["pending_update"]["applies_at"][:10]
    assert said.err.endswith(
        f"A seat was bought first (--add-seat-if-full): subscription {sub} now has 3 seats "
        f"(4 seats from {applies} as a pending change), and the seat bought comes at the "
        "period's end (the organization bills seat changes next_period), so none was free to "
        f"assign yet; `polar-seats seats set-count --subscription-id {sub} 3` cancels the "
        "purchase.\n"
    )
    assert set_count(cli, team, "3").status == 0
    assert team.subscription.body["pending_update"] is None


def test_a_lost_purchase_that_stays_unknown_says_the_assign_is_safe_to_run_again(
    cli: Cli, fake: FakePolarServer, team: BillingCustomer
) -> None:
    fill(cli, team)
    fake.faults = FaultPlan(dict.fromkeys((3, 5, 7, 9), BEFORE))  # each send of the purchase
    said = assigning(cli, team.subscription_id, "new@example.com", "--add-seat-if-full")
    assert (said.status, said.out) == (cli_module.EXIT_OUTCOME_UNKNOWN, "")
    assert said.err.endswith(
        "--format table` shows the seats, their count and any pending change now. Running "
        "the assign again is safe: it buys a seat only while none is free.\n"
    )
    assert team.subscription.seats == 3
    assert (
        msgspec.json.decode(
            assigning(cli, team.subscription_id, "new@example.com", "--add-seat-if-full").out,
            type=CustomerSeat,
        ).email
        == "new@example.com"
    )


# Polar's words without their numbers --------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error", "advice"),
    [
        (
            400,
            "SeatsAlreadyAssigned",
            "Revoke seats first, with `polar-seats seats revoke SEAT_ID --subscription-id SUB` "
            "(`polar-seats seats list --subscription-id SUB` shows them), until no more are "
            "assigned.",
        ),
        (400, "BelowMinimumSeats", "ask for the price's minimum or more."),
        (400, "AboveMaximumSeats", "ask for the price's maximum or fewer;"),
        (402, "PaymentFailed", "Nothing changed and nothing was charged: the charge failed."),
        (402, "PaymentActionRequired", "Nothing changed: the charge for the order needs"),
    ],
)
def test_a_refusal_without_its_numbers_still_says_what_to_do(
    status: int, error: str, advice: str
) -> None:
    """Polar's sentence is where the numbers come from; without them the advice is general,
    and still in the command's terms."""
    refused = error_for_status(status, {}, f'{{"error":"{error}","detail":"?"}}'.encode())
    args = argparse.Namespace(subscription_id="SUB", action="set-count")
    said = explain(refused, args, "Refused.")
    assert said is not None
    assert said.startswith("Refused. ")
    assert advice in said
