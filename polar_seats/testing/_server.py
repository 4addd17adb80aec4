"""A fake Polar server over real HTTP, on loopback: a small stateful Polar.

``FakePolarServer`` holds a ``State`` (organizations, customers, members,
subscriptions, seats, sessions), seeded through ``Seeder`` (``_seeding.py``), and serves
the resources' routes over it (``_resources/``), through the middleware Polar's server
applies (``_core/middleware.py``): the ``Polar-Version`` check, both 401 bodies, rate
windows per subject, Polar's 404/405/307, recording and faults.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import ssl
import threading
from collections.abc import Callable, Generator, Iterable, Mapping
from datetime import date
from types import TracebackType
from typing import Any, Literal

from aiohttp import web

from .. import versions
from .._clock import testing_clock, testing_date
from ._core.app import build_app
from ._core.clock import Clock
from ._core.faults import Fault, FaultPlan
from ._core.middleware import DEFAULT_VERSION, RateWindows, RecordedRequest
from ._core.store import Json
from ._data import make_subscriptions
from ._resources import ROUTES
from ._resources.customers import Customer, Member, Organization, PaymentMethod, Role
from ._resources.seat_counts import Charge
from ._resources.seats import Invitation
from ._resources.sessions import Session
from ._resources.subscriptions import list_page
from ._resources.webhooks import WebhookDelivery, WebhookSender
from ._seeding import BillingCustomer, ClaimantTokens, ClaimedSubscriptions, Seeder
from ._state import State

__all__ = [
    "DEFAULT_ORGANIZATION_TOKEN",
    "DEFAULT_TOKEN",
    "FakePolarServer",
    "RecordedRequest",
    "serve_in_thread",
]

DEFAULT_TOKEN = "polar_cst_fake_0123456789abcdefghijklmnopqrstuvwxyz"
"""The customer session token a [`FakePolarServer`][polar_seats.testing.FakePolarServer]
accepts unless told otherwise."""

DEFAULT_ORGANIZATION_TOKEN = "polar_oat_org"
"""The organization access token a
[`FakePolarServer`][polar_seats.testing.FakePolarServer] knows unless told otherwise: a
valid token of another subject type, which customer-portal endpoints refuse."""

PENDING_AUTH_LIMIT = 60
"""Polar's budget for a token it has not seen in five minutes: 60 requests a minute."""

_CLOSE_TURNS = 10_000
"""How many times, 1 ms apart at least (10 s in all), `FakePolarServer.close()` looks whether
asyncio has closed the sockets it ended: that takes it a turn or two of the loop."""


