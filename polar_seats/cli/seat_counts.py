"""Seat counts on the command line: how a subscription's count and its pending change
read, what ``seats set-count`` prints of the subscription, and Polar's refusals of a
count in the command's terms, built from the errors' fields (never from their text)."""

from __future__ import annotations

import argparse
from typing import Any

from .. import (
    AboveMaximumSeatsError,
    AlreadyCanceledSubscriptionError,
    AsyncClient,
    BelowMinimumSeatsError,
    NotASeatBasedSubscriptionError,
    OutcomeUnknownError,
    PaymentActionRequiredError,
    PaymentFailedError,
    PermissionDeniedError,
    PolarError,
    SeatsAlreadyAssignedError,
    SubscriptionFields,
    SubscriptionLockedError,
    UpdateSubscriptionSeatsNotAllowedError,
)
from .._protocol import Auth
from .base import ACCESS_TOKEN_VARIABLE, TOKEN_VARIABLE, said

PRORATIONS = ("invoice", "prorate", "next_period")
"""What ``--proration-behavior`` takes: Polar's behaviours a request may name."""
_WHY = {
    "missing_payment_method": "the customer has no payment method",
    "card_error": "the customer's card was declined",
}
"""Why a charge failed, by Polar's reason."""


def pending(subscription: SubscriptionFields) -> str | None:
    """The seat change waiting for the period's end, as ``5 seats from 2027-01-05``;
    ``None`` when there is none."""
    change = subscription.pending_update
    if change is None or change.seats is None:
        return None
    return f"{change.seats} seats from {change.applies_at.date().isoformat()}"


def row(subscription: SubscriptionFields) -> dict[str, Any]:
    """What a table of ``seats set-count`` shows of the subscription: one row that fits 80
    columns with the whole id."""
    return {
        "id": subscription.id,
        "status": subscription.status,
        "seats": subscription.seats,
        "pending_change": pending(subscription),
    }


async def counted(client: AsyncClient, subscription_id: str) -> str:
    """What the line under a table of a subscription's seats adds about its count: its
    pending change, if any (one more request); a refusal to read it is said, not fatal,
    since the seats themselves were read."""
    try:
        subscription = await client.get_subscription(subscription_id)
    except PermissionDeniedError as exc:
        answer = f"{exc.status} {exc.error}" if exc.error else said(exc)
        why = ": the token lacks the subscriptions:read scope" if _organization(exc) else ""
        return (
            f"; its pending change, if any, is not shown ({answer} reading the subscription{why})"
        )
    change = pending(subscription)
    return f"; {change} (a pending change)" if change else ""


def _organization(exc: PolarError) -> bool:
    """Whether the failing request went with the organization access token alone."""
    return exc.request is not None and exc.request.auth is Auth.ORGANIZATION


def _count(subscription: SubscriptionFields) -> int | None:
    """The count the subscription is headed for: its pending change's, else its own."""
    change = subscription.pending_update
    return change.seats if change is not None and change.seats is not None else subscription.seats


def bought(exc: PolarError, subscription: SubscriptionFields) -> str:
    """What an ``assign --add-seat-if-full`` that failed after buying a seat says of it,
    given the ``subscription`` after the purchase: the seat is free, or comes at the
    period's end (a ``next_period`` organization), and the command that releases it."""
    count, change = _count(subscription), pending(subscription)
    later = change is not None and (count or 0) > (subscription.seats or 0)
    release = (
        f"`polar-seats seats set-count --subscription-id {subscription.id} {(count or 1) - 1}`"
    )
    if isinstance(exc, OutcomeUnknownError):
        # The library's sentence says a seat was bought: this says what to run.
        return (
            f" {release} cancels the purchase."
            if later
            else " Run the assign again: the person gets the free seat, and nothing more is "
            "bought while one is free (exit 8 if the lost attempt gave them one); or release "
            f"the seat with {release}."
        )
    has = f"{subscription.seats} seats" + (f" ({change} as a pending change)" if change else "")
    seat = (
        "the seat bought comes at the period's end (the organization bills seat changes "
        f"next_period), so none was free to assign yet; {release} cancels the purchase"
        if later
        else f"the seat bought is free; {release} releases it"
    )
    return (
        f" A seat was bought first (--add-seat-if-full): subscription {subscription.id} now "
        f"has {has}, and {seat}."
    )


