"""The fake's routes, one per Polar endpoint, each a few lines over the state.

A route declares who may call it with ``requires()``; the middleware authenticates
before it runs and puts the session (or token) in ``exchange().subject``. The seat
lifecycle's routes are in ``_routes_seats``; ``ROUTES`` lists them all.
"""

from __future__ import annotations

import math
import re

from aiohttp import web
from multidict import MultiMapping

from .._core.middleware import exchange, json_body, json_response, validation_error
from .._core.routing import ORGANIZATION, PORTAL, STATE, Route, requires
from .._core.validation import (
    MISSING,
    Field,
    Model,
    http_url,
    missing_body,
    optional,
    string,
    uuid4,
    validate_union,
)
from .._routes_seats import SEAT_ROUTES
from .customers import (
    Customer,
    Json,
    Member,
    OrganizationToken,
    Session,
    State,
    Subscription,
    UserToken,
)
from .subscriptions import (
    customer_session_body,
    portal_user_body,
    reshape_2027_01,
    served_subscription,
    session_body,
)

__all__ = ["ROUTES", "SESSION_CREATE", "STATE", "list_page", "requires"]

_BIGINT = 2**63 - 1
_INTEGER = re.compile(r"[+-]?\d+")


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


@requires(PORTAL)
async def portal_user(request: web.Request) -> web.StreamResponse:
    """``GET /v1/customer-portal/customer-session/user``: who the session is."""
    session = exchange().subject
    assert isinstance(session, Session)
    state = request.app[STATE]
    member = state.members.get(session.member_id or "")
    return json_response(200, portal_user_body(state.customers[session.customer_id], member))


_SESSION_FIELDS = (
    Field("member_id", optional(uuid4)),
    Field("external_member_id", optional(string)),
    Field("return_url", optional(http_url)),
)
SESSION_CREATE = (
    Model(
        "CustomerSessionCustomerIDCreate",
        (*_SESSION_FIELDS, Field("customer_id", uuid4, required=True)),
    ),
    Model(
        "CustomerSessionCustomerExternalIDCreate",
        (
            *_SESSION_FIELDS,
            Field("external_customer_id", string, required=True, aliases=("customer_external_id",)),
        ),
    ),
)
"""Polar's ``CustomerSessionCreate`` union: by ``customer_id`` first (it wins when both are
given, as recorded), else by ``external_customer_id``."""


class Refused(Exception):
    """Polar's ``PolarRequestValidationError``: one ``value_error`` entry."""

    def __init__(self, field: str, msg: str, value: object) -> None:
        super().__init__(msg)
        self.entry = {"type": "value_error", "loc": ["body", field], "msg": msg, "input": value}


@requires(ORGANIZATION, scopes=frozenset({"customer_sessions:write"}), reads_body=True)
async def create_customer_session(request: web.Request) -> web.StreamResponse:
    """``POST /v1/customer-sessions/``: a new session for a customer (or one of its members
    in a member-model organization), an hour long; earlier ones stay valid."""
    body, invalid = await json_body(request)
    if invalid is not None:
        return invalid
    if body is MISSING:
        return validation_error(missing_body())
    model, values, problems = validate_union(SESSION_CREATE, body)
    if model is None:
        return validation_error(problems)
    state = request.app[STATE]
    token = exchange().subject
    assert isinstance(token, (OrganizationToken, UserToken))
    try:
        customer = _customer(state, token.organization_ids, values)
        member = _member(state, customer, values)
    except Refused as refused:
        return validation_error([refused.entry], "PolarRequestValidationError")
    except Ambiguous:
        return json_response(409, {"error": "AmbiguousExternalCustomerID", "detail": AMBIGUOUS})
    session = state.mint_session(customer, member, return_url=values["return_url"])
    state.minted.append(session)
    return json_response(201, customer_session_body(state, session))


class Ambiguous(Exception):
    """Polar's ``AmbiguousExternalCustomerID``: the external id names customers of several
    of the token's organizations."""


AMBIGUOUS = (
    "Several customers across your organizations share this external customer ID. Use an "
    "organization-scoped token, the Polar customer ID, or a unique external ID to disambiguate."
)


def _customer(state: State, organization_ids: frozenset[str], values: Json) -> Customer:
    """The customer the body names among the token's organizations (a user's token reaches
    several, so an external id may name more than one)."""
    if "customer_id" in values:
        field, wanted = "customer_id", values["customer_id"]
        named = [state.customers[wanted]] if wanted in state.customers else []
    else:
        field, wanted = "external_customer_id", values["external_customer_id"]
        named = [c for c in state.customers.values() if c.external_id == wanted]
    found = [c for c in named if c.organization_id in organization_ids]
    if len(found) > 1:
        raise Ambiguous(wanted)
    if not found:
        raise Refused(field, "Customer does not exist.", wanted)
    return found[0]


def _member(state: State, customer: Customer, values: Json) -> Member | None:
    """The member a session is for: ``None`` (a customer session) unless the organization
    has the member model, then the given member, else the owner (provisioned if missing)."""
    if not state.organizations[customer.organization_id].member_model_enabled:
        return None
    for field, attribute in (("member_id", "id"), ("external_member_id", "external_id")):
        wanted = values[field]
        if wanted is None:
            continue
        for member in state.members.values():
            if member.customer_id == customer.id and getattr(member, attribute) == wanted:
                return member
        raise Refused(field, "Member does not exist for this customer.", wanted)
    if customer.type == "team":
        raise Refused("member_id", "member_id is required for team customers.", None)
    owner = state.owner(customer)
    if owner is None:  # Polar's create_owner_member, from the customer's own fields
        owner = state.add_member(
            customer, name=customer.name, external_id=customer.external_id, role="owner"
        )
    return owner


ROUTES: tuple[tuple[str, str, Route], ...] = (
    ("GET", "/v1/customer-portal/seats/subscriptions", list_claimed_subscriptions),
    ("GET", "/v1/customer-portal/customer-session/introspect", introspect_customer_session),
    ("GET", "/v1/customer-portal/customer-session/user", portal_user),
    ("POST", "/v1/customer-sessions/", create_customer_session),
    *SEAT_ROUTES,
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
