"""The stateful fake: sessions on its clock, seats by subject, rate windows, faults, fixtures."""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any

import aiohttp
import pytest

import polar_seats as ps
from polar_seats.testing import (
    DEFAULT_ORGANIZATION_TOKEN,
    FAULT_KINDS,
    FakePolarServer,
    Fault,
    FaultPlan,
    make_subscriptions,
    page_body,
    page_dict,
)
from polar_seats.testing._core.middleware import RateWindows
from polar_seats.testing._core.validation import Invalid, http_url, uuid4
from tests.real_polar.test_real_polar import schema
from tests.support.helpers import Lockstep

LIST = "/v1/customer-portal/seats/subscriptions"
SESSION_CONTRACT = schema("customer-sessions.openapi.json", "CustomerSession")
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


SESSIONS = "/v1/customer-sessions/"
NOW = 1_700_000_000.0


async def mint(
    server: FakePolarServer, body: Any, token: str = DEFAULT_ORGANIZATION_TOKEN
) -> tuple[int, Any]:
    """The status and JSON body of one POST /v1/customer-sessions/ with this token."""
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            server.url + SESSIONS, json=body, headers={"Authorization": f"Bearer {token}"}
        ) as response,
    ):
        body = await response.read()
        return response.status, json.loads(body) if body else None


async def test_every_mint_is_a_new_hour_long_session_and_old_ones_stay() -> None:
    """Two mints, two live tokens; each ends an hour after it was minted, on the fake's clock."""
    async with FakePolarServer(clock=lambda: NOW) as server:
        user = server.add_customer(external_id="user-1")
        first = (await mint(server, {"external_customer_id": "user-1"}))[1]
        server.clock.advance(1800)
        second = (await mint(server, {"customer_id": user.id}))[1]
        assert first["expires_at"] == "2023-11-14T23:13:20Z"
        server.clock.advance(1800)
        assert (await call(server, LIST, first["token"]))[1]["error"] == "invalid_token"
        status, page = await call(server, LIST, second["token"])
    assert (status, page["pagination"]["total_count"]) == (200, 1)
    assert server.sessions_minted(user) == 2


async def test_a_revoked_session_is_an_invalid_token(server: FakePolarServer) -> None:
    """server.revoke_session(token): the portal answers invalid_token from the next call."""
    server.add_customer(external_id="user-2")
    token = (await mint(server, {"external_customer_id": "user-2"}))[1]["token"]
    assert (await call(server, INTROSPECT, token))[0] == 200
    server.revoke_session(token)
    assert (await call(server, INTROSPECT, token))[1]["error"] == "invalid_token"


async def test_a_token_without_the_scope_gets_insufficient_scope(server: FakePolarServer) -> None:
    """An organization token lacking customer_sessions:write: 403 as authlib writes it."""
    org = server.claimant.organization
    weak = server.state.add_organization_token(org, frozenset({"customer_seats:read"})).token
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            server.url + SESSIONS,
            json={"customer_id": server.claimant.customer.id},
            headers={"Authorization": f"Bearer {weak}"},
        ) as response,
    ):
        assert response.status == 403
        assert response.headers["WWW-Authenticate"] == (
            'Bearer realm="polar", scope="customer_sessions:write", error="insufficient_scope", '
            'error_description="The request requires higher privileges than provided by the '
            'access token."'
        )
        assert (response.headers["Cache-Control"], response.headers["Pragma"]) == (
            "no-store",
            "no-cache",
        )
        assert await response.json() == {
            "error": "insufficient_scope",
            "error_description": (
                "The request requires higher privileges than provided by the access token."
            ),
        }


async def member_model_server() -> FakePolarServer:
    server = FakePolarServer()
    server.claimant.organization.member_model_enabled = True
    await server.start()
    return server


async def test_the_member_model_mints_member_sessions_for_the_given_member() -> None:
    """member_id or external_member_id: a polar_mst_ session that lists that member's seats."""
    server = await member_model_server()
    try:
        team = server.add_customer(
            email="team@example.com",
            type="team",
            members={"boss@example.com": "owner", "mia@example.com": "member"},
        )
        mia = next(m for m in server.state.members.values() if m.email == "mia@example.com")
        mia.external_id = "mia-ext"
        by_id = (await mint(server, {"customer_id": team.id, "member_id": mia.id}))[1]
        by_ext = await mint(server, {"customer_id": team.id, "external_member_id": "mia-ext"})
        assert by_id["token"].startswith("polar_mst_")
        assert "email=mia%40example.com" in by_id["customer_portal_url"]
        assert (await call(server, INTROSPECT, by_ext[1]["token"]))[0] == 200
        user = await call(server, "/v1/customer-portal/customer-session/user", by_id["token"])
        assert user[1] == {
            "type": "member",
            "name": None,
            "email": "mia@example.com",
            "customer_id": team.id,
            "member_id": mia.id,
            "role": "member",
        }
        assert server.sessions_minted(mia) == 2
    finally:
        await server.close()


