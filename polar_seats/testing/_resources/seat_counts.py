"""Seat counts: reading one subscription and changing how many seats it holds, both sides.

``GET``/``PATCH /v1/customer-portal/subscriptions/{id}`` (the billing customer's
``CustomerSubscription``) and ``GET``/``PATCH /v1/subscriptions/{id}`` (an organization
token's ``Subscription``), as Polar's ``update_seats`` runs them: its checks in its order,
then the proration, which decides whether the change waits for the next period
(``pending_update``), applies now, or applies now and is charged now (a 402 rolls it
back). A change sends ``subscription.updated``; the same count again sends nothing unless
it cancels a pending seat change. A waiting change applies once the server's clock passes
its ``applies_at``, when the subscription is next read. Bodies are read as pydantic reads
Polar's update unions; of their other shapes the fake plays clearing a pending update and
the update that asks nothing, and answers 501 to the rest (a product change, a pause...).
"""

from __future__ import annotations

import functools
import hashlib
import math
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import NamedTuple

from aiohttp import web
from multidict import MultiMapping

from .._core.answers import PolarError, json_response, model_body, respond, validation_error
from .._core.clock import Clock
from .._core.middleware import exchange
from .._core.pagination import page_query
from .._core.routing import ORGANIZATION, PORTAL, Route, RouteTable, requires, state_of
from .._core.store import Json, iso, new_id
from .._core.validation import (
    Field,
    Invalid,
    Model,
    boolean,
    entry,
    int32,
    literal,
    mapping,
    none,
    one_of,
    optional,
    string,
    uuid4,
    validate_union,
)
from .customers import Organization, ProrationBehavior, customer_body
from .seats import assigned_seats, not_found, uuid_param
from .sessions import OrganizationToken, Session, UserToken
from .subscriptions import (
    Subscription,
    SubscriptionTables,
    list_page,
    reshape_2027_01,
    served_subscription,
)

__all__ = [
    "ROUTES",
    "Charge",
    "SeatCountTables",
    "organization_subscription",
    "update_seats",
]

PRORATIONS: tuple[ProrationBehavior, ...] = ("invoice", "prorate", "next_period", "reset")
READ = frozenset({"subscriptions:read", "subscriptions:write"})
WRITE = frozenset({"subscriptions:write"})
_CHARGED_NOW = ("invoice", "reset")
_REVOKED = ("canceled", "unpaid")


class Charge(NamedTuple):
    """A seat increase Polar charged at once, and the order that paid it."""

    subscription_id: str
    seats_before: int
    seats_after: int
    order_id: str


class SeatCountTables(SubscriptionTables):
    """The charges made, and when each seat change the fake scheduled applies."""

    def __init__(self, clock: Clock, *, seed: int = 0) -> None:
        super().__init__(clock, seed=seed)
        self.charges: list[Charge] = []
        """Every seat increase charged at once, in order."""
        self.scheduled: dict[str, tuple[float, int]] = {}
        """The seat change the fake scheduled on a subscription, by id: when it applies, and
        the count it sets."""

    def subscription(self, subscription_id: str) -> Subscription | None:
        """The subscription, its scheduled seat change applied if its time has come."""
        found = super().subscription(subscription_id)
        if found is not None:
            self.apply_due(found)
        return found

    def claimed_subscriptions(self, session: Session) -> list[Subscription]:
        claimed = super().claimed_subscriptions(session)
        for subscription in claimed:
            self.apply_due(subscription)
        return claimed

    def apply_due(self, subscription: Subscription) -> None:
        """Apply the subscription's scheduled seat change once the clock passed its time,
        starting the next period, as Polar's cycle does; ``subscription.updated`` goes out."""
        applies_at, seats = self.scheduled.get(subscription.id, (math.inf, 0))
        if self.clock() < applies_at:
            return
        del self.scheduled[subscription.id]
        body = subscription.body
        subscription.seats = seats
        body["pending_update"] = None
        start, end = _seconds(body["current_period_start"]), _seconds(body["current_period_end"])
        length = max(end - start, 1.0)
        start = applies_at
        while start + length <= self.clock():
            start += length
        body.update(
            current_period_start=iso(start),
            current_period_end=iso(start + length),
            modified_at=iso(self.clock()),
        )
        self.emit("subscription.updated", organization_subscription(self, subscription))


