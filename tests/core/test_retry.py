"""Retries through real faults from the fake server: what is retried, how long, how often."""

from __future__ import annotations

import asyncio
import collections
import functools
import logging
import random
import time

import pytest

import polar_seats as ps
from polar_seats.testing import (
    RETRYABLE_FAULTS,
    FakePolarServer,
    Fault,
    FaultPlan,
    advance_testing_clock,
)
from tests.support import helpers

ALL_RETRYABLE = [*RETRYABLE_FAULTS, Fault.stall(2.0)]


# An attempt here gives up after half a second unless a test says otherwise.
client_for = functools.partial(helpers.client_for, timeout=0.5)


async def walk_ids(client: ps.AsyncClient, limit: int = 10) -> list[str]:
    async with client:
        return [sub.id async for sub in client.iter_claimed_subscriptions(limit=limit)]


def attempt_timeout(fault: Fault) -> float:
    """Long enough that no answer times out on a busy machine, but shorter than the stall:
    only the stalled attempt gives up."""
    return 1.0 if fault.name.startswith("stall") else 30.0


def pages_requested(server: FakePolarServer) -> collections.Counter[str]:
    return collections.Counter(r.query["page"] for r in server.requests)


@pytest.mark.parametrize("concurrency", [1, 8], ids=["sequential", "prefetch"])
@pytest.mark.parametrize("fault", ALL_RETRYABLE, ids=lambda fault: fault.name)
@pytest.mark.parametrize("page", [1, 2, 3], ids=["first", "middle", "last"])
async def test_each_retryable_fault_on_each_page_loses_nothing(
    server: FakePolarServer, fault: Fault, page: int, concurrency: int
) -> None:
    """One fault on the first, middle or last page: every item once, in order."""
    server.faults = FaultPlan(pages={page: [fault]})
    timeout = attempt_timeout(fault)
    ids = await walk_ids(client_for(server, timeout=timeout, concurrency=concurrency))
    assert ids == [s["id"] for s in server.subscriptions]
    expected = collections.Counter({"1": 1, "2": 1, "3": 1})
    expected[str(page)] += 1
    assert pages_requested(server) == expected


@pytest.mark.parametrize("concurrency", [1, 8], ids=["sequential", "prefetch"])
@pytest.mark.parametrize("fault", ALL_RETRYABLE, ids=lambda fault: fault.name)
async def test_a_run_of_faults_on_one_page_is_ridden_out(
    server: FakePolarServer, fault: Fault, concurrency: int
) -> None:
    """Three faults in a row on page 2 and a fourth attempt that works: nothing lost."""
    server.faults = FaultPlan(pages={2: [fault, fault, fault]})
    timeout = attempt_timeout(fault)
    ids = await walk_ids(client_for(server, timeout=timeout, concurrency=concurrency))
    assert ids == [s["id"] for s in server.subscriptions]
    assert pages_requested(server) == {"1": 1, "2": 4, "3": 1}


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault.http_status(400, body=b'{"detail":"bad"}'), ps.BadRequestError),
        (Fault.http_status(401, body=b'{"error":"invalid_token"}'), ps.AuthenticationError),
        (Fault.http_status(403, body=b'{"detail":"Forbidden"}'), ps.PermissionDeniedError),
        (Fault.http_status(404, body=b'{"detail":"Not Found"}'), ps.NotFoundError),
        (Fault.http_status(422, body=b'{"detail":[]}'), ps.RequestValidationError),
        (Fault.http_status(501, body=b"Not Implemented"), ps.ServerError),
        (Fault.invalid_json(), ps.ResponseDecodeError),
        (Fault.truncated_json(), ps.ResponseDecodeError),
    ],
    ids=lambda value: getattr(value, "name", None) or getattr(value, "__name__", "?"),
)
async def test_non_retryable_failure_raises_after_one_request(
    server: FakePolarServer, fault: Fault, error: type[ps.PolarError]
) -> None:
    """4xx other than 408/429, 501 and complete bodies that do not decode: no retry."""
    server.faults = FaultPlan({1: fault})
    async with client_for(server) as client:
        with pytest.raises(error) as caught:
            await client.list_claimed_subscriptions()
    assert type(caught.value) is error
    assert caught.value.attempts == 1
    assert len(server.requests) == 1


