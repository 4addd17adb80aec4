"""Polar's API versions: the release calendar this release of polar-seats knows.

Polar versions its API on a calendar (a release in the first week of January, April, July
and October). Three versions are live at once: **Next** (in development), **Current** (the
default when no ``Polar-Version`` is sent) and **Deprecated** (stable until the next
release, then removed: every request that names it gets 404). A version's stage cannot be
computed from its name (2026-04 was Current for six months, and there was no 2026-07), so
the calendar is data: [`CALENDAR`][polar_seats.versions.CALENDAR].

To stay on the safe side, the first day of a release month counts as that release's day:
on 1 January 2027, 2026-04 counts as removed although Polar may serve it for a few more
days.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
import re
import warnings
from datetime import date

from ._clock import testing_date
from ._errors import InvalidArgumentError

__all__ = [
    "CALENDAR",
    "DEFAULT",
    "ApiVersion",
    "DeprecatedVersionWarning",
    "Stage",
    "check",
    "current",
    "is_well_formed",
    "known",
    "live_versions",
    "note_served",
    "stage",
    "today",
]

logger = logging.getLogger("polar_seats")

RELEASE_MONTHS = (1, 4, 7, 10)
"""Polar releases in the first week of these months."""

_FORMAT = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


class Stage(str, enum.Enum):
    """Where a version stands on a given day."""

    UNKNOWN = "unknown"
    """Not on this release's calendar: newer than it knows, or never a version of Polar."""
    NEXT = "next"
    """In development: served, but its shapes may still change."""
    CURRENT = "current"
    """Stable, and Polar's default."""
    DEPRECATED = "deprecated"
    """Stable until the next release, which removes it."""
    REMOVED = "removed"
    """Polar answers every request that names it with 404."""


@dataclasses.dataclass(frozen=True)
class ApiVersion:
    """One version of Polar's API and the first day of each of its stages.

    ``next`` is ``None`` where Polar's records do not say when the version started.
    """

    name: str
    next: date | None
    current: date
    deprecated: date
    removed: date

    def stage(self, on: date) -> Stage:
        """The version's stage on the day ``on``."""
        if on >= self.removed:
            return Stage.REMOVED
        if on >= self.deprecated:
            return Stage.DEPRECATED
        if on >= self.current:
            return Stage.CURRENT
        if self.next is None or on >= self.next:
            return Stage.NEXT
        return Stage.UNKNOWN

    @property
    def removal(self) -> str:
        """When Polar removes it, in words: "the first week of January 2027"."""
        return f"the first week of {self.removed:%B %Y}"


CALENDAR: tuple[ApiVersion, ...] = (
    ApiVersion(
        "2026-04",
        next=None,
        current=date(2026, 4, 1),
        deprecated=date(2026, 10, 1),
        removed=date(2027, 1, 1),
    ),
    ApiVersion(
        "2026-10",
        next=date(2026, 7, 1),
        current=date(2026, 10, 1),
        deprecated=date(2027, 1, 1),
        removed=date(2027, 4, 1),
    ),
    ApiVersion(
        "2027-01",
        next=date(2026, 10, 1),
        current=date(2027, 1, 1),
        deprecated=date(2027, 4, 1),
        removed=date(2027, 7, 1),
    ),
)
"""Every version this release of polar-seats reads, oldest first."""

DEFAULT = "2026-10"
"""The version a client sends unless told otherwise: Current when this release was made."""

_BY_NAME = {version.name: version for version in CALENDAR}


class DeprecatedVersionWarning(FutureWarning):
    """The client was made with a version Polar has deprecated and removes at its next
    release. Filter it like any warning (``warnings.filterwarnings("ignore",
    category=ps.DeprecatedVersionWarning)``); it is given once per process and version."""


def today() -> date:
    """Today in UTC: the wall clock's date, unless a test moved the testing clock or set a
    date ([`set_testing_date()`][polar_seats.testing.set_testing_date])."""
    return testing_date()


def stage(version: str, on: date | None = None) -> Stage:
    """``version``'s stage on the day ``on`` (today by default)."""
    known = _BY_NAME.get(version)
    return Stage.UNKNOWN if known is None else known.stage(on or today())