def explain(exc: PolarError, args: argparse.Namespace, refused: str) -> str | None:
    """What to do about Polar's refusal of a seat count, after ``refused`` ("Polar
    refused to change the seat count (400: …)."); ``None`` for any other error."""
    subscription_id = args.subscription_id
    if isinstance(exc, SeatsAlreadyAssignedError):
        return f"{refused} {_revoke_first(exc, subscription_id)}"
    if isinstance(exc, BelowMinimumSeatsError):
        least = "the price's minimum" if exc.minimum is None else str(exc.minimum)
        return f"{refused} The price sells no fewer seats: ask for {least} or more."
    if isinstance(exc, AboveMaximumSeatsError):
        most = "the price's maximum" if exc.maximum is None else str(exc.maximum)
        return (
            f"{refused} The price sells no more seats: ask for {most} or fewer; more seats "
            "take a product whose price allows them."
        )
    if isinstance(exc, NotASeatBasedSubscriptionError):
        return (
            f"{refused} Its price is not seat-based, so it has no seat count to change: check "
            "--subscription-id."
        )
    if isinstance(exc, AlreadyCanceledSubscriptionError):
        return (
            f"{refused} The subscription is canceled, or ends with its period, so its seat "
            "count can no longer change: uncancel it first, then run the command again."
        )
    if isinstance(exc, UpdateSubscriptionSeatsNotAllowedError):
        return (
            f"{refused} The organization does not let customers change their seats (its "
            "customer portal settings): use the organization access token alone "
            f"(${ACCESS_TOKEN_VARIABLE}, with no --token-file and no customer option), or "
            "have the organization allow it."
        )
    if isinstance(exc, PaymentFailedError):
        why = _WHY.get(exc.reason or "", "the charge failed")
        instead = (
            "; or, with the organization token, --proration-behavior prorate bills the "
            "change on the next invoice instead"
            if _organization(exc) and args.action == "set-count"
            else ""
        )
        return (
            f"{refused} Nothing changed and nothing was charged: {why}. Have the customer "
            f"add or update a payment method in the customer portal, then run the command "
            f"again{instead}."
        )
    if isinstance(exc, PaymentActionRequiredError):
        order = f"order {exc.order_id}" if exc.order_id else "the order"
        return (
            f"{refused} Nothing changed: the charge for {order} needs the customer to "
            "authenticate it (3-D Secure), which cannot happen off-session. Send the "
            "customer to the customer portal to complete it, then run the command again."
        )
    if isinstance(exc, SubscriptionLockedError):
        return (
            f"{refused} The subscription is pending an update: wait until it is done "
            f"(`polar-seats seats list --subscription-id {subscription_id} --format table` "
            "shows its seats and any pending change), then run the command again."
        )
    return None


def _revoke_first(exc: SeatsAlreadyAssignedError, subscription_id: str) -> str:
    revoke = f"`polar-seats seats revoke SEAT_ID --subscription-id {subscription_id}`"
    listed = f"`polar-seats seats list --subscription-id {subscription_id}` shows them"
    assigned, requested = exc.assigned, exc.requested
    if assigned is None or requested is None:
        return f"Revoke seats first, with {revoke} ({listed}), until no more are assigned."
    extra = assigned - requested
    return (
        f"{assigned} seats are assigned (pending or claimed): revoke {extra} "
        f"seat{'s' * (extra != 1)} first, with {revoke} ({listed}), then ask for {requested} "
        "again."
    )


def proration_refused(args: argparse.Namespace, customer_option: str | None) -> str:
    """Why ``--proration-behavior`` cannot go with the customer credential the options
    (``customer_option``, ``--token-file``) or the environment give."""
    if customer_option is not None:
        why, drop = f"{customer_option} acts as that customer", customer_option
    elif args.token_file:
        why, drop = "--token-file gives a customer session token", "--token-file"
    else:
        why = f"${TOKEN_VARIABLE} is set, and its customer session token goes first"
        drop = f"the variable ({TOKEN_VARIABLE}= polar-seats seats set-count …)"
    return (
        f"--proration-behavior goes with the organization access token alone, and {why}: "
        "through the customer portal Polar applies the organization's default proration. "
        f"Leave --proration-behavior out, or drop {drop}."
    )