def _seconds(moment: str) -> float:
    return datetime.fromisoformat(moment.replace("Z", "+00:00")).timestamp()


# The rules -------------------------------------------------------------------------------


def _seat_price(body: Json) -> Json | None:
    """The subscription's seat-based price (not a legacy one), if it has one."""
    for price in body["prices"]:
        if price.get("amount_type") == "seat_based" and not price.get("legacy"):
            found: Json = price
            return found
    return None


def seat_range(price: Json) -> tuple[int, int | None]:
    """The seats a price sells: its first tier's minimum, its last tier's maximum."""
    tiers: Json = price["seat_tiers"]
    minimum = tiers.get("minimum_seats", tiers["tiers"][0].get("min_seats"))
    maximum = tiers.get("maximum_seats", tiers["tiers"][-1].get("max_seats"))
    return minimum or 1, maximum


def _check_seats(state: SeatCountTables, subscription: Subscription, seats: int) -> None:
    """Polar's ``validate_seats_change``, in its order."""
    body = subscription.body
    if body["status"] in _REVOKED or body["cancel_at_period_end"]:
        raise PolarError(
            403,
            "AlreadyCanceledSubscription",
            "This subscription is already canceled or will be at the end of the period.",
        )
    price = _seat_price(body)
    if price is None:
        raise PolarError(
            400,
            "NotASeatBasedSubscription",
            "This subscription does not support seat-based pricing.",
        )
    minimum, maximum = seat_range(price)
    if seats < minimum:
        raise PolarError(400, "BelowMinimumSeats", f"Minimum {minimum} seats required.")
    if maximum is not None and seats > maximum:
        raise PolarError(400, "AboveMaximumSeats", f"Maximum {maximum} seats allowed.")
    assigned = assigned_seats(state, subscription)
    if seats < assigned:
        raise PolarError(
            400,
            "SeatsAlreadyAssigned",
            f"Cannot decrease seats to {seats}. Currently {assigned} seats are assigned. "
            "Revoke seats first.",
        )


def update_seats(
    state: SeatCountTables,
    subscription: Subscription,
    seats: int,
    proration: ProrationBehavior | None,
) -> bool:
    """Polar's ``update_seats``; whether anything changed (what sends the webhook).

    ``proration`` ``None`` is the organization's. A charge that fails raises before
    anything changed, which is Polar's rollback.
    """
    _check_seats(state, subscription, seats)
    organization = state.organizations[subscription.organization_id]
    proration = proration or organization.proration_behavior
    body = subscription.body
    before = subscription.seats
    pending = body.get("pending_update")
    if seats == before:
        if pending is None or pending.get("seats") is None:
            return False
        _drop_pending_seats(state, subscription)
    elif proration == "next_period":
        _schedule(state, subscription, seats)
    else:
        if proration in _CHARGED_NOW and seats > before:
            _charge(state, subscription, before, seats)
        _drop_pending_seats(state, subscription)
        subscription.seats = seats
    body["modified_at"] = iso(state.clock())
    return True


def _drop_pending_seats(state: SeatCountTables, subscription: Subscription) -> None:
    """Cancel a pending seat change; a pending product change stays, without its seats."""
    state.scheduled.pop(subscription.id, None)
    pending = subscription.body.get("pending_update")
    if pending is None:
        return
    if pending.get("product_id") is None:
        subscription.body["pending_update"] = None
    else:
        pending["seats"] = None