class FakePolarServer:
    """A fake Polar on ``127.0.0.1``, a free port, seeded with one claimant.

    The claimant holds a claimed seat on each of ``subscriptions`` (dicts as Polar sends
    them), or on ``count`` seeded ones from
    [`make_subscriptions()`][polar_seats.testing.make_subscriptions]; ``tokens`` are its
    sessions (``polar_mst_`` ones member sessions); ``organization_tokens`` are access tokens
    of its organization, with the scopes for sessions and seats. ``state`` holds everything,
    for tests that seed more. ``rate_limit`` switches on Polar's limit: requests per subject (a
    customer, a member) in fixed windows of ``rate_window`` seconds that start at a
    bucket's first request; ``pending_auth_limit`` (Polar's is 60) also counts a token's
    requests before it is known in a bucket of its own. ``clock`` is the time the fake's
    windows and sessions follow (``server.clock.advance(seconds)`` moves it on). ``today``
    fixes the date whose live API versions the fake serves (by default, the testing date):
    it answers a removed, unknown or malformed ``Polar-Version`` as Polar does, and each
    live one with that version's shapes.
    ``latency=(low, high)`` holds each request a random time in that range (drawn from
    ``seed``) before the server counts it or answers, as the network on the way in.
    ``on_request`` runs before each answer (with the recorded request), for tests that
    change the data mid-walk. ``webhook_url`` and ``webhook_secret``: where seat events
    are POSTed, signed; ``webhook_api_version``: the endpoint's own API version, which
    every event carries (``api_version``, ``webhook-api-version``): by default, as Polar
    does, the version Current on the fake's date when it is made. ``ssl_context`` (a
    server-side ``ssl.SSLContext`` with its certificate loaded) serves https instead of
    http. Use it as ``async with FakePolarServer() as server`` and point a client at
    ``server.url``.
    """

    def __init__(
        self,
        subscriptions: Iterable[Json] | None = None,
        *,
        count: int = 25,
        seed: int = 0,
        tokens: Iterable[str] = (DEFAULT_TOKEN,),
        organization_tokens: Iterable[str] = (DEFAULT_ORGANIZATION_TOKEN,),
        faults: FaultPlan | None = None,
        rate_limit: int | None = None,
        rate_window: float = 60.0,
        pending_auth_limit: int | None = None,
        on_request: Callable[[RecordedRequest], Any] | None = None,
        clock: Callable[[], float] = testing_clock,
        today: date | None = None,
        latency: tuple[float, float] | None = None,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        webhook_api_version: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.clock = Clock(clock)
        self._today = today
        self.state = State(self.clock, seed=seed)
        self._webhooks = WebhookSender(
            self.clock,
            webhook_url,
            webhook_secret,
            versions.current(self.today) if webhook_api_version is None else webhook_api_version,
        )
        self.state.listeners.append(self._webhooks.emit)
        self._seeder = Seeder(self.state)
        self.claimant = self._seeder.claimant(
            subscriptions if subscriptions is not None else make_subscriptions(count, seed=seed),
            tokens=tokens,
            organization_tokens=organization_tokens,
        )
        """The seeded claimant: ``claimant.customer``, ``claimant.member``."""
        self.requests: list[RecordedRequest] = []
        self.faults = faults
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self.pending_auth_limit = pending_auth_limit
        self.on_request = on_request
        self.in_flight = 0
        """Requests being answered right now."""
        self.peak_in_flight = 0
        """The most requests that were ever being answered at once."""
        if latency is not None and not 0 <= latency[0] <= latency[1]:
            raise ValueError(f"latency=(low, high) with 0 <= low <= high, not {latency!r}.")
        self.latency = latency
        self._latency_rng = random.Random(f"latency:{seed}")
        self.windows = RateWindows()
        self.identities: dict[str, tuple[str, float]] = {}
        """Tokens the rate limiter knows, with their subject and until when."""
        self._host = host
        self._port = port
        self._ssl_context = ssl_context
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    @property
    def today(self) -> date:
        """The day whose API versions the fake serves (its release calendar,
        [`polar_seats.versions`][polar_seats.versions]): ``today=`` or a date set here, else
        the testing date (``testing_date()``: the testing clock's, unless
        ``set_testing_date()`` pinned one). Set it to rehearse a release: ``server.today =
        date(2027, 1, 8)``; ``None`` goes back to the testing date (``clock=`` may be any
        monotonic count, so it is not read for a date)."""
        return testing_date() if self._today is None else self._today

    @today.setter
    def today(self, day: date | None) -> None:
        self._today = day

    @property
    def subscriptions(self) -> ClaimedSubscriptions:
        """The claimant's claimed subscriptions, a list of bodies: changing it changes the state."""
        return self.claimant.subscriptions

    @property
    def tokens(self) -> ClaimantTokens:
        """The claimant's live session tokens; ``tokens.add(token)`` mints a session."""
        return self.claimant.tokens

    @property
    def faults(self) -> FaultPlan:
        """The [`FaultPlan`][polar_seats.testing.FaultPlan] in force; its request numbers
        count from its assignment."""
        return self._faults

    @faults.setter
    def faults(self, plan: FaultPlan | None) -> None:
        self._faults = plan if plan is not None else FaultPlan()
        self._faults_from = len(self.requests)

    def fault_for(self, number: int, page: int | None) -> Fault | None:
        """The fault the plan has for the server's request ``number``."""
        return self._faults.fault_for(number - self._faults_from, page)

    def arrival_delay(self) -> float:
        """How long the next request spends on its way in: a draw from ``latency``."""
        if self.latency is None:
            return 0.0
        return self._latency_rng.uniform(*self.latency)

    def add_customer(
        self,
        *,
        external_id: str | None = None,
        email: str | None = None,
        name: str | None = None,
        type: Literal["individual", "team"] = "individual",
        members: Mapping[str, Role] | None = None,
        subscriptions: int = 1,
        organization: Organization | None = None,
    ) -> Customer:
        """A customer of ``organization`` (the claimant's by default) that lists something.

        It gets its members (``{email: role}``; by default one owner with its email and
        external id) and ``subscriptions`` seeded subscriptions on each of which every
        member holds a claimed seat. A team of an organization with the member model has
        no email of its own (``None``, as Polar's may) unless ``email`` is given. Mint its
        sessions over HTTP (``POST /v1/customer-sessions/`` with ``external_customer_id``)
        or with `State.mint_session`.
        """
        return self._seeder.customer(
            organization or self.claimant.organization,
            external_id=external_id,
            email=email,
            name=name,
            type=type,
            members=members,
            subscriptions=subscriptions,
        )

    def add_billing_customer(
        self,
        seats: int = 5,
        *,
        external_id: str | None = None,
        email: str | None = None,
        name: str | None = None,
        members: Mapping[str, Role] | None = None,
        order_seats: int | None = None,
        organization: Organization | None = None,
        minimum_seats: int | None = None,
        maximum_seats: int | None = None,
        payment_method: PaymentMethod = "card",
        seat_based: bool = True,
    ) -> BillingCustomer:
        """A customer of ``organization`` (the claimant's by default) with an active
        seat-based subscription of ``seats`` seats, none assigned; ``order_seats``: also a
        paid one-time order of that many; ``members``: ``{email: role}`` under it (a team).

        ``minimum_seats`` and ``maximum_seats`` bound the seats its price sells (1 and
        unbounded by default); ``payment_method`` says how a charge of the customer goes
        (``"card"`` pays; ``"none"``, ``"card_error"`` and ``"3ds"`` answer Polar's 402s;
        ``customer.payment_method`` changes it later); ``seat_based=False`` gives a
        subscription whose prices are not seat-based. Its period starts now and lasts 30
        days.

        The result holds the customer, ``subscription_id``, ``order_id``, the members, a
        customer session ``token``, a member session per member (``member_tokens``) and
        the ``organization`` (``update_seats``, ``proration_behavior``).
        """
        return self._seeder.billing_customer(
            organization or self.claimant.organization,
            seats=seats,
            email=email,
            external_id=external_id,
            name=name,
            members=members or {},
            order_seats=order_seats,
            minimum_seats=minimum_seats,
            maximum_seats=maximum_seats,
            payment_method=payment_method,
            seat_based=seat_based,
        )

    @property
    def charges(self) -> list[Charge]:
        """Every seat increase the fake charged at once (``invoice``, ``reset``), in order:
        ``subscription_id``, ``seats_before``, ``seats_after``, ``order_id``."""
        return self.state.charges

    @property
    def outbox(self) -> list[Invitation]:
        """Every invitation email the fake sent (assign, resend), in order: ``to``,
        ``token``, ``seat_id``, ``at``."""
        return self.state.outbox

    @property
    def undeliverable_domains(self) -> set[str]:
        """Email domains Polar's MX check refuses with its 422 (``{"invalid"}`` at first);
        a domain's subdomains too."""
        return self.state.undeliverable_domains

    @property
    def webhook_url(self) -> str | None:
        """Where seat events are POSTed; ``None``: nowhere."""
        return self._webhooks.url

    @webhook_url.setter
    def webhook_url(self, url: str | None) -> None:
        self._webhooks.url = url

    @property
    def webhook_secret(self) -> str | None:
        """The endpoint's secret: a ``whsec_<base64>`` one signs with its decoded bytes (as
        Polar's since 2026-09-08), any other with its UTF-8 bytes (as older ones)."""
        return self._webhooks.secret

    @webhook_secret.setter
    def webhook_secret(self, secret: str | None) -> None:
        self._webhooks.secret = secret

    @property
    def webhook_api_version(self) -> str:
        """The webhook endpoint's API version (``"2026-10"`` unless told otherwise); a
        change holds for the events that happen afterwards, as in Polar."""
        return self._webhooks.api_version

    @webhook_api_version.setter
    def webhook_api_version(self, version: str) -> None:
        self._webhooks.api_version = version

    @property
    def webhooks_sent(self) -> list[WebhookDelivery]:
        """Every webhook the fake sent or is sending, in order, with the answer's status."""
        return self._webhooks.sent

    async def deliver_webhooks(self) -> None:
        """Wait until every webhook queued so far was delivered (or failed)."""
        await self._webhooks.drain()

    def revoke_session(self, token: str) -> None:
        """End the session of ``token`` now: its next request gets ``invalid_token``."""
        self.state.revoke_session(token)

    def sessions_minted(self, of: Customer | Member | None = None) -> int:
        """How many sessions ``POST /v1/customer-sessions/`` minted (of a customer, or of a
        member); sessions seeded through the state or ``tokens`` do not count."""
        return self.state.sessions_minted(of)

    @property
    def minted(self) -> list[Session]:
        """Every session ``POST /v1/customer-sessions/`` minted, in order."""
        return self.state.minted

    @property
    def url(self) -> str:
        """The base URL to give a client: ``http://127.0.0.1:<port>`` (``https://`` with
        an ``ssl_context``)."""
        if self.port is None:
            raise RuntimeError("The fake server is not running; start it with `async with`.")
        scheme = "http" if self._ssl_context is None else "https"
        return f"{scheme}://{self._host}:{self.port}"

    @property
    def token(self) -> str:
        """A token the server accepts: the first of ``tokens``."""
        return next(iter(self.tokens))

    @property
    def open_connections(self) -> int:
        """How many client connections the server holds open right now."""
        if self._runner is None or self._runner.server is None:
            return 0
        return len(self._runner.server.connections)

    def page_body(self, page: int, limit: int, *, version: str = DEFAULT_VERSION) -> Json:
        """The body the claimant gets for ``page`` and ``limit`` (both already validated)."""
        session = self.state.sessions[self.token]
        claimed = self.state.claimed_subscriptions(session)
        return list_page(self.state, claimed, page, limit, version)

    async def start(self) -> None:
        """Start serving; [`url`][polar_seats.testing.FakePolarServer.url] is valid from here on."""
        self._runner = web.AppRunner(
            build_app(self, self.state, ROUTES),
            access_log=None,
            handle_signals=False,
            shutdown_timeout=0.5,
            # A client that gave up (a timeout, a cancelled walk) ends the handler too.
            handler_cancellation=True,
        )
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self._host, self._port))
        except OSError:
            # A port in use must not leave the socket (or the runner) behind.
            sock.close()
            await self.close()
            raise
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock, ssl_context=self._ssl_context).start()

    async def close(self) -> None:
        """Stop serving and close every connection; undelivered webhooks are dropped. It
        returns once every connection's socket is closed, so the event loop may close next."""
        await self._webhooks.close()
        if self._runner is not None:
            server = self._runner.server
            handlers = server.connections if server is not None else []
            sockets = [s for h in handlers if (s := _socket_of(h.transport)) is not None]
            await self._runner.cleanup()
            self._runner = None
            await _ended(sockets)

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


