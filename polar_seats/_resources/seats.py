"""Seats: list, assign, revoke and resend (the customer portal's, or the organization's),
and the two steps of a claim (no credential).

Polar's writes have no idempotency key, so none is sent twice blindly. A 429, or a
connection that never opened, proves Polar did nothing: those are resent. After a
failure whose outcome is unknown (a timeout, a dropped connection, a 5xx), each write does
what is safe for it: assign reads the seats and looks for the person's before it sends
again; revoke re-reads the row and sends again only while it holds the same occupant;
resend and claim are never sent again and raise
[`OutcomeUnknownError`][polar_seats.OutcomeUnknownError].
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID

from .._clock import retry_sleep
from .._errors import (
    InvalidArgumentError,
    NotFoundError,
    OutcomeUnknownError,
    PolarError,
    SeatAlreadyAssignedError,
    SeatNotAvailableError,
)
from .._models import (
    CUSTOMER_SEAT,
    SEAT_CLAIM,
    SEAT_CLAIM_INFO,
    SEATS_LIST,
    CustomerSeat,
    SeatClaim,
    SeatClaimInfo,
    SeatsList,
)
from .._protocol import Request
from .._retry import logger
from .._tracing import active as tracing
from .._tracing import retry_waited, traced
from ._base import Operations
from ._seat_rules import (
    Person,
    an_id,
    assign_body,
    check_invitation_token,
    check_metadata,
    claim_info_request,
    claim_request,
    container,
    expired,
    find_seat,
    invitation_error,
    is_ambiguous,
    same_occupant,
    seat_id_of,
    seats_path,
    write_request,
)

T = TypeVar("T")
_REFUSALS = (SeatAlreadyAssignedError, SeatNotAvailableError)


class SeatOperations(Operations):
    async def list_seats(
        self,
        *,
        subscription_id: str | UUID | None = None,
        order_id: str | UUID | None = None,
        timeout: float | None = None,
    ) -> SeatsList:
        """Every seat of a subscription or a one-time order, revoked rows too; one request.

        A customer view (or a client with a customer token) reads the customer portal's
        seats; a client holding only an organization token reads the organization's.
        Polar does not paginate seats: the whole list comes in one answer.
        """
        return await self._list(container(subscription_id, order_id), timeout)

    @traced("polar_seats.list_seats")
    async def _list(self, where: tuple[str, str], timeout: float | None) -> SeatsList:
        credential = self._own_credential()
        request = Request(
            "GET", seats_path(credential), "list seats", query=(where,), auth=credential
        )
        return await self._call(request, SEATS_LIST.decode, timeout=timeout)

    @traced("polar_seats.assign_seat")
    async def assign_seat(
        self,
        *,
        subscription_id: str | UUID | None = None,
        order_id: str | UUID | None = None,
        email: str | None = None,
        external_customer_id: str | UUID | None = None,
        customer_id: str | UUID | None = None,
        member_id: str | UUID | None = None,
        external_member_id: str | UUID | None = None,
        metadata: dict[str, Any] | None = None,
        immediate_claim: bool = False,
        timeout: float | None = None,
    ) -> CustomerSeat:
        """Give a seat of a subscription (or order) to a person; Polar emails an invitation.

        Name the seats with exactly one of ``subscription_id`` or ``order_id``, and the
        person with ``email``, ``customer_id``, ``external_customer_id``, ``member_id`` or
        ``external_member_id`` (Polar's rules: one customer id, or a member id, with an
        email only beside ``external_member_id``). ``metadata`` (at most 10 keys, 1 KB)
        is kept on the seat; ``immediate_claim=True`` claims it at once, with no email.

        Safe to retry: when an attempt's outcome is unknown, the seats are read and a live
        seat of the same person is returned as the result; only if there is none is the
        assign sent again. Raises
        [`SeatNotAvailableError`][polar_seats.SeatNotAvailableError] when no seat is free,
        [`SeatAlreadyAssignedError`][polar_seats.SeatAlreadyAssignedError] when the person
        already held one before the call, and
        [`OutcomeUnknownError`][polar_seats.OutcomeUnknownError] when it cannot tell (a
        person named by ``external_customer_id`` alone cannot be found in a seat list).
        """
        where = container(subscription_id, order_id)
        person = Person(
            email=email,
            external_customer_id=an_id(external_customer_id),
            customer_id=an_id(customer_id),
            member_id=an_id(member_id),
            external_member_id=an_id(external_member_id),
        ).check()
        body = assign_body(where, person, check_metadata(metadata), bool(immediate_claim))
        credential = self._own_credential()
        request = write_request("POST", seats_path(credential), "assign seat", body, credential)
        return await self._assign(request, where, person, timeout)

    async def _assign(
        self, request: Request, where: tuple[str, str], person: Person, timeout: float | None
    ) -> CustomerSeat:
        lost: PolarError | None = None  # the last attempt whose outcome is unknown
        sent = 0
        while True:
            sent += 1
            try:
                return await self._call(request, CUSTOMER_SEAT.decode, timeout=timeout)
            except _REFUSALS as refusal:
                if lost is None:
                    raise  # the person held a seat, or none was free, before this call
                answer: PolarError | None = refusal
            except PolarError as error:
                if not is_ambiguous(error):
                    raise
                lost, answer = error, None
            if not person.identifiable:
                if answer is None and sent < self._sends():
                    # Polar refuses a second live seat for one person: a resend cannot
                    # duplicate, and its refusal would tell the first one worked.
                    await self._pause(sent, request, lost, "Polar refuses a second seat")
                    continue
                raise OutcomeUnknownError(
                    f"Assigning the seat may have worked: {lost}. The seat was for "
                    f"{person.describe()}, which no seat shows, so polar-seats cannot check "
                    "whether the lost attempt took one. Look for the person's seat with "
                    "list_seats() before assigning again, or assign by email= or "
                    "customer_id=, which are reconciled by themselves.",
                    request=request,
                ) from (answer or lost)
            seats = await self._check(where, timeout, request, lost)
            held = next((seat for seat in seats.seats if person.holds(seat)), None)
            if held is not None:
                logger.info(
                    "The outcome of %s was unknown (%s); %s holds seat %s: returning it",
                    request.label,
                    type(lost).__name__,
                    person.describe(),
                    held.id,
                )
                return held
            if isinstance(answer, SeatNotAvailableError):
                raise answer  # the lost attempt took no seat, and none is free
            await self._again(
                sent,
                request,
                lost,
                f"Assigning the seat failed {sent} times with unknown outcomes (last: "
                f"{lost}); no seat of {person.describe()} is in the list now, so none "
                "was assigned by this call. Assigning again is safe.",
                "the seats show no seat of the person",
            )

    @traced("polar_seats.revoke_seat")
    async def revoke_seat(
        self, seat: CustomerSeat | str | UUID, *, timeout: float | None = None
    ) -> CustomerSeat:
        """Revoke a seat: its holder loses access, and the row is free for the next person.

        Pass the [`CustomerSeat`][polar_seats.CustomerSeat] (from ``list_seats()`` or
        ``assign_seat()``) rather than its id: the library then knows who held the seat,
        and after an attempt whose outcome is unknown it re-reads the row and revokes it
        again only if it still belongs to that person (Polar hands revoked rows, same id,
        to the next person assigned). A row now someone else's, or an id alone, raises
        [`OutcomeUnknownError`][polar_seats.OutcomeUnknownError]: nobody else is revoked.
        Revoking a revoked seat returns it unchanged.
        """
        seat_id = seat_id_of(seat)
        known = (
            seat
            if isinstance(seat, CustomerSeat)
            and seat.is_live
            and (seat.subscription_id is None) != (seat.order_id is None)
            else None
        )
        credential = self._own_credential()
        path = f"{seats_path(credential)}/{seat_id}"
        request = write_request("DELETE", path, "revoke seat", None, credential)
        sent = 0
        while True:
            sent += 1
            try:
                return await self._call(request, CUSTOMER_SEAT.decode, timeout=timeout)
            except PolarError as error:
                if not is_ambiguous(error):
                    raise
                lost = error
            if known is None:
                advice = (
                    "The seat given was revoked already, with no occupant to compare: "
                    "read list_seats() to see who holds the row now."
                    if isinstance(seat, CustomerSeat)
                    else "Read list_seats() and pass the CustomerSeat to revoke_seat(), "
                    "which checks the occupant before revoking again."
                )
                raise OutcomeUnknownError(
                    f"Revoking seat {seat_id} may have worked: {lost}. Polar cannot read one "
                    "seat by id, so polar-seats cannot check who holds it now and sent "
                    f"nothing more. {advice}",
                    request=request,
                ) from lost
            where = container(known.subscription_id, known.order_id)
            row = find_seat(await self._check(where, timeout, request, lost), seat_id)
            if row is not None and row.status == "revoked":
                return row
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
            await self._again(
                sent,
                request,
                lost,
                f"Revoking seat {seat_id} failed {sent} times with unknown outcomes "
                f"(last: {lost}); the seat still holds the same person. Revoking again "
                "is safe.",
                "the seat still holds the same person",
            )

    @traced("polar_seats.resend_invitation")
    async def resend_invitation(
        self, seat: CustomerSeat | str | UUID, *, timeout: float | None = None
    ) -> CustomerSeat:
        """Email a pending seat's invitation again: the same link, with the same expiry.

        Never sent twice by the library (each send is an email): an attempt whose outcome
        is unknown raises [`OutcomeUnknownError`][polar_seats.OutcomeUnknownError]. An
        expired invitation stays expired at Polar, so a seat whose invitation has expired
        raises [`InvalidArgumentError`][polar_seats.InvalidArgumentError] before any
        request: revoke it and assign it again.
        """
        seat_id = seat_id_of(seat)
        if isinstance(seat, CustomerSeat) and expired(seat):
            raise InvalidArgumentError(
                f"The invitation of seat {seat_id} expired at "
                f"{seat.invitation_token_expires_at}; resending sends the same dead link. "
                "Revoke the seat and assign it again for a new invitation.",
                argument="seat",
            )
        credential = self._own_credential()
        path = f"{seats_path(credential)}/{seat_id}/resend"
        request = write_request("POST", path, "resend invitation", None, credential)
        return await self._once(
            request,
            CUSTOMER_SEAT.decode,
            timeout,
            lambda error: (
                f"Resending the invitation of seat {seat_id} may have worked: "
                f"{error}. It was not sent again, since each resend is another email; the link "
                "and its expiry are the same either way. Ask the invitee before resending."
            ),
        )

    @traced("polar_seats.get_claim_info")
    async def get_claim_info(
        self, invitation_token: str, *, timeout: float | None = None
    ) -> SeatClaimInfo:
        """What an invitation is for (product, organization, email), without claiming it.

        Needs no credential (any client will do) and has no side effects. A token that is
        invalid, expired, revoked or used raises
        [`InvitationTokenError`][polar_seats.InvitationTokenError]. The token never appears
        in a message, a log line or an error: its path is shown as ``…/claim/…``.
        """
        request = claim_info_request(check_invitation_token(invitation_token))
        try:
            return await self._call(request, SEAT_CLAIM_INFO.decode, timeout=timeout)
        except NotFoundError as error:
            raise invitation_error(error) from None

    @traced("polar_seats.claim_seat")
    async def claim_seat(self, invitation_token: str, *, timeout: float | None = None) -> SeatClaim:
        """Claim the seat of an invitation; returns the seat and a member session token.

        Needs no credential. An invitation works once: the token is spent by the claim,
        so the request is never sent twice, and an attempt whose outcome is unknown
        raises [`OutcomeUnknownError`][polar_seats.OutcomeUnknownError] (a session for
        the new holder can then be minted with the organization token). A dead token
        raises [`InvitationTokenError`][polar_seats.InvitationTokenError].
        """
        request = claim_request(check_invitation_token(invitation_token))
        return await self._once(
            request,
            SEAT_CLAIM.decode,
            timeout,
            lambda error: (
                f"Claiming the seat may have worked: {error}. The invitation token "
                "may now be spent, and the session Polar minted for it is lost with the answer; "
                "it was not sent again. Call get_claim_info(): if the token is still good, claim "
                "again; if not, the seat is claimed, and the backend can mint a session for its "
                "holder with create_customer_session() (organization token)."
            ),
        )

    async def _once(
        self,
        request: Request,
        decode: Callable[[bytes], T],
        timeout: float | None,
        explain: Callable[[PolarError], str],
    ) -> T:
        """Send a write that must never go twice: a lost answer is an unknown outcome."""
        try:
            return await self._call(request, decode, timeout=timeout)
        except PolarError as error:
            if not is_ambiguous(error):
                raise
            raise OutcomeUnknownError(explain(error), request=request) from error

    async def _check(
        self, where: tuple[str, str], timeout: float | None, request: Request, lost: PolarError
    ) -> SeatsList:
        """The seats, read to learn what a write whose answer was lost did."""
        try:
            return await self._list(where, timeout)
        except PolarError as failed:
            raise OutcomeUnknownError(
                f"{request.label.capitalize()} may have worked: {lost}. Reading the seats to "
                f"find out failed too ({failed}), so nothing more was sent; call "
                "list_seats() once Polar answers again to see where things stand.",
                request=request,
            ) from failed

    async def _again(
        self, sent: int, request: Request, lost: PolarError, spent: str, why: str
    ) -> None:
        """Wait before sending ``request`` again, or raise ``spent`` once its sends are."""
        if sent >= self._sends():
            raise OutcomeUnknownError(spent, request=request) from lost
        await self._pause(sent, request, lost, why)

    def _sends(self) -> int:
        """How many times a write may be sent in all, reconciled sends included."""
        return 1 if self.retry is None else self.retry.max_attempts

    async def _pause(self, sent: int, request: Request, lost: PolarError | None, why: str) -> None:
        wait = 0.0 if self.retry is None else self.retry.backoff(sent)
        logger.warning(
            "Sending %s again in %.2f s: attempt %d's outcome was unknown (%s), and %s",
            request.label,
            wait,
            sent,
            lost,
            why,
        )
        if tracing() and lost is not None:
            retry_waited(sent, wait, lost)
        await retry_sleep(wait)
