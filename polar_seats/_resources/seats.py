"""Seats: list, assign, revoke and resend (the customer portal's, or the organization's),
and the two steps of a claim (no credential).

Polar's writes have no idempotency key, so none is sent twice blindly. A 429, or a
connection that never opened, proves Polar did nothing: those are resent. After a
failure whose outcome is unknown (a timeout, a dropped connection, a 5xx), each write does
what is safe for it, in a reconcile step (below, beside its declaration) that the retry
loop runs:
assign reads the seats and looks for the person's before it sends again; revoke re-reads
the row and sends again only while it holds the same occupant; resend and claim are never
sent again and raise [`OutcomeUnknownError`][polar_seats.OutcomeUnknownError]. Every
resend, reconciled or not, is one of the retry policy's attempts.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timezone
from typing import Any
from uuid import UUID

from .._clock import testing_clock
from .._errors import (
    APIStatusError,
    InvalidArgumentError,
    InvitationTokenError,
    NotFoundError,
    OutcomeUnknownError,
    PolarError,
    SeatAlreadyAssignedError,
    SeatNotAvailableError,
    SeatNotFoundError,
)
from .._models import CUSTOMER_SEAT, SEAT_CLAIM, SEAT_CLAIM_INFO, SEATS_LIST
from .._operation import Operation, Write, no_body
from .._protocol import Auth, Request, an_id, polar_id
from .._retry import Reconcile, SendAgain, Settled, add_to_message, logger, never_again
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
from .subscriptions import Baseline, SubscriptionOperations, describe

# Rules: Polar's argument checks, the bodies, and who a seat belongs to -----------------

PORTAL = "/v1/customer-portal/seats"
ORGANIZATION = "/v1/customer-seats"
METADATA_KEYS = 10
METADATA_BYTES = 1024
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


def container(subscription_id: str | UUID | None, order_id: str | UUID | None) -> tuple[str, str]:
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


def seat_id_of(seat: CustomerSeat | str | UUID) -> str:
    """The id of a seat given as a ``CustomerSeat`` or as its id."""
    if isinstance(seat, CustomerSeat):
        return polar_id(seat.id, "seat.id", "seat")
    return polar_id(seat, "seat")


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
        return "the person named by " + " and ".join(n.replace("_", " ") for n in names)


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
    metadata: object,
    immediate_claim: bool,
) -> dict[str, Any]:
    """The body of an assign, its person and metadata checked by Polar's rules."""
    body: dict[str, Any] = {where[0]: where[1]}
    body.update({k: v for k, v in dataclasses.asdict(person.check()).items() if v is not None})
    checked = check_metadata(metadata)
    if checked is not None:
        body["metadata"] = checked
    if immediate_claim:
        body["immediate_claim"] = True
    return body


def claim_body(invitation_token: object) -> dict[str, Any]:
    """The body of a claim: the token checked, and sent as a ``Secret``."""
    return {"invitation_token": Secret(check_invitation_token(invitation_token))}


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


# Reconcile steps: what a seat write whose answer was lost did ------------------------

Read = Callable[[], Awaitable[SeatsList]]
"""Reads the seats of the write's subscription or order."""

_REFUSALS = (SeatAlreadyAssignedError, SeatNotAvailableError)


def reconcile_assign(read: Read, request: Request, person: Person) -> Reconcile[CustomerSeat]:
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
                "whether the lost attempt took one.",
                advice="Look for the person's seat with list_seats() before assigning again, "
                "or assign by email= or customer_id=, which are reconciled by themselves.",
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


def _revoke_occupant(read: Read, request: Request, known: CustomerSeat) -> Reconcile[CustomerSeat]:
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
                "in its subscription's (or order's) list, so polar-seats sent nothing more.",
                advice="Read list_seats() to see where things stand.",
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


async def _seats(read: Read, request: Request, lost: PolarError) -> SeatsList:
    """The seats, read to learn what a write whose answer was lost did."""
    try:
        return await read()
    except PolarError as failed:
        raise OutcomeUnknownError(
            f"{request.label.capitalize()} may have worked: {lost}. Reading the seats to "
            f"find out failed too ({failed}), so nothing more was sent.",
            advice="Call list_seats() once Polar answers again to see where things stand.",
            request=request,
        ) from failed


