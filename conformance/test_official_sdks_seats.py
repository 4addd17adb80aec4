"""Polar's own SDKs, unmodified, walk the fake's seat lifecycle and see what polar_seats sees.

polar-sdk 1.0.2 and 0.32.0 both ship the customer portal's seats
(``customer_portal.seats``: list, assign, revoke, resend) and the organization's
(``customer_seats``: the same four, plus the claim's ``get_claim_info`` and
``claim_seat``). Each SDK, and 1.0.2 in each of its API versions, is driven through the
whole cycle over real HTTP against ``FakePolarServer``, with polar_seats making its calls
side by side: every answer decodes into the SDK's own models with the ids, statuses and
times polar_seats reads, and every refusal of the fake is the SDK's own error type with
Polar's status.

The two SDKs spell their calls differently (0.32 passes the portal's customer session as
a ``security=`` model on each call, and bodies as ``request=``), so each gets an adapter
with the same six verbs and the walks below are written once.
"""

from __future__ import annotations

import functools
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime
from types import ModuleType
from typing import Any, Protocol

import pytest

import polar_seats as ps
from polar_seats.testing import DEFAULT_ORGANIZATION_TOKEN, BillingCustomer, FakePolarServer

from .polar_versions import SDK_MODULES, polar_async

PORTAL, ORGANIZATION = "portal", "organization"


class SeatsSdk(Protocol):
    """One SDK's seat calls on one side (the portal's or the organization's)."""

    keeps_error_body: bool
    """Whether its errors keep Polar's body (0.32 does; 1.0.2's seat errors drop it)."""

    async def list(self, subscription_id: str) -> Any: ...
    async def assign(self, **body: Any) -> Any: ...
    async def revoke(self, seat_id: str) -> Any: ...
    async def resend(self, seat_id: str) -> Any: ...
    async def claim_info(self, token: str) -> Any: ...
    async def claim(self, token: str) -> Any: ...
    def error(self, operation: str, status: int) -> type[Exception]: ...


_OPERATIONS = {
    "list": "ListSeats",
    "assign": "AssignSeat",
    "revoke": "RevokeSeat",
    "resend": "ResendInvitation",
    "claim_info": "GetClaimInfo",
    "claim": "ClaimSeat",
}


class Sdk102:
    """polar-sdk 1.0.2 (``polar.<version>.PolarAsync``): one error class per operation and
    status in the version's ``errors``, with no body (the contract gives these answers no
    schema)."""

    keeps_error_body = False

    def __init__(self, polar: Any, side: str, errors: ModuleType) -> None:
        self._seats = polar.customer_portal.seats if side == PORTAL else polar.customer_seats
        self._claims = polar.customer_seats
        self._prefix = "CustomerPortalSeats" if side == PORTAL else "CustomerSeats"
        self._errors = errors

    async def list(self, subscription_id: str) -> Any:
        return await self._seats.list_seats(subscription_id=subscription_id)

    async def assign(self, **body: Any) -> Any:
        return await self._seats.assign_seat(**body)

    async def revoke(self, seat_id: str) -> Any:
        return await self._seats.revoke_seat(seat_id)

    async def resend(self, seat_id: str) -> Any:
        return await self._seats.resend_invitation(seat_id)

    async def claim_info(self, token: str) -> Any:
        return await self._claims.get_claim_info(token)

    async def claim(self, token: str) -> Any:
        return await self._claims.claim_seat(invitation_token=token)

    def error(self, operation: str, status: int) -> type[Exception]:
        prefix = "CustomerSeats" if operation.startswith("claim") else self._prefix
        name = f"{prefix}{_OPERATIONS[operation]}{status}Error"
        error: type[Exception] = getattr(self._errors, name)
        return error


