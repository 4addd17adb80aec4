"""``polar-seats check``: one cheap request with the credential at hand, so that a deploy
pipeline learns whether Polar serves the API version and accepts the token, and how long
the version has left on Polar's release calendar.

The report goes to stdout whatever the verdict; each problem is one line on stderr, and
the exit status is the first problem's (see the exit statuses in docs/cli.md).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
from datetime import date
from types import SimpleNamespace
from typing import Any, TextIO

import aiohttp

from .. import (
    AuthenticationError,
    BadRequestError,
    PermissionDeniedError,
    VersionNotFoundError,
    versions,
)
from .._protocol import token_kind
from ..versions import Stage
from .base import ACCESS_TOKEN_VARIABLE, TOKEN_VARIABLE, UsageError
from .credentials import (
    CUSTOMER,
    ORGANIZATION,
    TokenOption,
    add_token_file,
    open_client,
    read_token,
)
from .output import Writer, encode
from .versions import VersionRefused, days_left, deprecation, not_served, refusal, when

EXPIRING_DAYS = 30
"""A deprecated version this close to its removal (or closer) fails the check."""
ORGANIZATION_PROBE = "/v1/customer-seats"
"""Asked with neither ``subscription_id`` nor ``order_id``: Polar authenticates the token
and checks its ``customer_seats:read`` scope, then answers 400 without reading anything."""
FORMATS = ("table", "json")

HELP = "tell whether Polar serves the API version and accepts the token, for a deploy"
DESCRIPTION = (
    "Send one cheap request with the credential at hand (a customer or member session "
    f"token: --token-file, else ${TOKEN_VARIABLE}; else an organization access token: "
    f"--access-token-file, else ${ACCESS_TOKEN_VARIABLE}) and report the API version sent, "
    "the one Polar served, the version's stage on Polar's release calendar and the day it "
    "is removed, the token's kind, and whether Polar accepted it. Exits non-zero when the "
    f"version is refused, the token is refused, or the version is deprecated and removed "
    f"within {EXPIRING_DAYS} days; a deprecated version further off is a warning."
)

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_CUSTOMER = dataclasses.replace(
    CUSTOMER,
    instead=f"put it in ${ACCESS_TOKEN_VARIABLE} (or pass --access-token-file) to check it.",
)
_ORGANIZATION = dataclasses.replace(
    ORGANIZATION,
    expected="an organization access token",
    instead=f"put it in ${TOKEN_VARIABLE} (or pass --token-file) to check it.",
)
_NO_CREDENTIAL = (
    f"check needs the credential to check: set {TOKEN_VARIABLE} to a customer or member "
    f"session token ('polar_cst_…', 'polar_mst_…') or pass --token-file PATH; or set "
    f"{ACCESS_TOKEN_VARIABLE} to an organization access token ('polar_oat_…') or pass "
    "--access-token-file PATH."
)


class VersionExpiring(Exception):
    """The version is deprecated, and Polar removes it within `EXPIRING_DAYS` days."""


def day_of(value: str, option: str) -> date:
    """``value`` as a date, or a usage error that names ``option``."""
    if _DAY.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise UsageError(f"{option} takes a date as YYYY-MM-DD, such as 2027-01-08 (got {value!r}).")


def add_options(parser: argparse.ArgumentParser) -> None:
    """The options of ``check``, besides ``--debug`` and the server ones."""
    add_token_file(parser, CUSTOMER, "the customer or member session token")
    add_token_file(parser, ORGANIZATION, "the organization access token")
    parser.add_argument(
        "--on",
        metavar="YYYY-MM-DD",
        help="judge the version on Polar's calendar as of this day instead of today: would "
        "the deploy still work then? (the request is sent today)",
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="table",
        help="table (one row, 80 columns) or json (one line, with the day judged and the "
        "HTTP status too); default table",
    )


def check_options(args: argparse.Namespace) -> None:
    """Refuse what can be refused before a token is read."""
    if args.on is not None:
        day_of(args.on, "--on")
    if args.token_file and args.access_token_file:
        raise UsageError(
            "--token-file and --access-token-file are two credentials: check one at a time."
        )


def _credential(args: argparse.Namespace) -> tuple[str, TokenOption]:
    """The token's kind, and the client's option that sends it: the customer's token first,
    as the seats commands choose."""
    if args.token_file or (
        not args.access_token_file and os.environ.get(TOKEN_VARIABLE, "").strip()
    ):
        token = read_token(args, _CUSTOMER, _NO_CREDENTIAL)
        return _kind(token, "customer"), {"token": token}
    if args.access_token_file or os.environ.get(ACCESS_TOKEN_VARIABLE, "").strip():
        token = read_token(args, _ORGANIZATION, _NO_CREDENTIAL)
        return _kind(token, "organization"), {"organization_token": token}
    raise UsageError(_NO_CREDENTIAL)


def _kind(token: str, otherwise: str) -> str:
    return token_kind(token) or otherwise


@dataclasses.dataclass
class _Answer:
    """The status and ``Polar-Version`` of the last answer, seen on the wire: the library
    returns bodies, and an error's headers only for an error."""

    status: int | None = None
    served: str | None = None

    def trace_config(self) -> aiohttp.TraceConfig:
        config = aiohttp.TraceConfig()
        config.on_request_end.append(self._end)
        return config

    async def _end(
        self, _session: object, _context: SimpleNamespace, params: aiohttp.TraceRequestEndParams
    ) -> None:
        self.status = params.response.status
        self.served = params.response.headers.get("Polar-Version")


