"""The fake answers as Polar's real server did: every recorded exchange of what it serves, replayed.

tests/real_polar/exchanges/ holds requests sent to Polar's own server (polarsource/polar at
c6c3645e) and its answers. Each is sent to a fake seeded to match (a recorded token maps onto
a fake subject of the same kind: valid, expired, unknown), and the fake must answer with the
same status, the same error body, the headers that matter, and for a 200 the same shape.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from polar_seats.testing import FakePolarServer, make_subscriptions
from polar_seats.testing._server import ORGANIZATION_SCOPES
from polar_seats.testing._state import Seat, State

from . import contract

HERE = Path(__file__).parent / "real_polar" / "exchanges"
RECORDED_ON = date(2026, 8, 22)
"""The date of the recorded server's code: the fake serves that day's API versions."""
INDEX: list[dict[str, Any]] = json.loads((HERE / "INDEX.json").read_text())


def token_of(name: str) -> str:
    """The bearer token a recorded request sent."""
    headers = dict(json.loads((HERE / name).read_text())["request"]["headers"])
    return str(headers["Authorization"]).removeprefix("Bearer ")


ALICE = token_of("01-list-claimed/001-alice-defaults.json")
BOB = token_of("01-list-claimed/030-bob-defaults.json")
DAVE = token_of("01-list-claimed/031-dave-empty.json")
DAVE_FRESH = token_of("06-ratelimit/002-burst-request-1.json")

HEADERS = (
    "Retry-After",
    "WWW-Authenticate",
    "Cache-Control",
    "Pragma",
    "Allow",
    "Polar-Version",
    "Transfer-Encoding",
    "Access-Control-Allow-Origin",
    "Access-Control-Allow-Methods",
    "Access-Control-Allow-Headers",
    "Access-Control-Max-Age",
    "Access-Control-Expose-Headers",
    "X-Polar-Deprecation-Notice",
)
"""Compared by value, present or absent as Polar sent them; Location and Content-Type apart."""

DIFFERENCES = {
    "01-list-claimed/055-polar-version-2026-04-trailing-space.json": (
        200,
        "aiohttp's HTTP parser strips a header value's trailing whitespace (RFC 9110 5.5), so "
        "the fake sees `2026-04`; Polar's uvicorn kept the space and answered 404.",
    ),
}
"""Exchanges the fake answers differently on purpose: the status it gives, and why."""

SEAT_FOLLOWUPS = tuple(
    f"07-followup-content-length-0/{name}.json"
    for name in (
        "001-list-main-now",
        "002-resend-pending",
        "003-claimant-resend-pending",
        "004-resend-claimed",
        "005-revoke-pending",
        "006-resend-revoked",
        "007-resend-unknown",
        "010-claim-empty-body",
        "012-list-main-final",
    )
)
"""The follow-ups on the seats and the claim, replayed after 04 and 05 on their state."""
NOT_SERVED: dict[str, str] = {}
"""Recorded exchanges the fake does not answer yet, and why: none."""


def schema(file: str, name: str) -> jsonschema.Draft202012Validator:
    """A validator for one schema of a trimmed copy of Polar's contract, refs resolved."""
    document = json.loads((Path(__file__).parent / "contract" / file).read_text())
    resource = Resource.from_contents(document, default_specification=DRAFT202012)
    return jsonschema.Draft202012Validator(
        {"$ref": f"urn:contract#/components/schemas/{name}"},
        registry=Registry().with_resource("urn:contract", resource),
        format_checker=jsonschema.FormatChecker(),
    )


