"""Every exception polar_seats raises.

```text
PolarError
├── InvalidArgumentError      a value that can never work (also a ValueError)
├── ClientClosedError          the client was used after close()
├── EventLoopError             the client was used from another event loop
├── APIStatusError             the server answered with an error status
│   ├── BadRequestError        400: Polar refused the request (error, detail)
│   │   ├── SeatNotAvailableError    no free seat (or an unpaid order)
│   │   ├── SeatAlreadyAssignedError the person already holds a live seat there
│   │   ├── NotASeatBasedSubscriptionError  its price has no seats to count
│   │   └── SeatCountError           a seat count Polar refused (requested)
│   │       ├── BelowMinimumSeatsError      fewer than the price's minimum
│   │       ├── AboveMaximumSeatsError      more than the price's maximum
│   │       └── SeatsAlreadyAssignedError   fewer than the seats assigned
│   ├── PaymentRequiredError   402: a charge did not go through; nothing changed
│   │   ├── PaymentFailedError       no payment method, or the card failed
│   │   └── PaymentActionRequiredError  the customer must authenticate it
│   ├── InvitationTokenError   an invitation token is invalid, expired or used
│   ├── AuthenticationError    401: no token, a wrong kind, or an expired one
│   ├── PermissionDeniedError  403: the token may not do this (a scope, a role)
│   │   ├── AlreadyCanceledSubscriptionError  canceled, or ends with its period
│   │   └── UpdateSubscriptionSeatsNotAllowedError
│   │                              the portal may not change seats
│   ├── NotFoundError          404: a wrong path, or no such resource
│   │   ├── VersionNotFoundError     Polar refused the Polar-Version sent
│   │   └── SeatNotFoundError        a seat id not in its subscription's list
│   ├── AmbiguousExternalCustomerIdError
│   │                          409: the token's organizations share the id
│   ├── SubscriptionLockedError 409: the subscription is pending an update
│   ├── RequestValidationError 422: the server refused the request's values
│   │   └── CustomerNotFoundError    a mint named a customer Polar does not know
│   ├── RateLimitError         429: too many requests; wait retry_after s
│   └── ServerError            5xx: the server or a proxy in front failed
├── NetworkError               the request did not get an answer
│   └── PolarTimeoutError      an attempt timed out (also a TimeoutError)
└── ResponseDecodeError        a 200 that is not JSON or does not fit
```

Every error raised for a request carries it as ``request`` (method, path with secrets
replaced, label); ``page`` is set on page calls. Mistakes in the values of arguments (a
``limit`` of 0, an empty token, an id that is not one) raise ``InvalidArgumentError``, a
``ValueError`` too, before any request is sent; arguments of a wrong type raise ``TypeError``.

The constructors are public, for tests that mock polar_seats itself:
``AuthenticationError("...", status=401, headers={}, body=None, raw_body=b"")``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, cast

if TYPE_CHECKING:
    from ._models.subscriptions import CustomerSubscription, Subscription
    from ._protocol import Request

__all__ = [
    "APIStatusError",
    "AboveMaximumSeatsError",
    "AlreadyCanceledSubscriptionError",
    "AmbiguousExternalCustomerIdError",
    "AuthenticationError",
    "BadRequestError",
    "BelowMinimumSeatsError",
    "ClientClosedError",
    "CustomerNotFoundError",
    "EventLoopError",
    "InvalidArgumentError",
    "InvitationTokenError",
    "NetworkError",
    "NotASeatBasedSubscriptionError",
    "NotFoundError",
    "OutcomeUnknownError",
    "PaymentActionRequiredError",
    "PaymentFailedError",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "PolarError",
    "PolarTimeoutError",
    "RateLimitError",
    "RequestValidationError",
    "ResponseDecodeError",
    "SeatAlreadyAssignedError",
    "SeatCountError",
    "SeatNotAvailableError",
    "SeatNotFoundError",
    "SeatsAlreadyAssignedError",
    "ServerError",
    "SubscriptionLockedError",
    "UpdateSubscriptionSeatsNotAllowedError",
    "ValidationProblem",
    "VersionNotFoundError",
]

_EXCERPT = 200

CODED: dict[str, type[APIStatusError]] = {}
"""The classes of one refusal by Polar's ``error``, filled as they are defined."""


