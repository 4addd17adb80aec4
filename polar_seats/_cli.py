"""The ``polar-seats`` command: list claimed subscriptions, mint customer sessions, manage
seats and claim invitations, check the API version and a token before a deploy, or try it
on a fake server."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import sys
import textwrap
import traceback
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TextIO

import msgspec
from yarl import URL

from . import versions
from ._cli_check import DESCRIPTION as CHECK_DESCRIPTION
from ._cli_check import HELP as CHECK_HELP
from ._cli_check import VersionExpiring, check_options, day_of
from ._cli_check import add_options as add_check_options
from ._cli_check import run as _run_check
from ._cli_output import FORMATS, Writer, check_field
from ._cli_output import pick as _pick
from ._cli_report import Progress, progress_wanted, scrub
from ._cli_seats import (
    ACTIONS,
    ASSIGN_CREDENTIALS,
    CLAIMS,
    CREDENTIALS,
    DESCRIPTION,
    HELP,
    InvitationExpired,
    Parser,
    RefuseInvitationToken,
    SeatMissing,
    add_options,
)
from ._cli_seats import check as _check_seats
from ._cli_seats import explain as _explain_seats
from ._cli_seats import run as _run_seats
from ._cli_sessions import (
    ACCESS_TOKEN_VARIABLE,
    CUSTOMER,
    NO_ACCESS_TOKEN_OPTION,
    NO_TOKEN_OPTION,
    TOKEN_VARIABLE,
    Customer,
    RefuseAccessToken,
    RefuseToken,
    UsageError,
    add_customer_options,
    add_token_file,
    create_session,
    customer_of,
    customer_option,
    explain,
    hidden_values,
    open_client,
    organization_token,
    read_token,
)
from ._cli_versions import VersionRefused, add_version_option, not_served, served_on
from ._errors import (
    AmbiguousExternalCustomerIdError,
    AuthenticationError,
    InvitationTokenError,
    NetworkError,
    OutcomeUnknownError,
    PermissionDeniedError,
    PolarError,
    RateLimitError,
    SeatAlreadyAssignedError,
    SeatNotAvailableError,
    VersionNotFoundError,
)
from ._models import CustomerSubscription, Page
from ._protocol import check_limit
from ._retry import RetryPolicy
from ._version import version

if TYPE_CHECKING:
    from .testing import FakePolarServer, Fault, FaultPlan

__all__ = [
    "ACCESS_TOKEN_VARIABLE",
    "NO_ACCESS_TOKEN_OPTION",
    "NO_TOKEN_OPTION",
    "TOKEN_VARIABLE",
    "UsageError",
    "main",
    "run",
]

DEMO_FIELDS: str = "id,status,seats,product.name"
MAX_PORT = 65535
_OPTION = re.compile(r"--?[a-z][a-z0-9-]{0,30}")
"""How an option is spelled (and no invitation token, 43 characters long, is): what an
unknown argument may be named by."""
DEMO_CUSTOMER = "demo-customer"
"""The external id of the customer ``serve-fake`` seeds for ``session create``."""
DEMO_TEAM = "demo-team"
"""The external id of the customer whose subscription of `DEMO_SEATS` free seats
``serve-fake`` seeds for ``seats``."""
DEMO_SEATS = 5

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_RATE_LIMIT = 4
EXIT_NETWORK = 5
EXIT_PERMISSION = 6
EXIT_NO_SEAT = 7
EXIT_ALREADY_ASSIGNED = 8
EXIT_INVITATION = 9
EXIT_NOT_FOUND = 10
EXIT_OUTCOME_UNKNOWN = 11
EXIT_AMBIGUOUS_CUSTOMER = 12
EXIT_VERSION = 13
EXIT_VERSION_EXPIRING = 14
EXIT_BUG = 70
EXIT_INTERRUPTED = 130


def _parser() -> argparse.ArgumentParser:
    # No abbreviations: `--token X` once became `--token-file X`, and its error showed X.
    parser = Parser(
        prog="polar-seats",
        formatter_class=_HelpFormatter,
        description="List the Polar subscriptions on which a customer holds a seat, mint "
        "customer sessions, manage the seats of a subscription and claim invitations; check "
        "the API version and a token before a deploy.",
        epilog="Try `polar-seats demo` first: it needs no account. "
        "`polar-seats COMMAND --help` describes a command.",
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"polar-seats {version()}")
    _refuse_token(parser)
    _refuse_token(parser, RefuseAccessToken, "--access-token")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    listing = _command(
        commands,
        "list",
        help="print every claimed subscription, one JSON object a line",
        description=f"Walk every claimed subscription of the customer whose session token "
        f"is in ${TOKEN_VARIABLE}, and print one JSON object a line; or of the customer "
        f"--external-customer-id names, minting its session with the organization access "
        f"token in ${ACCESS_TOKEN_VARIABLE}.",
    )
    _add_debug(listing)
    _add_server_options(listing)
    add_token_file(listing, CUSTOMER, "the customer session token")
    add_customer_options(listing, required=False)
    _add_walk_options(listing)

    sessions = _command(
        commands,
        "session",
        help="mint a customer session with an organization access token",
        description="Customer sessions, minted with the organization access token.",
    )
    _refuse_token(sessions, RefuseAccessToken)
    actions = sessions.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = _command(
        actions,
        "create",
        help="mint a customer session and print it as JSON, its token included",
        description=f"Mint a customer (or member) session with the organization access token "
        f"in ${ACCESS_TOKEN_VARIABLE} and print it on stdout as one JSON object, every field "
        "included. The session's token IS printed (that is what the command is for), on "
        "stdout only: redirect it to a file only you can read, or pipe it to jq. Nothing of "
        "it, nor the organization token, goes to stderr or the --debug log.",
    )
    _add_debug(create, refuse=RefuseAccessToken)
    _add_server_options(create)
    add_customer_options(create, required=True)
    create.add_argument(
        "--return-url",
        metavar="URL",
        help="where the customer portal's back link leads",
    )

    seats = _command(
        commands,
        "seats",
        help="list, assign, revoke and resend the seats of a subscription or order",
        description="The seats of a subscription (or of a one-time order), with a customer "
        "session token or the organization access token.",
    )
    _refuse_token(seats)
    seat_actions = seats.add_subparsers(dest="action", required=True, metavar="ACTION")
    for action in ACTIONS:
        parser_of = _command(
            seat_actions,
            action,
            help=HELP[action],
            description=DESCRIPTION[action],
            epilog=ASSIGN_CREDENTIALS if action == "assign" else CREDENTIALS,
        )
        _add_debug(parser_of)
        _add_server_options(parser_of)
        add_options(parser_of, action)
    for claim in CLAIMS:
        parser_of = _command(commands, claim, help=HELP[claim], description=DESCRIPTION[claim])
        _add_debug(parser_of, refuse=RefuseInvitationToken)
        _add_server_options(parser_of)
        add_options(parser_of, claim)

    check = _command(commands, "check", help=CHECK_HELP, description=CHECK_DESCRIPTION)
    _add_debug(check)
    _add_server_options(check)
    add_check_options(check)

    demo = _command(
        commands,
        "demo",
        help="list subscriptions from a local fake Polar server, no account needed",
        description="Start a fake Polar server with seeded subscriptions and list them "
        "through the real client.",
    )
    _add_debug(demo)
    _add_data_options(demo, seeds="the data")
    _add_walk_options(demo, fields=DEMO_FIELDS, output="table")

    serve = _command(
        commands,
        "serve-fake",
        help="run the fake Polar server on its own, for tests in any language",
        description="Serve Polar's customer-portal, customer-session and seat endpoints "
        "with seeded data on 127.0.0.1 until interrupted; prints its URL, a customer session "
        "token and an organization access token it accepts, the external id of a seeded "
        f"customer ({DEMO_CUSTOMER}) to try `session create` with, and the id of a "
        f"subscription of {DEMO_SEATS} free seats (of the customer {DEMO_TEAM}) to try "
        "`seats` with. Then it prints each invitation it emails, with its token, for `claim`.",
    )
    # The server logs no requests: --debug only shows tracebacks here.
    _add_debug(serve, "show the traceback of an error")
    serve.add_argument(
        "--port",
        type=int,
        default=8000,
        metavar="N",
        help="port (default 8000), 0 for any free one",
    )
    _add_data_options(serve, seeds="the data and of --fault-rate's faults")
    serve.add_argument(
        "--today",
        metavar="YYYY-MM-DD",
        help="serve the API versions live on this day, as Polar would (default: the real "
        "day, as it passes); a request for any other gets Polar's 404",
    )
    serve.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="N=FAULT",
        help="answer request N (from 1) with FAULT: a status (503, 429:SECONDS), "
        "proxy-html, reset, reset-mid-body, truncated-json, invalid-json, endless-body, "
        "stall:SECONDS or slow-body:SECONDS; repeat for more",
    )
    serve.add_argument(
        "--fault-rate",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="share of other requests answered with a random transient fault (0 to 1)",
    )
    serve.add_argument(
        "--webhook-url",
        metavar="URL",
        help="POST each seat event (customer_seat.assigned, .claimed, .revoked) to URL as "
        "Polar does, signed with --webhook-secret",
    )
    serve.add_argument(
        "--webhook-secret",
        metavar="SECRET",
        help="the secret your receiver verifies with, a test one: whsec_ and base64 signs "
        "with the decoded bytes, as Polar's secrets since 2026-09-08, any other with its "
        "UTF-8 bytes; never printed",
    )
    return parser


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's, without breaking a line inside an option's name (``--member-`` ``id``)."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return textwrap.fill(
            " ".join(text.split()),
            width,
            initial_indent=indent,
            subsequent_indent=indent,
            break_on_hyphens=False,
        )


class _Commands(Protocol):
    """What ``add_subparsers()`` returns."""

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser: ...


def _command(
    commands: _Commands,
    name: str,
    *,
    help: str,
    description: str,
    epilog: str | None = None,
) -> Parser:
    # Each command, as the top parser, takes no abbreviation of an option.
    parser = commands.add_parser(
        name,
        help=help,
        description=description,
        epilog=epilog,
        allow_abbrev=False,
        formatter_class=_HelpFormatter,
    )
    assert isinstance(parser, Parser)  # subparsers are of the top parser's class
    return parser


def _refuse_token(
    parser: argparse.ArgumentParser,
    action: type[RefuseToken] = RefuseToken,
    option: str = "--token",
) -> None:
    parser.add_argument(option, nargs="?", action=action, help=argparse.SUPPRESS)


def _add_debug(
    parser: argparse.ArgumentParser,
    help: str = "log every request and answer on stderr (the tokens redacted) and show the "
    "traceback of an error",
    *,
    refuse: type[RefuseToken] = RefuseToken,
) -> None:
    _refuse_token(parser, refuse)
    parser.add_argument("--debug", action="store_true", help=help)


def _add_server_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--server",
        choices=("production", "sandbox"),
        default="production",
        help="which Polar to ask (default: production)",
    )
    parser.add_argument("--base-url", metavar="URL", help="another origin, such as a fake server's")
    add_version_option(parser)


def _add_data_options(parser: argparse.ArgumentParser, *, seeds: str) -> None:
    parser.add_argument(
        "--items", type=int, default=300, metavar="N", help="subscriptions to seed (default 300)"
    )
    parser.add_argument(
        "--seed", type=int, default=0, metavar="N", help=f"seed of {seeds} (default 0)"
    )


def _add_walk_options(
    parser: argparse.ArgumentParser, *, fields: str | None = None, output: str = "jsonl"
) -> None:
    parser.add_argument(
        "--limit", type=int, default=100, metavar="N", help="page size, 1 to 100 (default 100)"
    )
    parser.add_argument(
        "--max-items", type=int, metavar="N", help="stop after this many subscriptions"
    )
    parser.add_argument(
        "--concurrency", type=int, metavar="N", help="pages fetched at once (default 8)"
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default=output,
        help=f"jsonl (one object a line), json (one array), csv (nested fields with dotted "
        f"names) or table (80 columns); default {output}",
    )
    parser.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bar (shown on stderr while stdout is piped and stderr is a "
        "terminal, with the cli extra installed)",
    )
    parser.add_argument(
        "--fields",
        default=fields,
        metavar="A,B.C",
        help="comma-separated fields to print, dotted for nested ones (id,product.name); "
        + (f"default {fields}, " if fields else "")
        + "'' for every field",
    )


def _field_names(args: argparse.Namespace) -> list[str] | None:
    if args.fields:
        return [field.strip() for field in args.fields.split(",") if field.strip()]
    return DEMO_FIELDS.split(",") if args.format == "table" else None


async def _walk(
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO,
    customer: Customer | None = None,
    **options: Any,
) -> int:
    """Print every subscription the client made of ``options`` lists: as its token's
    customer, or as ``customer`` (named as ``for_customer()`` takes it)."""
    fields = _field_names(args)
    writer = Writer(args.format, out)
    quiet = args.no_progress or args.debug or not progress_wanted(out, err)
    progress = None if quiet else Progress(err)
    retry = RetryPolicy() if progress is None else progress.retry_policy(RetryPolicy())
    async with open_client(args, err, retry=retry, **options) as client:
        try:
            lister = client if customer is None else client.for_customer(**customer)
            walk = lister.iter_claimed_subscriptions(
                limit=args.limit, max_items=args.max_items, concurrency=args.concurrency
            )
        except ValueError as exc:  # --max-items or --concurrency
            raise UsageError(_walk_problem(str(exc))) from None
        with progress or contextlib.nullcontext():
            async with walk:
                async for page in walk.pages():
                    if progress is not None:
                        progress.page(len(page.items), _expected(page, args.max_items))
                    for subscription in page.items:
                        data = msgspec.to_builtins(subscription)
                        writer.row(data if fields is None else _pick(data, fields))
    writer.close()
    return writer.rows


def _expected(page: Page, max_items: int | None) -> int:
    total = page.pagination.total_count
    return total if max_items is None else min(total, max_items)


def _walk_problem(message: str) -> str:
    """The library's sentence, led by the option when it names one of the walk's."""
    for option in ("--limit", "--max-items", "--concurrency"):
        if message.startswith(f"{option[2:].replace('-', '_')} "):
            return f"{option}: {message}"
    return message


async def _list(args: argparse.Namespace, out: TextIO, err: TextIO) -> None:
    where = {"server": args.server, "base_url": args.base_url}
    customer = customer_of(args, required=False)
    if customer is not None:
        # The options say whose subscriptions; $POLAR_CUSTOMER_SESSION_TOKEN is not read.
        token = organization_token(args, customer_option(customer))
        await _walk(args, out, err, customer, organization_token=token, **where)
        return
    token = read_token(
        args,
        CUSTOMER,
        f"Set {TOKEN_VARIABLE} to a Polar customer session token ('polar_cst_…') or pass "
        "--token-file, or name the customer with --external-customer-id ID and put an "
        f"organization access token in {ACCESS_TOKEN_VARIABLE}; try `polar-seats demo` "
        "to see the command work without one.",
    )
    await _walk(args, out, err, token=token, **where)


async def _demo(args: argparse.Namespace, out: TextIO, err: TextIO) -> None:
    from .testing import FakePolarServer

    async with FakePolarServer(count=args.items, seed=args.seed) as server:
        count = await _walk(args, out, err, token=server.token, base_url=server.url)
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


async def _serve(args: argparse.Namespace, out: TextIO) -> None:
    from .testing import DEFAULT_ORGANIZATION_TOKEN, FakePolarServer

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
    from .testing import FaultPlan

    script = _fault_script(args.fault)
    try:
        return FaultPlan(script, rate=args.fault_rate, seed=args.seed)
    except ValueError as exc:  # the rate
        raise UsageError(f"--fault-rate: {exc}") from None


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
    from .testing import Fault

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


def _check(args: argparse.Namespace) -> None:
    """Refuse what the library or the model would, before a server starts or a token is
    read; the walk's own checks (``--max-items``, ``--concurrency``) come when it is made."""
    if args.command == "serve-fake":
        if not 0 <= args.port <= MAX_PORT:
            raise UsageError(
                f"--port must be between 0 and {MAX_PORT} (got {args.port}); "
                "--port 0 picks any free port."
            )
        _fault_plan(args)
        _check_webhook(args.webhook_url, args.webhook_secret)
        if args.today is not None:
            day_of(args.today, "--today")
        return
    if args.command == "check":
        check_options(args)
        return
    if args.command == "session":
        customer_of(args, required=True)
        return
    if args.command in ("seats", *CLAIMS):
        _check_seats(args)
        return
    if args.command == "list":
        customer_of(args, required=False)
    try:
        check_limit(args.limit)
    except ValueError as exc:
        raise UsageError(_walk_problem(str(exc))) from None
    for field in _field_names(args) or ():
        check_field(field, CustomerSubscription, "a subscription")


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    args, unknown = _parser().parse_known_args(argv)
    if unknown:
        # argparse would print them all, and one may be a token typed where it does not go:
        # only what is spelled as an option is named (an invitation token may begin with -).
        options = [
            name for name in (arg.partition("=")[0] for arg in unknown) if _OPTION.fullmatch(name)
        ]
        hidden = len(unknown) - len(options)
        said = [f"No such option: {', '.join(options)}"] if options else []
        if hidden:
            said.append(
                f"{hidden} unexpected argument{'s' * (hidden != 1)} (not shown, in case one "
                "is a token)"
            )
        command = " ".join(filter(None, (args.command, getattr(args, "action", None))))
        dashed = (
            ": an invitation token that begins with - goes after --, as in `-- TOKEN`"
            if args.command in CLAIMS and hidden
            else ""
        )
        raise UsageError(
            f"{'; '.join(said)}{dashed}. `polar-seats {command} --help` lists the options."
        )
    return args