class Sdk032:
    """polar-sdk 0.32.0 (``polar_sdk.Polar``, Speakeasy): the portal's calls take the
    customer session as a ``security=`` model; every refusal but a 422 is ``SDKError``."""

    keeps_error_body = True

    def __init__(self, polar: Any, side: str, token: str | None = None) -> None:
        self._seats = polar.customer_portal.seats if side == PORTAL else polar.customer_seats
        self._claims = polar.customer_seats
        self._token = token if side == PORTAL else None

    def _security(self, operation: str) -> dict[str, Any]:
        from polar_sdk import models

        if self._token is None:
            return {}
        model = getattr(models, f"CustomerPortalSeats{_OPERATIONS[operation]}Security")
        return {"security": model(customer_session=self._token)}

    async def list(self, subscription_id: str) -> Any:
        security = self._security("list")
        return await self._seats.list_seats_async(subscription_id=subscription_id, **security)

    async def assign(self, **body: Any) -> Any:
        return await self._seats.assign_seat_async(request=body, **self._security("assign"))

    async def revoke(self, seat_id: str) -> Any:
        return await self._seats.revoke_seat_async(seat_id=seat_id, **self._security("revoke"))

    async def resend(self, seat_id: str) -> Any:
        security = self._security("resend")
        return await self._seats.resend_invitation_async(seat_id=seat_id, **security)

    async def claim_info(self, token: str) -> Any:
        return await self._claims.get_claim_info_async(invitation_token=token)

    async def claim(self, token: str) -> Any:
        return await self._claims.claim_seat_async(request={"invitation_token": token})

    def error(self, operation: str, status: int) -> type[Exception]:
        from polar_sdk import models

        return models.HTTPValidationError if status == 422 else models.SDKError


@asynccontextmanager
async def sdk_1_0_2(
    version: str, server: FakePolarServer, token: str, side: str
) -> AsyncIterator[SeatsSdk]:
    """The version's SDK; every exchange it had asked for that version and was answered in it."""
    async with polar_async(version, token, server.url) as (polar, heard):
        yield Sdk102(polar, side, SDK_MODULES[version].errors)
    assert heard
    assert set(heard) == {(version, version)}


@asynccontextmanager
async def sdk_0_32(server: FakePolarServer, token: str, side: str) -> AsyncIterator[SeatsSdk]:
    from polar_sdk import Polar

    organization_token = token if side == ORGANIZATION else None
    async with Polar(access_token=organization_token, server_url=server.url) as polar:
        yield Sdk032(polar, side, token)


SDKS = pytest.mark.parametrize(
    "open_sdk",
    [*(functools.partial(sdk_1_0_2, version) for version in SDK_MODULES), sdk_0_32],
    ids=[*(f"1.0.2-{version}" for version in SDK_MODULES), "0.32.0"],
)


def customer(server: FakePolarServer, token: str) -> ps.AsyncClient:
    return ps.AsyncClient(token, base_url=server.url, rate_limit=None)


def organization(server: FakePolarServer) -> ps.AsyncClient:
    return ps.AsyncClient(
        organization_token=DEFAULT_ORGANIZATION_TOKEN, base_url=server.url, rate_limit=None
    )


def _instant(value: str | datetime | None) -> datetime | None:
    """A time as either SDK holds it (1.0.2 keeps the string it received, 0.32 parses it)."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def same_seat(theirs: Any, mine: ps.CustomerSeat) -> None:
    """The SDK decoded the seat into its own model, with what polar_seats read."""
    assert type(theirs).__name__ == "CustomerSeat"
    assert type(theirs).__module__.split(".")[0] in ("polar", "polar_sdk")
    assert (theirs.id, theirs.status, theirs.subscription_id, theirs.order_id) == (
        mine.id,
        mine.status,
        mine.subscription_id,
        mine.order_id,
    )
    assert theirs.seat_metadata == mine.seat_metadata
    for name in ("created_at", "invitation_token_expires_at", "claimed_at", "revoked_at"):
        assert _instant(getattr(theirs, name)) == getattr(mine, name), name


async def agree(sdk: SeatsSdk, mine: ps.AsyncClient, billing: BillingCustomer) -> list[str]:
    """Both list the subscription's seats and read the same rows; their statuses."""
    theirs = await sdk.list(billing.subscription_id)
    ours = await mine.list_seats(subscription_id=billing.subscription_id)
    assert type(theirs).__name__ == "SeatsList"
    assert (theirs.total_seats, theirs.available_seats) == (ours.total_seats, ours.available_seats)
    assert len(theirs.seats) == len(ours.seats)
    for seat, row in zip(theirs.seats, ours.seats, strict=True):
        same_seat(seat, row)
        assert (seat.customer_id, seat.member_id, seat.email, seat.customer_email) == (
            row.customer_id,
            row.member_id,
            row.email,
            row.customer_email,
        )
        member = (seat.member.id, seat.member.email, seat.member.role) if seat.member else None
        assert member == (
            (row.member.id, row.member.email, row.member.role) if row.member else None
        )
    return [seat.status for seat in ours.seats]


