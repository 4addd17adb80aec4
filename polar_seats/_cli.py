"""The ``polar-seats`` command: list claimed subscriptions, or try it on a fake server."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO

import msgspec

from ._client import AsyncClient
from ._errors import AuthenticationError, NetworkError, PolarError, RateLimitError
from ._models import CustomerSubscription

TOKEN_VARIABLE = "POLAR_CUSTOMER_SESSION_TOKEN"
DEMO_FIELDS = "id,status,seats,product.name,product.organization.name"

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_RATE_LIMIT = 4
EXIT_NETWORK = 5
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

    listing = commands.add_parser(
        "list",
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
    _add_walk_options(listing)

    demo = commands.add_parser(
        "demo",
        help="list subscriptions from a local fake Polar server, no account needed",
        description="Start a fake Polar server with seeded subscriptions and list them "
        "through the real client.",
    )
    demo.add_argument("--items", type=int, default=300, help="subscriptions to seed")
    demo.add_argument("--seed", type=int, default=0, help="seed of the generated data")
    _add_walk_options(demo, fields=DEMO_FIELDS)
    return parser


def _add_walk_options(parser: argparse.ArgumentParser, *, fields: str | None = None) -> None:
    parser.add_argument("--limit", type=int, default=100, help="page size, 1 to 100")
    parser.add_argument("--max-items", type=int, help="stop after this many subscriptions")
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
            value = value.get(part) if isinstance(value, dict) else None
        picked[field] = value
    return picked


def _line(subscription: CustomerSubscription, fields: list[str] | None) -> bytes:
    if fields is None:
        return _encode(subscription)
    return _encode(_pick(msgspec.to_builtins(subscription), fields))


async def _walk(client: AsyncClient, args: argparse.Namespace, out: TextIO) -> int:
    fields = [f.strip() for f in args.fields.split(",") if f.strip()] if args.fields else None
    count = 0
    async with client:
        async for subscription in client.iter_claimed_subscriptions(
            limit=args.limit, max_items=args.max_items
        ):
            out.write(_line(subscription, fields).decode())
            out.write("\n")
            count += 1
    out.flush()
    return count


async def _list(args: argparse.Namespace, out: TextIO) -> None:
    token = os.environ.get(TOKEN_VARIABLE, "").strip()
    if not token:
        raise UsageError(
            f"Set {TOKEN_VARIABLE} to a Polar customer session token ('polar_cst_…'); "
            "try `polar-seats demo` to see the command work without one."
        )
    client = AsyncClient(token, server=args.server, base_url=args.base_url)
    await _walk(client, args, out)


async def _demo(args: argparse.Namespace, out: TextIO, err: TextIO) -> None:
    from .testing import FakePolarServer

    async with FakePolarServer(count=args.items, seed=args.seed) as server:
        client = AsyncClient(server.token, base_url=server.url)
        count = await _walk(client, args, out)
        pages = len(server.requests)
    err.write(
        f"Listed {count} claimed subscriptions in {pages} requests from a fake Polar server "
        f"at {server.url}.\nFor your own: export {TOKEN_VARIABLE}=polar_cst_… and run "
        "`polar-seats list`.\n"
    )


def _check(args: argparse.Namespace) -> None:
    if not 1 <= args.limit <= 100:
        raise UsageError(f"--limit must be between 1 and 100 (got {args.limit}).")
    if args.max_items is not None and args.max_items < 0:
        raise UsageError(f"--max-items must be 0 or more (got {args.max_items}).")


def run(
    argv: Sequence[str] | None = None, *, out: TextIO = sys.stdout, err: TextIO = sys.stderr
) -> int:
    """Run the command line with ``argv``; return the exit status."""
    args = _parser().parse_args(argv)
    try:
        _check(args)
        if args.command == "demo":
            asyncio.run(_demo(args, out, err))
        else:
            asyncio.run(_list(args, out))
    except UsageError as exc:
        err.write(f"polar-seats: {exc}\n")
        return EXIT_USAGE
    except AuthenticationError as exc:
        err.write(f"polar-seats: {exc}\n")
        return EXIT_AUTH
    except RateLimitError as exc:
        err.write(f"polar-seats: {exc}\n")
        return EXIT_RATE_LIMIT
    except NetworkError as exc:
        err.write(f"polar-seats: {exc}\n")
        return EXIT_NETWORK
    except PolarError as exc:
        err.write(f"polar-seats: {exc}\n")
        return EXIT_ERROR
    except BrokenPipeError:
        # The reader (`| head`) went away: stop quietly, and keep Python from complaining
        # again when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        err.write("polar-seats: interrupted\n")
        return EXIT_INTERRUPTED
    return 0


def main() -> None:
    """Entry point of the ``polar-seats`` console script."""
    sys.exit(run())
