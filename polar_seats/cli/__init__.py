"""The ``polar-seats`` command: list claimed subscriptions, mint customer sessions, manage
seats and claim invitations, check the API version and a token before a deploy, or try it
all on a fake server.

One module per command group (``subscriptions``, ``sessions``, ``seats``, ``check``,
``fake``), one table of commands (``commands``), the shared parser, options and exit
statuses (``base``), the credentials (``credentials``), what goes to stdout (``output``)
and to stderr (``report``), and running a command (``app``).
"""

from __future__ import annotations

from .app import main, run
from .base import (
    ACCESS_TOKEN_VARIABLE,
    EXIT_ALREADY_ASSIGNED,
    EXIT_AMBIGUOUS_CUSTOMER,
    EXIT_AUTH,
    EXIT_BUG,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_INVITATION,
    EXIT_LOCKED,
    EXIT_NETWORK,
    EXIT_NO_SEAT,
    EXIT_NOT_FOUND,
    EXIT_OUTCOME_UNKNOWN,
    EXIT_PAYMENT,
    EXIT_PERMISSION,
    EXIT_RATE_LIMIT,
    EXIT_SEAT_COUNT,
    EXIT_USAGE,
    EXIT_VERSION,
    EXIT_VERSION_EXPIRING,
    NO_ACCESS_TOKEN_OPTION,
    NO_TOKEN_OPTION,
    TOKEN_VARIABLE,
    UsageError,
)

__all__ = [
    "ACCESS_TOKEN_VARIABLE",
    "EXIT_ALREADY_ASSIGNED",
    "EXIT_AMBIGUOUS_CUSTOMER",
    "EXIT_AUTH",
    "EXIT_BUG",
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_INVITATION",
    "EXIT_LOCKED",
    "EXIT_NETWORK",
    "EXIT_NOT_FOUND",
    "EXIT_NO_SEAT",
    "EXIT_OUTCOME_UNKNOWN",
    "EXIT_PAYMENT",
    "EXIT_PERMISSION",
    "EXIT_RATE_LIMIT",
    "EXIT_SEAT_COUNT",
    "EXIT_USAGE",
    "EXIT_VERSION",
    "EXIT_VERSION_EXPIRING",
    "NO_ACCESS_TOKEN_OPTION",
    "NO_TOKEN_OPTION",
    "TOKEN_VARIABLE",
    "UsageError",
    "main",
    "run",
]
