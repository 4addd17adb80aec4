"""Seats: the seat lifecycle as Polar's ``SeatService`` runs it, its routes and bodies.

The customer portal and the organization side share one service, as Polar's two routers
do: list, assign, revoke, resend (the claim is ``claims``). Each route reads its query,
path or body as FastAPI and pydantic read them (with their 422 entries); the service
raises ``PolarError`` with Polar's exception name, status and message, and each change
tells ``state.listeners`` (the webhook sender) and, for an invitation, ``state.outbox``.
Seats are sold on a subscription (``subscriptions``) or a one-time order (here).
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import json
from collections.abc import Callable
from typing import Any, Literal, Protocol

from aiohttp import web

from .._core.answers import PolarError, json_response, model_body, respond, validation_error
from .._core.clock import Clock
from .._core.middleware import exchange
from .._core.routing import ORGANIZATION, PORTAL, Route, RouteTable, requires, state_of
from .._core.store import Json, iso, new_id, token_urlsafe
from .._core.validation import (
    Field,
    Invalid,
    Model,
    boolean,
    entry,
    mapping,
    optional,
    string,
    uuid4,
    uuid_any,
)
from .customers import Customer, Member, member_body
from .sessions import OrganizationToken, Session, SessionTables, Subject, UserToken

__all__ = [
    "INVALID_TOKEN",
    "INVITATION_TTL",
    "ROUTES",
    "Container",
    "Invitation",
    "Order",
    "Seat",
    "SeatTables",
    "assigned_seats",
    "container_of",
    "invalid_token",
    "member_by_email",
    "not_found",
    "seat_body",
    "uuid_param",
]

INVITATION_TTL = 86_400.0
"""An invitation token is valid for one day, as Polar's are."""
INVALID_TOKEN = "Invalid or expired invitation token"
READ = frozenset({"customer_seats:read"})
WRITE = frozenset({"customer_seats:write"})
_METADATA_KEYS = 10
_METADATA_BYTES = 1024


class Container(Protocol):
    """What seats are sold on: a subscription, or a one-time order."""

    @property
    def id(self) -> str: ...
    @property
    def customer_id(self) -> str: ...
    @property
    def organization_id(self) -> str: ...
    @property
    def seats(self) -> int:
        """How many seats it holds."""
        ...

    @property
    def body(self) -> Json:
        """Its body as Polar sends it."""
        ...


@dataclasses.dataclass
class Order:
    """A one-time purchase of seats, and its body as Polar sends it."""

    id: str
    customer_id: str
    organization_id: str
    seats: int
    body: Json
    paid: bool = True


@dataclasses.dataclass
class Seat:
    id: str
    subscription_id: str | None
    order_id: str | None
    status: Literal["pending", "claimed", "revoked"]
    email: str | None = None
    customer_id: str | None = None
    member_id: str | None = None
    invitation_token: str | None = None
    invitation_expires_at: float | None = None
    claimed_at: float | None = None
    revoked_at: float | None = None
    metadata: Json = dataclasses.field(default_factory=dict[str, Any])
    created_at: float = 0.0
    modified_at: float | None = None


@dataclasses.dataclass(frozen=True)
class Invitation:
    """An invitation email the fake "sent" (on assign and resend): to whom, the token."""

    to: str
    token: str = dataclasses.field(repr=False)
    seat_id: str
    at: float
    """When it was sent, on the server's clock."""