# The first class an error is an instance of gives the exit status; any other is a bug.
_EXITS: tuple[tuple[type[Exception], int], ...] = (
    (UsageError, EXIT_USAGE),
    (AuthenticationError, EXIT_AUTH),
    (PermissionDeniedError, EXIT_PERMISSION),
    (RateLimitError, EXIT_RATE_LIMIT),
    (NetworkError, EXIT_NETWORK),
    (SeatNotAvailableError, EXIT_NO_SEAT),
    (SeatAlreadyAssignedError, EXIT_ALREADY_ASSIGNED),
    (InvitationTokenError, EXIT_INVITATION),
    (InvitationExpired, EXIT_INVITATION),
    (SeatMissing, EXIT_NOT_FOUND),
    (OutcomeUnknownError, EXIT_OUTCOME_UNKNOWN),
    (AmbiguousExternalCustomerIdError, EXIT_AMBIGUOUS_CUSTOMER),
    (VersionRefused, EXIT_VERSION),
    (VersionNotFoundError, EXIT_VERSION),
    (VersionExpiring, EXIT_VERSION_EXPIRING),
    (PolarError, EXIT_ERROR),
)


def run(
    argv: Sequence[str] | None = None, *, out: TextIO = sys.stdout, err: TextIO = sys.stderr
) -> int:
    """Run the command line with ``argv``; return the exit status."""
    try:
        args = _parse(argv)
    except UsageError as exc:
        err.write(f"polar-seats: {exc}\n")
        return EXIT_USAGE
    try:
        _check(args)
        if args.command == "demo":
            asyncio.run(_demo(args, out, err))
        elif args.command == "serve-fake":
            asyncio.run(_serve(args, out))
        elif args.command == "session":
            asyncio.run(create_session(args, out, err))
        elif args.command in ("seats", *CLAIMS):
            asyncio.run(_run_seats(args, out, err))
        elif args.command == "check":
            asyncio.run(_run_check(args, out, err))
        else:
            asyncio.run(_list(args, out, err))
    except BrokenPipeError:
        # The reader (`| head`) went away: stop quietly, and keep Python from complaining
        # again when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        if args.command == "serve-fake":
            return 0  # the way to stop it
        err.write("polar-seats: interrupted\n")
        return EXIT_INTERRUPTED
    except Exception as exc:
        # scrub(): no message should hold a token, but a body Polar sent back (an excerpt
        # of a session that did not decode) may; and the invitation token read is hidden.
        hidden = hidden_values(args)
        if args.debug:
            err.write(scrub(traceback.format_exc(), hidden))
        status, message = _failure(exc, args)
        err.write(f"polar-seats: {scrub(message, hidden)}\n")
        return status
    return 0


def _failure(exc: Exception, args: argparse.Namespace) -> tuple[int, str]:
    """The exit status and the sentence of an error."""
    for kind, code in _EXITS:
        if isinstance(exc, kind):
            if isinstance(exc, VersionNotFoundError):
                return code, not_served(getattr(args, "polar_version", None) or versions.DEFAULT)
            explained = (
                _explain_seats(exc, args) or explain(exc, args)
                if isinstance(exc, PolarError)
                else None
            )
            return code, explained or str(exc)
    return EXIT_BUG, (
        f"internal error, a bug in polar-seats: {type(exc).__name__}: {exc}. "
        "Run again with --debug for the traceback, and report it."
    )


def main() -> None:
    """Entry point of the ``polar-seats`` console script."""
    sys.exit(run())
