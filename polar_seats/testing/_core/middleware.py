"""What every route of the fake gets, in the order Polar's server applies it.

Outermost first: the arrival latency and request recording (and the fault drawn for it),
the 500 for a crash (with none of Polar's headers), the ``Polar-Version`` check (its 404 has
none either), CORS preflights, the 411/413 for a write's ``Content-Length``, the rate
limiter (per subject, before authentication), Polar's 404, 405 and 307 for requests no
route takes, authentication (with the route's scopes), and faults. ``polar_headers()`` adds
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
from datetime import date
from typing import Any, Protocol

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from ... import versions
from .answers import json_body, json_response
from .clock import Clock
from .faults import KINDS, LAYER, Fault
from .routing import Caller, Directory

__all__ = [
    "Backend",
    "Exchange",
    "RateWindows",
    "RecordedRequest",
    "exchange",
    "middlewares",
    "polar_headers",
]

DEFAULT_VERSION = versions.DEFAULT
"""The version an exchange carries until the version layer has read the request's."""
IDENTITY_TTL = 300.0
"""Polar's limiter remembers a token's subject this long after it authenticated."""
MAX_BODY = 10 * 1024 * 1024
"""Polar's ``API_MAX_REQUEST_BODY_SIZE``: a longer ``Content-Length`` gets a 413."""

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
_POLAR_ONLY_ROUTES = (
    (re.compile(r"^/v1/customer-portal/seats/[^/]+$"), "DELETE"),
    (re.compile(r"^/v1/customer-seats/[^/]+$"), "DELETE"),
)
"""Polar routes that come first in Polar's router and so answer another method's 405: a
GET on ``/seats/subscription`` or a POST on ``/seats/subscriptions`` meets
``/seats/{seat_id}`` and its 405 says ``Allow: DELETE`` (aiohttp would list GET too); so
does a GET or PUT on ``/v1/customer-seats/claim``, whose ``DELETE /{seat_id}`` Polar
declares before the claim's routes (aiohttp would say ``Allow: DELETE, POST``)."""


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
    subject: Caller | None = None
    """Who authenticated: set before a route that ``requires()`` a subject runs."""


_EXCHANGE: contextvars.ContextVar[Exchange] = contextvars.ContextVar("exchange")


def exchange() -> Exchange:
    """The request being answered (each request is answered in a task of its own)."""
    return _EXCHANGE.get()


class RateWindows:
    """Polar's fixed windows: each bucket's window starts at its first request's arrival."""

    def __init__(self) -> None:
        self._windows: dict[str, tuple[float, int]] = {}

    def hit(self, bucket: str, limit: int, *, now: float, length: float) -> bool:
        """Count a request; ``False`` when it is one too many for the bucket's window."""
        start, count = self._windows.get(bucket, (now, 0))
        if now >= start + length:
            start, count = now, 0
        self._windows[bucket] = (start, count + 1)
        return count < limit


class Backend(Protocol):
    """What the middleware reads and writes on the server."""

    @property
    def state(self) -> Directory:
        """Who each token is."""
        ...

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

    @property
    def today(self) -> date:
        """The day the fake's release calendar is read on."""
        ...

    def fault_for(self, number: int, page: int | None) -> Fault | None: ...

    def arrival_delay(self) -> float:
        """How long the next request spends on its way in (``latency``), in seconds."""
        ...


