"""The seams every operation shares: requests as values, errors that carry them, retry
kinds, the escape hatch, the client's loop and its views."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import socket
from typing import Any

import aiohttp
import pytest

import polar_seats as ps
from polar_seats import _protocol as protocol
from polar_seats._resources import subscriptions
from polar_seats._retry import SendAgain, Settled, call_with_retries
from polar_seats.testing import FakePolarServer, Fault, FaultPlan

WRITE = protocol.Request("POST", "/v1/things/", "create a thing", retry=ps.RetryKind.UNSENT_ONLY)
POLICY = ps.RetryPolicy(max_attempts=4, retry_budget=None)


def api_error(status: int, request: protocol.Request = WRITE) -> ps.APIStatusError:
    headers = {"Retry-After": "0"} if status == 429 else {}
    return protocol.error_for_status(status, headers, b"", request=request)


async def attempts_made(request: protocol.Request, failures: list[ps.PolarError], **kw: Any) -> int:
    """Run call_with_retries with attempts that fail as listed, then succeed; the count."""
    made = 0

    async def attempt(_deadline_left: float | None) -> str:
        nonlocal made
        made += 1
        if failures:
            raise failures.pop(0)
        return "done"

    with contextlib.suppress(ps.PolarError):
        await call_with_retries(POLICY, attempt, request=request, **kw)
    return made


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (lambda: api_error(429), 2),
        (lambda: ps.NetworkError("refused", request=WRITE, request_sent=False), 2),
        (lambda: api_error(503), 1),
        (lambda: api_error(502), 1),
        (lambda: ps.NetworkError("reset", request=WRITE), 1),
        (lambda: ps.PolarTimeoutError("slow", request=WRITE), 1),
    ],
    ids=["429", "never-connected", "503", "502", "reset-after-sending", "timeout-after-sending"],
)
async def test_a_write_is_resent_only_when_polar_cannot_have_run_it(
    failure: Any, expected: int
) -> None:
    """unsent-only: a 429 or a connection that never opened is resent; nothing else."""
    assert await attempts_made(WRITE, [failure()]) == expected


async def test_a_read_is_resent_after_any_retryable_failure() -> None:
    """safe: a 503, a reset and a timeout are all retried."""
    read = subscriptions.page_request(1, 10)
    failures: list[ps.PolarError] = [
        api_error(503, read),
        ps.NetworkError("reset", request=read),
        ps.PolarTimeoutError("slow", request=read),
    ]
    assert await attempts_made(read, failures) == 4


async def test_a_custom_request_asks_its_reconcile_step_what_a_lost_attempt_did() -> None:
    """custom: a 429 is resent without asking; after a 503 the step allows a resend; the
    resend's refusal goes to the step with the lost 503, and the step's finding is the
    result. Every send is one of the loop's attempts."""
    custom = protocol.Request("DELETE", "/v1/x/1", "revoke", retry=ps.RetryKind.CUSTOM)
    asked: list[tuple[int, int | None, int]] = []

    async def step(
        lost: ps.PolarError, answer: ps.PolarError | None, attempt: int
    ) -> Settled[str] | SendAgain:
        assert isinstance(lost, ps.APIStatusError)
        asked.append((lost.status, getattr(answer, "status", None), attempt))
        if answer is None:
            return SendAgain("nothing was done", ps.OutcomeUnknownError("no sends left"))
        return Settled("found")

    failures = [api_error(429, custom), api_error(503, custom), api_error(409, custom)]
    made: list[int] = []

    async def attempt(_deadline_left: float | None) -> str:
        made.append(1)
        raise failures.pop(0)

    result = await call_with_retries(POLICY, attempt, request=custom, reconcile=step)
    assert (result, len(made)) == ("found", 3)
    assert asked == [(503, None, 2), (503, 409, 3)]


async def test_a_custom_request_without_a_step_is_resent_only_unsent() -> None:
    """client.request() has no step to give: a CUSTOM request then acts as UNSENT_ONLY."""
    custom = protocol.Request("DELETE", "/v1/x/1", "revoke", retry=ps.RetryKind.CUSTOM)
    assert await attempts_made(custom, [api_error(503, custom)]) == 1
    assert await attempts_made(custom, [api_error(429, custom)]) == 2


def test_a_request_is_a_value_whose_repr_hides_its_body_and_secret_path() -> None:
    """Request values compare by content, secrets too; repr shows no JSON body and no
    secret path."""
    secret = protocol.Request(
        "POST",
        "/v1/customer-seats/claim/…",
        "claim a seat",
        json={"invitation_token": ps.Secret("tok_secret")},
        secret_path=ps.Secret("/v1/customer-seats/claim/tok_secret"),
    )
    assert secret.secret_path is not None
    assert secret.secret_path.reveal().endswith("tok_secret")
    assert "tok_secret" not in repr(secret)
    assert secret == dataclasses.replace(
        secret, secret_path=ps.Secret(secret.path[:-1] + "tok_secret")
    )
    assert secret != dataclasses.replace(secret, secret_path=ps.Secret("/v1/other"))
    assert subscriptions.page_request(2, 10) == subscriptions.page_request(2, 10)
    assert subscriptions.page_request(2, 10).label == "page 2 of claimed subscriptions"
    assert subscriptions.page_request(2, 10).page is None  # the page is the call's context