def _schedule(state: SeatCountTables, subscription: Subscription, seats: int) -> None:
    """The change waits for the period's end, in ``pending_update`` (one per subscription)."""
    body = subscription.body
    now = iso(state.clock())
    pending = body.get("pending_update") or {"created_at": now, "product_id": None}
    body["pending_update"] = {
        "created_at": pending["created_at"],
        "modified_at": now if body.get("pending_update") else None,
        "id": pending.get("id") or new_id(),
        "applies_at": body["current_period_end"],
        "product_id": pending["product_id"],
        "seats": seats,
        "units": None,
    }
    state.scheduled[subscription.id] = (_seconds(body["current_period_end"]), seats)


def _charge(state: SeatCountTables, subscription: Subscription, before: int, after: int) -> None:
    """Charge the increase now, off-session, with the customer's payment method."""
    order_id = new_id()
    method = state.customers[subscription.customer_id].payment_method
    if method in ("none", "card_error"):
        reason = "missing_payment_method" if method == "none" else "card_error"
        raise PolarError(402, "PaymentFailed", f"Payment failed with reason: {reason}.")
    if method == "3ds":
        raise PolarError(
            402,
            "PaymentActionRequired",
            f"Order {order_id} payment requires customer authentication (e.g. 3DS "
            "challenge); off-session charge cannot complete.",
        )
    state.charges.append(Charge(subscription.id, before, after, order_id))


def _clear_pending(state: SeatCountTables, subscription: Subscription) -> bool:
    """``{"pending_update": null}``: Polar's ``clear_pending_update``."""
    if subscription.body.get("pending_update") is None:
        raise _Refused("pending_update", "This subscription has no pending update to clear.")
    subscription.body["pending_update"] = None
    state.scheduled.pop(subscription.id, None)
    return True


class _Refused(Exception):
    """Polar's ``PolarRequestValidationError`` of a service: one ``value_error`` entry."""

    def __init__(self, field: str, msg: str) -> None:
        super().__init__(msg)
        self.entry = {"type": "value_error", "loc": ["body", field], "msg": msg, "input": None}


class _NotPlayed(Exception):
    """An update the fake does not play (a product change, a pause, a cancellation...)."""


# Bodies ----------------------------------------------------------------------------------


def _portal_body(state: SeatCountTables, subscription: Subscription) -> Json:
    """``CustomerSubscription`` in the version asked for."""
    body = served_subscription(subscription.body, state.organizations[subscription.organization_id])
    return reshape_2027_01(body) if exchange().version == "2027-01" else body


def _organization_body(state: SeatCountTables, subscription: Subscription) -> Json:
    """The organization's ``Subscription`` in the version asked for."""
    body = organization_subscription(state, subscription)
    return reshape_2027_01(body) if exchange().version == "2027-01" else body


def organization_subscription(state: SeatCountTables, subscription: Subscription) -> Json:
    """The organization's ``Subscription`` (2026-04): its customer, its ``Product`` with the
    full benefit objects, ``metadata``; what ``subscription.*`` webhooks carry too."""
    body = subscription.body
    product = {key: value for key, value in body["product"].items() if key != "organization"}
    product.update(
        metadata={},
        is_deletable=False,
        attached_custom_fields=[],
        benefits=[_full_benefit(benefit) for benefit in product["benefits"]],
    )
    return {
        **body,
        "units": body.get("units"),
        "metadata": {},
        "custom_field_data": {},
        "customer": customer_body(state.customers[subscription.customer_id]),
        "product": product,
        "discount": None,
        "meters": [_full_meter(meter, subscription.organization_id) for meter in body["meters"]],
    }


def _derived_id(seed: str) -> str:
    digest = hashlib.sha256(seed.encode()).hexdigest()[:32]
    return str(uuid.UUID(digest, version=4))