class SeatTables(SessionTables):
    """Seats, orders, the invitations sent; the subscriptions' tables (above) say which
    subscription an id names."""

    def __init__(self, clock: Clock, *, seed: int = 0) -> None:
        super().__init__(clock, seed=seed)
        self._invitation_tokens = self.draws("invitations")
        self.orders: dict[str, Order] = {}
        self.seats: list[Seat] = []
        """In table order, which is the order Polar's unordered queries happen to return."""
        self.outbox: list[Invitation] = []
        """Every invitation email sent, in order."""
        self.undeliverable_domains: set[str] = {"invalid"}
        """Email domains (and their subdomains) Polar's MX check refuses; RFC 2606's
        ``.invalid`` never resolves."""
        self.locks: collections.defaultdict[str, asyncio.Lock] = collections.defaultdict(
            asyncio.Lock
        )
        """One per subscription or order: Polar's ``SELECT ... FOR UPDATE`` of its row."""

    def subscription(self, subscription_id: str) -> Container | None:
        """The subscription with this id, if the fake holds one."""
        raise NotImplementedError

    def subscription_of_checkout(self, checkout_id: str | None) -> Container | None:
        """The subscription a checkout made, if the fake holds one."""
        raise NotImplementedError

    def claimed_seat(self, subscription: Container, member: Member) -> Seat:
        """A seat of ``subscription`` claimed by ``member`` (and its customer), not yet placed."""
        customer = self.customers[member.customer_id]
        now = self.clock()
        return Seat(
            new_id(),
            subscription.id,
            None,
            "claimed",
            email=customer.email,
            customer_id=customer.id,
            member_id=member.id,
            claimed_at=now,
            created_at=now,
        )

    def new_invitation_token(self) -> str:
        """The token of an invitation the fake sends (assign), as Polar's."""
        return token_urlsafe(self._invitation_tokens)

    def holds(self, session: Session, seat: Seat) -> bool:
        """Whether the session's subject holds ``seat`` (by member for a member session)."""
        if session.member_id is not None:
            return seat.member_id == session.member_id
        return seat.customer_id == session.customer_id


def not_found(what: str) -> PolarError:
    """Polar's 404 for something the caller may not see, or that is not there."""
    return PolarError(404, "ResourceNotFound", what)


def invalid_token() -> PolarError:
    """Polar's 400 for an invitation token it cannot use."""
    return PolarError(400, "InvalidInvitationToken", INVALID_TOKEN)


# Bodies ----------------------------------------------------------------------------------


def seat_body(
    state: SeatTables, seat: Seat, loaded: tuple[Member | None, Customer | None] | None = None
) -> Json:
    """Polar's ``CustomerSeat``. ``loaded`` are the member and customer Polar had loaded,
    which may be older than the row: a revoke answers with the ones it cleared, a claim
    with the member the seat had before it (as recorded). By default, the row's own."""
    if loaded is None:
        loaded = (
            state.members.get(seat.member_id or ""),
            state.customers.get(seat.customer_id or ""),
        )
    member, customer = loaded
    email = (
        seat.email or (member.email if member else None) or (customer.email if customer else None)
    )
    expires = seat.invitation_expires_at
    return {
        "created_at": iso(seat.created_at),
        "modified_at": iso(seat.modified_at) if seat.modified_at is not None else None,
        "id": seat.id,
        "subscription_id": seat.subscription_id,
        "order_id": seat.order_id,
        "status": seat.status,
        "customer_id": seat.customer_id,
        "member_id": seat.member_id,
        "member": member_body(member) if member else None,
        "email": seat.email,
        "customer_email": email or None,
        "invitation_token_expires_at": iso(expires) if expires is not None else None,
        "claimed_at": iso(seat.claimed_at) if seat.claimed_at is not None else None,
        "revoked_at": iso(seat.revoked_at) if seat.revoked_at is not None else None,
        "seat_metadata": seat.metadata,
    }


# Finding things ------------------------------------------------------------------------


def container_for(state: SeatTables, subject: Subject, kind: str, container_id: str) -> Container:
    """The subscription or order the subject may read (Polar's readable statement: its
    customer's, or its organization's), else Polar's 404."""
    found: Container | None = (
        state.subscription(container_id)
        if kind == "subscription"
        else state.orders.get(container_id)
    )
    if found is None or not _readable(subject, found):
        raise not_found("Subscription not found" if kind == "subscription" else "Order not found")
    return found


def _readable(subject: Subject, container: Container) -> bool:
    if isinstance(subject, Session):
        return container.customer_id == subject.customer_id
    return container.organization_id in subject.organization_ids


def container_of(state: SeatTables, seat: Seat) -> Container:
    if seat.order_id is not None:
        return state.orders[seat.order_id]
    assert seat.subscription_id is not None
    found = state.subscription(seat.subscription_id)
    assert found is not None
    return found


def seat_for(state: SeatTables, subject: Subject, seat_id: str) -> Seat:
    """The seat, if it is on a subscription or order the subject owns (the portal) or of
    its organization (a token), else Polar's 404 "Seat not found"."""
    for seat in state.seats:
        if seat.id == seat_id and _readable(subject, container_of(state, seat)):
            return seat
    raise not_found("Seat not found")


def _seats_of(state: SeatTables, container: Container) -> list[Seat]:
    key = "order_id" if isinstance(container, Order) else "subscription_id"
    return [seat for seat in state.seats if getattr(seat, key) == container.id]


