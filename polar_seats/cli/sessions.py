"""``polar-seats session create``: mint a customer session with the organization access
token, and what to say when Polar refuses a mint, in the command's terms."""

from __future__ import annotations

import argparse
from typing import TextIO

import msgspec

from .. import (
    AmbiguousExternalCustomerIdError,
    APIStatusError,
    PolarError,
    RequestValidationError,
)
from .._protocol import Auth
from .base import ACCESS_TOKEN_VARIABLE, ended, option_name, problems
from .credentials import (
    CUSTOMER_FIELDS,
    MEMBER_FIELDS,
    SCOPE,
    add_customer_options,
    customer_of,
    open_client,
    organization_token,
)

HELP = "mint a customer session with an organization access token"
DESCRIPTION = "Customer sessions, minted with the organization access token."
CREATE_HELP = "mint a customer session and print it as JSON, its token included"
CREATE_DESCRIPTION = (
    f"Mint a customer (or member) session with the organization access token in "
    f"${ACCESS_TOKEN_VARIABLE} and print it on stdout as one JSON object, every field "
    "included. The session's token IS printed (that is what the command is for), on stdout "
    "only: redirect it to a file only you can read, or pipe it to jq. Nothing of it, nor "
    "the organization token, goes to stderr or the --debug log."
)


def add_options(parser: argparse.ArgumentParser) -> None:
    """The options of ``session create``, besides ``--debug`` and the server ones."""
    add_customer_options(parser, required=True)
    parser.add_argument(
        "--return-url",
        metavar="URL",
        help="where the customer portal's back link leads",
    )


def check(args: argparse.Namespace) -> None:
    """Refuse what can be refused before the token is read."""
    customer_of(args, required=True)


async def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> None:
    """``polar-seats session create``: the session as one JSON object on stdout, token and
    all; nothing of it on stderr."""
    customer = customer_of(args, required=True)
    assert customer is not None
    token = organization_token(args, "Creating a customer session")
    async with open_client(
        args, err, organization_token=token, server=args.server, base_url=args.base_url
    ) as client:
        session = await client.create_customer_session(**customer, return_url=args.return_url)
    out.write(msgspec.json.encode(msgspec.to_builtins(session)).decode() + "\n")
    out.flush()


def explain(exc: PolarError, args: argparse.Namespace) -> str | None:
    """What to say of an error Polar answered to a request with the organization token (a
    mint, for ``session create`` or for a customer option), in the command's terms;
    ``None`` for any other error."""
    request = exc.request
    if not isinstance(exc, APIStatusError) or request is None:
        return None
    if request.auth is not Auth.ORGANIZATION:
        return None
    path = getattr(args, "access_token_file", None)
    where = path or f"${ACCESS_TOKEN_VARIABLE}"
    code = exc.error
    answer = f"{exc.status} {code}" if code else str(exc.status)
    if exc.status == 401:
        return (
            f"Polar refused the organization access token in {where} ({answer}). Check "
            "that it is a current organization access token ('polar_oat_…') of this server: "
            "a sandbox token works only with --server sandbox."
        )
    if isinstance(exc, AmbiguousExternalCustomerIdError):
        return (
            f"Polar could not tell which customer --external-customer-id names ({answer}): "
            f"the token in {where} reaches several organizations, and customers of more than "
            "one have that id. Name the customer with --customer-id (Polar's id) instead, use "
            "an organization access token ('polar_oat_…') of the customer's own organization, "
            "or give the customer an external id of its own."
        )
    if exc.status == 403:
        return (
            f"Polar refused to create the customer session ({answer}): the organization "
            f"access token in {where} lacks the {SCOPE} scope. Create a token with it in the "
            "organization's settings."
        )
    if isinstance(exc, RequestValidationError):
        fields = (*CUSTOMER_FIELDS, *MEMBER_FIELDS)
        listed = problems(exc, {field: option_name(field) for field in fields})
        message = ended(f"Polar refused to create the customer session (422): {listed}")
        named = [field for field in fields if any(field in p.loc for p in exc.problems)]
        if named:
            whose = "member of the customer" if named[0] in MEMBER_FIELDS else "customer"
            message += (
                f" {option_name(named[0])} must name a {whose} of the token's organization, "
                "on this server (a sandbox customer needs --server sandbox)."
            )
        return message
    return None
