"""The testing clock: wall time plus every wait a test skipped or moved past.

The client's deadlines, session cache and calendar, and the fake server's windows and
sessions, all read it, so a test that skips a 60-second wait sees both sides agree.
"""

from __future__ import annotations

import asyncio
import time
from datetime import date, datetime, timezone

__all__ = [
    "advance_testing_clock",
    "retry_sleep",
    "set_testing",
    "set_testing_date",
    "testing_clock",
    "testing_date",
]


class _Testing:
    enabled = False
    skipped = 0.0
    day: date | None = None
    """The date set_testing_date() pinned, if any."""


_testing = _Testing()


class _TestingSwitch:
    """What [`set_testing()`][polar_seats.testing.set_testing] returns: usable as a
    context manager that restores the state it replaced."""

    def __init__(self, previous: tuple[bool, float]) -> None:
        self._previous = previous

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info: object) -> None:
        _testing.enabled, _testing.skipped = self._previous


def set_testing(enabled: bool) -> _TestingSwitch:
    """Skip retry waits, so tests of retries run in milliseconds.

    Skipped waits still count on the clock the deadline is measured with (and on
    ``testing_clock()``, which the fake server's rate windows follow), so deadline caps
    and Polar's one-minute windows hold with the same request counts as in real time.
    Call it, or use it as ``with set_testing(True): ...`` to restore the previous state
    afterwards.
    """
    switch = _TestingSwitch((_testing.enabled, _testing.skipped))
    _testing.enabled = enabled
    _testing.skipped = 0.0
    return switch


def testing_clock() -> float:
    """Wall-clock seconds (``time.time()``) plus every retry wait
    [`set_testing()`][polar_seats.testing.set_testing] skipped and every
    ``advance_testing_clock()``.

    A fake server on this clock sees a skipped 60-second wait pass, as Polar would; the
    client's session cache reads the same clock, so both see time a test moves forward.
    """
    return time.time() + _testing.skipped


class _DateSwitch:
    """What [`set_testing_date()`][polar_seats.testing.set_testing_date] returns: usable as a
    context manager that restores the date it replaced."""

    def __init__(self, previous: date | None) -> None:
        self._previous = previous

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info: object) -> None:
        _testing.day = self._previous


def set_testing_date(day: date | None) -> _DateSwitch:
    """Make ``testing_date()`` answer ``day`` (``None``: the testing clock's date again).

    The client's release calendar ([`polar_seats.versions`][polar_seats.versions]) and a
    fake server's date read it, and nothing else does: timestamps, sessions and webhook
    signatures keep the testing clock. Pin a date so that a suite decides the same next
    quarter, or set a release day to rehearse it. Call it, or use it as ``with
    set_testing_date(date(2027, 1, 8)): ...`` to restore the previous date afterwards.
    """
    switch = _DateSwitch(_testing.day)
    _testing.day = day
    return switch


def testing_date() -> date:
    """The day the release calendar is read on: the one
    [`set_testing_date()`][polar_seats.testing.set_testing_date] set, else the UTC date of
    ``testing_clock()``."""
    if _testing.day is not None:
        return _testing.day
    return datetime.fromtimestamp(testing_clock(), timezone.utc).date()


def advance_testing_clock(seconds: float) -> None:
    """Move testing time forward for the client and a fake server on ``testing_clock``."""
    if seconds < 0:
        raise ValueError("Time only moves forward: pass a positive number of seconds.")
    _testing.skipped += seconds


def deadline_clock() -> float:
    """Monotonic seconds plus the waits skipped: what deadlines are measured on."""
    return time.monotonic() + _testing.skipped


async def retry_sleep(seconds: float) -> None:
    """Wait before a retry: skipped (and counted on the testing clock) under set_testing()."""
    if _testing.enabled:
        _testing.skipped += seconds
        await asyncio.sleep(0)
    else:
        await asyncio.sleep(seconds)
