"""Seats: list, assign, revoke and resend (the customer portal's, or the organization's),
and the two steps of a claim (no credential).

Polar's writes have no idempotency key, so none is sent twice blindly. A 429, or a
connection that never opened, proves Polar did nothing: those are resent. After a
failure whose outcome is unknown (a timeout, a dropped connection, a 5xx), each write does
what is safe for it, in a reconcile step (``_reconcile.py``) that the retry loop runs:
assign reads the seats and looks for the person's before it sends again; revoke re-reads
the row and sends again only while it holds the same occupant; resend and claim are never
sent again and raise [`OutcomeUnknownError`][polar_seats.OutcomeUnknownError]. Every
resend, reconciled or not, is one of the retry policy's attempts.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from .._errors import (
    InvalidArgumentError,
    NotFoundError,
    PolarError,
    SeatAlreadyAssignedError,
    SeatNotAvailableError,
    SeatNotFoundError,
)
from .._models import CUSTOMER_SEAT, SEAT_CLAIM, SEAT_CLAIM_INFO, SEATS_LIST
from .._operation import Operation
from .._protocol import Auth, Request, RetryKind
from .._retry import Reconcile
from .._secret import Secret
from .._tracing import traced
from ..models import (
    CustomerSeat,
    CustomerSubscription,
    SeatClaim,
    SeatClaimInfo,
    SeatsList,
    Subscription,
)
from . import _reconcile
from ._seat_rules import (
    Person,
    an_id,
    assign_body,
    check_invitation_token,
    check_metadata,
    container,
    expired,
    find_seat,
    invitation_error,
    seat_id_of,
    seats_path,
)
from .subscriptions import SubscriptionOperations

# The seat operations but the claim's carry the caller's own credential (auth=None):
# ``{seats}`` is the customer portal's seats or the organization's, by that credential.
# The writes are CUSTOM: resent when Polar cannot have run them, and after a lost answer
# as their reconcile step (``_reconcile.py``) says.
LIST_SEATS = Operation("list_seats", "GET", "{seats}", SEATS_LIST.decode, auth=None)
ASSIGN_SEAT = Operation(
    "assign_seat", "POST", "{seats}", CUSTOMER_SEAT.decode, RetryKind.CUSTOM, auth=None
)
REVOKE_SEAT = Operation(
    "revoke_seat",
    "DELETE",
    "{seats}/{seat_id}",
    CUSTOMER_SEAT.decode,
    RetryKind.CUSTOM,
    auth=None,
)
RESEND_INVITATION = Operation(
    "resend_invitation",
    "POST",
    "{seats}/{seat_id}/resend",
    CUSTOMER_SEAT.decode,
    RetryKind.CUSTOM,
    auth=None,
)
GET_CLAIM_INFO = Operation(
    "get_claim_info",
    "GET",
    "/v1/customer-seats/claim/{secret}",
    SEAT_CLAIM_INFO.decode,
    auth=Auth.NONE,
)
CLAIM_SEAT = Operation(
    "claim_seat",
    "POST",
    "/v1/customer-seats/claim",
    SEAT_CLAIM.decode,
    RetryKind.CUSTOM,
    auth=Auth.NONE,
    secret_answer=True,
)


class SeatOperations(SubscriptionOperations):
    """Seats, which belong to a subscription (or an order): ``assign_seat()`` may buy one
    through the subscription's operations."""

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

    @traced(LIST_SEATS.span)
    async def _list(self, where: tuple[str, str], timeout: float | None) -> SeatsList:
        credential = self._own_credential()
        request = LIST_SEATS.request(auth=credential, seats=seats_path(credential), query=(where,))
        return await self._call(request, LIST_SEATS.decode, timeout=timeout)

    @traced(ASSIGN_SEAT.span)
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
        add_seat_if_full: bool = False,
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

        ``add_seat_if_full=True`` (a subscription's seats only): when Polar answers that
        no seat is free, the seats are read and exactly one more is bought
        (``update_seats()`` to the count read plus one, reconciled against that count, so
        never two, even under faults), then the assign goes again: an "invite a teammate"
        endpoint in one call. What Polar refuses before it looks for a free seat (an
        address whose domain takes no mail, say) buys nothing. A person who already holds
        a seat there gets none bought: that raises
        [`SeatAlreadyAssignedError`][polar_seats.SeatAlreadyAssignedError]. Should the
        assign fail after the purchase, its error says that a seat was bought, and carries
        the subscription as ``bought``.
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
        request = ASSIGN_SEAT.request(auth=credential, seats=seats_path(credential), json=body)
        step = _reconcile.assign(lambda: self._list(where, timeout), request, person)
        if add_seat_if_full and where[0] != "subscription_id":
            raise InvalidArgumentError(
                "add_seat_if_full=True buys a seat of a subscription; a one-time order's "
                "seats cannot grow. Pass subscription_id=, or leave add_seat_if_full out.",
                argument="add_seat_if_full",
            )
        try:
            return await self._call(request, ASSIGN_SEAT.decode, timeout=timeout, reconcile=step)
        except SeatNotAvailableError as full:
            if not add_seat_if_full:
                raise
            bought = await self._seat_bought(where[1], person, full, timeout)
        try:
            return await self._call(request, ASSIGN_SEAT.decode, timeout=timeout, reconcile=step)
        except PolarError as error:
            if bought is not None:
                error.bought = bought
                pending = bought.pending_update.seats if bought.pending_update else None
                free = (
                    "the seat bought comes at the period's end (the organization bills "
                    "seat changes next_period), so none was free to assign yet"
                    if pending is not None and pending > (bought.seats or 0)
                    else "the seat bought is free unless another assign took it meanwhile "
                    "(lower the count with update_seats() to release it)"
                )
                error.args = (
                    f"{error} A seat was bought for this assign: subscription "
                    f"{bought.id} now has {_reconcile.describe(bought)}, and {free}.",
                )
            raise

    async def _seat_bought(
        self,
        subscription_id: str,
        person: Person,
        full: SeatNotAvailableError,
        timeout: float | None,
    ) -> CustomerSubscription | Subscription | None:
        """The subscription with one more seat, bought because Polar found none free
        (``full``); ``None`` when the seats read show one free again. A person who holds a
        seat already is refused, and nothing is bought."""
        seats = await self._list(("subscription_id", subscription_id), timeout)
        held = next((seat for seat in seats.seats if person.holds(seat)), None)
        if held is not None:
            # Polar checks for a free seat before it looks at the person.
            refused = SeatAlreadyAssignedError(
                f"{person.describe().capitalize()} already holds seat {held.id} "
                f"({held.status}) of subscription {subscription_id}; no seat was bought. "
                "list_seats() shows it.",
                status=400,
                headers={},
                body=None,
                raw_body=b"",
                request=full.request,
            )
            refused.attempts = full.attempts
            raise refused from full
        if seats.available_seats > 0:
            return None  # revoked meanwhile: the assign goes again, with nothing bought
        return await self._change_seats(
            subscription_id,
            seats.total_seats + 1,
            proration_behavior=None,
            before=_reconcile.Baseline(seats.total_seats),
            timeout=timeout,
        )

    @traced(REVOKE_SEAT.span)
    async def revoke_seat(
        self,
        seat: CustomerSeat | str | UUID,
        *,
        subscription_id: str | UUID | None = None,
        order_id: str | UUID | None = None,
        timeout: float | None = None,
    ) -> CustomerSeat:
        """Revoke a seat: its holder loses access, and the row is free for the next person.

        Pass the [`CustomerSeat`][polar_seats.CustomerSeat] (from ``list_seats()`` or
        ``assign_seat()``), or its id with the ``subscription_id`` or ``order_id`` it
        belongs to, which the seat is then looked up in first (one read; an id not
        there raises [`SeatNotFoundError`][polar_seats.SeatNotFoundError] before anything
        is sent). The library then knows who held the seat, and after an attempt whose
        outcome is unknown it re-reads the row and revokes it again only if it still
        belongs to that person (Polar hands revoked rows, same id, to the next person
        assigned). A row now someone else's, or an id alone, raises
        [`OutcomeUnknownError`][polar_seats.OutcomeUnknownError]: nobody else is revoked.
        Revoking a revoked seat returns it unchanged (a seat looked up by id and found
        revoked is returned with no request sent).
        """
        seat_id = seat_id_of(seat)
        credential = self._own_credential()
        request = REVOKE_SEAT.request(
            auth=credential, seats=seats_path(credential), seat_id=seat_id
        )
        given = seat
        seat = await self._seat_named(seat, subscription_id, order_id, request, timeout)
        if seat is not given and isinstance(seat, CustomerSeat) and seat.status == "revoked":
            return seat  # just read: a DELETE would change nothing
        step = self._revoke_step(seat, seat_id, request, timeout)
        return await self._call(request, REVOKE_SEAT.decode, timeout=timeout, reconcile=step)

    async def _seat_named(
        self,
        seat: CustomerSeat | str | UUID,
        subscription_id: str | UUID | None,
        order_id: str | UUID | None,
        request: Request,
        timeout: float | None,
    ) -> CustomerSeat | str | UUID:
        """``seat``, or with a subscription or order named, the seat of that id in its list
        (one read), so that a write by id knows the seat as well as one given the row."""
        if subscription_id is None and order_id is None:
            return seat
        if isinstance(seat, CustomerSeat):
            raise InvalidArgumentError(
                "A CustomerSeat names its own subscription or order: pass it alone, "
                "or pass its id with subscription_id= or order_id=.",
                argument="seat, subscription_id, order_id",
            )
        where = container(subscription_id, order_id)
        seat_id = seat_id_of(seat)
        seats = await self._list(where, timeout)
        found = find_seat(seats, seat_id)
        if found is not None:
            return found
        kind, value = where
        raise SeatNotFoundError(
            f"Seat {seat_id} is not among the {len(seats.seats)} seats of "
            f"{kind.removesuffix('_id')} {value}; nothing was sent. Check the id, and that "
            "it belongs to that subscription or order (list_seats() shows its seats).",
            seat_id=seat_id,
            where=where,
            seat_count=len(seats.seats),
            request=request,
        )

    def _revoke_step(
        self,
        seat: CustomerSeat | str | UUID,
        seat_id: str,
        request: Request,
        timeout: float | None,
    ) -> Reconcile[CustomerSeat]:
        if (
            isinstance(seat, CustomerSeat)
            and seat.is_live
            and (seat.subscription_id is None) != (seat.order_id is None)
        ):
            where = container(seat.subscription_id, seat.order_id)
            return _reconcile.revoke(lambda: self._list(where, timeout), request, seat)
        advice = (
            "The seat given was revoked already, with no occupant to compare: read "
            "list_seats() to see who holds the row now."
            if isinstance(seat, CustomerSeat)
            else "Pass the CustomerSeat, or the id with subscription_id= or order_id=, to "
            "revoke_seat(), which then checks the occupant before revoking again."
        )
        return _reconcile.never_again(
            request,
            lambda lost: (
                f"Revoking seat {seat_id} may have worked: {lost}. Polar cannot read one "
                "seat by id, so polar-seats cannot check who holds it now and sent "
                f"nothing more. {advice}"
            ),
        )

    @traced(RESEND_INVITATION.span)
    async def resend_invitation(
        self,
        seat: CustomerSeat | str | UUID,
        *,
        subscription_id: str | UUID | None = None,
        order_id: str | UUID | None = None,
        timeout: float | None = None,
    ) -> CustomerSeat:
        """Email a pending seat's invitation again: the same link, with the same expiry.

        Never sent twice by the library (each send is an email): an attempt whose outcome
        is unknown raises [`OutcomeUnknownError`][polar_seats.OutcomeUnknownError]. An
        expired invitation stays expired at Polar, so a seat whose invitation has expired
        raises [`InvalidArgumentError`][polar_seats.InvalidArgumentError] before any
        request: revoke it and assign it again. Pass the
        [`CustomerSeat`][polar_seats.CustomerSeat], or its id with the ``subscription_id``
        or ``order_id`` it belongs to so that it is looked up first (one read, which
        checks the expiry; an id not there raises
        [`SeatNotFoundError`][polar_seats.SeatNotFoundError]); an id alone is sent as is.
        """
        seat_id = seat_id_of(seat)
        credential = self._own_credential()
        request = RESEND_INVITATION.request(
            auth=credential, seats=seats_path(credential), seat_id=seat_id
        )
        seat = await self._seat_named(seat, subscription_id, order_id, request, timeout)
        if isinstance(seat, CustomerSeat) and expired(seat):
            raise InvalidArgumentError(
                f"The invitation of seat {seat_id} expired at "
                f"{seat.invitation_token_expires_at}; resending sends the same dead link. "
                "Revoke the seat and assign it again for a new invitation.",
                argument="seat",
            )
        step = _reconcile.never_again(
            request,
            lambda error: (
                f"Resending the invitation of seat {seat_id} may have worked: "
                f"{error}. It was not sent again, since each resend is another email; the link "
                "and its expiry are the same either way. Ask the invitee before resending."
            ),
        )
        return await self._call(request, RESEND_INVITATION.decode, timeout=timeout, reconcile=step)

    @traced(GET_CLAIM_INFO.span)
    async def get_claim_info(
        self, invitation_token: str, *, timeout: float | None = None
    ) -> SeatClaimInfo:
        """What an invitation is for (product, organization, email), without claiming it.

        Needs no credential (any client will do) and has no side effects. A token that is
        invalid, expired, revoked or used raises
        [`InvitationTokenError`][polar_seats.InvitationTokenError]. The token never appears
        in a message, a log line or an error: its path is shown as ``…/claim/…``.
        """
        request = GET_CLAIM_INFO.request(secret=check_invitation_token(invitation_token))
        try:
            return await self._call(request, GET_CLAIM_INFO.decode, timeout=timeout)
        except NotFoundError as error:
            raise invitation_error(error) from None

    @traced(CLAIM_SEAT.span)
    async def claim_seat(self, invitation_token: str, *, timeout: float | None = None) -> SeatClaim:
        """Claim the seat of an invitation; returns the seat and a member session token.

        Needs no credential. An invitation works once: the token is spent by the claim,
        so the request is never sent twice, and an attempt whose outcome is unknown
        raises [`OutcomeUnknownError`][polar_seats.OutcomeUnknownError] (a session for
        the new holder can then be minted with the organization token). A dead token
        raises [`InvitationTokenError`][polar_seats.InvitationTokenError].
        """
        token = Secret(check_invitation_token(invitation_token))
        request = CLAIM_SEAT.request(json={"invitation_token": token})
        step = _reconcile.never_again(
            request,
            lambda error: (
                f"Claiming the seat may have worked: {error}. The invitation token "
                "may now be spent, and the session Polar minted for it is lost with the answer; "
                "it was not sent again. Call get_claim_info(): if the token is still good, claim "
                "again; if not, the seat is claimed, and the backend can mint a session for its "
                "holder with create_customer_session() (organization token)."
            ),
        )
        return await self._call(request, CLAIM_SEAT.decode, timeout=timeout, reconcile=step)
