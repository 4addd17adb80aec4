"""Decoding bodies into models: every variant, and every kind of drift Polar has shipped."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import msgspec
import pytest

import polar_seats as ps
from polar_seats._models import CUSTOMER_SESSION, SESSION_INFO, SUBSCRIPTION_PAGE, Codec
from polar_seats._models.benefits import BENEFIT_CLASSES as BENEFIT_TABLE
from polar_seats._models.prices import LEGACY_PRICE_CLASSES
from polar_seats._models.prices import PRICE_CLASSES as PRICE_TABLE
from polar_seats._protocol import decode_body
from polar_seats._resources.sessions import mint_request
from polar_seats._resources.subscriptions import decode_page
from polar_seats.testing import (
    BENEFIT_TYPES,
    PRICE_KINDS,
    make_subscription,
    make_subscriptions,
    page_body,
)
from tests.real_polar.test_real_polar import exchange, schema
from tests.support import contract

SESSION_CONTRACT = schema("customer-sessions.openapi.json", "CustomerSession")
PRICE_CLASSES = {
    "fixed": ps.ProductPriceFixed,
    "custom": ps.ProductPriceCustom,
    "seat_based": ps.ProductPriceSeatBased,
    "metered_unit": ps.ProductPriceMeteredUnit,
    "unit_based": ps.ProductPriceUnitBased,
    "metered_tiers": ps.ProductPriceMeteredTiers,
    "legacy_fixed": ps.LegacyRecurringProductPriceFixed,
    "legacy_custom": ps.LegacyRecurringProductPriceCustom,
}
BENEFIT_CLASSES = {
    "custom": ps.BenefitCustom,
    "discord": ps.BenefitDiscord,
    "github_repository": ps.BenefitGitHubRepository,
    "downloadables": ps.BenefitDownloadables,
    "license_keys": ps.BenefitLicenseKeys,
    "meter_credit": ps.BenefitMeterCredit,
    "feature_flag": ps.BenefitFeatureFlag,
    "slack_shared_channel": ps.BenefitSlackSharedChannel,
}


def decode_one(item: dict[str, Any]) -> ps.CustomerSubscription:
    return decode_page(page_body([item]), page=1).items[0]


def test_example_response_decodes() -> None:
    """The contract's example response decodes, datetimes aware and nested objects typed."""
    page = decode_page(contract.EXAMPLE.read_bytes(), page=1)
    sub = page.items[0]
    assert page.pagination == ps.Pagination(total_count=1, max_page=1)
    assert sub.id == "3b6c9d2e-4444-4a1b-9c8d-7e6f5a4b3c2d"
    assert sub.created_at.utcoffset() == timedelta(0)
    assert sub.created_at.microsecond == 123456
    assert sub.product.name == "Team plan"
    assert isinstance(sub.prices[0], ps.ProductPriceSeatBased)
    assert sub.prices[0].seat_tiers.tiers[0].price_per_seat == 1000
    assert isinstance(sub.product.benefits[0], ps.BenefitLicenseKeys)
    assert sub.product.organization.customer_portal_settings.subscription.update_units is None


@pytest.mark.parametrize("index", range(len(PRICE_KINDS)))
def test_every_price_variant_decodes_to_its_class(index: int) -> None:
    """Each price kind, current and legacy, decodes into its own class."""
    raw = make_subscription(index)
    sub = decode_one(raw)
    kind = PRICE_KINDS[index]
    assert type(sub.prices[0]) is PRICE_CLASSES[kind]
    assert type(sub.product.prices[0]) is PRICE_CLASSES[kind]
    assert type(sub.price) is PRICE_CLASSES[kind]
    assert sub.prices[0].id == raw["prices"][0]["id"]


@pytest.mark.parametrize("kind", BENEFIT_TYPES)
def test_every_benefit_variant_decodes_to_its_class(kind: str) -> None:
    """Each benefit type decodes into its own class."""
    index = BENEFIT_TYPES.index(kind)
    sub = decode_one(make_subscription(index))
    assert type(sub.product.benefits[0]) is BENEFIT_CLASSES[kind]
    assert sub.product.benefits[0].type == kind


