"""Pacing requests on the client so that Polar's rate limit is never hit."""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import time
from collections.abc import Awaitable, Callable

from ._errors import InvalidArgumentError

__all__ = ["RateLimit", "RateLimiter"]

PRODUCTION_PER_MINUTE = 500
SANDBOX_PER_MINUTE = 100
MARGIN_SHARE = 0.1
"""The pacing window is this share of Polar's window longer..."""
MAX_MARGIN = 2.0
"""...but never more than this many seconds: 62 s for Polar's minute."""


@dataclasses.dataclass(frozen=True)
class RateLimit:
    """Polar's limit: at most ``requests`` requests in any ``per`` seconds, per subject.

    Polar allows 500 requests a minute per customer in production and 100 in the sandbox,
    in fixed one-minute windows, and answers one request too many with a 429 that asks
    for a full minute's wait. The client stays under the limit in every sliding window a
    little longer than ``per`` ([`paced_per`][polar_seats.RateLimit.paced_per]): requests
    sent a window apart can arrive less than a window apart when one waited longer on the
    network, and the margin (a tenth of the window, at most 2 s) absorbs that. Give Polar's
    own figures; the client keeps the margin.
    """

    requests: int
    per: float = 60.0

    @property
    def paced_per(self) -> float:
        """The window the client paces over: ``per`` plus its margin."""
        return self.per + min(MAX_MARGIN, self.per * MARGIN_SHARE)

    def __post_init__(self) -> None:
        if self.requests < 1 or self.per <= 0:
            raise InvalidArgumentError(
                "A rate limit needs at least 1 request in a positive number of seconds "
                f"(got {self.requests} per {self.per} s); pass rate_limit=None to turn it off.",
                argument="requests" if self.requests < 1 else "per",
            )


class RateLimiter:
    """A sliding-window log: waits until a request fits in the window, then records it.

    Waiters are served in the order they arrive. Meant for one event loop.
    """

    def __init__(
        self,
        limit: RateLimit,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.limit = limit
        self._clock = clock
        self._sleep = sleep
        self._sent: collections.deque[float] = collections.deque()
        self._lock = asyncio.Lock()
        self._per = limit.paced_per

    def idle(self) -> bool:
        """Whether every request it recorded has left the window."""
        return not self._sent or self._clock() - self._sent[-1] >= self._per

    def record(self) -> None:
        """Note a request that another counter (the fleet's, in Redis) admitted, so that
        this window knows it if it has to pace alone."""
        now = self._clock()
        while self._sent and (
            now - self._sent[0] >= self._per or len(self._sent) >= self.limit.requests
        ):
            self._sent.popleft()
        self._sent.append(now)

    async def acquire(self) -> float:
        """Wait for room for one request; return the seconds waited."""
        waited = 0.0
        async with self._lock:
            while True:
                now = self._clock()
                while self._sent and now - self._sent[0] >= self._per:
                    self._sent.popleft()
                if len(self._sent) < self.limit.requests:
                    self._sent.append(now)
                    return waited
                pause = self._sent[0] + self._per - now
                waited += pause
                await self._sleep(pause)


def default_rate_limit(server: str) -> RateLimit:
    """Polar's own limit for the named server."""
    per_minute = SANDBOX_PER_MINUTE if server == "sandbox" else PRODUCTION_PER_MINUTE
    return RateLimit(per_minute)
