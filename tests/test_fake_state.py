"""The stateful fake: sessions on its clock, seats by subject, rate windows, faults, fixtures."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest

import polar_seats as ps
from polar_seats.testing import (
    FAULT_KINDS,
    FakePolarServer,
    Fault,
    FaultPlan,
    make_subscriptions,
    page_body,
    page_dict,
)

LIST = "/v1/customer-portal/seats/subscriptions"
INTROSPECT = "/v1/customer-portal/customer-session/introspect"


async def call(server: FakePolarServer, path: str, token: str) -> tuple[int, Any]:
    """The status and JSON body of one GET with this token."""
    async with (
        aiohttp.ClientSession() as http,
        http.get(server.url + path, headers={"Authorization": f"Bearer {token}"}) as response,
    ):
        body = await response.read()
        return response.status, json.loads(body) if body else None


async def test_introspect_gives_the_sessions_expiry_and_return_url() -> None:
    """CustomerCustomerSession for a minted session: expires_at an hour on, its return_url."""
    async with FakePolarServer(clock=lambda: 1_700_000_000.0) as server:
        minted = server.state.mint_session(server.claimant.customer, return_url="https://x.test")
        status, body = await call(server, INTROSPECT, minted.token)
    assert status == 200
    assert body == {"expires_at": "2023-11-14T23:13:20Z", "return_url": "https://x.test"}


async def test_a_session_expires_when_the_clock_moves_an_hour(server: FakePolarServer) -> None:
    """server.clock.advance(3600) ends a minted session: invalid_token from then on."""
    minted = server.state.mint_session(server.claimant.customer)
    assert (await call(server, LIST, minted.token))[0] == 200
    server.clock.advance(3600)
    status, body = await call(server, LIST, minted.token)
    assert (status, body["error"]) == (401, "invalid_token")


async def test_a_member_session_lists_only_its_members_seats(server: FakePolarServer) -> None:
    """A customer session sees the customer's claimed seats; a member session its member's."""
    state = server.state
    team = state.add_customer(server.claimant.organization.id, "team@example.com", type="team")
    mia, owner = state.add_member(team, email="mia@example.com"), state.add_member(team)
    for body in make_subscriptions(2, seed=9):
        state.seats.append(state.claimed_seat(state.add_subscription(body), mia))
    as_mia = state.mint_session(team, mia).token
    as_owner = state.mint_session(team, owner).token
    as_team = state.mint_session(team).token
    assert as_mia.startswith("polar_mst_")
    assert as_team.startswith("polar_cst_")
    counts = [
        (await call(server, LIST, token))[1]["pagination"]["total_count"]
        for token in (as_mia, as_owner, as_team)
    ]
    assert counts == [2, 0, 2]


async def test_removing_from_subscriptions_drops_the_seat(server: FakePolarServer) -> None:
    """server.subscriptions is a view of the state: remove() deletes the claimant's seat."""
    seats = len(server.state.seats)
    server.subscriptions.remove(server.subscriptions[3])
    assert len(server.state.seats) == seats - 1
    assert len(server.subscriptions) == 24


async def test_a_discarded_token_is_an_invalid_token(server: FakePolarServer) -> None:
    """tokens.add() mints a session of the claimant; discard() revokes it."""
    server.tokens.add("polar_cst_added")
    assert (await call(server, LIST, "polar_cst_added"))[0] == 200
    server.tokens.discard("polar_cst_added")
    assert (await call(server, LIST, "polar_cst_added"))[1]["error"] == "invalid_token"


async def test_faults_none_means_no_faults(server: FakePolarServer) -> None:
    """server.faults = None answers normally (it used to answer 500)."""
    server.faults = None
    assert (await call(server, LIST, server.token))[0] == 200


async def test_a_plan_set_mid_test_counts_from_its_assignment(server: FakePolarServer) -> None:
    """Request 1 of a plan set after two requests is the server's third."""
    for _ in range(2):
        await call(server, LIST, server.token)
    server.faults = FaultPlan({1: Fault.http_status(418)})
    assert [(await call(server, LIST, server.token))[0] for _ in range(2)] == [418, 200]


