"""The polar-seats command's seat lifecycle: `seats list|assign|revoke|resend`, `claim-info`
and `claim`, run in this process against a fake Polar in a thread (over real HTTP). Every
run checks that no token the fake knows (an organization token, a session, an invitation)
shows on stderr, nor on stdout unless the test asked for it."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import msgspec
import pytest

from polar_seats import CustomerSeat, SeatClaimInfo
from polar_seats import cli as cli_module
from polar_seats.cli import ACCESS_TOKEN_VARIABLE, TOKEN_VARIABLE
from polar_seats.testing import BillingCustomer, FakePolarServer, Fault, FaultPlan, serve_in_thread
from tests.cli.test_cli import serve_fake_process

ORG_TOKEN = "polar_oat_SEATSORGSECRET0123456789"
TEAM = "team-1"
UNKNOWN = "00000000-0000-4000-8000-000000000000"
LIST = ("seats", "list", "--subscription-id", UNKNOWN)
ASSIGN = ("seats", "assign", "--subscription-id", UNKNOWN)


class Said(NamedTuple):
    status: int
    out: str
    err: str


Cli = Callable[..., Said]


@pytest.fixture
def fake() -> Iterator[FakePolarServer]:
    with serve_in_thread(FakePolarServer(count=1, organization_tokens=[ORG_TOKEN])) as server:
        yield server


@pytest.fixture
def team(fake: FakePolarServer) -> BillingCustomer:
    """A customer with a subscription of 3 seats, none assigned."""
    return fake.add_billing_customer(seats=3, external_id=TEAM)


def secrets(server: FakePolarServer) -> set[str]:
    """Every token the fake knows: organization tokens, sessions, invitations."""
    invitations = {seat.invitation_token for seat in server.state.seats if seat.invitation_token}
    return {
        *server.state.organization_tokens,
        *server.state.sessions,
        *(invitation.token for invitation in server.outbox),
        *invitations,
    }


@pytest.fixture
def cli(fake: FakePolarServer, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """`polar-seats ARGV` against the fake, with ORG_TOKEN in POLAR_ACCESS_TOKEN unless
    ``env`` says otherwise; ``stdin`` is what the command reads there; ``sessions_shown``:
    a session token may be printed on stdout (nothing else secret may)."""

    def run(
        *argv: str,
        env: dict[str, str] | None = None,
        stdin: str | None = None,
        sessions_shown: bool = False,
    ) -> Said:
        for variable, value in {TOKEN_VARIABLE: "", ACCESS_TOKEN_VARIABLE: ORG_TOKEN}.items():
            monkeypatch.setenv(variable, value)
        for variable, value in (env or {}).items():
            monkeypatch.setenv(variable, value)
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        words = 2 if argv[0] == "seats" else 1
        out, err = io.StringIO(), io.StringIO()
        status = cli_module.run(
            [*argv[:words], "--base-url", fake.url, *argv[words:]], out=out, err=err
        )
        said = Said(status, out.getvalue(), err.getvalue())
        shown = set(fake.state.sessions) if sessions_shown else set()
        for secret in secrets(fake):
            assert secret not in said.err
            assert secret in shown or secret not in said.out
        return said

    return run


@pytest.fixture
def seat(cli: Cli, team: BillingCustomer) -> CustomerSeat:
    """A pending seat of ``team`` for ann@example.com; the fake's last invitation is its."""
    return assign(cli, team, "ann@example.com")


def assigning(
    cli: Cli, subscription_id: str, email: str, *options: str, env: dict[str, str] | None = None
) -> Said:
    """`seats assign --subscription-id ID --email EMAIL OPTIONS`."""
    return cli(
        "seats", "assign", "--subscription-id", subscription_id, "--email", email, *options, env=env
    )


def assign(cli: Cli, team: BillingCustomer, email: str, *options: str) -> CustomerSeat:
    said = assigning(cli, team.subscription_id, email, *options)
    assert (said.status, said.err) == (0, "")
    return msgspec.json.decode(said.out, type=CustomerSeat)


def requests_to(server: FakePolarServer, method: str, ending: str = "") -> int:
    return sum(r.method == method and r.path.endswith(ending) for r in server.requests)


# seats list ---------------------------------------------------------------------------