async def test_the_member_model_refuses_as_polar_does() -> None:
    """A team without a member, an unknown member: Polar's 422 value errors."""
    server = await member_model_server()
    try:
        team = server.add_customer(type="team", members={"boss@example.com": "owner"})
        nobody = "7c72830b-a580-41c1-b6f1-b2a367863d73"
        answers = [
            await mint(server, {"customer_id": team.id}),
            await mint(server, {"customer_id": team.id, "member_id": nobody}),
        ]
    finally:
        await server.close()
    assert [(status, body["error"]) for status, body in answers] == [
        (422, "PolarRequestValidationError")
    ] * 2
    assert [body["detail"] for _, body in answers] == [
        [
            {
                "type": "value_error",
                "loc": ["body", "member_id"],
                "msg": "member_id is required for team customers.",
                "input": None,
            }
        ],
        [
            {
                "type": "value_error",
                "loc": ["body", "member_id"],
                "msg": "Member does not exist for this customer.",
                "input": nobody,
            }
        ],
    ]


async def test_a_team_of_the_member_model_has_no_email_as_polar_s_may() -> None:
    """Its member's session answers `customer.email: null` (and no avatar), which fits the
    contract's CustomerTeam; the portal URL carries the member's email."""
    server = await member_model_server()
    try:
        team = server.add_customer(external_id="team-9", type="team", members={"a@x.test": "owner"})
        owner = server.state.owner(team)
        assert owner is not None
        status, body = await mint(server, {"external_customer_id": "team-9", "member_id": owner.id})
    finally:
        await server.close()
    assert status == 201
    assert (team.email, body["customer"]["type"], body["customer"]["email"]) == (None, "team", None)
    assert (body["customer"]["avatar_url"], body["customer"]["email_verified"]) == (None, False)
    assert "email=a%40x.test" in body["customer_portal_url"]
    assert list(SESSION_CONTRACT.iter_errors(body)) == []


def test_only_a_team_customer_may_have_no_email(server: FakePolarServer) -> None:
    """An individual customer without an email is refused, as Polar's contract requires one;
    so is a member of a team without an address of its own."""
    organization = server.claimant.organization.id
    with pytest.raises(ValueError, match="type='team'"):
        server.state.add_customer(organization, None)
    team = server.state.add_customer(organization, None, type="team")
    with pytest.raises(ValueError, match="pass email="):
        server.state.add_member(team)


async def test_an_individual_without_an_owner_gets_one_provisioned() -> None:
    """As Polar's create_owner_member: the member model mints for a new owner member."""
    server = await member_model_server()
    try:
        lone = server.state.add_customer(
            server.claimant.organization.id, "lone@example.com", external_id="lone"
        )
        status, body = await mint(server, {"customer_id": lone.id})
    finally:
        await server.close()
    owner = server.state.owner(lone)
    assert (status, body["token"][:10]) == (201, "polar_mst_")
    assert owner is not None
    assert (owner.email, owner.external_id) == ("lone@example.com", "lone")


async def test_a_users_token_meets_polar_s_409_for_a_shared_external_id(
    server: FakePolarServer,
) -> None:
    """A personal access token of a user in two organizations, each with a customer "dup":
    Polar's 409 body by external id; by customer id, or for an id one of them holds, a 201;
    a customer of an organization the user is not in does not exist for it."""
    state = server.state
    other = state.add_organization(
        {"id": "5d7e6c1a-9b8f-4c2d-8e3f-1a2b3c4d5e6f", "slug": "o2", "name": "O2"}
    )
    outside = state.add_organization(
        {"id": "9e8d7c6b-5a4f-4e3d-9c2b-1a0f9e8d7c6b", "slug": "o3", "name": "O3"}
    )
    mine = server.add_customer(external_id="dup")
    server.add_customer(external_id="dup", organization=other)
    server.add_customer(external_id="solo", organization=other)
    server.add_customer(external_id="elsewhere", organization=outside)
    pat = state.add_user_token(
        [server.claimant.organization, other], frozenset({"customer_sessions:write"})
    ).token
    assert pat.startswith("polar_pat_")
    answers = [
        await mint(server, {"external_customer_id": "dup"}, pat),
        await mint(server, {"customer_id": mine.id}, pat),
        await mint(server, {"external_customer_id": "solo"}, pat),
        await mint(server, {"external_customer_id": "elsewhere"}, pat),
    ]
    assert answers[0] == (
        409,
        {
            "error": "AmbiguousExternalCustomerID",
            "detail": "Several customers across your organizations share this external "
            "customer ID. Use an organization-scoped token, the Polar customer ID, or a "
            "unique external ID to disambiguate.",
        },
    )
    assert [status for status, _ in answers[1:]] == [201, 201, 422]
    assert answers[2][1]["customer"]["organization_id"] == other.id
    assert server.sessions_minted() == 2


