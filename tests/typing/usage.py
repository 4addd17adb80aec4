"""What users' code sees: checked by mypy --strict and pyright (`nox -s typecheck`), never run.

Each ``assert_type`` fails the type check if the library's annotations stop saying it.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from aiohttp import web
from typing_extensions import assert_type

import polar_seats as ps
from polar_seats import webhooks
from polar_seats.testing import FakePolarServer, make_customer_subscription


async def walk(client: ps.AsyncClient) -> None:
    async with client.iter_claimed_subscriptions(limit=100, concurrency=4) as subscriptions:
        async for subscription in subscriptions:
            assert_type(subscription, ps.CustomerSubscription)
            assert_type(subscription.status, str)
            assert_type(subscription.seats, int | None)
            for price in subscription.prices:
                assert_type(price, ps.Price)
                if isinstance(price, ps.ProductPriceSeatBased):
                    assert_type(price.seat_tiers, ps.ProductPriceSeatTiers | None)
                    assert_type(price.pricing.tiers[0].price_per_seat, Decimal)
                    assert_type(price.pricing.maximum, int | None)
                elif isinstance(price, ps.UnknownProductPrice):
                    assert_type(price.raw, dict[str, Any])
            for benefit in subscription.product.benefits:
                assert_type(benefit, ps.Benefit)
                assert_type(benefit.type, str | None)


async def pages(client: ps.AsyncClient) -> None:
    page = await client.list_claimed_subscriptions(page=2, limit=50)
    assert_type(page, ps.Page[ps.CustomerSubscription])
    assert_type(page.items[0], ps.CustomerSubscription)
    assert_type(page.pagination.max_page, int)
    async for each in client.iter_claimed_subscriptions().pages():
        assert_type(each.items[0], ps.CustomerSubscription)
    async for paid in client.iter_subscriptions(product_id=uuid4()):
        assert_type(paid, ps.CustomerSubscription | ps.Subscription)
    # A bare Page, as code written before Page was generic says, still holds subscriptions.
    bare: ps.Page = page
    assert_type(bare.items[0], ps.CustomerSubscription)


def stored(body: bytes, text: str) -> None:
    page = ps.decode(body, ps.Page[ps.CustomerSubscription])
    assert_type(page, ps.Page[ps.CustomerSubscription])
    assert_type(page.items[0].prices[0], ps.Price)
    assert_type(ps.decode(text, type=ps.CustomerSubscription), ps.CustomerSubscription)
    assert_type(ps.decode(body, ps.CustomerSeat).status, str)
    assert_type(ps.decode(body, ps.SeatsList), ps.SeatsList)
    assert_type(ps.decode(body, webhooks.CustomerSeatClaimed), webhooks.CustomerSeatClaimed)


def sessions(info: ps.CustomerSessionInfo, session: ps.CustomerSession) -> None:
    assert_type(info.expires_at, datetime)
    assert_type(info.return_url, str | None)
    customer = session.customer
    assert_type(customer.email, str | None)
    if isinstance(customer, ps.IndividualCustomer):
        assert_type(customer.email, str)
    elif isinstance(customer, ps.TeamCustomer):
        assert_type(customer.email, str | None)


async def per_customer(client: ps.AsyncClient, token: str) -> None:
    view = client.with_token(token)
    assert_type(view, ps.AsyncClient)
    try:
        await view.list_claimed_subscriptions()
    except ps.RateLimitError as exc:
        assert_type(exc.retry_after, float | None)
    except ps.APIStatusError as exc:
        assert_type(exc.status, int)


async def ids_and_argument_errors(client: ps.AsyncClient, subscription: UUID) -> None:
    # An id may be a uuid.UUID wherever one is taken.
    await client.list_seats(subscription_id=subscription)
    seat = await client.assign_seat(order_id=subscription, customer_id=uuid4())
    await client.revoke_seat(UUID(seat.id))
    await client.resend_invitation(uuid4())
    await client.create_customer_session(external_customer_id=uuid4(), member_id=uuid4())
    view = client.for_customer(customer_id=uuid4(), external_member_id=uuid4())
    try:
        await view.assign_seat(subscription_id="nope", email="ada@example.com")
    except ps.InvalidArgumentError as exc:
        assert_type(exc.argument, str)
        assert_type(exc.given, tuple[str, ...])
        assert_type(exc.choices, tuple[str, ...])
        assert_type(exc.expected, str | None)
        caught: tuple[ValueError, ps.PolarError] = (exc, exc)  # either except catches it
        assert all(caught)
    except ps.CustomerNotFoundError as exc:
        assert_type(exc.problems, tuple[ps.ValidationProblem, ...])
    except ps.RequestValidationError as exc:
        problem = exc.problems[0]
        assert_type(problem.loc, tuple[str | int, ...])
        assert_type(problem.msg, str)
        assert_type(problem.type, str)
        assert_type(exc.detail, list[dict[str, Any]])


async def testing_kit() -> None:
    async with FakePolarServer(count=3) as server:
        assert_type(server.url, str)
        async with ps.AsyncClient(server.token, base_url=server.url) as client:
            await walk(client)
    assert_type(make_customer_subscription(), ps.CustomerSubscription)


async def webhook_receiver(request: web.Request, secret: str) -> None:
    # aiohttp's CIMultiDictProxy is a Mapping[str, str], as a dict or Starlette's Headers are.
    event = webhooks.verify(await request.read(), request.headers, secret)
    assert_type(event, webhooks.WebhookEvent)
    if isinstance(event, webhooks.CustomerSeatEvent):
        assert_type(event.data, ps.CustomerSeat)
        assert_type(event.timestamp, datetime)
    else:
        assert_type(event, webhooks.UnknownWebhookEvent)
        assert_type(event.payload, dict[str, Any])
        assert_type(event.timestamp, datetime | None)
    assert_type(event.type, str)
    assert_type(event.api_version, str | None)
    try:
        webhooks.verify("{}", {"webhook-id": "1"}, secret, tolerance=60, now=datetime.now())
    except webhooks.WebhookVerificationError as exc:
        error: ps.PolarError = exc  # one except ps.PolarError catches it too
        assert_type(error.request, ps.Request | None)


async def secrets(client: ps.AsyncClient, invitation_token: str) -> None:
    secret = ps.Secret(invitation_token)
    assert_type(secret.reveal(), str)
    await client.request("POST", "/v1/customer-seats/claim", json={"invitation_token": secret})
    try:
        await client.get_claim_info(invitation_token)
    except ps.PolarError as exc:
        if exc.request is not None:
            assert_type(exc.request.secret_path, ps.Secret | None)


def sync_client(client: ps.Client) -> None:
    assert_type(client.list_claimed_subscriptions(), ps.Page[ps.CustomerSubscription])
    assert_type(client.list_seats(subscription_id=uuid4()), ps.SeatsList)
    assert_type(client.with_token("polar_cst_..."), ps.Client)
    assert_type(client.for_customer(external_customer_id="user-1"), ps.Client)
    assert_type(client.request("GET", "/v1/x", model=ps.SeatsList), ps.SeatsList)
    with client.iter_claimed_subscriptions(limit=100) as walk:
        for subscription in walk:
            assert_type(subscription, ps.CustomerSubscription)
    for page in client.iter_claimed_subscriptions().pages():
        assert_type(page, ps.Page[ps.CustomerSubscription])
    for paid in client.iter_subscriptions(external_customer_id="user-1"):
        assert_type(paid, ps.CustomerSubscription | ps.Subscription)
    with ps.Client("polar_cst_...", timeout=5.0) as owned:
        assert_type(owned, ps.Client)