def test_seats_list_prints_a_seat_a_line_or_polar_s_whole_answer(
    cli: Cli, team: BillingCustomer
) -> None:
    """jsonl: each seat whole; json: the seats with available_seats and total_seats."""
    ann = assign(cli, team, "ann@example.com", "--metadata", "team=red")
    bob = assign(cli, team, "bob@example.com")
    said = cli("seats", "list", "--subscription-id", team.subscription_id)
    assert (said.status, said.err) == (0, "")
    seats = [msgspec.json.decode(line, type=CustomerSeat) for line in said.out.splitlines()]
    assert [seat.id for seat in seats] == [ann.id, bob.id]
    assert seats[0].seat_metadata == {"team": "red"}
    assert set(json.loads(said.out.splitlines()[0])) == set(CustomerSeat.__struct_fields__)

    said = cli("seats", "list", "--subscription-id", team.subscription_id, "--format", "json")
    whole = json.loads(said.out)
    assert (whole["available_seats"], whole["total_seats"]) == (1, 3)
    assert [seat["email"] for seat in whole["seats"]] == ["ann@example.com", "bob@example.com"]
    assert said.out.count("\n") == 1


def test_seats_list_as_a_table_ends_with_the_free_seats(cli: Cli, team: BillingCustomer) -> None:
    """A table: whole ids, 80 columns, then how many seats are free and how rows stand."""
    said = cli("seats", "list", "--subscription-id", team.subscription_id, "--format", "table")
    assert said.out == "3 of 3 seats available; none assigned yet.\n"
    ann = assign(cli, team, "ann@example.com")
    assign(cli, team, "bob@example.com", "--immediate-claim")
    said = cli("seats", "list", "--subscription-id", team.subscription_id, "--format", "table")
    header, rule, first, second, blank, summary = said.out.splitlines()
    assert header.split() == ["id", "status", "customer_email"]
    assert set(rule.replace(" ", "")) == {"-"}
    assert first.split() == [ann.id, "pending", "ann@example.com"]
    assert second.split()[1:] == ["claimed", "bob@example.com"]
    assert (blank, summary) == ("", "1 of 3 seats available (1 pending, 1 claimed).")
    assert max(map(len, said.out.splitlines())) <= 80


def test_seats_list_csv_with_fields_reaches_into_metadata(cli: Cli, team: BillingCustomer) -> None:
    """--fields checks each path against the seat model; metadata keys are free."""
    assign(cli, team, "ann@example.com", "--metadata", "team=red", "--metadata", "cost=a=b")
    fields = "id,status,member.email,seat_metadata.team,seat_metadata.cost"
    said = cli(
        "seats",
        "list",
        "--subscription-id",
        team.subscription_id,
        "--format",
        "csv",
        "--fields",
        fields,
    )
    (row,) = csv.DictReader(io.StringIO(said.out))
    assert list(row) == fields.split(",")
    assert (row["member.email"], row["seat_metadata.team"], row["seat_metadata.cost"]) == (
        "ann@example.com",
        "red",
        "a=b",
    )


def test_seats_list_with_each_credential(
    cli: Cli, fake: FakePolarServer, team: BillingCustomer, seat: CustomerSeat
) -> None:
    """The customer's session token (the portal, and it wins over an exported organization
    token), a customer named by id (one session minted), the organization token alone."""
    base = ("seats", "list", "--subscription-id", team.subscription_id, "--fields", "email")
    runs = [
        (cli(*base, env={TOKEN_VARIABLE: team.token}), "/v1/customer-portal/seats", team.token),
        (cli(*base, "--external-customer-id", TEAM), "/v1/customer-portal/seats", None),
        (cli(*base), "/v1/customer-seats", ORG_TOKEN),
    ]
    (minted,) = fake.minted
    assert minted.customer_id == team.customer.id
    lists = [r for r in fake.requests if r.method == "GET" and "seats" in r.path][-3:]
    for (said, path, token), request in zip(runs, lists, strict=True):
        assert (said.status, said.out, said.err) == (0, '{"email":"ann@example.com"}\n', "")
        assert request.path == path
        assert request.token == (token or minted.token)


def test_the_seats_of_a_one_time_order(cli: Cli, fake: FakePolarServer) -> None:
    """--order-id on assign, list and revoke: the order's seats, not a subscription's."""
    buyer = fake.add_billing_customer(seats=1, order_seats=2)
    assert buyer.order_id is not None
    said = cli("seats", "assign", "--order-id", buyer.order_id, "--email", "ann@example.com")
    seat = msgspec.json.decode(said.out, type=CustomerSeat)
    assert (seat.order_id, seat.subscription_id) == (buyer.order_id, None)
    said = cli("seats", "list", "--order-id", buyer.order_id, "--format", "table")
    assert said.out.splitlines()[-1] == "1 of 2 seats available (1 pending)."
    said = cli("seats", "revoke", seat.id, "--order-id", buyer.order_id, "--fields", "status")
    assert (said.status, said.out) == (0, '{"status":"revoked"}\n')