_SEATS_CONTRACT = "customer-seats.openapi.json"
CONTRACTS = {
    ("GET", r"/v1/customer-portal/customer-session/introspect"): schema(
        "customer-session-introspect.openapi.json", "CustomerCustomerSession"
    ),
    ("GET", r"/v1/customer-portal/customer-session/user"): schema(
        "customer-sessions.openapi.json", "PortalAuthenticatedUser"
    ),
    ("POST", r"/v1/customer-sessions/"): schema(
        "customer-sessions.openapi.json", "CustomerSession"
    ),
    ("GET", r"/v1/customer-(portal/)?seats"): schema(_SEATS_CONTRACT, "SeatsList"),
    ("POST", r"/v1/customer-(portal/)?seats"): schema(_SEATS_CONTRACT, "CustomerSeat"),
    ("DELETE", r"/v1/customer-(portal/)?seats/[^/]+"): schema(_SEATS_CONTRACT, "CustomerSeat"),
    ("POST", r"/v1/customer-(portal/)?seats/[^/]+/resend"): schema(_SEATS_CONTRACT, "CustomerSeat"),
    ("GET", r"/v1/customer-seats/claim/[^/]+"): schema(_SEATS_CONTRACT, "SeatClaimInfo"),
    ("POST", r"/v1/customer-seats/claim"): schema(_SEATS_CONTRACT, "CustomerSeatClaimResponse"),
}
"""Polar's contract for each 2xx answer but the list's (copied from the full spec), by
method and path."""


def contract_for(method: str, path: str) -> jsonschema.Draft202012Validator:
    (validator,) = [
        validator
        for (wanted, pattern), validator in CONTRACTS.items()
        if wanted == method and re.fullmatch(pattern, path)
    ]
    return validator


ORGANIZATION_TOKEN = token_of("02-customer-sessions/001-by-customer-id.json")
OTHER_ORGANIZATION_TOKEN = token_of("02-customer-sessions/010-other-org-customer.json")

SHAPE_EXTRAS = {"pause", "update_units"}
"""Optional keys of ``customer_portal_settings.subscription`` the recorded organizations
did not set and the fake's seeded ones sometimes do (the contract checks them)."""


FREE_FORM = {"seat_metadata"}
"""Keys whose value is the caller's own object (the values check compares it)."""


