"""Validate bodies against Polar's OpenAPI contract, copied into tests/contract/."""

from __future__ import annotations

import copy
import functools
import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

HERE = Path(__file__).parents[1] / "contract"
LATEST = HERE / "seats-subscriptions.2026-04-latest.openapi.json"
PREVIOUS = HERE / "seats-subscriptions.openapi.json"
EXAMPLE = HERE / "seats-subscriptions.synthetic-example-response.json"

# The contract's price union is a oneOf without a discriminator, and a legacy price also
# matches the current variant with the same amount_type, so a strict validator rejects
# every legacy price. Polar tells them apart by the `legacy` key; so does this check.
_PRICE = {
    "if": {"type": "object", "required": ["legacy"]},
    "then": {"$ref": "#/components/schemas/LegacyRecurringProductPrice"},
    "else": {"$ref": "#/components/schemas/ProductPrice"},
}


@functools.cache
def load(path: Path = LATEST) -> dict[str, Any]:
    document = json.loads(path.read_text())
    schemas = document["components"]["schemas"]
    for owner in ("CustomerSubscription", "CustomerSubscriptionProduct"):
        schemas[owner]["properties"]["prices"]["items"] = copy.deepcopy(_PRICE)
    return document


@functools.cache
def validator(schema_name: str, path: Path = LATEST) -> jsonschema.Draft202012Validator:
    document = load(path)
    registry: Registry[Any] = Registry().with_resource(
        "urn:contract", Resource.from_contents(document, default_specification=DRAFT202012)
    )
    schema = {"$ref": f"urn:contract#/components/schemas/{schema_name}"}
    return jsonschema.Draft202012Validator(
        schema, registry=registry, format_checker=jsonschema.FormatChecker()
    )


def errors(
    body: Any, schema_name: str = "ListResource_CustomerSubscription_", path: Path = LATEST
) -> list[str]:
    """Every way ``body`` breaks the contract, as readable lines; empty when it fits."""
    return [
        f"{'/'.join(str(p) for p in error.absolute_path)}: {error.message}"
        for error in validator(schema_name, path).iter_errors(body)
    ]


def assert_round_trip(sent: Any, got: Any, where: str = "$") -> None:
    """Every field of ``sent`` comes back in ``got`` (a decoded body's ``to_builtins``),
    equal to what was sent: datetimes and decimal strings compared by value, since their
    spelling may change (``+00:00`` becomes ``Z``)."""
    if isinstance(sent, dict):
        assert isinstance(got, dict), where
        for key, value in sent.items():
            assert key in got, f"{where}.{key} is missing"
            assert_round_trip(value, got[key], f"{where}.{key}")
    elif isinstance(sent, list):
        assert isinstance(got, list), where
        assert len(got) == len(sent), where
        for index, (a, b) in enumerate(zip(sent, got, strict=True)):
            assert_round_trip(a, b, f"{where}[{index}]")
    elif isinstance(sent, str) and sent != got:
        assert isinstance(got, str), f"{where}: {sent!r} != {got!r}"
        try:
            assert datetime.fromisoformat(sent) == datetime.fromisoformat(got), where
        except ValueError:
            assert Decimal(sent) == Decimal(got), f"{where}: {sent!r} != {got!r}"
    else:
        assert sent == got, f"{where}: {sent!r} != {got!r}"
