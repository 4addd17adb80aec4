"""The fake's clock, on the testing clock the client reads too (``polar_seats._clock``)."""

from __future__ import annotations

from collections.abc import Callable

from ..._clock import advance_testing_clock, testing_clock

__all__ = ["Clock"]


class Clock:
    """The fake's time: a source (``testing_clock`` by default) plus what a test advanced.

    ``testing_clock`` adds every retry wait that ``set_testing(True)`` skipped, so a skipped
    60 s ``Retry-After`` also passes for the fake's rate windows and sessions. On that
    source, ``advance()`` moves testing time for the client too (its session cache
    refreshes as it would an hour later); on another source it moves the fake alone.
    """

    def __init__(self, source: Callable[[], float] = testing_clock) -> None:
        self.source = source
        self.offset = 0.0

    def __call__(self) -> float:
        return self.source() + self.offset

    def advance(self, seconds: float) -> None:
        """Move the fake's time forward: sessions expire, rate windows end."""
        if self.source is testing_clock:
            advance_testing_clock(seconds)
        else:
            if seconds < 0:
                raise ValueError("Time only moves forward: pass a positive number of seconds.")
            self.offset += seconds