async def refused(
    sdk: SeatsSdk,
    operation: str,
    status: int,
    error: str,
    theirs: Callable[[], Awaitable[Any]],
    mine: Callable[[], Awaitable[Any]],
) -> None:
    """The same refusal, seen by the SDK as its own error type and by polar_seats."""
    with pytest.raises(sdk.error(operation, status)) as caught:
        await theirs()
    assert getattr(caught.value, "status_code", None) == status
    if sdk.keeps_error_body:
        assert json.loads(getattr(caught.value, "body", "{}"))["error"] == error
    else:
        assert getattr(caught.value, "error", "") is None
    with pytest.raises(ps.APIStatusError) as ours:
        await mine()
    assert (ours.value.status, ours.value.error) == (status, error)


async def refused_assign(
    sdk: SeatsSdk, mine: ps.AsyncClient, subscription_id: str, status: int, error: str
) -> None:
    """Assigning a seat of the subscription to one more person is refused alike."""
    await refused(
        sdk,
        "assign",
        status,
        error,
        lambda: sdk.assign(subscription_id=subscription_id, email="cy@x.test"),
        lambda: mine.assign_seat(subscription_id=subscription_id, email="cy@x.test"),
    )


@SDKS
async def test_an_official_sdk_walks_the_customer_portals_seats(open_sdk: Any) -> None:
    """Assign (one seat by each library) until none is free, list, resend, revoke twice,
    resend a revoked seat; a member with the role ``member`` may list but not assign."""
    async with FakePolarServer(count=1) as server, AsyncExitStack() as stack:
        billing = server.add_billing_customer(seats=2, members={"mia@x.test": "member"})
        sub = billing.subscription_id
        mia_token = billing.member_tokens["mia@x.test"]
        sdk = await stack.enter_async_context(open_sdk(server, billing.token, PORTAL))
        mia = await stack.enter_async_context(open_sdk(server, mia_token, PORTAL))
        mine = await stack.enter_async_context(customer(server, billing.token))
        mine_mia = await stack.enter_async_context(customer(server, mia_token))

        ada = await sdk.assign(subscription_id=sub, email="ada@x.test", metadata={"team": "eng"})
        bo = await mine.assign_seat(subscription_id=sub, email="bo@x.test")
        assert [mail.seat_id for mail in server.outbox] == [ada.id, bo.id]
        assert await agree(sdk, mine, billing) == ["pending", "pending"]
        (row,) = [
            seat for seat in (await mine.list_seats(subscription_id=sub)).seats if seat.id == ada.id
        ]
        same_seat(ada, row)
        await refused_assign(sdk, mine, sub, 400, "SeatNotAvailable")

        resent = await sdk.resend(ada.id)
        same_seat(resent, row)  # the same invitation: same token, same expiry
        assert (server.outbox[-1].seat_id, server.outbox[-1].token) == (
            ada.id,
            server.outbox[0].token,
        )
        revoked = await sdk.revoke(bo.id)
        again = await sdk.revoke(bo.id)
        assert (revoked.status, again.status, again.revoked_at) == (
            "revoked",
            "revoked",
            revoked.revoked_at,
        )
        await refused(
            sdk,
            "resend",
            400,
            "SeatNotPending",
            lambda: sdk.resend(bo.id),
            lambda: mine.resend_invitation(bo.id),
        )
        assert await agree(sdk, mine, billing) == ["pending", "revoked"]

        assert await agree(mia, mine_mia, billing) == ["pending", "revoked"]
        await refused_assign(mia, mine_mia, sub, 403, "NotPermitted")
        await refused(
            mia,
            "revoke",
            403,
            "NotPermitted",
            lambda: mia.revoke(ada.id),
            lambda: mine_mia.revoke_seat(ada.id),
        )
        # Polar hands the revoked row (same id) to the next person.
        reused = await sdk.assign(subscription_id=sub, email="cy@x.test")
        assert reused.id == bo.id
        assert await agree(sdk, mine, billing) == ["pending", "pending"]


