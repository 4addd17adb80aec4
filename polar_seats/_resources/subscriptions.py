"""Subscriptions: the claimed ones (``GET /v1/customer-portal/seats/subscriptions``, a page
or a walk), and one subscription read or its seat count changed, by its customer (the
customer portal's ``/v1/customer-portal/subscriptions/{id}``) or by the organization
(``/v1/subscriptions/{id}``).

A seat count change has no idempotency key, may charge, and after a lost answer may or may
not have run. It is never resent blindly: its reconcile step (``reconcile_seat_change``) reads the
subscription, returns it when it holds the count asked for, sends again only while it
holds the count it had, and raises [`OutcomeUnknownError`][polar_seats.OutcomeUnknownError]
otherwise. A 402 is never resent: Polar rolled the change back.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from typing import Any, TypeVar, Union, cast
from uuid import UUID

from .._errors import InvalidArgumentError, OutcomeUnknownError, PolarError, ResponseDecodeError
from .._models import SUBSCRIPTION_PAGE, codec_for
from .._operation import Operation, Write
from .._pagination import PageIterator, check_concurrency, check_max_items
from .._protocol import (
    MAX_LIMIT,
    Auth,
    Request,
    check_limit,
    check_page,
    decode_body,
    max_page_for,
    parse_response,
    polar_id,
    subject,
)
from .._retry import Reconcile, SendAgain, Settled, logger
from .._tracing import traced
from ..models import (
    CustomerSubscription,
    Page,
    Subscription,
    SubscriptionFields,
    SubscriptionProrationBehavior,
)
from ._base import Operations

SubscriptionPage = Page[CustomerSubscription]
AnySubscription = Union[CustomerSubscription, Subscription]  # noqa: UP007  (a runtime alias)
"""A subscription as the customer portal shows it, or as the organization reads it."""
T = TypeVar("T")
S = TypeVar("S", bound=SubscriptionFields)
AnyPage = TypeVar("AnyPage", bound=Page[Any])

# Seat counts: the checks and body of a change, and what a lost change did ----------------

_PRORATIONS = frozenset(behavior.value for behavior in SubscriptionProrationBehavior)
_MAX_SEATS = 2**31 - 1


def check_seats(seats: object) -> int:
    """A seat count Polar can take: an int from 1 to 2**31 - 1."""
    if isinstance(seats, bool) or not isinstance(seats, int):
        raise TypeError(f"seats must be an int, not {type(seats).__name__}.")
    if seats < 1:
        raise InvalidArgumentError(
            f"seats must be at least 1 (got {seats}); a subscription always keeps one seat: "
            "cancel it to stop paying for seats.",
            argument="seats",
            expected="at least 1",
        )
    if seats > _MAX_SEATS:
        raise InvalidArgumentError(
            f"seats must be at most {_MAX_SEATS} (got {seats}).",
            argument="seats",
            expected=f"at most {_MAX_SEATS}",
        )
    return seats


def seat_change_body(
    credential: Auth, seats: object, proration_behavior: str | None
) -> dict[str, Any]:
    """The body of a seat count change, checked: the count, and a proration that only the
    organization's side takes."""
    body: dict[str, Any] = {"seats": check_seats(seats)}
    if proration_behavior is None:
        return body
    if credential is Auth.CUSTOMER:
        raise InvalidArgumentError(
            "proration_behavior= is for an organization access token: through the "
            "customer portal Polar applies the organization's default proration. "
            "Leave it out, or change the seats with a client that holds only the "
            "organization token.",
            argument="proration_behavior",
        )
    if proration_behavior not in _PRORATIONS:
        known = ", ".join(sorted(_PRORATIONS))
        raise InvalidArgumentError(
            f"proration_behavior must be one of {known} (got {proration_behavior!r}).",
            argument="proration_behavior",
            expected=f"one of {known}",
        )
    body["proration_behavior"] = proration_behavior
    return body


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


