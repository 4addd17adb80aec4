"""The client over real HTTP to the fake server: requests, errors, lifecycle."""

from __future__ import annotations

import asyncio
import inspect
import logging
from typing import Any

import aiohttp
import pytest

import polar_seats as ps
from polar_seats.testing import DEFAULT_TOKEN, FakePolarServer, Fault, FaultPlan


async def test_one_page_is_one_request(client: ps.AsyncClient, server: FakePolarServer) -> None:
    """list_claimed_subscriptions sends exactly one request and decodes the page."""
    page = await client.list_claimed_subscriptions(page=2, limit=10)
    assert len(server.requests) == 1
    assert server.requests[0].query == {"page": "2", "limit": "10"}
    assert [sub.id for sub in page.items] == [s["id"] for s in server.subscriptions[10:20]]
    assert page.pagination == ps.Pagination(total_count=25, max_page=3)
    assert all(isinstance(sub, ps.CustomerSubscription) for sub in page.items)


async def test_request_headers(client: ps.AsyncClient, server: FakePolarServer) -> None:
    """Bearer token, JSON accept, Polar-Version 2026-10 and a User-Agent with the version."""
    await client.list_claimed_subscriptions()
    record = server.requests[0]
    assert record.token == server.token
    assert record.headers["Accept"] == "application/json"
    assert record.headers["Polar-Version"] == "2026-10"
    assert record.headers["User-Agent"].startswith(f"polar-seats/{ps.__version__} aiohttp/")


async def test_defaults_are_page_1_limit_10(
    client: ps.AsyncClient, server: FakePolarServer
) -> None:
    """Without arguments, one page of 10 from page 1."""
    page = await client.list_claimed_subscriptions()
    assert server.requests[0].query == {"page": "1", "limit": "10"}
    assert len(page.items) == 10


@pytest.mark.parametrize(("page", "limit"), [(0, 10), (1, 0), (1, 101)])
async def test_bad_arguments_fail_before_any_request(
    client: ps.AsyncClient, server: FakePolarServer, page: int, limit: int
) -> None:
    """A page below 1 or a limit outside 1..100 raises ValueError and sends nothing."""
    with pytest.raises(ValueError, match=r"page|limit"):
        await client.list_claimed_subscriptions(page=page, limit=limit)
    assert server.requests == []


async def settled(result: object) -> None:
    """Await ``result`` if it is awaitable: some calls refuse when called, others when
    awaited."""
    if inspect.isawaitable(result):
        await result


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda c: c.list_claimed_subscriptions(page=0), "page"),
        (lambda c: c.list_claimed_subscriptions(limit=101), "limit"),
        (lambda c: c.iter_claimed_subscriptions(start_page=0), "start_page"),
        (lambda c: c.iter_claimed_subscriptions(max_items=-1), "max_items"),
        (lambda c: c.iter_claimed_subscriptions(concurrency=0), "concurrency"),
        (lambda c: c.with_token(""), "token"),
        (lambda c: c.with_token("polar_cst_abc\n"), "token"),
        (lambda c: c.request("GET", "https://api.polar.sh/v1/x"), "path"),
    ],
    ids=["page", "limit", "start_page", "max_items", "concurrency", "empty", "newline", "path"],
)
async def test_a_bad_argument_value_is_a_polar_error_naming_the_argument(
    client: ps.AsyncClient, server: FakePolarServer, call: Any, argument: str
) -> None:
    """A value no request could carry: an InvalidArgumentError (a PolarError and a
    ValueError) whose .argument names the parameter, and nothing sent."""
    with pytest.raises(ps.PolarError) as caught:
        await settled(call(client))
    assert type(caught.value) is ps.InvalidArgumentError
    assert isinstance(caught.value, ValueError)
    assert caught.value.argument == argument
    assert caught.value.request is None
    assert server.requests == []