@SDKS
async def test_an_official_sdk_walks_the_organizations_seats_and_a_claim(open_sdk: Any) -> None:
    """The organization token assigns, resends and revokes; the invitation from the outbox
    is read and claimed once; a spent or unknown token is refused as Polar refuses it."""
    async with FakePolarServer(count=1) as server, AsyncExitStack() as stack:
        billing = server.add_billing_customer(seats=2)
        sub = billing.subscription_id
        sdk = await stack.enter_async_context(
            open_sdk(server, DEFAULT_ORGANIZATION_TOKEN, ORGANIZATION)
        )
        mine = await stack.enter_async_context(organization(server))

        ada = await sdk.assign(subscription_id=sub, email="ada@x.test")
        token = server.outbox[-1].token
        bo = await mine.assign_seat(subscription_id=sub, email="bo@x.test")
        await refused_assign(sdk, mine, sub, 400, "SeatNotAvailable")
        resent = await sdk.resend(bo.id)
        same_seat(resent, bo)
        assert await agree(sdk, mine, billing) == ["pending", "pending"]

        info = await sdk.claim_info(token)
        ours = await mine.get_claim_info(token)
        assert type(info).__name__ == "SeatClaimInfo"
        fields = ("product_name", "product_id", "organization_name", "organization_slug")
        assert [getattr(info, name) for name in fields] == [getattr(ours, name) for name in fields]
        assert (info.customer_email, info.can_claim) == (ours.customer_email, ours.can_claim)
        assert (info.customer_email, info.can_claim) == ("ada@x.test", True)

        claim = await sdk.claim(token)
        assert type(claim).__name__ == "CustomerSeatClaimResponse"
        assert (claim.seat.id, claim.seat.status) == (ada.id, "claimed")
        assert claim.customer_session_token.startswith("polar_mst_")
        async with customer(server, claim.customer_session_token) as holder:
            assert [s.id async for s in holder.iter_claimed_subscriptions()] == [sub]
        assert await agree(sdk, mine, billing) == ["claimed", "pending"]

        # A spent invitation: claim info is 404 (FACTS.md "Claims": the real server's
        # answer, recorded in 05-claim/005, though the contract lists 400), a second
        # claim 400; an unknown token 404 too (05-claim/002).
        for dead in (token, "not-a-token"):
            await refused(
                sdk,
                "claim_info",
                404,
                "ResourceNotFound",
                lambda dead=dead: sdk.claim_info(dead),
                lambda dead=dead: mine.get_claim_info(dead),
            )
        await refused(
            sdk,
            "claim",
            400,
            "InvalidInvitationToken",
            lambda: sdk.claim(token),
            lambda: mine.claim_seat(token),
        )

        revoked = await sdk.revoke(ada.id)
        assert (revoked.id, revoked.status) == (ada.id, "revoked")
        assert (await mine.revoke_seat(bo)).status == ps.SeatStatus.REVOKED
        assert await agree(sdk, mine, billing) == ["revoked", "revoked"]
