"""No token in clear anywhere an error reaches: its attributes, its request, its causes.

An error tracker (Sentry, say) or a structured logger serialises what it is given: an
exception's ``vars()``, the ``repr()`` of what they hold, the chain of causes. Each case
below fails a call that carries a secret (an invitation token in a claim's body or a claim
info's path, a customer or member session token, the organization token, a minted
session's answer) against the fake Polar, then walks every object reachable from the
error and looks for every token the fake knows in every way it can be shown.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import json
import pickle
import types
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any

import msgspec
import pytest

import polar_seats as ps
from polar_seats.testing import (
    DEFAULT_ORGANIZATION_TOKEN,
    BillingCustomer,
    FakePolarServer,
    Fault,
    FaultPlan,
)

UNPARSABLE = Fault.http_status(200, headers={"X-Padding": "x" * 9000})
"""An answer with a header longer than aiohttp reads: aiohttp raises ClientResponseError,
which keeps the request as it was sent, headers included."""

_OPAQUE = (
    str,
    bytes,
    int,
    float,
    types.NoneType,
    type,
    types.ModuleType,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    types.TracebackType,
    types.FrameType,
    types.CodeType,
)
"""Shown but not walked into: values, and code (whose closures and frames a tracker that
reads attributes does not open)."""


def reachable(root: object, limit: int = 20_000) -> Iterator[tuple[str, object]]:
    """Every object reachable from ``root``, with the path that reached it: attributes
    (``vars()``, ``__slots__``, dataclass fields), items of mappings and sequences, an
    exception's ``args``, ``__cause__`` and ``__context__``."""
    seen: dict[int, object] = {}
    stack: list[tuple[str, object]] = [("error", root)]
    while stack:
        path, obj = stack.pop()
        if id(obj) in seen:
            continue
        seen[id(obj)] = obj  # kept, so that no id is reused while walking
        assert len(seen) <= limit, f"the walk reached more than {limit} objects: {path}"
        yield path, obj
        if isinstance(obj, _OPAQUE):
            continue
        found: list[tuple[str, object]] = []
        if isinstance(obj, Mapping):
            for key, value in obj.items():
                found += [(f"{path}[{key!r}] (key)", key), (f"{path}[{key!r}]", value)]
        elif isinstance(obj, (list, tuple, set, frozenset)):
            found += [(f"{path}[{n}]", item) for n, item in enumerate(obj)]
        if isinstance(obj, BaseException):
            found += [
                (f"{path}.args", obj.args),
                (f"{path}.__cause__", obj.__cause__),
                (f"{path}.__context__", obj.__context__),
            ]
        if dataclasses.is_dataclass(obj):
            found += [(f"{path}.{f.name}", getattr(obj, f.name)) for f in dataclasses.fields(obj)]
        with contextlib.suppress(TypeError):  # no __dict__
            found += [(f"{path}.{name}", value) for name, value in vars(obj).items()]
        for cls in type(obj).__mro__:
            slots = cls.__dict__.get("__slots__", ())
            for name in (slots,) if isinstance(slots, str) else slots:
                if hasattr(obj, name):
                    found.append((f"{path}.{name}", getattr(obj, name)))
        stack.extend(reversed(found))


def shown(obj: object) -> Iterator[str]:
    """The ways a tracker or a logger shows an object."""
    yield repr(obj)
    yield str(obj)
    for encode in (
        lambda: json.dumps(obj, default=repr),
        lambda: json.dumps(dataclasses.asdict(obj), default=str),  # type: ignore[call-overload]
        lambda: msgspec.json.encode(obj, enc_hook=repr).decode(),
    ):
        with contextlib.suppress(TypeError, ValueError, RecursionError):  # not serialisable
            yield encode()


def leaks(error: BaseException, secrets: set[str]) -> list[str]:
    """Where each secret shows in clear, by the path to the object that shows it."""
    return sorted(
        {
            f"{path} shows {secret[:14]}…"
            for path, obj in reachable(error)
            for text in shown(obj)
            for secret in secrets
            if secret in text
        }
    )


@dataclasses.dataclass
class World:
    server: FakePolarServer
    billing: BillingCustomer
    nobody: ps.AsyncClient
    """No credential: claims."""
    me: ps.AsyncClient
    """The billing customer's session token."""
    org: ps.AsyncClient
    """The organization token."""
    extra: set[str] = dataclasses.field(default_factory=set[str])
    """Secrets a case made up (an answer it scripted)."""

    async def invitation(self) -> str:
        """The token of a new invitation, from the fake's outbox."""
        await self.me.assign_seat(
            subscription_id=self.billing.subscription_id, email=f"{len(self.server.outbox)}@x.t"
        )
        return self.server.outbox[-1].token

    def secrets(self) -> set[str]:
        """Every token the fake knows, and those the case made up."""
        state = self.server.state
        return {
            DEFAULT_ORGANIZATION_TOKEN,
            *state.sessions,
            *(mail.token for mail in self.server.outbox),
            *(seat.invitation_token for seat in state.seats if seat.invitation_token),
            *self.extra,
        }


