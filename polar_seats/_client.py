"""The client: one aiohttp session, the token, and the request of one page."""

from __future__ import annotations

import asyncio
import copy
import hashlib
import platform
from types import TracebackType
from typing import Literal
from urllib.parse import urlencode

import aiohttp
from yarl import URL

from . import _protocol
from ._errors import ClientClosedError, NetworkError, PolarTimeoutError, ResponseDecodeError
from ._models import CustomerSubscription, Page
from ._pagination import SubscriptionIterator
from ._ratelimit import RateLimit, RateLimiter, default_rate_limit
from ._retry import RetryBudget, RetryPolicy, call_with_retries
from ._version import version

__all__ = ["AsyncClient"]

DEFAULT_TIMEOUT = 30.0
"""Seconds one attempt may take, connecting and reading included."""
DEFAULT_CONCURRENCY = 8
"""Pages a walk fetches at once, once the first page has told it how many there are."""
DEFAULT_MAX_BODY_SIZE = 32 * 1024 * 1024
"""Bytes a response body may have; a full page of 100 rich subscriptions is under 1 MiB."""

_UNOPENED, _OPENED, _CLOSED = "unopened", "opened", "closed"


_DEFAULT_RETRY = RetryPolicy()


class _ServerDefault:
    """Stands for "Polar's own rate limit for the chosen server"."""

    def __repr__(self) -> str:
        return "<Polar's limit for the server>"


SERVER_DEFAULT = _ServerDefault()


class _Pool:
    """What a client shares with its token views: the session, the retry budget, and one
    rate limiter per token."""

    PRUNE_AT = 1024
    """Limiters kept before idle ones are dropped (a backend sees many customers)."""

    def __init__(
        self,
        session: aiohttp.ClientSession | None,
        budget: RetryBudget | None,
        rate_limit: RateLimit | None,
    ) -> None:
        self.session = session
        self.owns_session = session is None
        self.state = _UNOPENED
        self.budget = budget
        self.rate_limit = rate_limit
        self.limiters: dict[bytes, RateLimiter] = {}
        self.urls: dict[tuple[int, int], URL] = {}
        self.prune_at = self.PRUNE_AT

    def limiter_for(self, token: str) -> RateLimiter | None:
        if self.rate_limit is None:
            return None
        # Keyed by a digest, so this long-lived table holds no tokens.
        key = hashlib.blake2b(token.encode(), digest_size=16).digest()
        limiter = self.limiters.get(key)
        if limiter is None:
            if len(self.limiters) >= self.prune_at:
                self.limiters = {k: v for k, v in self.limiters.items() if not v.idle()}
                # Many busy customers: prune again only when the table has doubled.
                self.prune_at = max(self.PRUNE_AT, 2 * len(self.limiters))
            limiter = self.limiters[key] = RateLimiter(self.rate_limit)
        return limiter