async def test_a_users_token_reaches_the_seats_of_each_of_its_organizations(
    server: FakePolarServer,
) -> None:
    """The organization side of seats takes a user's token with the scope, for a
    subscription of any organization the user is in, and none of another's."""
    state = server.state
    other = state.add_organization(
        {"id": "5d7e6c1a-9b8f-4c2d-8e3f-1a2b3c4d5e6f", "slug": "o2", "name": "O2"}
    )
    here = server.add_billing_customer(seats=2)
    there = server.add_billing_customer(seats=3, organization=other)
    both = state.add_user_token(
        [server.claimant.organization, other], frozenset({"customer_seats:read"})
    ).token
    one = state.add_user_token([other], frozenset({"customer_seats:read"})).token
    listed = [
        await call(server, f"/v1/customer-seats?subscription_id={billing.subscription_id}", token)
        for token, billing in ((both, here), (both, there), (one, there), (one, here))
    ]
    assert [status for status, _ in listed] == [200, 200, 200, 404]
    assert [body["total_seats"] for _, body in listed[:3]] == [2, 3, 3]


async def test_concurrent_first_mints_are_counted_per_customer(server: FakePolarServer) -> None:
    """100 customers minted at once: 100 sessions, one each; seeded sessions do not count."""
    users = [server.add_customer(external_id=f"user-{i}") for i in range(100)]
    server.state.mint_session(users[0])
    answers = await asyncio.gather(
        *(mint(server, {"external_customer_id": f"user-{i}"}) for i in range(100))
    )
    assert {status for status, _ in answers} == {201}
    assert server.sessions_minted() == 100
    assert {server.sessions_minted(user) for user in users} == {1}


async def test_a_team_customer_lists_for_each_member() -> None:
    """add_customer(type="team", members=...): each member holds a seat on each subscription."""
    async with FakePolarServer() as server:
        team = server.add_customer(
            type="team",
            subscriptions=2,
            members={"a@example.com": "owner", "b@example.com": "billing_manager"},
        )
        members = [m for m in server.state.members.values() if m.customer_id == team.id]
        totals = [
            (await call(server, LIST, server.state.mint_session(team, m).token))[1] for m in members
        ]
    assert [m.role for m in members] == ["owner", "billing_manager"]
    assert [t["pagination"]["total_count"] for t in totals] == [2, 2]


async def test_minting_counts_in_the_organizations_window() -> None:
    """Polar's subject for an organization token is the organization: one budget for all."""
    async with FakePolarServer(rate_limit=2) as server:
        server.add_customer(external_id="user-3")
        statuses = [(await mint(server, {"external_customer_id": "user-3"}))[0] for _ in "abc"]
        # The portal's customer has a budget of its own.
        assert (await call(server, LIST, server.token))[0] == 200
    assert statuses == [201, 201, 429]


def test_a_window_opens_at_its_first_request_exactly() -> None:
    """The window of a bucket first hit at t=10 ends at t=70, not a moment earlier."""
    windows = RateWindows()
    assert windows.hit("customer:a", 1, now=10.0, length=60.0)
    assert not windows.hit("customer:a", 1, now=69.9, length=60.0)
    assert windows.hit("customer:a", 1, now=70.0, length=60.0)


async def test_latency_holds_each_request_before_it_is_counted() -> None:
    """latency=(low, high): seeded draws, waited before the request is recorded or counted."""
    server = FakePolarServer(latency=(0.05, 0.1), seed=3)
    same = FakePolarServer(latency=(0.05, 0.1), seed=3)
    draws = [server.arrival_delay() for _ in range(5)]
    assert draws == [same.arrival_delay() for _ in range(5)]
    assert all(0.05 <= d <= 0.1 for d in draws)
    async with server:
        started = time.monotonic()
        await call(server, LIST, server.token)
    assert server.requests[0].received_at - started >= 0.05
    with pytest.raises(ValueError, match="latency"):
        FakePolarServer(latency=(0.2, 0.1))