def assigned_seats(state: SeatTables, container: Container) -> int:
    """How many of the container's seats are assigned: pending or claimed."""
    return sum(seat.status != "revoked" for seat in _seats_of(state, container))


def _available(state: SeatTables, container: Container) -> int:
    return max(0, container.seats - assigned_seats(state, container))


# The lifecycle -------------------------------------------------------------------------


def list_seats(state: SeatTables, container: Container) -> Json:
    """``SeatsList``: every seat row (revoked ones too), not paginated."""
    return {
        "seats": [seat_body(state, seat) for seat in _seats_of(state, container)],
        "available_seats": _available(state, container),
        "total_seats": container.seats,
    }


async def assign_seat(state: SeatTables, container: Container, values: Json) -> Json:
    """Polar's ``assign_seat``, its checks in its order; the container's lock makes
    concurrent assigns for the last seat give one seat and ``SeatNotAvailable`` to the rest."""
    if isinstance(container, Order) and not container.paid:
        raise PolarError(400, "SeatNotAvailable", "Order must be paid before assigning seats")
    async with state.locks[container.id]:
        await asyncio.sleep(0)  # Polar's round trips to its database: others get to run
        if _available(state, container) <= 0:
            raise PolarError(400, "SeatNotAvailable", f"No available seats for {container.id}")
        await asyncio.sleep(0)
        organization = state.organizations[container.organization_id]
        target: tuple[Customer, Member | None, str]
        if (
            organization.member_model_enabled
            or values.get("member_id")
            or values.get("external_member_id")
        ):
            target = _member_model_target(state, container, values)
        else:
            target = _legacy_target(state, container, values)
        customer, member, email = target
        seat = _place(state, container, customer, member, email, values)
    if values.get("immediate_claim"):
        state.emit("customer_seat.claimed", seat_body(state, seat))
    else:
        _send_invitation(state, seat, email)
        state.emit("customer_seat.assigned", seat_body(state, seat))
    return seat_body(state, seat)


def _place(
    state: SeatTables,
    container: Container,
    customer: Customer,
    member: Member | None,
    email: str,
    values: Json,
) -> Seat:
    """Reuse a revoked row of the container (the first, in table order: same seat id),
    else insert one; pending with a one-day token, or claimed at once."""
    now = state.clock()
    immediate = bool(values.get("immediate_claim"))
    seat = next((s for s in _seats_of(state, container) if s.status == "revoked"), None)
    if seat is None:
        is_subscription = not isinstance(container, Order)
        seat = Seat(
            new_id(),
            container.id if is_subscription else None,
            None if is_subscription else container.id,
            "pending",
            created_at=now,
        )
        state.seats.append(seat)
    else:
        seat.modified_at = now
    seat.status = "claimed" if immediate else "pending"
    seat.invitation_token = None if immediate else state.new_invitation_token()
    seat.invitation_expires_at = None if immediate else now + INVITATION_TTL
    seat.customer_id, seat.email = customer.id, email
    seat.member_id = member.id if member is not None else None
    seat.metadata = values.get("metadata") or {}
    seat.revoked_at = None
    seat.claimed_at = now if immediate else None
    return seat


def _find_customer(state: SeatTables, organization_id: str, values: Json) -> Customer | None:
    for customer in state.customers.values():
        if customer.organization_id != organization_id:
            continue
        if values.get("email") and (customer.email or "").lower() == values["email"].lower():
            return customer
        if values.get("external_customer_id") and (
            customer.external_id == values["external_customer_id"]
        ):
            return customer
        if values.get("customer_id") and customer.id == values["customer_id"]:
            return customer
    return None


def _legacy_target(
    state: SeatTables, container: Container, values: Json
) -> tuple[Customer, Member | None, str]:
    """The member model off: a customer for the person (created for an email), and a
    member under the billing customer, as Polar's ``_resolve_legacy_target``."""
    customer = _find_customer(state, container.organization_id, values)
    if customer is None:
        if not values.get("email"):
            wanted = values.get("external_customer_id") or values.get("customer_id")
            raise PolarError(404, "CustomerNotFound", f"Customer not found: {wanted}")
        customer = state.add_customer(container.organization_id, values["email"])
    for seat in _seats_of(state, container):
        if seat.customer_id == customer.id and seat.status != "revoked":
            identifier = (
                values.get("email") or values.get("external_customer_id") or values["customer_id"]
            )
            raise PolarError(
                400, "SeatAlreadyAssigned", f"Seat already assigned to customer {identifier}"
            )
    if customer.email is None:  # a team without an address: nobody to invite
        raise PolarError(
            400, "InvalidSeatAssignmentRequest", "The customer has no email to send the seat to."
        )
    member = member_by_email(state, state.customers[container.customer_id], customer.email)
    return customer, member, customer.email


