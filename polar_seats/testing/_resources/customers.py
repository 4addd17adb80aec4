"""The fake Polar's data: organizations, customers, members, subscriptions, seats, sessions.

Plain dataclasses in dicts keyed by id, and a few methods for what several routes need
(who holds which seat, which session a token opens). Routes read and change it directly.
Times are Unix seconds on the server's ``Clock``.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import dataclasses
import random
import uuid
from collections.abc import Callable, Iterable
from typing import Any, Literal

from ..._clock import advance_testing_clock, testing_clock

__all__ = [
    "SESSION_TTL",
    "Clock",
    "Customer",
    "Invitation",
    "Member",
    "Order",
    "Organization",
    "OrganizationToken",
    "Seat",
    "Session",
    "State",
    "Subject",
    "Subscription",
    "UserToken",
]

Json = dict[str, Any]

SESSION_TTL = 3600.0
"""Customer and member sessions live one hour, as Polar's do."""
FRONTEND_URL = "https://polar.sh"
"""Where Polar's customer portal lives (production's; the sandbox's is sandbox.polar.sh)."""


class Clock:
    """The fake's time: a source (``testing_clock`` by default) plus what a test advanced.

    ``testing_clock`` adds every retry wait that ``set_testing(True)`` skipped, so a skipped
    60 s ``Retry-After`` also passes for the fake's rate windows and sessions. On that
    source, ``advance()`` moves testing time for the client too (its session cache
    refreshes as it would an hour later); on another source it moves the fake alone.
    """

    def __init__(self, source: Callable[[], float] = testing_clock) -> None:
        self.source = source
        self.offset = 0.0

    def __call__(self) -> float:
        return self.source() + self.offset

    def advance(self, seconds: float) -> None:
        """Move the fake's time forward: sessions expire, rate windows end."""
        if self.source is testing_clock:
            advance_testing_clock(seconds)
        else:
            if seconds < 0:
                raise ValueError("Time only moves forward: pass a positive number of seconds.")
            self.offset += seconds


def new_id() -> str:
    return str(uuid.uuid4())


def _token(rng: random.Random) -> str:
    """As Polar's ``secrets.token_urlsafe(32)``: 43 URL-safe characters, the first of which
    may be ``-``."""
    return base64.urlsafe_b64encode(rng.randbytes(32)).rstrip(b"=").decode()


@dataclasses.dataclass
class Organization:
    id: str
    slug: str
    name: str
    member_model_enabled: bool = False


@dataclasses.dataclass
class Customer:
    id: str
    organization_id: str
    email: str | None
    """``None`` only for a team: with the member model, its members have the addresses."""
    name: str | None = None
    external_id: str | None = None
    type: Literal["individual", "team"] = "individual"
    email_verified: bool = True
    metadata: Json = dataclasses.field(default_factory=dict[str, Any])
    created_at: float = 0.0


@dataclasses.dataclass
class Member:
    id: str
    customer_id: str
    email: str
    name: str | None = None
    external_id: str | None = None
    role: Literal["owner", "billing_manager", "member"] = "member"
    created_at: float = 0.0


@dataclasses.dataclass
class Subscription:
    """A subscription with its seat count, and its body as Polar sends it."""

    id: str
    customer_id: str
    organization_id: str
    seats: int
    body: Json


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


@dataclasses.dataclass
class Session:
    """A customer session (``polar_cst_``) or, with a member, a member session (``polar_mst_``)."""

    token: str = dataclasses.field(repr=False)
    customer_id: str
    member_id: str | None
    expires_at: float
    return_url: str | None = None
    revoked: bool = False
    id: str = dataclasses.field(default_factory=new_id)
    created_at: float = 0.0

    @property
    def subject(self) -> str:
        """Polar's rate-limit subject: one budget per customer, or per member."""
        if self.member_id is not None:
            return f"member:{self.member_id}"
        return f"customer:{self.customer_id}"


@dataclasses.dataclass
class OrganizationToken:
    """An organization access token (``polar_oat_``) and its scopes."""

    token: str = dataclasses.field(repr=False)
    organization_id: str
    scopes: frozenset[str] = frozenset()
    id: str = dataclasses.field(default_factory=new_id)

    @property
    def subject(self) -> str:
        return f"organization:{self.organization_id}"

    @property
    def organization_ids(self) -> frozenset[str]:
        """The organizations it acts in: its own."""
        return frozenset({self.organization_id})


