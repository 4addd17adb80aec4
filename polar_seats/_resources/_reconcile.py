"""What a seat write whose answer was lost did: the reconcile steps that the retry loop
(``call_with_retries``) runs after a failure that may have reached Polar.

Each step reads what it can and says: this is the result, send again, or raise
[`OutcomeUnknownError`][polar_seats.OutcomeUnknownError]. The loop keeps the counts,
waits, budget, deadline and ``on_retry`` for every resend a step allows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from .._errors import (
    OutcomeUnknownError,
    PolarError,
    SeatAlreadyAssignedError,
    SeatNotAvailableError,
)
from .._protocol import Request
from .._retry import Reconcile, SendAgain, Settled, logger
from ..models import CustomerSeat, SeatsList
from ._seat_rules import Person, find_seat, same_occupant

Read = Callable[[], Awaitable[SeatsList]]
"""Reads the seats of the write's subscription or order."""

_REFUSALS = (SeatAlreadyAssignedError, SeatNotAvailableError)


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
