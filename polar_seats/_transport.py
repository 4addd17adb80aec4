"""Sending one request: the aiohttp session and what a client shares with its views.

``Transport.send(request, ...)`` returns ``(status, headers, body)`` for any request and
applies to every one the same rules: the body-size cap, no redirects, the rate limiter of
the caller, and errors that name the request without its secrets. The transport is the
one place that reveals a [`Secret`][polar_seats.Secret] (a token, a path or a body field
that holds one), as it hands the request to aiohttp.
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
from collections.abc import Mapping

import aiohttp
import msgspec
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from ._clock import testing_clock
from ._errors import (
    ClientClosedError,
    EventLoopError,
    NetworkError,
    PolarError,
    PolarTimeoutError,
    ResponseDecodeError,
)
from ._fleet import SharedLimiter
from ._protocol import Request, sent_headers, subject
from ._proxy import DIRECT, Route
from ._ratelimit import RateLimit, RateLimiter
from ._redis import Store
from ._retry import RetryBudget
from ._secret import REDACTED, Secret, reveal_secret
from ._sessions import SessionCache
from ._tracing import HttpAttempt, rate_limited
from ._tracing import active as tracing

__all__ = ["State", "Transport"]

_encode = msgspec.json.Encoder(enc_hook=reveal_secret).encode
_CREDENTIALS = frozenset({"authorization", "proxy-authorization"})


class _LostAnswer(aiohttp.ClientError):
    """The connection dropped after the request was sent; raised in place of aiohttp's own
    error so that aiohttp does not send the request again (its cause is the original)."""


async def _no_resend(
    request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
) -> aiohttp.ClientResponse:
    """A middleware for every request: a dropped connection ends the attempt.

    aiohttp would otherwise send a GET, HEAD, PUT or DELETE once more by itself, on a new
    connection as on a kept-alive one, unseen by the retry count, ``on_retry`` and the
    logs (aiohttp/client.py, ``retry_persistent_connection``). The retry loop resends
    instead, as the request's kind allows: a read is retried and counted, a write is not
    (a revoke re-reads the seat before it sends anything again).
    """
    try:
        return await handler(request)
    except aiohttp.ClientConnectorError:
        raise  # never sent: aiohttp does not resend these either
    except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as exc:
        raise _LostAnswer(str(exc)) from exc


class State(enum.Enum):
    """Where a client is in its life; it never goes back."""

    UNOPENED = "unopened"
    OPENED = "opened"
    CLOSED = "closed"


class Transport:
    """What a client shares with its views: the session, the retry budget, the limiters."""

    PRUNE_AT = 1024
    """Limiters kept before idle ones are dropped (a backend sees many customers)."""
    URLS_KEPT = 4096

    def __init__(
        self,
        session: aiohttp.ClientSession | None,
        *,
        base_url: str,
        max_body_size: int,
        budget: RetryBudget | None,
        rate_limit: RateLimit | None,
        session_cache_size: int = 10_000,
        paces_organization: bool = False,
        route: Route = DIRECT,
        rate_store: Store | None = None,
        session_store: Store | None = None,
    ) -> None:
        self.session = session
        self.middlewares: tuple[aiohttp.ClientMiddlewareType, ...] = ()
        """The session's own middlewares, then ``_no_resend``: set when the client opens."""
        self.route = route
        self.owns_session = session is None
        self.state = State.UNOPENED
        self.loop: asyncio.AbstractEventLoop | None = None
        self.base_url = base_url
        self.max_body_size = max_body_size
        self.budget = budget
        self.rate_limit = rate_limit
        self.limiters: dict[bytes, RateLimiter] = {}
        self.urls: dict[tuple[str, tuple[tuple[str, str], ...]], URL] = {}
        self.prune_at = self.PRUNE_AT
        self.sessions = SessionCache(session_cache_size, testing_clock)
        # A fleet's budget and sessions, in Redis; closed with the client if it opened them.
        self.rate_store = rate_store
        self.session_store = session_store
        # Polar counts an organization token's requests (minting) as one subject.
        self.organization_limiter = (
            self._new_limiter(rate_limit, b"organization")
            if paces_organization and rate_limit is not None
            else None
        )

    def _new_limiter(self, limit: RateLimit, digest: bytes) -> RateLimiter:
        if self.rate_store is None:
            return RateLimiter(limit)
        return SharedLimiter(limit, self.rate_store, self.rate_store.key("rate", digest))

    def limiter_for(self, key: str) -> RateLimiter | None:
        """The rate limiter of one subject (a token, for now), made on first use."""
        if self.rate_limit is None:
            return None
        # Keyed by a digest, so this long-lived table holds no tokens.
        digest = hashlib.blake2b(key.encode(), digest_size=16).digest()
        limiter = self.limiters.get(digest)
        if limiter is None:
            if len(self.limiters) >= self.prune_at:
                self.limiters = {k: v for k, v in self.limiters.items() if not v.idle()}
                # Many busy customers: prune again only when the table has doubled.
                self.prune_at = max(self.PRUNE_AT, 2 * len(self.limiters))
            limiter = self.limiters[digest] = self._new_limiter(self.rate_limit, digest)
        return limiter

    def open(self) -> aiohttp.ClientSession:
        """The session, created on first use in the running loop; refuses a closed client
        and a loop other than the first one."""
        loop = asyncio.get_running_loop()
        if self.state is State.OPENED and loop is self.loop and self.session is not None:
            return self.session
        if self.state is State.CLOSED:
            raise ClientClosedError(
                "This AsyncClient is closed; create a new one to send more requests."
            )
        if self.loop is not None and loop is not self.loop:
            raise EventLoopError(
                "This AsyncClient belongs to the event loop it was first used in, and this "
                "call runs in another one (a second asyncio.run(), or async_to_sync in a "
                "web view). Create the client inside the loop that uses it, for example "
                "with `async with AsyncClient(...)` in that coroutine, or once per worker "
                "in your framework's startup hook."
            )
        if self.session is None:
            tls = self.route.tls
            connector = None if tls is None else aiohttp.TCPConnector(ssl=tls)
            self.session = aiohttp.ClientSession(connector=connector)
        # A per-request tuple replaces the session's own middlewares: they stay, with the
        # guard innermost.
        self.middlewares = (*_middlewares_of(self.session), _no_resend)
        self.loop = loop
        self.state = State.OPENED
        return self.session

    async def close(self) -> None:
        if self.state is State.CLOSED:
            return
        self.state = State.CLOSED
        if self.owns_session and self.session is not None:
            await self.session.close()
        for store in {id(s): s for s in (self.rate_store, self.session_store) if s}.values():
            await store.close()

    def url_for(self, request: Request) -> URL:
        # Building a URL costs more than a small request's decoding, so the URLs of the
        # requests a client repeats (pages) are kept; never one with a secret in its path.
        if request.secret_path is not None:
            return _build_url(self.base_url, request)
        key = (request.path, request.query)
        url = self.urls.get(key)
        if url is None:
            if len(self.urls) >= self.URLS_KEPT:
                self.urls.clear()
            url = self.urls[key] = _build_url(self.base_url, request)
        return url

    async def send(
        self,
        session: aiohttp.ClientSession,
        request: Request,
        headers: Mapping[str, str],
        token: Secret | None,
        timeout: aiohttp.ClientTimeout,
        limiter: RateLimiter | None,
        resend_count: int = 0,
    ) -> tuple[int, CIMultiDictProxy[str], bytes]:
        """Send ``request`` once over ``session`` (from ``open()``), with ``token`` as its
        bearer credential, and read the whole answer; ``resend_count`` is how many times
        the same call sent it before (for tracing)."""
        if limiter is not None:
            waited = await limiter.acquire()
            if waited and tracing():
                rate_limited(waited)
        if tracing():
            with HttpAttempt(self.base_url, request, resend_count) as attempt:
                answer = await self._exchange(session, request, headers, token, timeout)
                attempt.answered(answer[0])
                return answer
        return await self._exchange(session, request, headers, token, timeout)

    async def _exchange(
        self,
        session: aiohttp.ClientSession,
        request: Request,
        headers: Mapping[str, str],
        token: Secret | None,
        timeout: aiohttp.ClientTimeout,
    ) -> tuple[int, CIMultiDictProxy[str], bytes]:
        sent = sent_headers(headers, token)
        data: bytes | None = None
        if request.json is not None:
            data = _encode(request.json)
            sent = {**sent, "Content-Type": "application/json"}
        failure: PolarError
        try:
            async with session.request(
                request.method,
                self.url_for(request),
                headers=sent,
                data=data,
                timeout=timeout,
                allow_redirects=False,
                middlewares=self.middlewares,
                **self.route.options,  # the proxy, if one applies
            ) as response:
                body = await _read_body(response, self.max_body_size, request)
                return response.status, response.headers, body
        except asyncio.TimeoutError as exc:
            failure = PolarTimeoutError(
                f"{subject(request)} took longer than the timeout ({timeout.total} s).",
                request=request,
                # A connect timeout is the only one that proves nothing was sent.
                request_sent=not isinstance(exc, aiohttp.ConnectionTimeoutError),
            )
            cause: BaseException = exc
        except aiohttp.ClientError as exc:
            original = exc.__cause__ if isinstance(exc, _LostAnswer) else exc
            assert original is not None
            described = _redact(f"{type(original).__name__}: {original}", request)
            failure = NetworkError(
                f"{subject(request)} got no complete answer from {self.base_url}: {described}",
                request=request,
                request_sent=not isinstance(original, aiohttp.ClientConnectorError),
            )
            cause = original
        # Raised past the handlers: within one, aiohttp's exception would stay reachable as
        # the __context__ of ours even where it is not kept as the cause.
        raise failure from _cause(cause, request)