def json_object(value: object) -> dict[str, Any] | None:
    """``value`` if it is a decoded JSON object, else ``None``."""
    return cast("dict[str, Any]", value) if isinstance(value, dict) else None


def excerpt(body: bytes) -> str:
    """The start of a body, decoded for a message, never longer than a couple of lines."""
    text = body[:_EXCERPT].decode("utf-8", errors="replace")
    return text + ("…" if len(body) > _EXCERPT else "")


class PolarError(Exception):
    """Base class of every error polar_seats raises on purpose.

    ``attempts`` is how many requests the failing call sent, retries included;
    ``request`` the request it was raised for (``None`` for errors of no request);
    ``retry_budget_exhausted`` whether a retry was refused because the client's retry
    budget was empty; ``retry_elapsed`` the seconds from the call's first attempt to the
    moment its retries stopped, waits included (``None`` when none could run: no retry
    policy, or a first failure that is never retried).
    When the retries ran out (``max_attempts``, the ``deadline``, a ``Retry-After`` over
    the cap), the message says how many attempts were made, over how long, and which.
    """

    attempts: int = 1
    request: Request | None = None
    retry_budget_exhausted: bool = False
    retry_elapsed: float | None = None
    bought: CustomerSubscription | Subscription | None = None
    """On an error of ``assign_seat(add_seat_if_full=True)`` raised after it bought a
    seat: the subscription after the purchase (the seat bought is free)."""
    _page: int | None = None

    @property
    def page(self) -> int | None:
        """The page number, for an error of a page call (set by the call, which knows its
        page); ``None`` otherwise."""
        if self._page is not None or self.request is None:
            return self._page
        return self.request.page

    @page.setter
    def page(self, page: int | None) -> None:
        self._page = page


class InvalidArgumentError(PolarError, ValueError):
    """An argument's value can never work; raised before any request is sent.

    ``argument`` is the parameter's name as the call spells it (``"subscription_id"``,
    ``"limit"``, ``"email"``); for arguments that cannot go together, the names of those
    given, comma-separated (``"member_id, email"``). The message says what to pass instead.

    For a front end that names things its own way (a form's fields, a command's options),
    the same facts as fields, each argument by its name: ``given``, those of the arguments
    at fault that the call gave (empty when it gave none of them); ``choices``, for a
    choice between arguments, those to pass one of, not two (``("email", "customer_id",
    "external_customer_id")``), else empty; ``expected``, for a value refused, what it
    must be, in words that name no argument (``"between 1 and 100"``), else ``None``.

    Also a ``ValueError``: ``except ValueError`` catches it as it did before it existed,
    and a backend that catches ``PolarError`` can answer the caller with a 4xx of its own
    rather than fail. A value of the wrong type is a ``TypeError``, a bug in the caller.
    """

    def __init__(
        self,
        message: str,
        *,
        argument: str,
        given: tuple[str, ...] | None = None,
        choices: tuple[str, ...] = (),
        expected: str | None = None,
    ) -> None:
        super().__init__(message)
        self.argument = argument
        self.given = tuple(a.strip() for a in argument.split(",")) if given is None else given
        self.choices = choices
        self.expected = expected


class ClientClosedError(PolarError, RuntimeError):
    """The client was used after it was closed."""

    attempts = 0


class EventLoopError(PolarError, RuntimeError):
    """The client was used from an event loop other than the one it was opened in.

    An ``aiohttp`` session, and so a client, belongs to one loop: create one client per
    loop (inside ``asyncio.run``), not one at import time shared by several runs.
    """

    attempts = 0


