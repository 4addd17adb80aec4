"""The drift drill: valid bodies changed the ways Polar's contract has changed before.

Every mutation must still decode, keeping what it can: polar#8630 (a new required field)
failed every response of polar-sdk 0.28, polar#10556 (a closed enum) failed others.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import msgspec
import pytest

import polar_seats as ps
from polar_seats._resources.subscriptions import decode_page
from polar_seats.testing import make_subscriptions, page_body
from tests.support import contract

Json = dict[str, Any]
BODIES = make_subscriptions(16, seed=5)

# Fields whose values are enumerations in the contract, by the key they appear under.
ENUM_KEYS = {
    "status",
    "recurring_interval",
    "visibility",
    "source",
    "tax_behavior",
    "seat_tier_type",
    "unit",
    "proration_behavior",
    "customer_cancellation_reason",
    "trial_interval",
    "meter_interval",
}
# Keys whose value is a discriminator, not a plain enumeration.
TAGS = {"amount_type", "type"}


# Maps of free keys in the contract (not objects with fields): left as they are.
MAPS = {"unit_label"}


def objects(value: Any) -> Iterator[Json]:
    """Every JSON object with fields inside ``value``, outermost first."""
    if isinstance(value, dict):
        yield value
        for key, child in value.items():
            if key not in MAPS:
                yield from objects(child)
    elif isinstance(value, list):
        for child in value:
            yield from objects(child)


def decode(items: list[Json]) -> ps.Page:
    return decode_page(page_body(items, max_page=1), page=1)


def mutated(mutate: Callable[[Json], int]) -> tuple[list[Json], int]:
    items = copy.deepcopy(BODIES)
    changes = sum(mutate(obj) for item in items for obj in list(objects(item)))
    return items, changes


def add_required_field(obj: Json) -> int:
    obj["brand_new_required_field"] = {"nested": [1, 2, {"deep": None}]}
    return 1


def new_enum_value(obj: Json) -> int:
    changed = 0
    for key in ENUM_KEYS & obj.keys():
        if isinstance(obj[key], str):
            obj[key] = "brand_new_value"
            changed += 1
    return changed


def widen_int_to_number(obj: Json) -> int:
    changed = 0
    for key, value in obj.items():
        if type(value) is int and key not in TAGS:
            obj[key] = float(value)
            changed += 1
    return changed


def test_a_new_required_field_everywhere_decodes() -> None:
    """A field added to every object at every level is skipped."""
    items, changes = mutated(add_required_field)
    assert changes > 300
    page = decode(items)
    assert [sub.id for sub in page.items] == [raw["id"] for raw in BODIES]


def test_a_new_value_in_every_enumeration_decodes() -> None:
    """Every enumerated field set to a value nobody knew: decoded as that string."""
    items, changes = mutated(new_enum_value)
    assert changes > 100
    page = decode(items)
    assert {sub.status for sub in page.items} == {"brand_new_value"}
    assert {sub.product.visibility for sub in page.items} == {"brand_new_value"}


def test_a_new_price_and_benefit_variant_decodes() -> None:
    """A new amount_type and a new benefit type become the Unknown* fallbacks."""
    items = copy.deepcopy(BODIES)
    for item in items:
        for price in [*item["prices"], *item["product"]["prices"]]:
            price["amount_type"] = "per_hug"
            price["hugs_per_month"] = 3
        for benefit in item["product"]["benefits"]:
            benefit["type"] = "telepathy"
    page = decode(items)
    prices = [price for sub in page.items for price in sub.prices]
    assert prices
    assert all(isinstance(price, ps.UnknownProductPrice) for price in prices)
    assert all(price.raw["hugs_per_month"] == 3 for price in prices)
    benefits = [benefit for sub in page.items for benefit in sub.product.benefits]
    assert benefits
    assert all(isinstance(benefit, ps.UnknownBenefit) for benefit in benefits)


def optional_fields() -> dict[str, list[str]]:
    """Per schema of the newest contract, the properties it does not require."""
    schemas = contract.load()["components"]["schemas"]
    return {
        name: sorted(set(schema.get("properties", {})) - set(schema.get("required", [])))
        for name, schema in schemas.items()
        if schema.get("type") == "object"
    }


def test_every_optional_field_of_the_contract_has_a_default() -> None:
    """What the contract lets Polar leave out, the models let it leave out."""
    missing = []
    for schema, fields in optional_fields().items():
        cls = MODELS.get(schema)
        if cls is None:
            continue
        info = msgspec.inspect.type_info(cls)
        assert isinstance(info, msgspec.inspect.StructType)
        required = {field.name for field in info.fields if field.required}
        missing += [f"{schema}.{name}" for name in fields if name in required]
    assert missing == []


@pytest.mark.parametrize("key", sorted({k for ks in optional_fields().values() for k in ks}))
def test_removing_an_optional_field_decodes(key: str) -> None:
    """Each field the contract does not require, removed wherever it appears: still decodes."""

    def remove(obj: Json) -> int:
        return 1 if obj.pop(key, None) is not None else 0

    items, _ = mutated(remove)
    page = decode(items)
    assert len(page.items) == len(BODIES)


def test_removing_the_fields_only_the_newest_revision_has_decodes() -> None:
    """units, update_units and a meter credit's properties, gone: the previous revision."""

    def previous_revision(obj: Json) -> int:
        removed = 0
        for key in ("units", "update_units"):
            removed += obj.pop(key, "absent") != "absent"
        if obj.get("type") == "meter_credit":
            removed += obj.pop("properties", None) is not None
        return removed

    items, changes = mutated(previous_revision)
    assert changes > 10
    page = decode(items)
    assert all(sub.units is None for sub in page.items)


