"""What every route of the fake gets, in the order Polar's server applies it.

Outermost first: request recording (and the fault drawn for it), the 500 for a crash (with
none of Polar's headers), the ``Polar-Version`` check (its 404 has none either), CORS
preflights, the rate limiter (per subject, before authentication), Polar's 404, 405 and
307 for requests no route takes, authentication, and faults. ``polar_headers()`` adds
``Polar-Version``, ``Cache-Control`` and CORS headers as each answer leaves.
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import json
import re
import time
from collections.abc import Callable
from typing import Any, Protocol

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from ._faults import KINDS, LAYER, Fault
from ._state import Clock, OrganizationToken, Session, State

__all__ = [
    "Backend",
    "Exchange",
    "RateWindows",
    "RecordedRequest",
    "exchange",
    "middlewares",
    "polar_headers",
]

DEFAULT_VERSION = "2026-04"
KNOWN_VERSIONS = ("2026-04", "2026-10", "2027-01")
"""Polar's server at c6c3645e knew 2026-04 and 2026-10; newer ones know 2027-01 too."""
IDENTITY_TTL = 300.0
"""Polar's limiter remembers a token's subject this long after it authenticated."""

_INVALID_TOKEN = (
    "The access token provided is expired, revoked, malformed, or invalid for other reasons."
)
_CORS_PREFLIGHT = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT",
    "Access-Control-Max-Age": "600",
    "Access-Control-Allow-Headers": (
        "Accept, Accept-Language, Authorization, Content-Language, Content-Type, Polar-Version"
    ),
}
_POLAR_ONLY_ROUTES = ((re.compile(r"^/v1/customer-portal/seats/[^/]+$"), "DELETE"),)
"""Polar routes the fake does not serve yet, which come first in Polar's router: a GET on
``/seats/subscription`` or a POST on ``/seats/subscriptions`` meets ``/seats/{seat_id}``
and its 405 says ``Allow: DELETE``."""


@dataclasses.dataclass
class RecordedRequest:
    """A request the fake server received, and how it answered."""

    number: int
    """From 1, counting every request the server received."""
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    """Every header but ``Authorization``."""
    received_at: float
    """``time.monotonic()`` when it arrived."""
    status: int | None = None
    fault: str | None = None
    token: str | None = dataclasses.field(default=None, repr=False)


@dataclasses.dataclass
class Exchange:
    """What the middleware learnt about the request being answered."""

    record: RecordedRequest
    fault: Fault | None = None
    version: str = DEFAULT_VERSION
    subject: Session | OrganizationToken | None = None
    """Who authenticated: set before a route that ``requires()`` a subject runs."""


_EXCHANGE: contextvars.ContextVar[Exchange] = contextvars.ContextVar("exchange")


def exchange() -> Exchange:
    """The request being answered (each request is answered in a task of its own)."""
    return _EXCHANGE.get()


class RateWindows:
    """Polar's fixed windows: each bucket's window starts at its first request.

    The fake starts it a little before that request's arrival (a tenth of the window, at
    most a second): an allowance for the time the first request took to reach the server
    (a new connection's setup), which a client pacing itself from when it sends cannot see.
    """

    def __init__(self) -> None:
        self._windows: dict[str, tuple[float, int]] = {}

    def hit(self, bucket: str, limit: int, *, now: float, length: float) -> bool:
        """Count a request; ``False`` when it is one too many for the bucket's window."""
        opened = now - min(length / 10, 1.0)
        start, count = self._windows.get(bucket, (opened, 0))
        if now >= start + length:
            start, count = opened, 0
        self._windows[bucket] = (start, count + 1)
        return count < limit


class Backend(Protocol):
    """What the middleware reads and writes on the server."""

    state: State
    clock: Clock
    requests: list[RecordedRequest]
    in_flight: int
    peak_in_flight: int
    on_request: Callable[[RecordedRequest], Any] | None
    rate_limit: int | None
    rate_window: float
    pending_auth_limit: int | None
    windows: RateWindows
    identities: dict[str, tuple[str, float]]

    def fault_for(self, number: int, page: int | None) -> Fault | None: ...