def reconcile_seat_change(
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
                f"({failed}), so nothing more was sent.",
                advice="Call get_subscription() once Polar answers again to see where "
                "things stand.",
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
                "changed it too; polar-seats sent nothing more.",
                advice="Read it with get_subscription() and decide.",
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


# Declarations -------------------------------------------------------------------------
# One subscription, read or its seats changed: the customer portal's with a customer's
# credential (a CustomerSubscription), the organization's with its token (a Subscription).
GET_SUBSCRIPTION = Operation(
    "get_subscription",
    "GET",
    "/v1/customer-portal/subscriptions/{subscription_id}",
    codec_for(CustomerSubscription).decode,
)
UPDATE_SEATS = Write(
    "update_seats",
    "PATCH",
    GET_SUBSCRIPTION.path,
    GET_SUBSCRIPTION.decode,
    body=seat_change_body,
    reconcile=reconcile_seat_change,
)
GET_ORGANIZATION_SUBSCRIPTION = Operation(
    "get_subscription",
    "GET",
    "/v1/subscriptions/{subscription_id}",
    codec_for(Subscription).decode,
    auth=Auth.ORGANIZATION,
)
UPDATE_ORGANIZATION_SEATS = Write(
    "update_seats",
    "PATCH",
    GET_ORGANIZATION_SUBSCRIPTION.path,
    GET_ORGANIZATION_SUBSCRIPTION.decode,
    auth=Auth.ORGANIZATION,
    body=seat_change_body,
    reconcile=reconcile_seat_change,
)
_SIDES: dict[Auth, tuple[Operation[Any], Write[Any, ..., ...]]] = {
    Auth.CUSTOMER: (GET_SUBSCRIPTION, UPDATE_SEATS),
    Auth.ORGANIZATION: (GET_ORGANIZATION_SUBSCRIPTION, UPDATE_ORGANIZATION_SEATS),
}

LIST_CLAIMED_SUBSCRIPTIONS = Operation(
    "list_claimed_subscriptions",
    "GET",
    "/v1/customer-portal/seats/subscriptions",
    SUBSCRIPTION_PAGE.decode,
)
PATH = LIST_CLAIMED_SUBSCRIPTIONS.path

# The subscriptions a customer pays for: the customer portal's list with a customer's
# credential (its own, newest first), the organization's with its token (every customer's,
# filtered by customer if asked). Both paths end in a slash, as Polar routes them.
LIST_SUBSCRIPTIONS = Operation(
    "list_subscriptions",
    "GET",
    "/v1/customer-portal/subscriptions/",
    SUBSCRIPTION_PAGE.decode,
)
LIST_ORGANIZATION_SUBSCRIPTIONS = Operation(
    "list_subscriptions",
    "GET",
    "/v1/subscriptions/",
    codec_for(Page[Subscription]).decode,
    auth=Auth.ORGANIZATION,
)
_LISTS: dict[Auth, Operation[Any]] = {
    Auth.CUSTOMER: LIST_SUBSCRIPTIONS,
    Auth.ORGANIZATION: LIST_ORGANIZATION_SUBSCRIPTIONS,
}


@functools.lru_cache(maxsize=4096)
def page_request(page: int, limit: int) -> Request:
    """The request of one page of claimed subscriptions (a value: made once per page)."""
    return LIST_CLAIMED_SUBSCRIPTIONS.request(
        query=(("page", str(page)), ("limit", str(limit))),
        label=f"page {page} of claimed subscriptions",
    )


def decode_page(body: bytes, *, page: int, request: Request | None = None) -> SubscriptionPage:
    """Decode a 200 body into a [`Page`][polar_seats.Page], or raise
    [`ResponseDecodeError`][polar_seats.ResponseDecodeError].

    Most pages take the fast path: prices and benefits as msgspec tagged unions, with no
    Python call per object. A page the fast path refuses (a legacy price, a kind this
    version does not know, a field that does not fit) is decoded again by the lax models,
    which decide.
    """
    if request is None:
        request = page_request(page, MAX_LIMIT)
    return _on_page(page, lambda: decode_body(LIST_CLAIMED_SUBSCRIPTIONS.decode, body, request))


def check_pagination(result: AnyPage, *, limit: int, body: bytes, request: Request) -> AnyPage:
    """``result`` if its pagination is what Polar computes, else
    [`ResponseDecodeError`][polar_seats.ResponseDecodeError].

    A server that reports a negative count, or a ``max_page`` that its own ``total_count``
    does not give, is not believed: a walk would otherwise follow it for as long as it says.
    """
    total, max_page = result.pagination.total_count, result.pagination.max_page
    if total < 0 or max_page < 0 or max_page != max_page_for(total, limit):
        raise ResponseDecodeError(
            f"{subject(request)} reports max_page={max_page} for total_count={total} at "
            f"limit={limit}; Polar computes max_page=ceil(total_count / "
            f"{min(limit, MAX_LIMIT)}).",
            path="$.pagination",
            raw_body=body,
            request=request,
        )
    return result


@functools.lru_cache(maxsize=4096)
def page_decoder(request: Request, limit: int) -> Callable[[bytes], SubscriptionPage]:
    """The decoder of one page of claimed subscriptions, pagination checked."""

    def decode(body: bytes) -> SubscriptionPage:
        return check_pagination(
            LIST_CLAIMED_SUBSCRIPTIONS.decode(body), limit=limit, body=body, request=request
        )

    return decode


def handle_response(
    status: int, headers: Mapping[str, str], body: bytes, *, page: int, limit: int | None = None
) -> SubscriptionPage:
    """Turn one page's response into a [`Page`][polar_seats.Page], or raise the
    matching [`PolarError`][polar_seats.PolarError]. With ``limit``, the pagination is
    checked against it."""
    request = page_request(page, limit or MAX_LIMIT)
    decode = LIST_CLAIMED_SUBSCRIPTIONS.decode if limit is None else page_decoder(request, limit)
    return _on_page(page, lambda: parse_response(request, status, headers, body, decode))


def _on_page(page: int, run: Callable[[], T]) -> T:
    """``run()``, its error telling the page (a pure function's, as a call's does)."""
    try:
        return run()
    except PolarError as error:
        error.page = page
        raise


class SubscriptionIterator(PageIterator[CustomerSubscription]):
    """One walk over the claimed subscriptions: ``async for sub in it`` or ``it.pages()``."""

    _operation = "polar_seats.iter_claimed_subscriptions"


class SubscriptionOperations(Operations):
    async def list_claimed_subscriptions(
        self, *, page: int = 1, limit: int = 10, timeout: float | None = None
    ) -> Page[CustomerSubscription]:
        """Fetch one page of the subscriptions on which the customer holds a seat.

        Exactly one request, plus retries of transient failures. ``limit`` is 10 by
        default, as Polar's; at most 100. ``timeout`` overrides the client's per-attempt
        timeout for this call.
        """
        self._check_token_given()
        check_page(page, limit=check_limit(limit))
        return await self._fetch_page(page, limit, timeout)

    def iter_claimed_subscriptions(
        self,
        *,
        limit: int = 100,
        start_page: int = 1,
        max_items: int | None = None,
        concurrency: int | None = None,
        timeout: float | None = None,
    ) -> SubscriptionIterator:
        """Walk every claimed subscription, page after page: ``async for sub in ...``.

        Each subscription ``id`` is yielded at most once, although rows can move between
        pages while a walk runs (the server's query has no order). ``.pages()`` walks the
        same pages a page at a time. Stops after ``max_items`` items if given. After the
        first page, pages are fetched ahead of the loop: 1, then 2, 4, 8... as it keeps
        reading, up to ``concurrency`` (the client's by default; 1 for one at a time),
        and items still come in page order. Leaving the loop (``aclose()``, ``async with``,
        or a ``break`` that drops the walk) cancels the pages fetched ahead. ``timeout``
        overrides the client's per-attempt timeout for every page of the walk.
        """
        self._check_token_given()
        check_page(start_page, "start_page", limit=check_limit(limit))
        check_max_items(max_items)
        caller = self._for_walk()
        return SubscriptionIterator(
            lambda page: caller._fetch_page(page, limit, timeout),
            start_page=start_page,
            limit=limit,
            max_items=max_items,
            concurrency=self.concurrency if concurrency is None else check_concurrency(concurrency),
        )

    async def get_subscription(
        self, subscription: str | UUID, *, timeout: float | None = None
    ) -> CustomerSubscription | Subscription:
        """One subscription by id, with its seat count (``seats``) and any change waiting
        for the period's end (``pending_update``); one request.

        With a customer's credential, the customer's own subscription as the customer
        portal shows it ([`CustomerSubscription`][polar_seats.CustomerSubscription]);
        with only an organization access token (scope ``subscriptions:read``), the
        organization's [`Subscription`][polar_seats.Subscription], with its customer. A
        subscription that is not the caller's raises
        [`NotFoundError`][polar_seats.NotFoundError].
        """
        return await self._read_subscription(subscription_id_of(subscription), timeout)

    async def update_seats(
        self,
        subscription: CustomerSubscription | Subscription | str | UUID,
        seats: int,
        *,
        proration_behavior: str | None = None,
        timeout: float | None = None,
    ) -> CustomerSubscription | Subscription:
        """Buy or release seats: set the subscription's seat count to ``seats``.

        With a customer's credential it goes through the customer portal (the customer,
        or a member who is an owner or billing manager, when the organization lets
        customers change seats), and the organization's default proration applies;
        with only an organization access token (scope ``subscriptions:write``) it goes
        through the organization's API, and ``proration_behavior`` may be ``"invoice"``
        (charged now), ``"prorate"`` (on the next invoice) or ``"next_period"`` (the
        count changes at the period's end: the result's ``pending_update`` holds it).
        Returns the subscription as that side reads it. Asking for the count it already
        has changes nothing, but cancels a pending change.

        Polar's refusals have classes of their own:
        [`BelowMinimumSeatsError`][polar_seats.BelowMinimumSeatsError],
        [`AboveMaximumSeatsError`][polar_seats.AboveMaximumSeatsError],
        [`SeatsAlreadyAssignedError`][polar_seats.SeatsAlreadyAssignedError] (revoke
        seats first),
        [`NotASeatBasedSubscriptionError`][polar_seats.NotASeatBasedSubscriptionError],
        [`AlreadyCanceledSubscriptionError`][polar_seats.AlreadyCanceledSubscriptionError],
        [UpdateSubscriptionSeatsNotAllowedError][polar_seats.UpdateSubscriptionSeatsNotAllowedError]
        and [`SubscriptionLockedError`][polar_seats.SubscriptionLockedError], and a charge that
        did not go through, [`PaymentFailedError`][polar_seats.PaymentFailedError] or
        [`PaymentActionRequiredError`][polar_seats.PaymentActionRequiredError] (Polar
        rolled the change back; never resent).

        Safe to retry: after an attempt whose answer was lost, the subscription is read.
        If it holds the count asked for (or a pending change to it), that is the result;
        if it still holds what it had, the change is sent again (within the retry
        policy); anything else raises [`OutcomeUnknownError`][polar_seats.OutcomeUnknownError]
        with what was read. Pass the subscription itself rather than its id and "what it
        had" is exact: a count changed by someone else meanwhile is then reported, never
        overwritten.
        """
        subscription_id = subscription_id_of(subscription)
        before = (
            Baseline.of(subscription)
            if isinstance(subscription, (CustomerSubscription, Subscription))
            else None
        )
        return await self._change_seats(
            subscription_id,
            seats,
            proration_behavior=proration_behavior,
            before=before,
            timeout=timeout,
        )

    async def _fetch_page(
        self, page: int, limit: int, timeout: float | None
    ) -> Page[CustomerSubscription]:
        request = page_request(page, limit)
        return await self._call_page(
            LIST_CLAIMED_SUBSCRIPTIONS.span,
            request,
            page_decoder(request, limit),
            page=page,
            limit=limit,
            timeout=timeout,
        )

    @traced(GET_SUBSCRIPTION.span)
    async def _read_subscription(
        self, subscription_id: str, timeout: float | None
    ) -> AnySubscription:
        """One subscription, read on the caller's side (one request, retried as a read)."""
        read, _ = _side(self._own_credential())
        return await self._call(
            read.request(subscription_id=subscription_id), read.decode, timeout=timeout
        )

    @traced(UPDATE_SEATS.span)
    async def _change_seats(
        self,
        subscription_id: str,
        seats: int,
        *,
        proration_behavior: str | None,
        before: Baseline | None,
        timeout: float | None,
    ) -> AnySubscription:
        """The seat count change, reconciled by reading the subscription after a lost answer;
        ``before`` is what the subscription held before, when the caller knows it."""
        credential = self._own_credential()
        _, update = _side(credential)
        body = update.body(credential, seats, proration_behavior)
        request = update.request(subscription_id=subscription_id, json=body)
        step = update.reconcile(
            lambda: self._read_subscription(subscription_id, timeout),
            request,
            body["seats"],
            before,
        )
        return await self._call(request, update.decode, timeout=timeout, reconcile=step)

    async def list_subscriptions(
        self,
        *,
        page: int = 1,
        limit: int = 10,
        product_id: str | UUID | Sequence[str | UUID] | None = None,
        active: bool | None = None,
        customer_id: str | UUID | Sequence[str | UUID] | None = None,
        external_customer_id: str | Sequence[str] | None = None,
        timeout: float | None = None,
    ) -> Page[CustomerSubscription] | Page[Subscription]:
        """Fetch one page of the subscriptions customers pay for (the ones whose seats
        they manage); one request, plus retries of transient failures.

        With a customer's credential, the customer's own, as the customer portal shows
        them (a page of [`CustomerSubscription`][polar_seats.CustomerSubscription]); a
        member session, whatever the member's role, lists its customer's. With only an
        organization access token (scope ``subscriptions:read``), those of every customer
        of the organization (a page of [`Subscription`][polar_seats.Subscription]);
        ``customer_id`` and ``external_customer_id`` (one or a list) keep those of some
        customers, on this side only.

        Newest first (by ``started_at``); a subscription that never started is not listed.
        ``product_id`` (one or a list) keeps those of these products. ``active=True``
        keeps those active or trialing, ``active=False`` those canceled or unpaid: a
        past-due, paused or incomplete subscription is in neither. ``limit`` is 10 by
        default, as Polar's; at most 100.
        """
        check_page(page, limit=check_limit(limit))
        side = _list_side(self._own_credential())
        filters = _list_filters(side, product_id, active, customer_id, external_customer_id)
        return await self._subscriptions_page(side, filters, page, limit, timeout)

    def iter_subscriptions(
        self,
        *,
        limit: int = 100,
        start_page: int = 1,
        max_items: int | None = None,
        product_id: str | UUID | Sequence[str | UUID] | None = None,
        active: bool | None = None,
        customer_id: str | UUID | Sequence[str | UUID] | None = None,
        external_customer_id: str | Sequence[str] | None = None,
        concurrency: int | None = None,
        timeout: float | None = None,
    ) -> PageIterator[CustomerSubscription | Subscription]:
        """Walk every subscription customers pay for, page after page:
        ``async for sub in ...``; the filters and sides of ``list_subscriptions()``.

        A walk as ``iter_claimed_subscriptions()`` makes one: each ``id`` at most once,
        pages fetched ahead up to ``concurrency``, ``.pages()``, ``max_items``, and the
        pages ahead cancelled when the loop is left early. With a customer view, one
        session serves the whole walk.
        """
        check_page(start_page, "start_page", limit=check_limit(limit))
        check_max_items(max_items)
        side = _list_side(self._own_credential())
        filters = _list_filters(side, product_id, active, customer_id, external_customer_id)
        caller = self._for_walk()
        return PageIterator(
            lambda page: caller._subscriptions_page(side, filters, page, limit, timeout),
            start_page=start_page,
            limit=limit,
            max_items=max_items,
            concurrency=self.concurrency if concurrency is None else check_concurrency(concurrency),
            span="polar_seats.iter_subscriptions",
        )

    async def _subscriptions_page(
        self,
        side: Operation[Page[Any]],
        filters: tuple[tuple[str, str], ...],
        page: int,
        limit: int,
        timeout: float | None,
    ) -> Page[Any]:
        """One page of the caller's side: of ``CustomerSubscription`` on the customer
        portal, of ``Subscription`` on the organization's."""
        request = side.request(
            query=(("page", str(page)), ("limit", str(limit)), *filters),
            label=f"page {page} of subscriptions",
        )

        def decode(body: bytes) -> Page[Any]:
            return check_pagination(side.decode(body), limit=limit, body=body, request=request)

        return await self._call_page(
            side.span, request, decode, page=page, limit=limit, timeout=timeout
        )


def _side(credential: Auth) -> tuple[Operation[Any], Write[Any, ..., ...]]:
    """The read and the seat change of the caller's side of Polar's API."""
    side = _SIDES.get(credential)
    if side is None:
        raise InvalidArgumentError(
            "Reading a subscription or changing its seats needs a credential: a customer "
            "session token (AsyncClient(token) or client.with_token(token)), a customer view "
            "(client.for_customer(...)), or an organization access token "
            "(AsyncClient(organization_token=...), with the subscriptions:read and "
            "subscriptions:write scopes).",
            argument="token, organization_token",
        )
    return side


def subscription_id_of(subscription: AnySubscription | str | UUID) -> str:
    """The id of a subscription given as a model or as its id."""
    if isinstance(subscription, (CustomerSubscription, Subscription)):
        return polar_id(subscription.id, "subscription.id", "subscription")
    return polar_id(subscription, "subscription")


# Listing the subscriptions customers pay for ---------------------------------------------


def _list_side(credential: Auth) -> Operation[Page[CustomerSubscription] | Page[Subscription]]:
    """The list of the caller's side of Polar's API."""
    operation = _LISTS.get(credential)
    if operation is None:
        raise InvalidArgumentError(
            "Listing subscriptions needs a credential: a customer session token "
            "(AsyncClient(token) or client.with_token(token)), a customer view "
            "(client.for_customer(...)), or an organization access token "
            "(AsyncClient(organization_token=...), with the subscriptions:read scope).",
            argument="token, organization_token",
        )
    return operation


def _filter(name: str, given: object, check: Callable[[object, str], str]) -> list[tuple[str, str]]:
    """A filter Polar takes once or repeated (``name=a&name=b``): one value, or a list,
    tuple or set of them, each checked by ``check``; ``None`` for no filter."""
    if given is None:
        return []
    if isinstance(given, (str, UUID)):
        return [(name, check(given, name))]
    if not isinstance(given, (list, tuple, set, frozenset)):
        raise TypeError(f"{name} must be one value or a list of them, not {type(given).__name__}.")
    values = [*cast("Collection[object]", given)]
    if isinstance(given, (set, frozenset)):
        values.sort(key=str)  # a set's order is arbitrary: one filter, one request
    if not values:
        # Polar reads no value as no filter: an empty list would list everything.
        raise InvalidArgumentError(
            f"{name} must hold at least one value; pass None to keep every subscription.",
            argument=name,
            expected="one value or more",
        )
    return [(name, check(value, name)) for value in values]


def _external_id(value: object, name: str) -> str:
    """An id in the organization's own system: any non-empty string."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}.")
    if not value:
        raise InvalidArgumentError(
            f"{name} must not be empty: it is the customer's id in your own system.",
            argument=name,
            expected="a non-empty string",
        )
    return value


def _flag(name: str, value: object) -> str:
    """A boolean filter as Polar's query reads it."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True, False or None, not {type(value).__name__}.")
    return "true" if value else "false"


def _list_filters(
    side: Operation[Any],
    product_id: object,
    active: object,
    customer_id: object,
    external_customer_id: object,
) -> tuple[tuple[str, str], ...]:
    """The query of a subscription list beyond its page, checked: the filters as Polar
    takes them, and the customer filters on the organization's side only."""
    query = _filter("product_id", product_id, polar_id)
    if active is not None:
        query.append(("active", _flag("active", active)))
    by_customer = _filter("customer_id", customer_id, polar_id)
    by_customer += _filter("external_customer_id", external_customer_id, _external_id)
    if by_customer and side.auth is Auth.CUSTOMER:
        raise InvalidArgumentError(
            "customer_id= and external_customer_id= pick customers among the "
            "organization's: with a customer's credential Polar lists only that "
            "customer's own subscriptions. Leave them out, or list on a client that holds "
            "only the organization access token (not on a customer view).",
            argument="customer_id" if customer_id is not None else "external_customer_id",
        )
    return (*query, *by_customer)