class APIStatusError(PolarError):
    """The server answered with a status that is not 200.

    ``body`` is the decoded JSON body, or ``None`` when the body was empty or not JSON;
    ``raw_body`` keeps the bytes as sent.
    """

    code: ClassVar[str | None] = None
    """Polar's ``error`` this class stands for, on a class of one refusal: an answer of
    ``status`` with that code raises it (``None`` on the classes of a whole status)."""
    status_sent: ClassVar[int] = 0
    """The status Polar sends with ``code``."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        code = cls.__dict__.get("code")
        if code is not None:
            CODED[code] = cls

    def advice(self) -> str:
        """What to do about it, said after Polar's words in the message (a class of one
        refusal says it; empty otherwise)."""
        return ""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        headers: Mapping[str, str],
        body: Any,
        raw_body: bytes,
        request: Request | None = None,
        page: int | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.headers = dict(headers)
        self.body = body
        self.raw_body = raw_body
        self.request = request
        self.page = page

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, message={str(self)!r})"

    @property
    def error(self) -> str | None:
        """Polar's error code (``"SeatNotAvailable"``, ``"invalid_token"``…), when the body
        carried one."""
        value = (json_object(self.body) or {}).get("error")
        return value if isinstance(value, str) else None

    @property
    def detail(self) -> Any:
        """Polar's explanation as it sent it: a sentence, or a 422's list of problems."""
        return (json_object(self.body) or {}).get("detail")


class BadRequestError(APIStatusError):
    """400: Polar refused the request; ``error`` names why (``"SeatNotPending"``,
    ``"MemberEmailMismatch"``…) and ``detail`` says it in a sentence."""


class SeatNotAvailableError(BadRequestError):
    """400 ``SeatNotAvailable``: every seat is taken (or the order is not paid yet)."""

    code = "SeatNotAvailable"
    status_sent = 400

    def advice(self) -> str:
        return "Every seat is taken (or the order is unpaid): revoke one, or buy more seats."


class SeatAlreadyAssignedError(BadRequestError):
    """400 ``SeatAlreadyAssigned``: the person already holds a pending or claimed seat of
    that subscription or order. (Not to be confused with
    [`SeatsAlreadyAssignedError`][polar_seats.SeatsAlreadyAssignedError], a seat count
    below the seats in use.)"""

    code = "SeatAlreadyAssigned"
    status_sent = 400

    def advice(self) -> str:
        return "The person already holds a pending or claimed seat there: list_seats() shows it."


def _found(text: object, pattern: str) -> str | None:
    """What ``pattern``'s group finds in Polar's sentence ``text``, if it does."""
    found = re.search(pattern, text) if isinstance(text, str) else None
    return found.group(1) if found else None


def _number(text: object, pattern: str) -> int | None:
    """The integer ``pattern``'s group finds in Polar's sentence ``text``, if it does."""
    found = _found(text, pattern)
    return None if found is None else int(found)


class NotASeatBasedSubscriptionError(BadRequestError):
    """400 ``NotASeatBasedSubscription``: the subscription's price is not seat-based, so it
    has no seat count to change."""

    code = "NotASeatBasedSubscription"
    status_sent = 400

    def advice(self) -> str:
        return "Its price is not seat-based: only a seat-based subscription has seats to buy."


class SeatCountError(BadRequestError):
    """400: Polar refused the seat count asked for (``requested``); a subclass says why.
    Nothing changed and nothing was charged."""

    @property
    def requested(self) -> int | None:
        """The seat count the refused request asked for."""
        body = self.request.json if self.request is not None else None
        seats = (json_object(body) or {}).get("seats")
        return seats if isinstance(seats, int) else None


class BelowMinimumSeatsError(SeatCountError):
    """400 ``BelowMinimumSeats``: fewer seats than the price's minimum (``minimum``)."""

    code = "BelowMinimumSeats"
    status_sent = 400

    @property
    def minimum(self) -> int | None:
        """The fewest seats the price allows, from Polar's sentence."""
        return _number(self.detail, r"Minimum (\d+) seat")

    def advice(self) -> str:
        least = "the price's minimum" if self.minimum is None else str(self.minimum)
        return f"Ask for {least} seats or more."


class AboveMaximumSeatsError(SeatCountError):
    """400 ``AboveMaximumSeats``: more seats than the price's maximum (``maximum``)."""

    code = "AboveMaximumSeats"
    status_sent = 400

    @property
    def maximum(self) -> int | None:
        """The most seats the price allows, from Polar's sentence."""
        return _number(self.detail, r"Maximum (\d+) seat")

    def advice(self) -> str:
        most = "the price's maximum" if self.maximum is None else str(self.maximum)
        return f"Ask for {most} seats or fewer; more seats take a product whose price allows them."