async def raw_get(server: FakePolarServer, path: str) -> bytes:
    """What comes back on the socket for one GET: no retry, as aiohttp's client would do."""
    assert server.port is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {server.token}\r\n"
        "Connection: close\r\n\r\n".encode()
    )
    try:
        return await reader.read()
    except ConnectionResetError:
        return b""
    finally:
        writer.close()


async def test_an_after_fault_runs_the_route_and_loses_its_answer(
    server: FakePolarServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fault.reset(after=True): the route ran, the client saw the connection drop;
    Fault.reset() before: the route did not run."""
    ran: list[str] = []
    original = server.state.claimed_subscriptions

    def counted(session: Any) -> Any:
        ran.append(session.token)
        return original(session)

    monkeypatch.setattr(server.state, "claimed_subscriptions", counted)
    server.faults = FaultPlan({1: Fault.reset(), 2: Fault.reset(after=True)})
    assert await raw_get(server, LIST) == b""
    assert ran == []
    assert await raw_get(server, LIST) == b""
    assert ran == [server.token]
    assert [r.fault for r in server.requests] == ["reset", "reset after"]


def test_every_fault_kind_is_one_registry_entry_that_parse_reads() -> None:
    """Each kind has an entry; `@after` makes any of them hit once the route ran."""
    assert set(FAULT_KINDS) == {
        "status",
        "reset",
        "reset_mid_body",
        "truncated_json",
        "invalid_json",
        "stall",
        "slow_body",
        "endless_body",
    }
    assert Fault.parse("reset@after") == Fault.reset().after() == Fault.reset(after=True)
    assert Fault.parse("503@after").when == "after"


async def test_a_customers_tokens_share_one_window() -> None:
    """Polar counts by subject: two sessions of one customer draw on one budget."""
    async with FakePolarServer(tokens=["polar_cst_a", "polar_cst_b"], rate_limit=2) as server:
        statuses = [
            (await call(server, LIST, token))[0]
            for token in ("polar_cst_a", "polar_cst_b", "polar_cst_a", "polar_cst_b")
        ]
    assert statuses == [200, 200, 429, 429]


async def test_a_new_token_counts_first_in_its_pending_bucket() -> None:
    """With pending_auth_limit, a token's first request is not the customer's."""
    async with FakePolarServer(rate_limit=2, pending_auth_limit=60) as server:
        statuses = [(await call(server, LIST, server.token))[0] for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


async def test_a_skipped_retry_after_wait_passes_for_the_fakes_windows() -> None:
    """The fake follows testing_clock: a 429's skipped 60 s wait ends its window."""
    async with (
        FakePolarServer(rate_limit=1) as server,
        ps.AsyncClient(server.token, base_url=server.url, rate_limit=None) as client,
    ):
        await client.list_claimed_subscriptions()
        page = await client.list_claimed_subscriptions()
    assert [r.status for r in server.requests] == [200, 429, 200]
    assert page.pagination.total_count == 25


@pytest.mark.polar_fake_server(count=3, seed=1, tokens=["polar_cst_marked"])
async def test_the_marker_configures_the_fixture(
    polar_fake_server: FakePolarServer, polar_client: ps.AsyncClient
) -> None:
    """@pytest.mark.polar_fake_server(...) passes FakePolarServer's keyword arguments."""
    page = await polar_client.list_claimed_subscriptions()
    assert [sub.id for sub in page.items] == [raw["id"] for raw in make_subscriptions(3, seed=1)]
    assert polar_fake_server.token == "polar_cst_marked"


def test_page_body_builds_pages_as_polar_counts_them() -> None:
    """max_page from total and limit (clamped to 100), unless told; bytes or a dict."""
    assert page_dict([1, 2, 3], limit=2)["pagination"] == {"total_count": 3, "max_page": 2}
    assert page_dict([], total=250, limit=500)["pagination"] == {"total_count": 250, "max_page": 3}
    assert json.loads(page_body([{"id": "a"}], total=9, max_page=1)) == {
        "items": [{"id": "a"}],
        "pagination": {"total_count": 9, "max_page": 1},
    }
