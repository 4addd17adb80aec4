"""The fake answers as Polar's real server did: every recorded exchange, replayed and counted.

tests/real_polar/exchanges/ holds requests sent to Polar's own server (polarsource/polar at
c6c3645e) and its answers. Each is sent to a fake seeded to match (a recorded token maps onto
a fake subject of the same kind: valid, expired, unknown), and the fake must answer with the
same status, the same error body, the headers that matter, and for a 2xx the same shape,
variant by variant (tests/real_polar/shapes.py). Each test replays its share of the
recordings (``SHARES``) and proves it compared every one; the shares cover every recording.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from polar_seats.testing import (
    BENEFIT_TYPES,
    PRICE_KINDS,
    FakePolarServer,
    make_subscription,
    make_subscriptions,
)
from polar_seats.testing._resources.seats import Seat
from polar_seats.testing._seeding import ORGANIZATION_SCOPES
from polar_seats.testing._state import State
from tests.support import contract

from .shapes import Catalogue, Contract, ShapeCheck

HERE = Path(__file__).parent / "exchanges"
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

RECORDED = {
    "01-list-claimed": 73,
    "02-customer-sessions": 15,
    "03-introspect": 7,
    "04-seats": 39,
    "05-claim": 13,
    "06-ratelimit": 11,
    "07-followup-content-length-0": 12,
}
"""How many exchanges each folder holds, as recorded (tests/real_polar/exchanges/)."""

SUMMARIES = {
    "01-list-claimed/order-stability-summary.json": "the ids the 067 to 073 walks saw, "
    "summarised by the capture script; those exchanges are replayed themselves",
    "06-ratelimit/burst-summary.json": "the status of every request of the two bursts, which "
    "the rate-limit test sends and compares",
}
"""Files beside the exchanges that are not exchanges, and what they are."""

CALENDAR = "01-list-claimed/050-polar-version-2027-01.json"
"""``Polar-Version: 2027-01``, unknown to the recorded server (2026-08-22): replayed against a
fake on that day, as only a fake with a calendar can be."""

DIFFERENCES = {
    "01-list-claimed/055-polar-version-2026-04-trailing-space.json": (
        "01-list-claimed/048-polar-version-2026-04.json",
        "aiohttp's HTTP parser strips a header value's trailing whitespace (RFC 9110 5.5), so "
        "the fake sees `2026-04` and cannot refuse `2026-04 ` as Polar's uvicorn did (404).",
    ),
}
"""Exchanges the fake cannot answer as Polar did: the recording whose answer it gives instead
(compared whole), and why."""

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


def on_disk() -> list[str]:
    """Every file under tests/real_polar/exchanges/ but the index, by folder and name."""
    return sorted(path.relative_to(HERE).as_posix() for path in HERE.glob("*/*"))


def recordings(folder: str) -> tuple[str, ...]:
    """The exchanges on disk in ``folder``, in the order they were recorded."""
    return tuple(
        name for name in on_disk() if name.startswith(f"{folder}/") and name not in SUMMARIES
    )


SHARES: dict[str, tuple[str, ...]] = {
    "01-list-claimed": tuple(n for n in recordings("01-list-claimed") if n != CALENDAR),
    "03-introspect": recordings("03-introspect"),
    "sessions": recordings("02-customer-sessions")
    + tuple(n for n in recordings("07-followup-content-length-0") if n not in SEAT_FOLLOWUPS),
    "rate limits": recordings("06-ratelimit"),
    "seats": recordings("04-seats") + recordings("05-claim") + SEAT_FOLLOWUPS,
    "calendar": (CALENDAR,),
}
"""Which test replays which recordings, in the order it compares them."""


def coverage_gaps(
    shares: Mapping[str, Sequence[str]],
    files: Iterable[str],
    index: Iterable[Mapping[str, Any]],
) -> list[str]:
    """Every way ``shares`` fail to replay each recording exactly once, as readable lines:
    a file on disk the index does not list, an entry with no file, a summary gone, a
    recording no test replays or two do, a folder holding another count than was recorded."""
    files = set(files)
    listed = [entry["file"] for entry in index]
    replays: dict[str, list[str]] = {}
    for test, names in shares.items():
        for name in names:
            replays.setdefault(name, []).append(test)
    gaps = [
        f"{n} is on disk, not in INDEX.json" for n in sorted(files - set(listed) - SUMMARIES.keys())
    ]
    gaps += [f"{n} is in INDEX.json, not on disk" for n in sorted(set(listed) - files)]
    gaps += [f"{n} is in INDEX.json twice" for n in sorted(set(listed)) if listed.count(n) > 1]
    gaps += [f"{n} (a summary) is not on disk" for n in sorted(SUMMARIES.keys() - files)]
    gaps += [f"{n} is replayed by no test" for n in sorted(set(listed) - replays.keys())]
    gaps += [f"{n} is replayed, not in INDEX.json" for n in sorted(replays.keys() - set(listed))]
    gaps += [
        f"{name} is replayed {len(tests)} times ({', '.join(tests)})"
        for name, tests in sorted(replays.items())
        if len(tests) > 1
    ]
    for folder, count in RECORDED.items():
        held = sum(name.startswith(f"{folder}/") for name in listed)
        if held != count:
            gaps.append(f"{folder} holds {held} exchanges, {count} were recorded")
    return gaps


def exchange(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((HERE / name).read_text())
    return data


def schema(file: str, name: str) -> jsonschema.Draft202012Validator:
    """A validator for one schema of a trimmed copy of Polar's contract, refs resolved."""
    document = json.loads((Path(__file__).parents[1] / "contract" / file).read_text())
    resource = Resource.from_contents(document, default_specification=DRAFT202012)
    return jsonschema.Draft202012Validator(
        {"$ref": f"urn:contract#/components/schemas/{name}"},
        registry=Registry().with_resource("urn:contract", resource),
        format_checker=jsonschema.FormatChecker(),
    )


