"""Test against a fake Polar server instead of the real one.

:class:`FakePolarServer` serves Polar's list-claimed-subscriptions endpoint over real HTTP
on 127.0.0.1, with seeded realistic data, Polar's error bodies and optional faults;
:func:`make_subscription` builds the same bodies for tests that need no server;
:func:`set_testing` makes retries wait zero seconds.
"""

from __future__ import annotations

from .._retry import set_testing, testing_clock
from ._data import (
    BENEFIT_TYPES,
    PRICE_KINDS,
    make_customer_subscription,
    make_subscription,
    make_subscriptions,
)
from ._faults import RETRYABLE_FAULTS, Fault, FaultPlan
from ._server import DEFAULT_TOKEN, FakePolarServer, RecordedRequest, serve_in_thread

__all__ = [
    "BENEFIT_TYPES",
    "DEFAULT_TOKEN",
    "PRICE_KINDS",
    "RETRYABLE_FAULTS",
    "FakePolarServer",
    "Fault",
    "FaultPlan",
    "RecordedRequest",
    "make_customer_subscription",
    "make_subscription",
    "make_subscriptions",
    "serve_in_thread",
    "set_testing",
    "testing_clock",
]
