"""The polar-seats command with an organization access token: `session create`, `list` as a
customer named by id, and the fake server's tokens for trying them. Over real HTTP against
the fake; no test lets the organization token, or a minted one, reach stderr."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import AsyncGenerator
from pathlib import Path

import msgspec
import pytest

from polar_seats import cli as polar_cli
from polar_seats.models import CustomerSession
from polar_seats.testing import FakePolarServer, Fault, FaultPlan
from tests.cli.test_cli import run_cli, serve_fake_said

ORG_TOKEN = "polar_oat_ORGSECRET0123456789abcdef"
CUSTOMER = "user-42"


@contextlib.asynccontextmanager
async def fake(faults: FaultPlan | None = None) -> AsyncGenerator[FakePolarServer]:
    """A fake that knows ORG_TOKEN, with the customer user-42 and its three subscriptions."""
    async with FakePolarServer(organization_tokens=[ORG_TOKEN], faults=faults) as server:
        server.add_customer(external_id=CUSTOMER, subscriptions=3)
        yield server


async def cli(
    server: FakePolarServer, *args: str, env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    """`polar-seats ARGS --base-url URL` with ORG_TOKEN in POLAR_ACCESS_TOKEN; the
    organization token and every minted token are checked to be absent from stderr."""
    status, out, err = await run_cli(
        *args,
        "--base-url",
        server.url,
        env={
            polar_cli.ACCESS_TOKEN_VARIABLE: ORG_TOKEN,
            polar_cli.TOKEN_VARIABLE: "",
            **(env or {}),
        },
    )
    assert ORG_TOKEN not in out + err
    for session in server.minted:
        assert session.token not in err
    return status, out, err


async def test_session_create_prints_the_minted_session_as_json() -> None:
    """By external id: every field of the session on stdout, the token the fake minted
    included; nothing on stderr."""
    async with fake() as server:
        status, out, err = await cli(
            server, "session", "create", "--external-customer-id", CUSTOMER
        )
        (minted,) = server.minted
    assert (status, err) == (0, "")
    assert out.count("\n") == 1
    session = msgspec.json.decode(out, type=CustomerSession)  # every field, and only those
    assert session.token == minted.token
    assert session.customer.external_id == CUSTOMER
    assert set(json.loads(out)) == set(CustomerSession.__struct_fields__)


async def test_session_create_for_a_member_of_a_team_without_an_email() -> None:
    """A member-model team has `email: null`: the session is printed with it, exit 0."""
    async with fake() as server:
        server.claimant.organization.member_model_enabled = True
        team = server.add_customer(external_id="team-1", type="team", members={"a@x.test": "owner"})
        owner = server.state.owner(team)
        assert owner is not None
        status, out, err = await cli(
            server,
            "session",
            "create",
            "--external-customer-id",
            "team-1",
            "--member-id",
            owner.id,
        )
    assert (status, err) == (0, "")
    customer = json.loads(out)["customer"]
    assert (customer["type"], customer["email"]) == ("team", None)


async def test_session_create_by_customer_id_from_an_access_token_file(tmp_path: Path) -> None:
    """--customer-id, --return-url, and the organization token read from a file (with its
    trailing newline) while POLAR_ACCESS_TOKEN holds something else."""
    token_file = tmp_path / "oat"
    token_file.write_text(ORG_TOKEN + "\n")
    async with fake() as server:
        customer = next(c for c in server.state.customers.values() if c.external_id == CUSTOMER)
        status, out, _ = await cli(
            server,
            "session",
            "create",
            "--customer-id",
            customer.id,
            "--return-url",
            "https://example.com/back",
            "--access-token-file",
            str(token_file),
            env={polar_cli.ACCESS_TOKEN_VARIABLE: "polar_oat_not_this_one"},
        )
    assert status == 0
    data = json.loads(out)
    assert (data["customer_id"], data["return_url"]) == (customer.id, "https://example.com/back")


async def test_list_as_a_customer_mints_once_and_lists_its_subscriptions() -> None:
    """--external-customer-id: that customer's subscriptions over two pages, one session
    minted; the customer token in the environment (the claimant's) is not used."""
    async with fake() as server:
        status, out, _ = await cli(
            server,
            "list",
            "--external-customer-id",
            CUSTOMER,
            "--limit",
            "2",
            "--fields",
            "id",
            env={polar_cli.TOKEN_VARIABLE: server.token},
        )
        (minted,) = server.minted
        wanted = {subscription.id for subscription in server.state.claimed_subscriptions(minted)}
        pages = [r for r in server.requests if r.path.endswith("/seats/subscriptions")]
    assert status == 0
    assert {json.loads(line)["id"] for line in out.splitlines()} == wanted
    assert len(wanted) == 3
    assert len(pages) == 2
    assert all(record.token == minted.token for record in pages)


@pytest.mark.parametrize("command", [["list"], ["session", "create"]])
async def test_debug_redacts_the_organization_token_and_the_minted_one(
    command: list[str],
) -> None:
    """--debug logs the mint with its Authorization redacted; neither token shows."""
    async with fake() as server:
        status, _, err = await cli(server, *command, "--debug", "--external-customer-id", CUSTOMER)
    assert status == 0
    (mint,) = [line for line in err.splitlines() if "→ POST" in line]
    assert mint.endswith("/v1/customer-sessions/ [" + mint.split(" [", 1)[1])
    assert "Authorization: Bearer (redacted)" in mint
    assert "polar-seats: ← 201 POST" in err


async def test_an_unknown_customer_exits_1_with_polar_s_detail_in_one_line() -> None:
    """Polar's 422 "Customer does not exist.": exit 1, its detail and the option to check."""
    async with fake() as server:
        status, out, err = await cli(server, "session", "create", "--external-customer-id", "nope")
    assert (status, out) == (polar_cli.EXIT_ERROR, "")
    assert err == (
        "polar-seats: Polar refused to create the customer session (422): "
        "--external-customer-id: Customer does not exist. --external-customer-id must name a "
        "customer of the token's organization, on this server (a sandbox customer needs "
        "--server sandbox).\n"
    )


async def test_a_token_without_the_scope_exits_6_naming_the_scope() -> None:
    """A 403 insufficient_scope: exit 6 (the token is good, but may not do this; a script
    that mints again on 3 must not loop on it), the scope named."""
    async with fake() as server:
        server.state.add_organization_token(
            server.claimant.organization, frozenset({"customer_seats:read"}), token=ORG_TOKEN
        )
        status, _, err = await cli(server, "list", "--external-customer-id", CUSTOMER)
    assert status == polar_cli.EXIT_PERMISSION
    assert err.startswith("polar-seats: Polar refused to create the customer session (403 ")
    assert "lacks the customer_sessions:write scope" in err
    assert err.count("\n") == 1


async def test_a_refused_organization_token_exits_3_as_an_organization_token() -> None:
    """A 401 on the mint speaks of the organization token, not of a customer's."""
    async with FakePolarServer() as server:  # it does not know ORG_TOKEN
        status, _, err = await cli(server, "session", "create", "--customer-id", "c")
    assert status == polar_cli.EXIT_AUTH
    assert err.startswith(
        "polar-seats: Polar refused the organization access token in $POLAR_ACCESS_TOKEN (401 "
    )
    assert "customer session token" not in err
    assert err.count("\n") == 1


USER_TOKEN = "polar_pat_USERSECRET0123456789abcdef"


@pytest.mark.parametrize("command", [["session", "create"], ["list"]])
async def test_an_external_id_ambiguous_across_organizations_exits_12(
    command: list[str],
) -> None:
    """A user's token reaching two organizations whose customers share the id: Polar's 409,
    exit 12, one line naming --customer-id and the other ways out; the token never shown."""
    async with fake() as server:
        other = server.state.add_organization(
            {"id": "0c5d0c1e-3b2a-4f3e-9a47-0d2d7d0b8d1a", "slug": "other", "name": "Other"}
        )
        server.add_customer(external_id=CUSTOMER, organization=other)
        server.state.add_user_token(
            [server.claimant.organization, other],
            frozenset({"customer_sessions:write"}),
            token=USER_TOKEN,
        )
        status, out, err = await cli(
            server,
            *command,
            "--external-customer-id",
            CUSTOMER,
            env={polar_cli.ACCESS_TOKEN_VARIABLE: USER_TOKEN},
        )
        mints = [r.status for r in server.requests]
    assert (status, out, mints) == (polar_cli.EXIT_AMBIGUOUS_CUSTOMER, "", [409])
    assert err == (
        "polar-seats: Polar could not tell which customer --external-customer-id names (409 "
        "AmbiguousExternalCustomerID): the token in $POLAR_ACCESS_TOKEN reaches several "
        "organizations, and customers of more than one have that id. Name the customer with "
        "--customer-id (Polar's id) instead, use an organization access token ('polar_oat_…') "
        "of the customer's own organization, or give the customer an external id of its own.\n"
    )
    assert USER_TOKEN not in err


@pytest.mark.parametrize("debug", [[], ["--debug"]])
async def test_a_session_that_does_not_decode_keeps_its_token_off_stderr(
    debug: list[str],
) -> None:
    """A cut-short mint answer holds the new token: the library quotes none of that body,
    and neither the message nor the traceback shows the token."""
    async with fake(faults=FaultPlan({1: Fault.parse("truncated-json")})) as server:
        status, out, err = await cli(
            server, "session", "create", *debug, "--external-customer-id", CUSTOMER
        )
    assert (status, out) == (polar_cli.EXIT_ERROR, "")
    assert "not valid JSON" in err
    assert "neither quoted nor kept" in err
    assert server.minted
    assert all(session.token not in err for session in server.minted)


async def test_serve_fake_prints_an_organization_token_and_a_customer_to_try() -> None:
    """`serve-fake`'s organization token and customer id work with `session create` and
    `list --external-customer-id`."""
    async with serve_fake_said() as said:
        env = {polar_cli.ACCESS_TOKEN_VARIABLE: said["Organization token"]}
        customer = said["External customer id"]
        status, out, err = await run_cli(
            "session",
            "create",
            "--base-url",
            said["URL"],
            "--external-customer-id",
            customer,
            env=env,
        )
        assert (status, err) == (0, "")
        assert json.loads(out)["customer"]["external_id"] == customer
        status, out, err = await run_cli(
            "list", "--base-url", said["URL"], "--external-customer-id", customer, env=env
        )
    assert (status, err) == (0, "")
    assert len(out.splitlines()) == 3


def test_demo_points_at_session_create() -> None:
    """The demo's closing lines end with where to mint a session."""
    err = io.StringIO()
    assert polar_cli.run(["demo", "--items", "3"], out=io.StringIO(), err=err) == 0
    assert err.getvalue().splitlines()[-1] == (
        "Or mint one with an organization token: `polar-seats session create --help`."
    )


@pytest.mark.parametrize(
    ("argv", "env", "said"),
    [
        (
            ["list", "--external-customer-id", CUSTOMER],
            {},
            "--external-customer-id needs an organization access token to mint the "
            "customer's session: set POLAR_ACCESS_TOKEN",
        ),
        (
            ["session", "create", "--customer-id", "c"],
            {},
            "Creating a customer session needs an organization access token",
        ),
        (["session", "create"], {"POLAR_ACCESS_TOKEN": ORG_TOKEN}, "Name the customer the"),
        (
            ["session", "create", "--customer-id", "c", "--external-customer-id", "e"],
            {"POLAR_ACCESS_TOKEN": ORG_TOKEN},
            "Name the customer with one of --external-customer-id",
        ),
        (
            ["list", "--customer-id", "c", "--member-id", "m", "--external-member-id", "x"],
            {"POLAR_ACCESS_TOKEN": ORG_TOKEN},
            "Name the member with one of --member-id or --external-member-id.",
        ),
        (
            ["list", "--member-id", "m"],
            {"POLAR_ACCESS_TOKEN": ORG_TOKEN},
            "--member-id names a member of a team customer: name the customer too",
        ),
        (
            ["list", "--external-customer-id", " "],
            {"POLAR_ACCESS_TOKEN": ORG_TOKEN},
            "--external-customer-id is empty: give the id.",
        ),
        (
            ["list", "--external-customer-id", CUSTOMER, "--token-file", "/dev/null"],
            {"POLAR_ACCESS_TOKEN": ORG_TOKEN},
            "--token-file and --external-customer-id both say whose subscriptions to list",
        ),
        (
            ["list", "--access-token-file", "/dev/null"],
            {},
            "--access-token-file is for listing as a customer of the organization",
        ),
        (
            ["session", "create", "--customer-id", "c"],
            {"POLAR_ACCESS_TOKEN": "polar_cst_SECRETVALUE"},
            "The token in $POLAR_ACCESS_TOKEN is a customer session token, not an "
            "organization access token",
        ),
        (
            ["list"],
            {"POLAR_CUSTOMER_SESSION_TOKEN": ORG_TOKEN},
            "The token in $POLAR_CUSTOMER_SESSION_TOKEN is an organization access token, not a "
            "customer session token: put it in POLAR_ACCESS_TOKEN",
        ),
        (
            ["session", "create", "--customer-id", "c"],
            {"POLAR_ACCESS_TOKEN": "polar_oat_SECRET VALUE"},
            "The token in $POLAR_ACCESS_TOKEN: The organization token contains whitespace",
        ),
        (
            ["session", "create", "--customer-id", "c", "--access-token-file", ORG_TOKEN],
            {},
            "--access-token-file takes the path of a file that holds the token, not the token",
        ),
        (
            ["session", "create", "--customer-id", "c", "--access-token", ORG_TOKEN],
            {},
            "There is no --access-token option: a token typed on the command line lands in "
            "the shell's history",
        ),
        (
            ["list", f"--access-token={ORG_TOKEN}"],
            {},
            "There is no --access-token option",
        ),
        (
            ["--access-token", ORG_TOKEN, "session", "create"],
            {},
            "There is no --access-token option",
        ),
        (
            ["session", "create", "--token", ORG_TOKEN],
            {},
            "There is no --access-token option",
        ),
        (
            ["session", "create", ORG_TOKEN],
            {},
            "1 unexpected argument (not shown, in case one is a token). `polar-seats session "
            "create --help` lists the options.",
        ),
    ],
)
async def test_usage_errors_say_what_to_do_in_one_line_without_a_token(
    argv: list[str], env: dict[str, str], said: str
) -> None:
    """Exit 2 before any request, one line that says what to do, no token shown."""
    status, out, err = await run_cli(
        *argv,
        "--base-url",
        "http://127.0.0.1:9",  # nothing listens: a request would fail with 5, not 2
        env={"POLAR_ACCESS_TOKEN": "", "POLAR_CUSTOMER_SESSION_TOKEN": "", **env},
        timeout=20,
    )
    assert (status, out) == (polar_cli.EXIT_USAGE, "")
    assert said in err
    assert err.startswith("polar-seats: ")
    assert err.count("\n") == 1
    assert "SECRET" not in err


def test_session_create_refuses_a_base_url_the_library_refuses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The organization token over plain http to another host: refused by the library, said
    in the option's name, exit 2, before any request."""
    monkeypatch.setenv(polar_cli.ACCESS_TOKEN_VARIABLE, ORG_TOKEN)
    err = io.StringIO()
    argv = ["session", "create", "--customer-id", "c", "--base-url", "http://example.com"]
    assert polar_cli.run(argv, out=io.StringIO(), err=err) == polar_cli.EXIT_USAGE
    assert err.getvalue() == (
        "polar-seats: --base-url must be an https URL, or an http one to a loopback address "
        "(a local fake).\n"
    )
    assert ORG_TOKEN not in err.getvalue()