class AsyncClient:
    """A session with Polar's customer portal, for one customer session token.

    Create it inside a running event loop and share it between tasks; use it as an async
    context manager or call :meth:`close`. An ``aiohttp.ClientSession`` passed as
    ``session`` is used as is and never closed by the client. A backend serving many
    customers keeps one client, created without a token, and calls :meth:`with_token` for
    each customer.

    ``timeout`` bounds each attempt (seconds, or an ``aiohttp.ClientTimeout``); ``retry``
    says how failed attempts are retried (:class:`RetryPolicy`, or ``None`` for never).
    ``rate_limit`` paces each token's requests to Polar's limit: requests per minute, a
    :class:`RateLimit`, or ``None`` for no pacing; by default 500 a minute, 100 with
    ``server="sandbox"``. ``concurrency`` is how many pages a walk fetches at once. The
    token goes only over https, or plain http to a loopback address, unless
    ``allow_insecure_http=True``.
    """

    def __init__(
        self,
        token: str | None = None,
        *,
        server: Literal["production", "sandbox"] = "production",
        base_url: str | None = None,
        session: aiohttp.ClientSession | None = None,
        timeout: float | aiohttp.ClientTimeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = _DEFAULT_RETRY,
        rate_limit: int | RateLimit | _ServerDefault | None = SERVER_DEFAULT,
        concurrency: int = DEFAULT_CONCURRENCY,
        allow_insecure_http: bool = False,
        polar_version: str = _protocol.POLAR_VERSION,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        user_agent: str | None = None,
    ) -> None:
        self._token = None if token is None else _protocol.check_token(token)
        self.base_url = _protocol.base_url_for(
            server, base_url, allow_insecure_http=allow_insecure_http
        )
        self.server = server
        self.timeout = _client_timeout(timeout)
        self.retry = retry
        self.concurrency = _check_concurrency(concurrency)
        self.polar_version = polar_version
        self.max_body_size = max_body_size
        self._url = self.base_url + _protocol.PATH
        self._headers = _protocol.build_headers(
            self._token,
            polar_version=polar_version,
            user_agent=user_agent or _default_user_agent(),
        )
        budget = (
            RetryBudget(retry.retry_budget)
            if retry is not None and retry.retry_budget is not None
            else None
        )
        self._pool = _Pool(session, budget, _rate_limit(rate_limit, server))
        self._limiter = None if self._token is None else self._pool.limiter_for(self._token)
        self._is_view = False

    def with_token(self, token: str) -> AsyncClient:
        """The same client for another customer's token: no I/O, cheap enough per request.

        The view shares this client's session (and so its connection pool), retry budget
        and settings, with a rate limiter of its own token's. It is closed when this
        client is closed; its own ``close()`` does nothing.
        """
        view = copy.copy(self)
        view._token = _protocol.check_token(token)
        view._headers = {**self._headers, "Authorization": f"Bearer {token}"}
        view._limiter = self._pool.limiter_for(token)
        view._is_view = True
        return view

    @property
    def rate_limit(self) -> RateLimit | None:
        """The pace each token's requests are held to, or ``None``."""
        return self._pool.rate_limit

    def __repr__(self) -> str:
        kind = "AsyncClient view" if self._is_view else "AsyncClient"
        return f"<{kind} {self.base_url} {self._pool.state}>"

    async def __aenter__(self) -> AsyncClient:
        self._open()
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
        return self._pool.state == _CLOSED

    async def close(self) -> None:
        """Close the client and the session it created; calling it again does nothing."""
        pool = self._pool
        if self._is_view or pool.state == _CLOSED:
            return
        pool.state = _CLOSED
        if pool.owns_session and pool.session is not None:
            await pool.session.close()

    def _open(self) -> aiohttp.ClientSession:
        pool = self._pool
        if pool.state == _CLOSED:
            raise ClientClosedError(
                "This AsyncClient is closed; create a new one to send more requests."
            )
        if pool.session is None:
            pool.session = aiohttp.ClientSession()
        pool.state = _OPENED
        return pool.session

    async def list_claimed_subscriptions(
        self, *, page: int = 1, limit: int = 10, timeout: float | None = None
    ) -> Page[CustomerSubscription]:
        """Fetch one page of the subscriptions on which the customer holds a seat.

        Exactly one request, plus retries of transient failures. ``timeout`` overrides
        the client's per-attempt timeout for this call.
        """
        self._check_token_given()
        _protocol.check_page(page)
        _protocol.check_limit(limit)
        return await self._fetch_page(page, limit, timeout)

    def iter_claimed_subscriptions(
        self,
        *,
        limit: int = 100,
        start_page: int = 1,
        max_items: int | None = None,
        concurrency: int | None = None,
        timeout: float | None = None,
    ) -> SubscriptionIterator:
        """Walk every claimed subscription, page after page: ``async for sub in ...``.

        Each subscription ``id`` is yielded at most once, although rows can move between
        pages while a walk runs (the server's query has no order). ``.pages()`` walks the
        same pages a page at a time. Stops after ``max_items`` items if given. Up to
        ``concurrency`` pages (the client's by default; 1 for one at a time) are fetched
        at once, and items still come in page order.
        """
        self._check_token_given()
        _protocol.check_limit(limit)
        _protocol.check_page(start_page, "start_page")
        if max_items is not None and max_items < 0:
            raise ValueError(f"max_items must be 0 or more, or None (got {max_items}).")
        return SubscriptionIterator(
            lambda page: self._fetch_page(page, limit, timeout),
            start_page=start_page,
            limit=limit,
            max_items=max_items,
            concurrency=self.concurrency
            if concurrency is None
            else _check_concurrency(concurrency),
        )

    def _check_token_given(self) -> None:
        if self._token is None:
            raise ValueError(
                "This client was created without a token: call client.with_token(token) "
                "for each customer, or pass a token to AsyncClient()."
            )

    async def _fetch_page(self, page: int, limit: int, timeout: float | None) -> Page:
        session = self._open()
        attempt_timeout = self.timeout if timeout is None else _client_timeout(timeout)

        async def attempt(deadline_left: float | None) -> Page:
            budget = attempt_timeout
            if deadline_left is not None and (budget.total is None or deadline_left < budget.total):
                budget = aiohttp.ClientTimeout(
                    total=deadline_left,
                    connect=budget.connect,
                    sock_read=budget.sock_read,
                    sock_connect=budget.sock_connect,
                )
            return await self._send(session, page, limit, budget)

        return await call_with_retries(self.retry, attempt, page=page, budget=self._pool.budget)

    def _page_url(self, page: int, limit: int) -> URL:
        # Building a URL from a query dict costs more than a small request's decoding;
        # the few URLs a client asks for are kept, already encoded.
        urls = self._pool.urls
        url = urls.get((page, limit))
        if url is None:
            if len(urls) >= 4096:
                urls.clear()
            query = urlencode(_protocol.build_query(page, limit))
            url = urls[page, limit] = URL(f"{URL(self._url)}?{query}", encoded=True)
        return url

    async def _send(
        self, session: aiohttp.ClientSession, page: int, limit: int, timeout: aiohttp.ClientTimeout
    ) -> Page:
        if self._limiter is not None:
            await self._limiter.acquire()
        try:
            async with session.get(
                self._page_url(page, limit),
                headers=self._headers,
                timeout=timeout,
                allow_redirects=False,
            ) as response:
                body = await _read_body(response, self.max_body_size, page)
                status, headers = response.status, response.headers
        except asyncio.TimeoutError:
            raise PolarTimeoutError(
                f"Page {page} took longer than the timeout ({timeout.total} s)."
            ) from None
        except aiohttp.ClientError as exc:
            raise NetworkError(
                f"Page {page} got no complete answer from {self.base_url}: "
                f"{type(exc).__name__}: {exc}"
            ) from None
        return _protocol.handle_response(status, headers, body, page=page, limit=limit)


