"""OpenTelemetry: the spans of walks, pages, attempts and seat writes, through the fake
server over real loopback HTTP, read back from the SDK's in-memory exporter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace import SpanKind, StatusCode

import polar_seats as ps
from polar_seats.testing import (
    DEFAULT_ORGANIZATION_TOKEN,
    FakePolarServer,
    Fault,
    FaultPlan,
)
from tests.support import helpers

PAGES = "/v1/customer-portal/seats/subscriptions"


class _Switch(Sampler):
    """Records while a test of this module runs; drops every span of the other tests."""

    on = False

    def should_sample(self, *args: Any, **kwargs: Any) -> SamplingResult:
        return SamplingResult(Decision.RECORD_AND_SAMPLE if self.on else Decision.DROP)

    def get_description(self) -> str:
        return "switch"


_SWITCH = _Switch()
_EXPORTER = InMemorySpanExporter()


@pytest.fixture(scope="session")
def _provider() -> None:
    # OpenTelemetry takes one global provider per process: set once, switched per test.
    provider = TracerProvider(sampler=_SWITCH)
    provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
    trace.set_tracer_provider(provider)


@pytest.fixture
def spans(_provider: None) -> Iterator[InMemorySpanExporter]:
    _EXPORTER.clear()
    _SWITCH.on = True
    yield _EXPORTER
    _SWITCH.on = False
    _EXPORTER.clear()


def named(spans: Sequence[ReadableSpan], name: str) -> list[ReadableSpan]:
    return [span for span in spans if span.name == name]


def children(spans: Sequence[ReadableSpan], parent: ReadableSpan) -> list[ReadableSpan]:
    assert parent.context is not None
    return [
        span
        for span in spans
        if span.parent is not None and span.parent.span_id == parent.context.span_id
    ]


def attrs(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


async def test_a_walk_is_the_parent_of_its_pages_and_their_attempts(
    server: FakePolarServer, spans: InMemorySpanExporter
) -> None:
    """Three pages, two fetched ahead in tasks of their own; a 503 on page 2 retried; a
    rate limit of 2 requests a second that holds the third and fourth requests."""
    server.faults = FaultPlan(pages={2: [Fault.server_error(503)]})
    client = helpers.client_for(server, rate_limit=ps.RateLimit(2, 1.0))
    async with client:
        ids = [sub.id async for sub in client.iter_claimed_subscriptions(limit=10)]
    assert len(ids) == 25
    finished = spans.get_finished_spans()
    [walk] = named(finished, "polar_seats.iter_claimed_subscriptions")
    assert walk.parent is None
    assert walk.kind is SpanKind.INTERNAL
    assert attrs(walk) == {
        "polar_seats.start_page": 1,
        "polar_seats.limit": 10,
        "polar_seats.concurrency": 8,
    }
    pages = sorted(children(finished, walk), key=lambda span: attrs(span)["polar_seats.page"])
    assert [span.name for span in pages] == ["polar_seats.list_claimed_subscriptions"] * 3
    assert [attrs(span) for span in pages] == [
        {"polar_seats.page": n, "polar_seats.limit": 10} for n in (1, 2, 3)
    ]
    attempts = [children(finished, page) for page in pages]
    assert [[attrs(a)["http.response.status_code"] for a in each] for each in attempts] == [
        [200],
        [503, 200],
        [200],
    ]
    failed, retried = attempts[1]
    assert attrs(failed)["error.type"] == "503"
    assert failed.status.status_code is StatusCode.ERROR
    assert "http.request.resend_count" not in attrs(failed)
    assert attrs(retried)["http.request.resend_count"] == 1
    assert retried.status.status_code is StatusCode.UNSET
    assert all(span.kind is SpanKind.CLIENT for each in attempts for span in each)
    [retry] = [event for event in pages[1].events if event.name == "polar_seats.retry"]
    assert dict(retry.attributes or {}) == {
        "polar_seats.attempt": 1,
        "polar_seats.wait": pytest.approx(dict(retry.attributes or {})["polar_seats.wait"]),
        "error.type": "503",
    }
    # Four requests at two a second: at least one waited, in the page that sent it.
    waits = [
        (span, event)
        for span in finished
        for event in span.events
        if event.name == "polar_seats.rate_limit.wait"
    ]
    assert waits
    for span, event in waits:
        assert span in pages
        assert dict(event.attributes or {})["polar_seats.wait"] > 0
    assert {span.context.trace_id for span in finished if span.context} == {
        walk.context.trace_id if walk.context else 0
    }


async def test_any_walk_is_named_after_its_method_and_its_pages_after_theirs(
    server: FakePolarServer, spans: InMemorySpanExporter
) -> None:
    """The walk of the subscriptions customers pay for, made by the generic walk: its span
    and its pages' are named as the claimed subscriptions' are."""
    for _ in range(3):
        server.add_billing_customer(seats=1)
    client = ps.AsyncClient(
        organization_token=DEFAULT_ORGANIZATION_TOKEN, base_url=server.url, rate_limit=None
    )
    async with client:
        walked = [sub.id async for sub in client.iter_subscriptions(limit=2, concurrency=1)]
    assert len(walked) == 3
    finished = spans.get_finished_spans()
    [walk] = named(finished, "polar_seats.iter_subscriptions")
    pages = sorted(children(finished, walk), key=lambda span: attrs(span)["polar_seats.page"])
    assert [(span.name, attrs(span)) for span in pages] == [
        ("polar_seats.list_subscriptions", {"polar_seats.page": n, "polar_seats.limit": 2})
        for n in (1, 2)
    ]


async def test_a_client_span_follows_the_http_conventions(
    server: FakePolarServer, spans: InMemorySpanExporter
) -> None:
    tracer = trace.get_tracer("tests")
    async with helpers.client_for(server) as client:
        with tracer.start_as_current_span("caller") as caller:
            await client.list_claimed_subscriptions(page=2, limit=10)
    finished = spans.get_finished_spans()
    [page] = named(finished, "polar_seats.list_claimed_subscriptions")
    assert page.parent is not None
    assert page.parent.span_id == caller.get_span_context().span_id
    [attempt] = children(finished, page)
    assert attempt.name == "GET"
    assert attempt.kind is SpanKind.CLIENT
    assert attrs(attempt) == {
        "http.request.method": "GET",
        "server.address": "127.0.0.1",
        "server.port": server.port,
        "url.full": f"{server.url}{PAGES}?page=2&limit=10",
        "http.response.status_code": 200,
    }
    assert attempt.status.status_code is StatusCode.UNSET


@pytest.mark.parametrize(
    ("fault", "error_type"),
    [
        (Fault.reset_mid_body(), "aiohttp.client_exceptions.ClientPayloadError"),
        (Fault.stall(2.0), "timeout"),
    ],
    ids=["reset", "timeout"],
)
async def test_an_attempt_without_an_answer_has_an_error_type(
    server: FakePolarServer, spans: InMemorySpanExporter, fault: Fault, error_type: str
) -> None:
    server.faults = FaultPlan({1: fault})
    async with helpers.client_for(server, timeout=0.3) as client:
        await client.list_claimed_subscriptions()
    finished = spans.get_finished_spans()
    [page] = named(finished, "polar_seats.list_claimed_subscriptions")
    lost, answered = children(finished, page)
    assert attrs(lost)["error.type"] == error_type
    assert "http.response.status_code" not in attrs(lost)
    assert lost.status.status_code is StatusCode.ERROR
    assert attrs(answered)["http.response.status_code"] == 200
    assert [event.name for event in page.events] == ["polar_seats.retry"]


async def test_a_failed_operation_is_an_error_span_with_the_exception(
    server: FakePolarServer, spans: InMemorySpanExporter
) -> None:
    server.faults = FaultPlan({1: Fault.http_status(404, body=b'{"detail":"Not Found"}')})
    async with helpers.client_for(server) as client:
        with pytest.raises(ps.NotFoundError):
            await client.request("GET", "/v1/customer-portal/seats/subscriptions")
    [operation] = named(spans.get_finished_spans(), "polar_seats.request")
    assert operation.status.status_code is StatusCode.ERROR
    assert attrs(operation)["error.type"] == "404"
    [event] = operation.events
    assert event.name == "exception"
    assert dict(event.attributes or {})["exception.type"].endswith("NotFoundError")


async def test_a_reconciled_resend_of_a_write_is_a_retry_event_of_its_span(
    server: FakePolarServer, spans: InMemorySpanExporter
) -> None:
    """The assign's answer is lost before its route ran: the read that checks it is a span
    inside the assign's, and the resend is a retry event on the assign's span."""
    billing = server.add_billing_customer(seats=1)
    server.faults = FaultPlan({1: Fault.proxy_html(502)})
    async with ps.AsyncClient(billing.token, base_url=server.url, rate_limit=None) as client:
        await client.assign_seat(subscription_id=billing.subscription_id, email="a@x.test")
    finished = spans.get_finished_spans()
    [assign] = named(finished, "polar_seats.assign_seat")
    [check] = named(finished, "polar_seats.list_seats")
    inside = children(finished, assign)
    assert [s.name for s in inside if s.kind is SpanKind.CLIENT] == ["POST", "POST"]
    assert check in inside
    [event] = assign.events
    assert event.name == "polar_seats.retry"
    assert dict(event.attributes or {})["polar_seats.attempt"] == 1


async def test_a_custom_method_is_other_in_the_conventions(
    server: FakePolarServer, spans: InMemorySpanExporter
) -> None:
    async with helpers.client_for(server) as client:
        with pytest.raises(ps.APIStatusError):
            await client.request("PROPFIND", "/v1/customer-portal/seats/subscriptions")
    [attempt] = [s for s in spans.get_finished_spans() if s.kind is SpanKind.CLIENT]
    assert attempt.name == "HTTP"
    assert attrs(attempt)["http.request.method"] == "_OTHER"
    assert attrs(attempt)["http.request.method_original"] == "PROPFIND"


def _texts(spans: Sequence[ReadableSpan]) -> list[str]:
    """Every string a span holds: names, attribute values, event attributes, statuses."""
    found: list[str] = []
    for span in spans:
        found.append(span.name)
        found.append(span.status.description or "")
        found.extend(str(value) for value in (span.attributes or {}).values())
        for event in span.events:
            found.append(event.name)
            found.extend(str(value) for value in (event.attributes or {}).values())
        found.append(json.dumps(span.to_json()))
    return found


async def test_no_token_and_no_invitation_token_in_any_span(
    server: FakePolarServer, spans: InMemorySpanExporter
) -> None:
    """A customer view (a minted session) assigns a seat, an anonymous client reads and
    claims it (the token in the path), claims it again (refused), and a claim whose answer
    is lost (an error with its traceback): no secret in any span, event or status."""
    billing = server.add_billing_customer(seats=2)
    organization = ps.AsyncClient(
        organization_token=DEFAULT_ORGANIZATION_TOKEN, base_url=server.url, rate_limit=None
    )
    async with organization, ps.AsyncClient(base_url=server.url) as anon:
        view = organization.for_customer(customer_id=billing.customer.id)
        await view.assign_seat(subscription_id=billing.subscription_id, email="ada@x.test")
        await view.assign_seat(subscription_id=billing.subscription_id, email="bo@x.test")
        first, second = (mail.token for mail in server.outbox)
        await anon.get_claim_info(first)
        claim = await anon.claim_seat(first)
        with pytest.raises(ps.InvitationTokenError):
            await anon.claim_seat(first)
        server.faults = FaultPlan({1: Fault.reset(after=True)})
        with pytest.raises(ps.OutcomeUnknownError):
            await anon.claim_seat(second)
    secrets = [
        first,
        second,
        DEFAULT_ORGANIZATION_TOKEN,
        billing.token,
        claim.customer_session_token,
        *(session.token for session in server.minted),
    ]
    finished = spans.get_finished_spans()
    assert {span.name for span in finished} >= {
        "polar_seats.assign_seat",
        "polar_seats.create_customer_session",
        "polar_seats.get_claim_info",
        "polar_seats.claim_seat",
        "POST",
        "GET",
    }
    texts = _texts(finished)
    for secret in secrets:
        assert secret
        assert not [text for text in texts if secret in text]
    urls = {attrs(s)["url.full"] for s in finished if s.kind is SpanKind.CLIENT}
    # The claim info's path holds the token: its span shows the path as errors do.
    assert f"{server.url}/v1/customer-seats/claim/%E2%80%A6" in urls
    assert f"{server.url}/v1/customer-seats/claim" in urls


async def test_a_mint_is_a_span_inside_the_page_that_needed_it(
    server: FakePolarServer, spans: InMemorySpanExporter
) -> None:
    billing = server.add_billing_customer(seats=1)
    organization = ps.AsyncClient(
        organization_token=DEFAULT_ORGANIZATION_TOKEN, base_url=server.url, rate_limit=None
    )
    async with organization:
        view = organization.for_customer(customer_id=billing.customer.id)
        await view.list_claimed_subscriptions()
    finished = spans.get_finished_spans()
    [page] = named(finished, "polar_seats.list_claimed_subscriptions")
    [mint] = named(finished, "polar_seats.create_customer_session")
    assert mint.parent is not None
    assert page.context is not None
    assert mint.parent.span_id == page.context.span_id
    [post] = children(finished, mint)
    assert (post.name, attrs(post)["url.full"]) == ("POST", f"{server.url}/v1/customer-sessions/")


async def test_a_walk_broken_off_ends_its_span_without_an_error(
    server: FakePolarServer, spans: InMemorySpanExporter
) -> None:
    async with helpers.client_for(server) as client:
        async with client.iter_claimed_subscriptions(limit=10) as walk:
            async for _ in walk:
                break
        server.faults = FaultPlan({1: Fault.http_status(401)})
        with pytest.raises(ps.AuthenticationError):
            [sub async for sub in client.iter_claimed_subscriptions(limit=10)]
    broken, failed = named(spans.get_finished_spans(), "polar_seats.iter_claimed_subscriptions")
    assert broken.status.status_code is StatusCode.UNSET
    assert failed.status.status_code is StatusCode.ERROR
    assert attrs(failed)["error.type"] == "401"


async def test_a_walk_dropped_after_a_break_ends_its_span_at_once(
    server: FakePolarServer, spans: InMemorySpanExporter
) -> None:
    """No aclose(): the walk's span ends, without an error, as the loop lets go of it."""
    async with helpers.client_for(server) as client:
        async for _ in client.iter_claimed_subscriptions(limit=10):
            break
        [walk] = named(spans.get_finished_spans(), "polar_seats.iter_claimed_subscriptions")
    assert walk.status.status_code is StatusCode.UNSET
    [page] = children(spans.get_finished_spans(), walk)
    assert attrs(page)["polar_seats.page"] == 1


