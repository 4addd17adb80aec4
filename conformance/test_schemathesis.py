"""schemathesis drives the fake server from Polar's contract and checks every answer.

Two runs: the claimed-subscriptions list over its contract, and the seat lifecycle (the
customer portal's seats, the organization's, the claim) over ``customer-seats``.
"""

from __future__ import annotations

import asyncio
import collections
import json
import re
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.hooks import HookContext
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    positive_data_acceptance,
    status_code_conformance,
    unsupported_method,
)

import polar_seats as ps
from polar_seats.testing import (
    DEFAULT_ORGANIZATION_TOKEN,
    DEFAULT_TOKEN,
    FakePolarServer,
    serve_in_thread,
)
from tests.support import contract

# Polar's contract names pydantic's UUID4 `format: uuid4`, which schemathesis does not know:
# without this it draws any string as a valid id and calls FastAPI's 422 for it (the real
# server's answer too: 04-seats/004, 04-seats/017) a rejection of valid data.
schemathesis.openapi.format("uuid4", st.uuids(version=4).map(str))

schema = schemathesis.openapi.from_dict(contract.load())


def bearer(token: str) -> type:
    """An auth provider sending ``token``; schemathesis also tries requests without it."""

    class Bearer:
        def get(self, case: schemathesis.Case, context: Any) -> str:
            return token

        def set(self, case: schemathesis.Case, data: str, context: Any) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    return Bearer


schema.auth()(bearer(DEFAULT_TOKEN))


@pytest.fixture(scope="module")
def server() -> Iterator[FakePolarServer]:
    with serve_in_thread(FakePolarServer(count=250)) as fake:
        yield fake


@schema.parametrize()
def test_every_answer_fits_the_contract(case: schemathesis.Case, server: FakePolarServer) -> None:
    """Generated queries, valid and not, with and without a token: each answer conforms."""
    response = case.call(base_url=server.url)
    if response.status_code == 500 and _offset_overflows(case.query or {}):
        # Polar's database refuses the OFFSET and Polar answers a plain 500 (recorded from
        # its real server; tests/real_polar/test_real_polar.py replays it): undocumented, but
        # Polar's.
        assert response.text == "Internal Server Error"
        return
    # A method the list does not take gets Polar's 405 with `Allow: DELETE`: the path also
    # matches /seats/{seat_id}, which Polar routes first (recorded from its real server,
    # replayed there too). The contract of one endpoint cannot know that.
    excluded = [allow_header_conformance]
    if case.method == "DELETE":
        # And DELETE is that route's own method: Polar revokes seat "subscriptions", whose
        # id is no UUID, so a 422 (as the fake's seat routes answer), not a 405.
        assert response.status_code in (401, 422), response.text
        excluded.append(unsupported_method)
    case.validate_response(response, excluded_checks=excluded)


def _offset_overflows(query: dict[str, Any]) -> bool:
    try:
        page, limit = int(query.get("page", 1)), int(query.get("limit", 10))
    except (TypeError, ValueError):
        return False
    return page > 0 and limit > 0 and (page - 1) * min(limit, 100) > 2**63 - 1


# The seat lifecycle ----------------------------------------------------------------------

seat_schema = schemathesis.openapi.from_dict(
    json.loads((contract.HERE / "customer-seats.openapi.json").read_text())
)

# schemathesis draws its coverage phase's cases while pytest collects this module, before
# any fixture runs: the data its ids are aimed at (below) must exist by then. So the fake
# is built, and its seats assigned over HTTP by polar_seats, when the module is imported;
# the fixture serves the same state again.
SEAT_SERVER = FakePolarServer(count=1)
BILLING = SEAT_SERVER.add_billing_customer(seats=40, order_seats=5)


async def _seed_seats() -> None:
    """Pending, claimed and revoked seats on the subscription, a pending one on the order."""
    sub = BILLING.subscription_id
    async with SEAT_SERVER, ps.AsyncClient(BILLING.token, base_url=SEAT_SERVER.url) as client:
        for number in range(16):
            await client.assign_seat(subscription_id=sub, email=f"invitee-{number}@x.test")
        await client.assign_seat(subscription_id=sub, email="held@x.test", immediate_claim=True)
        await client.revoke_seat(await client.assign_seat(subscription_id=sub, email="r@x.test"))
        await client.assign_seat(order_id=BILLING.order_id, email="order@x.test")


asyncio.run(_seed_seats())

seat_schema.auth().apply_to(path_regex="^/v1/customer-portal/")(bearer(BILLING.token))
seat_schema.auth().apply_to(path_regex=r"^/v1/customer-seats(/\{seat_id\}(/resend)?)?$")(
    bearer(DEFAULT_ORGANIZATION_TOKEN)
)
# The claim's two routes take no credential, and get none.

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_SOURCES = ("order_id", "checkout_id")
_PERSON_IDS = ("customer_id", "external_customer_id", "member_id", "external_member_id")


def _seat_ids(*, pending: bool = False) -> list[str]:
    """The billing customer's seats; for a resend, its pending ones while there are any."""
    seats = [
        seat
        for seat in SEAT_SERVER.state.seats
        if BILLING.subscription_id == seat.subscription_id or seat.order_id == BILLING.order_id
    ]
    waiting = [seat for seat in seats if seat.status == "pending"] if pending else []
    return [seat.id for seat in waiting or seats]


def _invitations() -> list[str]:
    return [seat.invitation_token for seat in SEAT_SERVER.state.seats if seat.invitation_token]