class SeatsAlreadyAssignedError(SeatCountError):
    """400 ``SeatsAlreadyAssigned``: fewer seats than are assigned (``assigned``: pending
    and claimed). Revoke seats first. (Not to be confused with
    [`SeatAlreadyAssignedError`][polar_seats.SeatAlreadyAssignedError], a person who
    already holds a seat.)"""

    code = "SeatsAlreadyAssigned"
    status_sent = 400

    @property
    def assigned(self) -> int | None:
        """How many seats are assigned (pending and claimed), from Polar's sentence."""
        return _number(self.detail, r"Currently (\d+) seat")

    @property
    def requested(self) -> int | None:
        asked = super().requested
        return asked if asked is not None else _number(self.detail, r"seats to (\d+)")

    def advice(self) -> str:
        assigned, requested = self.assigned, self.requested
        if assigned is None or requested is None:
            return "Revoke seats (revoke_seat()) until no more are assigned than you ask for."
        extra = assigned - requested
        return (
            f"{assigned} seats are assigned: revoke {extra} of them first (revoke_seat()), "
            f"then ask for {requested} again."
        )


class InvitationTokenError(APIStatusError):
    """The invitation token is invalid, expired, revoked or already claimed.

    Polar answers 404 to ``get_claim_info()`` and 400 ``InvalidInvitationToken`` to
    ``claim_seat()`` (and to a resend of a seat with no invitation): one ``except``
    covers a dead invitation whichever call found it. A new invitation takes a revoke
    and a new assign.
    """

    code = "InvalidInvitationToken"
    status_sent = 400

    def advice(self) -> str:
        return (
            "The invitation is invalid, expired, revoked or already claimed; a new one "
            "takes revoke_seat() and assign_seat()."
        )


class AuthenticationError(APIStatusError):
    """401: the token is missing, of the wrong kind, expired, revoked or malformed.

    ``error`` is Polar's error code (``"Unauthorized"`` or ``"invalid_token"``).
    """


class PermissionDeniedError(APIStatusError):
    """403: the token is valid but may not do this (a missing scope, a member's role);
    ``error`` is Polar's code (``"NotPermitted"``, ``"insufficient_scope"``…)."""


class AlreadyCanceledSubscriptionError(PermissionDeniedError):
    """403 ``AlreadyCanceledSubscription``: the subscription is canceled, or will be at the
    end of its period, so its seats can no longer change."""

    code = "AlreadyCanceledSubscription"
    status_sent = 403

    def advice(self) -> str:
        return (
            "A canceled subscription (or one set to cancel at the period's end) keeps its "
            "seat count; uncancel it first to change seats."
        )


class UpdateSubscriptionSeatsNotAllowedError(PermissionDeniedError):
    """403 ``UpdateSubscriptionSeatsNotAllowed``: the organization does not let customers
    change their seat count (its customer portal setting ``update_seats``)."""

    code = "UpdateSubscriptionSeatsNotAllowed"
    status_sent = 403

    def advice(self) -> str:
        return (
            "The organization does not let customers change their seats (customer portal "
            "settings): change the count with an organization access token instead, or "
            "ask the organization to allow it."
        )


class PaymentRequiredError(APIStatusError):
    """402: Polar charged the change at once and the charge did not go through. Polar
    rolled everything back: the seat count is unchanged and nothing was charged. It is
    never resent (a resend could charge)."""


class PaymentFailedError(PaymentRequiredError):
    """402 ``PaymentFailed``: no payment method, or the card was declined (``reason``)."""

    code = "PaymentFailed"
    status_sent = 402

    @property
    def reason(self) -> str | None:
        """Polar's reason: ``"missing_payment_method"``, ``"card_error"``..."""
        found = (
            re.search(r"reason: ([\w-]+)", self.detail) if isinstance(self.detail, str) else None
        )
        return found.group(1) if found else None

    def advice(self) -> str:
        why = {
            "missing_payment_method": "the customer has no payment method",
            "card_error": "the card was declined",
        }.get(self.reason or "", "the charge failed")
        return (
            f"Nothing changed: {why}. Have the customer add or update a payment method in "
            "the customer portal, then ask again."
        )