def test_an_unknown_subscription_exits_10_naming_whose_it_must_be(
    cli: Cli, team: BillingCustomer
) -> None:
    """Polar's 404 for the subscription: exit 10, the option to check and whose it must be."""
    said = cli("seats", "list", "--subscription-id", UNKNOWN, env={TOKEN_VARIABLE: team.token})
    assert (said.status, said.out) == (cli_module.EXIT_NOT_FOUND, "")
    assert said.err == (
        f"polar-seats: Polar found no subscription {UNKNOWN} (404 ResourceNotFound: "
        "Subscription not found) for the customer of the session token. Check "
        "--subscription-id: it must be one of that customer's, on this server (a sandbox "
        "subscription needs --server sandbox).\n"
    )


# seats assign -------------------------------------------------------------------------


def test_assign_prints_the_seat_and_polar_emails_the_invitation(
    cli: Cli, fake: FakePolarServer, team: BillingCustomer
) -> None:
    """json: the whole seat on one line; table: one row; --immediate-claim: no email."""
    seat = assign(cli, team, "ann@example.com")
    assert (seat.status, seat.subscription_id) == ("pending", team.subscription_id)
    assert [(i.to, i.seat_id) for i in fake.outbox] == [("ann@example.com", seat.id)]
    said = assigning(
        cli, team.subscription_id, "bob@example.com", "--immediate-claim", "--format", "table"
    )
    header, _, row = said.out.splitlines()
    assert header.split() == ["id", "status", "customer_email"]
    assert row.split()[1:] == ["claimed", "bob@example.com"]
    assert len(fake.outbox) == 1


@pytest.mark.parametrize(
    ("seats", "emails", "status", "said"),
    [
        (
            1,
            ["ann@example.com", "bob@example.com"],
            cli_module.EXIT_NO_SEAT,
            "polar-seats: Polar refused to assign the seat (400: No available seats for ",
        ),
        (
            2,
            ["ann@example.com", "ann@example.com"],
            cli_module.EXIT_ALREADY_ASSIGNED,
            "polar-seats: Polar refused to assign the seat (400: Seat already assigned to "
            "customer ann@example.com). The person already holds a pending or claimed seat "
            "there: `polar-seats seats list` shows it.",
        ),
    ],
    ids=["no-seat-free", "already-assigned"],
)
def test_assign_refused_by_polar_exits_with_its_own_status(
    cli: Cli,
    fake: FakePolarServer,
    seats: int,
    emails: list[str],
    status: int,
    said: str,
) -> None:
    """No free seat: 7; the person holds one already: 8. One line, in command terms."""
    small = fake.add_billing_customer(seats=seats)
    first, second = (assigning(cli, small.subscription_id, email) for email in emails)
    assert first.status == 0
    assert (second.status, second.out) == (status, "")
    assert second.err.startswith(said)
    assert second.err.count("\n") == 1


def test_a_422_names_the_option(cli: Cli, team: BillingCustomer) -> None:
    """Polar's MX check refuses the domain: exit 1, the 422 under --email."""
    said = assigning(cli, team.subscription_id, "a@x.invalid")
    assert said.status == cli_module.EXIT_ERROR
    assert said.err.startswith("polar-seats: Polar refused to assign the seat (422): --email: ")


def test_an_invalid_email_reads_as_polar_wrote_it(cli: Cli, team: BillingCustomer) -> None:
    """Polar's sentence about the address is printed as it is, under the option that gave
    it: the word "email" in it is not taken for the argument."""
    said = assigning(cli, team.subscription_id, "ann.example.com")
    assert (said.status, said.out) == (cli_module.EXIT_ERROR, "")
    assert said.err == (
        "polar-seats: Polar refused to assign the seat (422): --email: value is not a valid "
        "email address: An email address must have an @-sign.\n"
    )


def test_assign_to_a_customer_polar_does_not_know_exits_10(cli: Cli, team: BillingCustomer) -> None:
    said = cli(
        "seats", "assign", "--subscription-id", team.subscription_id, "--customer-id", UNKNOWN
    )
    assert (said.status, said.out) == (cli_module.EXIT_NOT_FOUND, "")
    assert said.err == (
        f"polar-seats: Polar found no such person (404 CustomerNotFound: Customer not found: "
        f"{UNKNOWN}): check --customer-id; it must name a customer of the organization, or a "
        "member of the subscription's customer, on this server (a sandbox one needs --server "
        "sandbox).\n"
    )


# seats revoke -------------------------------------------------------------------------


