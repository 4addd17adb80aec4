"""Seeding the fake: the one place that puts customers, subscriptions and sessions in it.

``Seeder`` is the entry point: the claimant ``FakePolarServer(subscriptions, count=,
seed=, tokens=)`` starts with, a customer that lists something
(``FakePolarServer.add_customer``), and a billing customer with seats to hand out
(``FakePolarServer.add_billing_customer``). ``ClaimedSubscriptions`` and
``ClaimantTokens`` show the claimant's part of the state as the list and the set the
server's ``subscriptions`` and ``tokens`` were before the state existed: changing them
changes the state (``remove`` drops a seat, ``insert`` claims one).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable, Iterator, Mapping, MutableSequence, MutableSet
from typing import Any, Literal, overload

from ._core.store import Json, iso, new_id
from ._data import PRICE_KINDS, make_subscription
from ._resources.customers import Customer, Member, Organization, PaymentMethod, Role
from ._resources.seats import Order, Seat
from ._resources.subscriptions import Subscription
from ._state import State

__all__ = [
    "ORGANIZATION_SCOPES",
    "SEEDED_TTL",
    "BillingCustomer",
    "Claimant",
    "ClaimantTokens",
    "ClaimedSubscriptions",
    "Seeder",
]

SEEDED_TTL = 10 * 365 * 86_400.0
"""The seeded sessions outlive any test, as a token handed to the constructor always did."""
ORGANIZATION_SCOPES = frozenset(
    {
        "customer_sessions:write",
        "customer_seats:read",
        "customer_seats:write",
        "subscriptions:read",
        "subscriptions:write",
    }
)
"""The scopes of the claimant's organization tokens: sessions, seats and subscriptions."""
_SEEDED_INDEX = 1_000_000
"""Subscriptions ``Seeder.customer`` seeds start at this index, so they never repeat the
claimant's."""
_SEAT_BASED = PRICE_KINDS.index("seat_based")
_FIXED = PRICE_KINDS.index("fixed")
_PERIOD = 30 * 86_400.0
"""A billing customer's subscription starts a 30-day period when it is seeded."""
_FIRST_TIER_MAX = 10


@dataclasses.dataclass
class BillingCustomer:
    """A customer that bought seats, as ``FakePolarServer.add_billing_customer`` made it."""

    customer: Customer
    subscription: Subscription
    """Its seat-based subscription: ``subscription.seats`` seats, none assigned yet."""
    order: Order | None
    """A paid one-time order of ``order_seats`` seats, when asked for."""
    members: dict[str, Member]
    """Its members by email (``members={email: role}``)."""
    token: str = dataclasses.field(repr=False)
    """A customer session of the billing customer: it may assign, revoke and resend."""
    member_tokens: dict[str, str] = dataclasses.field(repr=False)
    """A member session (``polar_mst_``) of each member, by email."""
    organization: Organization
    """Its organization, whose settings (``update_seats``, ``proration_behavior``) a test
    may change."""

    @property
    def subscription_id(self) -> str:
        return self.subscription.id

    @property
    def order_id(self) -> str | None:
        return self.order.id if self.order is not None else None


class Claimant:
    """The customer a server starts with: of its own organization, with an owner member,
    the seats it claimed (``subscriptions``) and its sessions (``tokens``)."""

    def __init__(
        self, state: State, organization: Organization, customer: Customer, member: Member
    ) -> None:
        self.state = state
        self.organization = organization
        self.customer = customer
        self.member = member
        self.subscriptions = ClaimedSubscriptions(self)
        self.tokens = ClaimantTokens(self)


