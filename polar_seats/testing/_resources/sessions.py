"""Sessions and access tokens: who a request is, the sessions Polar mints, and their routes.

Customer sessions (``polar_cst_``), member sessions (``polar_mst_``), organization access
tokens (``polar_oat_``) and users' personal access tokens (``polar_pat_``); minting a
session (``POST /v1/customer-sessions/``) with Polar's rules for which customer and member
it is for; and the two routes that say who a session is.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from urllib.parse import urlencode

from aiohttp import web

from .._core.answers import json_response, model_body, validation_error
from .._core.clock import Clock
from .._core.middleware import exchange
from .._core.routing import ORGANIZATION, PORTAL, Caller, RouteTable, requires, state_of
from .._core.store import Json, iso, new_id, token_urlsafe
from .._core.validation import (
    Field,
    Model,
    http_url,
    optional,
    string,
    uuid4,
    validate_union,
)
from .customers import Customer, CustomerTables, Member, Organization, customer_body

__all__ = [
    "ROUTES",
    "SESSION_CREATE",
    "SESSION_TTL",
    "OrganizationToken",
    "Session",
    "SessionTables",
    "Subject",
    "UserToken",
]

SESSION_TTL = 3600.0
"""Customer and member sessions live one hour, as Polar's do."""
FRONTEND_URL = "https://polar.sh"
"""Where Polar's customer portal lives (production's; the sandbox's is sandbox.polar.sh)."""


@dataclasses.dataclass
class Session:
    """A customer session (``polar_cst_``) or, with a member, a member session (``polar_mst_``)."""

    token: str = dataclasses.field(repr=False)
    customer_id: str
    member_id: str | None
    expires_at: float
    return_url: str | None = None
    revoked: bool = False
    id: str = dataclasses.field(default_factory=new_id)
    created_at: float = 0.0

    @property
    def subject(self) -> str:
        """Polar's rate-limit subject: one budget per customer, or per member."""
        if self.member_id is not None:
            return f"member:{self.member_id}"
        return f"customer:{self.customer_id}"

    @property
    def scopes(self) -> frozenset[str]:
        """Empty: a session has no scopes (the routes that want some are for tokens)."""
        return frozenset()


@dataclasses.dataclass
class OrganizationToken:
    """An organization access token (``polar_oat_``) and its scopes."""

    token: str = dataclasses.field(repr=False)
    organization_id: str
    scopes: frozenset[str] = frozenset()
    id: str = dataclasses.field(default_factory=new_id)

    @property
    def subject(self) -> str:
        return f"organization:{self.organization_id}"

    @property
    def organization_ids(self) -> frozenset[str]:
        """The organizations it acts in: its own."""
        return frozenset({self.organization_id})


@dataclasses.dataclass
class UserToken:
    """A user's personal access token (``polar_pat_``) and its scopes: Polar's ``User``
    subject, which reaches every organization the user belongs to, so an external customer
    id may name customers of several."""

    token: str = dataclasses.field(repr=False)
    organization_ids: frozenset[str]
    scopes: frozenset[str] = frozenset()
    id: str = dataclasses.field(default_factory=new_id)
    """The user's id."""

    @property
    def subject(self) -> str:
        return f"user:{self.id}"


Subject = Session | OrganizationToken | UserToken
"""Who a request authenticated as."""


