"""How a route of the fake says who may call it: ``requires``, read by the middleware.

A route declares the subject kinds it takes (``customer``, ``member``, ``organization``),
the scopes a token needs, whether FastAPI decodes its JSON body before authentication,
and whether a member needs a billing role; the middleware authenticates before it runs
and puts the session (or token) in ``exchange().subject``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from .._resources.customers import State

__all__ = ["ORGANIZATION", "PORTAL", "STATE", "Route", "requires"]

PORTAL = frozenset({"customer", "member"})
"""Customer-portal endpoints: a customer session or a member session."""
ORGANIZATION = frozenset({"organization", "user"})
"""Organization endpoints: an organization access token, or a user's personal access token."""
STATE: web.AppKey[State] = web.AppKey("state", State)

Route = Callable[[web.Request], Awaitable[web.StreamResponse]]


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