class ClaimedSubscriptions(MutableSequence[Json]):
    """The bodies of the subscriptions the claimant holds a claimed seat on, in seat order."""

    def __init__(self, claimant: Claimant) -> None:
        self._claimant = claimant

    def _seats(self) -> list[Seat]:
        member_id = self._claimant.member.id
        return [
            seat
            for seat in self._claimant.state.seats
            if seat.status == "claimed" and seat.member_id == member_id and seat.subscription_id
        ]

    def _body(self, seat: Seat) -> Json:
        assert seat.subscription_id is not None
        return self._claimant.state.subscriptions[seat.subscription_id].body

    def __len__(self) -> int:
        return len(self._seats())

    @overload
    def __getitem__(self, index: int) -> Json: ...
    @overload
    def __getitem__(self, index: slice) -> list[Json]: ...
    def __getitem__(self, index: int | slice) -> Json | list[Json]:
        seats = self._seats()
        if isinstance(index, slice):
            return [self._body(seat) for seat in seats[index]]
        return self._body(seats[index])

    @overload
    def __setitem__(self, index: int, value: Json) -> None: ...
    @overload
    def __setitem__(self, index: slice, value: Iterable[Json]) -> None: ...
    def __setitem__(self, index: int | slice, value: Any) -> None:
        if isinstance(index, slice):
            raise TypeError("Assign one subscription at a time, or delete and insert.")
        seat = self._seats()[index]
        seat.subscription_id = self._claimant.state.add_subscription(value).id

    def __delitem__(self, index: int | slice) -> None:
        seats = self._seats()
        doomed = seats[index] if isinstance(index, slice) else [seats[index]]
        kept = {id(seat) for seat in doomed}
        self._claimant.state.seats[:] = [s for s in self._claimant.state.seats if id(s) not in kept]

    def insert(self, index: int, value: Json) -> None:
        """Claim a seat on ``value`` (added to the state if new), listed at ``index``."""
        state = self._claimant.state
        seat = state.claimed_seat(state.add_subscription(value), self._claimant.member)
        seats = self._seats()
        if -len(seats) <= index < len(seats):
            state.seats.insert(state.seats.index(seats[index]), seat)
        elif index < 0:
            state.seats.insert(state.seats.index(seats[0]) if seats else 0, seat)
        else:
            state.seats.append(seat)

    def extend(self, values: Iterable[Json]) -> None:
        for value in values:
            self.append(value)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ClaimedSubscriptions | list):
            return list(self) == list(other)  # pyright: ignore[reportUnknownArgumentType]
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, as a list

    def __repr__(self) -> str:
        return f"ClaimedSubscriptions({len(self)} subscriptions)"


class ClaimantTokens(MutableSet[str]):
    """The claimant's live session tokens; adding one mints a session with that token.

    A ``polar_mst_`` token is a member session of the claimant's member, any other a customer
    session.
    """

    def __init__(self, claimant: Claimant) -> None:
        self._claimant = claimant

    def _live(self) -> list[str]:
        state = self._claimant.state
        return [
            token
            for token, session in state.sessions.items()
            if session.customer_id == self._claimant.customer.id and state.session(token)
        ]

    def __contains__(self, token: object) -> bool:
        return token in self._live()

    def __iter__(self) -> Iterator[str]:
        return iter(self._live())

    def __len__(self) -> int:
        return len(self._live())

    def add(self, value: str) -> None:
        if value in self:
            return
        member = self._claimant.member if value.startswith("polar_mst_") else None
        self._claimant.state.mint_session(
            self._claimant.customer, member, token=value, ttl=SEEDED_TTL
        )

    def discard(self, value: str) -> None:
        session = self._claimant.state.sessions.get(value)
        if session is not None and session.customer_id == self._claimant.customer.id:
            session.revoked = True

    def __repr__(self) -> str:
        return f"ClaimantTokens({len(self)} tokens)"