def _member_model_target(
    state: SeatTables, container: Container, values: Json
) -> tuple[Customer, Member, str]:
    """The member model on (or a member asked for): a member under the billing customer,
    as Polar's ``_resolve_member_model_target``."""
    billing = state.customers[container.customer_id]
    email: str | None = values.get("email")
    if values.get("customer_id") or values.get("external_customer_id"):
        customer = _find_customer(state, container.organization_id, {**values, "email": None})
        if customer is None:
            raise PolarError(
                400,
                "InvalidSeatAssignmentRequest",
                "Customer not found for the provided customer_id or external_customer_id.",
            )
        email = email or customer.email
    member = _resolve_member(state, billing, email, values)
    for seat in _seats_of(state, container):
        if (seat.email or "").lower() == member.email.lower() and seat.status != "revoked":
            raise PolarError(
                400, "SeatAlreadyAssigned", f"Seat already assigned to customer {member.email}"
            )
    return billing, member, member.email


def _resolve_member(
    state: SeatTables, billing: Customer, email: str | None, values: Json
) -> Member:
    members = [m for m in state.members.values() if m.customer_id == billing.id]
    if values.get("member_id"):
        found = next((m for m in members if m.id == values["member_id"]), None)
        if found is None:
            raise PolarError(404, "MemberNotFound", f"Member not found: {values['member_id']}")
        return found
    external = values.get("external_member_id")
    if external:
        found = next((m for m in members if m.external_id == external), None)
        mismatch = PolarError(
            400,
            "MemberEmailMismatch",
            f"Member with external_member_id '{external}' exists but has a different "
            f"email than '{email}'",
        )
        if found is not None:
            if email and found.email.lower() != email.lower():
                raise mismatch
            return found
        if not email:
            raise PolarError(404, "MemberNotFound", f"Member not found: {external}")
        member = member_by_email(state, billing, email)
        if member.external_id is not None:  # another one (a member with this one is `found`)
            raise mismatch
        member.external_id = external
        return member
    if email:
        return member_by_email(state, billing, email)
    raise PolarError(
        400,
        "InvalidSeatAssignmentRequest",
        "At least one of email, external_member_id, or member_id must be provided when "
        "member_model_enabled is true.",
    )


def member_by_email(state: SeatTables, customer: Customer, email: str) -> Member:
    """Polar's ``get_or_create_by_email``: the customer's member with that email, or a new
    one with the role ``member``."""
    email = email.strip()
    for member in state.members.values():
        if member.customer_id == customer.id and member.email == email:
            return member
    return state.add_member(customer, email=email)


def _send_invitation(state: SeatTables, seat: Seat, email: str) -> None:
    assert seat.invitation_token is not None
    state.outbox.append(Invitation(email, seat.invitation_token, seat.id, state.clock()))


def revoke_seat(state: SeatTables, seat: Seat) -> Json:
    """Revoked already: unchanged. Else revoked now, its token, customer, member and email
    cleared; the answer still shows the member and email Polar had loaded."""
    if seat.status == "revoked":
        return seat_body(state, seat)
    member = state.members.get(seat.member_id or "")
    customer = state.customers.get(seat.customer_id or "")
    now = state.clock()
    seat.status, seat.revoked_at, seat.modified_at = "revoked", now, now
    seat.invitation_token = seat.customer_id = seat.member_id = seat.email = None
    body = seat_body(state, seat, (member, customer))
    state.emit("customer_seat.revoked", body)
    return body


def resend_invitation(state: SeatTables, seat: Seat) -> Json:
    """The same token, the same expiry, emailed again; only a pending seat."""
    if seat.status != "pending":
        raise PolarError(400, "SeatNotPending", "Seat is not in pending status")
    body = seat_body(state, seat)
    if not seat.invitation_token or not body["customer_email"]:
        raise invalid_token()
    _send_invitation(state, seat, body["customer_email"])
    return body


# Reading requests ------------------------------------------------------------------------