def _full_benefit(benefit: Json) -> Json:
    """A ``BenefitPublic`` as the organization reads it: with its type's ``properties``."""
    kind = benefit["type"]
    given: Json = benefit.get("properties") or {}
    properties: dict[str, Json] = {
        "custom": {"note": None},
        "discord": {
            "guild_id": "1234567890",
            "role_id": "2345678901",
            "kick_member": False,
            "guild_token": "fake-guild",
        },
        "github_repository": {
            "repository_owner": "polarsource",
            "repository_name": "private_repo",
            "permission": "pull",
        },
        "downloadables": {"archived": {}, "files": []},
        "license_keys": {"prefix": None, "expires": None, "activations": None, "limit_usage": None},
        "meter_credit": {"units": 100, "meter_id": _derived_id(benefit["id"]), **given},
        "feature_flag": {},
        "slack_shared_channel": {
            "slack_integration_id": _derived_id(benefit["id"]),
            "channel_name_template": "{customer_name}",
            "private": True,
            "welcome_message": None,
            "archive_on_revoke": True,
            "team_invitees": [],
        },
    }
    if kind == "meter_credit":
        properties[kind].setdefault("rollover", False)
    return {
        **benefit,
        "metadata": {},
        "visibility": "public",
        "visibility_configurable": True,
        "properties": properties.get(kind, given),
    }


def _full_meter(meter: Json, organization_id: str) -> Json:
    """A ``SubscriptionMeter`` whose ``meter`` is the whole ``Meter``."""
    short: Json = meter["meter"]
    full: Json = {
        "metadata": {},
        **short,
        "unit": "scalar",
        "custom_label": None,
        "custom_multiplier": None,
        "filter": {"conjunction": "and", "clauses": []},
        "aggregation": {"func": "count"},
        "organization_id": organization_id,
        "archived_at": None,
    }
    return {**meter, "meter": full}


# Reading requests ------------------------------------------------------------------------


def _model(name: str, *fields: Field) -> Model:
    return Model(name, fields, forbid_extra=True)


_PRORATION = Field("proration_behavior", optional(one_of(*PRORATIONS)))
_REASON = optional(string)
PORTAL_UPDATE = (
    _model("CustomerSubscriptionUpdateProduct", Field("product_id", uuid4, required=True)),
    _model("CustomerSubscriptionUpdateSeats", Field("seats", int32, required=True)),
    _model(
        "CustomerSubscriptionCancel",
        Field("cancel_at_period_end", optional(boolean)),
        Field("cancellation_reason", _REASON),
        Field("cancellation_comment", optional(string)),
    ),
    _model(
        "CustomerSubscriptionPause",
        Field("pause_at_period_end", boolean, required=True),
        Field("resumes_at", optional(string)),
    ),
    _model("CustomerSubscriptionResume", Field("resume", literal(True), required=True)),
    _model("CustomerSubscriptionUpdateClear", Field("pending_update", none, required=True)),
)
"""Polar's ``CustomerSubscriptionUpdate`` union, each model ``extra="forbid"``."""
ORGANIZATION_UPDATE = (
    _model(
        "SubscriptionUpdateBase",
        Field("metadata", optional(mapping)),
        Field("product_id", optional(uuid4)),
        _PRORATION,
        Field("discount_id", optional(uuid4)),
        Field("trial_end", optional(string)),
    ),
    _model("SubscriptionUpdateSeats", Field("seats", int32, required=True), _PRORATION),
    _model(
        "SubscriptionUpdateBillingPeriod",
        Field("current_billing_period_end", string, required=True),
    ),
    _model(
        "SubscriptionCancel",
        Field("customer_cancellation_reason", _REASON),
        Field("customer_cancellation_comment", optional(string)),
        Field("cancel_at_period_end", boolean, required=True),
    ),
    _model(
        "SubscriptionRevoke",
        Field("customer_cancellation_reason", _REASON),
        Field("customer_cancellation_comment", optional(string)),
        Field("revoke", literal(True), required=True),
    ),
    _model(
        "SubscriptionPause",
        Field("pause_at_period_end", boolean, required=True),
        Field("resumes_at", optional(string)),
    ),
    _model("SubscriptionResume", Field("resume", literal(True), required=True)),
    _model("SubscriptionUpdateClear", Field("pending_update", none, required=True)),
)
"""Polar's ``SubscriptionUpdate`` union, each model ``extra="forbid"``."""


