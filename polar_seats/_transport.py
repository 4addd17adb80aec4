"""Sending one request: the aiohttp session, opened once and closed once.

``Transport.send(request, ...)`` returns ``(status, headers, body)`` for any request and
applies to every one the same rules: the body-size cap, no redirects, the rate limiter of
the caller, and errors that name the request without its secrets. The transport is the
one place that reveals a [`Secret`][polar_seats.Secret] (a token, a path or a body field
that holds one), as it hands the request to aiohttp.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Mapping

import aiohttp
import msgspec
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from ._errors import (
    ClientClosedError,
    EventLoopError,
    NetworkError,
    PolarError,
    PolarTimeoutError,
    ResponseDecodeError,
)
from ._protocol import Request, sent_headers, subject
from ._proxy import DIRECT, Route
from ._ratelimit import RateLimiter
from ._secret import REDACTED, Secret, reveal_secret
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
    """The aiohttp session, the client's state (unopened, opened, closed), and ``send()``."""

    URLS_KEPT = 4096

    def __init__(
        self,
        http: aiohttp.ClientSession | None,
        *,
        base_url: str,
        max_body_size: int,
        route: Route = DIRECT,
    ) -> None:
        self.http = http
        self.middlewares: tuple[aiohttp.ClientMiddlewareType, ...] = ()
        """The session's own middlewares, then ``_no_resend``: set when the client opens."""
        self.route = route
        self.owns_session = http is None
        self.state = State.UNOPENED
        self.loop: asyncio.AbstractEventLoop | None = None
        self.base_url = base_url
        self.max_body_size = max_body_size
        self.urls: dict[tuple[str, tuple[tuple[str, str], ...]], URL] = {}

    def open(self) -> aiohttp.ClientSession:
        """The aiohttp session, created on first use in the running loop; refuses a closed client
        and a loop other than the first one."""
        loop = asyncio.get_running_loop()
        if self.state is State.OPENED and loop is self.loop and self.http is not None:
            return self.http
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
        if self.http is None:
            tls = self.route.tls
            connector = None if tls is None else aiohttp.TCPConnector(ssl=tls)
            self.http = aiohttp.ClientSession(connector=connector)
        # A per-request tuple replaces the session's own middlewares: they stay, with the
        # guard innermost.
        self.middlewares = (*_middlewares_of(self.http), _no_resend)
        self.loop = loop
        self.state = State.OPENED
        return self.http

    async def close(self) -> bool:
        """Close the session the client created; ``False`` if it was closed already."""
        if self.state is State.CLOSED:
            return False
        self.state = State.CLOSED
        if self.owns_session and self.http is not None:
            await self.http.close()
        return True

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