@pytest.mark.parametrize(
    ("call", "argument", "expected"),
    [
        (lambda c: c.iter_claimed_subscriptions(limit=0), "limit", "between 1 and 100"),
        (lambda c: c.iter_claimed_subscriptions(max_items=-1), "max_items", "0 or more"),
        (
            lambda c: c.iter_claimed_subscriptions(concurrency=0),
            "concurrency",
            "a whole number of pages, 1 or more",
        ),
        (
            lambda c: ps.AsyncClient(DEFAULT_TOKEN, base_url="ftp://polar.test"),
            "base_url",
            "an http(s) URL with a host, such as https://api.polar.sh",
        ),
        (
            lambda c: ps.AsyncClient(DEFAULT_TOKEN, base_url="https://polar.test/?a=1"),
            "base_url",
            "an origin without credentials, a query or a fragment",
        ),
        (
            lambda c: ps.AsyncClient(DEFAULT_TOKEN, base_url="http://polar.test"),
            "base_url",
            "an https URL, or an http one to a loopback address (a local fake)",
        ),
        (lambda c: FaultPlan(rate=2), "rate", "between 0 and 1"),
    ],
    ids=["limit", "max_items", "concurrency", "scheme", "query", "plain http", "fault rate"],
)
async def test_a_refused_value_says_what_it_must_be_without_naming_an_argument(
    client: ps.AsyncClient, server: FakePolarServer, call: Any, argument: str, expected: str
) -> None:
    """For a front end that names arguments its own way (the command line): the argument
    in ``.given``, and what its value must be in ``.expected``, words that name none."""
    with pytest.raises(ps.InvalidArgumentError) as caught:
        await settled(call(client))
    assert (caught.value.given, caught.value.choices) == ((argument,), ())
    assert caught.value.expected == expected
    assert server.requests == []


