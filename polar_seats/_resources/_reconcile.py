"""What a seat write whose answer was lost did: the reconcile steps that the retry loop
(``call_with_retries``) runs after a failure that may have reached Polar.

Each step reads what it can and says: this is the result, send again, or raise
[`OutcomeUnknownError`][polar_seats.OutcomeUnknownError]. The loop keeps the counts,
waits, budget, deadline and ``on_retry`` for every resend a step allows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from .._errors import (
    OutcomeUnknownError,
    PolarError,
    SeatAlreadyAssignedError,
    SeatNotAvailableError,
)
from .._protocol import Request
from .._retry import Reconcile, SendAgain, Settled, logger
from ..models import CustomerSeat, SeatsList, SubscriptionFields
from ._seat_rules import Person, find_seat, same_occupant

Read = Callable[[], Awaitable[SeatsList]]
"""Reads the seats of the write's subscription or order."""

_REFUSALS = (SeatAlreadyAssignedError, SeatNotAvailableError)
S = TypeVar("S", bound=SubscriptionFields)


def assign(read: Read, request: Request, person: Person) -> Reconcile[CustomerSeat]:
    """A live seat of the person is the result; none, the assign may go again."""

    async def step(
        lost: PolarError, answer: PolarError | None, attempt: int
    ) -> Settled[CustomerSeat] | SendAgain:
        if answer is not None and not isinstance(answer, _REFUSALS):
            raise answer
        if not person.identifiable:
            unknown = OutcomeUnknownError(
                f"Assigning the seat may have worked: {lost}. The seat was for "
                f"{person.describe()}, which no seat shows, so polar-seats cannot check "
                "whether the lost attempt took one. Look for the person's seat with "
                "list_seats() before assigning again, or assign by email= or "
                "customer_id=, which are reconciled by themselves.",
                request=request,
            )
            if answer is not None:
                raise unknown from answer
            # Polar refuses a second live seat for one person: a resend cannot duplicate,
            # and its refusal would tell the first one worked.
            return SendAgain("Polar refuses a second seat", unknown)
        seats = await _seats(read, request, lost)
        held = next((seat for seat in seats.seats if person.holds(seat)), None)
        if held is not None:
            logger.info(
                "The outcome of %s was unknown (%s); %s holds seat %s: returning it",
                request.label,
                type(lost).__name__,
                person.describe(),
                held.id,
            )
            return Settled(held)
        if isinstance(answer, SeatNotAvailableError):
            raise answer  # the lost attempt took no seat, and none is free
        return SendAgain(
            "the seats show no seat of the person",
            OutcomeUnknownError(
                f"Assigning the seat failed with an unknown outcome (attempt {attempt}: "
                f"{lost}), and no more attempts were allowed; no seat of "
                f"{person.describe()} is in the list now, so none was assigned by this "
                "call. Assigning again is safe.",
                request=request,
                safe_to_retry=True,
            ),
        )

    return step


def revoke(read: Read, request: Request, known: CustomerSeat) -> Reconcile[CustomerSeat]:
    """The row revoked is the result; still the same occupant, the revoke may go again;
    anyone else holds the row, nobody more is revoked."""
    seat_id = known.id

    async def step(
        lost: PolarError, answer: PolarError | None, attempt: int
    ) -> Settled[CustomerSeat] | SendAgain:
        if answer is not None:
            raise answer
        row = find_seat(await _seats(read, request, lost), seat_id)
        if row is not None and row.status == "revoked":
            return Settled(row)
        if row is None:
            raise OutcomeUnknownError(
                f"Revoking seat {seat_id} may have worked: {lost}. The seat is no longer "
                "in its subscription's (or order's) list, so polar-seats sent nothing "
                "more; read list_seats() to see where things stand.",
                request=request,
            ) from lost
        if not same_occupant(row, known):
            raise OutcomeUnknownError(
                f"Revoking seat {seat_id} may have worked: {lost}. The row now holds "
                "someone else (Polar hands revoked rows to the next person assigned), "
                "so the seat you meant was revoked, by this call or another, and "
                "polar-seats revoked nothing more: the new holder keeps it.",
                request=request,
            ) from lost
        return SendAgain(
            "the seat still holds the same person",
            OutcomeUnknownError(
                f"Revoking seat {seat_id} failed with an unknown outcome (attempt "
                f"{attempt}: {lost}), and no more attempts were allowed; the seat still "
                "holds the same person. Revoking again is safe.",
                request=request,
                safe_to_retry=True,
            ),
        )

    return step


