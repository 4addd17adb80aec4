"""Customer sessions over HTTP against the fake: minting, the cache, refresh, members."""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any
from uuid import UUID, uuid4

import pytest

import polar_seats as ps
from polar_seats.testing import (
    DEFAULT_ORGANIZATION_TOKEN,
    FakePolarServer,
    Fault,
    FaultPlan,
    RecordedRequest,
)
from polar_seats.testing._resources.sessions import UserToken
from tests.support.helpers import Lockstep

MINT_PATH = "/v1/customer-sessions/"


def organization_client(server: FakePolarServer, **options: Any) -> ps.AsyncClient:
    return ps.AsyncClient(
        organization_token=DEFAULT_ORGANIZATION_TOKEN, base_url=server.url, **options
    )


def mints(server: FakePolarServer) -> list[RecordedRequest]:
    return [r for r in server.requests if r.path == MINT_PATH]


def portal_tokens(server: FakePolarServer) -> list[str | None]:
    return [r.token for r in server.requests if r.path != MINT_PATH]


async def test_create_customer_session_returns_polar_s_session(server: FakePolarServer) -> None:
    """A minted session has its token, an aware hour of life, and the customer in full."""
    customer = server.add_customer(external_id="user-42")
    async with organization_client(server) as polar:
        session = await polar.create_customer_session(
            external_customer_id="user-42", return_url="https://example.com/back"
        )
    assert session.token.startswith("polar_cst_")
    assert session.customer_id == customer.id
    assert session.customer.external_id == "user-42"
    assert session.return_url == "https://example.com/back"
    assert session.expires_at.tzinfo is not None
    assert (session.expires_at - session.created_at).total_seconds() == pytest.approx(3600)
    assert session.token not in repr(session)
    assert mints(server)[0].token == DEFAULT_ORGANIZATION_TOKEN


_CUSTOMER = ("customer_id", "external_customer_id")
_MEMBER = ("member_id", "external_member_id")


@pytest.mark.parametrize(
    ("arguments", "match", "given", "choices"),
    [
        ({}, "exactly one of customer_id", (), _CUSTOMER),
        ({"customer_id": "a", "external_customer_id": "b"}, "got both", _CUSTOMER, _CUSTOMER),
        (
            {"external_customer_id": "u", "member_id": "m", "external_member_id": "n"},
            "not both",
            _MEMBER,
            _MEMBER,
        ),
        ({"external_customer_id": ""}, "non-empty", ("external_customer_id",), ()),
    ],
)
async def test_session_arguments_are_checked_before_any_request(
    server: FakePolarServer,
    arguments: dict[str, str],
    match: str,
    given: tuple[str, ...],
    choices: tuple[str, ...],
) -> None:
    """A customer named twice or not at all, or two members: an InvalidArgumentError
    naming them (in ``.argument``; as fields, those given and those to choose from), nothing
    sent."""
    async with organization_client(server) as polar:
        with pytest.raises(ValueError, match=match):
            await polar.create_customer_session(**arguments)
        with pytest.raises(ps.InvalidArgumentError, match=match) as caught:
            polar.for_customer(**arguments)
    assert caught.value.argument == ", ".join(choices or given)
    assert (caught.value.given, caught.value.choices) == (given, choices)
    assert server.requests == []


async def test_minting_without_an_organization_token_says_what_to_pass(
    server: FakePolarServer,
) -> None:
    """A client holding only a customer token is told to pass organization_token=."""
    async with ps.AsyncClient(server.token, base_url=server.url) as polar:
        with pytest.raises(ValueError, match="organization_token="):
            await polar.create_customer_session(external_customer_id="u")
        with pytest.raises(ValueError, match="organization_token="):
            polar.for_customer(external_customer_id="u")
    assert server.requests == []


@pytest.mark.parametrize("token", ["", " polar_oat_x", "polar_oat_x\n"])
def test_a_bad_organization_token_is_refused(token: str) -> None:
    """An empty organization token, or one with whitespace, is a ValueError naming it."""
    with pytest.raises(ValueError, match="organization token"):
        ps.AsyncClient(organization_token=token)


