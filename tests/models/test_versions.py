"""Polar's API versions: the calendar, what a client sends and refuses, the warnings, both
404s, and the fake that serves each version's shapes on its date."""

from __future__ import annotations

import json
import logging
import warnings
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
import pytest

import polar_seats as ps
from polar_seats import versions
from polar_seats.testing import PRICE_KINDS, FakePolarServer, Fault, FaultPlan, set_testing_date
from polar_seats.versions import Stage

EXAMPLE = Path(__file__).parents[1] / "contract" / "seat-price-by-version.example.json"
LIST = "/v1/customer-portal/seats/subscriptions"


def client_of(server: FakePolarServer, **options: Any) -> ps.AsyncClient:
    """An unpaced client of ``server`` with its token."""
    return ps.AsyncClient(server.token, base_url=server.url, rate_limit=None, **options)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 8, 22), ("current", "next", "unknown")),
        (date(2026, 12, 6), ("deprecated", "current", "next")),
        (date(2026, 12, 31), ("deprecated", "current", "next")),
        (date(2027, 1, 1), ("removed", "deprecated", "current")),
        (date(2027, 4, 1), ("removed", "removed", "deprecated")),
        (date(2027, 7, 1), ("removed", "removed", "removed")),
    ],
)
def test_each_versions_stage_follows_the_calendar(day: date, expected: tuple[str, ...]) -> None:
    """2026-04, 2026-10 and 2027-01 on release days; the 1st of a release month counts."""
    assert tuple(versions.stage(v, day).value for v in ("2026-04", "2026-10", "2027-01")) == (
        expected
    )


def test_live_versions_and_polars_default_on_a_day() -> None:
    """What Polar serves, and what it serves when no version is asked."""
    assert versions.live_versions(date(2026, 12, 6)) == ("2026-04", "2026-10", "2027-01")
    assert versions.current(date(2026, 12, 6)) == "2026-10"
    assert versions.live_versions(date(2027, 1, 8)) == ("2026-10", "2027-01")
    assert versions.current(date(2027, 1, 8)) == "2027-01"
    assert versions.current(date(2026, 8, 22)) == "2026-04"
    assert versions.stage("2031-01", date(2026, 12, 6)) is Stage.UNKNOWN


async def test_the_default_is_2026_10_and_is_sent(server: FakePolarServer) -> None:
    """A client that pins nothing sends Polar-Version 2026-10, Current on 2026-12-06."""
    async with client_of(server) as client:
        assert client.polar_version == "2026-10"
        await client.list_claimed_subscriptions()
    assert server.requests[0].headers["Polar-Version"] == "2026-10"


@pytest.mark.parametrize("version", ["2026-04", "2026-10", "2027-01"])
async def test_every_live_version_decodes_into_the_same_models(version: str) -> None:
    """Each version's pages decode; its seat-based prices carry that version's fields and
    read the same through ``pricing``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ps.DeprecatedVersionWarning)
        async with FakePolarServer(count=len(PRICE_KINDS)) as server:
            async with client_of(server) as reference:
                expected = [sub async for sub in reference.iter_claimed_subscriptions()]
            before = len(server.requests)
            async with client_of(server, polar_version=version) as client:
                got = [sub async for sub in client.iter_claimed_subscriptions()]
    assert {r.headers["Polar-Version"] for r in server.requests[before:]} == {version}
    assert [s.id for s in got] == [s.id for s in expected]
    seat_index = PRICE_KINDS.index("seat_based")
    price = got[seat_index].prices[0]
    assert isinstance(price, ps.ProductPriceSeatBased)
    reference_price = expected[seat_index].prices[0]
    assert isinstance(reference_price, ps.ProductPriceSeatBased)
    if version == "2027-01":
        assert price.seat_tiers is None
        assert price.tiers is not None
        assert price.minimum_units == 1
    else:
        assert price.seat_tiers is not None
        assert price.tiers is None
    assert price.pricing == reference_price.pricing
    assert price.pricing.tiers[0].first == 1


def test_both_shapes_of_polars_example_read_the_same() -> None:
    """Polar's example seat price, as 2026-04/10 and as 2027-01 send it: one view."""
    example = json.loads(EXAMPLE.read_text())
    old = msgspec.convert(example["2026-04 and 2026-10"], ps.ProductPriceSeatBased, strict=False)
    new = msgspec.convert(example["2027-01"], ps.ProductPriceSeatBased, strict=False)
    assert old.pricing == new.pricing
    assert new.pricing == ps.SeatPricing(
        tier_type="graduated",
        tiers=(
            ps.SeatTierRange(1, 10, Decimal("1000")),
            ps.SeatTierRange(11, None, Decimal("800")),
        ),
        minimum=1,
        maximum=None,
    )


def test_a_seat_price_of_neither_shape_does_not_decode() -> None:
    """A seat-based price without seat_tiers or tiers is refused, naming both shapes."""
    example = json.loads(EXAMPLE.read_text())["2027-01"]
    del example["tiers"]
    with pytest.raises(msgspec.ValidationError, match=r"seat_tiers .* or tiers"):
        msgspec.convert(example, ps.ProductPriceSeatBased, strict=False)


