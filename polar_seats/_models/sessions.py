"""Customer sessions, as the customer portal describes its own token."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from ._base import Model


class CustomerSessionInfo(Model, kw_only=True):
    """The session a customer or member token belongs to (Polar's ``CustomerCustomerSession``).

    What ``GET /v1/customer-portal/customer-session/introspect`` answers. ``expires_at`` is
    aware (a body without an offset fails to decode), so it compares with
    ``datetime.now(timezone.utc)``.
    """

    expires_at: Annotated[datetime, msgspec.Meta(tz=True)]
    return_url: str | None = None