_SEATS = "customer-seats.openapi.json"
_SESSIONS = "customer-sessions.openapi.json"
CONTRACTS = {
    ("GET", r"(/api)?/v1/customer-portal/seats/subscriptions"): (
        contract.LATEST.name,
        "ListResource_CustomerSubscription_",
    ),
    ("GET", r"/v1/customer-portal/customer-session/introspect"): (
        "customer-session-introspect.openapi.json",
        "CustomerCustomerSession",
    ),
    ("GET", r"/v1/customer-portal/customer-session/user"): (_SESSIONS, "PortalAuthenticatedUser"),
    ("POST", r"/v1/customer-sessions/"): (_SESSIONS, "CustomerSession"),
    ("GET", r"/v1/customer-(portal/)?seats"): (_SEATS, "SeatsList"),
    ("POST", r"/v1/customer-(portal/)?seats"): (_SEATS, "CustomerSeat"),
    ("DELETE", r"/v1/customer-(portal/)?seats/[^/]+"): (_SEATS, "CustomerSeat"),
    ("POST", r"/v1/customer-(portal/)?seats/[^/]+/resend"): (_SEATS, "CustomerSeat"),
    ("GET", r"/v1/customer-seats/claim/[^/]+"): (_SEATS, "SeatClaimInfo"),
    ("POST", r"/v1/customer-seats/claim"): (_SEATS, "CustomerSeatClaimResponse"),
}
"""Polar's contract for each 2xx answer (a file of tests/contract/ and a schema in it), by
method and path."""


def contract_for(method: str, path: str) -> tuple[str, str]:
    (found,) = [
        found
        for (wanted, pattern), found in CONTRACTS.items()
        if wanted == method and re.fullmatch(pattern, path)
    ]
    return found


DOCUMENTS = {
    file: Contract(
        contract.load()
        if file == contract.LATEST.name
        else json.loads((contract.HERE / file).read_text())
    )
    for file, _ in CONTRACTS.values()
}
"""Each contract, to walk beside a body (the list's with its price union as Polar tells it)."""


