"""One rate budget and one session cache for a fleet of processes, kept in Redis.

``SharedLimiter`` counts a subject's requests in Redis, so that all the processes together
stay under Polar's limit; ``SharedSessions`` keeps minted sessions there until their refresh
time, so that the fleet mints once per customer. Both fall back to the in-process limiter
and cache while Redis does not answer, and use Redis again once it does.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable

from ._ratelimit import RateLimit, RateLimiter
from ._redis import Store, Unavailable
from ._secret import Secret
from ._sessions import CachedSession, SubjectKey

__all__ = ["LOCK_TIMEOUT", "SharedLimiter", "SharedSessions"]

LOCK_TIMEOUT = 30.0
"""Seconds a process may hold a customer's mint lock (and others wait for it) at most."""


class SharedLimiter(RateLimiter):
    """A subject's moving window counted in Redis for the whole fleet.

    Each request costs one run of the script (sent with the other requests asking at the
    same moment, in one pipeline): the script admits it, or says how long until there is
    room, and the request sleeps that long and asks again. Requests admitted by
    Redis are also noted in the in-process window, which paces alone while Redis is down.
    """

    def __init__(self, limit: RateLimit, store: Store, key: str) -> None:
        super().__init__(limit)
        self.store = store
        self.key = key
        self._turn = asyncio.Lock()

    async def acquire(self) -> float:
        waited = 0.0
        # One request of this process at a time asks Redis: waiters keep their order.
        async with self._turn:
            while True:
                try:
                    pause = await self.store.acquire(self.key, self.limit.requests, self._per)
                except Unavailable:
                    return waited + await super().acquire()
                if pause <= 0:
                    self.record()
                    return waited
                waited += pause
                await self._sleep(pause)


class SharedSessions:
    """Customer and member sessions kept in Redis until their refresh time."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], float],
        lock_timeout: float = LOCK_TIMEOUT,
    ) -> None:
        self.store = store
        self._clock = clock
        self._lock_timeout = lock_timeout

    def key_of(self, subject: SubjectKey) -> str:
        return self.store.key("session", hashlib.blake2b("\0".join(subject).encode()).digest())

    async def session(
        self,
        subject: SubjectKey,
        mint: Callable[[], Awaitable[CachedSession]],
        refused: Secret | None = None,
    ) -> CachedSession:
        """The fleet's session for ``subject``: the one kept in Redis, else one minted here
        (under a lock, so that processes asking at once mint once) and kept there."""
        key = self.key_of(subject)
        if refused is not None:
            await self._quietly(self.store.drop_session(key, refused.reveal()))
        found = await self._read(key)
        if found is not None:
            return found
        lock = self.store.lock(key + ":lock", self._lock_timeout)
        # False: another process held it too long (or Redis failed); mint here all the same.
        held = await self._quietly(
            self.store.run(lock.acquire, timeout=self._lock_timeout + self.store.timeout)
        )
        try:
            # Whoever held the lock before may have minted while this process waited.
            found = await self._read(key) if held else None
            if found is not None:
                return found
            entry = await mint()
            seconds = entry.refresh_at - self._clock()
            if seconds > 0:
                await self._quietly(self.store.write_session(key, entry.token.reveal(), seconds))
            return entry
        finally:
            if held:
                await self._quietly(self.store.release(lock))

    async def _read(self, key: str) -> CachedSession | None:
        try:
            found = await self.store.read_session(key)
        except Unavailable:
            return None
        if found is None:
            return None
        token, seconds = found
        return CachedSession(Secret(token), self._clock() + seconds)

    async def _quietly(self, operation: Awaitable[object]) -> bool:
        """Run a store command whose failure changes nothing but sharing."""
        try:
            return bool(await operation)
        except Unavailable:
            return False