async def _probe(
    args: argparse.Namespace, err: TextIO, answer: _Answer, version: str, credential: TokenOption
) -> str | None:
    """Send the one request; a note when Polar accepted the token but the probe showed it
    lacks what the seats commands need."""
    async with open_client(
        args,
        err,
        traces=[answer.trace_config()],
        polar_version=version,
        server=args.server,
        base_url=args.base_url,
        **credential,
    ) as client:
        if "token" in credential:
            await client.introspect_session()
            return None
        try:
            await client.request("GET", ORGANIZATION_PROBE)
        except BadRequestError:
            return None  # what Polar answers an authenticated token with the scope
        except PermissionDeniedError:
            return (
                "Polar accepted the organization access token, but it lacks the "
                "customer_seats:read scope (403 on GET /v1/customer-seats): the seats commands "
                "need it; minting sessions needs customer_sessions:write."
            )
    return None


async def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> None:
    """``polar-seats check``: the report on stdout, a line on stderr per warning, and the
    first problem raised (its exit status is the command's)."""
    today = versions.today()
    day = today if args.on is None else day_of(args.on, "--on")
    version: str = args.polar_version or versions.DEFAULT
    kind, credential = _credential(args)
    answer = _Answer()
    accepted: bool | None = None
    problems: list[Exception] = []
    notes: list[str] = []

    refused_today = refusal(version, today)
    if refused_today is not None:
        problems.append(VersionRefused(refused_today))
    else:
        try:
            note = await _probe(args, err, answer, version, credential)
        except VersionNotFoundError as exc:
            refused = VersionRefused(not_served(version))
            refused.__cause__ = exc
            problems.append(refused)
        except AuthenticationError as exc:
            accepted = False
            problems.append(exc)
        else:
            accepted = True
            if note is not None:
                notes.append(note)
        refused_then = refusal(version, day) if day != today else None
        if refused_then is not None:
            problems.append(VersionRefused(refused_then))

    left = days_left(version, day)
    deprecated = deprecation(version, day)
    if deprecated is not None and left is not None and left <= EXPIRING_DAYS:
        problems.append(VersionExpiring(deprecated))
    elif deprecated is not None:
        notes.append(deprecated)
    notes.extend(_stage_notes(version, day, answer.served))

    entry = versions.known(version)
    row: dict[str, Any] = {
        "version": version,
        "served": answer.served,
        "stage": versions.stage(version, day).value,
        "removed": None if entry is None else entry.removed.isoformat(),
        "days_left": left,
        "token": kind,
        "accepted": accepted,
    }
    if args.format == "json":
        out.write(encode({**row, "on": day.isoformat(), "status": answer.status}).decode() + "\n")
    else:
        writer = Writer("table", out)
        writer.row(row)
        writer.close()
    out.flush()
    for note in notes:
        err.write(f"polar-seats: warning: {note}\n")
    if problems:
        first, *others = problems
        for problem in others:
            err.write(f"polar-seats: {problem}\n")
        raise first


def _stage_notes(version: str, day: date, served: str | None) -> list[str]:
    """What to say of a version Polar serves that a deploy should not rely on, or of an
    answer served as another version."""
    notes: list[str] = []
    entry = versions.known(version)
    stage = versions.stage(version, day)
    if stage is Stage.NEXT and entry is not None:
        notes.append(
            f"Polar-Version {version} is Polar's Next version {when(day)}: in development, its "
            f"shapes may still change until it becomes Current on {entry.current}."
        )
    if entry is None and served == version:
        notes.append(
            f"This release of polar-seats knows API versions up to {versions.CALENDAR[-1].name} "
            f"and may not read the shapes of {version}: upgrade polar-seats."
        )
    if served is not None and served != version:
        notes.append(f"Polar served Polar-Version {served} to a request that asked for {version}.")
    return notes