@pytest.mark.parametrize(
    ("make", "argument"),
    [
        (lambda: ps.AsyncClient(DEFAULT_TOKEN, timeout=0), "timeout"),
        (lambda: ps.AsyncClient(DEFAULT_TOKEN, session_cache_size=0), "session_cache_size"),
        (lambda: ps.AsyncClient(DEFAULT_TOKEN, rate_limit=0), "rate_limit"),
        (lambda: ps.AsyncClient(DEFAULT_TOKEN, base_url="ftp://polar.test"), "base_url"),
        (lambda: ps.AsyncClient(DEFAULT_TOKEN, server="staging"), "server"),  # type: ignore[arg-type]
        (lambda: ps.AsyncClient(DEFAULT_TOKEN, polar_version="2026-7"), "polar_version"),
        (lambda: ps.RetryPolicy(backoff_cap=-1), "backoff_cap"),
        (lambda: ps.RetryPolicy(timeout_retry_cost=-1), "timeout_retry_cost"),
        (lambda: ps.RateLimit(10, per=0), "per"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_a_bad_setting_is_a_polar_error_naming_it(make: Any, argument: str) -> None:
    """A client setting, or a field of RetryPolicy or RateLimit, that cannot work:
    InvalidArgumentError naming it, raised as it is made."""
    with pytest.raises(ps.InvalidArgumentError) as caught:
        make()
    assert caught.value.argument == argument


@pytest.mark.parametrize("limit", [1, 10, 100])
async def test_a_page_whose_offset_overflows_polar_s_bigint_is_refused_unsent(
    client: ps.AsyncClient, server: FakePolarServer, limit: int
) -> None:
    """The last page Polar can compute is sent; the next one, a 500 every time at Polar,
    is a ValueError naming that last page, for one page and for a walk's start."""
    last = (2**63 - 1) // limit + 1
    page = await client.list_claimed_subscriptions(page=last, limit=limit)
    assert page.items == []
    assert len(server.requests) == 1
    with pytest.raises(ValueError, match=rf"page must be at most {last} with limit={limit}"):
        await client.list_claimed_subscriptions(page=last + 1, limit=limit)
    with pytest.raises(ValueError, match=rf"start_page must be at most {last} with limit"):
        client.iter_claimed_subscriptions(start_page=last + 1, limit=limit)
    assert len(server.requests) == 1
    async with aiohttp.ClientSession() as raw:
        url = f"{server.url}/v1/customer-portal/seats/subscriptions"
        query = {"page": str(last + 1), "limit": str(limit)}
        headers = {"Authorization": f"Bearer {server.token}"}
        async with raw.get(url, params=query, headers=headers) as refused:
            assert refused.status == 500


async def test_page_10_to_the_17_at_limit_100_is_refused_before_any_retry(
    client: ps.AsyncClient, server: FakePolarServer
) -> None:
    """The issue's case: no request and no retry, and the message says which page works."""
    with pytest.raises(ValueError, match="at most 92233720368547759 with limit=100"):
        await client.list_claimed_subscriptions(page=10**17, limit=100)
    assert server.requests == []


async def test_invalid_token_maps_to_authentication_error(server: FakePolarServer) -> None:
    """An unknown token: AuthenticationError with Polar's code, after one request."""
    async with ps.AsyncClient("polar_cst_revoked", base_url=server.url) as client:
        with pytest.raises(ps.AuthenticationError) as caught:
            await client.list_claimed_subscriptions()
    assert caught.value.error == "invalid_token"
    assert caught.value.attempts == 1
    assert len(server.requests) == 1


async def test_wrong_kind_of_token_maps_to_authentication_error(server: FakePolarServer) -> None:
    """An organization token on a customer endpoint: AuthenticationError with the
    `Unauthorized` code (sent through request(), since the client refuses it as token=)."""
    async with ps.AsyncClient(organization_token="polar_oat_org", base_url=server.url) as client:
        with pytest.raises(ps.AuthenticationError) as caught:
            await client.request("GET", "/v1/customer-portal/seats/subscriptions")
    assert caught.value.error == "Unauthorized"


async def test_unknown_version_maps_to_not_found(server: FakePolarServer) -> None:
    """A Polar-Version the server does not know is a VersionNotFoundError, not retried."""
    async with ps.AsyncClient(server.token, base_url=server.url, polar_version="2031-01") as c:
        with pytest.raises(ps.VersionNotFoundError):
            await c.list_claimed_subscriptions()
    assert len(server.requests) == 1


async def test_server_422_maps_to_request_validation_error(server: FakePolarServer) -> None:
    """If the server refuses the query, the 422 detail reaches the caller."""
    server.faults = FaultPlan(
        {
            1: Fault.http_status(
                422,
                headers={"Content-Type": "application/json"},
                body=b'{"error":"RequestValidationError","detail":[{"type":"greater_than",'
                b'"loc":["query","page"],"msg":"Input should be greater than 0","input":"0",'
                b'"ctx":{"gt":0}}]}',
            )
        }
    )
    async with ps.AsyncClient(server.token, base_url=server.url) as client:
        with pytest.raises(ps.RequestValidationError) as caught:
            await client.list_claimed_subscriptions()
    assert caught.value.detail[0]["loc"] == ["query", "page"]


async def test_rate_limit_error_carries_retry_after(server: FakePolarServer) -> None:
    """Without retries, a 429 surfaces as RateLimitError with retry_after from the header."""
    server.faults = FaultPlan({1: Fault.rate_limited("60")})
    async with ps.AsyncClient(server.token, base_url=server.url, retry=None) as client:
        with pytest.raises(ps.RateLimitError) as caught:
            await client.list_claimed_subscriptions()
    assert caught.value.retry_after == 60.0
    assert caught.value.status == 429


async def test_proxy_html_page_is_a_server_error_with_the_body(server: FakePolarServer) -> None:
    """An HTML 502 from a proxy is a ServerError that keeps the page, not a decode error."""
    server.faults = FaultPlan({1: Fault.proxy_html(502)})
    async with ps.AsyncClient(server.token, base_url=server.url, retry=None) as client:
        with pytest.raises(ps.ServerError) as caught:
            await client.list_claimed_subscriptions()
    assert caught.value.status == 502
    assert b"Bad Gateway" in caught.value.raw_body
    assert caught.value.body is None


async def test_invalid_json_200_is_a_decode_error_naming_the_page(
    server: FakePolarServer,
) -> None:
    """A 200 that is not JSON raises ResponseDecodeError for that page, once."""
    server.faults = FaultPlan({1: Fault.invalid_json()})
    async with ps.AsyncClient(server.token, base_url=server.url) as client:
        with pytest.raises(ps.ResponseDecodeError) as caught:
            await client.list_claimed_subscriptions(page=3)
    assert caught.value.page == 3
    assert caught.value.attempts == 1
    assert len(server.requests) == 1


async def test_connection_refused_is_a_network_error() -> None:
    """Nothing listening: NetworkError, retried, then raised with the attempt count."""
    sock_server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = sock_server.sockets[0].getsockname()[1]
    sock_server.close()
    await sock_server.wait_closed()
    policy = ps.RetryPolicy(max_attempts=2)
    async with ps.AsyncClient(
        DEFAULT_TOKEN, base_url=f"http://127.0.0.1:{port}", retry=policy
    ) as c:
        with pytest.raises(ps.NetworkError) as caught:
            await c.list_claimed_subscriptions()
    assert caught.value.attempts == 2
    assert not isinstance(caught.value, ps.PolarTimeoutError)


async def test_stall_past_the_timeout_is_a_timeout_error(server: FakePolarServer) -> None:
    """An answer slower than the per-call timeout raises PolarTimeoutError (a TimeoutError)."""
    server.faults = FaultPlan({1: Fault.stall(5.0)})
    async with ps.AsyncClient(server.token, base_url=server.url, retry=None) as client:
        with pytest.raises(TimeoutError) as caught:
            await client.list_claimed_subscriptions(timeout=0.1)
    assert isinstance(caught.value, ps.PolarTimeoutError)


async def test_client_timeout_object_is_accepted(server: FakePolarServer) -> None:
    """An aiohttp.ClientTimeout works as the client's timeout."""
    timeout = aiohttp.ClientTimeout(total=5, sock_read=2)
    async with ps.AsyncClient(server.token, base_url=server.url, timeout=timeout) as client:
        assert client.timeout is timeout
        assert len((await client.list_claimed_subscriptions()).items) == 10


@pytest.mark.parametrize("timeout", [0, -1.0, "30", True])
def test_bad_timeout_is_refused(timeout: object) -> None:
    """A timeout that is not a positive number says what it should be."""
    with pytest.raises(ValueError, match="timeout"):
        ps.AsyncClient(DEFAULT_TOKEN, timeout=timeout)  # type: ignore[arg-type]


async def test_call_after_close_is_a_clear_error(server: FakePolarServer) -> None:
    """Using a closed client raises ClientClosedError; close() twice is fine."""
    client = ps.AsyncClient(server.token, base_url=server.url)
    await client.list_claimed_subscriptions()
    await client.close()
    await client.close()
    assert client.closed
    with pytest.raises(ps.ClientClosedError, match="closed"):
        await client.list_claimed_subscriptions()
    with pytest.raises(ps.ClientClosedError):
        async with client:
            pass


async def test_a_client_closed_before_use_never_opens_a_session() -> None:
    """Closing an unused client is clean and leaves nothing open."""
    client = ps.AsyncClient(DEFAULT_TOKEN)
    await client.close()
    assert client.closed


async def test_given_session_is_used_and_not_closed(server: FakePolarServer) -> None:
    """A caller's aiohttp session carries the requests and stays open after close()."""
    async with aiohttp.ClientSession() as session:
        async with ps.AsyncClient(server.token, base_url=server.url, session=session) as client:
            await client.list_claimed_subscriptions()
        assert not session.closed
        async with session.get(server.url + "/nowhere") as response:
            assert response.status == 404


async def test_client_is_shared_between_tasks(
    client: ps.AsyncClient, server: FakePolarServer
) -> None:
    """Concurrent calls on one client each get their own page."""
    pages = await asyncio.gather(
        *(client.list_claimed_subscriptions(page=n, limit=10) for n in (1, 2, 3))
    )
    assert [len(page.items) for page in pages] == [10, 10, 5]
    assert len(server.requests) == 3


async def test_token_is_in_no_repr_message_or_log(
    server: FakePolarServer, caplog: pytest.LogCaptureFixture
) -> None:
    """repr of the client, errors and retry logs never contain the token."""
    token = "polar_cst_SECRET_never_show_me"
    server.tokens.add(token)
    server.faults = FaultPlan({1: Fault.server_error(503), 2: Fault.rate_limited("0")})
    caplog.set_level(logging.DEBUG)
    async with ps.AsyncClient(token, base_url=server.url) as client:
        assert token not in repr(client)
        await client.list_claimed_subscriptions()
    async with ps.AsyncClient(token + "x", base_url=server.url) as client:
        with pytest.raises(ps.AuthenticationError) as caught:
            await client.list_claimed_subscriptions()
    assert len(caplog.records) >= 2
    assert "SECRET" not in caplog.text
    assert "SECRET" not in str(caught.value)
    assert "SECRET" not in repr(caught.value)


def test_client_repr_names_server_and_state() -> None:
    """The repr says where the client points and whether it is open."""
    assert repr(ps.AsyncClient(DEFAULT_TOKEN, server="sandbox")) == (
        "<AsyncClient https://sandbox-api.polar.sh unopened>"
    )


async def test_redirect_is_not_followed(server: FakePolarServer) -> None:
    """A 307 to elsewhere is an error naming the target; the token is not sent there."""
    server.faults = FaultPlan(
        {1: Fault.http_status(307, headers={"Location": server.url + "/elsewhere"})}
    )
    async with ps.AsyncClient(server.token, base_url=server.url) as client:
        with pytest.raises(ps.APIStatusError, match="/elsewhere"):
            await client.list_claimed_subscriptions()
    assert len(server.requests) == 1


async def test_body_over_the_size_cap_is_refused(server: FakePolarServer) -> None:
    """A page larger than max_body_size ends in a ResponseDecodeError, not a huge read."""
    async with ps.AsyncClient(server.token, base_url=server.url, max_body_size=1000) as client:
        with pytest.raises(ps.ResponseDecodeError, match="max_body_size"):
            await client.list_claimed_subscriptions()


async def test_chunked_body_over_the_size_cap_is_refused(server: FakePolarServer) -> None:
    """A body without Content-Length is counted while it is read."""
    server.faults = FaultPlan({1: Fault.slow_body(0.01)})
    async with ps.AsyncClient(server.token, base_url=server.url, max_body_size=1000) as client:
        with pytest.raises(ps.ResponseDecodeError, match="max_body_size"):
            await client.list_claimed_subscriptions()