def reconcile_revoke(
    request: Request,
    seat: CustomerSeat | str | UUID,
    seat_id: str,
    read: Callable[[tuple[str, str]], Awaitable[SeatsList]],
) -> Reconcile[CustomerSeat]:
    """A live seat given (or looked up) is compared by its occupant; anything else (an id
    alone, a seat revoked already) cannot be checked, and is never sent again."""
    if (
        isinstance(seat, CustomerSeat)
        and seat.is_live
        and (seat.subscription_id is None) != (seat.order_id is None)
    ):
        where = container(seat.subscription_id, seat.order_id)
        return _revoke_occupant(lambda: read(where), request, seat)
    given = isinstance(seat, CustomerSeat)
    known = " The seat given was revoked already, with no occupant to compare." if given else ""
    return never_again(
        request,
        lambda lost: (
            f"Revoking seat {seat_id} may have worked: {lost}. Polar cannot read one "
            "seat by id, so polar-seats cannot check who holds it now and sent "
            f"nothing more.{known}"
        ),
        "Read list_seats() to see who holds the row now."
        if given
        else "Pass the CustomerSeat, or the id with subscription_id= or order_id=, to "
        "revoke_seat(), which then checks the occupant before revoking again.",
    )


def lost_resend(request: Request, seat_id: str) -> Reconcile[CustomerSeat]:
    """Never resent: each resend is another email."""
    return never_again(
        request,
        lambda lost: (
            f"Resending the invitation of seat {seat_id} may have worked: "
            f"{lost}. It was not sent again, since each resend is another email; the link "
            "and its expiry are the same either way."
        ),
        "Ask the invitee before resending.",
    )


def lost_claim(request: Request) -> Reconcile[SeatClaim]:
    """Never resent: the token is spent by a claim that ran, and its session is lost."""
    return never_again(
        request,
        lambda lost: (
            f"Claiming the seat may have worked: {lost}. The invitation token "
            "may now be spent, and the session Polar minted for it is lost with the answer; "
            "it was not sent again."
        ),
        "Call get_claim_info(): if the token is still good, claim again; if not, the seat "
        "is claimed, and the backend can mint a session for its holder with "
        "create_customer_session() (organization token).",
    )


# Declarations -------------------------------------------------------------------------
# The seat operations but the claim's carry the caller's own credential (auth=None):
# ``{seats}`` is the customer portal's seats or the organization's, by that credential.
# The writes are resent when Polar cannot have run them, and after a lost answer as their
# reconcile step (above) says.

LIST_SEATS = Operation("list_seats", "GET", "{seats}", SEATS_LIST.decode, auth=None)
ASSIGN_SEAT = Write(
    "assign_seat",
    "POST",
    "{seats}",
    CUSTOMER_SEAT.decode,
    auth=None,
    body=assign_body,
    reconcile=reconcile_assign,
)
REVOKE_SEAT = Write(
    "revoke_seat",
    "DELETE",
    "{seats}/{seat_id}",
    CUSTOMER_SEAT.decode,
    auth=None,
    body=no_body,
    reconcile=reconcile_revoke,
)
RESEND_INVITATION = Write(
    "resend_invitation",
    "POST",
    "{seats}/{seat_id}/resend",
    CUSTOMER_SEAT.decode,
    auth=None,
    body=no_body,
    reconcile=lost_resend,
)
GET_CLAIM_INFO = Operation(
    "get_claim_info",
    "GET",
    "/v1/customer-seats/claim/{secret}",
    SEAT_CLAIM_INFO.decode,
    auth=Auth.NONE,
)
CLAIM_SEAT = Write(
    "claim_seat",
    "POST",
    "/v1/customer-seats/claim",
    SEAT_CLAIM.decode,
    auth=Auth.NONE,
    secret_answer=True,
    body=claim_body,
    reconcile=lost_claim,
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
        )
        body = ASSIGN_SEAT.body(where, person, metadata, bool(immediate_claim))
        credential = self._own_credential()
        request = ASSIGN_SEAT.request(auth=credential, seats=seats_path(credential), json=body)
        step = ASSIGN_SEAT.reconcile(lambda: self._list(where, timeout), request, person)
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
                    "(lowering the seat count by one releases it)"
                )
                add_to_message(
                    error,
                    f" A seat was bought for this assign: subscription {bought.id} now has "
                    f"{describe(bought)}, and {free}.",
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
            before=Baseline(seats.total_seats),
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
        step = REVOKE_SEAT.reconcile(
            request, seat, seat_id, lambda where: self._list(where, timeout)
        )
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
        step = RESEND_INVITATION.reconcile(request, seat_id)
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
        request = CLAIM_SEAT.request(json=CLAIM_SEAT.body(invitation_token))
        step = CLAIM_SEAT.reconcile(request)
        return await self._call(request, CLAIM_SEAT.decode, timeout=timeout, reconcile=step)