def validator_for(file: str, name: str) -> jsonschema.Draft202012Validator:
    return contract.validator(name) if file == contract.LATEST.name else schema(file, name)


VALIDATORS = {found: validator_for(*found) for found in CONTRACTS.values()}


def recorded_bodies(names: Iterable[str]) -> Iterable[tuple[str, Any]]:
    """``(schema, body)`` of each 2xx JSON answer among the recordings ``names``."""
    for name in names:
        recorded = exchange(name)
        answer = recorded["response"]
        if answer["status"] < 300 and answer["body_json"] is not None:
            _, root = contract_for(recorded["request"]["method"], recorded["request"]["path"])
            yield root, answer["body_json"]


CATALOGUE = Catalogue(recorded_bodies(entry["file"] for entry in INDEX))
"""What Polar's server sent, by place in its bodies."""

_PRICES = tuple(
    kind.replace("_", " ", 1) if kind.startswith("legacy_") else kind for kind in PRICE_KINDS
)
UNRECORDED: dict[tuple[str, str | None], str] = {
    **{
        (key, kind): "Polar's seed had seat-based prices only; the fake's seeds rotate "
        "through every kind the contract knows"
        for key in ("prices", "price")
        for kind in _PRICES
        if kind != "seat_based"
    },
    **{
        ("benefits", kind): "Polar's seed had custom benefits only; the fake's seeds rotate "
        "through every type the contract knows"
        for kind in BENEFIT_TYPES
        if kind != "custom"
    },
    ("meters", None): "no recorded subscription had a meter",
    ("medias", None): "no recorded product had media",
    ("pending_update", None): "no recorded subscription had a pending update",
}
"""Objects the fake sends that no recording holds (by the key they are under and their
variant), and why: checked against their contract branch and ``UNDECLARED`` instead."""

_SCHEMAS = DOCUMENTS[contract.LATEST.name].document["components"]["schemas"]
_PRICE_FIELDS = {
    "type": {"enum": ["one_time", "recurring"]},
    "recurring_interval": {
        "anyOf": [{"$ref": "#/components/schemas/RecurringInterval"}, {"type": "null"}]
    },
}
UNDECLARED = {
    "items": {
        "price": _SCHEMAS["CustomerSubscription"]["properties"]["prices"]["items"],
    },
    "prices": _PRICE_FIELDS,
    "price": _PRICE_FIELDS,
}
"""Schemas for keys Polar sends that its contract leaves out (FACTS.md, "Fields sent that the
contract leaves out"), by the key of the object they are on, where the shape check needs one:
a subscription's first ``price`` (a price of any kind) and two keys of every price (for the
kinds no recording holds)."""


def shape_problems(name: str, body: Any, shapes: ShapeCheck | None = None) -> list[str]:
    """How ``body``, answering the recorded request ``name``, differs from Polar's bodies."""
    shapes = shapes or ShapeCheck(CATALOGUE, UNRECORDED, UNDECLARED)
    request = exchange(name)["request"]
    file, root = contract_for(request["method"], request["path"])
    return shapes.problems(body, root, DOCUMENTS[file], {"$ref": f"#/components/schemas/{root}"})


@dataclass
class Replay:
    """One test's replay: its share of the recordings, what it compared, where its bodies went."""

    share: str
    compared: list[str] = field(default_factory=list)
    shapes: ShapeCheck = field(
        default_factory=lambda: ShapeCheck(CATALOGUE, UNRECORDED, UNDECLARED)
    )

    def compare(
        self, name: str, server: FakePolarServer, got: tuple[int, dict[str, str], bytes]
    ) -> None:
        """The fake's answer is the recorded one (or, for ``DIFFERENCES``, the one named)."""
        self.compared.append(name)
        like = DIFFERENCES[name][0] if name in DIFFERENCES else name
        compare(like, server, got, self.shapes)

    def unmet(self) -> list[str]:
        """Objects in the compared recordings (by place and variant) no fake body held."""
        likes = [DIFFERENCES[n][0] if n in DIFFERENCES else n for n in self.compared]
        places = set()
        for root, body in recorded_bodies(likes):
            places |= CATALOGUE.objects(body, root)
        return sorted(places - self.shapes.met)

    def finish(self) -> None:
        """Every recording of the share was compared, once and in order, and every object
        Polar sent in them met one of the fake's."""
        assert self.compared == list(SHARES[self.share])
        assert self.unmet() == []