async def used_claim(world: World) -> None:
    token = await world.invitation()
    await world.nobody.claim_seat(token)
    await world.nobody.claim_seat(token)


async def claim_reset_after(world: World) -> None:
    token = await world.invitation()
    world.server.faults = FaultPlan({1: Fault.reset().after()})
    await world.nobody.claim_seat(token)


async def claim_unparsable(world: World) -> None:
    token = await world.invitation()
    world.server.faults = FaultPlan({1: UNPARSABLE})
    await world.nobody.claim_seat(token)


async def claim_answer_that_does_not_fit(world: World) -> None:
    token = await world.invitation()
    minted = "polar_mst_from_an_answer_that_does_not_fit"
    world.extra.add(minted)
    body = json.dumps({"customer_session_token": minted, "seat": 1}).encode()
    world.server.faults = FaultPlan({1: Fault.http_status(200, body=body)})
    await world.nobody.claim_seat(token)


async def dead_claim_info(world: World) -> None:
    token = await world.invitation()
    await world.nobody.claim_seat(token)
    await world.nobody.get_claim_info(token)


async def claim_info_reset_every_time(world: World) -> None:
    token = await world.invitation()
    world.server.faults = FaultPlan(rate=1.0, choices=[Fault.reset()])
    await world.nobody.get_claim_info(token)


async def claim_info_unparsable(world: World) -> None:
    token = await world.invitation()
    world.server.faults = FaultPlan(rate=1.0, choices=[UNPARSABLE])
    await world.nobody.get_claim_info(token)


async def claim_info_timed_out(world: World) -> None:
    token = await world.invitation()
    world.server.faults = FaultPlan(rate=1.0, choices=[Fault.stall(1.0)])
    async with ps.AsyncClient(base_url=world.server.url, timeout=0.05, retry=None) as hasty:
        await hasty.get_claim_info(token)


async def mint_failing(world: World) -> None:
    world.server.faults = FaultPlan(rate=1.0, choices=[Fault.server_error(503)])
    await world.org.create_customer_session(customer_id=world.billing.customer.id)


async def mint_cut_in_half(world: World) -> None:
    world.server.faults = FaultPlan({1: Fault.truncated_json()})
    await world.org.create_customer_session(customer_id=world.billing.customer.id)


async def mint_unparsable(world: World) -> None:
    world.server.faults = FaultPlan(rate=1.0, choices=[UNPARSABLE])
    await world.org.create_customer_session(customer_id=world.billing.customer.id)


async def portal_unparsable(world: World) -> None:
    world.server.faults = FaultPlan(rate=1.0, choices=[UNPARSABLE])
    await world.me.list_seats(subscription_id=world.billing.subscription_id)


async def portal_reset_every_time(world: World) -> None:
    world.server.faults = FaultPlan(rate=1.0, choices=[Fault.reset()])
    await world.me.list_claimed_subscriptions()


async def portal_token_revoked(world: World) -> None:
    world.server.revoke_session(world.billing.token)
    await world.me.list_claimed_subscriptions()


async def customer_view_unparsable(world: World) -> None:
    view = world.org.for_customer(customer_id=world.billing.customer.id)
    await view.list_seats(subscription_id=world.billing.subscription_id)
    world.server.faults = FaultPlan(rate=1.0, choices=[UNPARSABLE])
    await view.list_seats(subscription_id=world.billing.subscription_id)


async def organization_unparsable(world: World) -> None:
    world.server.faults = FaultPlan(rate=1.0, choices=[UNPARSABLE])
    await world.org.list_seats(subscription_id=world.billing.subscription_id)


async def custom_request_with_a_secret_body(world: World) -> None:
    token = await world.invitation()
    world.server.faults = FaultPlan({1: Fault.reset().after()})
    await world.nobody.request(
        "POST", "/v1/customer-seats/claim", json={"invitation_token": ps.Secret(token)}
    )


CASES: list[tuple[Callable[[World], Awaitable[None]], type[ps.PolarError]]] = [
    (used_claim, ps.InvitationTokenError),
    (claim_reset_after, ps.OutcomeUnknownError),
    (claim_unparsable, ps.OutcomeUnknownError),
    (claim_answer_that_does_not_fit, ps.ResponseDecodeError),
    (dead_claim_info, ps.InvitationTokenError),
    (claim_info_reset_every_time, ps.NetworkError),
    (claim_info_unparsable, ps.NetworkError),
    (claim_info_timed_out, ps.PolarTimeoutError),
    (mint_failing, ps.ServerError),
    (mint_cut_in_half, ps.ResponseDecodeError),
    (mint_unparsable, ps.NetworkError),
    (portal_unparsable, ps.NetworkError),
    (portal_reset_every_time, ps.NetworkError),
    (portal_token_revoked, ps.AuthenticationError),
    (customer_view_unparsable, ps.NetworkError),
    (organization_unparsable, ps.NetworkError),
    (custom_request_with_a_secret_body, ps.NetworkError),
]