class SessionTables(CustomerTables):
    """Sessions by token, access tokens by token, and the sessions minted over HTTP."""

    def __init__(self, clock: Clock, *, seed: int = 0) -> None:
        super().__init__(clock, seed=seed)
        self._session_tokens = self.draws("sessions")
        self._access_tokens = self.draws("access-tokens")
        self.sessions: dict[str, Session] = {}
        self.organization_tokens: dict[str, OrganizationToken] = {}
        self.user_tokens: dict[str, UserToken] = {}
        self.minted: list[Session] = []
        """Every session ``POST /v1/customer-sessions/`` minted, in order."""
        self.frontend_url = FRONTEND_URL
        """The base of the ``customer_portal_url`` minted sessions carry."""

    def mint_session(
        self,
        customer: Customer,
        member: Member | None = None,
        *,
        token: str | None = None,
        ttl: float = SESSION_TTL,
        return_url: str | None = None,
    ) -> Session:
        """A new session; a member session when ``member`` is given, as Polar mints them."""
        prefix = "polar_mst_" if member is not None else "polar_cst_"
        now = self.clock()
        session = Session(
            token or prefix + token_urlsafe(self._session_tokens),
            customer.id,
            member.id if member is not None else None,
            now + ttl,
            return_url,
            created_at=now,
        )
        self.sessions[session.token] = session
        return session

    def revoke_session(self, token: str) -> None:
        """End a session now: the next request with its token gets ``invalid_token``."""
        self.sessions[token].revoked = True

    def add_organization_token(
        self, organization: Organization, scopes: frozenset[str], *, token: str | None = None
    ) -> OrganizationToken:
        oat = OrganizationToken(
            token or "polar_oat_" + token_urlsafe(self._access_tokens), organization.id, scopes
        )
        self.organization_tokens[oat.token] = oat
        return oat

    def add_user_token(
        self,
        organizations: Iterable[Organization],
        scopes: frozenset[str],
        *,
        token: str | None = None,
    ) -> UserToken:
        """A personal access token of a user who belongs to ``organizations``."""
        pat = UserToken(
            token or "polar_pat_" + token_urlsafe(self._access_tokens),
            frozenset(organization.id for organization in organizations),
            scopes,
        )
        self.user_tokens[pat.token] = pat
        return pat

    def subject(self, token: str) -> Subject | None:
        """Who ``token`` authenticates as: a live session, or an organization's or a user's
        access token; ``None`` when the fake does not know it."""
        return (
            self.session(token)
            or self.organization_tokens.get(token)
            or self.user_tokens.get(token)
        )

    def session(self, token: str) -> Session | None:
        """The live session a token opens: ``None`` when unknown, expired or revoked."""
        session = self.sessions.get(token)
        if session is None or session.revoked or session.expires_at <= self.clock():
            return None
        return session

    def may_bill(self, caller: Caller) -> bool:
        """Polar's billing role check: a customer may; a member only as owner or billing
        manager."""
        if isinstance(caller, Session) and caller.member_id is not None:
            member = self.members.get(caller.member_id)
            return member is not None and member.role in ("owner", "billing_manager")
        return True

    def sessions_minted(self, of: Customer | Member | None = None) -> int:
        """How many sessions ``POST /v1/customer-sessions/`` minted: all of them, or those
        of a customer (whichever member), or of a member."""
        if of is None:
            return len(self.minted)
        if isinstance(of, Member):
            return sum(session.member_id == of.id for session in self.minted)
        return sum(session.customer_id == of.id for session in self.minted)


# Bodies ----------------------------------------------------------------------------------


def session_body(session: Session) -> Json:
    """``CustomerCustomerSession``, what the introspect endpoint answers."""
    return {"expires_at": iso(session.expires_at), "return_url": session.return_url}


def customer_session_body(state: SessionTables, session: Session) -> Json:
    """``CustomerSession``, what ``POST /v1/customer-sessions/`` answers (the token is in
    ``customer_portal_url`` too, with the email of the member or customer)."""
    customer = state.customers[session.customer_id]
    member = state.members.get(session.member_id or "")
    email = member.email if member is not None else customer.email
    slug = state.organizations[customer.organization_id].slug
    query = urlencode(
        {"customer_session_token": session.token, **({"email": email} if email else {})}
    )
    return {
        "created_at": iso(session.created_at),
        "modified_at": None,
        "id": session.id,
        "token": session.token,
        "expires_at": iso(session.expires_at),
        "return_url": session.return_url,
        "customer_portal_url": f"{state.frontend_url}/{slug}/portal?{query}",
        "customer_id": customer.id,
        "customer": customer_body(customer),
    }


def portal_user_body(customer: Customer, member: Member | None) -> Json:
    """``PortalAuthenticatedUser``: who a customer or member session is."""
    if member is None:
        return {
            "type": "customer",
            "name": customer.name,
            "email": customer.email,
            "customer_id": customer.id,
            "member_id": None,
            "role": None,
        }
    return {
        "type": "member",
        "name": member.name,
        "email": member.email,
        "customer_id": customer.id,
        "member_id": member.id,
        "role": member.role,
    }


# Rules -----------------------------------------------------------------------------------


_SESSION_FIELDS = (
    Field("member_id", optional(uuid4)),
    Field("external_member_id", optional(string)),
    Field("return_url", optional(http_url)),
)
SESSION_CREATE = (
    Model(
        "CustomerSessionCustomerIDCreate",
        (*_SESSION_FIELDS, Field("customer_id", uuid4, required=True)),
    ),
    Model(
        "CustomerSessionCustomerExternalIDCreate",
        (
            *_SESSION_FIELDS,
            Field("external_customer_id", string, required=True, aliases=("customer_external_id",)),
        ),
    ),
)
"""Polar's ``CustomerSessionCreate`` union: by ``customer_id`` first (it wins when both are
given, as recorded), else by ``external_customer_id``."""