def seed_customer(state: State, organization_id: str, email: str, token: str) -> Any:
    customer = state.add_customer(organization_id, email)
    member = state.add_member(customer, role="owner")
    state.mint_session(customer, token=token, ttl=8 * 3600)
    return customer, member


def claim(state: State, bodies: list[dict[str, Any]], member: Any) -> None:
    for body in bodies:
        state.seats.append(state.claimed_seat(state.add_subscription(body), member))


def seat_based_first(count: int, *, seed: int) -> list[dict[str, Any]]:
    """``count`` generated subscriptions (every kind of price in turn), the first with a
    seat-based price as all of Polar's seed had, so a page of one holds Polar's kind."""
    start = PRICE_KINDS.index("seat_based")
    return [make_subscription(start + index, seed=seed) for index in range(count)]


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


def compare(
    name: str, server: FakePolarServer, got: tuple[int, dict[str, str], bytes], shapes: ShapeCheck
) -> None:
    """The fake's answer is the recorded one: the status, the headers that matter, an error's
    body whole, a 2xx body's shape (Polar's and its contract's) and page figures."""
    status, headers, body = got
    recorded_exchange = exchange(name)
    answer = recorded_exchange["response"]
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
    assert shape_problems(name, data, shapes) == [], name
    request = recorded_exchange["request"]
    validator = VALIDATORS[contract_for(request["method"], request["path"])]
    assert [error.message for error in validator.iter_errors(data)] == [], name
    if "items" in data:
        assert data["pagination"] == answer["body_json"]["pagination"], name
        assert len(data["items"]) == len(answer["body_json"]["items"]), name


@pytest.mark.parametrize("group", ["01-list-claimed", "03-introspect"])
async def test_every_recorded_exchange_replays(http: aiohttp.ClientSession, group: str) -> None:
    """Each recorded request of the group gets Polar's status, error body, headers, shape."""
    replay = Replay(group)
    async with FakePolarServer(count=30, tokens=[ALICE], today=RECORDED_ON) as server:
        seed_portal(server)
        for name in SHARES[group]:
            replay.compare(name, server, await send(http, server, exchange(name)))
    replay.finish()


async def test_a_version_unknown_on_the_recorded_day_gets_polar_s_whole_404(
    http: aiohttp.ClientSession,
) -> None:
    """On 2026-08-22 2027-01 gets Polar's 404 whole: body, no Polar-Version, no Cache-Control."""
    replay = Replay("calendar")
    async with FakePolarServer(count=30, tokens=[ALICE], today=RECORDED_ON) as server:
        seed_portal(server)
        replay.compare(CALENDAR, server, await send(http, server, exchange(CALENDAR)))
    replay.finish()


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
    """Polar's seed for the session recordings: Seat Co with alice (holding the subscriptions
    Polar's alice held), bob, dave and its token; Member Co (the member model on) with its
    owner customer and its own token."""
    state = server.state
    state.frontend_url = "http://127.0.0.1:3000"
    org = state.add_organization(
        {"id": recorded_customer(BY_ID)["organization_id"], "slug": "seat-co", "name": "Seat Co"}
    )
    state.add_organization_token(org, ORGANIZATION_SCOPES, token=ORGANIZATION_TOKEN)
    alice = seed_recorded_customer(state, org.id, BY_ID)
    held = exchange("01-list-claimed/004-alice-limit100-page1.json")["response"]["body_json"]
    claim(state, held["items"], state.add_member(alice, role="owner"))
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
ORGANIZATION_TOKEN = token_of("02-customer-sessions/001-by-customer-id.json")
OTHER_ORGANIZATION_TOKEN = token_of("02-customer-sessions/010-other-org-customer.json")
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
    """Each session recording gets Polar's answer; a 201 is Polar's but for its token and times."""
    replay = Replay("sessions")
    async with FakePolarServer([], tokens=[], today=RECORDED_ON) as server:
        seed_sessions(server)
        minted: dict[str, str] = {}
        for name in SHARES["sessions"]:
            got = await send(http, server, exchange(name), minted)
            replay.compare(name, server, got)
            if got[0] == 201:
                minted[exchange(name)["response"]["body_json"]["token"]] = same_session(name, got)
    assert server.sessions_minted() == 5
    replay.finish()


