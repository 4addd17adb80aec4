"""The table of ``polar-seats`` commands, and the parser made from it.

A command is one entry here and a module that holds its options, checks and run: the
parser, the checks before anything is read, and the dispatch all come from this table.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
from collections.abc import Callable, Coroutine
from typing import Any, Protocol, TextIO

from .._version import version
from . import check, fake, seats, sessions, subscriptions
from .base import (
    DEBUG_HELP,
    HelpFormatter,
    Parser,
    RefuseAccessToken,
    RefuseToken,
    add_server_options,
    refuse_token,
)

Run = Callable[[argparse.Namespace, TextIO, TextIO], Coroutine[Any, Any, None]]


@dataclasses.dataclass(frozen=True)
class Group:
    """A command that only groups others (``seats``, ``session``)."""

    name: str
    help: str
    description: str
    refuse: type[RefuseToken] = RefuseToken
    """How ``--token`` given after the group's name is refused."""


@dataclasses.dataclass(frozen=True)
class Command:
    """One command: its name (``list``, or ``seats assign`` in a group), its help, and the
    functions that add its options, check them before anything is read, and run it."""

    name: str
    help: str
    description: str
    options: Callable[[Parser], None]
    run: Run
    check: Callable[[argparse.Namespace], None]
    """Refuses what can be refused before a token is read or a server started."""
    epilog: str | None = None
    refuse: type[RefuseToken] = RefuseToken
    """How ``--token`` is refused."""
    debug: str = DEBUG_HELP
    """What ``--debug`` does."""
    server: bool = True
    """Whether it talks to a Polar (``--server``, ``--base-url``, ``--polar-version``)."""
    interruptible: bool = False
    """Whether Ctrl-C is the way to stop it (exit 0)."""


def _seats(action: str) -> Command:
    runs: dict[str, Run] = {
        "list": seats.run_list,
        "assign": seats.run_assign,
        "revoke": seats.run_revoke,
        "resend": seats.run_resend,
        "set-count": seats.run_set_count,
        "claim-info": seats.run_claim_info,
        "claim": seats.run_claim,
    }
    claim = action in seats.CLAIMS
    return Command(
        action if claim else f"seats {action}",
        seats.HELP[action],
        seats.DESCRIPTION[action],
        functools.partial(seats.add_options, action=action),
        runs[action],
        seats.check,
        epilog=seats.EPILOG.get(action),
        refuse=seats.RefuseInvitationToken if claim else RefuseToken,
    )


GROUPS = (
    Group("session", sessions.HELP, sessions.DESCRIPTION, refuse=RefuseAccessToken),
    Group(
        "seats",
        "list, assign, revoke and resend the seats of a subscription or order; buy or "
        "release seats",
        "The seats of a subscription (or of a one-time order), and a subscription's seat "
        "count, with a customer session token or the organization access token.",
    ),
)
COMMANDS = (
    Command(
        "list",
        subscriptions.HELP,
        subscriptions.DESCRIPTION,
        subscriptions.add_options,
        subscriptions.run,
        subscriptions.check,
    ),
    Command(
        "session create",
        sessions.CREATE_HELP,
        sessions.CREATE_DESCRIPTION,
        sessions.add_options,
        sessions.run,
        sessions.check,
        refuse=RefuseAccessToken,
    ),
    *(_seats(action) for action in (*seats.ACTIONS, *seats.CLAIMS)),
    Command(
        "check", check.HELP, check.DESCRIPTION, check.add_options, check.run, check.check_options
    ),
    Command(
        "demo",
        fake.DEMO_HELP,
        fake.DEMO_DESCRIPTION,
        fake.add_demo_options,
        fake.run_demo,
        subscriptions.check_walk,
        server=False,
    ),
    Command(
        "serve-fake",
        fake.SERVE_HELP,
        fake.SERVE_DESCRIPTION,
        fake.add_serve_options,
        fake.run_serve,
        fake.check_serve,
        debug=fake.SERVE_DEBUG_HELP,
        server=False,
        interruptible=True,
    ),
)
"""Every command, in the order ``--help`` lists them."""


class _Commands(Protocol):
    """What ``add_subparsers()`` returns."""

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser: ...


def _subparser(
    commands: _Commands, name: str, help: str, description: str, epilog: str | None = None
) -> Parser:
    # Each command, as the top parser, takes no abbreviation of an option.
    parser = commands.add_parser(
        name,
        help=help,
        description=description,
        epilog=epilog,
        allow_abbrev=False,
        formatter_class=HelpFormatter,
    )
    assert isinstance(parser, Parser)  # subparsers are of the top parser's class
    return parser


def parser() -> Parser:
    """The parser of every command in `COMMANDS`; a command's ``entry`` is its `Command`."""
    # No abbreviations: `--token X` once became `--token-file X`, and its error showed X.
    top = Parser(
        prog="polar-seats",
        formatter_class=HelpFormatter,
        description="List the Polar subscriptions on which a customer holds a seat, mint "
        "customer sessions, manage the seats of a subscription and claim invitations; check "
        "the API version and a token before a deploy.",
        epilog="Try `polar-seats demo` first: it needs no account. "
        "`polar-seats COMMAND --help` describes a command.",
        allow_abbrev=False,
    )
    top.add_argument("--version", action="version", version=f"polar-seats {version()}")
    refuse_token(top)
    refuse_token(top, RefuseAccessToken, "--access-token")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    groups = {group.name: group for group in GROUPS}
    actions: dict[str, _Commands] = {}
    for command in COMMANDS:
        group_name, _, action = command.name.rpartition(" ")
        under: _Commands = commands
        if group_name:
            if group_name not in actions:
                group = groups[group_name]
                made = _subparser(commands, group.name, group.help, group.description)
                refuse_token(made, group.refuse)
                actions[group_name] = made.add_subparsers(
                    dest="action", required=True, metavar="ACTION"
                )
            under = actions[group_name]
        leaf = _subparser(under, action, command.help, command.description, command.epilog)
        refuse_token(leaf, command.refuse)
        leaf.add_argument("--debug", action="store_true", help=command.debug)
        if command.server:
            add_server_options(leaf)
        command.options(leaf)
        leaf.set_defaults(entry=command)
    return top