async def test_an_unknown_customer_is_a_customer_not_found_error(
    server: FakePolarServer,
) -> None:
    """Polar's 422 "Customer does not exist.", to a mint or to a view's first call: a
    CustomerNotFoundError, still a RequestValidationError, with Polar's entry as a problem."""
    unknown = uuid4()
    async with organization_client(server) as polar:
        with pytest.raises(ps.CustomerNotFoundError, match="Customer does not exist") as minted:
            await polar.create_customer_session(external_customer_id="nobody")
        with pytest.raises(ps.RequestValidationError) as viewed:
            await polar.for_customer(customer_id=unknown).list_claimed_subscriptions()
    assert minted.value.problems == (
        ps.ValidationProblem(
            loc=("body", "external_customer_id"), msg="Customer does not exist.", type="value_error"
        ),
    )
    assert type(viewed.value) is ps.CustomerNotFoundError
    assert viewed.value.page is None  # the mint's error, raised in a page call
    assert viewed.value.problems[0].loc == ("body", "customer_id")
    assert viewed.value.detail[0]["input"] == str(unknown)
    assert [r.path for r in server.requests] == [MINT_PATH, MINT_PATH]


async def test_a_customer_named_by_uuid_is_the_one_named_by_its_string(
    server: FakePolarServer,
) -> None:
    """customer_id= and external_customer_id= take a uuid.UUID, sent as its string: views
    named either way are one customer, with one session."""
    customer = server.add_customer(external_id=str(uuid4()), subscriptions=2)
    assert customer.external_id is not None
    async with organization_client(server) as polar:
        session = await polar.create_customer_session(customer_id=UUID(customer.id))
        by_uuid = polar.for_customer(external_customer_id=UUID(customer.external_id))
        by_string = polar.for_customer(external_customer_id=customer.external_id)
        first = await by_uuid.list_claimed_subscriptions()
        second = await by_string.list_claimed_subscriptions()
    assert session.customer_id == customer.id
    assert first.pagination.total_count == second.pagination.total_count == 2
    assert server.sessions_minted(customer) == 2  # the explicit mint, then one for both views


async def test_a_customer_view_mints_once_and_reuses_the_session(
    server: FakePolarServer,
) -> None:
    """The list, the walk and introspect of one view share the first minted session."""
    customer = server.add_customer(external_id="user-1", subscriptions=3)
    async with organization_client(server) as polar:
        me = polar.for_customer(external_customer_id="user-1")
        assert server.requests == []  # a view does no I/O
        page = await me.list_claimed_subscriptions()
        walked = [sub.id async for sub in me.iter_claimed_subscriptions(limit=1)]
        info = await me.introspect_session()
        again = polar.for_customer(external_customer_id="user-1")
        await again.list_claimed_subscriptions()
    assert page.pagination.total_count == 3
    assert len(walked) == 3
    assert server.sessions_minted(customer) == 1
    assert len(set(portal_tokens(server))) == 1
    assert info.expires_at.timestamp() == pytest.approx(server.minted[0].expires_at, abs=1e-3)


async def test_concurrent_first_calls_over_many_customers_mint_once_each(
    server: FakePolarServer,
) -> None:
    """1,000 concurrent first calls over 100 customers mint exactly 100 sessions."""
    for number in range(100):
        server.add_customer(external_id=f"user-{number}")
    async with organization_client(server, rate_limit=None) as polar:
        pages = await asyncio.gather(
            *(
                polar.for_customer(
                    external_customer_id=f"user-{n % 100}"
                ).list_claimed_subscriptions()
                for n in range(1000)
            )
        )
    assert all(page.pagination.total_count == 1 for page in pages)
    assert server.sessions_minted() == 100
    assert len(mints(server)) == 100