async def test_errors_carry_the_request(server: FakePolarServer) -> None:
    """An API error names the request (method, path, operation) and the page."""
    server.faults = FaultPlan({1: Fault.http_status(400)})
    async with ps.AsyncClient(server.token, base_url=server.url) as client:
        with pytest.raises(ps.APIStatusError) as caught:
            await client.list_claimed_subscriptions(page=3)
    request = caught.value.request
    assert request is not None
    assert (request.method, request.path, request.operation) == (
        "GET",
        "/v1/customer-portal/seats/subscriptions",
        "list_claimed_subscriptions",
    )
    assert ("page", "3") in request.query
    assert caught.value.page == 3


async def test_a_decode_error_names_the_request(server: FakePolarServer) -> None:
    """A 200 that is not JSON says which page of which endpoint it was."""
    server.faults = FaultPlan({1: Fault.invalid_json()})
    async with ps.AsyncClient(server.token, base_url=server.url) as client:
        with pytest.raises(ps.ResponseDecodeError, match="Page 2 of claimed subscriptions"):
            await client.list_claimed_subscriptions(page=2)


async def test_network_errors_keep_aiohttp_s_exception_as_their_cause() -> None:
    """A refused connection is a NetworkError whose __cause__ is aiohttp's, marked unsent."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    token = "polar_cst_never_in_a_message"
    async with ps.AsyncClient(token, base_url=f"http://127.0.0.1:{port}", retry=None) as client:
        with pytest.raises(ps.NetworkError) as caught:
            await client.list_claimed_subscriptions()
    assert isinstance(caught.value.__cause__, aiohttp.ClientConnectorError)
    assert caught.value.request_sent is False
    assert caught.value.request is not None
    assert token not in str(caught.value)
    assert token not in repr(caught.value)


async def test_timeouts_keep_their_cause_and_count_as_sent(server: FakePolarServer) -> None:
    """A stalled answer is a PolarTimeoutError, caused by asyncio's, and maybe processed."""
    server.faults = FaultPlan({1: Fault.stall(2.0)})
    async with ps.AsyncClient(server.token, base_url=server.url, retry=None, timeout=0.2) as client:
        with pytest.raises(ps.PolarTimeoutError) as caught:
            await client.list_claimed_subscriptions()
    assert isinstance(caught.value.__cause__, asyncio.TimeoutError)
    assert caught.value.request_sent is True


