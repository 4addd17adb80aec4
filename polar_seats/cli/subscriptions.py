"""``polar-seats list``: every claimed subscription of a customer, walked page by page and
printed as it comes, with the customer's session token or as a customer named by id."""

from __future__ import annotations

import argparse
import contextlib
from typing import Any, TextIO

import msgspec

from .. import CustomerSubscription, InvalidArgumentError, Page, RetryPolicy
from .._protocol import check_limit
from .base import ACCESS_TOKEN_VARIABLE, TOKEN_VARIABLE, fields_of, usage
from .credentials import (
    CUSTOMER,
    Customer,
    add_customer_options,
    add_token_file,
    customer_of,
    customer_option,
    open_client,
    organization_token,
    read_token,
)
from .output import FORMATS, Writer, check_field, pick
from .report import Progress, progress_wanted

TABLE_FIELDS = "id,status,seats,product.name"
"""What a table of subscriptions shows unless ``--fields`` says otherwise."""
HELP = "print every claimed subscription, one JSON object a line"
DESCRIPTION = (
    f"Walk every claimed subscription of the customer whose session token is in "
    f"${TOKEN_VARIABLE}, and print one JSON object a line; or of the customer "
    f"--external-customer-id names, minting its session with the organization access token "
    f"in ${ACCESS_TOKEN_VARIABLE}."
)


def add_options(parser: argparse.ArgumentParser) -> None:
    """The options of ``list``, besides ``--debug`` and the server ones."""
    add_token_file(parser, CUSTOMER, "the customer session token")
    add_customer_options(parser, required=False)
    add_walk_options(parser)


def add_walk_options(
    parser: argparse.ArgumentParser, *, fields: str | None = None, output: str = "jsonl"
) -> None:
    """The options of a walk and of how it is printed (``list``, ``demo``)."""
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


def check(args: argparse.Namespace) -> None:
    """Refuse what the library or the model would, before a token is read."""
    customer_of(args, required=False)
    check_walk(args)


def check_walk(args: argparse.Namespace) -> None:
    """The walk's page size and fields; its own checks (``--max-items``,
    ``--concurrency``) come when it is made."""
    try:
        check_limit(args.limit)
    except InvalidArgumentError as exc:
        raise usage(exc) from None
    for field in _field_names(args) or ():
        check_field(field, CustomerSubscription, "a subscription")


def _field_names(args: argparse.Namespace) -> list[str] | None:
    if args.fields:
        return fields_of(args.fields)
    return fields_of(TABLE_FIELDS) if args.format == "table" else None


async def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> None:
    """``polar-seats list``."""
    where = {"server": args.server, "base_url": args.base_url}
    customer = customer_of(args, required=False)
    if customer is not None:
        # The options say whose subscriptions; $POLAR_CUSTOMER_SESSION_TOKEN is not read.
        token = organization_token(args, customer_option(customer))
        await walk(args, out, err, customer, organization_token=token, **where)
        return
    token = read_token(
        args,
        CUSTOMER,
        f"Set {TOKEN_VARIABLE} to a Polar customer session token ('polar_cst_…') or pass "
        "--token-file, or name the customer with --external-customer-id ID and put an "
        f"organization access token in {ACCESS_TOKEN_VARIABLE}; try `polar-seats demo` "
        "to see the command work without one.",
    )
    await walk(args, out, err, token=token, **where)


async def walk(
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
            pages = lister.iter_claimed_subscriptions(
                limit=args.limit, max_items=args.max_items, concurrency=args.concurrency
            )
        except InvalidArgumentError as exc:  # --max-items or --concurrency
            raise usage(exc) from None
        with progress or contextlib.nullcontext():
            async with pages:
                async for page in pages.pages():
                    if progress is not None:
                        progress.page(len(page.items), _expected(page, args.max_items))
                    for subscription in page.items:
                        data = msgspec.to_builtins(subscription)
                        writer.row(data if fields is None else pick(data, fields))
    writer.close()
    return writer.rows


def _expected(page: Page, max_items: int | None) -> int:
    total = page.pagination.total_count
    return total if max_items is None else min(total, max_items)