async def test_a_session_is_refreshed_before_it_expires(server: FakePolarServer) -> None:
    """Past expiry minus the margin, on the fake's clock, the next call mints afresh: no 401."""
    server.add_customer(external_id="user-1")
    async with organization_client(server, session_refresh_margin=300) as polar:
        me = polar.for_customer(external_customer_id="user-1")
        await me.list_claimed_subscriptions()
        server.clock.advance(3600 - 300 - 10)
        await me.list_claimed_subscriptions()
        server.clock.advance(20)
        await me.list_claimed_subscriptions()
    assert server.sessions_minted() == 2
    assert [r.status for r in server.requests] == [201, 200, 200, 201, 200]


@pytest.mark.parametrize("margin", [3597, 1800.5, -1, float("nan"), float("inf")])
def test_a_refresh_margin_outside_half_the_hour_is_refused(margin: float) -> None:
    """A margin that would throw most of every session away is refused with the range
    taken and the way to say "keep each session N seconds", never lowered silently."""
    with pytest.raises(ps.InvalidArgumentError, match="from 0 to 1800 seconds") as caught:
        ps.AsyncClient(organization_token=DEFAULT_ORGANIZATION_TOKEN, session_refresh_margin=margin)
    assert caught.value.argument == "session_refresh_margin"
    assert "pass 3600 - N" in str(caught.value)


async def test_the_largest_margin_is_honoured(server: FakePolarServer) -> None:
    """session_refresh_margin=1800: a session serves its first half hour, then the next
    call mints afresh."""
    server.add_customer(external_id="user-1")
    async with organization_client(server, session_refresh_margin=1800) as polar:
        me = polar.for_customer(external_customer_id="user-1")
        await me.list_claimed_subscriptions()
        server.clock.advance(1800 - 10)
        await me.list_claimed_subscriptions()
        server.clock.advance(20)
        await me.list_claimed_subscriptions()
    assert [r.status for r in server.requests] == [201, 200, 200, 201, 200]