async def test_the_rate_limit_recordings_replay(http: aiohttp.ClientSession) -> None:
    """Polar's sandbox limits: pending_auth, 100 per customer and its tokens, 60 bad tokens."""
    summary = json.loads((HERE / "06-ratelimit" / "burst-summary.json").read_text())
    replay = Replay("rate limits")
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
        replay.compare(fresh, server, created)
        tokens = {DAVE_FRESH: json.loads(created[2])["token"]}
        _, bob = seed_customer(state, org.id, "bob@example.com", BOB)
        claim(state, seat_based_first(2, seed=4), bob)
        # Polar had seen dave's other token minutes before; one request makes it known here.
        await send(
            http, server, exchange("06-ratelimit/006-other-token-same-customer-request-1.json")
        )
        burst = exchange("06-ratelimit/002-burst-request-1.json")
        answers = [await send(http, server, burst, tokens) for _ in summary["valid_token_burst"]]
        assert [a[0] for a in answers] == [status for _, status, _ in summary["valid_token_burst"]]
        replay.compare("06-ratelimit/002-burst-request-1.json", server, answers[0])
        replay.compare("06-ratelimit/003-burst-request-2.json", server, answers[1])
        replay.compare("06-ratelimit/004-burst-first-429-at-request-102.json", server, answers[-1])
        server.clock.advance(5)
        for name in SHARES["rate limits"][4:9]:  # 005 to 009
            replay.compare(name, server, await send(http, server, exchange(name), tokens))
        bad = exchange("06-ratelimit/010-bad-token-request-1.json")
        answers = [await send(http, server, bad) for _ in summary["invalid_token_burst"]]
        assert [a[0] for a in answers] == [status for _, status in summary["invalid_token_burst"]]
        replay.compare("06-ratelimit/010-bad-token-request-1.json", server, answers[0])
        replay.compare("06-ratelimit/011-bad-token-first-429-at-61.json", server, answers[-1])
    replay.finish()


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
    """Every seat and claim recording gets Polar's status, headers, body, shape, seats, in order."""
    replay = Replay("seats")
    async with FakePolarServer([], tokens=[], today=RECORDED_ON) as server:
        seed_seat_recordings(server)
        ids: dict[str, str] = {CAROL_INVITATION: CAROL_INVITATION}
        for name in SHARES["seats"]:
            erin = [m.token for m in server.outbox if m.to == "erin@seatco-clients.com"]
            if erin:
                ids[ERIN_INVITATION] = erin[0]
            recorded = exchange(name)
            got = await send(http, server, recorded, ids)
            replay.compare(name, server, got)
            if got[0] == 200:
                data = json.loads(got[2])
                learn(recorded, data, ids)
                same_values(name, data, ids)
        mails = [mail.to for mail in server.outbox]
    # erin, grace, dave, nina assigned; carol's and dave's resent (frank claimed at once)
    assert mails == [f"{n}@seatco-clients.com" for n in ("erin", "grace", "dave", "nina", "dave")]
    replay.finish()


def test_every_recording_is_replayed_once() -> None:
    """Each exchange on disk is indexed and in one share; each folder holds what was recorded."""
    assert coverage_gaps(SHARES, on_disk(), INDEX) == []


def test_a_recording_no_test_replays_is_a_gap() -> None:
    """Dropping the last exchange of every share is reported, one line each."""
    shares = {test: names[:-1] for test, names in SHARES.items()}
    dropped = sorted(names[-1] for names in SHARES.values())
    assert coverage_gaps(shares, on_disk(), INDEX) == [
        f"{name} is replayed by no test" for name in dropped
    ]


