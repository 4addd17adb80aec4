"""The client: configuration, lifecycle and token views; operations live in ``_resources``."""

from __future__ import annotations

import dataclasses
import hashlib
import platform
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload
from uuid import UUID

import aiohttp
import msgspec

from . import versions
from ._clock import testing_clock
from ._errors import AuthenticationError, InvalidArgumentError, PolarError
from ._fleet import SharedSessions
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
    parse_response,
)
from ._proxy import route_for
from ._ratelimit import RateLimit, RateLimiter, default_rate_limit
from ._redis import Store, open_store
from ._resources.seats import SeatOperations
from ._resources.sessions import SessionOperations
from ._resources.subscriptions import SubscriptionOperations
from ._retry import Reconcile, RetryBudget, RetryPolicy, call_with_retries, logger
from ._secret import Secret
from ._sessions import CachedSession, SubjectKey, subject_key
from ._tracing import traced
from ._transport import State, Transport
from ._version import version

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["AsyncClient"]

T = TypeVar("T")

DEFAULT_TIMEOUT = 30.0
"""Seconds one attempt may take, connecting and reading included."""
DEFAULT_CONCURRENCY = 8
"""Pages a walk fetches at once, once the first page has told it how many there are."""
DEFAULT_MAX_BODY_SIZE = 32 * 1024 * 1024
"""Bytes a response body may have; a full page of 100 rich subscriptions is under 1 MiB."""
DEFAULT_SESSION_REFRESH_MARGIN = 300.0
"""Seconds before a cached session expires when it is minted again."""
SESSION_LIFETIME = 3600.0
"""Seconds a customer or member session lives at Polar."""
MAX_SESSION_REFRESH_MARGIN = SESSION_LIFETIME / 2
"""The largest margin taken: each session is then used for half its hour at least."""
DEFAULT_SESSION_CACHE_SIZE = 10_000
"""Customer sessions a client keeps, least recently used out first."""
DEFAULT_STORE_PREFIX = "polar-seats:"
"""The start of every key the client writes in Redis."""

_DEFAULT_RETRY = RetryPolicy()


class _ServerDefault:
    """Stands for "Polar's own rate limit for the chosen server"."""

    def __repr__(self) -> str:
        return "<Polar's limit for the server>"


SERVER_DEFAULT = _ServerDefault()


@dataclasses.dataclass(frozen=True)
class _Settings:
    """What a client and its views share besides the transport; fixed at creation."""

    server: str
    timeout: aiohttp.ClientTimeout
    retry: RetryPolicy | None
    concurrency: int
    polar_version: str
    headers: Mapping[str, str]
    """The headers of every request, without a credential."""
    organization_token: Secret | None
    """The organization token, if the client holds one."""
    session_refresh_margin: float