def never_again(request: Request, explain: Callable[[PolarError], str]) -> Reconcile[Any]:
    """For a write that nothing can check, or that must not run twice: a lost answer is
    an unknown outcome, explained by ``explain``."""

    async def step(lost: PolarError, answer: PolarError | None, attempt: int) -> SendAgain:
        raise OutcomeUnknownError(explain(lost), request=request) from lost

    return step


async def _seats(read: Read, request: Request, lost: PolarError) -> SeatsList:
    """The seats, read to learn what a write whose answer was lost did."""
    try:
        return await read()
    except PolarError as failed:
        raise OutcomeUnknownError(
            f"{request.label.capitalize()} may have worked: {lost}. Reading the seats to "
            f"find out failed too ({failed}), so nothing more was sent; call "
            "list_seats() once Polar answers again to see where things stand.",
            request=request,
        ) from failed


@dataclasses.dataclass(frozen=True)
class Baseline:
    """What a subscription held before a seat count change: its count, and the id of its
    pending change (``pending_known``: whether that is known, or only the count)."""

    seats: int | None
    pending_id: str | None = None
    pending_known: bool = False

    @classmethod
    def of(cls, subscription: SubscriptionFields) -> Baseline:
        pending = subscription.pending_update
        return cls(subscription.seats, pending.id if pending else None, pending_known=True)

    def holds(self, now: SubscriptionFields) -> bool:
        """Whether ``now`` still holds what this baseline saw."""
        pending = now.pending_update.id if now.pending_update else None
        return now.seats == self.seats and (not self.pending_known or pending == self.pending_id)


def describe(subscription: SubscriptionFields) -> str:
    """A subscription's seat count and pending change, in words."""
    pending = subscription.pending_update
    if pending is None or pending.seats is None:
        return f"{subscription.seats} seats and no pending change"
    return (
        f"{subscription.seats} seats and a pending change to {pending.seats} at "
        f"{pending.applies_at.isoformat()}"
    )


def update_seats(
    read: Callable[[], Awaitable[S]], request: Request, seats: int, before: Baseline | None
) -> Reconcile[S]:
    """The subscription holding the count asked for (or a pending change to it) is the
    result; holding what it had, the change may go again; anything else is unknown."""
    subscription_id = request.path.rsplit("/", 1)[-1]

    async def step(
        lost: PolarError, answer: PolarError | None, attempt: int
    ) -> Settled[S] | SendAgain:
        if answer is not None:
            raise answer  # a resend's own refusal, sent after the read showed no change
        try:
            now = await read()
        except PolarError as failed:
            raise OutcomeUnknownError(
                f"Changing the seats of subscription {subscription_id} to {seats} may have "
                f"worked: {lost}. Reading the subscription to find out failed too "
                f"({failed}), so nothing more was sent; call get_subscription() once Polar "
                "answers again to see where things stand.",
                request=request,
            ) from failed
        pending = now.pending_update.seats if now.pending_update else None
        if pending == seats or (now.seats == seats and pending is None):
            logger.info(
                "The outcome of %s was unknown (%s); subscription %s has %s: returning it",
                request.label,
                type(lost).__name__,
                subscription_id,
                describe(now),
            )
            return Settled(now)
        if before is not None and not before.holds(now):
            raise OutcomeUnknownError(
                f"Changing the seats of subscription {subscription_id} to {seats} may have "
                f"worked: {lost}. The subscription now has {describe(now)}, neither what "
                f"was asked nor what it had ({before.seats} seats), so something else "
                "changed it too; polar-seats sent nothing more. Read it with "
                "get_subscription() and decide.",
                request=request,
            ) from lost
        return SendAgain(
            f"the subscription still has {describe(now)}",
            OutcomeUnknownError(
                f"Changing the seats of subscription {subscription_id} to {seats} failed "
                f"with an unknown outcome (attempt {attempt}: {lost}), and no more attempts "
                f"were allowed; the subscription still has {describe(now)}, so this call "
                "changed nothing and charged nothing. Asking again is safe.",
                request=request,
                safe_to_retry=True,
            ),
        )

    return step
