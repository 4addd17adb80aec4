"""Claims: an invitation's token, read and claimed without a credential.

``GET /v1/customer-seats/claim/{invitation_token}`` says what the invitation is for, with
no side effects; ``POST /v1/customer-seats/claim`` claims the seat (single use) and answers
a member session. Polar rate-limits both per IP; the token is in the path of the first.
"""

from __future__ import annotations

from aiohttp import web

from .._core.answers import model_body, respond, validation_error
from .._core.routing import RouteTable, state_of
from .._core.store import Json
from .._core.validation import Field, Model, string
from .seats import (
    INVALID_TOKEN,
    Seat,
    SeatTables,
    container_of,
    invalid_token,
    member_by_email,
    not_found,
    seat_body,
)

__all__ = ["ROUTES", "claim_info", "claim_seat"]


def _seat_by_token(state: SeatTables, token: str) -> Seat | None:
    """The pending seat whose live invitation this is."""
    for seat in state.seats:
        if seat.invitation_token == token:
            expires = seat.invitation_expires_at
            if seat.status != "pending" or (expires is not None and expires < state.clock()):
                return None
            return seat
    return None


def claim_info(state: SeatTables, token: str) -> Json:
    """``SeatClaimInfo``; a used, revoked, expired or unknown token: 404 (no side effects)."""
    seat = _seat_by_token(state, token)
    if seat is None:
        raise not_found(INVALID_TOKEN)
    container = container_of(state, seat)
    organization = state.organizations[container.organization_id]
    product = container.body["product"]
    return {
        "product_name": product["name"],
        "product_id": product["id"],
        "organization_name": organization.name,
        "organization_slug": organization.slug,
        "customer_email": seat_body(state, seat)["customer_email"] or "",
        "can_claim": seat.status == "pending",
    }


def claim_seat(state: SeatTables, token: str) -> Json:
    """Claim: the token is cleared (single use) and a member session of an hour answers."""
    seat = _seat_by_token(state, token)
    if seat is None or seat.customer_id is None:
        raise invalid_token()
    container = container_of(state, seat)
    loaded = state.members.get(seat.member_id or "")
    customer = state.customers[seat.customer_id]
    if seat.member_id is None:
        if state.organizations[container.organization_id].member_model_enabled:
            if not seat.email:
                raise invalid_token()
            seat.member_id = member_by_email(state, customer, seat.email).id
        else:
            if customer.email is None:
                raise invalid_token()
            billing = state.customers[container.customer_id]
            seat.member_id = member_by_email(state, billing, customer.email).id
            seat.email = customer.email
    now = state.clock()
    seat.status, seat.claimed_at, seat.modified_at = "claimed", now, now
    seat.invitation_token = None
    member = state.members[seat.member_id]
    session = state.mint_session(state.customers[member.customer_id], member)
    body = seat_body(state, seat, (loaded, customer))
    state.emit("customer_seat.claimed", seat_body(state, seat))
    return {"seat": body, "customer_session_token": session.token}


_SEAT_CLAIM = Model("SeatClaim", (Field("invitation_token", string, required=True),))


async def get_claim_info(request: web.Request) -> web.StreamResponse:
    """``GET /v1/customer-seats/claim/{invitation_token}``: no credential, no side effects."""
    state = state_of(request, SeatTables)
    token = request.match_info["invitation_token"]
    return respond(lambda: claim_info(state, token))


async def post_claim(request: web.Request) -> web.StreamResponse:
    """``POST /v1/customer-seats/claim``: no credential; the seat and a member session."""
    body, invalid = await model_body(request)
    if invalid is not None:
        return invalid
    values, problems = _SEAT_CLAIM.validate(body, where=["body"])
    if problems:
        return validation_error(problems)
    state = state_of(request, SeatTables)
    return respond(lambda: claim_seat(state, values["invitation_token"]))


ROUTES: RouteTable = (
    ("GET", "/v1/customer-seats/claim/{invitation_token}", get_claim_info),
    ("POST", "/v1/customer-seats/claim", post_claim),
)