def test_meter_credit_benefit_keeps_its_properties() -> None:
    """A meter-credit benefit carries units and meter_id."""
    raw = make_subscription(BENEFIT_TYPES.index("meter_credit"))
    sub = decode_one(raw)
    benefit = sub.product.benefits[0]
    assert isinstance(benefit, ps.BenefitMeterCredit)
    assert benefit.properties is not None
    assert benefit.properties.units == raw["product"]["benefits"][0]["properties"]["units"]


def test_meter_credit_without_properties_decodes_as_in_the_previous_revision() -> None:
    """The previous revision had no `properties` on meter credits: None, not a failure."""
    raw = make_subscription(BENEFIT_TYPES.index("meter_credit"))
    del raw["product"]["benefits"][0]["properties"]
    benefit = decode_one(raw).product.benefits[0]
    assert isinstance(benefit, ps.BenefitMeterCredit)
    assert benefit.properties is None


def test_legacy_price_is_told_apart_by_the_legacy_key_not_by_type() -> None:
    """A price with `legacy` is legacy; one without is current, whatever `type` says."""
    raw = make_subscription(PRICE_KINDS.index("fixed"))
    raw["prices"][0]["type"] = "recurring"
    raw["prices"][0]["recurring_interval"] = "month"
    assert isinstance(decode_one(raw).prices[0], ps.ProductPriceFixed)
    raw["prices"][0]["legacy"] = True
    assert isinstance(decode_one(raw).prices[0], ps.LegacyRecurringProductPriceFixed)


def test_metered_amounts_decode_to_decimal() -> None:
    """`unit_amount` strings decode exactly, as Decimal."""
    raw = make_subscription(PRICE_KINDS.index("metered_unit"))
    raw["prices"][0]["unit_amount"] = "0.000000000001"
    price = decode_one(raw).prices[0]
    assert isinstance(price, ps.ProductPriceMeteredUnit)
    assert price.unit_amount == Decimal("0.000000000001")
    tiered = decode_one(make_subscription(PRICE_KINDS.index("metered_tiers"))).prices[0]
    assert isinstance(tiered, ps.ProductPriceMeteredTiers)
    assert all(isinstance(tier.unit_amount, Decimal) for tier in tiered.tiers.tiers)


def test_unknown_enum_value_decodes_and_equals_its_string() -> None:
    """A new status decodes and compares equal to the raw string; known ones to constants."""
    raw = make_subscription(0)
    raw["status"] = "frozen"
    raw["product"]["visibility"] = "unlisted"
    raw["recurring_interval"] = "fortnight"
    sub = decode_one(raw)
    assert sub.status == "frozen"
    assert sub.product.visibility == "unlisted"
    assert sub.recurring_interval == "fortnight"
    raw["status"] = "active"
    assert decode_one(raw).status == ps.SubscriptionStatus.ACTIVE


def test_unknown_price_variant_falls_back_and_keeps_raw_fields() -> None:
    """A price with a new amount_type becomes UnknownProductPrice; the page still decodes."""
    raw = make_subscription(0)
    novel = copy.deepcopy(raw["prices"][0])
    novel.update(amount_type="pay_per_hug", hugs=3)
    raw["prices"].append(novel)
    sub = decode_one(raw)
    unknown = sub.prices[1]
    assert isinstance(unknown, ps.UnknownProductPrice)
    assert unknown.id == novel["id"]
    assert unknown.amount_type == "pay_per_hug"
    assert unknown.legacy is False
    assert unknown.raw["hugs"] == 3
    assert isinstance(sub.prices[0], ps.ProductPriceFixed)


def test_unknown_legacy_price_variant_falls_back() -> None:
    """A legacy price with an amount_type legacy prices never had falls back too."""
    raw = make_subscription(PRICE_KINDS.index("legacy_fixed"))
    raw["prices"][0]["amount_type"] = "seat_based"
    unknown = decode_one(raw).prices[0]
    assert isinstance(unknown, ps.UnknownProductPrice)
    assert unknown.legacy is True