class Refused(Exception):
    """Polar's ``PolarRequestValidationError``: one ``value_error`` entry."""

    def __init__(self, field: str, msg: str, value: object) -> None:
        super().__init__(msg)
        self.entry = {"type": "value_error", "loc": ["body", field], "msg": msg, "input": value}


class Ambiguous(Exception):
    """Polar's ``AmbiguousExternalCustomerID``: the external id names customers of several
    of the token's organizations."""


AMBIGUOUS = (
    "Several customers across your organizations share this external customer ID. Use an "
    "organization-scoped token, the Polar customer ID, or a unique external ID to disambiguate."
)


def _customer(state: SessionTables, organization_ids: frozenset[str], values: Json) -> Customer:
    """The customer the body names among the token's organizations (a user's token reaches
    several, so an external id may name more than one)."""
    if "customer_id" in values:
        field, wanted = "customer_id", values["customer_id"]
        named = [state.customers[wanted]] if wanted in state.customers else []
    else:
        field, wanted = "external_customer_id", values["external_customer_id"]
        named = [c for c in state.customers.values() if c.external_id == wanted]
    found = [c for c in named if c.organization_id in organization_ids]
    if len(found) > 1:
        raise Ambiguous(wanted)
    if not found:
        raise Refused(field, "Customer does not exist.", wanted)
    return found[0]


def _member(state: SessionTables, customer: Customer, values: Json) -> Member | None:
    """The member a session is for: ``None`` (a customer session) unless the organization
    has the member model, then the given member, else the owner (provisioned if missing)."""
    if not state.organizations[customer.organization_id].member_model_enabled:
        return None
    for field, attribute in (("member_id", "id"), ("external_member_id", "external_id")):
        wanted = values[field]
        if wanted is None:
            continue
        for member in state.members.values():
            if member.customer_id == customer.id and getattr(member, attribute) == wanted:
                return member
        raise Refused(field, "Member does not exist for this customer.", wanted)
    if customer.type == "team":
        raise Refused("member_id", "member_id is required for team customers.", None)
    owner = state.owner(customer)
    if owner is None:  # Polar's create_owner_member, from the customer's own fields
        owner = state.add_member(
            customer, name=customer.name, external_id=customer.external_id, role="owner"
        )
    return owner


# Routes ----------------------------------------------------------------------------------


def _session() -> Session:
    session = exchange().subject
    assert isinstance(session, Session)
    return session


@requires(PORTAL)
async def introspect_customer_session(request: web.Request) -> web.StreamResponse:
    """``GET /v1/customer-portal/customer-session/introspect``: the session's expiry."""
    return json_response(200, session_body(_session()))


@requires(PORTAL)
async def portal_user(request: web.Request) -> web.StreamResponse:
    """``GET /v1/customer-portal/customer-session/user``: who the session is."""
    session = _session()
    state = state_of(request, SessionTables)
    member = state.members.get(session.member_id or "")
    return json_response(200, portal_user_body(state.customers[session.customer_id], member))


@requires(ORGANIZATION, scopes=frozenset({"customer_sessions:write"}), reads_body=True)
async def create_customer_session(request: web.Request) -> web.StreamResponse:
    """``POST /v1/customer-sessions/``: a new session for a customer (or one of its members
    in a member-model organization), an hour long; earlier ones stay valid."""
    body, invalid = await model_body(request)
    if invalid is not None:
        return invalid
    model, values, problems = validate_union(SESSION_CREATE, body)
    if model is None:
        return validation_error(problems)
    state = state_of(request, SessionTables)
    token = exchange().subject
    assert isinstance(token, (OrganizationToken, UserToken))
    try:
        customer = _customer(state, token.organization_ids, values)
        member = _member(state, customer, values)
    except Refused as refused:
        return validation_error([refused.entry], "PolarRequestValidationError")
    except Ambiguous:
        return json_response(409, {"error": "AmbiguousExternalCustomerID", "detail": AMBIGUOUS})
    session = state.mint_session(customer, member, return_url=values["return_url"])
    state.minted.append(session)
    return json_response(201, customer_session_body(state, session))


ROUTES: RouteTable = (
    ("GET", "/v1/customer-portal/customer-session/introspect", introspect_customer_session),
    ("GET", "/v1/customer-portal/customer-session/user", portal_user),
    ("POST", "/v1/customer-sessions/", create_customer_session),
)
