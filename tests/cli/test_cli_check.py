"""`polar-seats check` against the fake over HTTP, `--polar-version` on the other commands,
and `serve-fake --today`."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any, NamedTuple

import aiohttp
import pytest

from polar_seats import cli as polar_cli
from polar_seats.testing import DEFAULT_TOKEN, FakePolarServer, serve_in_thread, set_testing_date
from tests.cli.test_cli import run_cli, serve_fake_said

ORG_TOKEN = "polar_oat_CHECKORGSECRET0123456789"
BAD_SESSION = "polar_cst_CHECKBADSECRET0123456789"
BAD_ORGANIZATION = "polar_oat_CHECKBADSECRET0123456789"


class Said(NamedTuple):
    status: int
    out: str
    err: str

    @property
    def report(self) -> dict[str, Any]:
        """The json report: one object on one line."""
        [line] = self.out.splitlines()
        report: dict[str, Any] = json.loads(line)
        return report

    @property
    def lines(self) -> list[str]:
        return self.err.splitlines()


Cli = Callable[..., Said]


@pytest.fixture
def fake(request: pytest.FixtureRequest) -> Iterator[FakePolarServer]:
    """A fake on the testing date, or on the day an indirect parameter gives."""
    day: date | None = getattr(request, "param", None)
    server = FakePolarServer(count=1, organization_tokens=[ORG_TOKEN], today=day)
    with serve_in_thread(server) as running:
        yield running


@pytest.fixture
def cli(fake: FakePolarServer, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """`polar-seats COMMAND --base-url FAKE ARGV` in this process, with ``session`` in
    POLAR_CUSTOMER_SESSION_TOKEN and ``organization`` in POLAR_ACCESS_TOKEN; no token it
    was given shows in its output."""

    def run(command: str, *argv: str, session: str = "", organization: str = "") -> Said:
        monkeypatch.setenv(polar_cli.TOKEN_VARIABLE, session)
        monkeypatch.setenv(polar_cli.ACCESS_TOKEN_VARIABLE, organization)
        out, err = io.StringIO(), io.StringIO()
        status = polar_cli.run([command, "--base-url", fake.url, *argv], out=out, err=err)
        said = Said(status, out.getvalue(), err.getvalue())
        for token in filter(None, (session, organization)):
            assert token not in said.out
            assert token not in said.err
        return said

    return run


def check(cli: Cli, *argv: str, **tokens: str) -> Said:
    """`polar-seats check --format json ARGV`."""
    return cli("check", "--format", "json", *argv, **tokens)


@pytest.mark.parametrize("kind", ["customer", "member", "organization"])
def test_each_kind_of_credential_is_accepted_on_the_current_version(
    cli: Cli, fake: FakePolarServer, kind: str
) -> None:
    """A customer, member or organization token on the default version: exit 0, the
    version sent and served, its stage and removal day, the token's kind, accepted."""
    team = fake.add_billing_customer(members={"m@example.com": "member"})
    tokens = {
        "customer": {"session": fake.token},
        "member": {"session": team.member_tokens["m@example.com"]},
        "organization": {"organization": ORG_TOKEN},
    }[kind]
    said = check(cli, **tokens)
    assert (said.status, said.err) == (0, "")
    assert said.report == {
        "version": "2026-10",
        "served": "2026-10",
        "stage": "current",
        "removed": "2027-04-01",
        "days_left": 116,
        "token": kind,
        "accepted": True,
        "on": "2026-12-06",
        "status": 400 if kind == "organization" else 200,
    }
    assert [request.headers["Polar-Version"] for request in fake.requests] == ["2026-10"]


def test_an_organization_token_without_the_seat_scope_is_accepted_with_a_warning(
    cli: Cli, fake: FakePolarServer
) -> None:
    """Polar's 403 on the probe means it authenticated the token: accepted, exit 0, and a
    line naming the scope the seats commands need."""
    minting = fake.state.add_organization_token(
        fake.claimant.organization, frozenset({"customer_sessions:write"})
    )
    said = check(cli, organization=minting.token)
    assert said.status == 0
    assert (said.report["accepted"], said.report["status"]) == (True, 403)
    [line] = said.lines
    assert line.startswith("polar-seats: warning: Polar accepted the organization access token")
    assert "customer_seats:read" in line


@pytest.mark.parametrize("fake", [date(2026, 11, 15)], indirect=True)
def test_a_deprecated_version_far_from_removal_passes_with_one_warning_line(cli: Cli) -> None:
    """2026-04 on 2026-11-15 (removed 2027-01-01, 47 days on): exit 0, and the library's
    DeprecatedVersionWarning said as the command's own line, not as a Python warning."""
    with set_testing_date(date(2026, 11, 15)):
        said = check(cli, "--polar-version", "2026-04", session=DEFAULT_TOKEN)
    assert said.status == 0
    assert (said.report["stage"], said.report["days_left"]) == ("deprecated", 47)
    assert (said.report["served"], said.report["accepted"]) == ("2026-04", True)
    [line] = said.lines
    assert line.startswith("polar-seats: warning: Polar-Version 2026-04 is deprecated today")
    assert "47 days after 2026-11-15" in line
    assert "--polar-version 2026-10" in line


