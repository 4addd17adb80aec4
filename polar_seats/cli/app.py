"""Running a ``polar-seats`` command: parse, check, run the command the table names, and
turn what it raised into one line on stderr and an exit status."""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import traceback
from collections.abc import Sequence
from typing import TextIO

from .. import (
    AlreadyCanceledSubscriptionError,
    AmbiguousExternalCustomerIdError,
    AuthenticationError,
    InvitationTokenError,
    NetworkError,
    NotASeatBasedSubscriptionError,
    OutcomeUnknownError,
    PaymentRequiredError,
    PermissionDeniedError,
    PolarError,
    RateLimitError,
    SeatAlreadyAssignedError,
    SeatCountError,
    SeatNotAvailableError,
    SeatNotFoundError,
    SubscriptionLockedError,
    VersionNotFoundError,
    versions,
)
from . import base, seats, sessions
from .base import UsageError
from .check import VersionExpiring
from .commands import Command, parser
from .credentials import hidden_values
from .report import scrub
from .versions import VersionRefused, not_served

_OPTION = re.compile(r"--?[a-z][a-z0-9-]{0,30}")
"""How an option is spelled (and no invitation token, 43 characters long, is): what an
unknown argument may be named by."""

# The first class an error is an instance of gives the exit status; any other is a bug.
_EXITS: tuple[tuple[type[Exception], int], ...] = (
    (UsageError, base.EXIT_USAGE),
    (AuthenticationError, base.EXIT_AUTH),
    # A 403, but no other token lifts it: the subscription's own state refuses the count.
    (AlreadyCanceledSubscriptionError, base.EXIT_SEAT_COUNT),
    (PermissionDeniedError, base.EXIT_PERMISSION),
    (RateLimitError, base.EXIT_RATE_LIMIT),
    (NetworkError, base.EXIT_NETWORK),
    (SeatNotAvailableError, base.EXIT_NO_SEAT),
    (SeatAlreadyAssignedError, base.EXIT_ALREADY_ASSIGNED),
    (InvitationTokenError, base.EXIT_INVITATION),
    (seats.InvitationExpired, base.EXIT_INVITATION),
    (seats.SeatMissing, base.EXIT_NOT_FOUND),
    (SeatNotFoundError, base.EXIT_NOT_FOUND),
    (OutcomeUnknownError, base.EXIT_OUTCOME_UNKNOWN),
    (AmbiguousExternalCustomerIdError, base.EXIT_AMBIGUOUS_CUSTOMER),
    (VersionRefused, base.EXIT_VERSION),
    (VersionNotFoundError, base.EXIT_VERSION),
    (VersionExpiring, base.EXIT_VERSION_EXPIRING),
    (SeatCountError, base.EXIT_SEAT_COUNT),
    (NotASeatBasedSubscriptionError, base.EXIT_SEAT_COUNT),
    (PaymentRequiredError, base.EXIT_PAYMENT),
    (SubscriptionLockedError, base.EXIT_LOCKED),
    (PolarError, base.EXIT_ERROR),
)
_EXPLAINED = (seats.explain, sessions.explain)
"""What the commands say of an error Polar answered, in their terms; the first that
speaks of the error says it."""


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    args, unknown = parser().parse_known_args(argv)
    if unknown:
        # argparse would print them all, and one may be a token typed where it does not go:
        # only what is spelled as an option is named (an invitation token may begin with -).
        options = [
            name for name in (arg.partition("=")[0] for arg in unknown) if _OPTION.fullmatch(name)
        ]
        hidden = len(unknown) - len(options)
        said = [f"No such option: {', '.join(options)}"] if options else []
        if hidden:
            said.append(
                f"{hidden} unexpected argument{'s' * (hidden != 1)} (not shown, in case one "
                "is a token)"
            )
        command = " ".join(filter(None, (args.command, getattr(args, "action", None))))
        dashed = (
            ": an invitation token that begins with - goes after --, as in `-- TOKEN`"
            if args.command in seats.CLAIMS and hidden
            else ""
        )
        raise UsageError(
            f"{'; '.join(said)}{dashed}. `polar-seats {command} --help` lists the options."
        )
    return args


def run(
    argv: Sequence[str] | None = None, *, out: TextIO = sys.stdout, err: TextIO = sys.stderr
) -> int:
    """Run the command line with ``argv``; return the exit status."""
    try:
        args = _parse(argv)
    except UsageError as exc:
        err.write(f"polar-seats: {exc}\n")
        return base.EXIT_USAGE
    command: Command = args.entry
    try:
        command.check(args)
        asyncio.run(command.run(args, out, err))
    except BrokenPipeError:
        # The reader (`| head`) went away: stop quietly, and keep Python from complaining
        # again when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        if command.interruptible:
            return 0  # the way to stop it
        err.write("polar-seats: interrupted\n")
        return base.EXIT_INTERRUPTED
    except Exception as exc:
        # scrub(): no message should hold a token, but a body Polar sent back (an excerpt
        # of a session that did not decode) may; and the invitation token read is hidden.
        hidden = hidden_values(args)
        if args.debug:
            err.write(scrub(traceback.format_exc(), hidden))
        status, message = _failure(exc, args)
        err.write(f"polar-seats: {scrub(message, hidden)}\n")
        return status
    return 0


def _failure(exc: Exception, args: argparse.Namespace) -> tuple[int, str]:
    """The exit status and the sentence of an error."""
    for kind, code in _EXITS:
        if isinstance(exc, kind):
            if isinstance(exc, VersionNotFoundError):
                return code, not_served(getattr(args, "polar_version", None) or versions.DEFAULT)
            explained = None
            if isinstance(exc, PolarError):
                explained = next(
                    (said for said in (e(exc, args) for e in _EXPLAINED) if said), None
                )
            return code, explained or str(exc)
    return base.EXIT_BUG, (
        f"internal error, a bug in polar-seats: {type(exc).__name__}: {exc}. "
        "Run again with --debug for the traceback, and report it."
    )


def main() -> None:
    """Entry point of the ``polar-seats`` console script."""
    sys.exit(run())
