"""What every resource's tables share: the clock, seeded token draws, event listeners.

Each resource module adds its rows and tables to the state as a subclass of the one
below it (customers, sessions, seats, subscriptions); ``State`` is the top one.
"""

from __future__ import annotations

import base64
import random
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from .clock import Clock

__all__ = ["Json", "Store", "iso", "new_id", "token_urlsafe"]

Json = dict[str, Any]


def new_id() -> str:
    return str(uuid.uuid4())


def token_urlsafe(rng: random.Random) -> str:
    """As Polar's ``secrets.token_urlsafe(32)``: 43 URL-safe characters, the first of which
    may be ``-``."""
    return base64.urlsafe_b64encode(rng.randbytes(32)).rstrip(b"=").decode()


def iso(seconds: float) -> str:
    """A Unix time as Polar writes datetimes: ISO 8601, ``Z``, no fraction when it is zero."""
    moment = datetime.fromtimestamp(seconds, timezone.utc)
    return moment.isoformat().replace("+00:00", "Z")


class Store:
    """The base of the fake's state: its clock, the seed its tokens are drawn from (one
    generator a kind, so the same steps make the same tokens), and who hears its events."""

    def __init__(self, clock: Clock, *, seed: int = 0) -> None:
        self.clock = clock
        self.seed = seed
        self.listeners: list[Callable[[str, Json], None]] = []
        """Called with each event (``customer_seat.assigned``, ``subscription.updated``...)
        and its body (the seat, the organization's subscription)."""

    def draws(self, kind: str) -> random.Random:
        """A generator of ``kind`` (``sessions``, ``invitations``...) for this seed."""
        return random.Random(f"{kind}:{self.seed}")

    def emit(self, event: str, data: Json) -> None:
        """Tell the listeners (the webhook sender) that an event happened."""
        for listener in self.listeners:
            listener(event, data)
