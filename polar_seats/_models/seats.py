"""Seats: who holds a seat of a subscription or order, invitations and their claims.

Polar's ``SeatsList``, ``CustomerSeat``, ``Member``, ``SeatClaimInfo`` and
``CustomerSeatClaimResponse``, drift-proof as the subscription models are: unknown fields
are skipped, ``status`` and ``role`` hold any string, and fields Polar may leave out
default to ``None``.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import msgspec

from ._base import Model


class SeatStatus(str, enum.Enum):
    """Known values of ``CustomerSeat.status``; the field holds any string, new ones too."""

    PENDING = "pending"
    """Assigned: the invitation is out and not claimed yet."""
    CLAIMED = "claimed"
    """The invitee claimed it (or it was assigned with ``immediate_claim``)."""
    REVOKED = "revoked"
    """Free again; Polar reuses the row (same ``id``) for the next assignment."""


class MemberRole(str, enum.Enum):
    """Known values of ``Member.role``."""

    OWNER = "owner"
    BILLING_MANAGER = "billing_manager"
    MEMBER = "member"


class Member(Model, kw_only=True):
    """A member of a customer (a person of a team, or the occupant of a seat)."""

    id: str
    customer_id: str
    email: str
    created_at: datetime | None = None
    modified_at: datetime | None = None
    name: str | None = None
    external_id: str | None = None
    role: str | None = None
    """``"owner"``, ``"billing_manager"`` or ``"member"`` (`MemberRole`), or a newer value."""


class CustomerSeat(Model, kw_only=True):
    """One seat of a subscription (``subscription_id``) or a one-time order (``order_id``).

    ``status`` is ``"pending"``, ``"claimed"`` or ``"revoked"`` (`SeatStatus`), or a value
    Polar adds later. A revoked seat has no occupant: Polar clears its customer, member and
    email, and hands the same row (same ``id``) to the next person assigned.
    ``invitation_token_expires_at`` is when a pending seat's invitation stops working (a
    day after it was sent; resending does not extend it).
    """

    id: str
    status: str
    created_at: datetime | None = None
    modified_at: datetime | None = None
    subscription_id: str | None = None
    order_id: str | None = None
    customer_id: str | None = None
    member_id: str | None = None
    member: Member | None = None
    email: str | None = None
    customer_email: str | None = None
    invitation_token_expires_at: datetime | None = None
    claimed_at: datetime | None = None
    revoked_at: datetime | None = None
    seat_metadata: dict[str, Any] | None = None

    @property
    def is_live(self) -> bool:
        """Whether someone holds the seat or is invited to it (pending or claimed)."""
        return self.status in (SeatStatus.PENDING.value, SeatStatus.CLAIMED.value)

    @property
    def occupant_email(self) -> str | None:
        """The email of whoever holds or is invited to the seat, wherever Polar put it."""
        member_email = self.member.email if self.member is not None else None
        return self.email or self.customer_email or member_email


class SeatsList(Model, kw_only=True):
    """Every seat row of a subscription or order (revoked ones too); not paginated.

    ``available_seats`` is what can still be assigned: the seats paid for
    (``total_seats``) minus the pending and claimed ones.
    """

    seats: list[CustomerSeat] = msgspec.field(default_factory=list[CustomerSeat])
    available_seats: int
    total_seats: int

    def live(self) -> list[CustomerSeat]:
        """The pending and claimed seats."""
        return [seat for seat in self.seats if seat.is_live]


class SeatClaimInfo(Model, kw_only=True):
    """What an invitation is for, read without spending it (safe for email scanners)."""

    product_name: str
    product_id: str
    organization_name: str
    organization_slug: str
    customer_email: str
    can_claim: bool


class SeatClaim(Model, kw_only=True):
    """A claimed seat and a session for its new holder (Polar's
    ``CustomerSeatClaimResponse``).

    ``customer_session_token`` is a bearer secret (a member session, ``polar_mst_``, that
    lives an hour and already lists the claimed subscription): it is left out of the repr.
    """

    seat: CustomerSeat
    customer_session_token: str

    def __repr__(self) -> str:
        return f"SeatClaim(seat={self.seat!r}, customer_session_token=<redacted>)"

    def __rich_repr__(self) -> list[tuple[str, Any]]:
        return [("seat", self.seat)]