@pytest.mark.parametrize(("case", "kind"), CASES, ids=[case.__name__ for case, _ in CASES])
async def test_no_token_is_reachable_in_clear_from_a_failed_call(
    server: FakePolarServer, case: Callable[[World], Awaitable[None]], kind: type[ps.PolarError]
) -> None:
    """Every object reachable from the error shows no token in its repr, str or JSON."""
    billing = server.add_billing_customer(seats=5)
    options: dict[str, Any] = {"base_url": server.url, "rate_limit": None}
    async with (
        ps.AsyncClient(**options) as nobody,
        ps.AsyncClient(billing.token, **options) as me,
        ps.AsyncClient(organization_token=DEFAULT_ORGANIZATION_TOKEN, **options) as org,
    ):
        world = World(server, billing, nobody, me, org)
        with pytest.raises(kind) as caught:
            await case(world)
    assert leaks(caught.value, world.secrets()) == []


def test_the_walk_finds_a_token_however_deep() -> None:
    """The walk is not blind: a token in a slot, a dataclass, a dict key, bytes, or a
    cause's context is found, with its path."""

    class Slotted:
        __slots__ = ("kept",)

        def __init__(self, kept: object) -> None:
            self.kept = kept

    @dataclasses.dataclass
    class Held:
        value: object

    places: list[tuple[object, str]] = [
        (Slotted("polar_cst_in_a_slot"), "polar_cst_in_a_slot"),
        (Held(("x", "polar_cst_in_a_field")), "polar_cst_in_a_field"),
        ({"polar_cst_as_a_key": 1}, "polar_cst_as_a_key"),
        (b"polar_cst_in_bytes", "polar_cst_in_bytes"),
    ]
    for place, secret in places:
        error = ps.NetworkError("lost")
        error.__cause__ = RuntimeError("inner")
        error.__cause__.__context__ = ValueError([place])
        found = leaks(error, {secret})
        assert found, place
        assert all(where.startswith("error.__cause__.__context__") for where in found)
        assert leaks(error, {"polar_cst_elsewhere"}) == []


def test_a_secret_shows_redacted_every_way() -> None:
    """repr, str, format, JSON fallbacks, asdict, copies and pickles show no value; only
    reveal() gives it, and secrets compare by value."""
    secret = ps.Secret("polar_cst_value")
    request = ps.Request("POST", "/v1/x", "x", json={"token": secret}, secret_path=secret)
    texts = [
        repr(secret),
        str(secret),
        f"{secret}",
        f"{secret:>30}",
        json.dumps({"t": secret}, default=str),
        json.dumps(dataclasses.asdict(request), default=repr),
        msgspec.json.encode(request, enc_hook=str).decode(),
        repr(request),
    ]
    assert all("polar_cst_value" not in text for text in texts)
    assert str(secret) == "<redacted>"
    assert copy.deepcopy(secret) is secret
    assert secret.reveal() == "polar_cst_value"
    assert secret == ps.Secret("polar_cst_value") != ps.Secret("polar_cst_other")
    assert len({secret, ps.Secret("polar_cst_value")}) == 1
    pickled = pickle.dumps(request)
    assert b"polar_cst_value" not in pickled
    with pytest.raises(ValueError, match="never pickled"):
        pickle.loads(pickled).secret_path.reveal()
    with pytest.raises(TypeError, match="holds a str"):
        ps.Secret(b"polar_cst_value")  # type: ignore[arg-type]


async def test_a_secret_in_a_body_is_sent_as_its_value(server: FakePolarServer) -> None:
    """client.request() sends a Secret in its JSON body as its value: the claim works."""
    billing = server.add_billing_customer(seats=1)
    async with ps.AsyncClient(billing.token, base_url=server.url) as me:
        await me.assign_seat(subscription_id=billing.subscription_id, email="ada@x.test")
        token = server.outbox[-1].token
        claimed = await me.request(
            "POST", "/v1/customer-seats/claim", json={"invitation_token": ps.Secret(token)}
        )
    assert claimed["seat"]["status"] == "claimed"


async def test_a_secret_is_refused_in_a_query(server: FakePolarServer) -> None:
    """A Secret in params= would go out as <redacted>, in a URL: refused, nothing sent."""
    async with ps.AsyncClient(server.token, base_url=server.url) as client:
        with pytest.raises(TypeError, match="cannot go in the query"):
            await client.request("GET", "/v1/x", params={"token": ps.Secret("polar_cst_q")})
    assert server.requests == []
