"""The seat lifecycle's routes: the customer portal's, the organization's, and the claim.

Both sides run the same service (``_seats``), as Polar's routers do; each route reads
its query, path or body as FastAPI and pydantic read them (with their 422 entries) and
answers Polar's error envelope for a ``SeatError``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from ._core.middleware import exchange, json_body, json_response, validation_error
from ._core.routing import ORGANIZATION, PORTAL, STATE, Route, requires
from ._core.validation import (
    MISSING,
    Field,
    Invalid,
    Model,
    boolean,
    entry,
    mapping,
    missing_body,
    optional,
    string,
    uuid4,
    uuid_any,
)
from ._resources.customers import Json, Seat, State, Subject
from ._resources.seats import (
    Container,
    SeatError,
    assign_seat,
    claim_info,
    claim_seat,
    container_for,
    list_seats,
    resend_invitation,
    revoke_seat,
    seat_for,
)

__all__ = ["SEAT_ROUTES"]

READ = frozenset({"customer_seats:read"})
WRITE = frozenset({"customer_seats:write"})
_METADATA_KEYS = 10
_METADATA_BYTES = 1024


def _subject() -> Subject:
    subject = exchange().subject
    assert subject is not None
    return subject


def _answer(run: Callable[[], Json]) -> web.Response:
    try:
        return json_response(200, run())
    except SeatError as error:
        return json_response(error.status, error.body)


# Reading requests ------------------------------------------------------------------------


def _uuid_param(where: str, name: str, raw: str) -> tuple[str | None, list[Json]]:
    """A ``UUID4`` query or path parameter, or its 422 entry."""
    try:
        return uuid4(raw), []
    except Invalid as bad:
        return None, [entry(bad.kind, [where, name], bad.msg, raw, bad.ctx)]


def _email(undeliverable: set[str]) -> Callable[[Any], str]:
    """pydantic's ``EmailStr`` and Polar's ``EmailStrDNS``: the syntax, then the MX check
    (a domain in ``undeliverable``, or under one, "does not exist")."""

    def check(value: Any) -> str:
        text = string(value)
        local, at, domain = text.rpartition("@")
        reason = None
        if not at:
            reason = "An email address must have an @-sign."
        elif not local:
            reason = "There must be something before the @-sign."
        elif not domain:
            reason = "There must be something after the @-sign."
        elif "." not in domain:
            reason = "The part after the @-sign is not valid. It should have a period."
        if reason is not None:
            raise Invalid(
                "value_error",
                f"value is not a valid email address: {reason}",
                {"reason": reason},
            )
        domain = domain.lower()
        if any(domain == d or domain.endswith("." + d) for d in undeliverable):
            reason = f"The domain name {domain} does not exist."
            raise Invalid(
                "value_error",
                f"{text} is not a valid email address: {reason}",
                {"email": text, "reason": reason},
            )
        return f"{local}@{domain}"

    return check


def _metadata(value: Any) -> Json:
    """``SeatAssign.validate_metadata``: at most 10 keys and 1 KB of ``json.dumps``."""
    metadata = mapping(value)
    if len(metadata) > _METADATA_KEYS:
        raise _value_error("Metadata cannot have more than 10 keys")
    if len(json.dumps(metadata)) > _METADATA_BYTES:
        raise _value_error("Metadata size cannot exceed 1KB")
    return metadata


def _value_error(message: str) -> Invalid:
    return Invalid("value_error", f"Value error, {message}", {"error": {}})


def _assign_model(state: State, portal: bool) -> Model:
    """``SeatAssign`` (the organization's) or ``CustomerSeatAssign`` (the portal's)."""
    fields = [
        Field("subscription_id", optional(uuid_any)),
        Field("order_id", optional(uuid_any)),
        Field("email", optional(_email(state.undeliverable_domains))),
        Field("external_customer_id", optional(string)),
        Field("customer_id", optional(uuid_any)),
        Field("external_member_id", optional(string)),
        Field("member_id", optional(uuid_any)),
        Field("metadata", optional(_metadata)),
        Field("immediate_claim", boolean),
    ]
    if portal:
        fields.append(Field("checkout_id", optional(uuid_any)))
    return Model("CustomerSeatAssign" if portal else "SeatAssign", fields)


def _recipient_problem(values: Json) -> str | None:
    """``SeatAssign.validate_recipient``: which identifiers may go together."""
    legacy = sum(values[k] is not None for k in ("external_customer_id", "customer_id"))
    member = sum(values[k] is not None for k in ("external_member_id", "member_id"))
    email = values["email"] is not None
    if legacy + member + email == 0:
        return (
            "At least one of email, external_customer_id, customer_id, external_member_id, "
            "or member_id must be provided"
        )
    if legacy and member:
        return "Cannot combine external_customer_id/customer_id with external_member_id/member_id"
    if member > 1:
        return "Cannot provide both external_member_id and member_id"
    if legacy and legacy + email != 1:
        return "Exactly one of email, external_customer_id, or customer_id must be provided"
    if values["member_id"] is not None and email:
        return "Cannot combine member_id with email"
    return None


def _validate_assign(model: Model, body: Any, portal: bool) -> tuple[Json, list[Json]]:
    """The body's values, or pydantic's entries: field errors first; else the model's
    validators in order (the seat source, then the recipient), the first that fails."""
    values, problems = model.validate(body, where=["body"])
    if problems:
        return values, problems
    sources = ("subscription_id", "order_id", "checkout_id")[: 3 if portal else 2]
    if sum(values.get(k) is not None for k in sources) != 1:
        names = (
            "subscription_id, order_id, or checkout_id" if portal else "subscription_id or order_id"
        )
        problem: str | None = f"Exactly one of {names} must be provided"
    else:
        problem = _recipient_problem(values)
    if problem is None:
        return values, []
    return values, [entry("value_error", ["body"], f"Value error, {problem}", body, {"error": {}})]


def _assign_container(state: State, subject: Subject, values: Json) -> Container:
    if values["subscription_id"] is not None:
        return container_for(state, subject, "subscription", values["subscription_id"])
    if values["order_id"] is not None:
        return container_for(state, subject, "order", values["order_id"])
    for subscription in state.subscriptions.values():
        if subscription.body.get("checkout_id") == values.get("checkout_id"):
            return container_for(state, subject, "subscription", subscription.id)
    raise SeatError(404, "ResourceNotFound", "No subscription or order found for this checkout")


# The routes ------------------------------------------------------------------------------


async def _list(request: web.Request) -> web.StreamResponse:
    """``SeatsList`` of a subscription (``subscription_id`` wins) or an order."""
    ids: dict[str, str | None] = {}
    problems: list[Json] = []
    for name in ("subscription_id", "order_id"):
        given = request.query.getall(name, [])
        ids[name], wrong = _uuid_param("query", name, given[-1]) if given else (None, [])
        problems += wrong
    if problems:
        return validation_error(problems)
    state = request.app[STATE]

    def run() -> Json:
        if ids["subscription_id"] is not None:
            kind, wanted = "subscription", ids["subscription_id"]
        elif ids["order_id"] is not None:
            kind, wanted = "order", ids["order_id"]
        else:
            raise SeatError(
                400, "BadRequest", "Either subscription_id or order_id must be provided"
            )
        return list_seats(state, container_for(state, _subject(), kind, wanted))

    return _answer(run)


async def _assign(request: web.Request, portal: bool) -> web.StreamResponse:
    body, invalid = await json_body(request)
    if invalid is not None:
        return invalid
    if body is MISSING:
        return validation_error(missing_body())
    state = request.app[STATE]
    values, problems = _validate_assign(_assign_model(state, portal), body, portal)
    if problems:
        return validation_error(problems)
    try:
        container = _assign_container(state, _subject(), values)
        seat = await assign_seat(state, container, values)
    except SeatError as error:
        return json_response(error.status, error.body)
    return json_response(200, seat)


def _on_seat(
    action: Callable[[State, Seat], Json],
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """A route on ``/{seat_id}``: the id read as ``UUID4``, the seat found for the caller."""

    async def route(request: web.Request) -> web.StreamResponse:
        seat_id, problems = _uuid_param("path", "seat_id", request.match_info["seat_id"])
        if problems:
            return validation_error(problems)
        state = request.app[STATE]
        assert seat_id is not None
        return _answer(lambda: action(state, seat_for(state, _subject(), seat_id)))

    return route


@requires(PORTAL)
async def portal_list(request: web.Request) -> web.StreamResponse:
    """``GET /v1/customer-portal/seats``: any member may list its customer's seats."""
    return await _list(request)


