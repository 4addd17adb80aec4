"""Test against a fake Polar server instead of the real one.

[`FakePolarServer`][polar_seats.testing.FakePolarServer] is a small stateful Polar over
real HTTP on 127.0.0.1 (its ``State``: customers, members, subscriptions, seats, sessions,
on a ``Clock``), with seeded realistic data, Polar's error bodies and optional faults, the
seat lifecycle (an outbox of invitation emails, signed webhooks);
[`make_subscription()`][polar_seats.testing.make_subscription] builds the same bodies for
tests that need no server, and ``page_body()`` a page of them;
[`set_testing()`][polar_seats.testing.set_testing] makes retries wait zero seconds, and
[`set_testing_date()`][polar_seats.testing.set_testing_date] pins the day the client's
release calendar and the fake read.
"""

from __future__ import annotations

from .._clock import (
    advance_testing_clock,
    set_testing,
    set_testing_date,
    testing_clock,
    testing_date,
)
from ._core.clock import Clock
from ._core.faults import KINDS as FAULT_KINDS
from ._core.faults import RETRYABLE_FAULTS, Fault, FaultPlan
from ._data import (
    BENEFIT_TYPES,
    PRICE_KINDS,
    make_customer_subscription,
    make_subscription,
    make_subscriptions,
    page_body,
    page_dict,
)
from ._resources.seat_counts import Charge
from ._resources.seats import Invitation
from ._resources.webhooks import WebhookDelivery
from ._seeding import BillingCustomer
from ._server import (
    DEFAULT_ORGANIZATION_TOKEN,
    DEFAULT_TOKEN,
    PENDING_AUTH_LIMIT,
    FakePolarServer,
    RecordedRequest,
    serve_in_thread,
)
from ._state import State

__all__ = [
    "BENEFIT_TYPES",
    "DEFAULT_ORGANIZATION_TOKEN",
    "DEFAULT_TOKEN",
    "FAULT_KINDS",
    "PENDING_AUTH_LIMIT",
    "PRICE_KINDS",
    "RETRYABLE_FAULTS",
    "BillingCustomer",
    "Charge",
    "Clock",
    "FakePolarServer",
    "Fault",
    "FaultPlan",
    "Invitation",
    "RecordedRequest",
    "State",
    "WebhookDelivery",
    "advance_testing_clock",
    "make_customer_subscription",
    "make_subscription",
    "make_subscriptions",
    "page_body",
    "page_dict",
    "serve_in_thread",
    "set_testing",
    "set_testing_date",
    "testing_clock",
    "testing_date",
]
