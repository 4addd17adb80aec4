"""The session engine of a customer view: mint, keep, refresh and pin its session.

A view made by ``for_customer()`` sends each customer-portal request with its customer's
session: taken from the shared cache (``_sessions.py``), minted with the organization
token when there is none or it is about to expire, and minted once more when Polar
refuses it. A walk pins one session for all its pages.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from ._clock import testing_clock
from ._errors import AuthenticationError
from ._protocol import Request
from ._retry import logger
from ._secret import Secret
from ._sessions import CachedSession, SessionCache, SubjectKey

if TYPE_CHECKING:
    from .models import CustomerSession

__all__ = ["Pin", "SessionEngine"]

T = TypeVar("T")
Mint = Callable[[SubjectKey], Awaitable["CustomerSession"]]
"""Mints a session for a subject with the organization token."""


class Pin:
    """The session one walk keeps for all its pages."""

    __slots__ = ("session",)

    def __init__(self) -> None:
        self.session: CachedSession | None = None


class SessionEngine:
    """The sessions of one customer (or member), for one view."""

    __slots__ = ("_cache", "_margin", "pin", "subject")

    def __init__(
        self, subject: SubjectKey, cache: SessionCache, *, margin: float, pin: Pin | None = None
    ) -> None:
        self.subject = subject
        self.pin = pin
        self._cache = cache
        self._margin = margin

    async def send(self, request: Request, send: Callable[[Secret], Awaitable[T]], mint: Mint) -> T:
        """``send(token)`` with the customer's session, minted by ``mint`` if needed; once
        more with a new session if Polar refuses the first (a second refusal is raised)."""
        session = await self.session(mint)
        try:
            return await send(session.token)
        except AuthenticationError as error:
            if error.error != "invalid_token":
                raise
        # Polar no longer knows the session (expired early, revoked): mint once more and
        # send once more.
        logger.info(
            "Polar refused the customer session of %s (invalid_token): minting a new one",
            request.label,
        )
        self.forget(session)
        session = await self.session(mint)
        return await send(session.token)

    async def session(self, mint: Mint) -> CachedSession:
        """The session to send: the pinned one, the cached one, or a new one."""
        pin = self.pin
        if pin is not None and pin.session is not None:
            return pin.session
        cache = self._cache
        session = cache.cached(self.subject) or await cache.session(
            self.subject, lambda: self._minted(mint)
        )
        if pin is not None:
            pin.session = session
        return session

    def forget(self, session: CachedSession) -> None:
        """Drop ``session``, which Polar refused, from the cache and the pin."""
        self._cache.drop(self.subject, session.token)
        if self.pin is not None:
            self.pin.session = None

    async def _minted(self, mint: Mint) -> CachedSession:
        started = testing_clock()
        minted = await mint(self.subject)
        lifetime = (minted.expires_at - minted.created_at).total_seconds()
        margin = self._margin
        if margin > lifetime / 2:
            # Only a session shorter than Polar's hour gets here (the margin is at most
            # half the hour): used for half its life, it is not minted on every call.
            logger.warning(
                "Polar minted a session that lives %g s, less than twice "
                "session_refresh_margin (%g s): it is minted again after half its life",
                lifetime,
                margin,
            )
            margin = lifetime / 2
        # Counted from when the mint was sent, on this machine's clock: a skewed clock
        # does not shorten or stretch the session's hour.
        return CachedSession(Secret(minted.token), started + lifetime - margin)