def _socket_of(transport: asyncio.Transport | None) -> Any:
    try:
        return None if transport is None else transport.get_extra_info("socket")
    except AttributeError:
        # A TLS transport whose peer's close_notify came, closed by aiohttp too: asyncio has
        # unhooked it (Python 3.11+). It needs nothing more from the peer and closes by itself.
        return None


async def _ended(sockets: list[Any]) -> None:
    """End the connections aiohttp's cleanup left closing; return once their sockets are."""
    # aiohttp closes a TLS connection gracefully: asyncio sends close_notify and keeps the
    # socket until the peer answers (up to 30 s; for ever before Python 3.11). A client's
    # end that is still on its way (through a proxy, on a loaded machine) arrives after the
    # loop has closed, and the socket leaks. Ending the stream makes asyncio see the end now
    # and close it. abort() cannot: aiohttp may have closed the transport twice, which
    # unhooks it from its connection (Python 3.11+).
    for sock in sockets:
        if sock.fileno() != -1:
            with contextlib.suppress(OSError):  # the peer may have reset it meanwhile
                sock.shutdown(socket.SHUT_RDWR)
    for _ in range(_CLOSE_TURNS):
        if all(sock.fileno() == -1 for sock in sockets):
            return
        await asyncio.sleep(0.001)


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