def test_revoke_looks_the_seat_up_then_revokes_it_once(
    cli: Cli, fake: FakePolarServer, team: BillingCustomer, seat: CustomerSeat
) -> None:
    """The list, then one DELETE; a revoked seat again: printed as it is, nothing sent."""
    argv = ("seats", "revoke", seat.id, "--subscription-id", team.subscription_id)
    said = cli(*argv)
    assert said.status == 0
    revoked = msgspec.json.decode(said.out, type=CustomerSeat)
    assert (revoked.id, revoked.status) == (seat.id, "revoked")
    assert requests_to(fake, "DELETE") == 1
    said = cli(*argv, "--format", "table", "--fields", "id,status,revoked_at")
    assert said.status == 0
    assert said.out.splitlines()[2].split()[:2] == [seat.id, "revoked"]
    assert requests_to(fake, "DELETE") == 1


def test_revoke_of_a_seat_not_in_the_list_sends_nothing_and_exits_10(
    cli: Cli, fake: FakePolarServer, team: BillingCustomer, seat: CustomerSeat
) -> None:
    """An id the subscription's list does not have: exit 10 and no DELETE."""
    said = cli("seats", "revoke", UNKNOWN, "--subscription-id", team.subscription_id)
    assert (said.status, said.out) == (cli_module.EXIT_NOT_FOUND, "")
    assert said.err == (
        f"polar-seats: Seat {UNKNOWN} is not among the 1 seat of subscription "
        f"{team.subscription_id}; nothing was sent. `polar-seats seats list --subscription-id "
        f"{team.subscription_id}` lists them.\n"
    )
    empty = fake.add_billing_customer(seats=1)
    said = cli("seats", "revoke", UNKNOWN, "--subscription-id", empty.subscription_id)
    assert said.status == cli_module.EXIT_NOT_FOUND
    assert "which has none assigned; nothing was sent." in said.err
    assert requests_to(fake, "DELETE") == 0


def test_revoke_for_a_customer_named_by_id(
    cli: Cli, fake: FakePolarServer, team: BillingCustomer, seat: CustomerSeat
) -> None:
    """--customer-id: the portal's DELETE with that customer's minted session."""
    said = cli(
        "seats",
        "revoke",
        seat.id,
        "--subscription-id",
        team.subscription_id,
        "--customer-id",
        team.customer.id,
    )
    assert said.status == 0
    (delete,) = [r for r in fake.requests if r.method == "DELETE"]
    assert delete.path == f"/v1/customer-portal/seats/{seat.id}"
    assert delete.token == fake.minted[0].token


# seats resend -------------------------------------------------------------------------


def test_resend_emails_the_same_invitation_again(
    cli: Cli, fake: FakePolarServer, team: BillingCustomer, seat: CustomerSeat
) -> None:
    said = cli("seats", "resend", seat.id, "--subscription-id", team.subscription_id)
    assert said.status == 0
    assert msgspec.json.decode(said.out, type=CustomerSeat).id == seat.id
    first, again = fake.outbox
    assert (again.to, again.token) == (first.to, first.token)


def test_resend_of_an_expired_invitation_exits_9_before_any_email(
    cli: Cli, fake: FakePolarServer, team: BillingCustomer, seat: CustomerSeat
) -> None:
    """The library sees the expiry in the seat the lookup found, and sends nothing."""
    row = next(row for row in fake.state.seats if row.id == seat.id)
    row.invitation_expires_at = fake.clock() - 60
    said = cli("seats", "resend", seat.id, "--subscription-id", team.subscription_id)
    assert (said.status, said.out) == (cli_module.EXIT_INVITATION, "")
    assert said.err.startswith(f"polar-seats: The invitation of seat {seat.id} expired at ")
    assert "Revoke the seat and assign it again for a new invitation." in said.err
    assert (
        f"`polar-seats seats revoke {seat.id} --subscription-id {team.subscription_id}`, then "
        "`polar-seats seats assign`." in said.err
    )
    assert requests_to(fake, "POST", "/resend") == 0
    assert len(fake.outbox) == 1


def test_resend_of_a_claimed_seat_says_only_a_pending_one_has_an_invitation(
    cli: Cli, team: BillingCustomer
) -> None:
    seat = assign(cli, team, "ann@example.com", "--immediate-claim")
    said = cli("seats", "resend", seat.id, "--subscription-id", team.subscription_id)
    assert said.status == cli_module.EXIT_ERROR
    assert said.err == (
        "polar-seats: Polar refused to resend the invitation (400: Seat is not in pending "
        "status). Only a pending seat has an invitation to resend; `polar-seats seats list` "
        "shows the seat's status.\n"
    )


# claim-info and claim -----------------------------------------------------------------