async def test_attempts_are_capped(server: FakePolarServer) -> None:
    """A lasting outage: exactly max_attempts requests, then the real error."""
    server.faults = FaultPlan(rate=1.0, choices=[Fault.server_error(503)])
    async with client_for(server, retry=ps.RetryPolicy(max_attempts=3)) as client:
        with pytest.raises(ps.ServerError) as caught:
            await client.list_claimed_subscriptions()
    assert caught.value.status == 503
    assert caught.value.attempts == 3
    assert len(server.requests) == 3
    assert caught.value.retry_elapsed is not None
    assert caught.value.retry_elapsed >= 0
    message = str(caught.value)
    assert message.startswith("Polar failed with 503: 'Internal Server Error'")
    assert message.endswith(
        f"Gave up after 3 attempts over {caught.value.retry_elapsed:.1f} s "
        "(the policy's max_attempts=3)."
    )


async def test_a_failure_not_retried_after_retries_says_nothing_of_giving_up(
    server: FakePolarServer,
) -> None:
    """A 503, then a 404: the 404 is raised as Polar sent it, with the two attempts."""
    server.faults = FaultPlan(
        {1: Fault.server_error(503), 2: Fault.http_status(404, body=b'{"detail":"Not Found"}')}
    )
    async with client_for(server) as client:
        with pytest.raises(ps.NotFoundError) as caught:
            await client.list_claimed_subscriptions()
    assert caught.value.attempts == 2
    assert caught.value.retry_elapsed is not None
    assert "Gave up" not in str(caught.value)


async def test_a_first_failure_never_retried_has_no_retry_elapsed(
    server: FakePolarServer,
) -> None:
    """No retry ran, so there is no time spent retrying to report."""
    server.faults = FaultPlan({1: Fault.http_status(404, body=b'{"detail":"Not Found"}')})
    async with client_for(server) as client:
        with pytest.raises(ps.NotFoundError) as caught:
            await client.list_claimed_subscriptions()
    assert caught.value.retry_elapsed is None
    assert "Gave up" not in str(caught.value)


async def test_retry_none_sends_one_request(server: FakePolarServer) -> None:
    """retry=None: the first failure is final."""
    server.faults = FaultPlan({1: Fault.server_error(500)})
    async with client_for(server, retry=None) as client:
        with pytest.raises(ps.ServerError):
            await client.list_claimed_subscriptions()
    assert len(server.requests) == 1


@pytest.mark.parametrize("connection", ["new", "kept-alive"])
@pytest.mark.parametrize("session", ["own", "given"])
async def test_aiohttp_sends_nothing_again_by_itself(
    server: FakePolarServer, connection: str, session: str
) -> None:
    """retry=None: a GET reset before its answer, on a new connection or a kept-alive
    one, over the client's session or one passed in, is one request and a NetworkError."""
    first = 1 if connection == "new" else 2
    server.faults = FaultPlan({first: Fault.reset()})
    async with helpers.Connections() as connections:
        given = {"session": connections.session} if session == "given" else {}
        async with client_for(server, retry=None, **given) as client:
            for _ in range(first - 1):
                await client.list_claimed_subscriptions()
            with pytest.raises(ps.NetworkError) as caught:
                await client.list_claimed_subscriptions()
    assert caught.value.attempts == 1
    assert len(server.requests) == first