@dataclasses.dataclass
class UserToken:
    """A user's personal access token (``polar_pat_``) and its scopes: Polar's ``User``
    subject, which reaches every organization the user belongs to, so an external customer
    id may name customers of several."""

    token: str = dataclasses.field(repr=False)
    organization_ids: frozenset[str]
    scopes: frozenset[str] = frozenset()
    id: str = dataclasses.field(default_factory=new_id)
    """The user's id."""

    @property
    def subject(self) -> str:
        return f"user:{self.id}"


Subject = Session | OrganizationToken | UserToken
"""Who a request authenticated as."""


class State:
    """Everything the fake Polar knows, in memory. The tokens it makes (invitations,
    sessions, access tokens) are drawn from generators that ``seed`` starts, one a kind, so
    the same steps make the same tokens."""

    def __init__(self, clock: Clock, *, seed: int = 0) -> None:
        self.clock = clock
        self._invitation_tokens = random.Random(f"invitations:{seed}")
        self._session_tokens = random.Random(f"sessions:{seed}")
        self._access_tokens = random.Random(f"access-tokens:{seed}")
        self.organizations: dict[str, Organization] = {}
        self.customers: dict[str, Customer] = {}
        self.members: dict[str, Member] = {}
        self.subscriptions: dict[str, Subscription] = {}
        self.orders: dict[str, Order] = {}
        self.seats: list[Seat] = []
        """In table order, which is the order Polar's unordered queries happen to return."""
        self.sessions: dict[str, Session] = {}
        self.organization_tokens: dict[str, OrganizationToken] = {}
        self.user_tokens: dict[str, UserToken] = {}
        self.minted: list[Session] = []
        """Every session ``POST /v1/customer-sessions/`` minted, in order."""
        self.frontend_url = FRONTEND_URL
        """The base of the ``customer_portal_url`` minted sessions carry."""
        self.outbox: list[Invitation] = []
        """Every invitation email sent, in order."""
        self.listeners: list[Callable[[str, Json], None]] = []
        """Called with each seat event (``customer_seat.assigned``...) and its seat body."""
        self.undeliverable_domains: set[str] = {"invalid"}
        """Email domains (and their subdomains) Polar's MX check refuses; RFC 2606's
        ``.invalid`` never resolves."""
        self.locks: collections.defaultdict[str, asyncio.Lock] = collections.defaultdict(
            asyncio.Lock
        )
        """One per subscription or order: Polar's ``SELECT ... FOR UPDATE`` of its row."""

    # Building --------------------------------------------------------------------------

    def add_organization(self, body: Json, **settings: bool) -> Organization:
        """The organization of a product body (``product.organization``), once per id."""
        known = self.organizations.get(body["id"])
        if known is None:
            features: Json = body.get("organization_features") or {}
            settings.setdefault("member_model_enabled", bool(features.get("member_model_enabled")))
            known = Organization(body["id"], body["slug"], body["name"], **settings)
            self.organizations[known.id] = known
        return known

    def add_customer(self, organization_id: str, email: str | None, **fields: Any) -> Customer:
        if email is None and fields.get("type") != "team":
            raise ValueError("Only a team customer may have no email; pass type='team'.")
        fields.setdefault("email_verified", email is not None)
        fields.setdefault("created_at", self.clock())
        customer = Customer(fields.pop("id", None) or new_id(), organization_id, email, **fields)
        self.customers[customer.id] = customer
        return customer

    def add_member(self, customer: Customer, **fields: Any) -> Member:
        email = fields.pop("email", customer.email)
        if email is None:
            raise ValueError("A member needs an email, and the customer has none: pass email=.")
        fields.setdefault("created_at", self.clock())
        member = Member(fields.pop("id", None) or new_id(), customer.id, email, **fields)
        self.members[member.id] = member
        return member

    def add_subscription(self, body: Json) -> Subscription:
        """A subscription from its body; its seat count is the body's ``seats`` (at least 1).

        A body whose id is known replaces the one held.
        """
        organization = self.add_organization(body["product"]["organization"])
        if body["customer_id"] not in self.customers:
            self.add_customer(
                organization.id,
                f"billing-{body['customer_id'][:8]}@example.com",
                id=body["customer_id"],
            )
        subscription = Subscription(
            body["id"], body["customer_id"], organization.id, body.get("seats") or 1, body
        )
        self.subscriptions[subscription.id] = subscription
        return subscription

    def claimed_seat(self, subscription: Subscription, member: Member) -> Seat:
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

    def mint_session(
        self,
        customer: Customer,
        member: Member | None = None,
        *,
        token: str | None = None,
        ttl: float = SESSION_TTL,
        return_url: str | None = None,
    ) -> Session:
        """A new session; a member session when ``member`` is given, as Polar mints them."""
        prefix = "polar_mst_" if member is not None else "polar_cst_"
        now = self.clock()
        session = Session(
            token or prefix + _token(self._session_tokens),
            customer.id,
            member.id if member is not None else None,
            now + ttl,
            return_url,
            created_at=now,
        )
        self.sessions[session.token] = session
        return session

    def new_invitation_token(self) -> str:
        """The token of an invitation the fake sends (assign), as Polar's."""
        return _token(self._invitation_tokens)

    def revoke_session(self, token: str) -> None:
        """End a session now: the next request with its token gets ``invalid_token``."""
        self.sessions[token].revoked = True

    def add_organization_token(
        self, organization: Organization, scopes: frozenset[str], *, token: str | None = None
    ) -> OrganizationToken:
        oat = OrganizationToken(
            token or "polar_oat_" + _token(self._access_tokens), organization.id, scopes
        )
        self.organization_tokens[oat.token] = oat
        return oat

    def add_user_token(
        self,
        organizations: Iterable[Organization],
        scopes: frozenset[str],
        *,
        token: str | None = None,
    ) -> UserToken:
        """A personal access token of a user who belongs to ``organizations``."""
        pat = UserToken(
            token or "polar_pat_" + _token(self._access_tokens),
            frozenset(organization.id for organization in organizations),
            scopes,
        )
        self.user_tokens[pat.token] = pat
        return pat

    def emit(self, event: str, seat: Json) -> None:
        """Tell the listeners (the webhook sender) that a seat event happened."""
        for listener in self.listeners:
            listener(event, seat)

    # Reading ---------------------------------------------------------------------------

    def subject(self, token: str) -> Subject | None:
        """Who ``token`` authenticates as: a live session, or an organization's or a user's
        access token; ``None`` when the fake does not know it."""
        return (
            self.session(token)
            or self.organization_tokens.get(token)
            or self.user_tokens.get(token)
        )

    def session(self, token: str) -> Session | None:
        """The live session a token opens: ``None`` when unknown, expired or revoked."""
        session = self.sessions.get(token)
        if session is None or session.revoked or session.expires_at <= self.clock():
            return None
        return session

    def sessions_minted(self, of: Customer | Member | None = None) -> int:
        """How many sessions ``POST /v1/customer-sessions/`` minted: all of them, or those
        of a customer (whichever member), or of a member."""
        if of is None:
            return len(self.minted)
        if isinstance(of, Member):
            return sum(session.member_id == of.id for session in self.minted)
        return sum(session.customer_id == of.id for session in self.minted)

    def owner(self, customer: Customer) -> Member | None:
        """The customer's owner member, if it has one."""
        return next(
            (
                m
                for m in self.members.values()
                if m.customer_id == customer.id and m.role == "owner"
            ),
            None,
        )

    def holds(self, session: Session, seat: Seat) -> bool:
        """Whether the session's subject holds ``seat`` (by member for a member session)."""
        if session.member_id is not None:
            return seat.member_id == session.member_id
        return seat.customer_id == session.customer_id

    def claimed_subscriptions(self, session: Session) -> list[Subscription]:
        """The subscriptions on which the session's subject holds a claimed seat."""
        return [
            self.subscriptions[seat.subscription_id]
            for seat in self.seats
            if seat.status == "claimed"
            and seat.subscription_id is not None
            and self.holds(session, seat)
        ]
