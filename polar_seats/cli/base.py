"""What every ``polar-seats`` command shares: its exit statuses, its parser, the options
each command takes (``--debug``, the server ones, the refusal of ``--token``), and the
library's errors in the command's terms, built from their fields."""

from __future__ import annotations

import argparse
import re
import textwrap
from collections.abc import Mapping
from typing import Any, NoReturn, Protocol

from .. import APIStatusError, InvalidArgumentError, RequestValidationError
from .versions import add_version_option

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
DEBUG_HELP = (
    "log every request and answer on stderr (the tokens redacted) and show the traceback of "
    "an error"
)

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_RATE_LIMIT = 4
EXIT_NETWORK = 5
EXIT_PERMISSION = 6
EXIT_NO_SEAT = 7
EXIT_ALREADY_ASSIGNED = 8
EXIT_INVITATION = 9
EXIT_NOT_FOUND = 10
EXIT_OUTCOME_UNKNOWN = 11
EXIT_AMBIGUOUS_CUSTOMER = 12
EXIT_VERSION = 13
EXIT_VERSION_EXPIRING = 14
EXIT_SEAT_COUNT = 15
EXIT_PAYMENT = 16
EXIT_LOCKED = 17
EXIT_BUG = 70
EXIT_INTERRUPTED = 130

# What argparse quotes in an error that may stay: an option's choice, a short word.
_WORD = re.compile(r"[a-z][a-z0-9_-]{0,19}")
_QUOTED = re.compile(r"'([^']*)'")


class UsageError(Exception):
    """A mistake in how the command was called."""


class Options(Protocol):
    """A parser, or a group of its options."""

    def add_argument(self, *name_or_flags: str, **kwargs: Any) -> argparse.Action: ...


class Parser(argparse.ArgumentParser):
    """The command's parser. One whose ``hides_values`` is set quotes no argument in its
    errors, only option names and choices: an argument of ``claim`` may be the invitation
    token (``-hXYZ…`` is read as ``-h`` with an argument)."""

    hides_values = False

    def error(self, message: str) -> NoReturn:
        if self.hides_values:
            message = _QUOTED.sub(_quoted_word, message)
        super().error(message)


def _quoted_word(match: re.Match[str]) -> str:
    return match.group(0) if _WORD.fullmatch(match.group(1)) else "'(not shown)'"


class HelpFormatter(argparse.HelpFormatter):
    """argparse's, without breaking a line inside an option's name (``--member-`` ``id``)."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return textwrap.fill(
            " ".join(text.split()),
            width,
            initial_indent=indent,
            subsequent_indent=indent,
            break_on_hyphens=False,
        )


class RefuseToken(argparse.Action):
    """``--token`` and ``--token=X``: refused with the reason, the value never shown."""

    message = NO_TOKEN_OPTION

    def __call__(self, *args: object, **kwargs: object) -> NoReturn:
        raise UsageError(self.message)


class RefuseAccessToken(RefuseToken):
    """``--access-token``, likewise."""

    message = NO_ACCESS_TOKEN_OPTION


def refuse_token(
    parser: Options, action: type[RefuseToken] = RefuseToken, option: str = "--token"
) -> None:
    """``option`` (``--token``), refused by ``action`` with the reason it does not exist."""
    parser.add_argument(option, nargs="?", action=action, help=argparse.SUPPRESS)


def add_server_options(parser: argparse.ArgumentParser) -> None:
    """Which Polar a command talks to, and the API version it asks for."""
    parser.add_argument(
        "--server",
        choices=("production", "sandbox"),
        default="production",
        help="which Polar to ask (default: production)",
    )
    parser.add_argument("--base-url", metavar="URL", help="another origin, such as a fake server's")
    add_version_option(parser)


def option_name(argument: str) -> str:
    """The option that gives a library argument: ``--external-customer-id``."""
    return "--" + argument.replace("_", "-")


def fields_of(value: str) -> list[str]:
    """A comma-separated ``--fields`` value as a list, blanks left out."""
    return [field.strip() for field in value.split(",") if field.strip()]


def usage(exc: InvalidArgumentError, names: Mapping[str, str] | None = None) -> UsageError:
    """The library's refusal of an argument in the command's terms, built from the error's
    fields, each argument as the option that gives it (as ``names`` says, else
    ``--option-name``): the library's sentences name its keyword arguments."""

    def options(arguments: tuple[str, ...]) -> list[str]:
        return [(names or {}).get(name) or option_name(name) for name in arguments]

    if exc.choices:
        *most, last = options(exc.choices)
        return UsageError(f"Pass exactly one of {', '.join(most)} or {last}.")
    given = ", ".join(options(exc.given))
    if exc.expected is not None:
        return UsageError(f"{given} must be {exc.expected}.")
    # The rest say what is wrong with a value without naming an argument (metadata's
    # limits, an invitation token's characters): the sentence, led by the option.
    return UsageError(f"{given}: {exc}")


def said(exc: APIStatusError) -> str:
    """Polar's answer in brief: the status and its sentence, as ``400: No seats``."""
    detail = exc.detail
    return f"{exc.status}: {detail}" if isinstance(detail, str) and detail else str(exc.status)


def ended(text: str) -> str:
    """``text`` as a sentence: with a full stop, unless it ends with one already."""
    return text if text.endswith((".", "?", "!")) else text + "."


def problems(exc: RequestValidationError, options: Mapping[str, str]) -> str:
    """A 422's problems, each led by the option that gave the value Polar refused (by
    ``options``, the fields the command's options fill), else by where Polar says it was,
    with Polar's own sentence."""
    listed: list[str] = []
    for problem in exc.problems:
        where = ".".join(str(part) for part in problem.loc if part not in ("body", "query"))
        listed.append(f"{options.get(where) or where or 'the request'}: {problem.msg}")
    return "; ".join(listed) or said(exc)