def test_unknown_benefit_type_falls_back_and_keeps_raw_fields() -> None:
    """A benefit with a new type becomes UnknownBenefit; the page still decodes."""
    raw = make_subscription(0)
    benefit = copy.deepcopy(raw["product"]["benefits"][0])
    benefit.update(type="telepathy", properties={"range_km": 3})
    raw["product"]["benefits"].append(benefit)
    unknown = decode_one(raw).product.benefits[-1]
    assert isinstance(unknown, ps.UnknownBenefit)
    assert (unknown.id, unknown.type) == (benefit["id"], "telepathy")
    assert unknown.raw["properties"] == {"range_km": 3}


def test_price_without_amount_type_falls_back() -> None:
    """A price missing its discriminator is kept raw rather than failing the page."""
    raw = make_subscription(0)
    del raw["prices"][0]["amount_type"]
    unknown = decode_one(raw).prices[0]
    assert isinstance(unknown, ps.UnknownProductPrice)
    assert unknown.amount_type is None


def test_fields_only_the_newer_revision_has_default_to_none() -> None:
    """`units` and `update_units` absent (previous revision): None."""
    raw = make_subscription(3)
    raw.pop("units")
    raw["product"]["organization"]["customer_portal_settings"]["subscription"].pop(
        "update_units", None
    )
    raw["pending_update"] = {
        "created_at": "2025-01-03T13:37:00Z",
        "modified_at": None,
        "id": "6f0e7c2a-1111-4e2f-8a1b-9c0d1e2f3a4b",
        "applies_at": "2025-02-03T13:37:00Z",
        "product_id": None,
        "seats": 4,
    }
    sub = decode_one(raw)
    assert sub.units is None
    assert sub.product.organization.customer_portal_settings.subscription.update_units is None
    assert sub.pending_update is not None
    assert sub.pending_update.units is None
    assert sub.pending_update.seats == 4


def test_new_fields_are_ignored() -> None:
    """Fields the models do not know are skipped, at every level."""
    raw = make_subscription(2)
    raw["loyalty_points"] = 12
    raw["product"]["organization"]["mascot"] = {"name": "Polly"}
    raw["prices"][0]["surprise"] = [1, 2, 3]
    assert decode_one(raw).id == raw["id"]


def test_undocumented_fields_polar_sends_are_decoded() -> None:
    """`price`, `price_id`, `user_id`, a price's `type` and a seat price's `price_per_seat`."""
    raw = make_subscription(PRICE_KINDS.index("seat_based"))
    sub = decode_one(raw)
    assert sub.price_id == raw["prices"][0]["id"]
    assert sub.price == sub.prices[0]
    assert sub.user_id == raw["customer_id"]
    price = sub.prices[0]
    assert isinstance(price, ps.ProductPriceSeatBased)
    assert price.type == raw["prices"][0]["type"]
    assert price.price_per_seat == raw["prices"][0]["price_per_seat"]


def test_seeded_bodies_round_trip_on_every_field() -> None:
    """to_builtins of a decoded subscription gives back each field the body had."""
    for raw in make_subscriptions(40, seed=7):
        contract.assert_round_trip(raw, msgspec.to_builtins(decode_one(raw)))


def test_datetime_without_fraction_decodes() -> None:
    """Polar drops the fraction when it is zero; both forms decode."""
    raw = make_subscription(0)
    raw["created_at"] = "2025-01-03T13:37:00Z"
    raw["modified_at"] = "2025-01-03T13:37:00.5+02:00"
    sub = decode_one(raw)
    assert sub.created_at.microsecond == 0
    assert sub.modified_at is not None
    assert sub.modified_at.utcoffset() == timedelta(hours=2)