@pytest.mark.parametrize("connection", ["new", "kept-alive"])
async def test_a_read_reset_before_its_answer_is_resent_by_the_retry_loop(
    server: FakePolarServer, connection: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The resend of a reset GET is the library's: passed to on_retry, logged, counted in
    the attempts of the error when every attempt fails."""
    first = 1 if connection == "new" else 2
    server.faults = FaultPlan({first: Fault.reset()})
    events: list[ps.RetryEvent] = []
    caplog.set_level(logging.WARNING, logger="polar_seats")
    async with client_for(server, retry=ps.RetryPolicy(on_retry=events.append)) as client:
        for _ in range(first):
            await client.list_claimed_subscriptions()
        server.faults = FaultPlan(rate=1.0, choices=[Fault.reset()])
        with pytest.raises(ps.NetworkError) as caught:
            await client.list_claimed_subscriptions()
    assert [(e.attempt, type(e.error)) for e in events] == [
        (1, ps.NetworkError),
        *((n, ps.NetworkError) for n in (1, 2, 3)),
    ]
    assert caught.value.attempts == 4
    # Seen once under heavy load: 6 recorded. What the server saw, should it happen again.
    seen = [(r.number, r.status, r.fault) for r in server.requests]
    assert len(server.requests) == first + 1 + 4, (seen, [str(e.error) for e in events])
    assert [r.getMessage().split(" in ")[0] for r in caplog.records] == [
        "Retrying page 1 of claimed subscriptions"
    ] * 4


async def test_a_closed_client_reports_no_attempt(server: FakePolarServer) -> None:
    """A call after close() sent nothing, and its ClientClosedError says attempts=0."""
    client = client_for(server)
    await client.close()
    with pytest.raises(ps.ClientClosedError) as caught:
        await client.list_claimed_subscriptions()
    assert caught.value.attempts == 0
    assert server.requests == []


async def test_a_client_closed_between_retries_reports_the_requests_sent(
    server: FakePolarServer,
) -> None:
    """Closed during the wait after a 503: one request went out, and attempts says 1."""
    server.faults = FaultPlan({1: Fault.server_error(503)})
    closing: list[asyncio.Future[None]] = []
    client = client_for(
        server,
        retry=ps.RetryPolicy(
            on_retry=lambda _: closing.append(asyncio.ensure_future(client.close()))
        ),
    )
    with pytest.raises(ps.ClientClosedError) as caught:
        await client.list_claimed_subscriptions()
    await asyncio.gather(*closing)
    assert caught.value.attempts == 1
    assert len(server.requests) == 1


async def test_deadline_stops_before_a_wait_that_would_pass_it(server: FakePolarServer) -> None:
    """Waits of 30 s and a 100 s deadline: attempts at 0, 30, 60, 90 and no fifth."""
    server.faults = FaultPlan(rate=1.0, choices=[Fault.rate_limited("30")])
    policy = ps.RetryPolicy(max_attempts=10, deadline=100.0)
    async with client_for(server, retry=policy) as client:
        with pytest.raises(ps.RateLimitError) as caught:
            await client.list_claimed_subscriptions()
    assert caught.value.attempts == 4
    assert len(server.requests) == 4
    # The skipped waits count on the deadline's clock: 90 s, and less than the deadline.
    elapsed = caught.value.retry_elapsed
    assert elapsed is not None
    assert 90.0 <= elapsed < 100.0
    assert str(caught.value).endswith(
        f"Gave up after 4 attempts over {elapsed:.1f} s (the next wait, 30.0 s, would end "
        "past the policy's deadline=100 s)."
    )


async def test_an_attempt_the_deadline_stopped_before_it_was_sent_is_not_counted(
    server: FakePolarServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wait that overran the deadline (a busy loop): the next attempt sends nothing, and
    neither attempts nor the message count it."""

    async def overslept(seconds: float) -> None:
        advance_testing_clock(seconds + 20.0)

    monkeypatch.setattr("polar_seats._retry.retry_sleep", overslept)
    server.faults = FaultPlan(rate=1.0, choices=[Fault.server_error(503)])
    async with client_for(server, retry=ps.RetryPolicy(deadline=10.0)) as client:
        with pytest.raises(ps.PolarTimeoutError) as caught:
            await client.list_claimed_subscriptions()
    assert len(server.requests) == 1
    assert caught.value.attempts == 1
    message = str(caught.value)
    assert message.startswith("The call's deadline passed before the next attempt.")
    assert "Gave up after 1 attempt over" in message
    assert message.endswith("would end past the policy's deadline=10 s).")


async def test_deadline_bounds_a_single_slow_attempt(server: FakePolarServer) -> None:
    """A deadline shorter than the timeout cuts the attempt at the deadline."""
    server.faults = FaultPlan(rate=1.0, choices=[Fault.stall(5.0)])
    policy = ps.RetryPolicy(deadline=0.3)
    started = time.monotonic()
    async with client_for(server, retry=policy, timeout=10.0) as client:
        with pytest.raises(ps.PolarTimeoutError):
            await client.list_claimed_subscriptions()
    assert time.monotonic() - started < 2.0


async def test_retry_after_is_honoured(server: FakePolarServer) -> None:
    """A 429's Retry-After is the wait, in seconds or as an HTTP date."""
    future = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 120))
    server.faults = FaultPlan({1: Fault.rate_limited("7"), 2: Fault.rate_limited(future)})
    events: list[ps.RetryEvent] = []
    policy = ps.RetryPolicy(retry_after_cap=300.0, deadline=None, on_retry=events.append)
    async with client_for(server, retry=policy) as client:
        page = await client.list_claimed_subscriptions()
    assert len(page.items) == 10
    assert events[0].wait == 7.0
    assert 100.0 <= events[1].wait <= 121.0
    assert [event.attempt for event in events] == [1, 2]
    assert all(isinstance(event.error, ps.RateLimitError) for event in events)


