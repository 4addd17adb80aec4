"""A Django view that uses one shared Client, called through Django's test client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import polar_seats as ps
from polar_seats.testing import DEFAULT_ORGANIZATION_TOKEN, FakePolarServer, serve_in_thread

django = pytest.importorskip("django")

from django.conf import settings  # noqa: E402  (after the skip: Django is optional)
from django.http import HttpRequest, JsonResponse  # noqa: E402
from django.test import Client as DjangoClient  # noqa: E402
from django.urls import path  # noqa: E402

if not settings.configured:
    settings.configure(
        ROOT_URLCONF=__name__,
        ALLOWED_HOSTS=["testserver"],
        DATABASES={},
        INSTALLED_APPS=[],
        MIDDLEWARE=[],
    )
    django.setup()

POLAR: ps.Client | None = None
"""The process's one Client, as a Django project keeps it (made in the fixture here)."""


def seats(request: HttpRequest, user: str) -> JsonResponse:
    """How many subscriptions the user holds a seat on, and their ids."""
    assert POLAR is not None
    me = POLAR.for_customer(external_customer_id=user)
    ids = [sub.id for sub in me.iter_claimed_subscriptions(limit=2)]
    return JsonResponse({"count": len(ids), "ids": ids})


urlpatterns = [path("seats/<str:user>/", seats)]


@pytest.fixture
def server() -> Iterator[FakePolarServer]:
    """A fake with two customers, in a thread; POLAR points at it for the test."""
    global POLAR
    with serve_in_thread(FakePolarServer(count=0)) as fake:
        fake.add_customer(external_id="ada", subscriptions=3)
        fake.add_customer(external_id="bob", subscriptions=1)
        with ps.Client(
            organization_token=DEFAULT_ORGANIZATION_TOKEN, base_url=fake.url, rate_limit=None
        ) as POLAR:
            yield fake
        POLAR = None


def test_a_view_uses_the_shared_client(server: FakePolarServer) -> None:
    """Each request's view walks its customer's subscriptions; sessions are minted once."""
    browser = DjangoClient()
    answers = [browser.get(f"/seats/{user}/").json() for user in ("ada", "bob", "ada")]
    assert [answer["count"] for answer in answers] == [3, 1, 3]
    assert answers[0]["ids"] == answers[2]["ids"]
    assert server.sessions_minted() == 2
