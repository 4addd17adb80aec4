"""What a client shares with all its views, in one place.

A view (``with_token()``, ``for_customer()``) holds only its caller: a token or a customer,
and that caller's rate limiter. Everything else is one ``Shared``: the settings fixed at
creation, the transport (the aiohttp session), the retry budget, every caller's rate
limiter, the cache of customer sessions and a fleet's Redis stores.
"""

from __future__ import annotations

import hashlib

from ._clock import testing_clock
from ._fleet import SharedLimiter, SharedSessions
from ._ratelimit import RateLimit, RateLimiter
from ._redis import Store
from ._retry import RetryBudget
from ._sessions import SessionCache
from ._settings import Settings
from ._transport import Transport

__all__ = ["Shared"]


class Shared:
    """The settings, transport, retry budget, limiters and session cache of a client and
    its views."""

    PRUNE_AT = 1024
    """Limiters kept before idle ones are dropped (a backend sees many customers)."""

    def __init__(
        self,
        settings: Settings,
        transport: Transport,
        *,
        budget: RetryBudget | None,
        rate_limit: RateLimit | None,
        session_cache_size: int = 10_000,
        rate_store: Store | None = None,
        session_store: Store | None = None,
    ) -> None:
        self.settings = settings
        self.transport = transport
        self.budget = budget
        self.rate_limit = rate_limit
        self.limiters: dict[bytes, RateLimiter] = {}
        self.prune_at = self.PRUNE_AT
        self.session_cache = SessionCache(session_cache_size, testing_clock)
        # A fleet's budget and sessions, in Redis; closed with the client if it opened them.
        self.rate_store = rate_store
        self.session_store = session_store
        if session_store is not None:
            self.session_cache.shared = SharedSessions(session_store, clock=testing_clock)
        # Polar counts an organization token's requests (minting) as one subject.
        self.organization_limiter = (
            self._new_limiter(rate_limit, b"organization")
            if settings.organization_token is not None and rate_limit is not None
            else None
        )

    def _new_limiter(self, limit: RateLimit, digest: bytes) -> RateLimiter:
        if self.rate_store is None:
            return RateLimiter(limit)
        return SharedLimiter(limit, self.rate_store, self.rate_store.key("rate", digest))

    def limiter_for(self, key: str) -> RateLimiter | None:
        """The rate limiter of one subject (a token, or a customer), made on first use."""
        if self.rate_limit is None:
            return None
        # Keyed by a digest, so this long-lived table holds no tokens.
        digest = hashlib.blake2b(key.encode(), digest_size=16).digest()
        limiter = self.limiters.get(digest)
        if limiter is None:
            if len(self.limiters) >= self.prune_at:
                self.limiters = {k: v for k, v in self.limiters.items() if not v.idle()}
                # Many busy customers: prune again only when the table has doubled.
                self.prune_at = max(self.PRUNE_AT, 2 * len(self.limiters))
            limiter = self.limiters[digest] = self._new_limiter(self.rate_limit, digest)
        return limiter

    async def close(self) -> None:
        """Close the transport, then the stores the client opened; again, nothing."""
        if await self.transport.close():
            for store in {id(s): s for s in (self.rate_store, self.session_store) if s}.values():
                await store.close()
