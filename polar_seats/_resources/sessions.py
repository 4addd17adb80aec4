"""The customer session itself: ``GET /v1/customer-portal/customer-session/introspect``."""

from __future__ import annotations

from .._models import SESSION_INFO, CustomerSessionInfo
from .._protocol import Request
from ._base import Operations

INTROSPECT = Request("GET", "/v1/customer-portal/customer-session/introspect", "introspect session")


class SessionOperations(Operations):
    async def introspect_session(self, *, timeout: float | None = None) -> CustomerSessionInfo:
        """When the session token expires, and the return URL it was minted with.

        One request, retried as a read; for customer (``polar_cst_``) and member
        (``polar_mst_``) session tokens. A token Polar no longer knows (expired or
        revoked) raises [`AuthenticationError`][polar_seats.AuthenticationError].
        """
        self._check_token_given()
        return await self._call(INTROSPECT, SESSION_INFO.decode, timeout=timeout)