def test_claim_info_reads_the_token_from_stdin_a_file_or_the_argument(
    cli: Cli, fake: FakePolarServer, team: BillingCustomer, seat: CustomerSeat, tmp_path: Path
) -> None:
    """Each way in gives the same answer, in json or a table; nothing is claimed."""
    token = fake.outbox[-1].token
    assert not token.startswith("-"), "bare, it would read as an option: see the next test"
    (tmp_path / "invitation").write_text(token + "\n")
    ways = [
        cli("claim-info", "-", stdin=token + "\n"),
        cli("claim-info", "--invitation-token-file", str(tmp_path / "invitation")),
        cli("claim-info", token),
    ]
    for said in ways:
        assert (said.status, said.err) == (0, "")
        info = msgspec.json.decode(said.out, type=SeatClaimInfo)
        assert (info.customer_email, info.can_claim) == ("ann@example.com", True)
    said = cli("claim-info", "-", "--format", "table", stdin=token)
    header, _, row = said.out.splitlines()
    assert header.split() == ["product_name", "organization_name", "customer_email", "can_claim"]
    assert row.split()[-2:] == ["ann@example.com", "true"]
    assert [row.status for row in fake.state.seats if row.id == fake.outbox[-1].seat_id] == [
        "pending"
    ]


def test_a_token_that_begins_with_a_dash_goes_after_double_dash(
    cli: Cli, fake: FakePolarServer, team: BillingCustomer, seat: CustomerSeat
) -> None:
    """An invitation token may begin with '-', as Polar's may: bare, it reads as an option
    and is refused (exit 2, not echoed, pointing at --); after -- it is the TOKEN."""
    row = next(row for row in fake.state.seats if row.id == fake.outbox[-1].seat_id)
    token = row.invitation_token = "-" + fake.outbox[-1].token[1:]
    refused = cli("claim-info", token)
    assert (refused.status, refused.out) == (cli_module.EXIT_USAGE, "")
    assert "an invitation token that begins with - goes after --, as in `-- TOKEN`" in refused.err
    said = cli("claim-info", "--", token)
    assert (said.status, said.err) == (0, "")
    info = msgspec.json.decode(said.out, type=SeatClaimInfo)
    assert (info.customer_email, info.can_claim) == ("ann@example.com", True)


def test_claim_prints_the_seat_without_the_session_token(
    cli: Cli, fake: FakePolarServer, team: BillingCustomer, seat: CustomerSeat
) -> None:
    """The seat, claimed; the member session Polar minted is not printed. A second claim,
    and the claim info after it: exit 9."""
    token = fake.outbox[-1].token
    said = cli("claim", "-", stdin=token)
    assert (said.status, said.err) == (0, "")
    printed = json.loads(said.out)
    assert list(printed) == ["seat"]
    assert printed["seat"]["status"] == "claimed"
    for command in ("claim", "claim-info"):
        said = cli(command, "-", stdin=token)
        assert (said.status, said.out) == (cli_module.EXIT_INVITATION, "")
        assert "takes `polar-seats seats revoke` and `polar-seats seats assign`" in said.err


def test_claim_shows_the_session_token_only_when_asked(
    cli: Cli, fake: FakePolarServer, team: BillingCustomer
) -> None:
    """--show-session-token: in the json, and under a table."""
    for email, format in (("ann@example.com", "json"), ("bob@example.com", "table")):
        assign(cli, team, email)
        token = fake.outbox[-1].token
        before = set(fake.state.sessions)
        said = cli(
            "claim",
            "-",
            "--show-session-token",
            "--format",
            format,
            stdin=token,
            sessions_shown=True,
        )
        (session,) = set(fake.state.sessions) - before
        assert session.startswith("polar_mst_")
        if format == "json":
            assert json.loads(said.out)["customer_session_token"] == session
        else:
            assert said.out.splitlines()[-1] == f"Session token: {session}"


def test_claim_writes_the_session_token_to_a_file_list_then_reads(
    cli: Cli, fake: FakePolarServer, team: BillingCustomer, seat: CustomerSeat, tmp_path: Path
) -> None:
    """--session-token-file: mode 600, the member session, which `list --token-file` takes."""
    kept = tmp_path / "session"
    said = cli("claim", "-", "--session-token-file", str(kept), stdin=fake.outbox[-1].token)
    assert said.status == 0
    assert stat.S_IMODE(os.stat(kept).st_mode) == 0o600
    assert kept.read_text().strip() in fake.state.sessions
    said = cli("list", "--token-file", str(kept), "--fields", "id")
    assert [json.loads(line)["id"] for line in said.out.splitlines()] == [team.subscription_id]