def _middlewares_of(session: aiohttp.ClientSession) -> tuple[aiohttp.ClientMiddlewareType, ...]:
    # A per-request tuple replaces the session's; aiohttp has no public accessor for them.
    return tuple(getattr(session, "_middlewares", None) or ())


def _build_url(base_url: str, request: Request) -> URL:
    path = request.path if request.secret_path is None else request.secret_path.reveal()
    url = URL(base_url + path)
    return url.with_query(request.query) if request.query else url


def _redact(text: str, request: Request) -> str:
    if request.secret_path is None:
        return text
    return text.replace(request.secret_path.reveal(), request.path)


def _cause(exc: BaseException, request: Request) -> BaseException | None:
    """aiohttp's exception, to keep as the cause: none when it could name a secret path
    (a connect timeout quotes the URL), and its credentials replaced."""
    if request.secret_path is not None:
        return None
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        if isinstance(link, aiohttp.ClientResponseError):
            _scrub(link)
        link = link.__cause__ or link.__context__
    return exc


def _scrub(error: aiohttp.ClientResponseError) -> None:
    # An answer aiohttp could not parse raises with the request's headers, as sent.
    info = error.request_info
    headers = CIMultiDict(
        (name, REDACTED if name.lower() in _CREDENTIALS else value)
        for name, value in info.headers.items()
    )
    error.request_info = aiohttp.RequestInfo(
        info.url, info.method, CIMultiDictProxy(headers), info.real_url
    )
    error.args = (error.request_info, error.history)


async def _read_body(response: aiohttp.ClientResponse, cap: int, request: Request) -> bytes:
    announced = response.content_length
    if announced is not None and announced > cap:
        raise ResponseDecodeError(
            f"{subject(request)} announced a body of {announced} bytes, over the limit of "
            f"{cap} (max_body_size).",
            path=None,
            raw_body=b"",
            request=request,
        )
    if announced is not None:
        return await response.read()
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_any():
        size += len(chunk)
        if size > cap:
            raise ResponseDecodeError(
                f"{subject(request)} sent more than {cap} bytes (max_body_size); reading stopped.",
                path=None,
                raw_body=b"" if request.secret_answer else b"".join(chunks)[:1024],
                request=request,
            )
        chunks.append(chunk)
    return b"".join(chunks)
