"""The credentials of the ``polar-seats`` commands: where their tokens come from (a variable
or a file, never the command line), the options that name a customer, and the client a
command talks to Polar with."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import warnings
from collections.abc import AsyncGenerator, Sequence
from typing import Any, TextIO, TypedDict, cast

import aiohttp

from .. import AsyncClient, InvalidArgumentError, versions
from .._protocol import CUSTOMER_TOKEN, ORGANIZATION_TOKEN, check_token, token_kind, wrong_kind
from .base import (
    ACCESS_TOKEN_VARIABLE,
    TOKEN_VARIABLE,
    Options,
    RefuseAccessToken,
    UsageError,
    option_name,
    refuse_token,
    usage,
)
from .report import RequestLog
from .versions import client_version

SCOPE = "customer_sessions:write"

CUSTOMER_FIELDS = ("customer_id", "external_customer_id")
MEMBER_FIELDS = ("member_id", "external_member_id")


class Customer(TypedDict, total=False):
    """Who the customer options name, as ``for_customer()`` takes it."""

    customer_id: str
    external_customer_id: str
    member_id: str
    external_member_id: str


class TokenOption(TypedDict, total=False):
    """The credential a command sends, as ``AsyncClient`` takes it."""

    token: str
    organization_token: str


_KINDS = {
    "customer": "a customer session token",
    "member": "a member session token",
    "organization": "an organization access token",
    "user": "a personal access token",
}
"""What a message calls a token of each kind (``token_kind``)."""


@dataclasses.dataclass(frozen=True)
class TokenSource:
    """Where one kind of token comes from: a variable, or the file an option names."""

    variable: str
    option: str
    kind: tuple[str, str, str]
    """What ``check_token`` calls it."""
    expected: str
    """What the token should be, for a message."""
    instead: str
    """What to do instead with a token the library refuses for its kind."""

    @property
    def dest(self) -> str:
        return self.option[2:].replace("-", "_")


CUSTOMER = TokenSource(
    TOKEN_VARIABLE,
    "--token-file",
    CUSTOMER_TOKEN,
    "a customer session token",
    f"put it in {ACCESS_TOKEN_VARIABLE} (or --access-token-file) and name the customer with "
    "--external-customer-id ID or --customer-id ID.",
)
ORGANIZATION = TokenSource(
    ACCESS_TOKEN_VARIABLE,
    "--access-token-file",
    ORGANIZATION_TOKEN,
    "an organization access token ('polar_oat_…')",
    f"list with it through {TOKEN_VARIABLE} and no customer option, or use an organization "
    f"token with the {SCOPE} scope.",
)


def add_token_file(parser: Options, source: TokenSource, what: str) -> None:
    """``source.option``, and the refusal of the option that would take the token itself."""
    parser.add_argument(
        source.option,
        metavar="PATH",
        help=f"read {what} from this file instead of ${source.variable} (a token typed on the "
        f"command line would land in the shell's history, so there is no "
        f"{source.option.removesuffix('-file')})",
    )
    if source is ORGANIZATION:
        refuse_token(parser, RefuseAccessToken, "--access-token")


def add_customer_options(
    parser: argparse.ArgumentParser, *, required: bool, description: str | None = None
) -> None:
    """The options that name a customer (and a member of a team customer); ``description``
    replaces what the group of the optional ones says."""
    if required:
        group = parser.add_argument_group("the customer, and the organization token")
    else:
        group = parser.add_argument_group(
            "acting for a customer with an organization token",
            description
            or f"Mint the customer's session with the organization access token in "
            f"${ACCESS_TOKEN_VARIABLE} (or --access-token-file) instead of using "
            f"${TOKEN_VARIABLE}, which is then ignored.",
        )
    group.add_argument(
        "--external-customer-id",
        metavar="ID",
        help="the customer by your own id for them (Polar's external_id)",
    )
    group.add_argument("--customer-id", metavar="ID", help="the customer by Polar's id")
    group.add_argument(
        "--member-id", metavar="ID", help="a member of a team customer, by Polar's id"
    )
    group.add_argument(
        "--external-member-id", metavar="ID", help="a member of a team customer, by your id"
    )
    add_token_file(group, ORGANIZATION, "the organization access token")


def customer_of(args: argparse.Namespace, *, required: bool) -> Customer | None:
    """The customer (and member) the options name, checked, as ``for_customer()`` takes
    them; ``None`` when none is named and none is required."""
    named = named_customer(args)
    if named is None:
        if required:
            raise UsageError(
                "Name the customer the session is for: --external-customer-id ID (your own id "
                "for them) or --customer-id ID (Polar's)."
            )
        if args.access_token_file:
            raise UsageError(
                "--access-token-file is for listing as a customer of the organization: name "
                "one with --external-customer-id ID or --customer-id ID. A customer's own "
                f"session token goes in ${TOKEN_VARIABLE} or --token-file."
            )
        return None
    if getattr(args, "token_file", None):
        option = customer_option(named)
        raise UsageError(
            f"--token-file and {option} both say whose subscriptions to list: pass "
            f"--token-file for a customer session token you have, or {option} to mint one "
            "with the organization token, not both."
        )
    return named


def named_customer(args: argparse.Namespace) -> Customer | None:
    """The customer (and member) the options name, checked one against the other;
    ``None`` when they name none."""
    named = {field: getattr(args, field) for field in (*CUSTOMER_FIELDS, *MEMBER_FIELDS)}
    named = {field: value for field, value in named.items() if value is not None}
    for field, value in named.items():
        if not value.strip():
            raise UsageError(f"{option_name(field)} is empty: give the id.")
    customers = [field for field in CUSTOMER_FIELDS if field in named]
    members = [field for field in MEMBER_FIELDS if field in named]
    if len(customers) > 1:
        raise UsageError(
            "Name the customer with one of --external-customer-id (your own id for them) or "
            "--customer-id (Polar's), not both."
        )
    if len(members) > 1:
        raise UsageError("Name the member with one of --member-id or --external-member-id.")
    if members and not customers:
        raise UsageError(
            f"{option_name(members[0])} names a member of a team customer: name the customer "
            "too, with --external-customer-id ID or --customer-id ID."
        )
    if not customers:
        return None
    return cast("Customer", named)


def customer_option(customer: Customer) -> str:
    """The option that named ``customer``: ``--external-customer-id``, say."""
    return option_name(next(field for field in CUSTOMER_FIELDS if field in customer))


def read_token(args: argparse.Namespace, source: TokenSource, missing: str) -> str:
    """The token from ``source``'s file if its option was given, else from its variable;
    ``missing`` is what to say when there is neither. Checked, never echoed."""
    path = getattr(args, source.dest, None)
    if path:
        token = _read_file(path, source)
        where = f"The token in {path}"
    else:
        token = os.environ.get(source.variable, "").strip()
        if not token:
            raise UsageError(missing)
        where = f"The token in ${source.variable}"
    kind = wrong_kind(token, source.kind[0])
    if kind is not None:
        raise UsageError(f"{where} is {_KINDS[kind]}, not {source.expected}: {source.instead}")
    try:
        return check_token(token, source.kind)
    except InvalidArgumentError as exc:
        raise UsageError(f"{where}: {exc}") from None


def _read_file(path: str, source: TokenSource) -> str:
    try:
        with open(path, encoding="utf-8") as file:
            return file.read().strip()
    except OSError as exc:
        if token_kind(path) is not None and not os.path.exists(path):
            raise UsageError(
                f"{source.option} takes the path of a file that holds the token, not the "
                f"token itself (not shown here); or set {source.variable}."
            ) from None
        raise UsageError(f"Cannot read {source.option}: {exc.strerror} ({path}).") from None


def organization_token(args: argparse.Namespace, what: str) -> str:
    """The organization access token, for ``what`` (the sentence's subject)."""
    return read_token(
        args,
        ORGANIZATION,
        f"{what} needs an organization access token to mint the customer's session: set "
        f"{ACCESS_TOKEN_VARIABLE} to one ('polar_oat_…', with the {SCOPE} scope) or pass "
        "--access-token-file PATH.",
    )


def hidden_values(args: argparse.Namespace) -> list[str]:
    """The values the command read that no output may show (an invitation token): the
    request log and every error message leave them out."""
    hidden: list[str] = vars(args).setdefault("hidden", [])
    return hidden


@contextlib.asynccontextmanager
async def open_client(
    args: argparse.Namespace,
    err: TextIO,
    *,
    traces: Sequence[aiohttp.TraceConfig] = (),
    **options: Any,
) -> AsyncGenerator[AsyncClient]:
    """A client on a session of the command's own, logging each request with ``--debug``
    and watching it with ``traces``; it sends ``--polar-version`` unless ``options`` name
    the version."""
    if "polar_version" not in options:
        options["polar_version"] = client_version(args, err)
    trace = [RequestLog(err, hidden_values(args)).trace_config()] if args.debug else []
    async with aiohttp.ClientSession(trace_configs=[*trace, *traces]) as session:
        with warnings.catch_warnings():
            # Said already, in the command's terms, by whoever chose the version.
            warnings.simplefilter("ignore", versions.DeprecatedVersionWarning)
            try:
                client = AsyncClient(session=session, **options)
            except InvalidArgumentError as exc:  # a base URL, a walk option
                raise usage(exc) from None
        yield client