def test_integers_widened_to_numbers_decode() -> None:
    """Every integer sent as a JSON number with a fraction part of zero (1000 -> 1000.0)."""
    items, changes = mutated(widen_int_to_number)
    assert changes > 100
    page = decode(items)
    assert [sub.amount for sub in page.items] == [raw["amount"] for raw in BODIES]
    assert all(type(sub.amount) is int for sub in page.items)


def test_a_fractional_value_in_an_integer_field_names_the_field() -> None:
    """Money with a fraction is not rounded silently: the error names the field."""
    items = copy.deepcopy(BODIES[:1])
    items[0]["amount"] = 12.5
    with pytest.raises(ps.ResponseDecodeError) as caught:
        decode(items)
    assert caught.value.path == "$.items[0].amount"


MODELS: dict[str, type[msgspec.Struct]] = {
    "CustomerSubscription": ps.CustomerSubscription,
    "CustomerSubscriptionProduct": ps.CustomerSubscriptionProduct,
    "CustomerSubscriptionMeter": ps.CustomerSubscriptionMeter,
    "CustomerSubscriptionMeterMeter": ps.CustomerSubscriptionMeterMeter,
    "CustomerOrganization": ps.CustomerOrganization,
    "CustomerOrganizationFeatureSettings": ps.CustomerOrganizationFeatureSettings,
    "CustomerPortalCustomerSettings": ps.CustomerPortalCustomerSettings,
    "CustomerPortalSubscriptionSettings": ps.CustomerPortalSubscriptionSettings,
    "CustomerPortalUsageSettings": ps.CustomerPortalUsageSettings,
    "OrganizationCustomerPortalSettings": ps.OrganizationCustomerPortalSettings,
    "PendingSubscriptionUpdate": ps.PendingSubscriptionUpdate,
    "ProductMediaFileRead": ps.ProductMediaFileRead,
    "ProductPriceFixed": ps.ProductPriceFixed,
    "ProductPriceCustom": ps.ProductPriceCustom,
    "ProductPriceSeatBased": ps.ProductPriceSeatBased,
    "ProductPriceSeatTier": ps.ProductPriceSeatTier,
    "ProductPriceSeatTiers-Output": ps.ProductPriceSeatTiers,
    "ProductPriceMeteredUnit": ps.ProductPriceMeteredUnit,
    "ProductPriceMeteredTiers": ps.ProductPriceMeteredTiers,
    "ProductPriceUnitBased": ps.ProductPriceUnitBased,
    "ProductPriceMeter": ps.ProductPriceMeter,
    "LegacyRecurringProductPriceFixed": ps.LegacyRecurringProductPriceFixed,
    "LegacyRecurringProductPriceCustom": ps.LegacyRecurringProductPriceCustom,
    "Tier": ps.Tier,
    "Tiers": ps.Tiers,
    "BenefitMeterCreditPublic": ps.BenefitMeterCredit,
    "BenefitMeterCreditPublicProperties": ps.BenefitMeterCreditProperties,
    "BenefitCustomPublic": ps.BenefitCustom,
    "Pagination": ps.Pagination,
    "ListResource_CustomerSubscription_": ps.Page,
}