class AsyncClient(SubscriptionOperations, SeatOperations, SessionOperations):
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
        retry: RetryPolicy | None = _DEFAULT_RETRY,
        rate_limit: int | RateLimit | _ServerDefault | None = SERVER_DEFAULT,
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
            polar_version=polar_version, user_agent=user_agent or _default_user_agent()
        )
        self._settings = _Settings(
            server=server,
            timeout=_client_timeout(timeout),
            retry=retry,
            concurrency=check_concurrency(concurrency),
            polar_version=polar_version,
            headers=headers,
            organization_token=None if organization is None else Secret(organization),
            session_refresh_margin=_check_margin(session_refresh_margin),
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
        rate_store, shared_store = _stores(
            rate_limit_store, session_store, rate_limit_prefix, origin, organization
        )
        self._transport = Transport(
            session,
            base_url=origin,
            max_body_size=max_body_size,
            budget=budget,
            rate_limit=_rate_limit(rate_limit, server),
            session_cache_size=_check_cache_size(session_cache_size),
            paces_organization=organization is not None,
            route=route,
            rate_store=rate_store,
            session_store=shared_store,
        )
        if shared_store is not None:
            self._transport.sessions.shared = SharedSessions(shared_store, clock=testing_clock)
        self._is_view = False
        self._set_caller(checked, None, None)

    def _set_caller(self, token: str | None, subject: SubjectKey | None, pin: _Pin | None) -> None:
        # Everything a view holds of its own is set here; everything else lives in the
        # shared _settings and _transport, so nothing is shared by accident.
        self._token = None if token is None else Secret(token)
        self._subject = subject
        self._pin = pin
        limiter_key = token if subject is None else "subject\0" + "\0".join(subject)
        self._limiter: RateLimiter | None = (
            None if limiter_key is None else self._transport.limiter_for(limiter_key)
        )

    def _view(
        self, token: str | None, subject: SubjectKey | None = None, pin: _Pin | None = None
    ) -> AsyncClient:
        view = object.__new__(type(self))
        view._settings = self._settings
        view._transport = self._transport
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
        return self._view(None, self._subject, _Pin())

    @property
    def base_url(self) -> str:
        """The origin requests go to."""
        return self._transport.base_url

    @property
    def server(self) -> str:
        """``"production"`` or ``"sandbox"``: whose rate limit applies by default."""
        return self._settings.server

    @property
    def timeout(self) -> aiohttp.ClientTimeout:
        """The timeout of each attempt."""
        return self._settings.timeout

    @property
    def retry(self) -> RetryPolicy | None:  # type: ignore[override]
        """How failed attempts are retried, or ``None`` for never."""
        return self._settings.retry

    @property
    def concurrency(self) -> int:  # type: ignore[override]
        """Pages a walk fetches at once, by default."""
        return self._settings.concurrency

    @property
    def polar_version(self) -> str:
        """The ``Polar-Version`` header sent."""
        return self._settings.polar_version

    @property
    def max_body_size(self) -> int:
        """Bytes a response body may have."""
        return self._transport.max_body_size

    @property
    def rate_limit(self) -> RateLimit | None:
        """The pace each token's requests are held to, or ``None``."""
        return self._transport.rate_limit

    def __repr__(self) -> str:
        kind = "AsyncClient view" if self._is_view else "AsyncClient"
        return f"<{kind} {self.base_url} {self._transport.state.value}>"

    async def __aenter__(self) -> AsyncClient:
        self._transport.open()
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
        return self._transport.state is State.CLOSED

    async def close(self) -> None:
        """Close the client and the session it created; calling it again does nothing."""
        if not self._is_view:
            await self._transport.close()

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
        if self._settings.organization_token is not None:
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
        if self._settings.organization_token is None:
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
        if request.auth is Auth.CUSTOMER:
            if self._subject is not None:
                return await self._call_for_customer(request, decode, timeout, reconcile)
            token, limiter = self._token, self._limiter
        elif request.auth is Auth.ORGANIZATION:
            token = self._settings.organization_token
            limiter = self._transport.organization_limiter
        else:
            token, limiter = None, None
        return await self._send(request, decode, token, limiter, timeout, reconcile)

    async def _call_for_customer(
        self,
        request: Request,
        decode: Callable[[bytes], T],
        timeout: float | None,
        reconcile: Reconcile[T] | None,
    ) -> T:
        session = await self._session()
        try:
            return await self._send(
                request, decode, session.token, self._limiter, timeout, reconcile
            )
        except AuthenticationError as error:
            if error.error != "invalid_token":
                raise
        # Polar no longer knows the session (expired early, revoked): mint once more and
        # send once more; a second refusal is raised.
        logger.info(
            "Polar refused the customer session of %s (invalid_token): minting a new one",
            request.label,
        )
        self._forget(session)
        session = await self._session()
        return await self._send(request, decode, session.token, self._limiter, timeout, reconcile)

    async def _session(self) -> CachedSession:
        pin, subject = self._pin, self._subject
        assert subject is not None
        if pin is not None and pin.session is not None:
            return pin.session
        sessions = self._transport.sessions
        session = sessions.cached(subject) or await sessions.session(subject, self._mint_for_cache)
        if pin is not None:
            pin.session = session
        return session

    def _forget(self, session: CachedSession) -> None:
        assert self._subject is not None
        self._transport.sessions.drop(self._subject, session.token)
        if self._pin is not None:
            self._pin.session = None

    async def _mint_for_cache(self) -> CachedSession:
        assert self._subject is not None
        started = testing_clock()
        minted = await self._mint(self._subject)
        lifetime = (minted.expires_at - minted.created_at).total_seconds()
        margin = self._settings.session_refresh_margin
        if margin > lifetime / 2:
            # Only a session shorter than Polar's hour gets here (the margin is at most
            # half the hour): used for half its life, it is not minted on every call.
            logger.warning(
                "Polar minted a session that lives %g s, less than twice "
                "session_refresh_margin (%g s): it is minted again after half its life",
                lifetime,
                margin,
            )
            margin = lifetime / 2
        # Counted from when the mint was sent, on this machine's clock: a skewed clock
        # does not shorten or stretch the session's hour.
        return CachedSession(Secret(minted.token), started + lifetime - margin)

    async def _send(
        self,
        request: Request,
        decode: Callable[[bytes], T],
        token: Secret | None,
        limiter: RateLimiter | None,
        timeout: float | None,
        reconcile: Reconcile[T] | None,
    ) -> T:
        settings, transport = self._settings, self._transport
        attempt_timeout = settings.timeout if timeout is None else _client_timeout(timeout)
        sent = 0  # requests sent so far: the error's attempts, the trace's resend count

        async def attempt(deadline_left: float | None) -> T:
            nonlocal sent
            budget = attempt_timeout
            if deadline_left is not None and (budget.total is None or deadline_left < budget.total):
                budget = aiohttp.ClientTimeout(
                    total=deadline_left,
                    connect=budget.connect,
                    sock_read=budget.sock_read,
                    sock_connect=budget.sock_connect,
                )
            session = transport.open()  # a closed client raises here: nothing is sent
            sent += 1
            status, answer_headers, body = await transport.send(
                session, request, settings.headers, token, budget, limiter, sent - 1
            )
            return parse_response(
                request, status, answer_headers, body, decode, polar_version=settings.polar_version
            )

        try:
            return await call_with_retries(
                settings.retry,
                attempt,
                request=request,
                budget=transport.budget,
                reconcile=reconcile,
            )
        except PolarError as error:
            if error.request is None:
                error.request = request
            # The requests sent, which the retry loop's count of tries can exceed (an
            # attempt of a client closed meanwhile sends nothing).
            error.attempts = sent
            raise


class _Pin:
    """The session one walk keeps for all its pages."""

    __slots__ = ("session",)

    def __init__(self) -> None:
        self.session: CachedSession | None = None


_decoders: dict[Any, Callable[[bytes], Any]] = {}


def _decoder_for(model: Any) -> Callable[[bytes], Any]:
    decoder = _decoders.get(model)
    if decoder is None:
        decoder = _decoders[model] = msgspec.json.Decoder(model, strict=False).decode
    return decoder


def _stores(
    rate_limit_store: object,
    session_store: object,
    prefix: str,
    origin: str,
    organization: str | None,
) -> tuple[Store | None, Store | None]:
    # Keys are digests under a namespace of the server and the organization, so that
    # several organizations (or servers) can share one Redis; no key holds a token.
    if not isinstance(prefix, str):
        raise TypeError(f"rate_limit_prefix must be a string (got {type(prefix).__name__}).")
    namespace = hashlib.blake2b(f"{origin}\0{organization or ''}".encode()).digest()
    rate = (
        None
        if rate_limit_store is None
        else open_store(rate_limit_store, prefix=prefix, namespace=namespace)
    )
    if session_store is None:
        return rate, None
    if rate is not None and (
        session_store is rate_limit_store
        or (isinstance(session_store, str) and session_store == rate_limit_store)
    ):
        return rate, rate
    return rate, open_store(session_store, prefix=prefix, namespace=namespace)


def _rate_limit(
    rate_limit: int | RateLimit | _ServerDefault | None, server: str
) -> RateLimit | None:
    if isinstance(rate_limit, _ServerDefault):
        return default_rate_limit(server)
    if rate_limit is None or isinstance(rate_limit, RateLimit):
        return rate_limit
    if isinstance(rate_limit, bool) or not isinstance(rate_limit, int):
        raise TypeError(
            "rate_limit must be requests per minute (an int), a RateLimit, or None "
            f"(got {type(rate_limit).__name__})."
        )
    try:
        return RateLimit(rate_limit)
    except InvalidArgumentError as error:
        raise InvalidArgumentError(str(error), argument="rate_limit") from None


def _check_margin(margin: float) -> float:
    # Anything above half the hour is refused, not lowered: a margin is either honoured
    # as given or refused with the reason.
    highest = MAX_SESSION_REFRESH_MARGIN
    if (
        isinstance(margin, bool)
        or not isinstance(margin, (int, float))
        or not 0 <= margin <= highest
    ):
        raise InvalidArgumentError(
            f"session_refresh_margin must be from 0 to {highest:g} seconds (got {margin!r}): "
            "it is how long before a session's hour ends that the next one is minted, and a "
            "larger margin would throw most of every session away. To keep each session "
            f"for N seconds, pass {SESSION_LIFETIME:g} - N (N of {highest:g} or more).",
            argument="session_refresh_margin",
        )
    return float(margin)


def _check_cache_size(size: int) -> int:
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise InvalidArgumentError(
            f"session_cache_size must be 1 or more sessions (got {size!r}).",
            argument="session_cache_size",
        )
    return size


def _client_timeout(timeout: float | aiohttp.ClientTimeout) -> aiohttp.ClientTimeout:
    if isinstance(timeout, aiohttp.ClientTimeout):
        return timeout
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise InvalidArgumentError(
            f"timeout must be a positive number of seconds or an aiohttp.ClientTimeout "
            f"(got {timeout!r}).",
            argument="timeout",
        )
    return aiohttp.ClientTimeout(total=float(timeout))


def _default_user_agent() -> str:
    return (
        f"polar-seats/{version()} aiohttp/{aiohttp.__version__} "
        f"{platform.python_implementation()}/{platform.python_version()}"
    )