class PaymentActionRequiredError(PaymentRequiredError):
    """402 ``PaymentActionRequired``: the charge needs the customer to authenticate it
    (3-D Secure), which cannot happen off-session; ``order_id`` is the order to pay."""

    code = "PaymentActionRequired"
    status_sent = 402

    @property
    def order_id(self) -> str | None:
        """The id of the order whose payment needs the customer, from Polar's sentence."""
        found = (
            re.search(r"Order (\S+) payment", self.detail) if isinstance(self.detail, str) else None
        )
        return found.group(1) if found else None

    def advice(self) -> str:
        order = f"order {self.order_id}" if self.order_id else "the order"
        return (
            f"Nothing changed: the charge for {order} needs the customer to authenticate "
            "it (3-D Secure). Send the customer to the customer portal to complete it, "
            "then ask again."
        )


class NotFoundError(APIStatusError):
    """404: the path is wrong, or the resource does not exist (or is not the caller's)."""


class VersionNotFoundError(NotFoundError):
    """404 for the ``Polar-Version`` sent: Polar removed that version, or does not know it.

    Polar tells it apart from other 404s by answering ``{"detail": "Not Found"}`` without
    a ``Polar-Version`` header, before it looks at the token or the path.
    """


class SeatNotFoundError(NotFoundError):
    """A seat id is not among the seats of the subscription or order it was looked up in
    (``revoke_seat(seat_id, subscription_id=...)``, ``resend_invitation(...)`` likewise);
    nothing was sent.

    Polar answers a revoke of such a seat with 404 "Seat not found", so this is that
    ``NotFoundError``, found out before the write: ``attempts`` is 0 and ``body`` is
    ``None``.
    """

    attempts = 0

    def __init__(
        self,
        message: str,
        *,
        seat_id: str,
        where: tuple[str, str],
        seat_count: int,
        request: Request | None = None,
    ) -> None:
        super().__init__(message, status=404, headers={}, body=None, raw_body=b"", request=request)
        self.seat_id = seat_id
        """The id looked up."""
        self.where = where
        """What it was looked up in: ``("subscription_id", id)`` or ``("order_id", id)``."""
        self.seat_count = seat_count
        """How many seats (revoked rows too) that subscription or order has."""


class AmbiguousExternalCustomerIdError(APIStatusError):
    """409 ``AmbiguousExternalCustomerID``: the token reaches several organizations (a
    user's token, not an organization access token), and customers of more than one of
    them have the ``external_customer_id`` named.

    Polar minted nothing. Name the customer by Polar's id (``customer_id=``), mint with an
    organization access token of the customer's own organization, or give the customer an
    external id no other customer of those organizations has.
    """


class SubscriptionLockedError(APIStatusError):
    """409 ``SubscriptionLocked`` (organization side): the subscription is pending an
    update, so it cannot change now."""

    code = "SubscriptionLocked"
    status_sent = 409

    def advice(self) -> str:
        return "Wait until the pending update is done, read the subscription, then try again."


@dataclasses.dataclass(frozen=True)
class ValidationProblem:
    """One entry of a 422's list: what Polar refused, where, and why."""

    loc: tuple[str | int, ...]
    """Where, as Polar names it: ``("body", "email")``, ``("query", "page")``."""
    msg: str
    """Polar's sentence: ``"Customer does not exist."``."""
    type: str
    """Polar's kind of problem: ``"value_error"``, ``"uuid_parsing"``, ``"missing"``…"""


class RequestValidationError(APIStatusError):
    """422: the server refused the request's values; ``problems`` lists each one.

    ``detail`` keeps the list as Polar sent it (``input`` and ``ctx`` included).
    """

    @property
    def detail(self) -> list[dict[str, Any]]:
        """The server's list of problems (``type``, ``loc``, ``msg``, ``input``)."""
        detail: object = (json_object(self.body) or {}).get("detail")
        entries: list[object] = cast("list[object]", detail) if isinstance(detail, list) else []
        return [entry for entry in map(json_object, entries) if entry is not None]

    @property
    def problems(self) -> tuple[ValidationProblem, ...]:
        """Polar's entries as [`ValidationProblem`][polar_seats.ValidationProblem]s; a part
        of an entry that is missing or of another type reads as empty."""
        return tuple(_problem(entry) for entry in self.detail)


