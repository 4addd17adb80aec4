"""Customer sessions, as the customer portal describes its own token."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from ._base import Model
from .customers import Customer


class CustomerSessionInfo(Model, kw_only=True):
    """The session a customer or member token belongs to (Polar's ``CustomerCustomerSession``).

    What ``GET /v1/customer-portal/customer-session/introspect`` answers. ``expires_at`` is
    aware (a body without an offset fails to decode), so it compares with
    ``datetime.now(timezone.utc)``.
    """

    expires_at: Annotated[datetime, msgspec.Meta(tz=True)]
    return_url: str | None = None


class CustomerSession(Model, kw_only=True):
    """A customer (or member) session minted with the organization token (Polar's
    ``CustomerSession``).

    ``token`` is a bearer secret for the customer portal, and ``customer_portal_url``
    carries it in its query: neither appears in this object's repr. A session lives an
    hour (``expires_at``); minting another does not end this one.
    """

    id: str
    created_at: Annotated[datetime, msgspec.Meta(tz=True)]
    token: str
    expires_at: Annotated[datetime, msgspec.Meta(tz=True)]
    customer_portal_url: str
    customer_id: str
    customer: Customer
    modified_at: datetime | None = None
    return_url: str | None = None

    def __repr__(self) -> str:
        return (
            f"CustomerSession(id={self.id!r}, customer_id={self.customer_id!r}, "
            f"expires_at={self.expires_at!r}, token=<redacted>)"
        )

    def __rich_repr__(self) -> list[tuple[str, Any]]:
        return [("id", self.id), ("customer_id", self.customer_id), ("expires_at", self.expires_at)]
