"""How a route of the fake is declared, and what it reads: ``requires``, ``state_of``.

A route declares the subject kinds it takes (``customer``, ``member``, ``organization``),
the scopes a token needs, whether FastAPI decodes its JSON body before authentication,
and whether a member needs a billing role; the middleware authenticates before it runs
(asking the state, a ``Directory``, who each token is) and puts the session (or token) in
``exchange().subject``. A resource's routes are a ``RouteTable``; each reads the state as
the tables it knows, with ``state_of``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from aiohttp import web

from .store import Store

__all__ = [
    "ORGANIZATION",
    "PORTAL",
    "STATE",
    "Caller",
    "Directory",
    "Route",
    "RouteTable",
    "requires",
    "state_of",
]

PORTAL = frozenset({"customer", "member"})
"""Customer-portal endpoints: a customer session or a member session."""
ORGANIZATION = frozenset({"organization", "user"})
"""Organization endpoints: an organization access token, or a user's personal access token."""
STATE: web.AppKey[Store] = web.AppKey("state", Store)

Route = Callable[[web.Request], Awaitable[web.StreamResponse]]
RouteTable = tuple[tuple[str, str, Route], ...]
"""Routes as method, path and handler; a resource module has one, ``ROUTES``."""

_Tables = TypeVar("_Tables", bound=Store)


def state_of(request: web.Request, tables: type[_Tables]) -> _Tables:
    """The server's state, seen as the tables a resource's route reads."""
    state = request.app[STATE]
    assert isinstance(state, tables)
    return state


class Caller(Protocol):
    """Who a request authenticated as, as the middleware sees it (a session or a token)."""

    @property
    def subject(self) -> str:
        """Polar's rate-limit subject: ``customer:<id>``, ``organization:<id>``..."""
        ...

    @property
    def scopes(self) -> frozenset[str]: ...


class Directory(Protocol):
    """What the middleware asks the state when it authenticates a request."""

    def subject(self, token: str) -> Caller | None:
        """Who ``token`` authenticates as; ``None`` when unknown, expired or revoked."""
        ...

    def may_bill(self, caller: Caller) -> bool:
        """Whether the caller may use billing features (Polar's billing role check)."""
        ...


def requires(
    subjects: frozenset[str],
    *,
    scopes: frozenset[str] = frozenset(),
    reads_body: bool = False,
    billing: bool = False,
) -> Callable[[Route], Route]:
    """Mark a route as callable by these subject kinds (``customer``, ``member``, ...), a
    token with one of ``scopes``; ``reads_body``: a JSON body FastAPI decodes before auth;
    ``billing``: a member needs the role ``owner`` or ``billing_manager`` (Polar's
    ``CustomerPortalUnionBillingWrite``)."""

    def mark(route: Route) -> Route:
        # Read by the middleware.
        route.subjects = subjects  # type: ignore[attr-defined]
        route.scopes = scopes  # type: ignore[attr-defined]
        route.reads_body = reads_body  # type: ignore[attr-defined]
        route.billing = billing  # type: ignore[attr-defined]
        return route

    return mark