def exchange(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((HERE / name).read_text())
    return data


def replayed(group: str) -> list[str]:
    return [
        entry["file"]
        for entry in INDEX
        if entry["file"].startswith(group) and entry["file"] not in NOT_SERVED
    ]


def variant(value: Any) -> Any:
    """What tells a union's members apart: a price's kind, a benefit's type."""
    if not isinstance(value, dict):
        return None
    if "amount_type" in value:
        return ("legacy" in value, value["amount_type"])
    return value.get("type")


def shape_problems(fake: Any, real: Any, where: str = "$") -> list[str]:
    """How ``fake`` differs from ``real`` in keys and value types, recursively.

    ``null`` on either side matches anything (nullability is the contract's to check); a
    list element is compared with a recorded element of the same variant, and an object
    whose variant the recording does not hold (its seed had seat-based prices and custom
    benefits only) is left to the contract check.
    """
    if fake is None or real is None:
        return []
    if isinstance(real, dict):
        if not isinstance(fake, dict):
            return [f"{where}: {type(fake).__name__}, not an object"]
        if variant(fake) != variant(real):
            return []  # another member of a union: the contract checks it
        problems = [f"{where}.{key} is missing" for key in real.keys() - fake.keys()]
        problems += [
            f"{where}.{key} is not in Polar's body"
            for key in fake.keys() - real.keys() - SHAPE_EXTRAS
        ]
        for key in real.keys() & fake.keys() - FREE_FORM:
            problems += shape_problems(fake[key], real[key], f"{where}.{key}")
        return problems
    if isinstance(real, list):
        if not isinstance(fake, list):
            return [f"{where}: {type(fake).__name__}, not a list"]
        problems = []
        for index, item in enumerate(fake):
            like = [known for known in real if variant(known) == variant(item)]
            if like:
                problems += shape_problems(item, like[0], f"{where}[{index}]")
        return problems
    numbers = (int, float)
    if isinstance(real, bool) or isinstance(fake, bool) or not isinstance(real, numbers):
        same = type(fake) is type(real)
    else:
        same = isinstance(fake, numbers)
    return [] if same else [f"{where}: {type(fake).__name__}, Polar sent {type(real).__name__}"]


def seed_customer(state: State, organization_id: str, email: str, token: str) -> Any:
    customer = state.add_customer(organization_id, email)
    member = state.add_member(customer, role="owner")
    state.mint_session(customer, token=token, ttl=8 * 3600)
    return customer, member


def claim(state: State, bodies: list[dict[str, Any]], member: Any) -> None:
    for body in bodies:
        state.seats.append(state.claimed_seat(state.add_subscription(body), member))


def seed_portal(server: FakePolarServer) -> None:
    """Polar's seed in the fake: alice (the claimant) on 30, bob on 3, the others on none."""
    state, org = server.state, server.claimant.organization
    _, bob = seed_customer(state, org.id, "bob@example.com", BOB)
    claim(state, make_subscriptions(3, seed=2), bob)
    seed_customer(state, org.id, "dave@example.com", DAVE)
    carol, _ = seed_customer(
        state, org.id, "carol@example.com", token_of("01-list-claimed/032-carol-pending-only.json")
    )
    pending = state.claimed_seat(next(iter(state.subscriptions.values())), server.claimant.member)
    pending.status, pending.customer_id, pending.member_id = "pending", carol.id, None
    state.seats.append(pending)
    billing = state.customers[server.subscriptions[0]["customer_id"]]
    state.mint_session(billing, token=token_of("01-list-claimed/033-billing-owner.json"))
    team = state.add_customer(org.id, "team@example.com", type="team")
    mia = state.add_member(team, email="mia@example.com")
    owner = state.add_member(team, role="owner")
    claim(state, make_subscriptions(1, seed=3), mia)
    state.mint_session(team, mia, token=token_of("01-list-claimed/034-member-mia.json"))
    state.mint_session(team, owner, token=token_of("01-list-claimed/035-member-owner.json"))
    state.mint_session(
        server.claimant.customer,
        token=token_of("01-list-claimed/042-expired-cst-token.json"),
        ttl=-60,
    )
    state.add_organization_token(
        org, frozenset(), token=token_of("01-list-claimed/043-org-access-token.json")
    )


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def send(
    http: aiohttp.ClientSession,
    server: FakePolarServer,
    recorded: dict[str, Any],
    tokens: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """The recorded request sent to the fake; ``tokens`` maps recorded tokens (and ids) to
    the ones the fake minted in their place, in the headers, the target and the body."""
    request = recorded["request"]
    tokens = tokens or {}
    headers = [
        (name, _swap(value, tokens))
        for name, value in request["headers"]
        if name.lower() not in ("host", "user-agent", "content-length")
    ]
    target = _swap(request["target"], tokens)
    if request["method"] == "POST" and not any(
        name.lower() == "content-length" for name, _ in request["headers"]
    ):
        return await send_without_length(server, request["method"], target, headers)
    async with http.request(
        request["method"],
        server.url + target,
        headers=headers,
        data=_swap(request["body"] or "", tokens).encode() or None,
        allow_redirects=False,
        skip_auto_headers=("Accept-Encoding", "User-Agent"),
    ) as response:
        return response.status, dict(response.headers), await response.read()


def _swap(value: str, tokens: dict[str, str]) -> str:
    for recorded, minted in tokens.items():
        value = value.replace(recorded, minted)
    return value


async def send_without_length(
    server: FakePolarServer, method: str, target: str, headers: list[tuple[str, str]]
) -> tuple[int, dict[str, str], bytes]:
    """A request with no body and no ``Content-Length``, which aiohttp's client cannot send
    (it adds ``Content-Length: 0`` to every POST)."""
    assert server.port is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    answer = await reader.read()
    writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode().split("\r\n")
    answered = dict(line.split(": ", 1) for line in header_lines)
    return int(status_line.split()[1]), answered, body


def compare(name: str, server: FakePolarServer, got: tuple[int, dict[str, str], bytes]) -> None:
    """The fake's answer matches the recorded one, or differs as DIFFERENCES says."""
    status, headers, body = got
    answer = exchange(name)["response"]
    if name in DIFFERENCES:
        assert status == DIFFERENCES[name][0], name
        return
    assert status == answer["status"], name
    recorded = {key.lower(): value for key, value in answer["headers"]}
    mine = {key.lower(): value for key, value in headers.items()}
    for header in (h.lower() for h in HEADERS):
        assert mine.get(header) == recorded.get(header), f"{name}: {header}"
    assert ("content-type" in mine) == ("content-type" in recorded), name
    if "content-type" in recorded:
        assert mine["content-type"].split(";")[0] == recorded["content-type"].split(";")[0], name
    if "location" in recorded:
        assert mine["location"] == server.url + recorded["location"].split(":8000", 1)[1], name
    if status >= 300 or answer["body_json"] is None:
        assert body.decode() == answer["body_text"], name
        return
    data = json.loads(body)
    assert shape_problems(data, answer["body_json"]) == [], name
    if "items" in data:
        assert data["pagination"] == answer["body_json"]["pagination"], name
        assert len(data["items"]) == len(answer["body_json"]["items"]), name
        assert contract.errors(data) == [], name
    else:
        request = exchange(name)["request"]
        validator = contract_for(request["method"], request["path"])
        assert list(validator.iter_errors(data)) == [], name


@pytest.mark.parametrize("group", ["01-list-claimed", "03-introspect"])
async def test_every_recorded_exchange_replays(http: aiohttp.ClientSession, group: str) -> None:
    """Each recorded request of the group gets Polar's status, error body, headers, shape."""
    async with FakePolarServer(count=30, tokens=[ALICE], today=RECORDED_ON) as server:
        seed_portal(server)
        for name in replayed(group):
            compare(name, server, await send(http, server, exchange(name)))


def recorded_customer(name: str) -> dict[str, Any]:
    """The ``customer`` of a recorded session answer."""
    customer: dict[str, Any] = exchange(name)["response"]["body_json"]["customer"]
    return customer


def seed_recorded_customer(state: State, organization_id: str, name: str) -> Any:
    """A customer with the recorded customer's id, email, name, external id."""
    known = recorded_customer(name)
    return state.add_customer(
        organization_id,
        known["email"],
        id=known["id"],
        name=known["name"],
        external_id=known["external_id"],
        email_verified=known["email_verified"],
    )


def seed_sessions(server: FakePolarServer) -> None:
    """Polar's seed for the session recordings: Seat Co with alice, bob, dave and its token;
    Member Co (the member model on) with its owner customer and its own token."""
    state = server.state
    state.frontend_url = "http://127.0.0.1:3000"
    org = state.add_organization(
        {"id": recorded_customer(BY_ID)["organization_id"], "slug": "seat-co", "name": "Seat Co"}
    )
    state.add_organization_token(org, ORGANIZATION_SCOPES, token=ORGANIZATION_TOKEN)
    alice = seed_recorded_customer(state, org.id, BY_ID)
    claim(state, make_subscriptions(30, seed=6), state.add_member(alice, role="owner"))
    state.mint_session(alice, token=ALICE)
    seed_recorded_customer(state, org.id, "02-customer-sessions/003-with-return-url.json")
    seed_recorded_customer(state, org.id, "06-ratelimit/001-create-fresh-dave-session.json")
    member_co = state.add_organization(
        {
            "id": recorded_customer(MEMBER_MODEL)["organization_id"],
            "slug": "member-co",
            "name": "Member Co",
        },
        member_model_enabled=True,
    )
    state.add_organization_token(member_co, ORGANIZATION_SCOPES, token=OTHER_ORGANIZATION_TOKEN)
    seed_recorded_customer(state, member_co.id, MEMBER_MODEL)


MEMBER_MODEL = "02-customer-sessions/011-member-model-org-owner.json"
BY_ID = "02-customer-sessions/001-by-customer-id.json"


def same_session(name: str, got: tuple[int, dict[str, str], bytes]) -> str:
    """A minted session is the recorded one but for its token, id and times: the same
    customer (every field but created_at), portal URL, return URL, one hour long. Returns
    the token."""
    data, real = json.loads(got[2]), exchange(name)["response"]["body_json"]
    assert data["token"][:10] == real["token"][:10], name
    assert data["customer_portal_url"] == real["customer_portal_url"].replace(
        real["token"], data["token"]
    ), name
    assert data["return_url"] == real["return_url"], name
    assert {**data["customer"], "created_at": None} == {**real["customer"], "created_at": None}
    lifetime = datetime.fromisoformat(data["expires_at"]) - datetime.fromisoformat(
        data["created_at"]
    )
    assert abs(lifetime - timedelta(hours=1)) < timedelta(milliseconds=1), name
    return str(data["token"])


async def test_the_session_recordings_replay(http: aiohttp.ClientSession) -> None:
    """Every recorded POST /v1/customer-sessions/ (and its follow-ups) gets Polar's answer;
    each 201 is the recorded session but for the new token, and that token lists."""
    async with FakePolarServer([], tokens=[], today=RECORDED_ON) as server:
        seed_sessions(server)
        minted: dict[str, str] = {}
        followups = [n for n in replayed("07-followup") if n not in SEAT_FOLLOWUPS]
        for name in replayed("02-customer-sessions") + followups:
            got = await send(http, server, exchange(name), minted)
            compare(name, server, got)
            if got[0] == 201:
                minted[exchange(name)["response"]["body_json"]["token"]] = same_session(name, got)
    assert server.sessions_minted() == 5


async def test_the_rate_limit_recordings_replay(http: aiohttp.ClientSession) -> None:
    """Polar's sandbox limits: a fresh token's first request in pending_auth, 100 for the
    customer, the 102nd a 429 that the customer's other token meets at once; another
    customer and anonymous requests unaffected; an unknown token 60 times 401, then 429."""
    summary = json.loads((HERE / "06-ratelimit" / "burst-summary.json").read_text())
    server = FakePolarServer(
        [], tokens=[], rate_limit=100, pending_auth_limit=60, today=RECORDED_ON
    )
    async with server:
        state, org = server.state, server.claimant.organization
        fresh = "06-ratelimit/001-create-fresh-dave-session.json"
        dave = seed_recorded_customer(state, org.id, fresh)
        state.mint_session(dave, token=DAVE)
        state.add_organization_token(org, ORGANIZATION_SCOPES, token=ORGANIZATION_TOKEN)
        created = await send(http, server, exchange(fresh))
        compare(fresh, server, created)
        tokens = {DAVE_FRESH: json.loads(created[2])["token"]}
        _, bob = seed_customer(state, org.id, "bob@example.com", BOB)
        claim(state, make_subscriptions(2, seed=4), bob)
        # Polar had seen dave's other token minutes before; one request makes it known here.
        await send(
            http, server, exchange("06-ratelimit/006-other-token-same-customer-request-1.json")
        )
        burst = exchange("06-ratelimit/002-burst-request-1.json")
        answers = [await send(http, server, burst, tokens) for _ in summary["valid_token_burst"]]
        assert [a[0] for a in answers] == [status for _, status, _ in summary["valid_token_burst"]]
        compare("06-ratelimit/002-burst-request-1.json", server, answers[0])
        compare("06-ratelimit/003-burst-request-2.json", server, answers[1])
        compare("06-ratelimit/004-burst-first-429-at-request-102.json", server, answers[-1])
        server.clock.advance(5)
        for name in replayed("06-ratelimit")[4:9]:  # 005 to 009
            compare(name, server, await send(http, server, exchange(name), tokens))
        bad = exchange("06-ratelimit/010-bad-token-request-1.json")
        answers = [await send(http, server, bad) for _ in summary["invalid_token_burst"]]
        assert [a[0] for a in answers] == [status for _, status in summary["invalid_token_burst"]]
        compare("06-ratelimit/010-bad-token-request-1.json", server, answers[0])
        compare("06-ratelimit/011-bad-token-first-429-at-61.json", server, answers[-1])


MAIN_OWNER = token_of("04-seats/001-list-main.json")
TEAM_OWNER = token_of("04-seats/036-member-owner-list.json")
TEAM_MIA = token_of("04-seats/037-member-mia-list.json")
CAROL_INVITATION = "seed-carol-invitation-token-0001"
ERIN_INVITATION = exchange("05-claim/010-claim-info-erin.json")["request"]["path"].rsplit("/")[-1]
SEAT_FACTS = ("status", "email", "customer_email", "seat_metadata", "subscription_id", "order_id")
SET_OR_NULL = (
    "modified_at",
    "customer_id",
    "member_id",
    "member",
    "invitation_token_expires_at",
    "claimed_at",
    "revoked_at",
)
"""A seat's times and generated ids differ from Polar's: whether each is set must not."""


def seed_seat_recordings(server: FakePolarServer) -> None:
    """Polar's seed for 04 and 05 with its ids: Seat Co's 5-seat MAIN subscription (alice and
    bob claimed, carol pending with her seeded invitation) owned by a billing customer; alice
    on 29 more; Member Co's team with a 3-seat subscription, mia (role member) claimed on it."""
    state = server.state
    main = exchange("05-claim/008-carol-token-lists-claimed.json")["response"]["body_json"]
    main = main["items"][0]
    org = state.add_organization(main["product"]["organization"])
    state.add_organization_token(org, ORGANIZATION_SCOPES, token=ORGANIZATION_TOKEN)
    billing = state.add_customer(org.id, "billing@seatco-clients.com", id=main["customer_id"])
    state.mint_session(billing, token=MAIN_OWNER, ttl=8 * 3600)
    state.add_subscription(main)
    externals = {"bob@seatco-clients.com": "ext-bob"}
    for seat in exchange("04-seats/001-list-main.json")["response"]["body_json"]["seats"]:
        email = seat["customer_email"]
        person = state.add_customer(
            org.id, email, id=seat["customer_id"], external_id=externals.get(email)
        )
        state.seats.append(recorded_seat(state, seat, person.id))
    alice = state.customers["ff396d0b-2d8e-4274-9d4f-4d82d6bb7ccf"]
    state.mint_session(alice, token=ALICE, ttl=8 * 3600)
    claim(state, make_subscriptions(29, seed=8), state.add_member(alice, role="owner"))
    state.add_customer(org.id, "dave@seatco-clients.com", id="eff83f24-866e-4d0d-8f4c-ff332119d52e")
    team_sub = exchange("01-list-claimed/034-member-mia.json")["response"]["body_json"]["items"][0]
    member_co = state.add_organization(team_sub["product"]["organization"])
    team = state.add_customer(member_co.id, "team@seatco-clients.com", id=team_sub["customer_id"])
    state.add_subscription(team_sub)
    mia_seat = exchange("04-seats/037-member-mia-list.json")["response"]["body_json"]["seats"][0]
    recorded_mia = mia_seat["member"]
    mia = state.add_member(
        team, id=recorded_mia["id"], email=recorded_mia["email"], name=recorded_mia["name"]
    )
    state.seats.append(recorded_seat(state, mia_seat, team.id, mia.id))
    state.mint_session(team, mia, token=TEAM_MIA, ttl=8 * 3600)
    owner = state.add_member(team, email="owner@seatco-clients.com", role="owner")
    state.mint_session(team, owner, token=TEAM_OWNER, ttl=8 * 3600)
    server.undeliverable_domains.add("invalid-example")


def recorded_seat(
    state: State, seat: dict[str, Any], customer_id: str, member_id: Any = None
) -> Any:
    """A seeded seat as Polar's seed left it (carol's pending one with her invitation)."""
    now = state.clock()
    placed = Seat(
        seat["id"],
        seat["subscription_id"],
        None,
        seat["status"],
        email=seat["email"],
        customer_id=customer_id,
        member_id=member_id,
        metadata=seat["seat_metadata"],
        created_at=now,
        modified_at=now if seat["modified_at"] else None,
        claimed_at=now if seat["claimed_at"] else None,
    )
    if seat["status"] == "pending":
        placed.invitation_token = CAROL_INVITATION
        placed.invitation_expires_at = now + 86_400
    return placed


def seat_facts(seat: dict[str, Any], ids: dict[str, str]) -> tuple[Any, ...]:
    """What must be as Polar answered: the seat (by its recorded id), its status, emails,
    metadata, container, and which of its times and ids are set."""
    recorded_id = {fake: real for real, fake in ids.items()}.get(seat["id"], seat["id"])
    facts = tuple(json.dumps(seat[key], sort_keys=True) for key in SEAT_FACTS)
    return (recorded_id, *facts, *(seat[key] is None for key in SET_OR_NULL))


def same_values(name: str, data: dict[str, Any], ids: dict[str, str]) -> None:
    """A 200 of the seat endpoints says what Polar's said; seats in any order (Polar's list
    has no ORDER BY, and an updated row moves in its heap)."""
    real = exchange(name)["response"]["body_json"]
    if "seats" in real:
        assert sorted(seat_facts(s, ids) for s in data["seats"]) == sorted(
            seat_facts(s, {}) for s in real["seats"]
        ), name
        assert (data["available_seats"], data["total_seats"]) == (
            real["available_seats"],
            real["total_seats"],
        ), name
    elif "seat" in real:
        assert seat_facts(data["seat"], ids) == seat_facts(real["seat"], {}), name
        assert data["customer_session_token"][:10] == real["customer_session_token"][:10], name
    elif "status" in real:
        assert seat_facts(data, ids) == seat_facts(real, {}), name
    elif "can_claim" in real:
        assert data == real, name


def learn(recorded: dict[str, Any], data: Any, ids: dict[str, str]) -> None:
    """The fake's ids and tokens for the recorded ones a 200 revealed."""
    real = recorded["response"]["body_json"]
    for key in ("id", "customer_session_token"):
        for fake, known in ((data, real), (data.get("seat"), real.get("seat"))):
            if isinstance(known, dict) and key in known and known[key] != fake[key]:
                ids[known[key]] = fake[key]
            if isinstance(known, dict) and key == "customer_session_token" and key in known:
                ids[known[key]] = fake[key]


async def test_the_seat_and_claim_recordings_replay(http: aiohttp.ClientSession) -> None:
    """Every recorded seat and claim exchange (04, 05 and their 07 follow-ups) gets Polar's
    status, error body, headers, shape, contract and seat values, in the recorded order."""
    async with FakePolarServer([], tokens=[], today=RECORDED_ON) as server:
        seed_seat_recordings(server)
        ids: dict[str, str] = {CAROL_INVITATION: CAROL_INVITATION}
        for name in [*replayed("04-seats"), *replayed("05-claim"), *SEAT_FOLLOWUPS]:
            erin = [m.token for m in server.outbox if m.to == "erin@seatco-clients.com"]
            if erin:
                ids[ERIN_INVITATION] = erin[0]
            recorded = exchange(name)
            got = await send(http, server, recorded, ids)
            compare(name, server, got)
            if got[0] == 200:
                data = json.loads(got[2])
                learn(recorded, data, ids)
                same_values(name, data, ids)
        mails = [mail.to for mail in server.outbox]
    # erin, grace, dave, nina assigned; carol's and dave's resent (frank claimed at once)
    assert mails == [f"{n}@seatco-clients.com" for n in ("erin", "grace", "dave", "nina", "dave")]


def test_replay_covers_every_exchange_of_the_served_endpoints() -> None:
    """Nothing is left out silently: each recording of 01 to 07 is replayed or named."""
    groups = ("01-list-claimed", "02-customer", "03-introspect", "04-seats", "05-claim")
    groups += ("06-ratelimit", "07-followup")
    files = {entry["file"] for entry in INDEX if entry["file"].startswith(groups)}
    assert len(files) == 73 + 15 + 7 + 39 + 13 + 11 + 12
    assert set(NOT_SERVED) <= files
    assert set(DIFFERENCES) <= files
    assert set(SEAT_FOLLOWUPS) <= files


def test_shape_check_catches_a_missing_key_and_a_wrong_type() -> None:
    """The shape comparison is not blind."""
    real = {"a": 1, "b": [{"amount_type": "fixed", "x": "s"}], "c": None}
    assert shape_problems({"a": 1, "b": [{"amount_type": "fixed", "x": "s"}], "c": 3}, real) == []
    assert shape_problems({"a": "1", "b": [], "c": None}, real) == ["$.a: str, Polar sent int"]
    assert sorted(shape_problems({"b": [{"amount_type": "fixed"}]}, real)) == [
        "$.a is missing",
        "$.b[0].x is missing",
        "$.c is missing",
    ]
