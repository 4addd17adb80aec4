"""The seat lifecycle on the command line: ``polar-seats seats
list|assign|revoke|resend|set-count``, with a customer's session token or the
organization's access token, and ``polar-seats claim-info|claim``, with an invitation
token and no credential.

An invitation token has no prefix to recognize it by, as Polar's other tokens have: it is
read from stdin or a file (the command line works too, into the shell's history), and the
command leaves it out of every message, of the ``--debug`` log and of argparse's errors.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import getpass
import os
import re
import stat
import sys
from collections.abc import AsyncGenerator, Callable, Generator, Mapping
from typing import Any, TextIO, TypedDict, cast

import msgspec

from .. import (
    APIStatusError,
    AsyncClient,
    BadRequestError,
    CustomerSeat,
    InvalidArgumentError,
    InvitationTokenError,
    NotFoundError,
    OutcomeUnknownError,
    PermissionDeniedError,
    PolarError,
    RequestValidationError,
    SeatClaimInfo,
    SeatNotFoundError,
    SeatsList,
)
from .._protocol import Auth, token_kind
from .._resources.seats import (
    Person,
    check_invitation_token,
    check_metadata,
    container,
    seat_id_of,
)
from .._resources.subscriptions import check_seats
from .base import (
    ACCESS_TOKEN_VARIABLE,
    TOKEN_VARIABLE,
    Parser,
    RefuseToken,
    UsageError,
    ended,
    fields_of,
    option_name,
    problems,
    said,
    usage,
)
from .credentials import (
    CUSTOMER,
    ORGANIZATION,
    Customer,
    TokenOption,
    add_customer_options,
    add_token_file,
    customer_option,
    hidden_values,
    named_customer,
    open_client,
    organization_token,
    read_token,
)
from .output import FORMATS, Writer, check_field, encode, pick
from .seat_counts import PRORATIONS, bought, counted, proration_refused
from .seat_counts import explain as explain_count
from .seat_counts import row as count_row

SEAT_FIELDS = "id,status,customer_email"
"""What a table of seats shows unless ``--fields`` says otherwise: it fits 80 columns with
the whole id, which ``seats revoke`` and ``seats resend`` take."""
CLAIM_INFO_FIELDS = "product_name,organization_name,customer_email,can_claim"
ONE_FORMATS = ("json", "table")
"""The formats of a command that prints one object."""
ACTIONS = ("list", "assign", "revoke", "resend", "set-count")
CLAIMS = ("claim-info", "claim")
_PERSON = ("email", "customer_id", "external_customer_id", "member_id", "external_member_id")
_PERSON_HELP = (
    "their email",
    "a customer, by Polar's id",
    "a customer, by your own id for them",
    "a member, by Polar's id",
    "a member, by your own id for them",
)
_SCOPES = "customer_seats:read and customer_seats:write"
_STDIN = "-"
_DOING = {
    "list_seats": "list the seats",
    "assign_seat": "assign the seat",
    "revoke_seat": "revoke the seat",
    "resend_invitation": "resend the invitation",
    "get_claim_info": "read the invitation",
    "claim_seat": "claim the seat",
    "get_subscription": "read the subscription",
    "update_seats": "change the seat count",
}
"""What each seat operation does, by its name (the client's method), for "Polar refused
to …"."""
_COUNTING = ("get_subscription", "update_seats")
"""The operations on a subscription's seat count, which take the subscriptions scopes."""


def _credentials(does: str, alone: str) -> str:
    """The credentials of a seats command that can act for a customer: what the customer's
    token ``does`` in the portal, and what the organization token does ``alone``."""
    return (
        f"Credentials, never on the command line: a customer session token (--token-file, "
        f"else ${TOKEN_VARIABLE}) {does} in the customer portal. --external-customer-id or "
        f"--customer-id act for that customer with the organization access token "
        f"(--access-token-file, else ${ACCESS_TOKEN_VARIABLE}), minting its session first. "
        f"The organization access token alone {alone}. With both variables set and no "
        f"option, the customer session token is used."
    )


CREDENTIALS = _credentials(
    "manages that customer's seats",
    f"manages the seats of every subscription of the organization (scopes {_SCOPES})",
)
COUNT_CREDENTIALS = _credentials(
    "changes that customer's seat count, with the organization's default proration,",
    "changes the seat count of every subscription of the organization (scopes "
    "subscriptions:read and subscriptions:write), and only it takes --proration-behavior",
)
ASSIGN_CREDENTIALS = (
    f"Credentials, never on the command line: a customer session token (--token-file, else "
    f"${TOKEN_VARIABLE}) assigns that customer's seats in the customer portal; the "
    f"organization access token (--access-token-file, else ${ACCESS_TOKEN_VARIABLE}) "
    f"assigns the seats of every subscription of the organization (scopes {_SCOPES}). "
    f"With both variables set and no option, the customer session token is used. The "
    f"customer options here name the person the seat is for, not a customer to act for."
)
EPILOG = {
    "list": CREDENTIALS,
    "assign": ASSIGN_CREDENTIALS,
    "revoke": CREDENTIALS,
    "resend": CREDENTIALS,
    "set-count": COUNT_CREDENTIALS,
}
"""What ``--help`` of each seats command ends with: which credential it uses."""
_INVITATION_HELP = (
    "The invitation token is a secret: pass - to read it from stdin (asked for without "
    "echo at a terminal) or --invitation-token-file PATH; given as TOKEN it lands in the "
    "shell's history. A token that begins with '-' goes after --, as in `-- TOKEN`. It is "
    "never printed, logged by --debug, or shown in an error."
)
HELP = {
    "list": "print every seat of a subscription or order",
    "assign": "give a seat to a person; Polar emails them an invitation",
    "revoke": "revoke a seat, looked up in its subscription's list first",
    "resend": "email a pending seat's invitation again",
    "set-count": "buy or release seats: set a subscription's seat count",
    "claim-info": "show what an invitation is for, without claiming it (no credential)",
    "claim": "claim the seat of an invitation (no credential)",
}
DESCRIPTION = {
    "list": "Print every seat row of the subscription --subscription-id names (or of the "
    "one-time order --order-id names): pending, claimed and revoked ones, one JSON object a "
    "line by default. --format json prints Polar's whole answer, available_seats and "
    "total_seats included; a table ends with how many seats are free.",
    "assign": "Give a seat of the subscription (or order) to a person, named by --email or "
    "by an id; Polar emails them an invitation, or claims the seat at once with "
    "--immediate-claim. Prints the seat. When an answer is lost, the seats are read to see "
    "whether the person got one before the assign is sent again; a person named by "
    "--external-customer-id alone cannot be found so, and the command exits 11.",
    "revoke": "Revoke a seat: its holder loses access and the row is free for the next "
    "person. Prints the seat. --subscription-id (or --order-id) is required: Polar cannot "
    "read one seat by id, so the seat is looked up in that list first. An id that is not "
    "there is refused (exit 10) before anything is sent, and after a lost answer the row "
    "is read again and revoked again only while it holds the same person, never the next "
    "one Polar gave the row to. A seat already revoked is printed as it is, and nothing "
    "is sent.",
    "resend": "Email a pending seat's invitation again: the same link, with the same expiry. "
    "Prints the seat. The seat is looked up in the list --subscription-id (or --order-id) "
    "names first, as for revoke, so an invitation that has expired is refused (exit 9) "
    "before any email goes out: revoke the seat and assign it again for a new one. Never "
    "sent twice: a lost answer exits 11.",
    "set-count": "Set the seat count of the subscription --subscription-id names to N: "
    "Polar charges or credits the difference by the proration the organization chose, or "
    "by --proration-behavior (the organization token alone): invoice charges now, prorate "
    "on the next invoice, next_period changes the count at the period's end (a pending "
    "change). Prints the subscription. Fewer seats than are assigned is refused: revoke "
    "seats first. The count the subscription has already changes nothing, but cancels a "
    "pending change. When the answer is lost, the subscription is read and "
    "the change sent again only while it still holds the count it had; anything else "
    "exits 11.",
    "claim-info": "Show what an invitation is for (product, organization, email) without "
    f"claiming it; it needs no credential and changes nothing. {_INVITATION_HELP}",
    "claim": "Claim the seat of an invitation, and print the seat; it needs no credential, "
    "and the invitation works once. Polar answers with a member session token for the new "
    "holder (a secret, an hour long): it is printed only with --show-session-token, and "
    "--session-token-file writes it to a file only you can read, which `polar-seats list "
    "--token-file PATH` then takes. Without either it is dropped; `polar-seats session "
    f"create` can mint another with the organization token. {_INVITATION_HELP}",
}


class RefuseInvitationToken(RefuseToken):
    """``--token`` on ``claim``: where the invitation token goes instead."""

    message = (
        "There is no --token option: the invitation token goes on stdin (TOKEN -, asked "
        "for without echo at a terminal), in a file (--invitation-token-file PATH), or as "
        "the TOKEN argument, which lands in the shell's history."
    )


class RefuseTokenFile(RefuseToken):
    """``--token-file`` on ``claim``: no credential goes there."""

    message = (
        "claim-info and claim need no credential, so they take no --token-file: the "
        "invitation token comes from --invitation-token-file PATH, from stdin (TOKEN -), or "
        "as the TOKEN argument."
    )


class SeatMissing(Exception):
    """The seat, or what the command names, is not there for the credential used."""


class InvitationExpired(Exception):
    """The invitation of the seat to resend has expired: no email would help."""


def add_options(parser: Parser, action: str) -> None:
    """The options of ``seats ACTION``, or of ``claim-info`` and ``claim``, besides
    ``--debug`` and the server ones."""
    if action in CLAIMS:
        _add_claim_options(parser, action)
        return
    if action in ("revoke", "resend"):
        parser.add_argument("seat_id", metavar="SEAT_ID", help="the seat, by Polar's id")
    if action == "set-count":
        parser.add_argument("seats", metavar="N", help="the seat count to set, 1 or more")
        parser.add_argument_group("the subscription").add_argument(
            "--subscription-id", metavar="ID", required=True, help="the subscription"
        )
        parser.set_defaults(order_id=None)
    else:
        where = parser.add_argument_group("the seats").add_mutually_exclusive_group(required=True)
        where.add_argument("--subscription-id", metavar="ID", help="a subscription's seats")
        where.add_argument("--order-id", metavar="ID", help="a one-time order's seats")
    if action == "assign":
        _add_person_options(parser)
        parser.add_argument(
            "--add-seat-if-full",
            action="store_true",
            help="when Polar finds no seat free, buy one more, then assign it (a subscription's "
            "seats only; never more than one seat a run; the organization token needs the "
            "subscriptions:write scope too)",
        )
        add_token_file(parser, CUSTOMER, "the customer session token")
        add_token_file(parser, ORGANIZATION, "the organization access token")
    else:
        add_token_file(parser, CUSTOMER, "the customer session token")
        add_customer_options(
            parser,
            required=False,
            description="Act for this customer (or a member of it) with the organization "
            f"access token in ${ACCESS_TOKEN_VARIABLE} (or --access-token-file), which mints "
            f"its session; ${TOKEN_VARIABLE} is then ignored.",
        )
    if action == "set-count":
        parser.add_argument(
            "--proration-behavior",
            choices=PRORATIONS,
            help="invoice (charged now), prorate (on the next invoice) or next_period (the "
            "count changes at the period's end); the organization token alone; default the "
            "organization's",
        )
        parser.add_argument(
            "--format",
            choices=ONE_FORMATS,
            default="json",
            help="json (the subscription, one line) or table (id, status, seats, "
            "pending_change); default json",
        )
    elif action == "list":
        _add_output_options(parser, FORMATS, "jsonl", "a seat")
    else:
        _add_output_options(parser, ONE_FORMATS, "json", "a seat")


def _add_person_options(parser: Parser) -> None:
    person = parser.add_argument_group(
        "the person the seat is for",
        "One of --email, --customer-id, --external-customer-id or --member-id; or "
        "--external-member-id, with --email too for a member Polar does not know yet.",
    )
    for name, described in zip(_PERSON, _PERSON_HELP, strict=True):
        person.add_argument(
            option_name(name),
            dest=f"person_{name}",
            metavar="EMAIL" if name == "email" else "ID",
            help=described,
        )
    person.add_argument(
        "--metadata",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="kept on the seat, VALUE as a string; repeat for more (10 keys, 1024 bytes at most)",
    )
    person.add_argument(
        "--immediate-claim",
        action="store_true",
        help="claim the seat at once, with no invitation email",
    )


def _add_claim_options(parser: Parser, action: str) -> None:
    parser.hides_values = True
    parser.add_argument(
        "token",
        nargs="?",
        metavar="TOKEN",
        help="the invitation token, or - to read it from stdin",
    )
    parser.add_argument(
        "--invitation-token-file",
        metavar="PATH",
        help="read the invitation token from this file (- for stdin)",
    )
    parser.add_argument("--token-file", nargs="?", action=RefuseTokenFile, help=argparse.SUPPRESS)
    if action == "claim":
        parser.add_argument(
            "--show-session-token",
            action="store_true",
            help="print the new holder's session token too (a secret, valid for an hour)",
        )
        parser.add_argument(
            "--session-token-file",
            metavar="PATH",
            help="write the session token to PATH, readable by you alone (mode 600)",
        )
        _add_output_options(parser, ONE_FORMATS, "json", "a seat")
    else:
        _add_output_options(parser, ONE_FORMATS, "json", "an invitation")


def _add_output_options(parser: Parser, formats: tuple[str, ...], default: str, what: str) -> None:
    invitation = what == "an invitation"
    table = CLAIM_INFO_FIELDS if invitation else SEAT_FIELDS
    shapes = {
        "jsonl": "jsonl (one seat a line)",
        "json": "json (Polar's whole answer, one object)"
        if "csv" in formats
        else "json (one line)",
        "csv": "csv (nested fields with dotted names)",
        "table": "table (80 columns)",
    }
    parser.add_argument(
        "--format",
        choices=formats,
        default=default,
        help=f"{', '.join(shapes[kind] for kind in formats)}; default {default}",
    )
    parser.add_argument(
        "--fields",
        metavar="A,B.C",
        help=f"comma-separated fields of {what} to print"
        + ("" if invitation else ", dotted for nested ones (member.email)")
        + f"; default every field, or {table} in a table; '' for every field",
    )


# Before anything is read or sent ---------------------------------------------------------


def check(args: argparse.Namespace) -> None:
    """Refuse what the library or the model would, before a token is read."""
    if getattr(args, "action", None) == "set-count":
        _check_count(args)
        return
    if args.command == "claim-info":
        _check_fields(args, SeatClaimInfo, "an invitation")
    else:
        _check_fields(args, CustomerSeat, "a seat")
    if args.command in CLAIMS:
        if args.token is None and args.invitation_token_file is None:
            raise UsageError(
                "Give the invitation token: - to read it from stdin (asked for without echo "
                "at a terminal), --invitation-token-file PATH, or as the TOKEN argument."
            )
        if args.token is not None and args.invitation_token_file is not None:
            raise UsageError(
                "Give the invitation token one way: as TOKEN or with --invitation-token-file, "
                "not both."
            )
        if getattr(args, "session_token_file", None) == "":
            raise UsageError("--session-token-file is empty: give the path of a file.")
        return
    _container(args)
    if args.action in ("revoke", "resend"):
        try:
            seat_id_of(args.seat_id)
        except InvalidArgumentError as exc:
            raise usage(exc, {"seat": "SEAT_ID"}) from None
    if args.action == "assign":
        _person(args)
        _metadata(args)
        if args.add_seat_if_full and args.order_id is not None:
            raise UsageError(
                "--add-seat-if-full buys a seat of a subscription, and a one-time order's "
                "seats cannot grow: pass --subscription-id, or leave --add-seat-if-full out."
            )


def _check_count(args: argparse.Namespace) -> None:
    """``seats set-count``: the subscription, N, and a proration only the organization
    token alone may give."""
    _container(args)
    _seat_count(args)
    if args.proration_behavior is not None:
        customer = named_customer(args)
        if customer is not None or _session_token_given(args):
            option = None if customer is None else customer_option(customer)
            raise UsageError(proration_refused(args, option))


def _seat_count(args: argparse.Namespace) -> int:
    """N of ``seats set-count``, checked as the library checks it."""
    given: str = args.seats
    if not re.fullmatch(r"[+-]?[0-9]+", given.strip()):
        raise UsageError(f"N is the seat count to set, a whole number from 1 (got {given!r}).")
    try:
        return check_seats(int(given))
    except InvalidArgumentError as exc:
        raise usage(exc, {"seats": "N"}) from None


def _check_fields(args: argparse.Namespace, model: type[msgspec.Struct], what: str) -> None:
    for field in _fields(args) or ():
        check_field(field, model, what)


def _fields(args: argparse.Namespace) -> list[str] | None:
    """The ``--fields`` asked for; ``None`` for every field."""
    if args.fields is not None:
        return fields_of(args.fields) or None
    if args.format == "table":
        table = CLAIM_INFO_FIELDS if args.command == "claim-info" else SEAT_FIELDS
        return list(table.split(","))
    return None


class Where(TypedDict, total=False):
    """The seats a command names, as ``list_seats()`` and ``assign_seat()`` take them."""

    subscription_id: str
    order_id: str


class Named(TypedDict, total=False):
    """The person ``seats assign`` names, as ``assign_seat()`` takes them."""

    email: str
    customer_id: str
    external_customer_id: str
    member_id: str
    external_member_id: str


def _container(args: argparse.Namespace) -> Where:
    """``subscription_id=`` or ``order_id=``, checked as the library checks it."""
    try:
        name, value = container(args.subscription_id, args.order_id)
    except InvalidArgumentError as exc:
        raise usage(exc) from None
    return cast("Where", {name: value})


def _person(args: argparse.Namespace) -> Named:
    """Whom ``seats assign`` names, checked by Polar's rules."""
    named: dict[str, str] = {}
    for name in _PERSON:
        value: str | None = getattr(args, f"person_{name}")
        if value is not None and not value.strip():
            what = "address" if name == "email" else "id"
            raise UsageError(f"{option_name(name)} is empty: give the {what}.")
        if value is not None:
            named[name] = value
    if not named:
        options = [option_name(name) for name in _PERSON]
        raise UsageError(
            f"Name the person the seat is for: {', '.join(options[:-1])} or {options[-1]}."
        )
    try:
        Person(**named).check()
    except InvalidArgumentError as exc:
        raise usage(exc) from None
    return cast("Named", named)


def _metadata(args: argparse.Namespace) -> dict[str, Any] | None:
    """``--metadata KEY=VALUE ...`` as a dict, checked by Polar's limits."""
    if not args.metadata:
        return None
    metadata: dict[str, Any] = {}
    for given in args.metadata:
        key, sign, value = given.partition("=")
        if not sign or not key:
            raise UsageError(f"--metadata takes KEY=VALUE (got {given!r}).")
        if key in metadata:
            raise UsageError(f"--metadata {key} is given twice: give each key once.")
        metadata[key] = value
    try:
        return check_metadata(metadata)
    except InvalidArgumentError as exc:
        raise usage(exc) from None


# Credentials ----------------------------------------------------------------------------

SEAT_CUSTOMER = dataclasses.replace(
    CUSTOMER,
    instead=f"put it in {ACCESS_TOKEN_VARIABLE} (or pass --access-token-file), which manages "
    "the seats of every subscription of the organization.",
)
SEAT_ORGANIZATION = dataclasses.replace(
    ORGANIZATION,
    instead=f"put it in {TOKEN_VARIABLE} (or pass --token-file) to manage that customer's "
    f"seats, or use an organization token with the {_SCOPES} scopes.",
)
_NO_CREDENTIAL = (
    f"Managing seats needs a credential: set {TOKEN_VARIABLE} to a customer session token "
    f"('polar_cst_…') or pass --token-file PATH; or set {ACCESS_TOKEN_VARIABLE} to an "
    f"organization access token ('polar_oat_…', with the {_SCOPES} scopes) or pass "
    "--access-token-file PATH. `polar-seats serve-fake` prints tokens of a fake server to try "
    "it with."
)


@dataclasses.dataclass(frozen=True)
class Credential:
    """What a seats command sends: the client's token option, and the customer it acts for."""

    options: TokenOption
    """``token=`` or ``organization_token=``, for ``AsyncClient``."""
    customer: Customer | None
    """The customer a view acts for with the organization token, as ``for_customer()``
    takes it; ``None`` for the client's own credential."""
    whose: str
    """Whose seats the credential reaches, for a message."""


def credential(args: argparse.Namespace) -> Credential:
    """The credential the options and the environment give, by the rules of docs/cli.md:
    a customer option, else the file options, else the variables, the customer's first."""
    customer = None if args.action == "assign" else named_customer(args)
    if customer is not None:
        option = customer_option(customer)
        if args.token_file:
            raise UsageError(
                f"--token-file and {option} both say whose seats these are: pass --token-file "
                f"for a customer session token you have, or {option} to mint one with the "
                "organization token, not both."
            )
        token = organization_token(args, option)
        return Credential({"organization_token": token}, customer, f"the customer {option} names")
    if args.token_file and args.access_token_file:
        raise UsageError(
            "--token-file and --access-token-file are two credentials: pass the file of the "
            "customer session token or of the organization access token, not both."
        )
    if _session_token_given(args):
        token = read_token(args, SEAT_CUSTOMER, _NO_CREDENTIAL)
        return Credential({"token": token}, None, "the customer of the session token")
    if args.access_token_file or os.environ.get(ACCESS_TOKEN_VARIABLE, "").strip():
        token = read_token(args, SEAT_ORGANIZATION, _NO_CREDENTIAL)
        return Credential(
            {"organization_token": token}, None, "the organization of the access token"
        )
    raise UsageError(_NO_CREDENTIAL)


def _session_token_given(args: argparse.Namespace) -> bool:
    """Whether, with no customer option, the customer session token is the credential:
    ``--token-file``, else its variable unless ``--access-token-file`` is given."""
    return bool(
        args.token_file
        or (not args.access_token_file and os.environ.get(TOKEN_VARIABLE, "").strip())
    )


@contextlib.asynccontextmanager
async def _seats_client(
    args: argparse.Namespace, err: TextIO
) -> AsyncGenerator[tuple[AsyncClient, Credential]]:
    """The client (or the customer view) the credential gives; Polar's 404 for an id the
    command names as `SeatMissing`."""
    who = credential(args)
    where = {"server": args.server, "base_url": args.base_url}
    async with open_client(args, err, **where, **who.options) as client:
        try:
            yield (client if who.customer is None else client.for_customer(**who.customer)), who
        except NotFoundError as exc:
            request = exc.request
            if exc.error is None or request is None or request.operation not in _DOING:
                raise  # a path this server does not have: not about an id
            said = _not_found(exc, args, who)
            if exc.bought is not None:  # --add-seat-if-full bought one before the 404
                said += bought(exc, exc.bought)
            raise SeatMissing(said) from exc


def _not_found(exc: NotFoundError, args: argparse.Namespace, who: Credential) -> str:
    answer = f"404 {exc.error}" + (f": {exc.detail}" if isinstance(exc.detail, str) else "")
    kind, value = next(iter(_container(args).items()))
    noun = kind.removesuffix("_id")
    if exc.request is not None and exc.request.operation in ("revoke_seat", "resend_invitation"):
        return (
            f"Polar found no seat {args.seat_id} ({answer}), though the list of {noun} {value} "
            f"had it a moment ago; `polar-seats seats list {option_name(kind)} {value}` shows the "
            "seats now."
        )
    if exc.error in ("CustomerNotFound", "MemberNotFound"):
        named = [option_name(name) for name in _PERSON if getattr(args, f"person_{name}", None)]
        return (
            f"Polar found no such person ({answer}): check {' and '.join(named)}; it must name "
            "a customer of the organization, or a member of the subscription's customer, on "
            "this server (a sandbox one needs --server sandbox)."
        )
    owner = "that customer's" if "token" in who.options or who.customer else "that organization's"
    return (
        f"Polar found no {noun} {value} ({answer}) for {who.whose}. Check {option_name(kind)}: it "
        f"must be one of {owner}, on this server (a sandbox {noun} needs --server sandbox)."
    )


# The commands ---------------------------------------------------------------------------


async def run_list(args: argparse.Namespace, out: TextIO, err: TextIO) -> None:
    """``polar-seats seats list``."""
    where = _container(args)
    # A table of a subscription's seats also tells its pending change (one more read).
    subscription_id = where.get("subscription_id") if args.format == "table" else None
    async with _seats_client(args, err) as (client, _):
        seats = await client.list_seats(**where)
        count = await counted(client, subscription_id) if subscription_id else ""
    fields = _fields(args)
    rows = [_row(seat, fields) for seat in seats.seats]
    if args.format == "json":
        whole = {
            "seats": rows,
            "available_seats": seats.available_seats,
            "total_seats": seats.total_seats,
        }
        out.write(encode(whole).decode() + "\n")
    else:
        writer = Writer(args.format, out)
        for row in rows:
            writer.row(row)
        writer.close()
        if args.format == "table":
            out.write(("\n" if rows else "") + _summary(seats, count) + "\n")
    out.flush()


def _summary(seats: SeatsList, count: str) -> str:
    """The line under a table of seats: how many are free, how the rows stand, and what
    ``count`` says of a subscription's seat count."""
    counts: dict[str, int] = {}
    for seat in seats.seats:
        counts[seat.status] = counts.get(seat.status, 0) + 1
    free = f"{seats.available_seats} of {seats.total_seats} seats available"
    if not counts:
        return f"{free}; none assigned yet{count}."
    rows = ", ".join(f"{number} {status}" for status, number in counts.items())
    return f"{free} ({rows}){count}."


async def run_assign(args: argparse.Namespace, out: TextIO, err: TextIO) -> None:
    """``polar-seats seats assign``."""
    async with _seats_client(args, err) as (client, _):
        seat = await client.assign_seat(
            **_container(args),
            **_person(args),
            metadata=_metadata(args),
            immediate_claim=args.immediate_claim,
            add_seat_if_full=args.add_seat_if_full,
        )
    _print_one(args, _row(seat, _fields(args)), out)


async def run_revoke(args: argparse.Namespace, out: TextIO, err: TextIO) -> None:
    """``polar-seats seats revoke``: the library looks the seat up in its subscription or
    order, so that a lost answer is reconciled against the seat's holder."""
    async with _seats_client(args, err) as (client, _):
        seat = await client.revoke_seat(args.seat_id, **_container(args))
    _print_one(args, _row(seat, _fields(args)), out)


async def run_resend(args: argparse.Namespace, out: TextIO, err: TextIO) -> None:
    """``polar-seats seats resend``: looked up first, so an expired invitation is refused
    before any email."""
    async with _seats_client(args, err) as (client, _):
        try:
            seat = await client.resend_invitation(args.seat_id, **_container(args))
        except InvalidArgumentError as exc:  # the invitation expired: refused before sending
            kind, value = next(iter(_container(args).items()))
            raise InvitationExpired(
                f"{exc} On the command line: `polar-seats seats revoke {args.seat_id} "
                f"{option_name(kind)} {value}`, then `polar-seats seats assign`."
            ) from None
    _print_one(args, _row(seat, _fields(args)), out)


async def run_set_count(args: argparse.Namespace, out: TextIO, err: TextIO) -> None:
    """``polar-seats seats set-count``: the subscription is read first, so that after a lost
    answer the library knows what it held, and reports a count someone else changed
    meanwhile rather than overwrite it."""
    async with _seats_client(args, err) as (client, _):
        before = await client.get_subscription(args.subscription_id)
        subscription = await client.update_seats(
            before, _seat_count(args), proration_behavior=args.proration_behavior
        )
    table = args.format == "table"
    _print_one(args, count_row(subscription) if table else _row(subscription, None), out)


async def run_claim_info(args: argparse.Namespace, out: TextIO, err: TextIO) -> None:
    """``polar-seats claim-info``."""
    token = _invitation(args, err)
    async with open_client(args, err, server=args.server, base_url=args.base_url) as client:
        info = await client.get_claim_info(token)
    _print_one(args, _row(info, _fields(args)), out)


async def run_claim(args: argparse.Namespace, out: TextIO, err: TextIO) -> None:
    """``polar-seats claim``."""
    token = _invitation(args, err)
    with _session_file(args.session_token_file) as keep:
        async with open_client(args, err, server=args.server, base_url=args.base_url) as client:
            claim = await client.claim_seat(token)
        session = claim.customer_session_token
        hidden_values(args).append(session)
        keep(session)
    seat = _row(claim.seat, _fields(args))
    if args.format == "json":
        shown = {"customer_session_token": session} if args.show_session_token else {}
        out.write(encode({"seat": seat, **shown}).decode() + "\n")
    else:
        _print_one(args, seat, out)
        if args.show_session_token:
            out.write(f"\nSession token: {session}\n")
    out.flush()


def _row(model: msgspec.Struct, fields: list[str] | None) -> dict[str, Any]:
    data: dict[str, Any] = msgspec.to_builtins(model)
    return data if fields is None else pick(data, fields)


def _print_one(args: argparse.Namespace, data: dict[str, Any], out: TextIO) -> None:
    """One object: a JSON line, or a table of one row."""
    if args.format == "json":
        out.write(encode(data).decode() + "\n")
        out.flush()
        return
    writer = Writer("table", out)
    writer.row(data)
    writer.close()


# The invitation token, and the session a claim mints --------------------------------------


def _invitation(args: argparse.Namespace, err: TextIO) -> str:
    """The invitation token, from TOKEN, stdin or a file; checked, never shown."""
    path: str | None = args.invitation_token_file
    if path is None and args.token != _STDIN:
        token: str = args.token
        source, given = "given as TOKEN", "TOKEN"
    elif _STDIN in (path, args.token):
        token = _read_stdin(err)
        source, given = "from stdin", "stdin"
    else:
        assert path is not None
        token = _read_invitation_file(path)
        source, given = "in --invitation-token-file", "--invitation-token-file"
    hidden_values(args).append(token)
    if token_kind(token) is not None:
        raise UsageError(
            f"The invitation token {source} is a Polar API token (not shown), not an "
            "invitation token: pass the token of the invitation link, which has no prefix."
        )
    try:
        return check_invitation_token(token)
    except InvalidArgumentError as exc:
        raise usage(exc, {"invitation_token": given}) from None


def _read_stdin(err: TextIO) -> str:
    stdin = sys.stdin
    if stdin is not None and stdin.isatty():
        return getpass.getpass("Invitation token (not echoed): ", stream=err).strip()
    return "" if stdin is None else stdin.read(4096).strip()


def _read_invitation_file(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as file:
            return file.read(4096).strip()
    except OSError as exc:
        # An invitation token has no '/' and no '.': a path without either may be one.
        shown = path if "/" in path or "." in path else "not shown, in case it is the token"
        raise UsageError(
            f"Cannot read --invitation-token-file: {exc.strerror} ({shown}); the option takes "
            "the path of a file that holds the token."
        ) from None
    except UnicodeDecodeError:
        raise UsageError(f"--invitation-token-file {path} holds no text.") from None


@contextlib.contextmanager
def _session_file(path: str | None) -> Generator[Callable[[str], None]]:
    """A function that keeps the session token in ``path`` (mode 600). The file is opened
    before the claim, so that a path it cannot write fails before the invitation is spent;
    one it created is removed again if the claim fails."""
    if path is None:
        yield lambda token: None
        return
    existed = os.path.lexists(path)
    try:
        file = open(  # noqa: SIM115 - kept open across the claim
            os.open(path, os.O_WRONLY | os.O_CREAT, stat.S_IRUSR | stat.S_IWUSR),
            "w",
            encoding="utf-8",
        )
    except OSError as exc:
        raise UsageError(
            f"Cannot write --session-token-file: {exc.strerror} ({path}). Nothing was claimed."
        ) from None
    kept = False

    def keep(token: str) -> None:
        nonlocal kept
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
        file.truncate(0)
        file.write(token + "\n")
        file.flush()
        kept = True

    try:
        yield keep
    finally:
        file.close()
        if not kept and not existed:
            with contextlib.suppress(OSError):
                os.unlink(path)


# Errors, in the command's terms ------------------------------------------------------------


def explain(exc: PolarError, args: argparse.Namespace) -> str | None:
    """What to say of an error of a seat request, in the command's terms, from the error's
    fields (the library's messages speak of its calls and arguments); ``None`` for any
    other request, and for an error whose own message says it."""
    request = exc.request
    if request is None or request.operation not in _DOING:
        return None
    explained = _explain(exc, request.operation, args)
    if exc.bought is None:
        return explained
    return f"{explained or exc}{bought(exc, exc.bought)}"


def _explain(exc: PolarError, operation: str, args: argparse.Namespace) -> str | None:
    doing = _DOING[operation]
    if operation == "update_seats" and args.action == "assign":
        doing = "buy a seat for --add-seat-if-full"
    if operation in _COUNTING and isinstance(exc, APIStatusError):
        counted = explain_count(exc, args, f"Polar refused to {doing} ({said(exc)}).")
        if counted is not None:
            return counted
    if isinstance(exc, PermissionDeniedError):
        return _forbidden(exc, doing, args)
    if isinstance(exc, RequestValidationError):
        return ended(f"Polar refused to {doing} (422): {problems(exc, _FILLED)}")
    if isinstance(exc, InvitationTokenError):
        return f"Polar refused to {doing} ({said(exc)}): {_DEAD_INVITATION}"
    if isinstance(exc, BadRequestError):
        advice = _ADVICE.get(exc.error or "")
        return f"Polar refused to {doing} ({said(exc)})." + (f" {advice}" if advice else "")
    if isinstance(exc, OutcomeUnknownError):
        # What the library found, with the command's next step (its advice names Python calls).
        return f"{exc.finding} {_after_lost(operation, args)}"
    if isinstance(exc, SeatNotFoundError):
        return _seat_not_found(exc)
    return None


def _seat_not_found(exc: SeatNotFoundError) -> str:
    kind, value = exc.where
    noun = kind.removesuffix("_id")
    if exc.seat_count == 0:
        return (
            f"Seat {exc.seat_id} is not a seat of {noun} {value}, which has none assigned; "
            "nothing was sent."
        )
    rows = f"{exc.seat_count} seat{'s' * (exc.seat_count != 1)}"
    return (
        f"Seat {exc.seat_id} is not among the {rows} of {noun} {value}; nothing was sent. "
        f"`polar-seats seats list {option_name(kind)} {value}` lists them."
    )


_FILLED: Mapping[str, str] = {
    name: option_name(name)
    for name in ("subscription_id", "order_id", *_PERSON, "metadata", "proration_behavior")
} | {"seats": "N"}
"""The fields of a seat request the command's options fill, by the option."""
_DEAD_INVITATION = (
    "the invitation is invalid, expired, revoked or already claimed; a new one takes "
    "`polar-seats seats revoke` and `polar-seats seats assign`."
)
_ADVICE = {
    "SeatNotAvailable": "Every seat is taken (or the order is unpaid): revoke one with "
    "`polar-seats seats revoke`, or buy more seats.",
    "SeatAlreadyAssigned": "The person already holds a pending or claimed seat there: "
    "`polar-seats seats list` shows it.",
    "SeatNotPending": "Only a pending seat has an invitation to resend; `polar-seats seats "
    "list` shows the seat's status.",
}
"""What to do about Polar's 400s, by its ``error``."""


def _after_lost(operation: str, args: argparse.Namespace) -> str:
    """The command that shows where things stand after a write whose answer was lost."""
    if operation == "claim_seat":
        return (
            "`polar-seats claim-info` tells whether the invitation is still good; "
            "`polar-seats session create` mints a session for the seat's holder with the "
            "organization token."
        )
    kind, value = next(iter(_container(args).items()))
    listed = f"`polar-seats seats list {option_name(kind)} {value}"
    if operation != "update_seats":
        return f"{listed}` shows the seats now."
    shown = f"{listed} --format table` shows the seats, their count and any pending change now"
    if args.action == "assign":
        return f"{shown}. Running the assign again is safe: it buys a seat only while none is free."
    return f"{shown}."


def _forbidden(exc: PermissionDeniedError, doing: str, args: argparse.Namespace) -> str:
    answer = f"403 {exc.error}" if exc.error else "403"
    detail = f": {exc.detail}" if isinstance(exc.detail, str) else ""
    request = exc.request
    if request is not None and request.auth is Auth.ORGANIZATION:
        kind = "subscriptions" if request.operation in _COUNTING else "customer_seats"
        scope = f"{kind}:read" if request.method == "GET" else f"{kind}:write"
        where = args.access_token_file or f"${ACCESS_TOKEN_VARIABLE}"
        return (
            f"Polar refused to {doing} ({answer}): the organization access token in {where} "
            f"lacks the {scope} scope. Create a token with it in the organization's settings."
        )
    return (
        f"Polar refused to {doing} ({answer}{detail}): only the customer, or a member who is its "
        "owner or billing manager, may change its seats. Use the session of one of them, or "
        f"the organization access token (${ACCESS_TOKEN_VARIABLE})."
    )