# Routes ----------------------------------------------------------------------------------

Update = Callable[[SeatCountTables, Subscription, Model, Json], bool]
Answer = Callable[[SeatCountTables, Subscription], Json]


def _portal_subscription(state: SeatCountTables, subscription_id: str) -> Subscription:
    """The caller's customer's subscription (a member reads its customer's), else 404."""
    session = exchange().subject
    assert isinstance(session, Session)
    found = state.subscription(subscription_id)
    if found is None or found.customer_id != session.customer_id:
        raise not_found("Not found")
    return found


def _organization_subscription(state: SeatCountTables, subscription_id: str) -> Subscription:
    """A subscription of one of the token's organizations, else 404."""
    token = exchange().subject
    assert isinstance(token, OrganizationToken | UserToken)
    found = state.subscription(subscription_id)
    if found is None or found.organization_id not in token.organization_ids:
        raise not_found("Not found")
    return found


def _portal_update(
    state: SeatCountTables, subscription: Subscription, model: Model, values: Json
) -> bool:
    """The portal's ``update``: the portal setting first, then Polar's ``update_seats``."""
    organization: Organization = state.organizations[subscription.organization_id]
    if model.name == "CustomerSubscriptionUpdateSeats":
        if not organization.update_seats:
            raise PolarError(
                403,
                "UpdateSubscriptionSeatsNotAllowed",
                "Updating subscription seats is not allowed.",
            )
        return update_seats(state, subscription, values["seats"], None)
    if model.name == "CustomerSubscriptionUpdateClear":
        return _clear_pending(state, subscription)
    if model.name == "CustomerSubscriptionCancel" and values["cancel_at_period_end"] is None:
        return False  # Polar returns the subscription as it is
    raise _NotPlayed(model.name)


def _organization_update(
    state: SeatCountTables, subscription: Subscription, model: Model, values: Json
) -> bool:
    """The organization's ``update``; a subscription with an update under way is locked."""
    if subscription.locked:
        raise PolarError(409, "SubscriptionLocked", "This subscription is pending an update.")
    if model.name == "SubscriptionUpdateSeats":
        return update_seats(state, subscription, values["seats"], values["proration_behavior"])
    if model.name == "SubscriptionUpdateClear":
        return _clear_pending(state, subscription)
    settable = ("metadata", "product_id", "discount_id", "trial_end")
    if model.name == "SubscriptionUpdateBase" and all(values[k] is None for k in settable):
        return False
    raise _NotPlayed(model.name)


def _getter(find: Callable[[SeatCountTables, str], Subscription], answer: Answer) -> Route:
    async def route(request: web.Request) -> web.StreamResponse:
        subscription_id, problems = uuid_param("path", "id", request.match_info["id"])
        if problems:
            return validation_error(problems)
        state = state_of(request, SeatCountTables)
        assert subscription_id is not None
        return respond(lambda: answer(state, find(state, subscription_id)))

    return route