async def test_a_session_shorter_than_twice_the_margin_is_used_half_its_life(
    server: FakePolarServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Should Polar mint sessions shorter than its hour, one that lives less than twice
    the margin is used for half its life, with a warning, rather than minted on every call."""
    server.add_customer(external_id="user-1")
    monkeypatch.setattr(
        server.state, "mint_session", functools.partial(server.state.mint_session, ttl=600)
    )
    with caplog.at_level(logging.WARNING, logger="polar_seats"):
        async with organization_client(server, session_refresh_margin=1800) as polar:
            me = polar.for_customer(external_customer_id="user-1")
            await me.list_claimed_subscriptions()
            server.clock.advance(290)
            await me.list_claimed_subscriptions()
            server.clock.advance(20)
            await me.list_claimed_subscriptions()
    assert [r.status for r in server.requests] == [201, 200, 200, 201, 200]
    assert [r.getMessage() for r in caplog.records] == [
        "Polar minted a session that lives 600 s, less than twice session_refresh_margin "
        "(1800 s): it is minted again after half its life"
    ] * 2


async def test_a_revoked_session_is_replaced_and_the_call_resent_once(
    server: FakePolarServer,
) -> None:
    """Polar refuses a revoked session: one mint more, one resend, and the call succeeds."""
    server.add_customer(external_id="user-1")
    async with organization_client(server) as polar:
        me = polar.for_customer(external_customer_id="user-1")
        await me.list_claimed_subscriptions()
        server.revoke_session(server.minted[0].token)
        page = await me.list_claimed_subscriptions()
    assert page.pagination.total_count == 1
    assert [r.status for r in server.requests] == [201, 200, 401, 201, 200]


async def test_a_token_that_stays_refused_raises_without_a_refresh_loop(
    server: FakePolarServer,
) -> None:
    """Every minted session revoked at once: two mints, two refusals, AuthenticationError."""
    server.add_customer(external_id="user-1")

    def revoke_minted(_request: RecordedRequest) -> None:
        for session in server.minted:
            server.revoke_session(session.token)

    server.on_request = revoke_minted
    async with organization_client(server) as polar:
        with pytest.raises(ps.AuthenticationError) as caught:
            await polar.for_customer(external_customer_id="user-1").list_claimed_subscriptions()
    assert caught.value.error == "invalid_token"
    assert [r.status for r in server.requests] == [201, 401, 201, 401]


async def test_the_least_recently_used_session_is_evicted(server: FakePolarServer) -> None:
    """With room for two sessions, a third customer pushes out the oldest-used one."""
    for name in ("a", "b", "c"):
        server.add_customer(external_id=name)
    async with organization_client(server, session_cache_size=2) as polar:
        for name in ("a", "b", "a", "c", "a", "b"):
            await polar.for_customer(external_customer_id=name).list_claimed_subscriptions()
    minted_for = [server.state.customers[s.customer_id].external_id for s in server.minted]
    assert minted_for == ["a", "b", "c", "b"]


async def test_a_walk_keeps_its_session_for_its_whole_length(server: FakePolarServer) -> None:
    """A refresh time passing mid-walk does not change the walk's token; the next call's does."""
    server.add_customer(external_id="user-1", subscriptions=4)
    async with organization_client(server, concurrency=1) as polar:
        me = polar.for_customer(external_customer_id="user-1")
        async for page in me.iter_claimed_subscriptions(limit=1).pages():
            if page.items and page.pagination.max_page and len(portal_tokens(server)) == 1:
                server.clock.advance(3400)  # past the refresh time, before the expiry
        await me.list_claimed_subscriptions()
    tokens = portal_tokens(server)
    assert len(tokens) == 5
    assert len(set(tokens[:4])) == 1
    assert tokens[4] != tokens[0]


async def test_a_member_session_for_a_team_customer(server: FakePolarServer) -> None:
    """With the member model, a team member's view holds a polar_mst_ session for them."""
    server.claimant.organization.member_model_enabled = True
    team = server.add_customer(
        external_id="team-1",
        type="team",
        members={"owner@team.example": "owner", "dev@team.example": "member"},
    )
    dev = next(m for m in server.state.members.values() if m.email == "dev@team.example")
    dev.external_id = "dev-1"
    async with organization_client(server) as polar:
        member = polar.for_customer(external_customer_id="team-1", external_member_id="dev-1")
        page = await member.list_claimed_subscriptions()
        with pytest.raises(ps.RequestValidationError, match="member_id= or external_member_id="):
            await polar.create_customer_session(external_customer_id="team-1")
    assert page.pagination.total_count == 1
    assert server.minted[0].token.startswith("polar_mst_")
    assert server.minted[0].member_id == dev.id
    assert server.sessions_minted(team) == 1


async def test_a_team_without_an_email_decodes_as_a_team_customer(
    server: FakePolarServer,
) -> None:
    """A member-model team has no email (`null`): its member's session decodes, the customer a
    TeamCustomer; an individual's session holds an IndividualCustomer with its email."""
    server.claimant.organization.member_model_enabled = True
    team = server.add_customer(external_id="team-2", type="team", members={"a@x.test": "owner"})
    owner = server.state.owner(team)
    assert owner is not None
    server.add_customer(external_id="solo")
    async with organization_client(server) as polar:
        ours = await polar.create_customer_session(
            external_customer_id="team-2", member_id=owner.id
        )
        solo = await polar.create_customer_session(external_customer_id="solo")
        page = await polar.for_customer(
            external_customer_id="team-2", member_id=owner.id
        ).list_claimed_subscriptions()
    assert isinstance(ours.customer, ps.TeamCustomer)
    assert (ours.customer.type, ours.customer.email) == ("team", None)
    assert isinstance(solo.customer, ps.IndividualCustomer)
    assert solo.customer.email == "solo@example.com"
    assert page.pagination.total_count == 1


def shared_across_organizations(server: FakePolarServer, external_id: str) -> UserToken:
    """A second organization, a customer with ``external_id`` in each, and a user's token
    that reaches both."""
    other = server.state.add_organization(
        {"id": "0c5d0c1e-3b2a-4f3e-9a47-0d2d7d0b8d1a", "slug": "other", "name": "Other"}
    )
    server.add_customer(external_id=external_id)
    server.add_customer(external_id=external_id, organization=other)
    return server.state.add_user_token(
        [server.claimant.organization, other], frozenset({"customer_sessions:write"})
    )


async def test_an_external_id_shared_by_a_users_organizations_is_ambiguous(
    server: FakePolarServer,
) -> None:
    """A token reaching two organizations whose customers share the external id: Polar's 409,
    sent once (not retried), an AmbiguousExternalCustomerIdError saying what to do, for a
    mint and for a view; naming the customer by Polar's id mints."""
    pat = shared_across_organizations(server, "shared")
    ours = next(
        c
        for c in server.state.customers.values()
        if c.external_id == "shared" and c.organization_id == server.claimant.organization.id
    )
    async with ps.AsyncClient(organization_token=pat.token, base_url=server.url) as polar:
        with pytest.raises(ps.AmbiguousExternalCustomerIdError, match="customer_id=") as caught:
            await polar.create_customer_session(external_customer_id="shared")
        with pytest.raises(ps.AmbiguousExternalCustomerIdError):
            await polar.for_customer(external_customer_id="shared").list_claimed_subscriptions()
        session = await polar.create_customer_session(customer_id=ours.id)
    assert (caught.value.status, caught.value.attempts) == (409, 1)
    assert isinstance(caught.value, ps.APIStatusError)
    assert [r.status for r in mints(server)] == [409, 409, 201]
    assert session.customer_id == ours.id
    assert pat.token not in str(caught.value) + repr(caught.value)


async def test_an_organization_token_finds_its_own_customer_of_a_shared_external_id(
    server: FakePolarServer,
) -> None:
    """The organization access token reaches one organization: the same external id is
    that organization's customer, with no 409."""
    shared_across_organizations(server, "shared")
    async with organization_client(server) as polar:
        session = await polar.create_customer_session(external_customer_id="shared")
    assert session.customer.organization_id == server.claimant.organization.id


async def test_minting_is_retried_like_a_read(server: FakePolarServer) -> None:
    """A 503 on the mint is retried: a second session only wastes one."""
    server.add_customer(external_id="user-1")
    server.faults = FaultPlan({1: Fault.server_error(503)})
    async with organization_client(server) as polar:
        await polar.for_customer(external_customer_id="user-1").list_claimed_subscriptions()
    assert [r.status for r in server.requests] == [503, 201, 200]


async def test_a_failed_mint_fails_every_waiter_and_the_next_call_mints_again(
    server: FakePolarServer,
) -> None:
    """Ten calls waiting on one failing mint all raise; the next call mints afresh."""
    server.add_customer(external_id="user-1")
    server.faults = FaultPlan({1: Fault.http_status(400)})
    async with organization_client(server) as polar:
        me = polar.for_customer(external_customer_id="user-1")
        results = await asyncio.gather(
            *(me.list_claimed_subscriptions() for _ in range(10)), return_exceptions=True
        )
        assert all(isinstance(r, ps.APIStatusError) for r in results)
        await me.list_claimed_subscriptions()
    assert [r.status for r in server.requests] == [400, 201, 200]


async def test_no_token_of_either_kind_is_logged_in_a_run_full_of_failures(
    server: FakePolarServer, caplog: pytest.LogCaptureFixture
) -> None:
    """DEBUG logs of retried mints and refused sessions hold no session or organization token."""
    server.add_customer(external_id="user-1")
    server.faults = FaultPlan(
        {1: Fault.server_error(503), 3: Fault.rate_limited("0"), 4: Fault.reset()}
    )
    async with organization_client(server) as polar:
        me = polar.for_customer(external_customer_id="user-1")
        with caplog.at_level(logging.DEBUG):
            await me.list_claimed_subscriptions()
            server.revoke_session(server.minted[0].token)
            await me.list_claimed_subscriptions()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Retrying create customer session" in logged
    assert "refused the customer session" in logged
    secrets = [DEFAULT_ORGANIZATION_TOKEN, *(s.token for s in server.minted)]
    assert all(secret not in logged for secret in secrets)
    assert all(secret not in repr(polar) and secret not in repr(me) for secret in secrets)


async def paced_statuses(monkeypatch: pytest.MonkeyPatch) -> list[int | None]:
    """60 calls paced at 20 per 2 s against Polar's fixed windows, on the lockstep's
    virtual time with arrivals 0 or 40 ms late, alternately."""
    lockstep = Lockstep(0.04)
    lockstep.install(monkeypatch)
    server = FakePolarServer(count=1, rate_limit=20, rate_window=2.0, clock=lockstep.arrival)
    lockstep.follow(server)
    async with (
        server,
        ps.AsyncClient(
            server.token,
            base_url=server.url,
            rate_limit=ps.RateLimit(20, per=2.0),
            retry=None,
        ) as client,
    ):
        await asyncio.gather(
            *(client.list_claimed_subscriptions() for _ in range(60)), return_exceptions=True
        )
    assert len(lockstep.admitted) == 60
    return [r.status for r in server.requests]


async def test_default_pacing_draws_no_429_from_fixed_windows_with_jittered_latency(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Paced with its margin (200 ms at 2 s), uneven arrivals never fill a fixed window.

    On virtual time (tests.support.helpers.Lockstep): in real time a loaded machine once delayed a
    burst's first arrival past the margin and drew a 429 that Polar's network would not."""
    statuses = await paced_statuses(monkeypatch)
    assert statuses == [200] * 60


async def test_pacing_exactly_at_the_limit_would_draw_429s(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the margin, the same run meets 429s: the margin is what prevents them."""
    monkeypatch.setattr("polar_seats._ratelimit.MARGIN_SHARE", 0.0)
    statuses = await paced_statuses(monkeypatch)
    assert statuses.count(429) > 0


async def test_request_sends_the_credential_of_its_caller(server: FakePolarServer) -> None:
    """request() on a customer view sends its session; on the organization client, the
    organization token."""
    server.add_customer(external_id="user-1")
    async with organization_client(server) as polar:
        me = polar.for_customer(external_customer_id="user-1")
        listed = await me.request("GET", "/v1/customer-portal/seats/subscriptions")
        minted = await polar.request("POST", MINT_PATH, json={"external_customer_id": "user-1"})
    assert listed["pagination"]["total_count"] == 1
    assert minted["token"].startswith("polar_cst_")
    assert [r.token for r in server.requests] == [
        DEFAULT_ORGANIZATION_TOKEN,
        server.minted[0].token,
        DEFAULT_ORGANIZATION_TOKEN,
    ]


async def test_an_organization_token_without_the_scope_is_permission_denied(
    server: FakePolarServer,
) -> None:
    """A token lacking customer_sessions:write is a PermissionDeniedError naming the scope."""
    server.add_customer(external_id="user-1")
    weak = server.state.add_organization_token(server.claimant.organization, frozenset())
    async with ps.AsyncClient(organization_token=weak.token, base_url=server.url) as polar:
        with pytest.raises(ps.PermissionDeniedError, match="customer_sessions:write") as caught:
            await polar.create_customer_session(external_customer_id="user-1")
    assert caught.value.status == 403
    assert weak.token not in str(caught.value)


async def test_an_unknown_organization_token_is_told_apart_from_a_customer_token(
    server: FakePolarServer,
) -> None:
    """A 401 on a mint says to check the organization access token, not a session token."""
    async with ps.AsyncClient(organization_token="polar_oat_gone", base_url=server.url) as polar:
        with pytest.raises(ps.AuthenticationError, match="organization access token"):
            await polar.create_customer_session(external_customer_id="user-1")


async def test_a_mint_answer_that_does_not_decode_quotes_and_keeps_none_of_its_body(
    server: FakePolarServer,
) -> None:
    """The body of a minted session may hold its token: a decode error neither quotes it
    nor keeps it as raw_body."""
    body = b'{"token": "polar_cst_leaked_if_quoted", "id": '
    server.faults = FaultPlan({1: Fault.http_status(201, body=body)})
    async with organization_client(server) as polar:
        with pytest.raises(ps.ResponseDecodeError) as caught:
            await polar.create_customer_session(external_customer_id="user-1")
    assert "polar_cst_leaked_if_quoted" not in str(caught.value)
    assert "neither quoted nor kept" in str(caught.value)
    assert caught.value.raw_body == b""