@requires(PORTAL, reads_body=True, billing=True)
async def portal_assign(request: web.Request) -> web.StreamResponse:
    """``POST /v1/customer-portal/seats``: 200 with the seat."""
    return await _assign(request, portal=True)


portal_revoke = requires(PORTAL, billing=True)(_on_seat(revoke_seat))
portal_resend = requires(PORTAL, billing=True)(_on_seat(resend_invitation))


@requires(ORGANIZATION, scopes=READ)
async def org_list(request: web.Request) -> web.StreamResponse:
    """``GET /v1/customer-seats``: the organization's subscription or order."""
    return await _list(request)


@requires(ORGANIZATION, scopes=WRITE, reads_body=True)
async def org_assign(request: web.Request) -> web.StreamResponse:
    """``POST /v1/customer-seats``: ``SeatAssign`` (no ``checkout_id``)."""
    return await _assign(request, portal=False)


org_revoke = requires(ORGANIZATION, scopes=WRITE)(_on_seat(revoke_seat))
org_resend = requires(ORGANIZATION, scopes=WRITE)(_on_seat(resend_invitation))

_SEAT_CLAIM = Model("SeatClaim", (Field("invitation_token", string, required=True),))


async def get_claim_info(request: web.Request) -> web.StreamResponse:
    """``GET /v1/customer-seats/claim/{invitation_token}``: no credential, no side effects."""
    state = request.app[STATE]
    token = request.match_info["invitation_token"]
    return _answer(lambda: claim_info(state, token))