def uuid_param(where: str, name: str, raw: str) -> tuple[str | None, list[Json]]:
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


def _assign_model(state: SeatTables, portal: bool) -> Model:
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


def _assign_container(state: SeatTables, subject: Subject, values: Json) -> Container:
    if values["subscription_id"] is not None:
        return container_for(state, subject, "subscription", values["subscription_id"])
    if values["order_id"] is not None:
        return container_for(state, subject, "order", values["order_id"])
    subscription = state.subscription_of_checkout(values.get("checkout_id"))
    if subscription is not None:
        return container_for(state, subject, "subscription", subscription.id)
    raise PolarError(404, "ResourceNotFound", "No subscription or order found for this checkout")


# Routes ----------------------------------------------------------------------------------


def _subject() -> Subject:
    subject = exchange().subject
    assert isinstance(subject, Session | OrganizationToken | UserToken)
    return subject


def _listing() -> Route:
    """``GET``: the ``SeatsList`` of a subscription (``subscription_id`` wins) or an order."""

    async def route(request: web.Request) -> web.StreamResponse:
        ids: dict[str, str | None] = {}
        problems: list[Json] = []
        for name in ("subscription_id", "order_id"):
            given = request.query.getall(name, [])
            ids[name], wrong = uuid_param("query", name, given[-1]) if given else (None, [])
            problems += wrong
        if problems:
            return validation_error(problems)
        state = state_of(request, SeatTables)

        def run() -> Json:
            if ids["subscription_id"] is not None:
                kind, wanted = "subscription", ids["subscription_id"]
            elif ids["order_id"] is not None:
                kind, wanted = "order", ids["order_id"]
            else:
                raise PolarError(
                    400, "BadRequest", "Either subscription_id or order_id must be provided"
                )
            return list_seats(state, container_for(state, _subject(), kind, wanted))

        return respond(run)

    return route


def _assign(portal: bool) -> Route:
    """``POST``: the assign model of that side; 200 (not 201) with the seat."""

    async def route(request: web.Request) -> web.StreamResponse:
        body, invalid = await model_body(request)
        if invalid is not None:
            return invalid
        state = state_of(request, SeatTables)
        values, problems = _validate_assign(_assign_model(state, portal), body, portal)
        if problems:
            return validation_error(problems)
        try:
            container = _assign_container(state, _subject(), values)
            seat = await assign_seat(state, container, values)
        except PolarError as error:
            return json_response(error.status, error.body)
        return json_response(200, seat)

    return route


def _on_seat(action: Callable[[SeatTables, Seat], Json]) -> Route:
    """A route on ``/{seat_id}``: the id read as ``UUID4``, the seat found for the caller."""

    async def route(request: web.Request) -> web.StreamResponse:
        seat_id, problems = uuid_param("path", "seat_id", request.match_info["seat_id"])
        if problems:
            return validation_error(problems)
        state = state_of(request, SeatTables)
        assert seat_id is not None
        return respond(lambda: action(state, seat_for(state, _subject(), seat_id)))

    return route


# Any member may list its customer's seats; assign, revoke and resend are billing's.
portal_list = requires(PORTAL)(_listing())
portal_assign = requires(PORTAL, reads_body=True, billing=True)(_assign(portal=True))
portal_revoke = requires(PORTAL, billing=True)(_on_seat(revoke_seat))
portal_resend = requires(PORTAL, billing=True)(_on_seat(resend_invitation))
org_list = requires(ORGANIZATION, scopes=READ)(_listing())
org_assign = requires(ORGANIZATION, scopes=WRITE, reads_body=True)(_assign(portal=False))
org_revoke = requires(ORGANIZATION, scopes=WRITE)(_on_seat(revoke_seat))
org_resend = requires(ORGANIZATION, scopes=WRITE)(_on_seat(resend_invitation))


ROUTES: RouteTable = (
    ("GET", "/v1/customer-portal/seats", portal_list),
    ("POST", "/v1/customer-portal/seats", portal_assign),
    ("DELETE", "/v1/customer-portal/seats/{seat_id}", portal_revoke),
    ("POST", "/v1/customer-portal/seats/{seat_id}/resend", portal_resend),
    ("GET", "/v1/customer-seats", org_list),
    ("POST", "/v1/customer-seats", org_assign),
    ("DELETE", "/v1/customer-seats/{seat_id}", org_revoke),
    ("POST", "/v1/customer-seats/{seat_id}/resend", org_resend),
)