def test_a_failed_claim_leaves_no_session_token_file(
    cli: Cli, tmp_path: Path, fake: FakePolarServer
) -> None:
    """The file is made before the claim (a path it cannot write fails first), and removed
    when the claim fails; an unwritable path exits 2 before any request."""
    kept = tmp_path / "session"
    said = cli("claim", "-", "--session-token-file", str(kept), stdin="deadToken")
    assert said.status == cli_module.EXIT_INVITATION
    assert not kept.exists()
    said = cli("claim", "-", "--session-token-file", str(tmp_path / "no" / "s"), stdin="x")
    assert said.status == cli_module.EXIT_USAGE
    assert said.err.startswith("polar-seats: Cannot write --session-token-file: ")
    assert requests_to(fake, "POST", "/claim") == 1


@pytest.mark.parametrize("command", ["claim-info", "claim"])
def test_debug_logs_the_claim_without_the_invitation_token(
    cli: Cli, fake: FakePolarServer, team: BillingCustomer, seat: CustomerSeat, command: str
) -> None:
    """The claim info's path holds the token: the log shows … in its place."""
    said = cli(command, "--debug", "-", stdin=fake.outbox[-1].token)
    assert said.status == 0
    (sent,) = [line for line in said.err.splitlines() if "→" in line]
    url = sent.split()[3]
    assert url.endswith("/v1/customer-seats/claim/…" if command == "claim-info" else "/claim")


def test_an_invitation_token_file_of_no_text_is_refused(cli: Cli, tmp_path: Path) -> None:
    binary = tmp_path / "invitation.bin"
    binary.write_bytes(b"\xff\xfe\x00")
    said = cli("claim-info", "--invitation-token-file", str(binary))
    assert (said.status, said.err) == (
        cli_module.EXIT_USAGE,
        f"polar-seats: --invitation-token-file {binary} holds no text.\n",
    )


def test_debug_shows_the_traceback_of_a_dead_invitation_without_its_token(
    cli: Cli, fake: FakePolarServer, seat: CustomerSeat
) -> None:
    token = fake.outbox[-1].token
    assert cli("claim", "-", stdin=token).status == 0
    said = cli("claim", "--debug", "-", stdin=token)
    assert said.status == cli_module.EXIT_INVITATION
    assert "Traceback" in said.err
    assert "polar-seats: ← 400 POST" in said.err


def test_a_token_that_looks_like_an_option_is_not_echoed(
    cli: Cli, capsys: pytest.CaptureFixture[str]
) -> None:
    """An invitation token may begin with '-': unknown, or read as -h with an argument, or
    given to --format, argparse's error and ours show none of it."""
    said = cli("claim", "-QsECRETinvitation0123456789")
    assert said.status == cli_module.EXIT_USAGE
    assert "sECRET" not in said.err
    assert "goes after --, as in `-- TOKEN`" in said.err
    for argv in (["claim", "-hsECRETinvitation"], ["claim-info", "--format", "sECRETinvitation"]):
        with pytest.raises(SystemExit) as exited:
            cli_module.run(argv, out=io.StringIO(), err=io.StringIO())
        assert exited.value.code == cli_module.EXIT_USAGE
        err = capsys.readouterr().err
        assert "sECRET" not in err
        assert "'(not shown)'" in err
    assert "(choose from 'json', 'table')" in err


# Errors of every kind -----------------------------------------------------------------


def test_a_token_without_the_seat_scope_exits_6_naming_it(
    cli: Cli, fake: FakePolarServer, team: BillingCustomer
) -> None:
    reader = fake.state.add_organization_token(
        fake.claimant.organization, frozenset({"customer_seats:read"})
    )
    said = assigning(
        cli, team.subscription_id, "ann@example.com", env={ACCESS_TOKEN_VARIABLE: reader.token}
    )
    assert (said.status, said.out) == (cli_module.EXIT_PERMISSION, "")
    assert said.err == (
        "polar-seats: Polar refused to assign the seat (403 insufficient_scope): the "
        "organization access token in $POLAR_ACCESS_TOKEN lacks the customer_seats:write "
        "scope. Create a token with it in the organization's settings.\n"
    )


def test_a_token_polar_does_not_know_exits_3_with_the_library_s_sentence(cli: Cli) -> None:
    """A 401 on a seat request is not reworded: the library's sentence says what to check."""
    said = cli(*LIST, env={TOKEN_VARIABLE: "polar_cst_SECRETunknown"})
    assert (said.status, said.out) == (cli_module.EXIT_AUTH, "")
    assert said.err.startswith("polar-seats: Polar refused the token (401: ")
    assert "SECRET" not in said.err