def test_a_folder_short_of_what_was_recorded_is_a_gap() -> None:
    """Deleting the last exchange of every folder (from disk and INDEX.json) is reported."""
    last = {recordings(folder)[-1] for folder in RECORDED}
    files = [name for name in on_disk() if name not in last]
    index = [entry for entry in INDEX if entry["file"] not in last]
    shares = {test: [n for n in names if n not in last] for test, names in SHARES.items()}
    assert coverage_gaps(shares, files, index) == [
        f"{folder} holds {count - 1} exchanges, {count} were recorded"
        for folder, count in RECORDED.items()
    ]


def test_a_file_the_index_does_not_list_is_a_gap() -> None:
    """An exchange on disk that INDEX.json does not list, or a summary gone, is reported."""
    added = "04-seats/040-something-new.json"
    shares = {**SHARES, "seats": (*SHARES["seats"], added)}
    files = [*on_disk(), added]
    files.remove("06-ratelimit/burst-summary.json")
    assert coverage_gaps(shares, files, INDEX) == [
        f"{added} is on disk, not in INDEX.json",
        "06-ratelimit/burst-summary.json (a summary) is not on disk",
        f"{added} is replayed, not in INDEX.json",
    ]


def test_an_indexed_file_that_is_absent_is_a_gap() -> None:
    """An INDEX.json entry whose file is not on disk, or listed twice, is reported."""
    gone = "05-claim/013-alice-after-claims.json"
    files = [name for name in on_disk() if name != gone]
    index = [*INDEX, {"file": "03-introspect/001-alice.json"}]
    assert coverage_gaps(SHARES, files, index) == [
        f"{gone} is in INDEX.json, not on disk",
        "03-introspect/001-alice.json is in INDEX.json twice",
        "03-introspect holds 8 exchanges, 7 were recorded",
    ]


def test_a_recording_two_tests_replay_is_a_gap() -> None:
    """Replaying an exchange in two shares is reported with both."""
    twice = "01-list-claimed/001-alice-defaults.json"
    shares = {**SHARES, "calendar": (CALENDAR, twice)}
    assert coverage_gaps(shares, on_disk(), INDEX) == [
        f"{twice} is replayed 2 times (01-list-claimed, calendar)"
    ]


def test_a_replay_that_skips_a_recording_of_its_share_does_not_finish() -> None:
    """A test comparing all but the last recording of its share fails at its end."""
    replay = Replay("03-introspect", compared=list(SHARES["03-introspect"][:-1]))
    with pytest.raises(AssertionError):
        replay.finish()


PORTAL_USER = "03-introspect/007-portal-user-alice.json"
LIST = "01-list-claimed/001-alice-defaults.json"


def recorded_body(name: str) -> Any:
    """A copy of the body Polar answered ``name`` with."""
    return json.loads(exchange(name)["response"]["body_text"])


def test_polar_s_own_bodies_have_polar_s_shape() -> None:
    """Every 2xx body Polar sent passes the shape check: it refuses only what differs."""
    answered = [
        entry["file"]
        for entry in INDEX
        if entry["status"] < 300 and exchange(entry["file"])["response"]["body_json"] is not None
    ]
    assert len(answered) == 78
    problems = {name: shape_problems(name, recorded_body(name)) for name in answered}
    assert {name: found for name, found in problems.items() if found} == {}


def test_a_member_answering_for_a_customer_fails_the_shape_check() -> None:
    """A member's body as a customer's portal user fails the shape check; the contract allows it."""
    member = {
        **recorded_body(PORTAL_USER),
        "type": "member",
        "member_id": "0b6a1d4e-5d53-4c47-9a55-2f1d3c8e9b10",
        "role": "owner",
    }
    path = exchange(PORTAL_USER)["request"]["path"]
    assert VALIDATORS[contract_for("GET", path)].is_valid(member)
    assert shape_problems(PORTAL_USER, member) == [
        "$: a member object, and no recording has one here (PortalAuthenticatedUser$<member>)"
    ]


