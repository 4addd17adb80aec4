"""Pure rules of the seat operations: Polar's argument checks, the requests, and who a seat
belongs to (what assign reconciles with and what revoke compares)."""

from __future__ import annotations

import dataclasses
import json
import re
import uuid
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from .._clock import testing_clock
from .._errors import (
    APIStatusError,
    InvalidArgumentError,
    InvitationTokenError,
)
from .._protocol import Auth
from ..models import CustomerSeat, SeatsList

PORTAL = "/v1/customer-portal/seats"
ORGANIZATION = "/v1/customer-seats"
METADATA_KEYS = 10
METADATA_BYTES = 1024
_UUID = re.compile(
    r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"
)
_INVITATION = re.compile(r"^[A-Za-z0-9_-]+$")


def seats_path(credential: Auth) -> str:
    """The customer portal's seats for a customer credential, the organization's else."""
    if credential is Auth.CUSTOMER:
        return PORTAL
    if credential is Auth.ORGANIZATION:
        return ORGANIZATION
    raise InvalidArgumentError(
        "Managing seats needs a credential: a customer session token (AsyncClient(token) "
        "or client.with_token(token)), a customer view (client.for_customer(...)), or an "
        "organization access token (AsyncClient(organization_token=...), with the "
        "customer_seats:read and customer_seats:write scopes).",
        argument="token, organization_token",
        given=(),
        choices=("token", "organization_token"),
    )


def container(
    subscription_id: str | uuid.UUID | None, order_id: str | uuid.UUID | None
) -> tuple[str, str]:
    """``("subscription_id", id)`` or ``("order_id", id)``: exactly one must be given."""
    if (subscription_id is None) == (order_id is None):
        raise InvalidArgumentError(
            "Pass exactly one of subscription_id= (a subscription's seats) or order_id= "
            "(a one-time order's seats).",
            argument="subscription_id, order_id",
            given=() if subscription_id is None else ("subscription_id", "order_id"),
            choices=("subscription_id", "order_id"),
        )
    if subscription_id is not None:
        return "subscription_id", polar_id(subscription_id, "subscription_id")
    return "order_id", polar_id(order_id, "order_id")


def polar_id(value: object, name: str, argument: str | None = None) -> str:
    """``value`` as a Polar id (a ``uuid.UUID`` as its string); a str that is not a UUID
    raises ``InvalidArgumentError`` naming ``argument`` (``name`` by default)."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str or a uuid.UUID, not {type(value).__name__}.")
    if not _UUID.match(value):
        raise InvalidArgumentError(
            f"{name} must be a Polar id, a UUID such as '…-4f1c-…' (got {value!r}).",
            argument=argument or name,
            expected="a Polar id, a UUID such as '…-4f1c-…'",
        )
    return value


def seat_id_of(seat: CustomerSeat | str | uuid.UUID) -> str:
    """The id of a seat given as a ``CustomerSeat`` or as its id."""
    if isinstance(seat, CustomerSeat):
        return polar_id(seat.id, "seat.id", "seat")
    return polar_id(seat, "seat")


def an_id(value: str | uuid.UUID | None) -> str | None:
    """An id as Polar takes it: a ``uuid.UUID`` as its string, anything else as given."""
    return str(value) if isinstance(value, uuid.UUID) else value


def check_invitation_token(token: object) -> str:
    """The invitation token if it can be one of Polar's (URL-safe base64); never echoed."""
    if not isinstance(token, str):
        raise TypeError(f"The invitation token must be a str, not {type(token).__name__}.")
    if not token:
        raise InvalidArgumentError(
            "The invitation token is empty: pass the token from the invitation link.",
            argument="invitation_token",
        )
    if not _INVITATION.match(token):
        raise InvalidArgumentError(
            "The invitation token holds characters Polar's tokens never do (they are "
            "URL-safe base64: letters, digits, '-' and '_'); pass the token alone, not the "
            "whole link, and strip any whitespace.",
            argument="invitation_token",
        )
    return token