def test_a_member_without_the_billing_role_exits_6(cli: Cli, fake: FakePolarServer) -> None:
    members = fake.add_billing_customer(seats=2, members={"pat@example.com": "member"})
    member = {TOKEN_VARIABLE: members.member_tokens["pat@example.com"]}
    said = assigning(cli, members.subscription_id, "ann@example.com", env=member)
    assert said.status == cli_module.EXIT_PERMISSION
    assert said.err.startswith(
        "polar-seats: Polar refused to assign the seat (403 NotPermitted: Only owners and "
        "billing managers can access billing features.): only the customer, or a member who "
        "is its owner or billing manager, may change its seats."
    )


def test_a_lost_resend_exits_11_and_is_not_sent_again(
    cli: Cli, fake: FakePolarServer, team: BillingCustomer, seat: CustomerSeat
) -> None:
    """The resend ran at Polar and its answer was lost: exit 11, one email, no retry."""
    fake.faults = FaultPlan({2: Fault.server_error(503).after()})  # the list, then the resend
    said = cli("seats", "resend", seat.id, "--subscription-id", team.subscription_id)
    assert (said.status, said.out) == (cli_module.EXIT_OUTCOME_UNKNOWN, "")
    assert said.err.startswith(
        f"polar-seats: Resending the invitation of seat {seat.id} may have worked: "
    )
    assert requests_to(fake, "POST", "/resend") == 1
    assert len(fake.outbox) == 2


def test_a_lost_claim_exits_11_pointing_at_claim_info(
    cli: Cli, fake: FakePolarServer, team: BillingCustomer, seat: CustomerSeat
) -> None:
    fake.faults = FaultPlan({1: Fault.reset(after=True)})
    said = cli("claim", "-", stdin=fake.outbox[-1].token)
    assert said.status == cli_module.EXIT_OUTCOME_UNKNOWN
    assert said.err.startswith("polar-seats: Claiming the seat may have worked: ")
    assert "`polar-seats claim-info` tells whether the invitation is still good" in said.err
    assert "`polar-seats session create` mints a session for the seat's holder" in said.err
    assert "get_claim_info()" not in said.err
    assert "create_customer_session()" not in said.err


def test_a_lost_assign_by_external_customer_id_exits_11_pointing_at_the_list(
    cli: Cli, fake: FakePolarServer, team: BillingCustomer
) -> None:
    """A person named by --external-customer-id alone shows on no seat: the command cannot
    tell whether the lost attempt took one."""
    fake.add_customer(external_id="ext-9", subscriptions=0)
    fake.faults = FaultPlan({1: Fault.server_error(503).after()})
    said = cli(
        "seats",
        "assign",
        "--subscription-id",
        team.subscription_id,
        "--external-customer-id",
        "ext-9",
    )
    assert said.status == cli_module.EXIT_OUTCOME_UNKNOWN
    assert "The seat was for the person named by external customer id" in said.err
    # The library's advice names Python calls and arguments; the command says its own.
    assert "list_seats()" not in said.err
    assert "email=" not in said.err
    assert said.err.endswith(
        f"`polar-seats seats list --subscription-id {team.subscription_id}` shows the seats now.\n"
    )