def _draw(value: Any) -> int | None:
    """A coin and a pick from a drawn value itself (so a case replays as it ran): ``None``
    for about half the values, which keep what schemathesis drew."""
    draw = zlib.crc32(json.dumps(value, sort_keys=True, default=repr).encode())
    return draw >> 1 if draw % 2 else None


def _aim(container: Any, name: str, pool: list[str], *, uuid: bool = True) -> None:
    """Point about half the well-formed values drawn for ``name`` at one of ``pool``; the
    others keep their random id (Polar's 404), the malformed ones stay malformed (422)."""
    value = container.get(name) if isinstance(container, dict) else None
    if not isinstance(value, str) or not pool or (uuid and not _UUID.fullmatch(value)):
        return
    draw = _draw(value)
    if draw is not None:
        container[name] = pool[draw % len(pool)]


def _aim_assign(body: Any) -> None:
    """Point about half the assign bodies at the billing customer's subscription. Polar's
    validators want one seat source and the person named once: an aimed body keeps the
    subscription and, when it has an email, the email alone."""
    if not isinstance(body, dict) or _draw(body) is None:
        return
    body["subscription_id"] = BILLING.subscription_id
    person = isinstance(body.get("email"), str)
    for other in _SOURCES + (_PERSON_IDS if person else ()):
        body.pop(other, None)


@seat_schema.hook
def map_case(context: HookContext, case: schemathesis.Case) -> schemathesis.Case:
    """Random ids only reach Polar's 404s: aim some at the billing customer's subscription,
    order, seats and live invitations, so the 200s (and the refusals of a seat's state)
    are checked against the contract too. The pools are read when a case is drawn. Only
    valid cases are aimed: an aim could mend what a negative case broke on purpose."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return case
    _aim(case.query, "subscription_id", [BILLING.subscription_id])
    _aim(case.query, "order_id", [str(BILLING.order_id)])
    resend = case.path.endswith("/resend")
    _aim(case.path_parameters, "seat_id", _seat_ids(pending=resend))
    _aim(case.path_parameters, "invitation_token", _invitations(), uuid=False)
    if case.method == "POST" and case.path in ("/v1/customer-portal/seats", "/v1/customer-seats"):
        _aim_assign(case.body)
    _aim(case.body, "invitation_token", _invitations(), uuid=False)
    return case


@pytest.fixture(scope="module")
def seat_server() -> Iterator[FakePolarServer]:
    with serve_in_thread(SEAT_SERVER) as fake:
        yield fake


SEAT_OPERATIONS = {
    f"{method.upper()} {path}"
    for path, methods in seat_schema.raw_schema["paths"].items()
    for method in methods
}
ANSWERED: collections.defaultdict[str, set[int]] = collections.defaultdict(set)
"""The statuses each seat operation answered in the run."""


@seat_schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_every_seat_answer_fits_the_contract(
    case: schemathesis.Case, seat_server: FakePolarServer
) -> None:
    """Generated requests to the seat endpoints, valid and not, with and without their
    credential (a billing customer's session, the organization token): each answer conforms."""
    response = case.call(base_url=seat_server.url)
    ANSWERED[f"{case.method} {case.operation.path}"].add(response.status_code)
    case.validate_response(response, excluded_checks=_seat_exclusions(case, response))


_REFUSAL = {"error", "detail"}
"""The keys of Polar's error envelope, which its application's refusals carry."""


def _seat_exclusions(case: schemathesis.Case, response: Any) -> list[Any]:
    """The checks an answer of Polar's own cannot pass, each with the recording it follows."""
    # `/v1/customer-seats/claim` also matches `DELETE /{seat_id}`, which Polar's router
    # declares first: another method there gets its 405, `Allow: DELETE` (as on the
    # portal's list above), not the contract's POST.
    excluded: list[Any] = [allow_header_conformance]
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None
    detail = body.get("detail") if isinstance(body, dict) else None
    if response.status_code == 400 and case.method == "GET" and "claim" not in case.path:
        # A list naming neither a subscription nor an order: Polar's 400 (04-seats/002),
        # which the contract leaves out; both ids are optional there.
        assert body == {
            "error": "BadRequest",
            "detail": "Either subscription_id or order_id must be provided",
        }
        excluded += [status_code_conformance, positive_data_acceptance]
    elif response.status_code == 400 and isinstance(body, dict) and set(body) == _REFUSAL:
        # A documented 400 refuses the state, not the data: no free seat, a seat already
        # assigned or not pending, a spent invitation (04-seats/007, /010, 05-claim/004).
        excluded.append(positive_data_acceptance)
    elif (
        response.status_code == 422
        and isinstance(detail, list)
        and all(isinstance(entry, dict) and entry.get("type") == "value_error" for entry in detail)
    ):
        # SeatAssign's validators, which a JSON schema cannot say: exactly one of
        # subscription_id and order_id, which person ids go together, metadata of at most
        # 10 keys and 1 KB, a deliverable email (04-seats/021 to /026).
        excluded.append(positive_data_acceptance)
    return excluded


def test_the_seat_run_reached_the_fakes_data() -> None:
    """Every seat operation answered a 200 at least once in the run above, so its bodies
    were checked against the contract; and a random id met a 404."""
    if not ANSWERED.keys() >= SEAT_OPERATIONS:
        pytest.skip("runs after test_every_seat_answer_fits_the_contract, over every operation")
    assert {operation for operation in SEAT_OPERATIONS if 200 not in ANSWERED[operation]} == set()
    assert 404 in ANSWERED["DELETE /v1/customer-seats/{seat_id}"]