async def post_claim(request: web.Request) -> web.StreamResponse:
    """``POST /v1/customer-seats/claim``: no credential; the seat and a member session."""
    body, invalid = await json_body(request)
    if invalid is not None:
        return invalid
    if body is MISSING:
        return validation_error(missing_body())
    values, problems = _SEAT_CLAIM.validate(body, where=["body"])
    if problems:
        return validation_error(problems)
    state = request.app[STATE]
    return _answer(lambda: claim_seat(state, values["invitation_token"]))


SEAT_ROUTES: tuple[tuple[str, str, Route], ...] = (
    ("GET", "/v1/customer-portal/seats", portal_list),
    ("POST", "/v1/customer-portal/seats", portal_assign),
    ("DELETE", "/v1/customer-portal/seats/{seat_id}", portal_revoke),
    ("POST", "/v1/customer-portal/seats/{seat_id}/resend", portal_resend),
    ("GET", "/v1/customer-seats", org_list),
    ("POST", "/v1/customer-seats", org_assign),
    ("GET", "/v1/customer-seats/claim/{invitation_token}", get_claim_info),
    ("POST", "/v1/customer-seats/claim", post_claim),
    ("DELETE", "/v1/customer-seats/{seat_id}", org_revoke),
    ("POST", "/v1/customer-seats/{seat_id}/resend", org_resend),
)
"""The seat lifecycle's routes, after the claimed-subscriptions list in ``ROUTES``."""
