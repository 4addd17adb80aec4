"""The one claimant ``FakePolarServer(subscriptions, count=, seed=, tokens=)`` seeds.

It holds a claimed seat on each subscription it is given, and ``tokens`` are its sessions.
``ClaimedSubscriptions`` and ``ClaimantTokens`` show that part of the state as
the list and the set the server's ``subscriptions`` and ``tokens`` were before the state
existed: changing them changes the state (``remove`` drops a seat, ``insert`` claims one).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable, Iterator, MutableSequence, MutableSet
from typing import Any, overload

from ._resources.customers import Json, Member, Organization, Seat, State

__all__ = ["SEEDED_TTL", "Claimant", "ClaimantTokens", "ClaimedSubscriptions"]

SEEDED_TTL = 10 * 365 * 86_400.0
"""The seeded sessions outlive any test, as a token handed to the constructor always did."""


class Claimant:
    """A customer of an organization, with an owner member, the seats it claimed and its
    sessions."""

    def __init__(self, state: State, *, seed: int = 0) -> None:
        rng = random.Random(f"claimant:{seed}")
        self.state = state
        self.organization = Organization(
            str(uuid.UUID(int=rng.getrandbits(128), version=4)), "seat-co", "Seat Co"
        )
        state.organizations[self.organization.id] = self.organization
        self.customer = state.add_customer(
            self.organization.id,
            "claimant@example.com",
            id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            name="Claire Claimant",
        )
        self.member: Member = state.add_member(self.customer, role="owner")
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