def test_a_required_field_missing_names_its_path() -> None:
    """A body that does not fit says which page and which field."""
    raw = make_subscription(0)
    del raw["product"]["name"]
    with pytest.raises(ps.ResponseDecodeError) as caught:
        decode_page(page_body([make_subscription(1), raw]), page=4)
    assert caught.value.page == 4
    assert caught.value.path == "$.items[1].product"
    assert "name" in str(caught.value)


def test_a_wrong_field_inside_a_price_names_the_whole_path() -> None:
    """The path of a bad field inside a price runs from the page down to the field."""
    raw = make_subscription(PRICE_KINDS.index("seat_based"))
    raw["prices"] = copy.deepcopy(raw["prices"])
    raw["prices"][0]["seat_tiers"]["tiers"][1]["price_per_seat"] = "ten"
    with pytest.raises(ps.ResponseDecodeError) as caught:
        decode_page(page_body([raw]), page=2)
    assert caught.value.path == "$.items[0].prices[0].seat_tiers.tiers[1].price_per_seat"


def test_not_json_is_a_decode_error_with_the_body() -> None:
    """A 200 that is not JSON raises ResponseDecodeError carrying what was sent."""
    with pytest.raises(ps.ResponseDecodeError) as caught:
        decode_page(b"<html>maintenance</html>", page=1)
    assert caught.value.raw_body == b"<html>maintenance</html>"
    assert caught.value.path is None
    assert "<html>maintenance" in str(caught.value)


def test_a_price_that_is_not_an_object_is_a_decode_error() -> None:
    """A price that is a string, not an object, fails with the path of the price."""
    raw = make_subscription(0)
    raw["prices"] = ["fixed"]
    raw["product"]["benefits"] = []
    with pytest.raises(ps.ResponseDecodeError) as caught:
        decode_page(page_body([raw]), page=1)
    assert caught.value.path == "$.items[0].prices[0]"
    raw = make_subscription(0)
    raw["product"]["benefits"] = [7]
    with pytest.raises(ps.ResponseDecodeError) as caught:
        decode_page(page_body([raw]), page=1)
    assert caught.value.path == "$.items[0].product.benefits[0]"


def test_runtime_price_and_benefit_names_match_every_variant() -> None:
    """`isinstance(x, polar_seats.Price)` holds for every price class, as for benefits."""
    for cls in [*PRICE_CLASSES.values(), ps.UnknownProductPrice]:
        assert issubclass(cls, ps.Price)
    for benefit_cls in [*BENEFIT_CLASSES.values(), ps.UnknownBenefit]:
        assert issubclass(benefit_cls, ps.Benefit)


def test_fast_and_lax_decoders_agree_on_every_current_kind() -> None:
    """The tagged-union decoder and the hook-based one build equal models, field for field."""
    items = [
        sub
        for sub in make_subscriptions(4 * len(PRICE_KINDS), seed=7)
        if "legacy" not in sub["prices"][0]
    ]
    body = page_body(items, max_page=1)
    fast = SUBSCRIPTION_PAGE.fast.decode(body)
    lax = SUBSCRIPTION_PAGE.decode_lax(body)
    assert fast == lax
    assert decode_page(body, page=1) == fast
    assert {price.amount_type for sub in fast.items for price in sub.prices} == {
        kind for kind in PRICE_KINDS if not kind.startswith("legacy")
    }


def test_a_page_mixing_legacy_unknown_and_current_prices_decodes_each_to_its_class() -> None:
    """One legacy or unknown price sends the page to the lax decoder; its neighbours are intact."""
    current = make_subscription(PRICE_KINDS.index("seat_based"))
    legacy = make_subscription(PRICE_KINDS.index("legacy_custom"))
    novel = make_subscription(PRICE_KINDS.index("fixed"))
    novel["prices"][0]["amount_type"] = "pay_per_hug"
    page = decode_page(page_body([current, legacy, novel]), page=1)
    assert [type(sub.prices[0]) for sub in page.items] == [
        ps.ProductPriceSeatBased,
        ps.LegacyRecurringProductPriceCustom,
        ps.UnknownProductPrice,
    ]
    assert page.items[0] == decode_one(current)
    assert type(page.items[0]) is ps.CustomerSubscription
    assert type(page.items[0].product) is ps.CustomerSubscriptionProduct


