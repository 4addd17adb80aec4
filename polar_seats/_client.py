"""The client: its settings checked once, its lifecycle, and its views; operations live in
``_resources``, what views share in ``_shared``, a customer's sessions in
``_session_engine``, and one call's attempts in ``_attempt``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload
from uuid import UUID

import aiohttp
import msgspec

from . import versions
from ._attempt import send_with_retries
from ._errors import InvalidArgumentError
from ._pagination import check_concurrency
from ._protocol import (
    ORGANIZATION_TOKEN,
    POLAR_VERSION,
    Auth,
    Request,
    RetryKind,
    base_url_for,
    build_headers,
    check_token,
    custom_request,
    parse_json,
)
from ._proxy import route_for
from ._ratelimit import RateLimit, RateLimiter
from ._resources.seats import SeatOperations
from ._resources.sessions import SessionOperations
from ._retry import Reconcile, RetryBudget, RetryPolicy
from ._secret import Secret
from ._session_engine import Pin, SessionEngine
from ._sessions import SubjectKey, subject_key
from ._settings import (
    DEFAULT_CONCURRENCY,
    DEFAULT_MAX_BODY_SIZE,
    DEFAULT_RETRY,
    DEFAULT_SESSION_CACHE_SIZE,
    DEFAULT_SESSION_REFRESH_MARGIN,
    DEFAULT_STORE_PREFIX,
    DEFAULT_TIMEOUT,
    SERVER_DEFAULT,
    ServerDefault,
    Settings,
    check_cache_size,
    check_margin,
    client_timeout,
    default_user_agent,
    rate_limit_for,
    stores,
)
from ._shared import Shared
from ._tracing import traced
from ._transport import State, Transport

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["AsyncClient"]

T = TypeVar("T")


class AsyncClient(SeatOperations, SessionOperations):
    """A session with Polar: the customer portal with a customer session token, and
    customer sessions with an organization access token.

    Create it inside a running event loop and share it between tasks; use it as an async
    context manager or call ``close()``. An ``aiohttp.ClientSession`` passed as
    ``session`` is used as is and never closed by the client. A backend serving many
    customers keeps one client, created without a token, and calls
    [`with_token()`][polar_seats.AsyncClient.with_token] for each customer.

    ``timeout`` bounds each attempt (seconds, or an ``aiohttp.ClientTimeout``); ``retry``
    says how failed attempts are retried ([`RetryPolicy`][polar_seats.RetryPolicy], or
    ``None`` for never). ``rate_limit`` paces each token's requests to Polar's limit:
    requests per minute, a [`RateLimit`][polar_seats.RateLimit], or ``None`` for no pacing;
    by default 500 a minute, 100 with ``server="sandbox"``. ``concurrency`` is how many
    pages a walk fetches at once. The token goes only over https, or plain http to a
    loopback address, unless ``allow_insecure_http=True``. ``user_agent`` replaces the
    ``User-Agent`` header.

    The session the client creates goes through ``proxy`` (an ``http://`` proxy URL,
    credentials included), else through the environment's (``HTTPS_PROXY``, ``NO_PROXY``,
    read when the client is created; ``trust_env=False`` ignores them); for an https
    server the proxy sees only the tunnel's ``CONNECT``. TLS trust is Python's: the
    system store, or ``SSL_CERT_FILE``. A ``session`` passed in keeps its own settings.

    With an ``organization_token``, [`for_customer()`][polar_seats.AsyncClient.for_customer]
    acts for any customer of the organization: it mints their session on first use and
    keeps it (at most ``session_cache_size`` sessions, least recently used out) until
    ``session_refresh_margin`` seconds (0 to 1800: half the session's hour at most) before
    it expires.

    Ids may be given as ``str`` or ``uuid.UUID`` wherever a call takes one. A value no
    request could carry (an id that is not one, ``limit=0``, an empty token) raises
    [`InvalidArgumentError`][polar_seats.InvalidArgumentError] before anything is sent.

    A fleet of processes shares one rate budget with ``rate_limit_store`` and one session
    cache with ``session_store``: each a ``redis://`` URL, or a ``redis.asyncio.Redis``
    the caller owns (never closed by the client); every key starts with
    ``rate_limit_prefix``. They need the ``redis`` extra; see docs/fleets.md.
    """

    def __init__(
        self,
        token: str | None = None,
        *,
        organization_token: str | None = None,
        server: Literal["production", "sandbox"] = "production",
        base_url: str | None = None,
        session: aiohttp.ClientSession | None = None,
        timeout: float | aiohttp.ClientTimeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = DEFAULT_RETRY,
        rate_limit: int | RateLimit | ServerDefault | None = SERVER_DEFAULT,
        concurrency: int = DEFAULT_CONCURRENCY,
        allow_insecure_http: bool = False,
        polar_version: str = POLAR_VERSION,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        user_agent: str | None = None,
        session_refresh_margin: float = DEFAULT_SESSION_REFRESH_MARGIN,
        session_cache_size: int = DEFAULT_SESSION_CACHE_SIZE,
        proxy: str | None = None,
        trust_env: bool = True,
        rate_limit_store: str | Redis | None = None,
        session_store: str | Redis | None = None,
        rate_limit_prefix: str = DEFAULT_STORE_PREFIX,
    ) -> None:
        checked = None if token is None else check_token(token)
        organization = (
            None
            if organization_token is None
            else check_token(organization_token, ORGANIZATION_TOKEN)
        )
        polar_version = versions.check(polar_version)
        headers = build_headers(
            polar_version=polar_version, user_agent=user_agent or default_user_agent()
        )
        settings = Settings(
            server=server,
            timeout=client_timeout(timeout),
            retry=retry,
            concurrency=check_concurrency(concurrency),
            polar_version=polar_version,
            headers=headers,
            organization_token=None if organization is None else Secret(organization),
            session_refresh_margin=check_margin(session_refresh_margin),
        )
        budget = (
            RetryBudget(retry.retry_budget)
            if retry is not None and retry.retry_budget is not None
            else None
        )
        origin = base_url_for(server, base_url, allow_insecure_http=allow_insecure_http)
        route = route_for(
            origin,
            proxy=proxy,
            trust_env=trust_env,
            allow_insecure_http=allow_insecure_http,
            session_given=session is not None,
        )
        rate_store, shared_store = stores(
            rate_limit_store, session_store, rate_limit_prefix, origin, organization
        )
        transport = Transport(session, base_url=origin, max_body_size=max_body_size, route=route)
        self._shared = Shared(
            settings,
            transport,
            budget=budget,
            rate_limit=rate_limit_for(rate_limit, server),
            session_cache_size=check_cache_size(session_cache_size),
            rate_store=rate_store,
            session_store=shared_store,
        )
        self._is_view = False
        self._set_caller(checked, None, None)

    def _set_caller(self, token: str | None, subject: SubjectKey | None, pin: Pin | None) -> None:
        # Everything a view holds of its own is set here; everything else lives in the
        # one _shared, so nothing is shared by accident.
        shared = self._shared
        self._token = None if token is None else Secret(token)
        self._subject = subject
        self._engine = (
            None
            if subject is None
            else SessionEngine(
                subject,
                shared.session_cache,
                margin=shared.settings.session_refresh_margin,
                pin=pin,
            )
        )
        limiter_key = token if subject is None else "subject\0" + "\0".join(subject)
        self._limiter: RateLimiter | None = (
            None if limiter_key is None else shared.limiter_for(limiter_key)
        )

    def _view(
        self, token: str | None, subject: SubjectKey | None = None, pin: Pin | None = None
    ) -> AsyncClient:
        view = object.__new__(type(self))
        view._shared = self._shared
        view._is_view = True
        view._set_caller(token, subject, pin)
        return view

    def with_token(self, token: str) -> AsyncClient:
        """The same client for another customer's token: no I/O, cheap enough per request.

        The view shares this client's session (and so its connection pool), retry budget
        and settings, with a rate limiter of its own token's. It is closed when this
        client is closed; its own ``close()`` does nothing.
        """
        return self._view(check_token(token))

    def for_customer(
        self,
        *,
        customer_id: str | UUID | None = None,
        external_customer_id: str | UUID | None = None,
        member_id: str | UUID | None = None,
        external_member_id: str | UUID | None = None,
    ) -> AsyncClient:
        """The client acting for one customer (or member) of the organization; no I/O.

        Name the customer with exactly one of ``customer_id`` (Polar's) or
        ``external_customer_id`` (yours), and the member of a team customer with at most
        one of ``member_id`` or ``external_member_id``. Every customer-portal operation
        of the view sends that customer's session: minted with the organization token on
        first use, shared by every view of the same customer, and minted again shortly
        before it expires or when Polar refuses it. Concurrent first uses mint once. The
        view's requests are paced by a limiter of that customer's, as Polar counts them.
        """
        key = subject_key(
            customer_id=customer_id,
            external_customer_id=external_customer_id,
            member_id=member_id,
            external_member_id=external_member_id,
        )
        self._check_organization_token()
        return self._view(None, key)

    def _for_walk(self) -> AsyncClient:
        # A walk of a customer view keeps one session for all its pages unless Polar
        # refuses it: a view of its own, pinned to the session it first uses.
        if self._subject is None:
            return self
        return self._view(None, self._subject, Pin())

    @property
    def base_url(self) -> str:
        """The origin requests go to."""
        return self._shared.transport.base_url

    @property
    def server(self) -> str:
        """``"production"`` or ``"sandbox"``: whose rate limit applies by default."""
        return self._shared.settings.server

    @property
    def timeout(self) -> aiohttp.ClientTimeout:
        """The timeout of each attempt."""
        return self._shared.settings.timeout

    @property
    def retry(self) -> RetryPolicy | None:
        """How failed attempts are retried, or ``None`` for never."""
        return self._shared.settings.retry

    @property
    def concurrency(self) -> int:
        """Pages a walk fetches at once, by default."""
        return self._shared.settings.concurrency

    @property
    def polar_version(self) -> str:
        """The ``Polar-Version`` header sent."""
        return self._shared.settings.polar_version

    @property
    def max_body_size(self) -> int:
        """Bytes a response body may have."""
        return self._shared.transport.max_body_size

    @property
    def rate_limit(self) -> RateLimit | None:
        """The pace each token's requests are held to, or ``None``."""
        return self._shared.rate_limit

    def __repr__(self) -> str:
        kind = "AsyncClient view" if self._is_view else "AsyncClient"
        return f"<{kind} {self.base_url} {self._shared.transport.state.value}>"

    async def __aenter__(self) -> AsyncClient:
        self._shared.transport.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def closed(self) -> bool:
        """Whether this client, or the client a view was made from, was closed."""
        return self._shared.transport.state is State.CLOSED

    async def close(self) -> None:
        """Close the client and the session it created; calling it again does nothing."""
        if not self._is_view:
            await self._shared.close()

    @overload
    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, object] | None = None,
        json: object = None,
        model: None = None,
        retry: RetryKind | None = None,
        timeout: float | None = None,
    ) -> Any: ...

    @overload
    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, object] | None = None,
        json: object = None,
        model: type[T],
        retry: RetryKind | None = None,
        timeout: float | None = None,
    ) -> T: ...

    @traced("polar_seats.request")
    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, object] | None = None,
        json: object = None,
        model: type[Any] | None = None,
        retry: RetryKind | None = None,
        timeout: float | None = None,
    ) -> Any:
        """Send any Polar request through the client: for an endpoint polar-seats does not
        cover yet.

        The request gets the same transport, pacing, token rules, retries and errors as
        every other call. A GET is retried as a read; any other method only when Polar
        cannot have run it (``retry=RetryKind.SAFE`` says it may be sent again). It carries
        the view's customer session (a token view's, or a customer view's, minted as
        needed), else the organization token, else no credential. Returns the body
        decoded into ``model`` (any type msgspec decodes), or as plain JSON.
        """
        request = custom_request(
            method,
            path,
            params=params,
            json=json,
            retry=retry,
            auth=self._own_credential(),
        )
        decode = parse_json if model is None else _decoder_for(model)
        return await self._call(request, decode, timeout=timeout)

    def _own_credential(self) -> Auth:
        # A view's customer credential first; else the organization token; else none.
        if self._token is not None or self._subject is not None:
            return Auth.CUSTOMER
        if self._shared.settings.organization_token is not None:
            return Auth.ORGANIZATION
        return Auth.NONE

    def _check_token_given(self) -> None:
        if self._token is None and self._subject is None:
            raise InvalidArgumentError(
                "This client holds no customer session token: pass one to AsyncClient(), "
                "call client.with_token(token) for each customer, or, with an organization "
                "token, client.for_customer(external_customer_id=...).",
                argument="token",
            )

    def _check_organization_token(self) -> None:
        if self._shared.settings.organization_token is None:
            raise InvalidArgumentError(
                "Minting customer sessions needs an organization access token: create the "
                "client with AsyncClient(organization_token='polar_oat_...') (from "
                "POLAR_ACCESS_TOKEN, say), with the customer_sessions:write scope.",
                argument="organization_token",
            )

    async def _call(
        self,
        request: Request,
        decode: Callable[[bytes], T],
        *,
        timeout: float | None = None,
        reconcile: Reconcile[T] | None = None,
    ) -> T:
        shared = self._shared
        if request.auth is Auth.CUSTOMER:
            engine = self._engine
            if engine is not None:
                limiter = self._limiter
                return await engine.send(
                    request,
                    lambda token: send_with_retries(
                        shared, request, decode, token, limiter, timeout, reconcile
                    ),
                    self._mint,
                )
            token, limiter = self._token, self._limiter
        elif request.auth is Auth.ORGANIZATION:
            token = shared.settings.organization_token
            limiter = shared.organization_limiter
        else:
            token, limiter = None, None
        return await send_with_retries(shared, request, decode, token, limiter, timeout, reconcile)


_decoders: dict[Any, Callable[[bytes], Any]] = {}


def _decoder_for(model: Any) -> Callable[[bytes], Any]:
    decoder = _decoders.get(model)
    if decoder is None:
        decoder = _decoders[model] = msgspec.json.Decoder(model, strict=False).decode
    return decoder
