"""One client, many customers: with_token() views share the pool, not the token."""

from __future__ import annotations

import asyncio

import pytest

import polar_seats as ps
from polar_seats.testing import FakePolarServer


async def test_views_send_their_own_token_over_one_session() -> None:
    """Each view authenticates as its customer; all share the client's connections."""
    tokens = [f"polar_cst_customer_{n}" for n in range(5)]
    async with (
        FakePolarServer(tokens=tokens, count=3) as server,
        ps.AsyncClient(tokens[0], base_url=server.url) as client,
    ):
        views = [client.with_token(token) for token in tokens]
        pages = await asyncio.gather(*(view.list_claimed_subscriptions() for view in views))
        assert [len(page.items) for page in pages] == [3] * 5
        assert sorted(r.token or "" for r in server.requests) == sorted(tokens)
        assert all(view._shared.transport.http is client._shared.transport.http for view in views)


async def test_making_a_view_does_no_io_and_needs_no_open_client() -> None:
    """with_token() on a client that never sent anything opens nothing."""
    client = ps.AsyncClient("polar_cst_main")
    view = client.with_token("polar_cst_other")
    assert client._shared.transport.http is None
    assert repr(view) == "<AsyncClient view https://api.polar.sh unopened>"
    await client.close()
    assert view.closed


async def test_a_view_refuses_a_bad_token() -> None:
    """The same checks as the client's: no empty token, no line breaks."""
    async with ps.AsyncClient("polar_cst_main") as client:
        with pytest.raises(ValueError, match="token"):
            client.with_token("polar_cst_x\r\nHost: evil")
        with pytest.raises(ValueError, match="empty"):
            client.with_token("")


async def test_closing_a_view_leaves_the_client_open() -> None:
    """A view's close() does nothing; closing the client closes every view."""
    async with FakePolarServer(tokens=["polar_cst_a", "polar_cst_b"]) as server:
        client = ps.AsyncClient("polar_cst_a", base_url=server.url)
        async with client.with_token("polar_cst_b") as view:
            await view.list_claimed_subscriptions()
        await client.list_claimed_subscriptions()
        await client.close()
        with pytest.raises(ps.ClientClosedError):
            await view.list_claimed_subscriptions()


async def test_each_token_has_its_own_rate_limiter() -> None:
    """Customers do not share a pace: one token's burst does not slow another's."""
    async with (
        FakePolarServer(tokens=["polar_cst_a", "polar_cst_b"]) as server,
        ps.AsyncClient(
            "polar_cst_a", base_url=server.url, rate_limit=ps.RateLimit(2, per=30.0)
        ) as client,
    ):
        await client.list_claimed_subscriptions()
        await client.list_claimed_subscriptions()
        other = client.with_token("polar_cst_b")
        await asyncio.wait_for(other.list_claimed_subscriptions(), timeout=1.0)
        assert client._limiter is not other._limiter
        assert client.with_token("polar_cst_a")._limiter is client._limiter
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(client.list_claimed_subscriptions(), timeout=0.2)


async def test_views_share_the_retry_budget() -> None:
    """Retries from every customer draw on the client's one budget."""
    async with ps.AsyncClient("polar_cst_a", retry=ps.RetryPolicy(retry_budget=10)) as client:
        view = client.with_token("polar_cst_b")
        assert view._shared.budget is client._shared.budget
        assert client._shared.budget is not None


def test_idle_limiters_are_dropped_when_many_customers_pass() -> None:
    """The per-token table does not grow without bound, and it holds no token."""
    client = ps.AsyncClient("polar_cst_main")
    client._shared.PRUNE_AT = client._shared.prune_at = 10
    for n in range(50):
        client.with_token(f"polar_cst_{n}")
    assert len(client._shared.limiters) <= 11
    assert all(isinstance(key, bytes) and b"polar" not in key for key in client._shared.limiters)


async def test_a_client_without_a_token_serves_only_through_views() -> None:
    """AsyncClient() holds no token: its own calls say to use with_token() and send
    nothing; its views work and share its pool."""
    async with FakePolarServer(count=4) as server, ps.AsyncClient(base_url=server.url) as client:
        with pytest.raises(ValueError, match=r"no customer session token.*client\.with_token"):
            await client.list_claimed_subscriptions()
        with pytest.raises(ValueError, match="no customer session token"):
            client.iter_claimed_subscriptions()
        assert server.requests == []
        assert client.rate_limit is not None
        page = await client.with_token(server.token).list_claimed_subscriptions()
        assert len(page.items) == 4
        assert server.requests[0].token == server.token


@pytest.mark.parametrize(
    ("options", "argument", "said"),
    [
        (
            {"token": "polar_oat_SECRET0123456789"},
            "token",
            "The token is an organization access token ('polar_oat_…'), not a customer "
            "session token: pass it as organization_token=",
        ),
        (
            {"token": "polar_pat_SECRET0123456789"},
            "token",
            "The token is a personal access token ('polar_pat_…'), not a customer session "
            "token: pass it as organization_token=",
        ),
        (
            {"organization_token": "polar_cst_SECRET0123456789"},
            "organization_token",
            "The organization token is a customer session token ('polar_cst_…'), not an "
            "organization access token: pass it as token=",
        ),
        (
            {"organization_token": "polar_mst_SECRET0123456789"},
            "organization_token",
            "The organization token is a member session token ('polar_mst_…'), not an "
            "organization access token: pass it as token=",
        ),
    ],
    ids=["organization-as-customer", "user-as-customer", "customer-as-org", "member-as-org"],
)
def test_a_token_of_the_other_kind_is_refused_at_construction(
    options: dict[str, str], argument: str, said: str
) -> None:
    """A token whose prefix shows it can never work where it is given: an
    InvalidArgumentError naming the argument, before any request, without the token."""
    with pytest.raises(ps.InvalidArgumentError) as refused:
        ps.AsyncClient(**options)
    assert refused.value.argument == argument
    assert str(refused.value).startswith(said)
    assert "SECRET" not in str(refused.value)


async def test_a_view_refuses_an_organization_token_as_a_customer_s() -> None:
    """with_token() checks the kind as the client does."""
    async with ps.AsyncClient(organization_token="polar_oat_org") as client:
        with pytest.raises(ps.InvalidArgumentError, match="organization access token"):
            client.with_token("polar_oat_org")


@pytest.mark.parametrize(
    "options",
    [
        {"token": "polar_mst_member"},
        {"token": "an_unknown_prefix_0123"},
        {"organization_token": "polar_pat_user"},
        {"organization_token": "an_unknown_prefix_0123"},
    ],
    ids=["member-session", "unknown-as-customer", "user-as-org", "unknown-as-org"],
)
async def test_tokens_that_may_work_are_taken(options: dict[str, str]) -> None:
    """A member session is a customer token; a personal token acts for its organizations;
    a prefix polar-seats does not know goes to Polar, which decides."""
    async with ps.AsyncClient(**options) as client:
        assert not client.closed
