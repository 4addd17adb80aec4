"""The testing kit as users meet it: the pytest fixtures and the model factory."""

from __future__ import annotations

import polar_seats as ps
from polar_seats.testing import (
    BENEFIT_TYPES,
    PRICE_KINDS,
    FakePolarServer,
    make_customer_subscription,
    make_subscription,
)


async def test_the_plugins_fixtures_give_a_server_and_a_client(
    polar_fake_server: FakePolarServer, polar_client: ps.AsyncClient
) -> None:
    """polar_fake_server and polar_client come from the installed pytest plugin."""
    subs = [sub async for sub in polar_client.iter_claimed_subscriptions()]
    assert [sub.id for sub in subs] == [raw["id"] for raw in polar_fake_server.subscriptions]
    assert polar_client.base_url == polar_fake_server.url


def test_factory_builds_every_variant_as_models() -> None:
    """make_customer_subscription gives CustomerSubscription values of every kind."""
    subs = [make_customer_subscription(index) for index in range(len(PRICE_KINDS))]
    assert all(isinstance(sub, ps.CustomerSubscription) for sub in subs)
    assert len({type(sub.prices[0]) for sub in subs}) == len(PRICE_KINDS)
    assert {sub.product.benefits[0].type for sub in subs} == set(BENEFIT_TYPES)
    assert subs[3].id == make_subscription(3)["id"]
