"""Everything the fake Polar knows, in memory: the tables of every resource, in one object.

Plain dataclasses in dicts keyed by id, each resource's with the methods that resource's
routes and seeding need (``_resources/``). Routes read and change it directly. Times are
Unix seconds on the server's ``Clock``.
"""

from __future__ import annotations

from ._resources.seat_counts import SeatCountTables

__all__ = ["State"]


class State(SeatCountTables):
    """Everything the fake Polar knows, in memory: organizations, customers and members;
    sessions and access tokens; seats, orders and the invitations sent; subscriptions and the
    charges of their seat changes. The tokens it makes (invitations, sessions, access
    tokens) are drawn from generators that ``seed`` starts, one a kind, so the same steps
    make the same tokens."""
