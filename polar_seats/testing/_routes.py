"""The fake's routes, one per Polar endpoint, each a few lines over the state.

A route declares who may call it with ``requires()``; the middleware authenticates
before it runs and puts the session (or token) in ``request["subject"]``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Awaitable, Callable

from aiohttp import web
from multidict import MultiMapping

from ._bodies import reshape_2027_01, served_subscription, session_body
from ._middleware import exchange, json_response
from ._state import Json, Session, State, Subscription

__all__ = ["ROUTES", "STATE", "list_page", "requires"]

PORTAL = frozenset({"customer", "member"})
"""Customer-portal endpoints: a customer session or a member session."""
STATE: web.AppKey[State] = web.AppKey("state", State)
_BIGINT = 2**63 - 1
_INTEGER = re.compile(r"[+-]?\d+")

Route = Callable[[web.Request], Awaitable[web.StreamResponse]]


def requires(subjects: frozenset[str]) -> Callable[[Route], Route]:
    """Mark a route as callable by these subject kinds (``customer``, ``member``, ...)."""

    def mark(route: Route) -> Route:
        route.subjects = subjects  # type: ignore[attr-defined]  # read by the middleware
        return route

    return mark


class OffsetOverflow(Exception):
    """Polar's database refuses an OFFSET past a bigint, and Polar answers a plain 500."""


def list_page(
    state: State, subscriptions: list[Subscription], page: int, limit: int, version: str
) -> Json:
    """One page of claimed subscriptions as Polar sends it; ``limit`` is clamped to 100."""
    limit = min(limit, 100)
    start = (page - 1) * limit
    if start > _BIGINT:
        raise OffsetOverflow(start)
    items = [
        served_subscription(sub.body, state.organizations[sub.organization_id])
        for sub in subscriptions[start : start + limit]
    ]
    if version == "2027-01":
        items = [reshape_2027_01(item) for item in items]
    total = len(subscriptions)
    return {
        "items": items,
        "pagination": {"total_count": total, "max_page": math.ceil(total / limit)},
    }


@requires(PORTAL)
async def list_claimed_subscriptions(request: web.Request) -> web.StreamResponse:
    """``GET /v1/customer-portal/seats/subscriptions``: where the caller holds a claimed seat."""
    query, problems = _pagination(request.query)
    if problems:
        return json_response(422, {"error": "RequestValidationError", "detail": problems})
    state = request.app[STATE]
    session = exchange().subject
    assert isinstance(session, Session)
    body = list_page(state, state.claimed_subscriptions(session), *query, exchange().version)
    return json_response(200, body)


@requires(PORTAL)
async def introspect_customer_session(request: web.Request) -> web.StreamResponse:
    """``GET /v1/customer-portal/customer-session/introspect``: the session's expiry."""
    session = exchange().subject
    assert isinstance(session, Session)
    return json_response(200, session_body(session))


ROUTES: tuple[tuple[str, str, Route], ...] = (
    ("GET", "/v1/customer-portal/seats/subscriptions", list_claimed_subscriptions),
    ("GET", "/v1/customer-portal/customer-session/introspect", introspect_customer_session),
)
"""Every route: method, path, handler. Each is served under ``/api`` too, as Polar does."""


def _pagination(query: MultiMapping[str]) -> tuple[tuple[int, int], list[Json]]:
    """``(page, limit)`` and FastAPI's 422 entries; a repeated parameter: the last wins."""
    values: list[int] = []
    problems: list[Json] = []
    for name, default in (("page", 1), ("limit", 10)):
        given = query.getall(name, [])
        if not given:
            values.append(default)
            continue
        raw = given[-1]
        if not _INTEGER.fullmatch(raw.strip()):
            problems.append(
                {
                    "type": "int_parsing",
                    "loc": ["query", name],
                    "msg": "Input should be a valid integer, unable to parse string as an integer",
                    "input": raw,
                }
            )
        elif int(raw) <= 0:
            problems.append(
                {
                    "type": "greater_than",
                    "loc": ["query", name],
                    "msg": "Input should be greater than 0",
                    "input": raw,
                    "ctx": {"gt": 0},
                }
            )
        else:
            values.append(int(raw))
    if problems:
        return (1, 10), problems
    return (values[0], values[1]), problems