async def test_the_fast_decoder_reads_a_2027_01_page() -> None:
    """A 2027-01 page of current prices decodes without the lax fallback."""
    async with (
        FakePolarServer(count=len(PRICE_KINDS)) as server,
        aiohttp.ClientSession() as http,
        http.get(
            server.url + LIST,
            params={"limit": "100"},
            headers={"Authorization": f"Bearer {server.token}", "Polar-Version": "2027-01"},
        ) as response,
    ):
        body = await response.json()
    current = [
        item
        for item, kind in zip(body["items"], PRICE_KINDS, strict=True)
        if not kind.startswith("legacy")
    ]
    page = json.dumps({"items": current, "pagination": body["pagination"]}).encode()
    decoded = ps.Page[ps.CustomerSubscription]
    fast = msgspec.json.Decoder(decoded, strict=False).decode(page)
    assert len(fast.items) == len(current)


def test_a_deprecated_version_warns_once_with_one_log_record(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """2026-04 on 2026-12-06: a DeprecatedVersionWarning (a FutureWarning) and one record,
    naming January 2027 and what to do; a second client of it says nothing more."""
    with caplog.at_level(logging.WARNING, logger="polar_seats"):
        with pytest.warns(ps.DeprecatedVersionWarning) as caught:
            ps.AsyncClient("polar_cst_x", polar_version="2026-04")
        with warnings.catch_warnings(record=True) as again:
            warnings.simplefilter("always")
            ps.AsyncClient("polar_cst_x", polar_version="2026-04")
    assert issubclass(ps.DeprecatedVersionWarning, FutureWarning)
    (warning,) = caught
    message = str(warning.message)
    assert "removes it in the first week of January 2027" in message
    assert "Upgrade polar-seats, or pin polar_version='2026-10'" in message
    assert warning.filename == __file__
    assert again == []
    assert [r.getMessage() for r in caplog.records] == [message]


def test_a_current_or_next_version_says_nothing(caplog: pytest.LogCaptureFixture) -> None:
    """2026-10 and 2027-01 on 2026-12-06: no warning, no record."""
    with caplog.at_level(logging.DEBUG, logger="polar_seats"), warnings.catch_warnings():
        warnings.simplefilter("error")
        ps.AsyncClient("polar_cst_x", polar_version="2026-10")
        ps.AsyncClient("polar_cst_x", polar_version="2027-01")
    assert caplog.records == []


@pytest.mark.parametrize("version", ["2026-4", "latest", "2026-04 ", "2026-13", ""])
def test_a_malformed_version_is_refused_naming_the_live_ones(version: str) -> None:
    """Not YYYY-MM: a ValueError before any request, listing what Polar serves today."""
    with pytest.raises(ValueError, match="YYYY-MM") as caught:
        ps.AsyncClient("polar_cst_x", polar_version=version)
    assert "2026-04 (deprecated), 2026-10 (current), 2027-01 (next)" in str(caught.value)


def test_a_version_that_is_not_a_str_is_a_type_error() -> None:
    """polar_version=202604: a TypeError."""
    with pytest.raises(TypeError, match="polar_version must be a str"):
        ps.AsyncClient("polar_cst_x", polar_version=202604)  # type: ignore[arg-type]


async def test_a_removed_version_is_refused_before_any_request(server: FakePolarServer) -> None:
    """On 2027-01-01, 2026-04 is refused at creation with the versions Polar serves."""
    with set_testing_date(date(2027, 1, 1)), pytest.raises(ValueError, match="removed") as caught:
        client_of(server, polar_version="2026-04")
    message = str(caught.value)
    assert "Polar removed API version 2026-04 at its release of January 2027" in message
    assert "2026-10 (deprecated), 2027-01 (current)" in message
    assert server.requests == []


def test_a_version_older_than_the_calendar_or_never_released_is_refused() -> None:
    """2025-10 (before the calendar) and 2026-07 (never a version): refused."""
    for version in ("2025-10", "2026-07"):
        with pytest.raises(ValueError, match=f"Polar has no API version {version}"):
            ps.AsyncClient("polar_cst_x", polar_version=version)


def test_a_version_not_yet_next_is_refused() -> None:
    """2027-01 on 2026-08-22, before it became Next: refused, saying when it comes."""
    with set_testing_date(date(2026, 8, 22)), pytest.raises(ValueError, match="October 2026"):
        ps.AsyncClient("polar_cst_x", polar_version="2027-01")


async def test_a_newer_version_is_sent_as_asked_with_a_log_record(
    server: FakePolarServer, caplog: pytest.LogCaptureFixture
) -> None:
    """2027-04 is sent (logged: this release may not read it); the fake, which does not
    serve it yet, refuses it with the version 404."""
    with caplog.at_level(logging.WARNING, logger="polar_seats"):
        client = client_of(server, polar_version="2027-04")
    assert "Sending Polar-Version 2027-04 as asked" in caplog.text
    async with client:
        with pytest.raises(ps.VersionNotFoundError):
            await client.list_claimed_subscriptions()
    assert server.requests[0].headers["Polar-Version"] == "2027-04"


async def test_the_version_404_is_its_own_error_saying_what_to_do(
    server: FakePolarServer,
) -> None:
    """A client made on 2026-12-31 with 2026-04, used after the fake passed the January
    release: VersionNotFoundError (a NotFoundError) with the live versions, sent once."""
    with set_testing_date(date(2026, 12, 31)), pytest.warns(ps.DeprecatedVersionWarning):
        client = client_of(server, polar_version="2026-04")
    server.today = date(2027, 1, 8)
    async with client:
        with pytest.raises(ps.VersionNotFoundError) as caught:
            await client.list_claimed_subscriptions()
    error = caught.value
    assert isinstance(error, ps.NotFoundError)
    assert error.status == 404
    assert error.body == {"detail": "Not Found"}
    assert "Polar refused Polar-Version 2026-04" in str(error)
    assert "Upgrade polar-seats, or pass polar_version=" in str(error)
    assert len(server.requests) == 1


async def test_an_ordinary_404_never_mentions_the_version(server: FakePolarServer) -> None:
    """Polar's "Subscription not found" and a wrong path: NotFoundError, no version blamed."""
    async with client_of(server) as client:
        with pytest.raises(ps.NotFoundError) as missing:
            await client.list_seats(subscription_id="00000000-0000-4000-8000-000000000000")
        with pytest.raises(ps.NotFoundError) as wrong:
            await client.request("GET", "/v1/customer-portal/nothing-here")
    for error in (missing.value, wrong.value):
        assert not isinstance(error, ps.VersionNotFoundError)
        assert "version" not in str(error).lower()
        assert error.headers["Polar-Version"] == "2026-10"


async def test_an_answer_served_as_another_version_is_logged_once(
    server: FakePolarServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A 200 whose Polar-Version is not the one sent: one log record for two such answers."""
    page = json.dumps(server.page_body(1, 10)).encode()
    served_other = Fault(
        "status",
        status=200,
        headers={"Polar-Version": "2026-04", "Content-Type": "application/json"},
        body=page,
        polar_headers=False,
    )
    server.faults = FaultPlan({1: served_other, 2: served_other})
    with caplog.at_level(logging.WARNING, logger="polar_seats"):
        async with client_of(server) as client:
            await client.list_claimed_subscriptions()
            await client.list_claimed_subscriptions()
    records = [r.getMessage() for r in caplog.records]
    assert records == [
        "Polar served Polar-Version 2026-04 for a request that asked for 2026-10; the "
        "response was read as 2026-10's shapes."
    ]


async def test_a_fake_dated_before_a_version_refuses_it_as_polar_did() -> None:
    """Dated like the recorded server (2026-08-22): 2027-01 is Polar's version 404, with
    neither Polar-Version nor Cache-Control; no header means 2026-04, Current then."""
    async with (
        FakePolarServer(today=date(2026, 8, 22)) as server,
        aiohttp.ClientSession() as http,
    ):
        auth = {"Authorization": f"Bearer {server.token}"}
        async with http.get(server.url + LIST, headers={**auth, "Polar-Version": "2027-01"}) as r:
            refused = (r.status, await r.json(), dict(r.headers))
        async with http.get(server.url + LIST, headers=auth) as r:
            default = r.headers["Polar-Version"]
    status, body, headers = refused
    assert (status, body) == (404, {"detail": "Not Found"})
    assert "Polar-Version" not in headers
    assert "Cache-Control" not in headers
    assert default == "2026-04"


async def test_the_fake_follows_the_testing_date_and_a_date_set_on_it() -> None:
    """With no today=, the fake reads the testing clock's date; server.today overrides it."""
    async with FakePolarServer() as server, aiohttp.ClientSession() as http:
        auth = {"Authorization": f"Bearer {server.token}"}

        async def served(version: str | None = None) -> tuple[int, str | None]:
            headers = auth if version is None else {**auth, "Polar-Version": version}
            async with http.get(server.url + LIST, headers=headers) as r:
                return r.status, r.headers.get("Polar-Version")

        assert server.today == date(2026, 12, 6)
        assert await served() == (200, "2026-10")
        with set_testing_date(date(2027, 1, 8)):
            assert await served() == (200, "2027-01")
            assert await served("2026-04") == (404, None)
        server.today = date(2027, 4, 2)
        assert await served("2026-10") == (404, None)
        assert await served() == (200, "2027-01")
        server.today = None
        assert await served("2026-04") == (200, "2026-04")


async def test_rehearsing_january_a_default_client_keeps_working() -> None:
    """Pin nothing, move the fake past the January release: the default client still walks
    every subscription; made on that day, it warns that 2026-10 goes in April."""
    async with FakePolarServer(count=30) as server:
        server.today = date(2027, 1, 8)
        async with client_of(server) as client:
            assert len([s async for s in client.iter_claimed_subscriptions()]) == 30
        with set_testing_date(date(2027, 1, 8)):
            with pytest.warns(ps.DeprecatedVersionWarning, match="first week of April 2027"):
                late = client_of(server)
            async with late:
                assert len([s async for s in late.iter_claimed_subscriptions()]) == 30
