"""``polar-seats demo`` and ``polar-seats serve-fake``: the fake Polar server, listed
through the real client, or served on its own for tests in any language."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from yarl import URL

from .. import InvalidArgumentError
from .base import TOKEN_VARIABLE, UsageError, usage
from .check import day_of
from .subscriptions import TABLE_FIELDS, add_walk_options, walk
from .versions import served_on

if TYPE_CHECKING:
    from ..testing import FakePolarServer, Fault, FaultPlan

MAX_PORT = 65535
DEMO_CUSTOMER = "demo-customer"
"""The external id of the customer ``serve-fake`` seeds for ``session create``."""
DEMO_TEAM = "demo-team"
"""The external id of the customer whose subscription of `DEMO_SEATS` free seats
``serve-fake`` seeds for ``seats``."""
DEMO_SEATS = 5

DEMO_HELP = "list subscriptions from a local fake Polar server, no account needed"
DEMO_DESCRIPTION = (
    "Start a fake Polar server with seeded subscriptions and list them through the real client."
)
SERVE_HELP = "run the fake Polar server on its own, for tests in any language"
SERVE_DESCRIPTION = (
    "Serve Polar's customer-portal, customer-session and seat endpoints with seeded data on "
    "127.0.0.1 until interrupted; prints its URL, a customer session token and an "
    "organization access token it accepts, the external id of a seeded customer "
    f"({DEMO_CUSTOMER}) to try `session create` with, and the id of a subscription of "
    f"{DEMO_SEATS} free seats (of the customer {DEMO_TEAM}) to try `seats` with. Then it "
    "prints each invitation it emails, with its token, for `claim`."
)
# The server logs no requests: --debug only shows tracebacks there.
SERVE_DEBUG_HELP = "show the traceback of an error"


def _add_data_options(parser: argparse.ArgumentParser, *, seeds: str) -> None:
    parser.add_argument(
        "--items", type=int, default=300, metavar="N", help="subscriptions to seed (default 300)"
    )
    parser.add_argument(
        "--seed", type=int, default=0, metavar="N", help=f"seed of {seeds} (default 0)"
    )


def add_demo_options(parser: argparse.ArgumentParser) -> None:
    """The options of ``demo``, besides ``--debug``."""
    _add_data_options(parser, seeds="the data")
    add_walk_options(parser, fields=TABLE_FIELDS, output="table")


def add_serve_options(parser: argparse.ArgumentParser) -> None:
    """The options of ``serve-fake``, besides ``--debug``."""
    parser.add_argument(
        "--port",
        type=int,
        default=8000,
        metavar="N",
        help="port (default 8000), 0 for any free one",
    )
    _add_data_options(parser, seeds="the data and of --fault-rate's faults")
    parser.add_argument(
        "--today",
        metavar="YYYY-MM-DD",
        help="serve the API versions live on this day, as Polar would (default: the real "
        "day, as it passes); a request for any other gets Polar's 404",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="N=FAULT",
        help="answer request N (from 1) with FAULT: a status (503, 429:SECONDS), "
        "proxy-html, reset, reset-mid-body, truncated-json, invalid-json, endless-body, "
        "stall:SECONDS or slow-body:SECONDS; repeat for more",
    )
    parser.add_argument(
        "--fault-rate",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="share of other requests answered with a random transient fault (0 to 1)",
    )
    parser.add_argument(
        "--webhook-url",
        metavar="URL",
        help="POST each seat event (customer_seat.assigned, .claimed, .revoked) to URL as "
        "Polar does, signed with --webhook-secret",
    )
    parser.add_argument(
        "--webhook-secret",
        metavar="SECRET",
        help="the secret your receiver verifies with, a test one: whsec_ and base64 signs "
        "with the decoded bytes, as Polar's secrets since 2026-09-08, any other with its "
        "UTF-8 bytes; never printed",
    )


async def run_demo(args: argparse.Namespace, out: TextIO, err: TextIO) -> None:
    """``polar-seats demo``: the walk of ``list`` against a fake server of its own."""
    from ..testing import FakePolarServer

    async with FakePolarServer(count=args.items, seed=args.seed) as server:
        count = await walk(args, out, err, token=server.token, base_url=server.url)
        pages = len(server.requests)
    # Read in a terminal: each line fits 80 columns.
    err.write(
        f"\nListed {count} claimed subscriptions in {pages} request{'s' * (pages != 1)} "
        f"from a fake Polar\nserver at {server.url}.\n"
        "For a customer's own, with a customer session token (your backend mints one\n"
        "with AsyncClient(organization_token=...).for_customer(...)):\n"
        f"  export {TOKEN_VARIABLE}=polar_cst_…\n"
        "  polar-seats list --format table              # Polar's production API\n"
        "  polar-seats list --format table --server sandbox\n"
        "Or mint one with an organization token: `polar-seats session create --help`.\n"
    )


def check_serve(args: argparse.Namespace) -> None:
    """Refuse what the fake would, before it starts."""
    if not 0 <= args.port <= MAX_PORT:
        raise UsageError(
            f"--port must be between 0 and {MAX_PORT} (got {args.port}); "
            "--port 0 picks any free port."
        )
    _fault_plan(args)
    _check_webhook(args.webhook_url, args.webhook_secret)
    if args.today is not None:
        day_of(args.today, "--today")


async def run_serve(args: argparse.Namespace, out: TextIO, err: TextIO) -> None:
    """``polar-seats serve-fake``: until interrupted."""
    from ..testing import DEFAULT_ORGANIZATION_TOKEN, FakePolarServer

    server = FakePolarServer(
        count=args.items,
        seed=args.seed,
        faults=_fault_plan(args),
        port=args.port,
        webhook_url=args.webhook_url,
        webhook_secret=args.webhook_secret,
        today=None if args.today is None else day_of(args.today, "--today"),
    )
    server.add_customer(external_id=DEMO_CUSTOMER, subscriptions=3)
    team = server.add_billing_customer(seats=DEMO_SEATS, external_id=DEMO_TEAM)
    server.state.listeners.append(_invitations_shown(server, out))
    try:
        try:
            await server.start()
        except OSError as exc:  # the port is taken, or needs privileges
            raise UsageError(
                f"Cannot listen on 127.0.0.1:{args.port}: {exc.strerror or exc}. Stop what "
                "listens there, or pick another port with --port (--port 0 for any free one)."
            ) from None
        # The fake's own tokens, for tests: they are printed because nothing real is.
        out.write(
            f"Fake Polar server at {server.url}\n"
            f"Token: {server.token}\n"
            f"Organization token: {DEFAULT_ORGANIZATION_TOKEN}\n"
            f"External customer id: {DEMO_CUSTOMER}\n"
            f"Seat subscription id: {team.subscription_id}\n"
            f"Date: {server.today}{' (today)' if args.today is None else ''}\n"
            f"API versions: {served_on(server.today)}\n"
            + (
                f"Webhook URL: {_shown_url(args.webhook_url)}\n"
                f"Webhook API version: {server.webhook_api_version}\n"
                if args.webhook_url
                else ""
            )
            + "Ctrl-C stops it.\n"
        )
        out.flush()
        await asyncio.Event().wait()
    finally:
        await server.close()


def _invitations_shown(server: FakePolarServer, out: TextIO) -> Callable[[str, object], None]:
    """A listener of the fake's seat events that prints each invitation email it sent, with
    its token (the fake's own), so that `claim` can be tried."""
    shown = len(server.outbox)

    def show(event: str, seat: object) -> None:
        nonlocal shown
        for invitation in server.outbox[shown:]:
            out.write(f"Invitation to {invitation.to}: {invitation.token}\n")
        shown = len(server.outbox)
        out.flush()

    return show


def _fault_plan(args: argparse.Namespace) -> FaultPlan:
    from ..testing import FaultPlan

    script = _fault_script(args.fault)
    try:
        return FaultPlan(script, rate=args.fault_rate, seed=args.seed)
    except InvalidArgumentError as exc:  # the rate
        raise usage(exc, {"rate": "--fault-rate"}) from None


def _shown_url(url: str) -> str:
    """``url`` without what may be a credential: user, password, query and fragment."""
    return str(URL(url).with_user(None).with_query(None).with_fragment(None))


def _check_webhook(url: str | None, secret: str | None) -> None:
    """Refuse half a webhook endpoint, an empty secret, or a URL the fake cannot POST to;
    neither value is quoted (a receiver's URL may carry a credential of its own)."""
    if url is None and secret is None:
        return
    if url is None or secret is None:
        raise UsageError(
            "--webhook-url and --webhook-secret go together: where the fake POSTs each seat "
            "event, and the secret it signs them with (your receiver verifies with the same)."
        )
    if not secret:
        raise UsageError("--webhook-secret is empty: give the secret your receiver verifies with.")
    try:
        parsed = URL(url)
    except ValueError:
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        raise UsageError(
            "--webhook-url must be an http:// or https:// URL with a host, such as "
            "http://127.0.0.1:9000/polar/webhooks."
        )


def _fault_script(specs: list[str]) -> dict[int, Fault]:
    from ..testing import Fault

    script: dict[int, Fault] = {}
    for spec in specs:
        number, _, fault = spec.partition("=")
        if not number.strip().isdecimal() or int(number) < 1 or not fault:
            raise UsageError(f"--fault takes N=FAULT, N a request number from 1 (got {spec!r}).")
        try:
            script[int(number)] = Fault.parse(fault)
        except ValueError as exc:
            raise UsageError(f"--fault {spec}: {exc}") from None
    return script
