"""Request bodies, query and path values as Polar's FastAPI and pydantic read them in the fake:
bodies that do not decode, each field type's entry, lax booleans, UUID forms, emails, the
assign body's recipient rules, and the session body's URLs."""

from __future__ import annotations

from typing import Any

import pytest

from polar_seats.testing import BillingCustomer, FakePolarServer

from .test_fake_seat_branches import first_entry, post_raw, seats_of
from .test_fake_seats import CLAIM, PORTAL, assign, call
from .test_fake_state import mint

MISSING_BODY = {
    "error": "RequestValidationError",
    "detail": [{"type": "missing", "loc": ["body"], "msg": "Field required", "input": None}],
}
BOOL_PARSING = "Input should be a valid boolean, unable to interpret input"


@pytest.fixture
def billing(server: FakePolarServer) -> BillingCustomer:
    """A customer that bought 3 seats."""
    return server.add_billing_customer(seats=3)


def token_for(billing: BillingCustomer, path: str) -> str | None:
    """The token a POST to ``path`` sends: the billing customer's to assign, none to claim."""
    return billing.token if path == PORTAL else None


@pytest.mark.parametrize("path", [PORTAL, CLAIM])
async def test_a_body_that_does_not_decode_is_refused_before_the_route_runs(
    server: FakePolarServer, billing: BillingCustomer, path: str
) -> None:
    """Content-Length 0: 422 "Field required" (as recorded on Polar's server); bad JSON:
    FastAPI's json_invalid at the offset; bytes that are not UTF-8: 400."""
    token = token_for(billing, path)
    assert await post_raw(server, path, b"", token) == (422, MISSING_BODY)
    status, body = await post_raw(server, path, b'{"email": ', token)
    assert (status, body["detail"]) == (
        422,
        [
            {
                "type": "json_invalid",
                "loc": ["body", 10],
                "msg": "JSON decode error",
                "input": {},
                "ctx": {"error": "Expecting value"},
            }
        ],
    )
    assert await post_raw(server, path, b'{"email": "\xff"}', token) == (
        400,
        {"detail": "There was an error parsing the body"},
    )
    assert server.outbox == []


