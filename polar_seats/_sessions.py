"""The session cache: one customer (or member) session per subject, minted once, reused
until shortly before it expires.

Keyed by who the session is for, never by a token; bounded, least recently used first out.
Concurrent first uses of one subject mint once (single flight): every waiter gets the same
token, or the same error, and a failed mint leaves nothing behind for the next attempt.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import uuid
from collections.abc import Awaitable, Callable
from typing import Protocol

from ._errors import InvalidArgumentError
from ._secret import Secret

__all__ = ["CachedSession", "SessionCache", "SubjectKey", "session_body", "subject_key"]

SubjectKey = tuple[str, str, str, str]
"""Who a session is for, as the caller named them: ``(customer field, value, member field,
value)``, e.g. ``("external_customer_id", "user-42", "", "")``."""


def subject_key(
    *,
    customer_id: str | uuid.UUID | None,
    external_customer_id: str | uuid.UUID | None,
    member_id: str | uuid.UUID | None,
    external_member_id: str | uuid.UUID | None,
) -> SubjectKey:
    """The key of a customer (and member), checked: exactly one way to name the customer,
    at most one to name the member. A ``uuid.UUID`` stands for its string."""
    customers = _named(customer_id=customer_id, external_customer_id=external_customer_id)
    if len(customers) != 1:
        raise InvalidArgumentError(
            "Name the customer with exactly one of customer_id= (Polar's id) or "
            "external_customer_id= (your own id for them)"
            + (f"; got both {' and '.join(customers)}." if customers else "."),
            argument="customer_id, external_customer_id",
            given=tuple(customers),
            choices=("customer_id", "external_customer_id"),
        )
    members = _named(member_id=member_id, external_member_id=external_member_id)
    if len(members) > 1:
        raise InvalidArgumentError(
            "Name the member with at most one of member_id= or external_member_id=, not both.",
            argument="member_id, external_member_id",
            choices=("member_id", "external_member_id"),
        )
    ((customer_field, customer),) = customers.items()
    member_field, member = next(iter(members.items()), ("", ""))
    return (customer_field, customer, member_field, member)


def _named(**given: str | uuid.UUID | None) -> dict[str, str]:
    named: dict[str, str] = {}
    for field, value in given.items():
        if value is None:
            continue
        if isinstance(value, uuid.UUID):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            raise InvalidArgumentError(
                f"{field} must be a non-empty string (got {value!r}).", argument=field
            )
        named[field] = value
    return named


def session_body(key: SubjectKey, return_url: str | None) -> dict[str, str]:
    """The JSON body of ``POST /v1/customer-sessions/`` for ``key``."""
    customer_field, customer, member_field, member = key
    body = {customer_field: customer}
    if member_field:
        body[member_field] = member
    if return_url is not None:
        body["return_url"] = return_url
    return body


@dataclasses.dataclass(frozen=True)
class CachedSession:
    """A minted session token and when to stop using it."""

    token: Secret
    refresh_at: float
    """Seconds on the cache's clock after which the token is minted again."""


class SessionCache:
    """Session tokens by subject, with single-flight minting and LRU eviction."""

    def __init__(self, size: int, clock: Callable[[], float]) -> None:
        self.size = size
        self._clock = clock
        self._entries: collections.OrderedDict[SubjectKey, CachedSession] = (
            collections.OrderedDict()
        )
        self._flights: dict[SubjectKey, asyncio.Future[CachedSession]] = {}
        self.shared: SharedStore | None = None
        """The fleet's store (Redis), asked before minting; set by the client."""
        self._refused: dict[SubjectKey, Secret] = {}
        self.mints = 0
        """Sessions minted through this cache, for figures and tests."""

    def __len__(self) -> int:
        return len(self._entries)

    def cached(self, key: SubjectKey) -> CachedSession | None:
        """The session kept for ``key`` if it is still fresh, else ``None``; no I/O."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if self._clock() >= entry.refresh_at:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry

    async def session(
        self, key: SubjectKey, mint: Callable[[], Awaitable[CachedSession]]
    ) -> CachedSession:
        """The fresh session for ``key``, minting it (once, however many ask) if needed."""
        entry = self.cached(key)
        if entry is not None:
            return entry
        flight = self._flights.get(key)
        if flight is None:
            flight = asyncio.ensure_future(self._mint(key, mint))
            # Read the outcome even if every waiter was cancelled, so a failure is not
            # reported as "never retrieved".
            flight.add_done_callback(_consume)
            self._flights[key] = flight
        # A cancelled waiter must not cancel the mint the others are waiting for.
        return await asyncio.shield(flight)

    def drop(self, key: SubjectKey, token: Secret) -> None:
        """Forget ``token`` for ``key`` (Polar refused it), unless a newer one replaced it."""
        entry = self._entries.get(key)
        if entry is not None and entry.token == token:
            del self._entries[key]
        if self.shared is not None:
            self._refused[key] = token

    async def _mint(
        self, key: SubjectKey, mint: Callable[[], Awaitable[CachedSession]]
    ) -> CachedSession:
        async def minted() -> CachedSession:
            entry = await mint()
            self.mints += 1
            return entry

        try:
            if self.shared is None:
                entry = await minted()
            else:
                entry = await self.shared.session(key, minted, self._refused.pop(key, None))
        finally:
            del self._flights[key]
        self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return entry


class SharedStore(Protocol):
    """Where a fleet keeps its sessions (``_fleet.SharedSessions``)."""

    async def session(
        self,
        subject: SubjectKey,
        mint: Callable[[], Awaitable[CachedSession]],
        refused: Secret | None = None,
    ) -> CachedSession: ...


def _consume(future: asyncio.Future[CachedSession]) -> None:
    if not future.cancelled():
        future.exception()