class Seeder:
    """Seeds one state: the claimant first, then any customers a test asks for. Every
    body comes from ``make_subscription`` with the state's ``seed``, so the same steps
    seed the same data."""

    def __init__(self, state: State) -> None:
        self.state = state
        self._seeded = 0

    def claimant(
        self,
        subscriptions: Iterable[Json],
        *,
        tokens: Iterable[str],
        organization_tokens: Iterable[str],
    ) -> Claimant:
        """The claimant, with a claimed seat on each of ``subscriptions``, ``tokens`` as
        its sessions, and ``organization_tokens`` as access tokens of its organization."""
        state = self.state
        rng = state.draws("claimant")
        organization = Organization(
            str(uuid.UUID(int=rng.getrandbits(128), version=4)), "seat-co", "Seat Co"
        )
        state.organizations[organization.id] = organization
        customer = state.add_customer(
            organization.id,
            "claimant@example.com",
            id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            name="Claire Claimant",
        )
        member = state.add_member(customer, role="owner")
        claimant = Claimant(state, organization, customer, member)
        claimant.subscriptions.extend(subscriptions)
        for token in tokens:
            claimant.tokens.add(token)
        for token in organization_tokens:
            state.add_organization_token(organization, ORGANIZATION_SCOPES, token=token)
        return claimant

    def customer(
        self,
        organization: Organization,
        *,
        external_id: str | None,
        email: str | None,
        name: str | None,
        type: Literal["individual", "team"],
        members: Mapping[str, Role] | None,
        subscriptions: int,
    ) -> Customer:
        """A customer of ``organization`` with its members (one owner by default), each
        with a claimed seat on each of ``subscriptions`` seeded subscriptions: what
        ``FakePolarServer.add_customer`` makes."""
        state = self.state
        number = len(state.customers)
        own = email or f"{external_id or f'customer-{number}'}@example.com"
        addressless = type == "team" and organization.member_model_enabled and email is None
        customer = state.add_customer(
            organization.id,
            None if addressless else own,
            external_id=external_id,
            name=name,
            type=type,
        )
        roles = members if members is not None else {own: "owner"}
        people: list[Member] = []
        for address, role in roles.items():
            same = address == own
            external = external_id if same else None
            people.append(
                state.add_member(
                    customer,
                    email=address,
                    name=name if same else None,
                    external_id=external,
                    role=role,
                )
            )
        for _ in range(subscriptions):
            body = make_subscription(_SEEDED_INDEX + self._seeded, seed=self.state.seed)
            self._seeded += 1
            subscription = state.add_subscription(body)
            state.seats.extend(state.claimed_seat(subscription, person) for person in people)
        return customer

    def billing_customer(
        self,
        organization: Organization,
        *,
        seats: int,
        email: str | None,
        external_id: str | None,
        name: str | None,
        members: Mapping[str, Role],
        order_seats: int | None,
        minimum_seats: int | None = None,
        maximum_seats: int | None = None,
        payment_method: PaymentMethod = "card",
        seat_based: bool = True,
    ) -> BillingCustomer:
        """A customer of ``organization`` with an active seat-based subscription of
        ``seats`` seats, none assigned; ``order_seats``: also a paid one-time order of that
        many; ``members``: ``{email: role}`` under it (a team). ``minimum_seats`` and
        ``maximum_seats`` bound the seat price's tiers; ``seat_based=False``: a
        subscription with no seat-based price."""
        state = self.state
        index = len(state.customers)
        customer = state.add_customer(
            organization.id,
            email or f"{external_id or f'billing-{index}'}@example.com",
            external_id=external_id,
            name=name,
            type="team" if members else "individual",
            payment_method=payment_method,
        )
        people = {
            address: state.add_member(customer, email=address, role=role)
            for address, role in members.items()
        }
        kind = _SEAT_BASED if seat_based else _FIXED
        body = make_subscription(kind + index * len(PRICE_KINDS), seed=self.state.seed)
        _belongs_to(body, customer, organization, seats if seat_based else None)
        _in_period(body, self.state.clock())
        if minimum_seats is not None or maximum_seats is not None:
            _bound_seats(body["prices"][0], minimum_seats, maximum_seats)
        subscription = state.add_subscription(body)
        order = None
        if order_seats is not None:
            order = Order(
                new_id(),
                customer.id,
                organization.id,
                order_seats,
                {"id": new_id(), "product": body["product"], "customer_id": customer.id},
            )
            order.body["id"] = order.id
            state.orders[order.id] = order
        session = state.mint_session(customer, ttl=SEEDED_TTL)
        member_tokens = {
            address: state.mint_session(customer, member, ttl=SEEDED_TTL).token
            for address, member in people.items()
        }
        return BillingCustomer(
            customer, subscription, order, people, session.token, member_tokens, organization
        )


def _in_period(body: Json, now: float) -> None:
    """A period that starts now and runs 30 days, so a change for the next period waits."""
    body.update(current_period_start=iso(now), current_period_end=iso(now + _PERIOD))


def _bound_seats(price: Json, minimum: int | None, maximum: int | None) -> None:
    """Seat tiers that sell from ``minimum`` (1 when not given) to ``maximum`` seats
    (unbounded when not given), in two tiers where the range spans both."""
    low = minimum or 1
    if maximum is not None and maximum < low:
        raise ValueError(f"maximum_seats ({maximum}) is below minimum_seats ({low}).")
    per_seat = price["price_per_seat"]
    if low > _FIRST_TIER_MAX or (maximum is not None and maximum <= _FIRST_TIER_MAX):
        tiers = [{"min_seats": low, "max_seats": maximum, "price_per_seat": per_seat}]
    else:
        tiers = [
            {"min_seats": low, "max_seats": _FIRST_TIER_MAX, "price_per_seat": per_seat},
            {"min_seats": _FIRST_TIER_MAX + 1, "max_seats": maximum, "price_per_seat": per_seat},
        ]
    price["seat_tiers"].update(tiers=tiers, minimum_seats=low, maximum_seats=maximum)


def _belongs_to(
    body: Json, customer: Customer, organization: Organization, seats: int | None
) -> None:
    """Make a seeded subscription body the customer's, in ``organization``, active."""
    product = body["product"]
    product["organization"] = {
        **product["organization"],
        "id": organization.id,
        "name": organization.name,
        "slug": organization.slug,
    }
    product["organization_id"] = organization.id
    for owned in (*product["benefits"], *product["medias"]):
        owned["organization_id"] = organization.id
    body.update(
        customer_id=customer.id,
        user_id=customer.id,
        seats=seats,
        status="active",
        # An active subscription has started (Polar's lists leave out those that have not).
        started_at=body["started_at"] or body["created_at"],
        canceled_at=None,
        ends_at=None,
        ended_at=None,
        cancel_at_period_end=False,
        customer_cancellation_reason=None,
        customer_cancellation_comment=None,
        past_due_at=None,
        paused_at=None,
        resumes_at=None,
        pending_update=None,
    )