def _updater(
    union: Sequence[Model],
    find: Callable[[SeatCountTables, str], Subscription],
    update: Update,
    answer: Answer,
) -> Route:
    """``PATCH``: the path and the body read as FastAPI reads them (both in one 422), the
    subscription's row locked while the update runs, as Polar's ``SELECT ... FOR UPDATE``."""

    async def route(request: web.Request) -> web.StreamResponse:
        body, invalid = await model_body(request)
        if invalid is not None:
            return invalid
        subscription_id, problems = uuid_param("path", "id", request.match_info["id"])
        model, values, wrong = validate_union(union, body)
        if problems or model is None:
            return validation_error(problems + wrong)
        state = state_of(request, SeatCountTables)
        assert subscription_id is not None
        async with state.locks[subscription_id]:
            try:
                subscription = find(state, subscription_id)
                changed = update(state, subscription, model, values)
            except PolarError as error:
                return json_response(error.status, error.body)
            except _Refused as refused:
                return validation_error([refused.entry], "PolarRequestValidationError")
            except _NotPlayed as unplayed:
                detail = (
                    f"The fake Polar does not play {unplayed} updates; it plays seat "
                    "counts and clearing a pending update."
                )
                return json_response(501, {"error": "NotImplemented", "detail": detail})
            if changed:
                state.emit("subscription.updated", organization_subscription(state, subscription))
            return json_response(200, answer(state, subscription))

    return route


portal_get = requires(PORTAL)(_getter(_portal_subscription, _portal_body))
portal_update = requires(PORTAL, reads_body=True, billing=True)(
    _updater(PORTAL_UPDATE, _portal_subscription, _portal_update, _portal_body)
)
organization_get = requires(ORGANIZATION, scopes=READ)(
    _getter(_organization_subscription, _organization_body)
)
organization_update = requires(ORGANIZATION, scopes=WRITE, reads_body=True)(
    _updater(
        ORGANIZATION_UPDATE,
        _organization_subscription,
        _organization_update,
        _organization_body,
    )
)

# Lists -----------------------------------------------------------------------------------

_NEWEST_FIRST = "-started_at"
"""Polar's default ``sorting`` of both lists."""
_ACTIVE = ("trialing", "active")
"""Polar's ``Subscription.active``; ``active=false`` keeps the revoked ones (``_REVOKED``)."""
_PLAYED = {
    "portal": ("page", "limit", "product_id", "active"),
    "organization": (
        "page",
        "limit",
        "product_id",
        "customer_id",
        "external_customer_id",
        "active",
    ),
}
"""The query parameters each list plays; Polar takes more (``sorting``, ``status``...)."""


class ListQuery(NamedTuple):
    """What a list's query asks for; ``None``: no such filter."""

    page: int
    limit: int
    product_ids: list[str] | None
    customer_ids: list[str] | None
    external_ids: list[str] | None
    active: bool | None


def _uuids(request: web.Request, name: str) -> tuple[list[str] | None, list[Json]]:
    """A ``MultipleQueryFilter[UUID4]``: every value given (``name=a&name=b``)."""
    given = request.query.getall(name, [])
    found: list[str] = []
    problems: list[Json] = []
    for index, raw in enumerate(given):
        try:
            found.append(uuid4(raw))
        except Invalid as bad:
            problems.append(entry(bad.kind, ["query", name, index], bad.msg, raw, bad.ctx))
    return (found or None), problems


def _list_query(request: web.Request) -> tuple[ListQuery, list[Json]]:
    """The list's query as FastAPI reads it: the pagination's entries first (a dependency),
    then the filters' in the order Polar declares them."""
    (page, limit), problems = page_query(request.query)
    product_ids, wrong = _uuids(request, "product_id")
    customer_ids, wrong_customers = _uuids(request, "customer_id")
    problems += wrong + wrong_customers
    external_ids = request.query.getall("external_customer_id", []) or None
    active = None
    given = request.query.getall("active", [])
    if given:
        try:
            active = boolean(given[-1])
        except Invalid as bad:
            problems.append(entry(bad.kind, ["query", "active"], bad.msg, given[-1]))
    query = ListQuery(page, limit, product_ids, customer_ids, external_ids, active)
    return query, problems