async def test_an_empty_body_without_a_content_type_is_missing_too(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """aiohttp's POST of no data sends Content-Length 0 and no Content-Type: the same 422."""
    assert await call(server, "POST", PORTAL, billing.token) == (422, MISSING_BODY)
    assert await call(server, "POST", CLAIM) == (422, MISSING_BODY)


async def test_a_member_without_a_billing_role_gets_the_bodys_422_before_its_403(
    server: FakePolarServer,
) -> None:
    """FastAPI decodes the JSON body before the route's auth dependency refuses the member."""
    team = server.add_billing_customer(members={"mia@x.test": "member"})
    mia = team.member_tokens["mia@x.test"]
    status, body = await post_raw(server, PORTAL, b"{", mia)
    assert (status, body["detail"][0]["type"]) == (422, "json_invalid")
    status, body = await post_raw(server, PORTAL, b"{}", mia)
    assert (status, body["error"]) == (403, "NotPermitted")


@pytest.mark.parametrize(
    ("body", "loc", "kind", "msg"),
    [
        ({}, ["body", "invitation_token"], "missing", "Field required"),
        (
            {"invitation_token": 5},
            ["body", "invitation_token"],
            "string_type",
            "Input should be a valid string",
        ),
        (
            [],
            ["body"],
            "model_attributes_type",
            "Input should be a valid dictionary or object to extract fields from",
        ),
    ],
)
async def test_the_claim_body_is_a_seat_claim(
    server: FakePolarServer, body: Any, loc: list[str], kind: str, msg: str
) -> None:
    """SeatClaim: one required string, invitation_token."""
    assert first_entry(await call(server, "POST", CLAIM, body=body)) == (422, kind, loc, msg)


@pytest.mark.parametrize(
    ("field", "value", "kind", "msg"),
    [
        ("subscription_id", 5, "uuid_type", "UUID input should be a string, bytes or UUID object"),
        ("external_customer_id", 5, "string_type", "Input should be a valid string"),
        ("metadata", "team", "dict_type", "Input should be a valid dictionary"),
        ("immediate_claim", "maybe", "bool_parsing", BOOL_PARSING),
        ("immediate_claim", 2, "bool_parsing", BOOL_PARSING),
    ],
)
async def test_each_assign_field_fails_with_its_types_entry(
    server: FakePolarServer,
    billing: BillingCustomer,
    field: str,
    value: Any,
    kind: str,
    msg: str,
) -> None:
    """The field's own entry, at ["body", field], with the value as its input."""
    status, body = await assign(server, billing, email="e@x.test", **{field: value})
    assert first_entry((status, body)) == (422, kind, ["body", field], msg)
    assert body["detail"][0]["input"] == value


@pytest.mark.parametrize(
    ("value", "status"),
    [
        (True, "claimed"),
        ("yes", "claimed"),
        ("ON", "claimed"),
        (1, "claimed"),
        ("f", "pending"),
        (0, "pending"),
        ("off", "pending"),
    ],
)
async def test_immediate_claim_is_a_lax_boolean(
    server: FakePolarServer, billing: BillingCustomer, value: Any, status: str
) -> None:
    """pydantic's lax bool: 0 and 1, and true/false spelt t, yes, on... in any case."""
    answer, seat = await assign(server, billing, email="e@x.test", immediate_claim=value)
    assert (answer, seat["status"]) == (200, status)
    assert len(server.outbox) == (status == "pending")


@pytest.mark.parametrize(
    ("email", "reason"),
    [
        ("@x.test", "There must be something before the @-sign."),
        ("erin@", "There must be something after the @-sign."),
        ("erin@localhost", "The part after the @-sign is not valid. It should have a period."),
    ],
)
async def test_an_email_without_its_parts_is_not_an_email(
    server: FakePolarServer, billing: BillingCustomer, email: str, reason: str
) -> None:
    """email-validator's syntax reasons, in the entry 04-seats/022 recorded for a missing @."""
    status, body = await assign(server, billing, email=email)
    assert (status, body["detail"]) == (
        422,
        [
            {
                "type": "value_error",
                "loc": ["body", "email"],
                "msg": f"value is not a valid email address: {reason}",
                "input": email,
                "ctx": {"reason": reason},
            }
        ],
    )


@pytest.mark.parametrize(
    ("recipient", "problem"),
    [
        (
            {"customer_id": "eff83f24-866e-4d0d-8f4c-ff332119d52e", "external_member_id": "m"},
            "Cannot combine external_customer_id/customer_id with external_member_id/member_id",
        ),
        (
            {"member_id": "eff83f24-866e-4d0d-8f4c-ff332119d52e", "external_member_id": "m"},
            "Cannot provide both external_member_id and member_id",
        ),
    ],
)
async def test_member_and_customer_ids_do_not_mix(
    server: FakePolarServer, billing: BillingCustomer, recipient: dict[str, str], problem: str
) -> None:
    """SeatAssign.validate_recipient, in its order, after every field passed."""
    answer = await assign(server, billing, **recipient)
    assert first_entry(answer) == (422, "value_error", ["body"], f"Value error, {problem}")


async def test_uuids_in_braces_or_as_urns_are_read_as_the_uuid_crate_reads_them(
    server: FakePolarServer, billing: BillingCustomer
) -> None:
    """{...} and urn:uuid:... name the same subscription in a query and in a body; a group
    of the wrong length in a path is the crate's group-length error."""
    canonical = billing.subscription_id
    for form in (f"{{{canonical}}}", f"urn:uuid:{canonical.upper()}"):
        listed = await seats_of(server, billing, f"subscription_id={form}")
        assert listed["total_seats"] == 3
    status, seat = await assign(
        server, billing, email="e@x.test", subscription_id=f"{{{canonical}}}"
    )
    assert (status, seat["subscription_id"]) == (200, canonical)
    shifted = "ff396d0-b2d8e-4274-9d4f-4d82d6bb7ccf"
    answer = await call(server, "DELETE", f"{PORTAL}/{shifted}", billing.token)
    error = "invalid group length in group 0: expected 8, found 7"
    assert first_entry(answer) == (
        422,
        "uuid_parsing",
        ["path", "seat_id"],
        f"Input should be a valid UUID, {error}",
    )
    assert answer[1]["detail"][0]["ctx"] == {"error": error}


@pytest.mark.parametrize(
    ("field", "value", "kind", "msg", "ctx"),
    [
        (
            "customer_id",
            5,
            "uuid_type",
            "UUID input should be a string, bytes or UUID object",
            None,
        ),
        ("return_url", 5, "url_type", "URL input should be a string or URL", None),
        (
            "return_url",
            "https://x.test/" + "a" * 2069,
            "url_too_long",
            "URL should have at most 2083 characters",
            {"max_length": 2083},
        ),
        (
            "return_url",
            "http://",
            "url_parsing",
            "Input should be a valid URL, empty host",
            {"error": "empty host"},
        ),
    ],
)
async def test_the_session_bodys_ids_and_urls_are_checked_as_pydantic_checks_them(
    server: FakePolarServer, field: str, value: Any, kind: str, msg: str, ctx: Any
) -> None:
    """The first branch of the union (CustomerSessionCustomerIDCreate) gives its entry for
    the field; nothing is minted."""
    body = {"customer_id": server.claimant.customer.id, field: value}
    status, answer = await mint(server, body)
    expected = {"type": kind, "loc": ["body", "CustomerSessionCustomerIDCreate", field], "msg": msg}
    problem = answer["detail"][0]
    assert (status, {k: problem[k] for k in expected}, problem.get("ctx")) == (422, expected, ctx)
    assert problem["input"] == value
    assert server.sessions_minted() == 0