def test_the_word_legacy_as_a_value_does_not_change_what_decodes() -> None:
    """Only a `legacy` key on a price makes it legacy; a product named so decodes the same."""
    raw = make_subscription(PRICE_KINDS.index("fixed"))
    raw["product"]["name"] = "legacy"
    sub = decode_one(raw)
    assert sub.product.name == "legacy"
    assert type(sub.prices[0]) is ps.ProductPriceFixed


def test_kind_properties_match_what_the_server_sent() -> None:
    """`amount_type` and `type` read the class's kind and are encoded back as sent."""
    for index in range(len(PRICE_KINDS)):
        raw = make_subscription(index)
        sub = decode_one(raw)
        assert sub.prices[0].amount_type == raw["prices"][0]["amount_type"]
        assert sub.product.benefits[0].type == raw["product"]["benefits"][0]["type"]
        encoded = msgspec.to_builtins(sub.prices[0])
        assert encoded["amount_type"] == raw["prices"][0]["amount_type"]
        assert sub.prices[0].legacy is ("legacy" in raw["prices"][0])


def test_every_kind_has_one_class_and_every_class_one_kind() -> None:
    """The enums, the classes' tags, the decode hook's tables and the testing kit agree."""
    assert list(PRICE_TABLE) == [kind.value for kind in ps.PriceAmountType]
    assert list(BENEFIT_TABLE) == [kind.value for kind in ps.BenefitType]
    for kind, cls in [*PRICE_TABLE.items(), *BENEFIT_TABLE.items()]:
        assert cls.__struct_config__.tag == kind
    assert set(LEGACY_PRICE_CLASSES) <= set(PRICE_TABLE)
    assert {kind: PRICE_CLASSES[kind] for kind in PRICE_TABLE} == PRICE_TABLE
    assert {f"legacy_{kind}": cls for kind, cls in LEGACY_PRICE_CLASSES.items()} == {
        kind: cls for kind, cls in PRICE_CLASSES.items() if kind.startswith("legacy_")
    }
    assert BENEFIT_CLASSES == BENEFIT_TABLE


def test_the_testing_kit_lists_keep_their_values_and_order() -> None:
    """PRICE_KINDS and BENEFIT_TYPES, now derived from the classes, are what they were."""
    assert PRICE_KINDS == (
        "fixed",
        "custom",
        "seat_based",
        "metered_unit",
        "unit_based",
        "metered_tiers",
        "legacy_fixed",
        "legacy_custom",
    )
    assert BENEFIT_TYPES == (
        "custom",
        "discord",
        "github_repository",
        "downloadables",
        "license_keys",
        "meter_credit",
        "feature_flag",
        "slack_shared_channel",
    )


def test_customer_session_info_decodes_an_introspect_body() -> None:
    """The introspect body decodes: `expires_at` aware, `return_url` null or set."""
    info = SESSION_INFO.decode(b'{"expires_at":"2026-12-01T20:16:54.123456Z","return_url":null}')
    assert isinstance(info, ps.CustomerSessionInfo)
    assert info.expires_at.utcoffset() == timedelta(0)
    assert (info.expires_at.year, info.expires_at.microsecond) == (2026, 123456)
    assert info.return_url is None
    later = b'{"expires_at":"2026-12-01T21:16:54+01:00","return_url":"https://example.com/back",'
    info = SESSION_INFO.decode(later + b'"member_id":"m","scopes":["customer_portal:read"]}')
    assert info.return_url == "https://example.com/back"
    assert info.expires_at.utcoffset() == timedelta(hours=1)


def test_customer_session_info_survives_drift_and_refuses_a_naive_expiry() -> None:
    """A dropped `return_url` is None; an `expires_at` without an offset is not an expiry."""
    info = SESSION_INFO.decode(b'{"expires_at":"2026-12-01T20:16:54Z"}')
    assert info.return_url is None
    with pytest.raises(msgspec.ValidationError, match="expires_at"):
        SESSION_INFO.decode(b'{"expires_at":"2026-12-01T20:16:54","return_url":null}')


