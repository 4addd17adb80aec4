"""The seat lifecycle as Polar's ``SeatService`` runs it, over the fake's state.

The customer portal and the organization side share these functions, as Polar's two
routers share its service: list, assign, revoke, resend, and the two claim steps. Each
raises ``SeatError`` with Polar's exception name, status and message, and each change
tells ``state.listeners`` (the webhook sender) and, for an invitation, ``state.outbox``.
"""

from __future__ import annotations

import asyncio

from .customers import (
    Customer,
    Invitation,
    Json,
    Member,
    Order,
    Seat,
    Session,
    State,
    Subject,
    Subscription,
    new_id,
)
from .subscriptions import iso

__all__ = [
    "INVITATION_TTL",
    "Container",
    "SeatError",
    "assign_seat",
    "claim_info",
    "claim_seat",
    "container_for",
    "container_of",
    "list_seats",
    "resend_invitation",
    "revoke_seat",
    "seat_body",
    "seat_for",
]

INVITATION_TTL = 86_400.0
"""An invitation token is valid for one day, as Polar's are."""
_INVALID_TOKEN = "Invalid or expired invitation token"

Container = Subscription | Order


class SeatError(Exception):
    """One of Polar's errors: ``{"error": name, "detail": message}`` with ``status``."""

    def __init__(self, status: int, error: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.error, self.detail = status, error, detail

    @property
    def body(self) -> Json:
        return {"error": self.error, "detail": self.detail}


def _not_found(what: str) -> SeatError:
    return SeatError(404, "ResourceNotFound", what)


def _invalid_token() -> SeatError:
    return SeatError(400, "InvalidInvitationToken", _INVALID_TOKEN)


def member_body(member: Member) -> Json:
    """Polar's ``Member``."""
    return {
        "id": member.id,
        "created_at": iso(member.created_at),
        "modified_at": None,
        "customer_id": member.customer_id,
        "email": member.email,
        "name": member.name,
        "external_id": member.external_id,
        "role": member.role,
    }


def seat_body(
    state: State, seat: Seat, loaded: tuple[Member | None, Customer | None] | None = None
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


def container_for(state: State, subject: Subject, kind: str, container_id: str) -> Container:
    """The subscription or order the subject may read (Polar's readable statement: its
    customer's, or its organization's), else Polar's 404."""
    found: Container | None = (
        state.subscriptions.get(container_id)
        if kind == "subscription"
        else state.orders.get(container_id)
    )
    if found is None or not _readable(subject, found):
        raise _not_found("Subscription not found" if kind == "subscription" else "Order not found")
    return found


def _readable(subject: Subject, container: Container) -> bool:
    if isinstance(subject, Session):
        return container.customer_id == subject.customer_id
    return container.organization_id in subject.organization_ids


def container_of(state: State, seat: Seat) -> Container:
    if seat.subscription_id is not None:
        return state.subscriptions[seat.subscription_id]
    assert seat.order_id is not None
    return state.orders[seat.order_id]


def seat_for(state: State, subject: Subject, seat_id: str) -> Seat:
    """The seat, if it is on a subscription or order the subject owns (the portal) or of
    its organization (a token), else Polar's 404 "Seat not found"."""
    for seat in state.seats:
        if seat.id == seat_id and _readable(subject, container_of(state, seat)):
            return seat
    raise _not_found("Seat not found")


def _seats_of(state: State, container: Container) -> list[Seat]:
    key = "subscription_id" if isinstance(container, Subscription) else "order_id"
    return [seat for seat in state.seats if getattr(seat, key) == container.id]


def _available(state: State, container: Container) -> int:
    live = sum(seat.status != "revoked" for seat in _seats_of(state, container))
    return max(0, container.seats - live)


# The lifecycle -------------------------------------------------------------------------


def list_seats(state: State, container: Container) -> Json:
    """``SeatsList``: every seat row (revoked ones too), not paginated."""
    return {
        "seats": [seat_body(state, seat) for seat in _seats_of(state, container)],
        "available_seats": _available(state, container),
        "total_seats": container.seats,
    }


async def assign_seat(state: State, container: Container, values: Json) -> Json:
    """Polar's ``assign_seat``, its checks in its order; the container's lock makes
    concurrent assigns for the last seat give one seat and ``SeatNotAvailable`` to the rest."""
    if isinstance(container, Order) and not container.paid:
        raise SeatError(400, "SeatNotAvailable", "Order must be paid before assigning seats")
    async with state.locks[container.id]:
        await asyncio.sleep(0)  # Polar's round trips to its database: others get to run
        if _available(state, container) <= 0:
            raise SeatError(400, "SeatNotAvailable", f"No available seats for {container.id}")
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
    state: State,
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
        is_subscription = isinstance(container, Subscription)
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


def _find_customer(state: State, organization_id: str, values: Json) -> Customer | None:
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
    state: State, container: Container, values: Json
) -> tuple[Customer, Member | None, str]:
    """The member model off: a customer for the person (created for an email), and a
    member under the billing customer, as Polar's ``_resolve_legacy_target``."""
    customer = _find_customer(state, container.organization_id, values)
    if customer is None:
        if not values.get("email"):
            wanted = values.get("external_customer_id") or values.get("customer_id")
            raise SeatError(404, "CustomerNotFound", f"Customer not found: {wanted}")
        customer = state.add_customer(container.organization_id, values["email"])
    for seat in _seats_of(state, container):
        if seat.customer_id == customer.id and seat.status != "revoked":
            identifier = (
                values.get("email") or values.get("external_customer_id") or values["customer_id"]
            )
            raise SeatError(
                400, "SeatAlreadyAssigned", f"Seat already assigned to customer {identifier}"
            )
    if customer.email is None:  # a team without an address: nobody to invite
        raise SeatError(
            400, "InvalidSeatAssignmentRequest", "The customer has no email to send the seat to."
        )
    member = _member_by_email(state, state.customers[container.customer_id], customer.email)
    return customer, member, customer.email


def _member_model_target(
    state: State, container: Container, values: Json
) -> tuple[Customer, Member, str]:
    """The member model on (or a member asked for): a member under the billing customer,
    as Polar's ``_resolve_member_model_target``."""
    billing = state.customers[container.customer_id]
    email: str | None = values.get("email")
    if values.get("customer_id") or values.get("external_customer_id"):
        customer = _find_customer(state, container.organization_id, {**values, "email": None})
        if customer is None:
            raise SeatError(
                400,
                "InvalidSeatAssignmentRequest",
                "Customer not found for the provided customer_id or external_customer_id.",
            )
        email = email or customer.email
    member = _resolve_member(state, billing, email, values)
    for seat in _seats_of(state, container):
        if (seat.email or "").lower() == member.email.lower() and seat.status != "revoked":
            raise SeatError(
                400, "SeatAlreadyAssigned", f"Seat already assigned to customer {member.email}"
            )
    return billing, member, member.email


def _resolve_member(state: State, billing: Customer, email: str | None, values: Json) -> Member:
    members = [m for m in state.members.values() if m.customer_id == billing.id]
    if values.get("member_id"):
        found = next((m for m in members if m.id == values["member_id"]), None)
        if found is None:
            raise SeatError(404, "MemberNotFound", f"Member not found: {values['member_id']}")
        return found
    external = values.get("external_member_id")
    if external:
        found = next((m for m in members if m.external_id == external), None)
        mismatch = SeatError(
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
            raise SeatError(404, "MemberNotFound", f"Member not found: {external}")
        member = _member_by_email(state, billing, email)
        if member.external_id is not None:  # another one (a member with this one is `found`)
            raise mismatch
        member.external_id = external
        return member
    if email:
        return _member_by_email(state, billing, email)
    raise SeatError(
        400,
        "InvalidSeatAssignmentRequest",
        "At least one of email, external_member_id, or member_id must be provided when "
        "member_model_enabled is true.",
    )


def _member_by_email(state: State, customer: Customer, email: str) -> Member:
    """Polar's ``get_or_create_by_email``: the customer's member with that email, or a new
    one with the role ``member``."""
    email = email.strip()
    for member in state.members.values():
        if member.customer_id == customer.id and member.email == email:
            return member
    return state.add_member(customer, email=email)


def _send_invitation(state: State, seat: Seat, email: str) -> None:
    assert seat.invitation_token is not None
    state.outbox.append(Invitation(email, seat.invitation_token, seat.id, state.clock()))


def revoke_seat(state: State, seat: Seat) -> Json:
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


def resend_invitation(state: State, seat: Seat) -> Json:
    """The same token, the same expiry, emailed again; only a pending seat."""
    if seat.status != "pending":
        raise SeatError(400, "SeatNotPending", "Seat is not in pending status")
    body = seat_body(state, seat)
    if not seat.invitation_token or not body["customer_email"]:
        raise _invalid_token()
    _send_invitation(state, seat, body["customer_email"])
    return body


def _seat_by_token(state: State, token: str) -> Seat | None:
    """The pending seat whose live invitation this is."""
    for seat in state.seats:
        if seat.invitation_token == token:
            expires = seat.invitation_expires_at
            if seat.status != "pending" or (expires is not None and expires < state.clock()):
                return None
            return seat
    return None


def claim_info(state: State, token: str) -> Json:
    """``SeatClaimInfo``; a used, revoked, expired or unknown token: 404 (no side effects)."""
    seat = _seat_by_token(state, token)
    if seat is None:
        raise _not_found(_INVALID_TOKEN)
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


def claim_seat(state: State, token: str) -> Json:
    """Claim: the token is cleared (single use) and a member session of an hour answers."""
    seat = _seat_by_token(state, token)
    if seat is None or seat.customer_id is None:
        raise _invalid_token()
    container = container_of(state, seat)
    loaded = state.members.get(seat.member_id or "")
    customer = state.customers[seat.customer_id]
    if seat.member_id is None:
        if state.organizations[container.organization_id].member_model_enabled:
            if not seat.email:
                raise _invalid_token()
            seat.member_id = _member_by_email(state, customer, seat.email).id
        else:
            if customer.email is None:
                raise _invalid_token()
            billing = state.customers[container.customer_id]
            seat.member_id = _member_by_email(state, billing, customer.email).id
            seat.email = customer.email
    now = state.clock()
    seat.status, seat.claimed_at, seat.modified_at = "claimed", now, now
    seat.invitation_token = None
    member = state.members[seat.member_id]
    session = state.mint_session(state.customers[member.customer_id], member)
    body = seat_body(state, seat, (loaded, customer))
    state.emit("customer_seat.claimed", seat_body(state, seat))
    return {"seat": body, "customer_session_token": session.token}
