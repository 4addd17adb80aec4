"""The ``polar-seats`` command: list claimed subscriptions, or try it on a fake server."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import os
import sys
import traceback
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

import aiohttp
import msgspec

from ._cli_report import Progress, RequestLog, progress_wanted
from ._client import AsyncClient
from ._errors import AuthenticationError, NetworkError, PolarError, RateLimitError, json_object
from ._models import Page
from ._retry import RetryPolicy

if TYPE_CHECKING:
    from .testing import Fault

TOKEN_VARIABLE = "POLAR_CUSTOMER_SESSION_TOKEN"
DEMO_FIELDS: str = "id,status,seats,product.name"
FORMATS = ("jsonl", "json", "csv", "table")
TABLE_WIDTH = 80
TABLE_SAMPLE = 100
"""Rows a table reads before it sizes its columns to them."""

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_RATE_LIMIT = 4
EXIT_NETWORK = 5
EXIT_BUG = 70
EXIT_INTERRUPTED = 130

_encode = msgspec.json.Encoder().encode


class UsageError(Exception):
    """A mistake in how the command was called."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="polar-seats",
        description="List the Polar subscriptions on which a customer holds a seat.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--debug",
        action="store_true",
        help="log every request and answer on stderr (the token redacted) and show the "
        "traceback of an error",
    )

    listing = commands.add_parser(
        "list",
        parents=[common],
        help="print every claimed subscription, one JSON object a line",
        description=f"Walk every claimed subscription of the customer whose session token "
        f"is in ${TOKEN_VARIABLE}, and print one JSON object a line.",
    )
    listing.add_argument(
        "--server",
        choices=("production", "sandbox"),
        default="production",
        help="which Polar to ask (default: production)",
    )
    listing.add_argument("--base-url", help="another origin, such as a fake server's")
    listing.add_argument(
        "--token-file",
        help=f"read the token from this file instead of ${TOKEN_VARIABLE} (a token typed on "
        "the command line would land in the shell's history, so there is no --token)",
    )
    _add_walk_options(listing)

    demo = commands.add_parser(
        "demo",
        parents=[common],
        help="list subscriptions from a local fake Polar server, no account needed",
        description="Start a fake Polar server with seeded subscriptions and list them "
        "through the real client.",
    )
    _add_data_options(demo)
    _add_walk_options(demo, fields=DEMO_FIELDS, output="table")

    serve = commands.add_parser(
        "serve-fake",
        parents=[common],
        help="run the fake Polar server on its own, for tests in any language",
        description="Serve Polar's list-claimed-subscriptions endpoint with seeded data on "
        "127.0.0.1 until interrupted; prints its URL and a token it accepts.",
    )
    serve.add_argument("--port", type=int, default=8000, help="port, 0 for any free one")
    _add_data_options(serve)
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
        help="share of other requests answered with a random transient fault (0 to 1)",
    )
    return parser


def _add_data_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--items", type=int, default=300, help="subscriptions to seed")
    parser.add_argument("--seed", type=int, default=0, help="seed of the data (and faults)")


def _add_walk_options(
    parser: argparse.ArgumentParser, *, fields: str | None = None, output: str = "jsonl"
) -> None:
    parser.add_argument("--limit", type=int, default=100, help="page size, 1 to 100")
    parser.add_argument("--max-items", type=int, help="stop after this many subscriptions")
    parser.add_argument("--concurrency", type=int, help="pages fetched at once (default 8)")
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
        help="comma-separated fields to print, dotted for nested ones (id,product.name)",
    )


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
    fields: list[str] | None = None
    if args.fields:
        fields = [field.strip() for field in args.fields.split(",") if field.strip()]
    if fields is None and args.format == "table":
        fields = DEMO_FIELDS.split(",")
    writer = _Writer(args.format, out)
    quiet = args.no_progress or args.debug or not progress_wanted(out, err)
    progress = None if quiet else Progress(err)
    trace = [RequestLog(err).trace_config()] if args.debug else []
    retry = RetryPolicy() if progress is None else progress.retry_policy(RetryPolicy())
    async with aiohttp.ClientSession(trace_configs=trace) as session:
        try:
            client = AsyncClient(token, session=session, retry=retry, **options)
        except ValueError as exc:  # a malformed token or base URL
            raise UsageError(str(exc)) from None
        walk = client.iter_claimed_subscriptions(
            limit=args.limit, max_items=args.max_items, concurrency=args.concurrency
        )
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


def _read_token(args: argparse.Namespace) -> str:
    if args.token_file:
        try:
            with open(args.token_file, encoding="utf-8") as file:
                token = file.read().strip()
        except OSError as exc:
            raise UsageError(
                f"Cannot read the token file: {exc.strerror} ({args.token_file})."
            ) from None
        if not token:
            raise UsageError(f"The token file {args.token_file} is empty.")
        return token
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
    err.write(
        f"\nListed {count} claimed subscriptions in {pages} request{'s' * (pages != 1)} "
        f"from a fake Polar server at {server.url}.\n"
        f"For a customer's own: export {TOKEN_VARIABLE}=polar_cst_… (a customer session "
        "token, which your backend creates with Polar's customer sessions API), then run\n"
        "  polar-seats list --format table              # Polar's production API\n"
        "  polar-seats list --format table --server sandbox\n"
    )


async def _serve(args: argparse.Namespace, out: TextIO) -> None:
    from .testing import FakePolarServer, FaultPlan

    faults = FaultPlan(_fault_script(args.fault), rate=args.fault_rate, seed=args.seed)
    async with FakePolarServer(
        count=args.items, seed=args.seed, faults=faults, port=args.port
    ) as server:
        out.write(f"Fake Polar server at {server.url}\nToken: {server.token}\nCtrl-C stops it.\n")
        out.flush()
        await asyncio.Event().wait()


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
    if args.command == "serve-fake":
        if not 0.0 <= args.fault_rate <= 1.0:
            raise UsageError(f"--fault-rate must be between 0 and 1 (got {args.fault_rate}).")
        _fault_script(args.fault)
        return
    if args.concurrency is not None and args.concurrency < 1:
        raise UsageError(f"--concurrency must be 1 or more (got {args.concurrency}).")
    if not 1 <= args.limit <= 100:
        raise UsageError(f"--limit must be between 1 and 100 (got {args.limit}).")
    if args.max_items is not None and args.max_items < 0:
        raise UsageError(f"--max-items must be 0 or more (got {args.max_items}).")


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
    args = _parser().parse_args(argv)
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