RECORDED_SESSION = exchange("02-customer-sessions/011-member-model-org-owner.json")["response"][
    "body_json"
]


def session_with(**customer: Any) -> dict[str, Any]:
    """The recorded session of a member-model organization, its customer changed."""
    return {**RECORDED_SESSION, "customer": {**RECORDED_SESSION["customer"], **customer}}


def test_a_recorded_individual_customer_decodes_as_an_individual() -> None:
    """Polar's recorded session: an IndividualCustomer, a Customer too, with its email."""
    session = CUSTOMER_SESSION.decode(msgspec.json.encode(RECORDED_SESSION))
    assert type(session.customer) is ps.IndividualCustomer
    assert isinstance(session.customer, ps.Customer)
    assert session.customer.email == "owner@seatco-clients.com"


def test_a_team_customer_without_an_email_decodes() -> None:
    """`type: team` with `email: null` (the contract allows it) decodes as a TeamCustomer."""
    body = session_with(type="team", email=None)
    assert list(SESSION_CONTRACT.iter_errors(body)) == []
    session = CUSTOMER_SESSION.decode(msgspec.json.encode(body))
    assert type(session.customer) is ps.TeamCustomer
    assert (session.customer.type, session.customer.email) == ("team", None)
    del body["customer"]["email"]
    assert CUSTOMER_SESSION.decode(msgspec.json.encode(body)).customer.email is None


def test_a_customer_of_a_kind_polar_adds_later_decodes_as_a_customer() -> None:
    """An unknown `type` (or none) is a plain Customer holding the type as sent."""
    for kind in ("organization", None):
        body = session_with(type=kind, email=None)
        customer = CUSTOMER_SESSION.decode(msgspec.json.encode(body)).customer
        assert type(customer) is ps.Customer
        assert (customer.type, customer.email, customer.external_id) == (kind, None, "ext-mc-owner")


def test_an_individual_customer_without_an_email_names_the_customer() -> None:
    """Polar's individual customers always have an email: null fails at `$.customer`."""
    body = msgspec.json.encode(session_with(email=None))
    with pytest.raises(ps.ResponseDecodeError) as caught:
        decode_body(CUSTOMER_SESSION.decode, body, mint_request(("customer_id", "c", "", "")))
    assert caught.value.path == "$.customer"
    assert "individual customer's `email` is null" in str(caught.value)
    assert "polar_mst_" not in str(caught.value)


def test_a_customer_made_in_code_takes_the_class_its_type_names() -> None:
    """IndividualCustomer(...) says individual; a Customer built with type="team" is a team."""
    fields = {"id": "c", "created_at": datetime(2026, 1, 1), "organization_id": "o"}
    assert ps.IndividualCustomer(email="a@x.test", **fields).type == "individual"
    assert type(ps.Customer(type="team", **fields)) is ps.TeamCustomer
    with pytest.raises(ValueError, match="email"):
        ps.Customer(type="individual", **fields)


def test_a_codec_without_a_lax_type_raises_what_the_fast_decoder_raised() -> None:
    """No fallback: the fast decoder's error is the answer; with one, the lax error is."""
    codec: Codec[ps.Pagination] = Codec(ps.Pagination)
    assert codec.decode(b'{"total_count":1.0,"max_page":1}') == ps.Pagination(
        total_count=1, max_page=1
    )
    with pytest.raises(msgspec.DecodeError):
        codec.decode(b"{")
    with pytest.raises(TypeError, match="no lax type"):
        codec.decode_lax(b"{}")
    with pytest.raises(TypeError, match="from_lax"):
        Codec(ps.Pagination, from_lax=lambda page: page)
    with pytest.raises(msgspec.ValidationError, match=r"\$\.items\[0\]"):
        SUBSCRIPTION_PAGE.decode(page_body([7]))