def test_a_seeded_fake_makes_the_same_tokens() -> None:
    """Invitation, session and access tokens come from the seed: the same steps on two fakes
    of one seed make the same ones, another seed others, each as Polar's look."""

    def tokens(seed: int) -> list[str]:
        state = FakePolarServer(seed=seed).state
        customer = next(iter(state.customers.values()))
        organization = next(iter(state.organizations.values()))
        return [
            state.new_invitation_token(),
            state.new_invitation_token(),
            state.mint_session(customer).token,
            state.add_organization_token(organization, frozenset()).token,
        ]

    made = tokens(7)
    assert made == tokens(7)
    assert not set(made) & set(tokens(8))
    assert made[0] != made[1]
    assert [len(token) for token in made] == [43, 43, 53, 53]
    assert all(re.fullmatch(r"(polar_(cst|oat)_)?[A-Za-z0-9_-]{43}", token) for token in made)


async def test_a_write_without_content_length_gets_411_before_routing(
    server: FakePolarServer,
) -> None:
    """Polar's MaxBodySizeMiddleware: 411 LengthRequired even where the method is not allowed."""
    assert server.port is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(f"POST {LIST} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    answer = await reader.read()
    writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 411")
    assert b"cache-control" not in head.lower()
    assert json.loads(body) == {
        "error": "LengthRequired",
        "detail": "A Content-Length header is required.",
    }


@pytest.mark.parametrize(
    ("given", "error"),
    [
        ("abc", "invalid length: expected length 32 for simple format, found 3"),  # recorded
        ("ff39-6d0b", "invalid group count: expected 5, found 2"),
        (
            "ff396d0b-2d8e-4274-9d4f-4d82d6bb7cc",
            "invalid group length in group 4: expected 12, found 11",
        ),
        (
            "zf396d0b-2d8e-4274-9d4f-4d82d6bb7ccf",
            "invalid character: expected an optional prefix of `urn:uuid:` followed by "
            "[0-9a-fA-F-], found `z` at 1",
        ),
    ],
)
def test_uuids_fail_with_the_uuid_crates_messages(given: str, error: str) -> None:
    """pydantic's uuid_parsing entries, worded as Polar's server (pydantic-core 2.46) words them."""
    with pytest.raises(Invalid) as raised:
        uuid4(given)
    assert (raised.value.kind, raised.value.ctx) == ("uuid_parsing", {"error": error})


def test_uuid4_and_http_url_read_values_as_pydantic_does() -> None:
    """Simple-form UUIDs are canonicalised, other versions refused; a bare host gets '/'."""
    assert uuid4("FF396D0B2D8E42749D4F4D82D6BB7CCF") == "ff396d0b-2d8e-4274-9d4f-4d82d6bb7ccf"
    with pytest.raises(Invalid, match="UUID version 4 expected"):
        uuid4("ff396d0b-2d8e-1274-9d4f-4d82d6bb7ccf")
    assert http_url("https://example.com") == "https://example.com/"
    assert http_url("https://app.example.com/back?x=1") == "https://app.example.com/back?x=1"
    for bad, kind in (("ftp://x", "url_scheme"), ("nope", "url_parsing"), ("", "url_parsing")):
        with pytest.raises(Invalid) as raised:
            http_url(bad)
        assert raised.value.kind == kind


async def test_a_body_that_is_not_json_fails_each_branch(server: FakePolarServer) -> None:
    """text/plain: FastAPI hands the models a string; customer_external_id is an alias."""
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            server.url + SESSIONS,
            data=b'{"customer_id": 1}',
            headers={
                "Authorization": f"Bearer {DEFAULT_ORGANIZATION_TOKEN}",
                "Content-Type": "text/plain",
            },
        ) as response,
    ):
        detail = (await response.json())["detail"]
    assert [(e["type"], e["loc"][1], e["input"]) for e in detail] == [
        ("model_attributes_type", "CustomerSessionCustomerIDCreate", '{"customer_id": 1}'),
        ("model_attributes_type", "CustomerSessionCustomerExternalIDCreate", '{"customer_id": 1}'),
    ]
    server.add_customer(external_id="aliased")
    assert (await mint(server, {"customer_external_id": "aliased"}))[0] == 201


async def test_a_paced_client_meets_no_429_through_jittered_latency(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """40 walks paced at 10 per 0.5 s, arrivals 0 or 50 ms late (the whole margin), against
    Polar's exact fixed windows of 10 per 0.5 s: not one 429 (on the lockstep's time)."""
    lockstep = Lockstep(0.05)
    lockstep.install(monkeypatch)
    server = FakePolarServer(count=3, rate_limit=10, rate_window=0.5, clock=lockstep.arrival)
    lockstep.follow(server)
    async with (
        server,
        ps.AsyncClient(
            server.token, base_url=server.url, rate_limit=ps.RateLimit(10, per=0.5)
        ) as client,
    ):

        async def walk() -> int:
            return len([sub async for sub in client.iter_claimed_subscriptions()])

        counts = await asyncio.gather(*(walk() for _ in range(40)))
    assert counts == [3] * 40
    assert [r.status for r in server.requests].count(429) == 0