def test_a_null_matches_only_what_the_contract_allows() -> None:
    """A value where Polar sent null, or null where it sent a value, needs the contract's leave."""
    body = recorded_body(LIST)
    item = body["items"][0]
    item["discount_id"] = "6f2c1b9e-2d0b-4c55-8f37-0d1b9a7e4c21"
    item["product"]["organization"]["modified_at"] = None
    assert shape_problems(LIST, body) == []
    item["checkout_id"] = 5
    item["id"] = None
    item["product"]["organization"]["bio"] = "Seats for all."
    assert shape_problems(LIST, body) == [
        "$.items[0].checkout_id: integer, where Polar sent null",
        "$.items[0].id: null, where Polar sent string",
        "$.items[0].product.organization.bio: string, where Polar sent null (a key its "
        "contract leaves out)",
    ]


def test_a_key_polar_never_sent_fails_the_shape_check_though_the_contract_declares_it() -> None:
    """`pause` on the portal settings is refused, though the newer contract declares it."""
    body = recorded_body(LIST)
    settings = body["items"][0]["product"]["organization"]["customer_portal_settings"]
    settings["subscription"]["pause"] = False
    assert contract.errors(body) == []
    assert shape_problems(LIST, body) == [
        "$.items[0].product.organization.customer_portal_settings.subscription.pause is not "
        "in Polar's body"
    ]


def test_a_missing_key_and_a_wrong_type_fail_the_shape_check() -> None:
    """A key Polar always sent, gone, and a number sent as a string are both reported."""
    body = recorded_body(LIST)
    del body["items"][0]["product"]["benefits"][0]["selectable"]
    body["items"][0]["amount"] = "5000"
    assert shape_problems(LIST, body) == [
        "$.items[0].amount: string, where Polar sent integer",
        "$.items[0].product.benefits[0].selectable is missing",
    ]


def test_a_variant_no_recording_holds_passes_only_when_listed() -> None:
    """A price kind no recording holds is refused unless listed, then held to its contract."""
    body = recorded_body(LIST)
    fixed = make_subscription(PRICE_KINDS.index("fixed"))["prices"][0]
    body["items"][0]["product"]["prices"] = [fixed]
    unlisted = ShapeCheck(CATALOGUE, {}, UNDECLARED)
    assert shape_problems(LIST, body, unlisted) == [
        "$.items[0].product.prices[0]: a fixed object, and no recording has one here "
        "(ListResource_CustomerSubscription_$.items[].product.prices[]<fixed>)"
    ]
    assert shape_problems(LIST, body) == []
    fixed["pause"] = False
    del fixed["price_amount"]
    assert shape_problems(LIST, body) == [
        "$.items[0].product.prices[0].price_amount is missing",
        "$.items[0].product.prices[0].pause is not in Polar's body",
    ]


def test_a_recorded_variant_the_fake_never_sent_is_unmet() -> None:
    """A replay whose bodies held no seat-based price, where Polar's did, cannot finish."""
    replay = Replay("01-list-claimed", compared=[LIST])
    body = recorded_body(LIST)
    fixed = make_subscription(PRICE_KINDS.index("fixed"))["prices"][0]
    for item in body["items"]:
        item["prices"] = item["product"]["prices"] = [fixed]
        item["price"] = fixed
    assert shape_problems(LIST, body, replay.shapes) == []
    assert [place.split("$", 1)[1] for place in replay.unmet()] == [
        ".items[].price<seat_based>",
        ".items[].price<seat_based>.seat_tiers",
        ".items[].price<seat_based>.seat_tiers.tiers[]",
        ".items[].prices[]<seat_based>",
        ".items[].prices[]<seat_based>.seat_tiers",
        ".items[].prices[]<seat_based>.seat_tiers.tiers[]",
        ".items[].product.prices[]<seat_based>",
        ".items[].product.prices[]<seat_based>.seat_tiers",
        ".items[].product.prices[]<seat_based>.seat_tiers.tiers[]",
    ]