def test_a_deprecated_version_within_30_days_of_removal_fails(cli: Cli) -> None:
    """2026-04 on 2026-12-06, 26 days before its removal: Polar still serves it and
    accepts the token, but the check exits 14, saying so in one line."""
    said = check(cli, "--polar-version", "2026-04", session=DEFAULT_TOKEN)
    assert said.status == polar_cli.EXIT_VERSION_EXPIRING
    assert (said.report["served"], said.report["accepted"]) == ("2026-04", True)
    assert said.report["days_left"] == 26
    [line] = said.lines
    assert line.startswith("polar-seats: Polar-Version 2026-04 is deprecated today")
    assert "26 days after 2026-12-06" in line


@pytest.mark.parametrize(
    ("on", "left", "status"),
    [("2026-12-01", 31, 0), ("2026-12-02", 30, polar_cli.EXIT_VERSION_EXPIRING)],
)
def test_thirty_days_before_removal_is_the_first_day_that_fails(
    cli: Cli, on: str, left: int, status: int
) -> None:
    """--on judges the calendar as of that day: 31 days to go passes, 30 fails."""
    said = check(cli, "--polar-version", "2026-04", "--on", on, session=DEFAULT_TOKEN)
    assert (said.status, said.report["days_left"], said.report["on"]) == (status, left, on)


def test_a_version_removed_on_the_day_asked_about_fails_though_served_today(
    cli: Cli, fake: FakePolarServer
) -> None:
    """--on 2027-01-02 with 2026-04: Polar serves it today and accepts the token, but on
    that day it is removed, so the deploy would break: exit 13."""
    said = check(cli, "--polar-version", "2026-04", "--on", "2027-01-02", session=DEFAULT_TOKEN)
    assert said.status == polar_cli.EXIT_VERSION
    assert said.report["stage"] == "removed"
    assert (said.report["served"], said.report["accepted"]) == ("2026-04", True)
    assert len(fake.requests) == 1
    assert said.lines[-1].startswith("polar-seats: API version 2026-04 is removed on 2027-01-02")


@pytest.mark.parametrize("fake", [date(2027, 1, 8)], indirect=True)
def test_a_removed_version_is_refused_before_anything_is_sent(
    cli: Cli, fake: FakePolarServer
) -> None:
    """2026-04 on 2027-01-08: the calendar refuses it, nothing is sent, exit 13 with the
    versions served that day."""
    with set_testing_date(date(2027, 1, 8)):
        said = check(cli, "--polar-version", "2026-04", session=DEFAULT_TOKEN)
    assert said.status == polar_cli.EXIT_VERSION
    assert fake.requests == []
    report = said.report
    assert (report["stage"], report["served"], report["accepted"]) == ("removed", None, None)
    [line] = said.lines
    assert line.startswith("polar-seats: API version 2026-04 is removed today")
    assert "2026-10 (deprecated), 2027-01 (current)" in line


@pytest.mark.parametrize(
    ("version", "fake"),
    [
        ("2027-04", None),  # newer than the calendar: sent as asked; Polar does not know it
        ("2027-01", date(2026, 8, 22)),  # Next today, not yet released on the fake's day
    ],
    indirect=["fake"],
)
def test_a_version_polar_refuses_exits_13_naming_the_404(
    cli: Cli, fake: FakePolarServer, version: str
) -> None:
    """A version the client sends but the fake refuses (Polar's bare 404, checked before
    the token): exit 13, nothing served, acceptance unknown."""
    said = check(cli, "--polar-version", version, session=DEFAULT_TOKEN)
    assert said.status == polar_cli.EXIT_VERSION
    assert [request.status for request in fake.requests] == [404]
    report = said.report
    assert (report["served"], report["accepted"], report["status"]) == (None, None, 404)
    assert said.lines[-1].startswith(
        f"polar-seats: Polar refused Polar-Version {version} (404 with no Polar-Version header)"
    )


@pytest.mark.parametrize(
    "tokens",
    [{"session": BAD_SESSION}, {"organization": BAD_ORGANIZATION}],
    ids=["session", "organization"],
)
def test_a_refused_token_exits_3_without_showing_it(cli: Cli, tokens: dict[str, str]) -> None:
    """A token Polar does not know: the report says not accepted, exit 3, one line that
    does not show the token (the fixture checks every output)."""
    said = check(cli, **tokens)
    assert said.status == polar_cli.EXIT_AUTH
    assert (said.report["served"], said.report["accepted"]) == ("2026-10", False)
    [line] = said.lines
    assert line.startswith("polar-seats: Polar refused the")


