"""The ``polar-seats`` command: list claimed subscriptions, or try it on a fake server."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import os
import re
import sys
import traceback
import types
import typing
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

import aiohttp
import msgspec

from ._cli_report import Progress, RequestLog, progress_wanted
from ._client import AsyncClient
from ._errors import AuthenticationError, NetworkError, PolarError, RateLimitError, json_object
from ._models import CustomerSubscription, Page
from ._protocol import check_limit, check_token
from ._retry import RetryPolicy
from ._version import version

if TYPE_CHECKING:
    from .testing import Fault, FaultPlan

TOKEN_VARIABLE = "POLAR_CUSTOMER_SESSION_TOKEN"
DEMO_FIELDS: str = "id,status,seats,product.name"
FORMATS = ("jsonl", "json", "csv", "table")
TABLE_WIDTH = 80
TABLE_SAMPLE = 100
"""Rows a table reads before it sizes its columns to them."""
MAX_PORT = 65535
NO_TOKEN_OPTION = (
    f"There is no --token option: a token typed on the command line lands in the shell's "
    f"history and the process list. Set {TOKEN_VARIABLE}, or pass --token-file PATH."
)

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_RATE_LIMIT = 4
EXIT_NETWORK = 5
EXIT_BUG = 70
EXIT_INTERRUPTED = 130

_encode = msgspec.json.Encoder().encode
# Polar's tokens: polar_cst_…, polar_mst_…, polar_oat_…
_TOKEN_SHAPE = re.compile(r"polar_[a-z]{3}_")


class UsageError(Exception):
    """A mistake in how the command was called."""


class _RefuseToken(argparse.Action):
    """``--token`` and ``--token=X``: refused with the reason, the value never shown."""

    def __call__(self, *args: object, **kwargs: object) -> NoReturn:
        raise UsageError(NO_TOKEN_OPTION)


def _parser() -> argparse.ArgumentParser:
    # No abbreviations: `--token X` once became `--token-file X`, and its error showed X.
    parser = argparse.ArgumentParser(
        prog="polar-seats",
        description="List the Polar subscriptions on which a customer holds a seat.",
        epilog="Try `polar-seats demo` first: it needs no account. "
        "`polar-seats COMMAND --help` describes a command.",
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"polar-seats {version()}")
    _refuse_token(parser)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    listing = commands.add_parser(
        "list",
        help="print every claimed subscription, one JSON object a line",
        description=f"Walk every claimed subscription of the customer whose session token "
        f"is in ${TOKEN_VARIABLE}, and print one JSON object a line.",
        allow_abbrev=False,
    )
    _add_debug(listing)
    listing.add_argument(
        "--server",
        choices=("production", "sandbox"),
        default="production",
        help="which Polar to ask (default: production)",
    )
    listing.add_argument(
        "--base-url", metavar="URL", help="another origin, such as a fake server's"
    )
    listing.add_argument(
        "--token-file",
        metavar="PATH",
        help=f"read the token from this file instead of ${TOKEN_VARIABLE} (a token typed on "
        "the command line would land in the shell's history, so there is no --token)",
    )
    _add_walk_options(listing)

    demo = commands.add_parser(
        "demo",
        help="list subscriptions from a local fake Polar server, no account needed",
        description="Start a fake Polar server with seeded subscriptions and list them "
        "through the real client.",
        allow_abbrev=False,
    )
    _add_debug(demo)
    _add_data_options(demo, seeds="the data")
    _add_walk_options(demo, fields=DEMO_FIELDS, output="table")

    serve = commands.add_parser(
        "serve-fake",
        help="run the fake Polar server on its own, for tests in any language",
        description="Serve Polar's list-claimed-subscriptions endpoint with seeded data on "
        "127.0.0.1 until interrupted; prints its URL and a token it accepts.",
        allow_abbrev=False,
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


def _refuse_token(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--token", nargs="?", action=_RefuseToken, help=argparse.SUPPRESS)


def _add_debug(
    parser: argparse.ArgumentParser,
    help: str = "log every request and answer on stderr (the token redacted) and show the "
    "traceback of an error",
) -> None:
    _refuse_token(parser)
    parser.add_argument("--debug", action="store_true", help=help)


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
    args: argparse.Namespace, out: TextIO, err: TextIO, token: str, **options: Any
) -> int:
    fields = _field_names(args)
    writer = _Writer(args.format, out)
    quiet = args.no_progress or args.debug or not progress_wanted(out, err)
    progress = None if quiet else Progress(err)
    trace = [RequestLog(err).trace_config()] if args.debug else []
    retry = RetryPolicy() if progress is None else progress.retry_policy(RetryPolicy())
    async with aiohttp.ClientSession(trace_configs=trace) as session:
        try:
            client = AsyncClient(token, session=session, retry=retry, **options)
            walk = client.iter_claimed_subscriptions(
                limit=args.limit, max_items=args.max_items, concurrency=args.concurrency
            )
        except ValueError as exc:  # a token, a base URL, --max-items or --concurrency
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


def _read_token(args: argparse.Namespace) -> str:
    if args.token_file:
        try:
            with open(args.token_file, encoding="utf-8") as file:
                token = file.read().strip()
        except OSError as exc:
            if _TOKEN_SHAPE.match(args.token_file) and not os.path.exists(args.token_file):
                raise UsageError(
                    "--token-file takes the path of a file that holds the token, not the "
                    f"token itself (not shown here); or set {TOKEN_VARIABLE}."
                ) from None
            raise UsageError(
                f"Cannot read the token file: {exc.strerror} ({args.token_file})."
            ) from None
        try:
            return check_token(token)
        except ValueError as exc:
            raise UsageError(f"The token in {args.token_file}: {exc}") from None
    token = os.environ.get(TOKEN_VARIABLE, "").strip()
    if not token:
        raise UsageError(
            f"Set {TOKEN_VARIABLE} to a Polar customer session token ('polar_cst_…') or pass "
            "--token-file; try `polar-seats demo` to see the command work without one."
        )
    return token


async def _list(args: argparse.Namespace, out: TextIO, err: TextIO) -> None:
    token = _read_token(args)
    await _walk(args, out, err, token, server=args.server, base_url=args.base_url)


async def _demo(args: argparse.Namespace, out: TextIO, err: TextIO) -> None:
    from .testing import FakePolarServer

    async with FakePolarServer(count=args.items, seed=args.seed) as server:
        count = await _walk(args, out, err, server.token, base_url=server.url)
        pages = len(server.requests)
    # Read in a terminal: each line fits 80 columns.
    err.write(
        f"\nListed {count} claimed subscriptions in {pages} request{'s' * (pages != 1)} "
        f"from a fake Polar\nserver at {server.url}.\n"
        "For a customer's own, with a customer session token (which your backend creates\n"
        "with Polar's customer sessions API):\n"
        f"  export {TOKEN_VARIABLE}=polar_cst_…\n"
        "  polar-seats list --format table              # Polar's production API\n"
        "  polar-seats list --format table --server sandbox\n"
    )


async def _serve(args: argparse.Namespace, out: TextIO) -> None:
    from .testing import FakePolarServer

    server = FakePolarServer(
        count=args.items, seed=args.seed, faults=_fault_plan(args), port=args.port
    )
    try:
        try:
            await server.start()
        except OSError as exc:  # the port is taken, or needs privileges
            raise UsageError(
                f"Cannot listen on 127.0.0.1:{args.port}: {exc.strerror or exc}. Stop what "
                "listens there, or pick another port with --port (--port 0 for any free one)."
            ) from None
        out.write(f"Fake Polar server at {server.url}\nToken: {server.token}\nCtrl-C stops it.\n")
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
        raise UsageError(
            f"{'; '.join(said)}. `polar-seats {args.command} --help` lists the options."
        )
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
        if args.debug:
            traceback.print_exc(file=err)
        for kind, code in _EXITS:
            if isinstance(exc, kind):
                err.write(f"polar-seats: {exc}\n")
                return code
        err.write(
            f"polar-seats: internal error, a bug in polar-seats: {type(exc).__name__}: {exc}. "
            "Run again with --debug for the traceback, and report it.\n"
        )
        return EXIT_BUG
    return 0


def main() -> None:
    """Entry point of the ``polar-seats`` console script."""
    sys.exit(run())