async def _read_body(response: aiohttp.ClientResponse, cap: int, page: int) -> bytes:
    announced = response.content_length
    if announced is not None and announced > cap:
        raise ResponseDecodeError(
            f"Page {page} announced a body of {announced} bytes, over the limit of {cap} "
            "(max_body_size).",
            page=page,
            path=None,
            raw_body=b"",
        )
    if announced is not None:
        return await response.read()
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_any():
        size += len(chunk)
        if size > cap:
            raise ResponseDecodeError(
                f"Page {page} sent more than {cap} bytes (max_body_size); reading stopped.",
                page=page,
                path=None,
                raw_body=b"".join(chunks)[:1024],
            )
        chunks.append(chunk)
    return b"".join(chunks)


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
    return RateLimit(rate_limit)


def _check_concurrency(concurrency: int) -> int:
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError(
            f"concurrency must be a whole number of pages, 1 or more (got {concurrency!r}); "
            "1 fetches one page at a time."
        )
    return concurrency


def _client_timeout(timeout: float | aiohttp.ClientTimeout) -> aiohttp.ClientTimeout:
    if isinstance(timeout, aiohttp.ClientTimeout):
        return timeout
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ValueError(
            f"timeout must be a positive number of seconds or an aiohttp.ClientTimeout "
            f"(got {timeout!r})."
        )
    return aiohttp.ClientTimeout(total=float(timeout))


def _default_user_agent() -> str:
    return (
        f"polar-seats/{version()} aiohttp/{aiohttp.__version__} "
        f"{platform.python_implementation()}/{platform.python_version()}"
    )
