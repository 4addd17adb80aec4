"""polar_seats.decode(): a stored body decodes into the models as the client decodes it."""

from __future__ import annotations

import copy
import json
from typing import Any

import msgspec
import pytest

import polar_seats as ps
from polar_seats import webhooks
from polar_seats._models import SEATS_LIST, codec_for
from polar_seats._resources.subscriptions import decode_page
from tests.real_polar.test_real_polar import exchange
from tests.support import contract

RECORDED_PAGE = "01-list-claimed/004-alice-limit100-page1.json"
RECORDED_SEATS = "04-seats/011-list-main-full.json"


def recorded_body(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(exchange(name)["response"]["body_text"])
    return body


def legacy_version_of(price: dict[str, Any]) -> dict[str, Any]:
    """A recorded price as Polar sends a legacy recurring fixed one (its `legacy` key)."""
    legacy = {
        key: value
        for key, value in price.items()
        if key not in ("seat_tiers", "price_per_seat", "amount_type")
    }
    return {**legacy, "amount_type": "fixed", "price_amount": 1900, "legacy": True}


def recorded_page_with_a_legacy_price() -> bytes:
    """Polar's real page of 30 subscriptions, the first product also holding a legacy price."""
    page = recorded_body(RECORDED_PAGE)
    first = page["items"][0]
    legacy = legacy_version_of(first["prices"][0])
    first["product"]["prices"].append(legacy)
    first["prices"].append(copy.deepcopy(legacy))
    return json.dumps(page).encode()


def test_a_stored_page_with_a_legacy_price_decodes_as_the_client_decodes_it() -> None:
    """msgspec alone refuses the page (the issue's error); decode() reads it like a walk."""
    body = recorded_page_with_a_legacy_price()
    assert contract.errors(json.loads(body)) == []  # the legacy price is as Polar sends one
    with pytest.raises(msgspec.ValidationError, match="legacy"):
        msgspec.json.decode(body, type=ps.Page[ps.CustomerSubscription])
    page = ps.decode(body, ps.Page[ps.CustomerSubscription])
    assert page == decode_page(body, page=1)
    assert type(page.items[0]) is ps.CustomerSubscription
    assert len(page.items) == page.pagination.total_count == 30
    legacy = page.items[0].product.prices[-1]
    assert isinstance(legacy, ps.LegacyRecurringProductPriceFixed)
    assert legacy.legacy
    assert legacy.price_amount == 1900
    assert isinstance(page.items[0].prices[-1], ps.LegacyRecurringProductPriceFixed)
    assert isinstance(page.items[1].prices[0], ps.ProductPriceSeatBased)
    assert ps.decode(body.decode(), type=ps.Page[ps.CustomerSubscription]) == page


def test_a_bare_page_is_a_page_of_subscriptions() -> None:
    """As type checkers read a bare Page, decode() reads it: items are subscriptions."""
    body = recorded_page_with_a_legacy_price()
    assert ps.decode(body, ps.Page) == ps.decode(body, ps.Page[ps.CustomerSubscription])


def test_one_stored_subscription_or_product_takes_the_same_fallback() -> None:
    """A cached item or product with a legacy price decodes to the public classes."""
    body = recorded_page_with_a_legacy_price()
    page = ps.decode(body, ps.Page[ps.CustomerSubscription])
    item = msgspec.json.encode(msgspec.json.decode(body)["items"][0])
    subscription = ps.decode(item, ps.CustomerSubscription)
    assert type(subscription) is ps.CustomerSubscription
    assert subscription == page.items[0]
    product = msgspec.json.encode(msgspec.json.decode(item)["product"])
    decoded = ps.decode(product, ps.CustomerSubscriptionProduct)
    assert type(decoded) is ps.CustomerSubscriptionProduct
    assert decoded == page.items[0].product
    current = msgspec.json.encode(msgspec.json.decode(body)["items"][1])
    assert ps.decode(current, ps.CustomerSubscription) == page.items[1]


def test_stored_seats_decode_as_the_client_decodes_them() -> None:
    """A recorded list of seats, one seat of it, and a seat webhook event."""
    body = exchange(RECORDED_SEATS)["response"]["body_text"].encode()
    seats = ps.decode(body, ps.SeatsList)
    assert seats == SEATS_LIST.decode(body)
    assert seats.seats
    first = msgspec.json.encode(msgspec.json.decode(body)["seats"][0])
    assert ps.decode(first, ps.CustomerSeat) == seats.seats[0]
    event = msgspec.json.encode(
        {
            "type": "customer_seat.claimed",
            "timestamp": "2026-12-06T08:00:00Z",
            "data": seats.seats[0],
        }
    )
    claimed = ps.decode(event, webhooks.CustomerSeatClaimed)
    assert claimed.data == seats.seats[0]


def test_a_generic_page_of_another_model_gets_one_codec() -> None:
    """Page[CustomerSeat] decodes, and its decoder is made once."""
    seat = recorded_body(RECORDED_SEATS)["seats"][0]
    body = json.dumps({"items": [seat], "pagination": {"total_count": 1, "max_page": 1}})
    page = ps.decode(body, ps.Page[ps.CustomerSeat])
    assert type(page.items[0]) is ps.CustomerSeat
    assert codec_for(ps.Page[ps.CustomerSeat]) is codec_for(ps.Page[ps.CustomerSeat])


def test_garbage_is_the_librarys_decode_error_with_the_body() -> None:
    """Not JSON, or JSON that does not fit: ResponseDecodeError, with the body and path."""
    with pytest.raises(ps.ResponseDecodeError) as caught:
        ps.decode(b"<!doctype html><p>Maintenance</p>", ps.Page[ps.CustomerSubscription])
    assert caught.value.raw_body == b"<!doctype html><p>Maintenance</p>"
    assert caught.value.path is None
    assert str(caught.value).startswith("The body is not valid JSON")
    assert caught.value.request is None
    page = recorded_body(RECORDED_PAGE)
    page["items"][2]["product"]["prices"][0]["price_currency"] = 5
    body = json.dumps(page).encode()
    with pytest.raises(ps.ResponseDecodeError) as caught:
        ps.decode(body, ps.Page[ps.CustomerSubscription])
    assert caught.value.path == "$.items[2].product.prices[0].price_currency"
    assert caught.value.raw_body == body
    assert str(caught.value).startswith("The body does not fit the model at $.items[2]")


@pytest.mark.parametrize("wrong", [dict, int, list[ps.CustomerSubscription], [ps.CustomerSeat]])
def test_a_type_that_is_not_a_model_is_refused_with_what_to_do(wrong: Any) -> None:
    """decode() is for the library's models; anything else is a TypeError naming msgspec."""
    with pytest.raises(TypeError, match=r"decode other types with msgspec\.json\.decode\(\)"):
        ps.decode(b"{}", wrong)
