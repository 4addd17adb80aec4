"""The API version of the ``polar-seats`` command: ``--polar-version``, checked on Polar's
release calendar before anything is sent, and what the command says of a version Polar
deprecates or no longer serves, in the command's terms (the library's messages speak of
``polar_version=``, and of today only)."""

from __future__ import annotations

import argparse
import warnings
from datetime import date
from typing import TextIO

from .. import versions
from ..versions import Stage


class VersionRefused(Exception):
    """Polar does not serve the API version asked for (on the day in question)."""


def add_version_option(parser: argparse.ArgumentParser) -> None:
    """``--polar-version``, for every command that talks to Polar."""
    parser.add_argument(
        "--polar-version",
        metavar="YYYY-MM",
        help=f"the API version to ask Polar for (default {versions.DEFAULT}); one Polar no "
        "longer serves is refused before anything is sent",
    )


def served_on(day: date) -> str:
    """The versions Polar serves on ``day``, with their stages, by this release's calendar."""
    return ", ".join(
        f"{name} ({versions.stage(name, day).value})" for name in versions.live_versions(day)
    )


def when(day: date) -> str:
    """How a sentence names ``day``: "today", or "on 2027-01-08"."""
    return "today" if day == versions.today() else f"on {day}"


def refusal(version: str, day: date) -> str | None:
    """Why Polar does not serve ``version`` on ``day``; ``None`` when it does, or may (a
    version newer than this release's calendar is sent as asked)."""
    with warnings.catch_warnings():
        # Deprecation is said by `deprecation()`, as the command's own line.
        warnings.simplefilter("ignore", versions.DeprecatedVersionWarning)
        try:
            versions.check(version, day)
        except ValueError:
            pass
        else:
            return None
    entry = versions.known(version)
    if not versions.is_well_formed(version):
        why = (
            f"--polar-version takes a version name like {versions.DEFAULT} (YYYY-MM), "
            f"not {version!r}"
        )
    elif entry is None:
        why = f"Polar has no API version {version} (none was ever released under that name)"
    elif entry.stage(day) is Stage.REMOVED:
        why = (
            f"API version {version} is removed {when(day)}: from Polar's release of "
            f"{entry.removed:%B %Y} on, every request that names it gets 404"
        )
    else:
        why = f"API version {version} is not released {when(day)}"
    return (
        f"{why}. Versions Polar serves {when(day)}: {served_on(day)}; pass one with "
        "--polar-version."
    )


def days_left(version: str, day: date) -> int | None:
    """Days from ``day`` to the release that removes ``version``; ``None`` when the
    calendar does not say, or it is removed already."""
    entry = versions.known(version)
    if entry is None or day >= entry.removed:
        return None
    return (entry.removed - day).days


def deprecation(version: str, day: date) -> str | None:
    """What to say of ``version`` when it is deprecated on ``day``; else ``None``."""
    entry = versions.known(version)
    left = days_left(version, day)
    if entry is None or left is None or entry.stage(day) is not Stage.DEPRECATED:
        return None
    successor = versions.current(day)
    # Past the end of this release's calendar, only a newer polar-seats knows the successor.
    move = (
        f"Test --polar-version {successor} and move to it before then, or upgrade polar-seats."
        if successor != version
        else "Upgrade polar-seats before then, and move to the version it sends."
    )
    return (
        f"Polar-Version {version} is deprecated {when(day)}: Polar removes it in "
        f"{entry.removal} ({left} day{'s' * (left != 1)} after {day}), and then answers every "
        f"request that names it with 404. {move}"
    )


def not_served(version: str) -> str:
    """What to say when Polar answered its version 404 to ``version``."""
    today = versions.today()
    return (
        f"Polar refused Polar-Version {version} (404 with no Polar-Version header): it has "
        f"removed that version or does not know it. Versions Polar serves today, by this "
        f"release's calendar: {served_on(today)}; pass one with --polar-version, or upgrade "
        "polar-seats."
    )


def client_version(args: argparse.Namespace, err: TextIO) -> str:
    """The version a command's client sends: ``--polar-version``, else the library's
    default. Refused (`VersionRefused`) when Polar no longer serves it; a deprecated one is
    said on ``err`` in one line, instead of the library's Python warning."""
    version: str = getattr(args, "polar_version", None) or versions.DEFAULT
    today = versions.today()
    refused = refusal(version, today)
    if refused is not None:
        raise VersionRefused(refused)
    warned = deprecation(version, today)
    if warned is not None:
        err.write(f"polar-seats: warning: {warned}\n")
        err.flush()
    return version