_WALK = """
import asyncio, sys
{prelude}
import polar_seats as ps
from polar_seats.testing import FakePolarServer

async def main():
    async with FakePolarServer() as server:
        async with ps.AsyncClient(server.token, base_url=server.url, rate_limit=None) as client:
            ids = [s.id async for s in client.iter_claimed_subscriptions(limit=10)]
            seat = await client.request("GET", "/v1/customer-portal/seats/subscriptions")
    return len(ids), len(seat["items"])

print(asyncio.run(main()))
from polar_seats import _tracing
request = ps.AsyncClient.request
print(_tracing.ENABLED, request.__name__, hasattr(request, "__wrapped__"))
print(sorted(m for m in sys.modules if m.startswith("opentelemetry") and sys.modules[m]))
"""


def _run(prelude: str) -> list[str]:
    script = _WALK.format(prelude=textwrap.dedent(prelude))
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env={**os.environ, "OTEL_SDK_DISABLED": ""},
    )
    return done.stdout.splitlines()


def test_without_a_tracer_provider_nothing_changes() -> None:
    """opentelemetry-api installed, no provider set: the calls work, the spans are no-ops."""
    out = _run("")
    assert out[0] == "(25, 10)"
    assert out[1] == "True request True"


def test_without_opentelemetry_nothing_is_imported() -> None:
    """The otel extra not installed: no opentelemetry module is loaded, nothing is wrapped."""
    out = _run("sys.modules['opentelemetry'] = None")
    assert out == ["(25, 10)", "False request False", "[]"]


async def test_error_types_name_the_exception(
    server: FakePolarServer, spans: InMemorySpanExporter
) -> None:
    """A body over the cap fails the attempt with the library's error, and an argument
    refused inside an operation fails it, each by its public name."""
    async with helpers.client_for(server, max_body_size=100) as client:
        with pytest.raises(ps.ResponseDecodeError):
            await client.list_claimed_subscriptions()
        with pytest.raises(ValueError, match="exactly one"):
            await client.assign_seat(email="ada@x.test")
    finished = spans.get_finished_spans()
    [attempt] = [span for span in finished if span.kind is SpanKind.CLIENT]
    assert attrs(attempt)["error.type"] == "polar_seats.ResponseDecodeError"
    [assign] = named(finished, "polar_seats.assign_seat")
    assert attrs(assign)["error.type"] == "polar_seats.InvalidArgumentError"
