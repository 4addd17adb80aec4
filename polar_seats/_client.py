"""The client: one aiohttp session, the token, and the request of one page."""

from __future__ import annotations

import asyncio
import platform
from types import TracebackType
from typing import Literal

import aiohttp

from . import _protocol
from ._errors import ClientClosedError, NetworkError, PolarTimeoutError, ResponseDecodeError
from ._models import Page
from ._pagination import SubscriptionIterator
from ._ratelimit import RateLimit, RateLimiter, default_rate_limit
from ._retry import RetryBudget, RetryPolicy, call_with_retries
from ._version import version

__all__ = ["AsyncClient"]

DEFAULT_TIMEOUT = 30.0
"""Seconds one attempt may take, connecting and reading included."""
DEFAULT_MAX_BODY_SIZE = 32 * 1024 * 1024
"""Bytes a response body may have; a full page of 100 rich subscriptions is under 1 MiB."""

_UNOPENED, _OPENED, _CLOSED = "unopened", "opened", "closed"


_DEFAULT_RETRY = RetryPolicy()


class _ServerDefault:
    """Stands for "Polar's own rate limit for the chosen server"."""

    def __repr__(self) -> str:
        return "<Polar's limit for the server>"


SERVER_DEFAULT = _ServerDefault()


class AsyncClient:
    """A session with Polar's customer portal, for one customer session token.

    Create it inside a running event loop and share it between tasks; use it as an async
    context manager or call :meth:`close`. An ``aiohttp.ClientSession`` passed as
    ``session`` is used as is and never closed by the client.

    ``timeout`` bounds each attempt (seconds, or an ``aiohttp.ClientTimeout``); ``retry``
    says how failed attempts are retried (:class:`RetryPolicy`, or ``None`` for never).
    ``rate_limit`` paces requests to Polar's limit: requests per minute, a
    :class:`RateLimit`, or ``None`` for no pacing; by default 500 a minute, 100 with
    ``server="sandbox"``.
    """

    def __init__(
        self,
        token: str,
        *,
        server: Literal["production", "sandbox"] = "production",
        base_url: str | None = None,
        session: aiohttp.ClientSession | None = None,
        timeout: float | aiohttp.ClientTimeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = _DEFAULT_RETRY,
        rate_limit: int | RateLimit | _ServerDefault | None = SERVER_DEFAULT,
        polar_version: str = _protocol.POLAR_VERSION,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        user_agent: str | None = None,
    ) -> None:
        self._token = _protocol.check_token(token)
        self.base_url = _protocol.base_url_for(server, base_url)
        self.server = server
        self.timeout = _client_timeout(timeout)
        self.retry = retry
        self._budget = (
            RetryBudget(retry.retry_budget)
            if retry is not None and retry.retry_budget is not None
            else None
        )
        self.rate_limit = _rate_limit(rate_limit, server)
        self._limiter = RateLimiter(self.rate_limit) if self.rate_limit is not None else None
        self.polar_version = polar_version
        self.max_body_size = max_body_size
        self._url = self.base_url + _protocol.PATH
        self._headers = _protocol.build_headers(
            self._token,
            polar_version=polar_version,
            user_agent=user_agent or _default_user_agent(),
        )
        self._session = session
        self._owns_session = session is None
        self._state = _UNOPENED

    def __repr__(self) -> str:
        return f"<AsyncClient {self.base_url} {self._state}>"

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
        """Whether :meth:`close` was called."""
        return self._state == _CLOSED

    async def close(self) -> None:
        """Close the client and the session it created; calling it again does nothing."""
        if self._state == _CLOSED:
            return
        self._state = _CLOSED
        if self._owns_session and self._session is not None:
            await self._session.close()

    def _open(self) -> aiohttp.ClientSession:
        if self._state == _CLOSED:
            raise ClientClosedError(
                "This AsyncClient is closed; create a new one to send more requests."
            )
        if self._session is None:
            self._session = aiohttp.ClientSession()
        self._state = _OPENED
        return self._session

    async def list_claimed_subscriptions(
        self, *, page: int = 1, limit: int = 10, timeout: float | None = None
    ) -> Page:
        """Fetch one page of the subscriptions on which the customer holds a seat.

        Exactly one request, plus retries of transient failures. ``timeout`` overrides
        the client's per-attempt timeout for this call.
        """
        _protocol.check_page(page)
        _protocol.check_limit(limit)
        return await self._fetch_page(page, limit, timeout)

    def iter_claimed_subscriptions(
        self,
        *,
        limit: int = 100,
        start_page: int = 1,
        max_items: int | None = None,
        timeout: float | None = None,
    ) -> SubscriptionIterator:
        """Walk every claimed subscription, page after page: ``async for sub in ...``.

        Each subscription ``id`` is yielded at most once, although rows can move between
        pages while a walk runs (the server's query has no order). ``.pages()`` walks the
        same pages a page at a time. Stops after ``max_items`` items if given.
        """
        _protocol.check_limit(limit)
        _protocol.check_page(start_page, "start_page")
        if max_items is not None and max_items < 0:
            raise ValueError(f"max_items must be 0 or more, or None (got {max_items}).")
        return SubscriptionIterator(
            lambda page: self._fetch_page(page, limit, timeout),
            start_page=start_page,
            max_items=max_items,
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

        return await call_with_retries(self.retry, attempt, page=page, budget=self._budget)

    async def _send(
        self, session: aiohttp.ClientSession, page: int, limit: int, timeout: aiohttp.ClientTimeout
    ) -> Page:
        if self._limiter is not None:
            await self._limiter.acquire()
        try:
            async with session.get(
                self._url,
                params=_protocol.build_query(page, limit),
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
        return _protocol.handle_response(status, headers, body, page=page)


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
