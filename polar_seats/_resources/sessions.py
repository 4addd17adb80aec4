"""Customer sessions: minted with the organization token (``POST /v1/customer-sessions/``),
and introspected with their own (``GET /v1/customer-portal/customer-session/introspect``)."""

from __future__ import annotations

from uuid import UUID

from .._errors import RequestValidationError
from .._models import CUSTOMER_SESSION, SESSION_INFO
from .._operation import Operation
from .._protocol import Auth, Request
from .._sessions import SubjectKey, session_body, subject_key
from .._tracing import traced
from ..models import CustomerSession, CustomerSessionInfo
from ._base import Operations

INTROSPECT_SESSION = Operation(
    "introspect_session",
    "GET",
    "/v1/customer-portal/customer-session/introspect",
    SESSION_INFO.decode,
)
CREATE_CUSTOMER_SESSION = Operation(
    "create_customer_session",
    "POST",
    "/v1/customer-sessions/",
    CUSTOMER_SESSION.decode,
    auth=Auth.ORGANIZATION,
    secret_answer=True,
)
"""Polar has no idempotency key, but a second session only wastes one: minting is
retried like a read."""
INTROSPECT = INTROSPECT_SESSION.request()
_TEAM_CUSTOMER = "member_id is required for team customers"


def mint_request(key: SubjectKey, return_url: str | None = None) -> Request:
    """The request that mints a session for ``key``."""
    return CREATE_CUSTOMER_SESSION.request(json=session_body(key, return_url))


class SessionOperations(Operations):
    async def create_customer_session(
        self,
        *,
        customer_id: str | UUID | None = None,
        external_customer_id: str | UUID | None = None,
        member_id: str | UUID | None = None,
        external_member_id: str | UUID | None = None,
        return_url: str | None = None,
        timeout: float | None = None,
    ) -> CustomerSession:
        """Mint a customer session (a member session, for a member) with the organization
        token.

        Name the customer with exactly one of ``customer_id`` or ``external_customer_id``,
        and a member of a team customer with at most one of ``member_id`` or
        ``external_member_id``. Each call mints a new session that lives an hour; to act
        for a customer again and again, use
        [`for_customer()`][polar_seats.AsyncClient.for_customer], which keeps one.
        """
        key = subject_key(
            customer_id=customer_id,
            external_customer_id=external_customer_id,
            member_id=member_id,
            external_member_id=external_member_id,
        )
        self._check_organization_token()
        return await self._mint(key, return_url, timeout)

    @traced(INTROSPECT_SESSION.span)
    async def introspect_session(self, *, timeout: float | None = None) -> CustomerSessionInfo:
        """When the session token expires, and the return URL it was minted with.

        One request, retried as a read; for customer (``polar_cst_``) and member
        (``polar_mst_``) session tokens. A token Polar no longer knows (expired or
        revoked) raises [`AuthenticationError`][polar_seats.AuthenticationError].
        """
        self._check_token_given()
        return await self._call(INTROSPECT, INTROSPECT_SESSION.decode, timeout=timeout)

    @traced(CREATE_CUSTOMER_SESSION.span)
    async def _mint(
        self, key: SubjectKey, return_url: str | None = None, timeout: float | None = None
    ) -> CustomerSession:
        try:
            return await self._call(
                mint_request(key, return_url), CREATE_CUSTOMER_SESSION.decode, timeout=timeout
            )
        except RequestValidationError as error:
            if _TEAM_CUSTOMER in str(error):
                error.args = (
                    f"{error} This customer is a team: pass member_id= or "
                    "external_member_id= to name the member the session is for.",
                )
            raise