def bearer(request: web.Request) -> str | None:
    """The bearer token, read as Polar reads it (``bearer`` in any case, no empty value)."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value or not value.isascii():
        return None
    return value


def json_response(status: int, body: Any, **headers: str) -> web.Response:
    """A JSON answer, compact as Polar's are; ``headers`` come before the content type."""
    response = web.Response(status=status, headers=headers, body=_compact(body))
    response.content_type = "application/json"
    return response


def _compact(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def _bare(response: web.StreamResponse, layer: str) -> web.StreamResponse:
    response.headers[LAYER] = layer
    return response


class _Chunked429(web.StreamResponse):
    """Polar's 429: chunked, empty, and without the content type aiohttp would add."""

    async def _prepare_headers(self) -> None:
        await super()._prepare_headers()
        self.headers.popall("Content-Type", None)


async def polar_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Polar's headers on an answer about to be sent, as far as its layer gets them."""
    layer = response.headers.popall(LAYER, ["all"])[-1]
    if layer == "none":
        return
    if layer == "all":
        response.headers.setdefault("Cache-Control", "private, no-store")
        if "Origin" in request.headers:
            response.headers["Access-Control-Allow-Origin"] = "*"
            response.headers["Access-Control-Expose-Headers"] = "Polar-Version"
        if request.path.startswith("/api/v1/"):
            response.headers["X-Polar-Deprecation-Notice"] = (
                "The API root has moved from /api/v1 to /v1. Please update your integration."
            )
    response.headers["Polar-Version"] = exchange().version


def middlewares(server: Backend) -> list[Middleware]:
    """The middleware stack of one fake server, outermost first."""

    @web.middleware
    async def record(request: web.Request, handler: Handler) -> web.StreamResponse:
        token = bearer(request)
        record = RecordedRequest(
            number=len(server.requests) + 1,
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers={k: v for k, v in request.headers.items() if k.lower() != "authorization"},
            received_at=time.monotonic(),
            token=token,
        )
        server.requests.append(record)
        server.in_flight += 1
        server.peak_in_flight = max(server.peak_in_flight, server.in_flight)
        try:
            if server.on_request is not None:
                outcome = server.on_request(record)
                if asyncio.iscoroutine(outcome):
                    await outcome
            fault = server.fault_for(record.number, _page_number(request))
            _EXCHANGE.set(Exchange(record, fault))
            response = await handler(request)
            record.status = response.status
            return response
        finally:
            server.in_flight -= 1

    @web.middleware
    async def crash(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPException:
            raise
        except Exception:
            response = web.Response(status=500, text="Internal Server Error")
            return _bare(response, "none")

    @web.middleware
    async def version(request: web.Request, handler: Handler) -> web.StreamResponse:
        asked = request.headers.get("Polar-Version") or DEFAULT_VERSION
        if asked not in KNOWN_VERSIONS:
            return _bare(json_response(404, {"detail": "Not Found"}), "none")
        exchange().version = asked
        return await handler(request)

    @web.middleware
    async def cors(request: web.Request, handler: Handler) -> web.StreamResponse:
        headers = request.headers
        if request.method == "OPTIONS" and {"Origin", "Access-Control-Request-Method"} <= set(
            headers
        ):
            response = web.Response(text="OK", headers=_CORS_PREFLIGHT)
            return _bare(response, "version")
        return await handler(request)

    @web.middleware
    async def rate_limit(request: web.Request, handler: Handler) -> web.StreamResponse:
        bucket = _bucket(server, request)
        if bucket is not None and not server.windows.hit(
            bucket[0], bucket[1], now=server.clock(), length=server.rate_window
        ):
            response = _Chunked429(
                status=429, headers={"Retry-After": str(round(server.rate_window))}
            )
            response.enable_chunked_encoding()
            _bare(response, "version")
            await response.prepare(request)
            await response.write_eof()
            return response
        return await handler(request)

    @web.middleware
    async def routing(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except (web.HTTPNotFound, web.HTTPMethodNotAllowed):
            pass
        for pattern, method in _POLAR_ONLY_ROUTES:
            if pattern.match(request.path) and request.method != method:
                return json_response(405, {"detail": "Method Not Allowed"}, Allow=method)
        if isinstance(request.match_info.http_exception, web.HTTPMethodNotAllowed):
            allowed = ", ".join(sorted(request.match_info.http_exception.allowed_methods))
            return json_response(405, {"detail": "Method Not Allowed"}, Allow=allowed)
        toggled = request.path[:-1] if request.path.endswith("/") else request.path + "/"
        if request.path != "/" and _routed(request.app, toggled):
            query = f"?{request.query_string}" if request.query_string else ""
            location = f"{request.scheme}://{request.host}{toggled}{query}"
            return web.Response(status=307, headers={"Location": location})
        return json_response(404, {"detail": "Not Found"})

    @web.middleware
    async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
        subjects: frozenset[str] | None = getattr(request.match_info.handler, "subjects", None)
        if subjects is None or request.match_info.http_exception is not None:
            return await handler(request)
        token = bearer(request)
        if token is None:
            return _unauthorized()
        state = server.state
        subject = state.session(token) or state.organization_tokens.get(token)
        if subject is None:
            return _invalid_token()
        server.identities[token] = (subject.subject, server.clock() + IDENTITY_TTL)
        if subject.subject.partition(":")[0] not in subjects:
            return _unauthorized()
        exchange().subject = subject
        return await handler(request)

    @web.middleware
    async def faults(request: web.Request, handler: Handler) -> web.StreamResponse:
        fault = exchange().fault
        if fault is None or request.match_info.http_exception is not None:
            return await handler(request)
        exchange().record.fault = fault.name
        if fault.when == "after":
            answered = await handler(request)

            async def answer() -> web.StreamResponse:
                return answered

            return await KINDS[fault.kind].respond(fault, request, answer)
        return await KINDS[fault.kind].respond(fault, request, lambda: handler(request))

    return [record, crash, version, cors, rate_limit, routing, authenticate, faults]


def _bucket(server: Backend, request: web.Request) -> tuple[str, int] | None:
    """The window a request counts in, and its limit; ``None`` when nothing limits it."""
    if server.rate_limit is None:
        return None
    token = bearer(request)
    if token is None:
        return f"ip:{request.remote}", server.rate_limit
    if server.pending_auth_limit is None:
        known = server.state.session(token) or server.state.organization_tokens.get(token)
        return (known.subject, server.rate_limit) if known is not None else None
    subject, until = server.identities.get(token, ("", 0.0))
    if until > server.clock():
        return subject, server.rate_limit
    return f"token:{token}", server.pending_auth_limit


def _routed(app: web.Application, path: str) -> bool:
    return any(resource.get_info().get("path", "") == path for resource in app.router.resources())


def _page_number(request: web.Request) -> int | None:
    pages = request.query.getall("page", ["1"])
    try:
        return int(pages[-1])
    except ValueError:
        return None


def _unauthorized() -> web.Response:
    return json_response(
        401,
        {"error": "Unauthorized", "detail": "Unauthorized"},
        **{"WWW-Authenticate": 'Bearer realm="polar"'},
    )


def _invalid_token() -> web.Response:
    # Polar's OAuth2 error handler: its own cache headers, and spaces in the JSON.
    body = {"error": "invalid_token", "error_description": _INVALID_TOKEN}
    return web.Response(
        status=401,
        body=json.dumps(body).encode(),
        content_type="application/json",
        headers={
            "Cache-Control": "no-store",
            "Pragma": "no-cache",
            "WWW-Authenticate": (
                f'Bearer realm="polar", error="invalid_token", error_description="{_INVALID_TOKEN}"'
            ),
        },
    )