def bearer(request: web.Request) -> str | None:
    """The bearer token, read as Polar reads it (``bearer`` in any case, no empty value)."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value or not value.isascii():
        return None
    return value


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
        delay = server.arrival_delay()
        if delay > 0:
            await asyncio.sleep(delay)  # the network on the way in: nothing has counted it yet
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
        # Polar serves the versions live on its release calendar, Current when none is
        # asked (an empty header counts as none), and refuses any other before it reads
        # the token: removed, unknown, malformed alike.
        day = server.today
        asked = request.headers.get("Polar-Version") or versions.current(day)
        if asked not in versions.live_versions(day):
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
    async def length(request: web.Request, handler: Handler) -> web.StreamResponse:
        # Polar's MaxBodySizeMiddleware, outside its rate limiter and its Cache-Control.
        given = request.headers.get("Content-Length")
        if given is None and request.method in ("POST", "PUT", "PATCH"):
            problem = ("LengthRequired", "A Content-Length header is required.")
            return _bare(_spaced_error(411, *problem), "version")
        if given is not None and given.isdigit() and int(given) > MAX_BODY:
            detail = f"Request body exceeded the maximum allowed size of {MAX_BODY} bytes."
            return _bare(_spaced_error(413, "RequestBodyTooLarge", detail), "version")
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
        route = request.match_info.handler
        subjects: frozenset[str] | None = getattr(route, "subjects", None)
        if subjects is None or request.match_info.http_exception is not None:
            return await handler(request)
        token = bearer(request)
        state = server.state
        subject = None
        if token is not None:
            subject = state.subject(token)
            if subject is None:
                return _invalid_token()
            server.identities[token] = (subject.subject, server.clock() + IDENTITY_TTL)
        refusal = _refusal(subject, subjects, getattr(route, "scopes", frozenset[str]()))
        if refusal is None and getattr(route, "billing", False):
            refusal = _billing_refusal(state, subject)
        if refusal is not None:
            # FastAPI decodes a JSON body before it runs the route's auth dependency.
            if getattr(route, "reads_body", False):
                _, invalid = await json_body(request)
                if invalid is not None:
                    return invalid
            return refusal
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

    return [record, crash, version, cors, length, rate_limit, routing, authenticate, faults]


def _refusal(
    subject: Caller | None, subjects: frozenset[str], scopes: frozenset[str]
) -> web.Response | None:
    """Polar's authenticator: another subject type is anonymous (401), and a token needs
    one of the route's scopes (403 ``insufficient_scope``)."""
    if subject is None or subject.subject.partition(":")[0] not in subjects:
        return _unauthorized()
    if scopes and not subject.scopes & scopes:
        return _oauth2_error(
            403,
            "insufficient_scope",
            "The request requires higher privileges than provided by the access token.",
            scope=" ".join(sorted(scopes)),
        )
    return None


def _billing_refusal(state: Directory, subject: Caller | None) -> web.Response | None:
    """Polar's billing role check: a customer may; a member only as owner or billing manager."""
    if subject is not None and not state.may_bill(subject):
        detail = "Only owners and billing managers can access billing features."
        return json_response(403, {"error": "NotPermitted", "detail": detail})
    return None


def _bucket(server: Backend, request: web.Request) -> tuple[str, int] | None:
    """The window a request counts in, and its limit; ``None`` when nothing limits it."""
    if server.rate_limit is None:
        return None
    token = bearer(request)
    if token is None:
        return f"ip:{request.remote}", server.rate_limit
    if server.pending_auth_limit is None:
        known = server.state.subject(token)
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
    return _oauth2_error(401, "invalid_token", _INVALID_TOKEN)


def _oauth2_error(status: int, error: str, description: str, **extra: str) -> web.Response:
    # Polar's OAuth2 error handler (authlib's bearer errors): its own cache headers, and
    # spaces in the JSON.
    attributes = ['realm="polar"', *(f'{k}="{v}"' for k, v in extra.items())]
    attributes += [f'error="{error}"', f'error_description="{description}"']
    body = {"error": error, "error_description": description}
    return web.Response(
        status=status,
        body=json.dumps(body).encode(),
        content_type="application/json",
        headers={
            "Cache-Control": "no-store",
            "Pragma": "no-cache",
            "WWW-Authenticate": "Bearer " + ", ".join(attributes),
        },
    )


def _spaced_error(status: int, error: str, detail: str) -> web.Response:
    """An error Polar's ASGI middlewares write themselves, with ``json.dumps``' spaces."""
    body = json.dumps({"error": error, "detail": detail}).encode()
    return web.Response(status=status, body=body, content_type="application/json")