@pytest.mark.parametrize(
    ("argv", "env", "said"),
    [
        (
            list(LIST),
            {ACCESS_TOKEN_VARIABLE: ""},
            "Managing seats needs a credential",
        ),
        (
            [*LIST, "--token-file", "a", "--access-token-file", "b"],
            {},
            "--token-file and --access-token-file are two credentials",
        ),
        (
            [*LIST, "--token-file", "a", "--customer-id", "c"],
            {},
            "--token-file and --customer-id both say whose seats these are",
        ),
        (
            list(LIST),
            {TOKEN_VARIABLE: "polar_oat_SECRET"},
            "The token in $POLAR_CUSTOMER_SESSION_TOKEN is an organization access token, not a "
            "customer session token: put it in POLAR_ACCESS_TOKEN",
        ),
        (
            list(LIST),
            {ACCESS_TOKEN_VARIABLE: "polar_cst_SECRET"},
            "The token in $POLAR_ACCESS_TOKEN is a customer session token",
        ),
        (
            list(LIST),
            {TOKEN_VARIABLE: "polar_pat_SECRET"},
            "The token in $POLAR_CUSTOMER_SESSION_TOKEN is a personal access token, not a "
            "customer session token: put it in POLAR_ACCESS_TOKEN",
        ),
        (
            list(LIST),
            {ACCESS_TOKEN_VARIABLE: "polar_mst_SECRET"},
            "The token in $POLAR_ACCESS_TOKEN is a member session token, not an organization "
            "access token",
        ),
        (
            ["seats", "list", "--subscription-id", "sub-1"],
            {},
            "--subscription-id must be a Polar id, a UUID such as '…-4f1c-…'.",
        ),
        (
            ["seats", "revoke", "seat-1", "--order-id", UNKNOWN],
            {},
            "SEAT_ID must be a Polar id, a UUID such as '…-4f1c-…'.",
        ),
        (
            [*LIST, "--base-url", "http://example.com"],
            {},
            "--base-url must be an https URL, or an http one to a loopback address (a local fake).",
        ),
        (
            list(ASSIGN),
            {},
            "Name the person the seat is for: --email, --customer-id, --external-customer-id, "
            "--member-id or --external-member-id.",
        ),
        (
            [*ASSIGN, "--email", "a@b.c", "--customer-id", "c"],
            {},
            "Pass exactly one of --email, --customer-id or --external-customer-id.",
        ),
        (
            [*ASSIGN, "--customer-id", "c", "--external-customer-id", "X"],
            {},
            "Pass exactly one of --email, --customer-id or --external-customer-id.",
        ),
        (
            [*ASSIGN, "--member-id", "m", "--external-member-id", "n"],
            {},
            "Pass exactly one of --member-id or --external-member-id.",
        ),
        (
            [*ASSIGN, "--member-id", "m", "--email", "a@b.c"],
            {},
            "Pass exactly one of --email or --member-id.",
        ),
        (
            [*ASSIGN, "--customer-id", "c", "--member-id", "m"],
            {},
            "Pass exactly one of --customer-id, --external-customer-id, --member-id or "
            "--external-member-id.",
        ),
        (
            [*ASSIGN, "--email", "a@b.c", "--metadata", "k=1", "--metadata", "k=2"],
            {},
            "--metadata k is given twice: give each key once.",
        ),
        (
            [*ASSIGN, "--email", " "],
            {},
            "--email is empty: give the address.",
        ),
        (
            [*ASSIGN, "--email", "a@b.c", "--metadata", "x"],
            {},
            "--metadata takes KEY=VALUE (got 'x').",
        ),
        (
            [*ASSIGN, "--email", "a@b.c"] + [f"--metadata=k{n}=v" for n in range(11)],
            {},
            "--metadata: metadata may have at most 10 keys (got 11).",
        ),
        (
            [*LIST, "--fields", "id,member.nope"],
            {},
            "--fields member.nope: member has no field 'nope'; its fields are id, customer_id",
        ),
        (["claim"], {}, "Give the invitation token: - to read it from stdin"),
        (
            ["claim", "tok", "--invitation-token-file", "f"],
            {},
            "Give the invitation token one way",
        ),
        (
            ["claim", "polar_cst_SECRET"],
            {},
            "The invitation token given as TOKEN is a Polar API token (not shown)",
        ),
        (
            ["claim-info", "https://polar.sh/claim?token=SECRET"],
            {},
            "TOKEN: The invitation token holds characters Polar's tokens never do",
        ),
        (
            ["claim-info", "--invitation-token-file", "SECRETinvitation"],
            {},
            "Cannot read --invitation-token-file: No such file or directory (not shown, in "
            "case it is the token)",
        ),
        (["claim", "--token", "SECRET"], {}, "There is no --token option: the invitation token"),
        (["claim-info", "--token-file", "x"], {}, "claim-info and claim need no credential"),
    ],
)
def test_usage_errors_say_what_to_do_in_one_line_before_any_request(
    cli: Cli, fake: FakePolarServer, argv: list[str], env: dict[str, str], said: str
) -> None:
    result = cli(*argv, env=env)
    assert (result.status, result.out) == (cli_module.EXIT_USAGE, "")
    assert result.err.startswith("polar-seats: ")
    assert said in result.err
    assert result.err.count("\n") == 1
    assert "SECRET" not in result.err
    assert fake.requests == []


# serve-fake ---------------------------------------------------------------------------


async def test_serve_fake_seeds_free_seats_and_prints_the_invitations_it_sends() -> None:
    """The whole lifecycle against `serve-fake`, in processes: assign, then claim with the
    invitation token it printed."""
    from tests.cli.test_cli import run_cli

    async with serve_fake_process() as (process, said):
        env = {ACCESS_TOKEN_VARIABLE: said["Organization token"], TOKEN_VARIABLE: ""}
        where = ["--base-url", said["URL"], "--subscription-id", said["Seat subscription id"]]
        status, out, err = await run_cli(
            "seats", "assign", *where, "--email", "ann@example.com", "--fields", "id", env=env
        )
        assert (status, err) == (0, "")
        assert process.stdout is not None
        line = (await process.stdout.readline()).decode()
        assert line.startswith("Invitation to ann@example.com: ")
        token = line.split(": ", 1)[1].strip()
        status, out, err = await run_cli("claim", "--base-url", said["URL"], token)
        assert (status, err) == (0, "")
        assert json.loads(out)["seat"]["status"] == "claimed"
        assert token not in out