class CustomerNotFoundError(RequestValidationError):
    """422 "Customer does not exist.": Polar knows no customer by the id the request named.

    Polar answers so, rather than 404, when ``create_customer_session()`` (or a
    ``for_customer()`` view's first call) names by ``customer_id`` or
    ``external_customer_id`` no customer of the token's organization: a person who is not
    a customer yet, or a customer of another organization or server. A
    ``RequestValidationError``, so handlers written for that still catch it; catch this
    one first to tell "not a customer" from a value Polar refused.
    """


def _problem(entry: dict[str, Any]) -> ValidationProblem:
    loc: object = entry.get("loc")
    parts: list[object] = cast("list[object]", loc) if isinstance(loc, list) else []
    msg, kind = entry.get("msg"), entry.get("type")
    return ValidationProblem(
        loc=tuple(part for part in parts if isinstance(part, (str, int))),
        msg=msg if isinstance(msg, str) else "",
        type=kind if isinstance(kind, str) else "",
    )


class RateLimitError(APIStatusError):
    """429: the token's customer sent too many requests.

    ``retry_after`` is the wait the server asked for, in seconds (``None`` if it gave none).
    Polar counts in fixed one-minute windows and always asks for 60 seconds.
    """

    def __init__(self, message: str, *, retry_after: float | None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(APIStatusError):
    """5xx: the server, or a proxy in front of it, failed. Usually worth retrying."""


class NetworkError(PolarError):
    """The request got no answer: the connection failed, was reset or was cut short.

    ``request_sent`` is ``False`` only when the connection could not be opened, so that no
    byte of the request reached Polar; otherwise Polar may have acted on it. The aiohttp
    exception is kept as ``__cause__``.
    """

    def __init__(
        self, message: str, *, request: Request | None = None, request_sent: bool = True
    ) -> None:
        super().__init__(message)
        self.request = request
        self.request_sent = request_sent


class PolarTimeoutError(NetworkError, TimeoutError):
    """An attempt took longer than its timeout."""


class OutcomeUnknownError(PolarError):
    """A write may or may not have happened at Polar, and polar-seats could not find out.

    The request reached Polar (or may have) and its answer was lost: a timeout, a reset
    connection, a 5xx from a proxy. The message says what to check and what to do next;
    ``request`` is the write, and the last error is the ``__cause__``. Nothing was sent
    again that could have done the wrong thing.

    ``safe_to_retry`` is ``True`` when polar-seats read that the write had not happened,
    but the retry policy allowed no more attempts (none left, the budget, the deadline):
    sending it again is safe. ``False``: it may have happened; look before sending again.

    The message is two parts, each kept on its own: ``finding``, what is known (what was
    lost, what was read, what was or was not sent again), in words that name no Python
    call, and ``advice``, what to call next from Python (empty when the finding says it
    all). A program that speaks to people in its own terms (a command line, a web page)
    shows the finding and its own next step.
    """

    def __init__(
        self,
        finding: str,
        *,
        advice: str = "",
        request: Request | None = None,
        safe_to_retry: bool = False,
    ) -> None:
        super().__init__(f"{finding} {advice}" if advice else finding)
        self.finding = finding
        self.advice = advice
        self.request = request
        self.safe_to_retry = safe_to_retry


class ResponseDecodeError(PolarError):
    """A 200 whose body is not JSON or does not fit the models.

    ``path`` is the JSON path of the field that did not fit (``$.items[3].status``),
    ``raw_body`` the bytes as sent; ``page`` the page requested, on a page call.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None,
        raw_body: bytes,
        request: Request | None = None,
        page: int | None = None,
    ) -> None:
        super().__init__(message)
        self.path = path
        self.raw_body = raw_body
        self.request = request
        self.page = page
