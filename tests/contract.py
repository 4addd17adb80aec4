"""Validate bodies against Polar's OpenAPI contract, copied into tests/contract/."""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

HERE = Path(__file__).parent / "contract"
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