async def test_an_empty_retry_budget_says_so(
    server: FakePolarServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A retry refused by an empty budget is named in the message, on the error and in a log."""
    server.faults = FaultPlan({1: Fault.server_error(503)})
    policy = ps.RetryPolicy(retry_budget=4, retry_cost=5)
    async with ps.AsyncClient(
        server.token, base_url=server.url, retry=policy, rate_limit=None
    ) as client:
        with (
            caplog.at_level(logging.WARNING, logger="polar_seats"),
            pytest.raises(ps.ServerError) as caught,
        ):
            await client.list_claimed_subscriptions()
    assert caught.value.retry_budget_exhausted
    assert caught.value.attempts == 1
    assert "retry budget is empty" in str(caught.value)
    budget_records = [r for r in caplog.records if "retry budget is empty" in r.getMessage()]
    assert len(budget_records) == 1
    assert "page 1 of claimed subscriptions" in budget_records[0].getMessage()


async def test_a_retry_event_names_the_request(server: FakePolarServer) -> None:
    """on_retry receives the request being retried, with its label."""
    events: list[ps.RetryEvent] = []
    server.faults = FaultPlan({1: Fault.server_error(503)})
    policy = ps.RetryPolicy(on_retry=events.append)
    async with ps.AsyncClient(server.token, base_url=server.url, retry=policy) as client:
        await client.list_claimed_subscriptions(page=1)
    assert [e.request.label for e in events if e.request] == ["page 1 of claimed subscriptions"]
    assert events[0].page == 1


async def test_request_sends_any_endpoint_through_the_client(server: FakePolarServer) -> None:
    """client.request() returns plain JSON, or the model asked for, with the token sent."""
    path = "/v1/customer-portal/seats/subscriptions"
    async with ps.AsyncClient(server.token, base_url=server.url) as client:
        raw = await client.request("get", path, params={"limit": 2})
        page = await client.request("GET", path, params={"limit": 2}, model=ps.Page[Any])
    assert len(raw["items"]) == 2
    assert raw["pagination"]["total_count"] == 25
    assert len(page.items) == 2
    assert server.requests[-1].query == {"limit": "2"}
    assert server.requests[-1].token == server.token


async def test_request_errors_go_through_the_error_tree(server: FakePolarServer) -> None:
    """A failing escape-hatch call raises the same errors, naming its method and path."""
    async with ps.AsyncClient(server.token, base_url=server.url) as client:
        with pytest.raises(ps.NotFoundError) as caught:
            await client.request("GET", "/v1/nowhere")
    assert caught.value.request is not None
    assert caught.value.request.label == "GET /v1/nowhere"
    assert caught.value.page is None


async def test_request_declared_unsent_only_is_not_resent_after_a_server_error(
    server: FakePolarServer,
) -> None:
    """A request declared a write meets a 503 once and raises; the same GET is retried."""
    path = "/v1/customer-portal/seats/subscriptions"
    server.faults = FaultPlan({1: Fault.server_error(503), 2: Fault.server_error(503)})
    async with ps.AsyncClient(server.token, base_url=server.url) as client:
        with pytest.raises(ps.ServerError) as caught:
            await client.request("GET", path, retry=ps.RetryKind.UNSENT_ONLY)
        await client.request("GET", path)
    assert caught.value.attempts == 1
    assert [r.fault for r in server.requests] == ["status 503", "status 503", None]


async def test_request_resends_a_write_after_a_429(server: FakePolarServer) -> None:
    """Polar's limiter answers a 429 before the application runs: a write is resent."""
    path = "/v1/customer-portal/seats/subscriptions"
    server.faults = FaultPlan({1: Fault.rate_limited("0")})
    async with ps.AsyncClient(server.token, base_url=server.url) as client:
        await client.request("GET", path, retry=ps.RetryKind.UNSENT_ONLY)
    assert len(server.requests) == 2


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "https://api.polar.sh/v1/x"),
        ("GET", "/v1/x?page=2"),
        ("GET", "v1/x"),
        ("G ET", "/v1/x"),
    ],
)
async def test_request_refuses_what_is_not_a_path_or_method(method: str, path: str) -> None:
    """An origin, a query in the path or a bad method is a ValueError before any request."""
    async with ps.AsyncClient("polar_cst_x") as client:
        with pytest.raises(ValueError, match=r"method|path"):
            await client.request(method, path)


def test_a_client_used_from_a_second_event_loop_says_why() -> None:
    """A second asyncio.run() gets an EventLoopError that explains, not 'loop is closed'."""

    async def make() -> ps.AsyncClient:
        client = ps.AsyncClient("polar_cst_x", base_url="http://127.0.0.1:9")
        await client.__aenter__()
        return client

    client = asyncio.run(make())

    async def use() -> None:
        await client.list_claimed_subscriptions()

    with pytest.raises(ps.EventLoopError, match="event loop"):
        asyncio.run(use())
    asyncio.run(client._shared.transport.http.close())  # type: ignore[union-attr]


async def test_a_walk_in_a_plain_for_loop_says_to_use_async_for(client: ps.AsyncClient) -> None:
    """`for sub in walk` is a TypeError that names `async for`."""
    walk = client.iter_claimed_subscriptions()
    with pytest.raises(TypeError, match="async for"):
        for _ in walk:  # type: ignore[attr-defined]
            pass


def test_views_set_every_attribute_of_their_own() -> None:
    """A view holds the same attributes as its client, each set explicitly, none copied."""
    client = ps.AsyncClient("polar_cst_a")
    view = client.with_token("polar_cst_b")
    assert set(vars(view)) == set(vars(client))
    assert view._shared is client._shared
    assert view._token is not client._token
    assert repr(view).startswith("<AsyncClient view")


async def test_introspect_session_reads_the_session_behind_the_token(
    server: FakePolarServer,
) -> None:
    """introspect_session() returns the session's expiry, aware, and its return URL."""
    session = server.state.sessions[server.token]
    async with ps.AsyncClient(server.token, base_url=server.url) as client:
        info = await client.introspect_session()
    assert isinstance(info, ps.CustomerSessionInfo)
    assert info.expires_at.tzinfo is not None
    assert info.expires_at.timestamp() == pytest.approx(session.expires_at, abs=1e-3)
    assert info.return_url == session.return_url
    assert server.requests[-1].path == "/v1/customer-portal/customer-session/introspect"


async def test_introspect_session_of_an_expired_session_is_an_authentication_error(
    server: FakePolarServer,
) -> None:
    """Once the fake's clock passes the hour, a minted member session is refused."""
    session = server.state.mint_session(server.claimant.customer, server.claimant.member)
    async with ps.AsyncClient(session.token, base_url=server.url) as client:
        info = await client.introspect_session()
        assert info.expires_at.timestamp() == pytest.approx(session.expires_at, abs=1e-3)
        server.clock.advance(3601)
        with pytest.raises(ps.AuthenticationError) as caught:
            await client.introspect_session()
    assert caught.value.error == "invalid_token"
    assert caught.value.request is not None
    assert caught.value.request.label == "introspect session"
