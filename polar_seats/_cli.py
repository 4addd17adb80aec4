"""The ``polar-seats`` command: list claimed subscriptions, mint customer sessions, or try
it on a fake server."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import os
import sys
import traceback
import types
import typing
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, TextIO

import msgspec

from ._cli_report import Progress, progress_wanted, scrub
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
    open_client,
    organization_token,
    read_token,
)
from ._errors import (
    APIStatusError,
    AuthenticationError,
    NetworkError,
    PolarError,
    RateLimitError,
    json_object,
)
from ._models import CustomerSubscription, Page
from ._protocol import check_limit
from ._retry import RetryPolicy
from ._version import version

if TYPE_CHECKING:
    from .testing import Fault, FaultPlan

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
FORMATS = ("jsonl", "json", "csv", "table")
TABLE_WIDTH = 80
TABLE_SAMPLE = 100
"""Rows a table reads before it sizes its columns to them."""
MAX_PORT = 65535
DEMO_CUSTOMER = "demo-customer"
"""The external id of the customer ``serve-fake`` seeds for ``session create``."""

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_RATE_LIMIT = 4
EXIT_NETWORK = 5
EXIT_BUG = 70
EXIT_INTERRUPTED = 130

_encode = msgspec.json.Encoder().encode


def _parser() -> argparse.ArgumentParser:
    # No abbreviations: `--token X` once became `--token-file X`, and its error showed X.
    parser = argparse.ArgumentParser(
        prog="polar-seats",
        description="List the Polar subscriptions on which a customer holds a seat, and mint "
        "customer sessions.",
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
        description="Serve Polar's customer-portal and customer-session endpoints with "
        "seeded data on 127.0.0.1 until interrupted; prints its URL, a customer session "
        "token and an organization access token it accepts, and the external id of a "
        f"seeded customer ({DEMO_CUSTOMER}) to try `session create` with.",
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
    return parser


class _Commands(Protocol):
    """What ``add_subparsers()`` returns."""

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser: ...


def _command(
    commands: _Commands,
    name: str,
    *,
    help: str,
    description: str,
) -> argparse.ArgumentParser:
    # Each command, as the top parser, takes no abbreviation of an option.
    return commands.add_parser(name, help=help, description=description, allow_abbrev=False)


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


def _check_field(path: str) -> None:
    """Refuse a ``--fields`` path that names no field of `CustomerSubscription`,
    level by level, so a typo is not printed as a column of nulls."""
    hint: Any = CustomerSubscription
    where = "a subscription"
    for depth, part in enumerate(path.split(".")):
        if typing.get_origin(hint) is dict:
            return  # the raw fields of a price or benefit this version does not know
        if typing.get_origin(hint) is list:
            raise UsageError(f"--fields {path}: {where} is a list; print it whole with {where}.")
        fields = _struct_fields(hint)
        if not fields:
            raise UsageError(
                f"--fields {path}: {where} has no fields below it; print it with {where}."
            )
        if part not in fields:
            nested = " (nested ones dotted, as in product.name)" if depth == 0 else ""
            raise UsageError(
                f"--fields {path}: {where} has no field {part!r}; its fields are "
                f"{', '.join(fields)}{nested}."
            )
        hint = fields[part]
        where = ".".join(path.split(".")[: depth + 1])


def _struct_fields(hint: Any) -> dict[str, Any]:
    """The fields of the Structs ``hint`` may be (one, an optional one, or a union of
    them), by the names they are printed under, with their types."""
    union = isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union
    fields: dict[str, Any] = {}
    for member in typing.get_args(hint) if union else (hint,):
        if isinstance(member, type) and issubclass(member, msgspec.Struct):
            tag = member.__struct_config__.tag_field
            if tag is not None:
                fields.setdefault(tag, str)
            for field in msgspec.structs.fields(member):
                fields.setdefault(field.encode_name, field.type)
    return fields


def _pick(data: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    picked: dict[str, Any] = {}
    for field in fields:
        value: Any = data
        for part in field.split("."):
            value = (json_object(value) or {}).get(part)
        picked[field] = value
    return picked


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        nested = json_object(value)
        if nested is not None:
            flat.update(_flatten(nested, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return _encode(value).decode()
    return str(value)


class _Writer:
    """Writes rows in one of the output formats, as they come."""

    def __init__(self, kind: str, out: TextIO) -> None:
        self.kind = kind
        self.out = out
        self.rows = 0
        self._csv: csv.DictWriter[str] | None = None
        self._widths: list[int] = []
        self._sample: list[list[str]] = []

    def row(self, data: dict[str, Any]) -> None:
        if self.kind == "jsonl":
            self.out.write(_encode(data).decode() + "\n")
        elif self.kind == "json":
            self.out.write(("[" if self.rows == 0 else ",") + _encode(data).decode())
        elif self.kind == "csv":
            flat = _flatten(data)
            if self._csv is None:
                self._csv = csv.DictWriter(self.out, fieldnames=list(flat), extrasaction="ignore")
                self._csv.writeheader()
            self._csv.writerow({key: _cell(value) for key, value in flat.items()})
        else:
            flat = _flatten(data)
            if not self._sample:
                self._sample.append(list(flat))  # the header
            cells = [_cell(value) for value in flat.values()]
            if self._widths:
                self._line(cells)
            else:
                self._sample.append(cells)
                if len(self._sample) > TABLE_SAMPLE:
                    self._flush_sample()
        self.rows += 1

    def _flush_sample(self) -> None:
        # Columns as wide as their name and the sample's values, the widest narrowed until
        # the table fits.
        header, *rows = self._sample
        widths = [max([4, *(len(row[i]) for row in [header, *rows])]) for i in range(len(header))]
        while sum(widths) + 2 * (len(widths) - 1) > TABLE_WIDTH and max(widths) > 4:
            widths[widths.index(max(widths))] -= 1
        self._widths = widths
        self._line(header)
        self._line(["-" * width for width in widths])
        for row in rows:
            self._line(row)

    def _line(self, cells: list[str]) -> None:
        fitted = [
            cell if len(cell) <= width else cell[: width - 1] + "…"
            for cell, width in zip(cells, self._widths, strict=False)
        ]
        line = "  ".join(
            cell.ljust(width) for cell, width in zip(fitted, self._widths, strict=False)
        )
        self.out.write(line.rstrip() + "\n")

    def close(self) -> None:
        if self.kind == "table" and not self._widths and self._sample:
            self._flush_sample()
        if self.kind == "json":
            self.out.write("[]\n" if self.rows == 0 else "]\n")
        self.out.flush()


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
    writer = _Writer(args.format, out)
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
        count=args.items, seed=args.seed, faults=_fault_plan(args), port=args.port
    )
    server.add_customer(external_id=DEMO_CUSTOMER, subscriptions=3)
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
            "Ctrl-C stops it.\n"
        )
        out.flush()
        await asyncio.Event().wait()
    finally:
        await server.close()


def _fault_plan(args: argparse.Namespace) -> FaultPlan:
    from .testing import FaultPlan

    script = _fault_script(args.fault)
    try:
        return FaultPlan(script, rate=args.fault_rate, seed=args.seed)
    except ValueError as exc:  # the rate
        raise UsageError(f"--fault-rate: {exc}") from None


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
        return
    if args.command == "session":
        customer_of(args, required=True)
        return
    if args.command == "list":
        customer_of(args, required=False)
    try:
        check_limit(args.limit)
    except ValueError as exc:
        raise UsageError(_walk_problem(str(exc))) from None
    for field in _field_names(args) or ():
        _check_field(field)


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    args, unknown = _parser().parse_known_args(argv)
    if unknown:
        # argparse would print them all, and one may be a token typed where it does not go.
        options = [arg.partition("=")[0] for arg in unknown if arg.startswith("-")]
        hidden = len(unknown) - len(options)
        said = [f"No such option: {', '.join(options)}"] if options else []
        if hidden:
            said.append(
                f"{hidden} unexpected argument{'s' * (hidden != 1)} (not shown, in case one "
                "is a token)"
            )
        command = " ".join(filter(None, (args.command, getattr(args, "action", None))))
        raise UsageError(f"{'; '.join(said)}. `polar-seats {command} --help` lists the options.")
    return args


# The first class an error is an instance of gives the exit status; any other is a bug.
_EXITS: tuple[tuple[type[Exception], int], ...] = (
    (UsageError, EXIT_USAGE),
    (AuthenticationError, EXIT_AUTH),
    (RateLimitError, EXIT_RATE_LIMIT),
    (NetworkError, EXIT_NETWORK),
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
        # of a session that did not decode) may.
        if args.debug:
            err.write(scrub(traceback.format_exc()))
        status, message = _failure(exc, args)
        err.write(f"polar-seats: {scrub(message)}\n")
        return status
    return 0


def _failure(exc: Exception, args: argparse.Namespace) -> tuple[int, str]:
    """The exit status and the sentence of an error."""
    if isinstance(exc, APIStatusError) and exc.status == 403:
        # A token without the scope or the right: another token fixes it, as for a 401.
        return EXIT_AUTH, explain(exc, args) or str(exc)
    for kind, code in _EXITS:
        if isinstance(exc, kind):
            explained = explain(exc, args) if isinstance(exc, PolarError) else None
            return code, explained or str(exc)
    return EXIT_BUG, (
        f"internal error, a bug in polar-seats: {type(exc).__name__}: {exc}. "
        "Run again with --debug for the traceback, and report it."
    )


def main() -> None:
    """Entry point of the ``polar-seats`` console script."""
    sys.exit(run())
