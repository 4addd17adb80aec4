"""The fake's resources, one module each: its rows and tables, rules, bodies and routes.

``customers`` <- ``sessions`` <- ``seats`` <- ``subscriptions`` <- ``seat_counts``: each
one's tables build on the one before (``State`` is the last), and ``claims`` and
``webhooks`` use seats. ``ROUTES`` is the one route table, assembled from each resource's
own.
"""

from __future__ import annotations

from .._core.routing import RouteTable
from . import claims, seat_counts, seats, sessions, subscriptions

__all__ = ["ROUTES"]

ROUTES: RouteTable = (
    *subscriptions.ROUTES,
    *seat_counts.ROUTES,
    *sessions.ROUTES,
    *seats.ROUTES,
    *claims.ROUTES,
)
"""Every route: method, path, handler. Each is served under ``/api`` too, as Polar does."""