def _listed(
    state: SeatCountTables, found: list[Subscription], query: ListQuery
) -> list[Subscription]:
    """Polar's list: started subscriptions only, filtered, newest ``started_at`` first."""
    kept: list[Subscription] = []
    for subscription in found:
        state.apply_due(subscription)
        body = subscription.body
        external = state.customers[subscription.customer_id].external_id
        if (
            body.get("started_at") is None
            or (query.product_ids is not None and body["product_id"] not in query.product_ids)
            or (
                query.customer_ids is not None
                and subscription.customer_id not in query.customer_ids
            )
            or (query.external_ids is not None and external not in query.external_ids)
            or (query.active is True and body["status"] not in _ACTIVE)
            or (query.active is False and body["status"] not in _REVOKED)
        ):
            continue
        kept.append(subscription)
    # Stable: subscriptions started at the same moment keep the order they were added in.
    kept.sort(key=lambda subscription: _seconds(subscription.body["started_at"]), reverse=True)
    return kept


def _lister(side: str) -> Route:
    """``GET``: one page of the caller's subscriptions (the portal's customer's, or the
    token's organizations'), in that side's body."""

    async def route(request: web.Request) -> web.StreamResponse:
        unplayed = sorted(
            name for name in set(request.query) if _unplayed(side, name, request.query)
        )
        if unplayed:
            detail = (
                f"The fake Polar does not play the {', '.join(unplayed)} parameter of this "
                f"list; it plays {', '.join(_PLAYED[side])}."
            )
            return json_response(501, {"error": "NotImplemented", "detail": detail})
        query, problems = _list_query(request)
        if problems:
            return validation_error(problems)
        state = state_of(request, SeatCountTables)
        subject = exchange().subject
        serve: Callable[[Subscription], Json] | None = None
        if isinstance(subject, Session):
            mine = [s for s in state.subscriptions.values() if s.customer_id == subject.customer_id]
        else:
            assert isinstance(subject, OrganizationToken | UserToken)
            reach = subject.organization_ids
            mine = [s for s in state.subscriptions.values() if s.organization_id in reach]
            serve = functools.partial(organization_subscription, state)
        listed = _listed(state, mine, query)
        body = list_page(state, listed, query.page, query.limit, exchange().version, serve)
        return json_response(200, body)

    return route


def _unplayed(side: str, name: str, query: MultiMapping[str]) -> bool:
    """Whether ``name`` is a parameter of Polar's list that the fake does not play; it
    plays ``sorting`` as Polar's default only (``-started_at``, which polar-sdk sends)."""
    if name in _PLAYED[side]:
        return False
    if name == "sorting":
        return query.getall(name) != [_NEWEST_FIRST]
    metadata = side == "organization" and name.startswith("metadata[")
    return metadata or name in _POLAR_LIST_PARAMETERS[side]


_POLAR_LIST_PARAMETERS = {
    "portal": frozenset({*_PLAYED["portal"], "query", "sorting"}),
    "organization": frozenset(
        {
            *_PLAYED["organization"],
            "organization_id",
            "discount_id",
            "status",
            "cancel_at_period_end",
            "customer_cancellation_reason",
            "canceled_at_after",
            "canceled_at_before",
            "started_after",
            "started_before",
            "sorting",
        }
    ),
}
"""Every query parameter of Polar's two lists (and the organization's ``metadata[key]``);
any other is ignored, as FastAPI does."""

portal_list = requires(PORTAL)(_lister("portal"))
organization_list = requires(ORGANIZATION, scopes=READ)(_lister("organization"))


ROUTES: RouteTable = (
    ("GET", "/v1/customer-portal/subscriptions/{id}", portal_get),
    ("PATCH", "/v1/customer-portal/subscriptions/{id}", portal_update),
    ("GET", "/v1/subscriptions/{id}", organization_get),
    ("PATCH", "/v1/subscriptions/{id}", organization_update),
    ("GET", "/v1/customer-portal/subscriptions/", portal_list),
    ("GET", "/v1/subscriptions/", organization_list),
)