async def test_retry_after_above_the_cap_raises_at_once(server: FakePolarServer) -> None:
    """Polar's Retry-After: 60 against a 30 s cap: RateLimitError after one request."""
    server.faults = FaultPlan({1: Fault.rate_limited("60")})
    async with client_for(server, retry=ps.RetryPolicy(retry_after_cap=30.0)) as client:
        with pytest.raises(ps.RateLimitError) as caught:
            await client.list_claimed_subscriptions()
    assert caught.value.retry_after == 60.0
    assert caught.value.attempts == 1
    assert len(server.requests) == 1
    assert "Gave up after 1 attempt over" in str(caught.value)
    assert str(caught.value).endswith(
        "(Polar asked for a wait of 60 s, over the policy's retry_after_cap=30 s)."
    )


async def test_retry_after_at_the_cap_is_waited(server: FakePolarServer) -> None:
    """Polar's usual Retry-After: 60 is within the default cap and is waited out."""
    server.faults = FaultPlan({1: Fault.rate_limited("60")})
    events: list[ps.RetryEvent] = []
    async with client_for(server, retry=ps.RetryPolicy(on_retry=events.append)) as client:
        await client.list_claimed_subscriptions()
    assert [event.wait for event in events] == [60.0]


def test_backoff_is_full_jitter_within_the_cap() -> None:
    """Waits are uniform in [0, min(cap, base * 2**(attempt-1))]."""
    policy = ps.RetryPolicy(backoff_base=0.5, backoff_cap=8.0)
    random.seed(3)
    for attempt, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (5, 8.0), (9, 8.0)]:
        waits = [policy.backoff(attempt) for _ in range(200)]
        assert all(0 <= wait <= ceiling for wait in waits)
        assert max(waits) > ceiling * 0.8
        assert min(waits) < ceiling * 0.2


