"""The credentials of the ``polar-seats`` command: where its tokens come from (a variable or
a file, never the command line), the options that name a customer, and
``polar-seats session create``, which mints a customer session with the organization token.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import re
import warnings
from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Any, NoReturn, Protocol, TextIO, TypedDict, cast

import aiohttp
import msgspec

from . import versions
from ._cli_report import RequestLog
from ._cli_versions import client_version
from ._client import AsyncClient
from ._errors import (
    AmbiguousExternalCustomerIdError,
    APIStatusError,
    PolarError,
    RequestValidationError,
    json_object,
)
from ._protocol import CUSTOMER_TOKEN, ORGANIZATION_TOKEN, Auth, check_token

TOKEN_VARIABLE = "POLAR_CUSTOMER_SESSION_TOKEN"
ACCESS_TOKEN_VARIABLE = "POLAR_ACCESS_TOKEN"
_HISTORY = "a token typed on the command line lands in the shell's history and the process list"
NO_TOKEN_OPTION = (
    f"There is no --token option: {_HISTORY}. Set {TOKEN_VARIABLE}, or pass --token-file PATH."
)
NO_ACCESS_TOKEN_OPTION = (
    f"There is no --access-token option: {_HISTORY}. Set {ACCESS_TOKEN_VARIABLE}, or pass "
    "--access-token-file PATH."
)
_SCOPE = "customer_sessions:write"
# Polar's tokens: polar_cst_…, polar_mst_…, polar_oat_…
_TOKEN_SHAPE = re.compile(r"polar_[a-z]{3}_")

_CUSTOMERS = ("customer_id", "external_customer_id")
_MEMBERS = ("member_id", "external_member_id")


class Options(Protocol):
    """A parser, or a group of its options."""

    def add_argument(self, *name_or_flags: str, **kwargs: Any) -> argparse.Action: ...


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


class UsageError(Exception):
    """A mistake in how the command was called."""


class RefuseToken(argparse.Action):
    """``--token`` and ``--token=X``: refused with the reason, the value never shown."""

    message = NO_TOKEN_OPTION

    def __call__(self, *args: object, **kwargs: object) -> NoReturn:
        raise UsageError(self.message)


class RefuseAccessToken(RefuseToken):
    """``--access-token``, likewise."""

    message = NO_ACCESS_TOKEN_OPTION


@dataclasses.dataclass(frozen=True)
class TokenSource:
    """Where one kind of token comes from: a variable, or the file an option names."""

    variable: str
    option: str
    kind: tuple[str, str, str]
    """What ``check_token`` calls it."""
    wrong: Mapping[str, str]
    """Prefixes of tokens of another kind, and what to do with such a token instead."""

    @property
    def dest(self) -> str:
        return self.option[2:].replace("-", "_")


CUSTOMER = TokenSource(
    TOKEN_VARIABLE,
    "--token-file",
    CUSTOMER_TOKEN,
    {
        "polar_oat_": "is an organization access token, not a customer session token: put "
        f"it in {ACCESS_TOKEN_VARIABLE} (or --access-token-file) and name the customer with "
        "--external-customer-id ID or --customer-id ID."
    },
)
_SESSION_TOKEN = (
    "is a customer session token, not an organization access token ('polar_oat_…'): list "
    f"with it through {TOKEN_VARIABLE} and no customer option, or use an organization token "
    f"with the {_SCOPE} scope."
)
ORGANIZATION = TokenSource(
    ACCESS_TOKEN_VARIABLE,
    "--access-token-file",
    ORGANIZATION_TOKEN,
    {"polar_cst_": _SESSION_TOKEN, "polar_mst_": _SESSION_TOKEN},
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
        parser.add_argument(
            "--access-token", nargs="?", action=RefuseAccessToken, help=argparse.SUPPRESS
        )


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
    named = {field: getattr(args, field) for field in (*_CUSTOMERS, *_MEMBERS)}
    named = {field: value for field, value in named.items() if value is not None}
    for field, value in named.items():
        if not value.strip():
            raise UsageError(f"{_option(field)} is empty: give the id.")
    customers = [field for field in _CUSTOMERS if field in named]
    members = [field for field in _MEMBERS if field in named]
    if len(customers) > 1:
        raise UsageError(
            "Name the customer with one of --external-customer-id (your own id for them) or "
            "--customer-id (Polar's), not both."
        )
    if len(members) > 1:
        raise UsageError("Name the member with one of --member-id or --external-member-id.")
    if members and not customers:
        raise UsageError(
            f"{_option(members[0])} names a member of a team customer: name the customer "
            "too, with --external-customer-id ID or --customer-id ID."
        )
    if not customers:
        return None
    return cast("Customer", named)


def _option(field: str) -> str:
    return "--" + field.replace("_", "-")


def customer_option(customer: Customer) -> str:
    """The option that named ``customer``: ``--external-customer-id``, say."""
    return _option(next(field for field in _CUSTOMERS if field in customer))


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
    try:
        check_token(token, source.kind)
    except ValueError as exc:
        raise UsageError(f"{where}: {exc}") from None
    for prefix, said in source.wrong.items():
        if token.startswith(prefix):
            raise UsageError(f"{where} {said}")
    return token


def _read_file(path: str, source: TokenSource) -> str:
    try:
        with open(path, encoding="utf-8") as file:
            return file.read().strip()
    except OSError as exc:
        if _TOKEN_SHAPE.match(path) and not os.path.exists(path):
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
        f"{ACCESS_TOKEN_VARIABLE} to one ('polar_oat_…', with the {_SCOPE} scope) or pass "
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
            except ValueError as exc:  # a token, a base URL, a walk option
                raise UsageError(str(exc)) from None
        yield client


async def create_session(args: argparse.Namespace, out: TextIO, err: TextIO) -> None:
    """``polar-seats session create``: the session as one JSON object on stdout, token and
    all; nothing of it on stderr."""
    customer = customer_of(args, required=True)
    assert customer is not None
    token = organization_token(args, "Creating a customer session")
    async with open_client(
        args, err, organization_token=token, server=args.server, base_url=args.base_url
    ) as client:
        try:
            created = client.create_customer_session(**customer, return_url=args.return_url)
        except ValueError as exc:  # pragma: no cover - the options were checked above
            raise UsageError(str(exc)) from None
        session = await created
    out.write(msgspec.json.encode(msgspec.to_builtins(session)).decode() + "\n")
    out.flush()


def explain(exc: PolarError, args: argparse.Namespace) -> str | None:
    """What to say of an error Polar answered to minting a session, in the command's terms
    (the library speaks of arguments, and of customer tokens on a 401); ``None`` for any
    other error."""
    request = exc.request
    if not isinstance(exc, APIStatusError) or request is None:
        return None
    if request.auth is not Auth.ORGANIZATION:
        return None
    path = getattr(args, "access_token_file", None)
    where = path or f"${ACCESS_TOKEN_VARIABLE}"
    code = (json_object(exc.body) or {}).get("error")
    said = f"{exc.status} {code}" if isinstance(code, str) else str(exc.status)
    if exc.status == 401:
        return (
            f"Polar refused the organization access token in {where} ({said}). Check "
            "that it is a current organization access token ('polar_oat_…') of this server: "
            "a sandbox token works only with --server sandbox."
        )
    if isinstance(exc, AmbiguousExternalCustomerIdError):
        return (
            f"Polar could not tell which customer --external-customer-id names ({said}): "
            f"the token in {where} reaches several organizations, and customers of more than "
            "one have that id. Name the customer with --customer-id (Polar's id) instead, use "
            "an organization access token ('polar_oat_…') of the customer's own organization, "
            "or give the customer an external id of its own."
        )
    if exc.status == 403:
        return (
            f"Polar refused to create the customer session ({said}): the organization "
            f"access token in {where} lacks the {_SCOPE} scope. Create a token with it in the "
            "organization's settings."
        )
    if isinstance(exc, RequestValidationError):
        message = str(exc).replace(
            "Polar refused the request", "Polar refused to create the customer session", 1
        )
        message = message.replace("member_id= or external_member_id=", _MEMBER_OPTIONS)
        fields = {str(entry.get("loc", [""])[-1]) for entry in exc.detail}
        named = [field for field in (*_CUSTOMERS, *_MEMBERS) if field in fields]
        if named:
            message += (
                f" Check {_option(named[0])}: it must name a "
                f"{'member of the customer' if named[0] in _MEMBERS else 'customer'} of the "
                "token's organization, on this server (a sandbox customer needs --server "
                "sandbox)."
            )
        return message
    return None


_MEMBER_OPTIONS = "--member-id or --external-member-id"