@dataclasses.dataclass(frozen=True)
class Person:
    """Whom an assign names, as Polar's ``SeatAssign`` takes it."""

    email: str | None = None
    external_customer_id: str | None = None
    customer_id: str | None = None
    member_id: str | None = None
    external_member_id: str | None = None

    def check(self) -> Person:
        """Polar's ``validate_recipient``, before any request."""
        named = {k: v for k, v in dataclasses.asdict(self).items() if v is not None}
        for name, value in named.items():
            if not isinstance(value, str) or not value:
                raise InvalidArgumentError(
                    f"{name} must be a non-empty str, or None (got {value!r}).", argument=name
                )
        legacy = [name for name in ("external_customer_id", "customer_id") if name in named]
        member = [name for name in ("member_id", "external_member_id") if name in named]
        if not legacy and not member and self.email is None:
            raise InvalidArgumentError(
                "Name the person the seat is for: email=, customer_id=, "
                "external_customer_id=, member_id= or external_member_id=.",
                argument=", ".join(field.name for field in dataclasses.fields(self)),
                given=(),
                choices=tuple(field.name for field in dataclasses.fields(self)),
            )
        if legacy and member:
            raise InvalidArgumentError(
                "Polar does not take customer_id/external_customer_id together with "
                "member_id/external_member_id: name the person one way.",
                argument=", ".join([*legacy, *member]),
                choices=("customer_id", "external_customer_id", "member_id", "external_member_id"),
            )
        if len(member) > 1:
            raise InvalidArgumentError(
                "Pass member_id= or external_member_id=, not both.",
                argument=", ".join(member),
                choices=("member_id", "external_member_id"),
            )
        if legacy and len(legacy) + (self.email is not None) != 1:
            raise InvalidArgumentError(
                "Pass exactly one of email=, customer_id= or external_customer_id=.",
                argument=", ".join(named),
                choices=("email", "customer_id", "external_customer_id"),
            )
        if self.member_id is not None and self.email is not None:
            raise InvalidArgumentError(
                "Polar does not take member_id= with email=: the member has one.",
                argument="email, member_id",
                choices=("email", "member_id"),
            )
        return self

    @property
    def identifiable(self) -> bool:
        """Whether a seat in a list can be told to be this person's: an external customer
        id appears on no seat."""
        return self.external_customer_id is None

    def holds(self, seat: CustomerSeat) -> bool:
        """Whether ``seat`` is live and, by everything it shows, this person's."""
        if not seat.is_live or not self.identifiable:
            return False
        member = seat.member
        checks: list[bool] = []
        if self.email is not None:
            emails = {seat.email, seat.customer_email, member.email if member else None}
            checks.append(self.email.casefold() in {e.casefold() for e in emails if e})
        if self.member_id is not None:
            checks.append(self.member_id in (seat.member_id, member.id if member else None))
        if self.external_member_id is not None:
            checks.append(member is not None and member.external_id == self.external_member_id)
        if self.customer_id is not None:
            # With the member model, a seat's customer_id is the billing customer's (the
            # member's own customer): it then says nothing of who holds the seat.
            billing = member is not None and member.customer_id == seat.customer_id
            checks.append(seat.customer_id == self.customer_id and not billing)
        return bool(checks) and all(checks)

    def describe(self) -> str:
        """The person for a message, by the kind of id only (an email is a person's data)."""
        names = [name for name, value in dataclasses.asdict(self).items() if value is not None]
        return "the person named by " + " and ".join(names)


def check_metadata(metadata: object) -> dict[str, Any] | None:
    """``metadata`` if Polar takes it: a dict of at most 10 keys and 1 KB as JSON."""
    if metadata is None:
        return None
    if not isinstance(metadata, Mapping):
        raise TypeError(f"metadata must be a dict, not {type(metadata).__name__}.")
    checked: dict[str, Any] = dict(metadata)  # pyright: ignore[reportUnknownArgumentType]
    if not all(isinstance(key, str) for key in checked):
        raise TypeError("metadata keys must be str.")
    if len(checked) > METADATA_KEYS:
        raise InvalidArgumentError(
            f"metadata may have at most {METADATA_KEYS} keys (got {len(checked)}).",
            argument="metadata",
        )
    try:
        size = len(json.dumps(checked))
    except (TypeError, ValueError) as exc:
        raise TypeError(f"metadata must be JSON: {exc}.") from None
    if size > METADATA_BYTES:
        raise InvalidArgumentError(
            f"metadata may be at most {METADATA_BYTES} bytes as JSON (Polar's limit); "
            f"this is {size}.",
            argument="metadata",
        )
    return checked


def assign_body(
    where: tuple[str, str],
    person: Person,
    metadata: dict[str, Any] | None,
    immediate_claim: bool,
) -> dict[str, Any]:
    body: dict[str, Any] = {where[0]: where[1]}
    body.update({k: v for k, v in dataclasses.asdict(person).items() if v is not None})
    if metadata is not None:
        body["metadata"] = metadata
    if immediate_claim:
        body["immediate_claim"] = True
    return body


def same_occupant(now: CustomerSeat, before: CustomerSeat) -> bool:
    """Whether the row ``now`` still belongs to whoever held ``before``."""
    if not now.is_live:
        return False
    if now.member_id is not None and before.member_id is not None:
        return now.member_id == before.member_id
    mine, theirs = before.occupant_email, now.occupant_email
    return mine is not None and theirs is not None and mine.casefold() == theirs.casefold()


def find_seat(seats: SeatsList, seat_id: str) -> CustomerSeat | None:
    wanted = seat_id.replace("-", "").lower()
    return next((s for s in seats.seats if s.id.replace("-", "").lower() == wanted), None)


def expired(seat: CustomerSeat, now: datetime | None = None) -> bool:
    """Whether a pending seat's invitation has expired (resending does not renew it)."""
    expires = seat.invitation_token_expires_at
    if seat.status != "pending" or expires is None:
        return False
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=timezone.utc)
    # The testing clock is the wall clock unless a test moved it (as the fake's is).
    return expires <= (now or datetime.fromtimestamp(testing_clock(), timezone.utc))


def invitation_error(error: APIStatusError) -> InvitationTokenError:
    """Polar's 404 for a dead invitation, as the error a dead invitation raises."""
    dead = InvitationTokenError(
        f"Polar does not know this invitation ({error.status}): it is invalid, expired, "
        "revoked or already claimed. A new one takes revoke_seat() and assign_seat().",
        status=error.status,
        headers=error.headers,
        body=error.body,
        raw_body=error.raw_body,
        request=error.request,
    )
    dead.attempts = error.attempts
    return dead