async def test_retry_budget_drains_in_an_outage_and_refills(server: FakePolarServer) -> None:
    """A 20-token budget at 5 a retry: 4 retries in all, then first failures surface."""
    policy = ps.RetryPolicy(max_attempts=4, retry_budget=20, retry_cost=5)
    server.faults = FaultPlan(rate=1.0, choices=[Fault.server_error(503)])
    async with client_for(server, retry=policy) as client:
        attempts = []
        for _ in range(3):
            with pytest.raises(ps.ServerError) as caught:
                await client.list_claimed_subscriptions()
            attempts.append(caught.value.attempts)
        assert attempts == [4, 2, 1]
        server.faults = FaultPlan()
        for _ in range(5):
            await client.list_claimed_subscriptions()
        # Five successes earned back five tokens: one retry.
        server.faults = FaultPlan(rate=1.0, choices=[Fault.server_error(503)])
        with pytest.raises(ps.ServerError) as caught:
            await client.list_claimed_subscriptions()
        assert caught.value.attempts == 2


async def test_timeouts_cost_more_of_the_budget(server: FakePolarServer) -> None:
    """A retry after a timeout costs 10 tokens: a 20-token budget pays for two."""
    policy = ps.RetryPolicy(max_attempts=4, retry_budget=20)
    server.faults = FaultPlan(rate=1.0, choices=[Fault.stall(1.0)])
    async with client_for(server, retry=policy, timeout=0.05) as client:
        with pytest.raises(ps.PolarTimeoutError) as caught:
            await client.list_claimed_subscriptions()
    assert caught.value.attempts == 3


async def test_retries_are_logged_and_counted_without_the_token(
    server: FakePolarServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Each retry logs page, attempt, wait and reason on `polar_seats`; on_retry sees it."""
    server.faults = FaultPlan({1: Fault.reset_mid_body(), 2: Fault.server_error(502)})
    events: list[ps.RetryEvent] = []
    caplog.set_level(logging.DEBUG, logger="polar_seats")
    async with client_for(server, retry=ps.RetryPolicy(on_retry=events.append)) as client:
        await client.list_claimed_subscriptions(page=2)
    records = [r for r in caplog.records if r.name == "polar_seats"]
    assert len(records) == 2
    assert "Retrying page 2" in records[0].getMessage()
    assert "attempt 2 failed: Polar failed with 502" in records[1].getMessage()
    assert [type(event.error) for event in events] == [ps.NetworkError, ps.ServerError]
    assert server.token not in caplog.text


async def test_cancellation_is_never_retried(server: FakePolarServer) -> None:
    """Cancelling a call during a stalled attempt ends it: one request, CancelledError."""
    server.faults = FaultPlan(rate=1.0, choices=[Fault.stall(5.0)])
    arrived = asyncio.Event()
    server.on_request = lambda record: arrived.set()
    async with client_for(server, timeout=10.0) as client:
        task = asyncio.create_task(client.list_claimed_subscriptions())
        await arrived.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(0.05)
    assert len(server.requests) == 1


def test_policy_refuses_nonsense() -> None:
    """Settings that cannot work are refused with the reason."""
    with pytest.raises(ValueError, match="max_attempts"):
        ps.RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="deadline"):
        ps.RetryPolicy(deadline=0)
    with pytest.raises(ValueError, match="negative"):
        ps.RetryPolicy(backoff_base=-1)
    with pytest.raises(ValueError, match="retry_cost"):
        ps.RetryPolicy(retry_cost=-1)
    with pytest.raises(ValueError, match="retry_budget"):
        ps.RetryPolicy(retry_budget=-5)


def test_set_testing_as_a_context_manager_restores_the_previous_state() -> None:
    """`with set_testing(False):` switches waits back on, then restores the test mode."""
    from polar_seats import _clock
    from polar_seats.testing import set_testing

    assert _clock._testing.enabled
    with set_testing(False):
        assert not _clock._testing.enabled
    assert _clock._testing.enabled


async def test_testing_clock_counts_the_skipped_waits() -> None:
    """A skipped wait moves testing_clock() forward by its length."""
    from polar_seats import _clock
    from polar_seats.testing import testing_clock

    before = testing_clock()
    await _clock.retry_sleep(120.0)
    assert testing_clock() - before >= 120.0