def live_versions(on: date | None = None) -> tuple[str, ...]:
    """The versions Polar serves on the day ``on`` (today by default), oldest first."""
    day = on or today()
    live = (Stage.NEXT, Stage.CURRENT, Stage.DEPRECATED)
    return tuple(version.name for version in CALENDAR if version.stage(day) in live)


def current(on: date | None = None) -> str:
    """Polar's default on the day ``on`` (today by default): its Current version, or, past
    the end of this calendar, the newest version still served (else the newest known)."""
    day = on or today()
    served = live_versions(day)
    for name in served:
        if stage(name, day) is Stage.CURRENT:
            return name
    return served[-1] if served else CALENDAR[-1].name


def known(version: str) -> ApiVersion | None:
    """The calendar's entry for ``version``, if it has one."""
    return _BY_NAME.get(version)


def is_well_formed(version: str) -> bool:
    """Whether ``version`` is a ``YYYY-MM`` version name."""
    return _FORMAT.fullmatch(version) is not None


def _live_list(day: date) -> str:
    return ", ".join(f"{name} ({stage(name, day).value})" for name in live_versions(day))


_warned: set[str] = set()


def check(version: object, on: date | None = None) -> str:
    """The version a client may send, checked against the calendar on the day ``on``.

    Refuses ([`InvalidArgumentError`][polar_seats.InvalidArgumentError]) a version that is
    not ``YYYY-MM``, that Polar has removed, or that is older than the newest one known here
    without being on the calendar; warns once per process about a deprecated one; logs that
    one newer than the calendar is sent as asked.
    """
    day = on or today()
    if not isinstance(version, str):
        raise TypeError(
            f"polar_version must be a str like {DEFAULT!r}, not {type(version).__name__}."
        )
    if not is_well_formed(version):
        raise InvalidArgumentError(
            f"polar_version must be a version name like {DEFAULT!r} (YYYY-MM), not "
            f"{version!r}. Versions Polar serves today: {_live_list(day)}.",
            argument="polar_version",
        )
    entry = _BY_NAME.get(version)
    if entry is None:
        if version > CALENDAR[-1].name:
            logger.warning(
                "Sending Polar-Version %s as asked: this release of polar-seats knows versions "
                "up to %s and may not read the shapes of a newer one; upgrade polar-seats.",
                version,
                CALENDAR[-1].name,
            )
            return version
        raise InvalidArgumentError(
            f"Polar has no API version {version} (it is older than this release of "
            f"polar-seats knows, or was never released). Versions Polar serves today: "
            f"{_live_list(day)}.",
            argument="polar_version",
        )
    where = entry.stage(day)
    if where is Stage.REMOVED:
        raise InvalidArgumentError(
            f"Polar removed API version {version} at its release of {entry.removed:%B %Y}: "
            f"it answers every request that names it with 404. Pass polar_version= one of "
            f"the versions Polar serves today ({_live_list(day)}), or upgrade polar-seats.",
            argument="polar_version",
        )
    if where is Stage.UNKNOWN:
        raise InvalidArgumentError(
            f"API version {version} is not released yet (it becomes Polar's next version in "
            f"{entry.next:%B %Y}). Versions Polar serves today: {_live_list(day)}.",
            argument="polar_version",
        )
    if where is Stage.DEPRECATED and version not in _warned:
        _warned.add(version)
        successor = current(day)
        message = (
            f"Polar-Version {version} is deprecated: Polar removes it in {entry.removal}, and "
            f"from then on answers every request that names it with 404. Upgrade polar-seats, "
            f"or pin polar_version={successor!r} and test it."
        )
        logger.warning("%s", message)
        warnings.warn(message, DeprecatedVersionWarning, stacklevel=3)
    return version


_noted: set[tuple[str, str]] = set()


def note_served(sent: str, served: str) -> None:
    """Log, once per process, that Polar served ``sent`` as another version."""
    if (sent, served) in _noted:
        return
    _noted.add((sent, served))
    logger.warning(
        "Polar served Polar-Version %s for a request that asked for %s; the response was "
        "read as %s's shapes.",
        served,
        sent,
        sent,
    )
