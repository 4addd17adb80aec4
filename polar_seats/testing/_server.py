"""A fake Polar server for ``GET /v1/customer-portal/seats/subscriptions``, over real HTTP.

It behaves as Polar's server does where this endpoint is concerned: the bearer-token check
with both 401 bodies, 422 bodies for a bad ``page`` or ``limit``, the silent clamp of
``limit`` to 100, empty pages past the end, the ``Polar-Version`` check, Polar's fixed
one-minute rate limit windows (when switched on), and every answer carrying a
``Polar-Version`` header. On top, it can inject faults (:class:`FaultPlan`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import math
import re
import socket
import threading
import time
from collections.abc import Callable, Generator, Iterable, Mapping
from types import TracebackType
from typing import Any

import msgspec
from aiohttp import web

from ._data import make_subscriptions
from ._faults import Fault, FaultPlan

__all__ = ["DEFAULT_TOKEN", "FakePolarServer", "RecordedRequest", "serve_in_thread"]

DEFAULT_TOKEN = "polar_cst_fake_0123456789abcdefghijklmnopqrstuvwxyz"
"""The customer session token a :class:`FakePolarServer` accepts unless told otherwise."""

PATH = "/v1/customer-portal/seats/subscriptions"
DEFAULT_VERSION = "2026-04"
SUPPORTED_VERSIONS = ("2026-04", "2027-01")
_VERSION_RE = re.compile(r"^\d{4}-\d{2}$")
_TOKEN_KINDS = ("polar_cst_", "polar_mst_")
_INVALID_TOKEN = (
    "The access token provided is expired, revoked, malformed, or invalid for other reasons."
)
_encode = msgspec.json.Encoder().encode
_ENDLESS_CHUNKS = 16_384
"""An endless body stops after this many 64 KiB chunks (1 GiB), so no test can hang."""

Json = dict[str, Any]


@dataclasses.dataclass
class RecordedRequest:
    """A request the fake server received, and how it answered."""

    number: int
    """From 1, counting only requests to the endpoint."""
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


class FakePolarServer:
    """Polar's list-claimed-subscriptions endpoint on ``127.0.0.1``, a free port.

    ``subscriptions`` are the bodies to serve (dicts as Polar sends them); without them,
    ``count`` seeded ones from :func:`make_subscriptions`. ``tokens`` are the session
    tokens it accepts. ``rate_limit`` switches on Polar's limit: requests per token in
    fixed windows of ``rate_window`` seconds (a minute, as Polar's) of ``clock``.
    ``on_request`` runs before each answer (with the recorded request), for tests that
    change the data mid-walk. Use it as ``async with FakePolarServer() as server`` and
    point a client at ``server.url``.
    """

    def __init__(
        self,
        subscriptions: Iterable[Json] | None = None,
        *,
        count: int = 25,
        seed: int = 0,
        tokens: Iterable[str] = (DEFAULT_TOKEN,),
        faults: FaultPlan | None = None,
        rate_limit: int | None = None,
        rate_window: float = 60.0,
        on_request: Callable[[RecordedRequest], Any] | None = None,
        clock: Callable[[], float] = time.time,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.subscriptions: list[Json] = (
            list(subscriptions)
            if subscriptions is not None
            else make_subscriptions(count, seed=seed)
        )
        self.tokens = set(tokens)
        self.faults = faults or FaultPlan()
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self.on_request = on_request
        self.clock = clock
        self.requests: list[RecordedRequest] = []
        self.in_flight = 0
        """Requests to the endpoint being answered right now."""
        self.peak_in_flight = 0
        """The most requests to the endpoint that were ever being answered at once."""
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self._windows: dict[tuple[str, int], int] = {}
        self.port: int | None = None

    @property
    def url(self) -> str:
        """The base URL to give a client: ``http://127.0.0.1:<port>``."""
        if self.port is None:
            raise RuntimeError("The fake server is not running; start it with `async with`.")
        return f"http://{self._host}:{self.port}"

    @property
    def token(self) -> str:
        """A token the server accepts."""
        return next(iter(self.tokens))

    @property
    def open_connections(self) -> int:
        """How many client connections the server holds open right now."""
        if self._runner is None or self._runner.server is None:
            return 0
        return len(self._runner.server.connections)

    async def start(self) -> None:
        """Start serving; :attr:`url` is valid from here on."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(
            app,
            access_log=None,
            handle_signals=False,
            shutdown_timeout=0.5,
            # A client that gave up (a timeout, a cancelled walk) ends the handler too.
            handler_cancellation=True,
        )
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self._host, self._port))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()

    async def close(self) -> None:
        """Stop serving and close every connection."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakePolarServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # Handling ----------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        version = request.headers.get("Polar-Version", DEFAULT_VERSION)
        if request.path != PATH:
            return _json(404, {"detail": "Not Found"}, version=DEFAULT_VERSION)
        if request.method not in ("GET", "HEAD"):
            # FastAPI's answer to a method the route does not have.
            return _json(
                405,
                {"detail": "Method Not Allowed"},
                version=DEFAULT_VERSION,
                headers={"Allow": "GET"},
            )
        authorization = request.headers.get("Authorization")
        record = RecordedRequest(
            number=len(self.requests) + 1,
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers={k: v for k, v in request.headers.items() if k.lower() != "authorization"},
            received_at=time.monotonic(),
            token=_bearer(authorization),
        )
        self.requests.append(record)
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            if self.on_request is not None:
                outcome = self.on_request(record)
                if asyncio.iscoroutine(outcome):
                    await outcome
            fault = self.faults.fault_for(record.number, _page_number(record.query))
            if fault is not None:
                record.fault = fault.name
            response = await self._answer(request, record, version, fault)
            record.status = response.status
            return response
        finally:
            self.in_flight -= 1

    async def _answer(
        self, request: web.Request, record: RecordedRequest, version: str, fault: Fault | None
    ) -> web.StreamResponse:
        if not _VERSION_RE.match(version) or version not in SUPPORTED_VERSIONS:
            return _json(404, {"detail": "Not Found"}, version=DEFAULT_VERSION)
        denied = self._authenticate(record.token)
        if denied is not None:
            return denied
        if self.rate_limit is not None and record.token is not None:
            window = (record.token, int(self.clock() // self.rate_window))
            self._windows[window] = self._windows.get(window, 0) + 1
            if self._windows[window] > self.rate_limit:
                retry_after = str(math.ceil(self.rate_window))
                return _empty(429, {"Retry-After": retry_after}, version=version)
        if fault is not None and fault.kind == "stall":
            await asyncio.sleep(fault.seconds)
        elif fault is not None and fault.kind == "status":
            response = web.Response(status=fault.status, body=fault.body, headers=fault.headers)
            response.headers["Polar-Version"] = version
            return response
        elif fault is not None and fault.kind == "reset":
            _abort(request)
            return web.Response(status=500)
        problems = _validate_query(request.query)
        if problems:
            return _json(
                422, {"error": "RequestValidationError", "detail": problems}, version=version
            )
        page, limit = int(request.query.get("page", 1)), int(request.query.get("limit", 10))
        body = _encode(self.page_body(page, limit, version=version))
        if fault is not None and fault.kind != "stall":  # a stall has waited: the page follows
            return await _faulty(request, fault, body, version)
        return web.Response(
            body=body, content_type="application/json", headers={"Polar-Version": version}
        )

    def _authenticate(self, token: str | None) -> web.Response | None:
        if token is None or not token.startswith(_TOKEN_KINDS):
            return _json(
                401,
                {"error": "Unauthorized", "detail": "Unauthorized"},
                headers={"WWW-Authenticate": 'Bearer realm="polar"'},
            )
        if token not in self.tokens:
            return _json(
                401,
                {"error": "invalid_token", "error_description": _INVALID_TOKEN},
                headers={
                    "WWW-Authenticate": (
                        'Bearer realm="polar", error="invalid_token", '
                        f'error_description="{_INVALID_TOKEN}"'
                    ),
                    "Cache-Control": "no-store",
                },
            )
        return None

    def page_body(self, page: int, limit: int, *, version: str = DEFAULT_VERSION) -> Json:
        """The body Polar sends for ``page`` and ``limit`` (both already validated)."""
        limit = min(limit, 100)
        total = len(self.subscriptions)
        start = (page - 1) * limit
        items = self.subscriptions[start : start + limit]
        if version == "2027-01":
            items = [_reshape_2027_01(item) for item in items]
        return {
            "items": items,
            "pagination": {"total_count": total, "max_page": math.ceil(total / limit)},
        }


def _bearer(authorization: str | None) -> str | None:
    if authorization is None:
        return None
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() != "bearer" or not credentials:
        return None
    return credentials.strip()


def _page_number(query: Mapping[str, str]) -> int | None:
    try:
        return int(query.get("page", "1"))
    except ValueError:
        return None


def _validate_query(query: Mapping[str, str]) -> list[Json]:
    problems: list[Json] = []
    for name in ("page", "limit"):
        raw = query.get(name)
        if raw is None:
            continue
        try:
            value = int(raw)
        except ValueError:
            problems.append(
                {
                    "type": "int_parsing",
                    "loc": ["query", name],
                    "msg": "Input should be a valid integer, unable to parse string as an integer",
                    "input": raw,
                }
            )
            continue
        if value <= 0:
            problems.append(
                {
                    "type": "greater_than",
                    "loc": ["query", name],
                    "msg": "Input should be greater than 0",
                    "input": raw,
                    "ctx": {"gt": 0},
                }
            )
    return problems


def _reshape_2027_01(subscription: Json) -> Json:
    """Seat-based prices as Polar's 2027-01 version sends them."""

    def reshape(price: Json) -> Json:
        if price.get("amount_type") != "seat_based" or "seat_tiers" not in price:
            return price
        price = dict(price)
        tiers = price.pop("seat_tiers")
        price["tiers"] = tiers
        price["minimum_units"] = tiers.get("minimum_seats")
        price["maximum_units"] = tiers.get("maximum_seats")
        return price

    product = dict(subscription["product"])
    product["prices"] = [reshape(price) for price in product["prices"]]
    reshaped = dict(
        subscription, product=product, prices=[reshape(p) for p in subscription["prices"]]
    )
    if isinstance(subscription.get("price"), dict):
        reshaped["price"] = reshape(subscription["price"])
    return reshaped


def _json(
    status: int, body: Json, *, version: str = DEFAULT_VERSION, headers: Mapping[str, str] = {}
) -> web.Response:
    return web.Response(
        status=status,
        body=_encode(body),
        content_type="application/json",
        headers={"Polar-Version": version, **headers},
    )


def _empty(status: int, headers: Mapping[str, str], *, version: str) -> web.Response:
    response = web.Response(status=status, headers={"Polar-Version": version, **headers})
    # Polar's 429 carries no content type.
    response.content_type = "application/octet-stream"
    del response.headers["Content-Type"]
    return response


def _abort(request: web.Request) -> None:
    transport = request.transport
    if transport is not None:
        transport.abort()


async def _faulty(
    request: web.Request, fault: Fault, body: bytes, version: str
) -> web.StreamResponse:
    if fault.kind == "truncated_json":
        return web.Response(
            body=body[: len(body) // 2],
            content_type="application/json",
            headers={"Polar-Version": version},
        )
    if fault.kind == "invalid_json":
        return web.Response(
            body=fault.body, content_type="application/json", headers={"Polar-Version": version}
        )
    response = web.StreamResponse(headers={"Polar-Version": version})
    response.content_type = "application/json"
    if fault.kind == "reset_mid_body":
        response.content_length = len(body)
        await response.prepare(request)
        await response.write(body[: len(body) // 2])
        _abort(request)
        return response
    if fault.kind == "endless_body":
        await response.prepare(request)
        await response.write(b'{"items":[' + b" " * 65_535)
        chunk = b" " * 65_536
        for _ in range(_ENDLESS_CHUNKS):
            await response.write(chunk)
        return response
    # slow_body: the page in ten chunks spread over the fault's seconds.
    await response.prepare(request)
    step = max(1, math.ceil(len(body) / 10))
    for start in range(0, len(body), step):
        await response.write(body[start : start + step])
        await asyncio.sleep(fault.seconds / 10)
    await response.write_eof()
    return response


@contextlib.contextmanager
def serve_in_thread(server: FakePolarServer) -> Generator[FakePolarServer, None, None]:
    """Run ``server`` on an event loop of its own in a background thread.

    For synchronous code under test, or code that blocks its own event loop (as polar-sdk
    0.32's ``next()`` does): ``with serve_in_thread(FakePolarServer()) as server: ...``.
    The server's attributes may be read from the test's thread; change its data or faults
    only while no request is being answered.
    """
    loop = asyncio.new_event_loop()
    started = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(server.start())
        started.set()
        loop.run_forever()
        loop.run_until_complete(server.close())
        loop.close()

    thread = threading.Thread(target=run, name="fake-polar-server", daemon=True)
    thread.start()
    started.wait()
    try:
        yield server
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