def test_a_malformed_version_is_refused_before_anything_is_sent(
    cli: Cli, fake: FakePolarServer
) -> None:
    """--polar-version 2026-4: exit 13, one line saying the form, no request."""
    said = check(cli, "--polar-version", "2026-4", session=DEFAULT_TOKEN)
    assert said.status == polar_cli.EXIT_VERSION
    assert fake.requests == []
    [line] = said.lines
    assert line.startswith("polar-seats: --polar-version takes a version name like 2026-10")


@pytest.mark.parametrize("day", ["2027-13-01", "2027-1-8", "tomorrow"])
def test_a_malformed_day_is_a_usage_error_in_one_line(cli: Cli, day: str) -> None:
    """--on takes YYYY-MM-DD: anything else is exit 2, before any request."""
    said = check(cli, "--on", day, session=DEFAULT_TOKEN)
    assert (said.status, said.out) == (polar_cli.EXIT_USAGE, "")
    assert said.lines == [
        f"polar-seats: --on takes a date as YYYY-MM-DD, such as 2027-01-08 (got {day!r})."
    ]


def test_check_without_a_credential_says_what_to_set(cli: Cli) -> None:
    """No token anywhere: exit 2, naming both variables."""
    said = check(cli)
    assert said.status == polar_cli.EXIT_USAGE
    [line] = said.lines
    assert polar_cli.TOKEN_VARIABLE in line
    assert polar_cli.ACCESS_TOKEN_VARIABLE in line


def test_the_default_report_is_a_table_of_one_row_within_80_columns(cli: Cli) -> None:
    """Without --format: a header, a rule and one row, none wider than 80 columns."""
    said = cli("check", organization=ORG_TOKEN)
    assert said.status == 0
    header, rule, row = said.out.splitlines()
    assert header.split() == [
        "version",
        "served",
        "stage",
        "removed",
        "days_left",
        "token",
        "accepted",
    ]
    assert row.split() == [
        "2026-10",
        "2026-10",
        "current",
        "2027-04-01",
        "116",
        "organization",
        "true",
    ]
    assert max(len(line) for line in (header, rule, row)) <= 80


def test_other_commands_send_polar_version_and_warn_in_one_line(
    cli: Cli, fake: FakePolarServer
) -> None:
    """`list --polar-version 2026-04` sends that version, and its deprecation is one line
    of the command's, not a Python warning."""
    said = cli("list", "--polar-version", "2026-04", "--fields", "id", session=DEFAULT_TOKEN)
    assert said.status == 0
    assert len(said.out.splitlines()) == 1
    assert [request.headers["Polar-Version"] for request in fake.requests] == ["2026-04"]
    [line] = said.lines
    assert line.startswith("polar-seats: warning: Polar-Version 2026-04 is deprecated today")


@pytest.mark.parametrize(("version", "sent"), [("2025-01", 0), ("2027-04", 1)])
def test_other_commands_exit_13_for_a_version_refused_on_either_side(
    cli: Cli, fake: FakePolarServer, version: str, sent: int
) -> None:
    """`list` with a version the calendar refuses (nothing sent) or Polar refuses (its
    404): exit 13, one line that says to pass another with --polar-version."""
    said = cli("list", "--polar-version", version, session=DEFAULT_TOKEN)
    assert (said.status, said.out) == (polar_cli.EXIT_VERSION, "")
    assert len(fake.requests) == sent
    [line] = said.lines
    assert "pass one with --polar-version" in line


async def test_serve_fake_today_serves_the_versions_live_that_day() -> None:
    """`serve-fake --today 2027-01-08` says its date and versions, refuses 2026-04 with
    Polar's bare 404, and serves 2027-01 when no version is asked for."""
    async with (
        serve_fake_said("--today", "2027-01-08") as said,
        aiohttp.ClientSession() as session,
    ):
        url = f"{said['URL']}/v1/customer-portal/customer-session/introspect"
        auth = {"Authorization": f"Bearer {said['Token']}"}
        async with session.get(url, headers={**auth, "Polar-Version": "2026-04"}) as refused:
            assert (refused.status, await refused.json()) == (404, {"detail": "Not Found"})
            assert "Polar-Version" not in refused.headers
        async with session.get(url, headers=auth) as served:
            assert (served.status, served.headers["Polar-Version"]) == (200, "2027-01")
    assert said["Date"] == "2027-01-08"
    assert said["API versions"] == "2026-10 (deprecated), 2027-01 (current)"


@pytest.mark.parametrize("day", ["2027-02-30", "08/01/2027"])
async def test_serve_fake_refuses_a_malformed_today_in_one_line(day: str) -> None:
    """A --today that is no YYYY-MM-DD date: exit 2, one line, no server started."""
    status, out, err = await run_cli("serve-fake", "--port", "0", "--today", day, timeout=20)
    assert (status, out) == (polar_cli.EXIT_USAGE, "")
    assert (
        err
        == f"polar-seats: --today takes a date as YYYY-MM-DD, such as 2027-01-08 (got {day!r}).\n"
    )
