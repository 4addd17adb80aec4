"""Hypothesis strategies drawn from the contract's component schemas.

hypothesis-jsonschema takes minutes a body on this contract (its price and benefit unions
make it draw and discard), so this covers what the contract uses: $ref, const, enum,
anyOf/oneOf, the if/then/else that tells prices apart, objects (required fields always,
optional ones sometimes), maps, arrays, strings with the contract's formats and pattern,
integers with their bounds, numbers, booleans and null. Every body it draws is checked
against the contract with jsonschema before it is used, so a mistake here cannot pass
an invalid body off as valid.
"""

from __future__ import annotations

from datetime import timezone
from typing import Any

from hypothesis import strategies as st

DECIMAL = r"[+-]?[0-9]{1,6}(\.[0-9]{1,6})?"
"""A subset of the contract's decimal pattern, without its lookahead."""

Json = Any


def from_contract(document: dict[str, Any], name: str) -> st.SearchStrategy[Json]:
    """Bodies that fit ``components.schemas[name]`` of ``document``."""
    schemas = document["components"]["schemas"]
    cache: dict[str, st.SearchStrategy[Json]] = {}

    def ref(target: str) -> st.SearchStrategy[Json]:
        key = target.rsplit("/", 1)[1]
        if key not in cache:
            cache[key] = st.deferred(lambda: build(schemas[key]))
        return cache[key]

    def build(node: dict[str, Any]) -> st.SearchStrategy[Json]:
        if "$ref" in node:
            return ref(node["$ref"])
        if "const" in node:
            return st.just(node["const"])
        if "enum" in node:
            return st.sampled_from(node["enum"])
        for union in ("anyOf", "oneOf"):
            if union in node:
                return st.one_of([build(branch) for branch in node[union]])
        if "if" in node:
            return st.one_of(build(node["then"]), build(node["else"]))
        kind = node.get("type")
        if kind == "object":
            return objects(node)
        if kind == "array":
            return st.lists(build(node["items"]), min_size=node.get("minItems", 0), max_size=3)
        if kind == "string":
            return strings(node)
        if kind == "integer":
            low = node.get("minimum", -(2**53))
            if "exclusiveMinimum" in node:
                low = int(node["exclusiveMinimum"]) + 1
            return st.integers(int(low), int(min(node.get("maximum", 2**53), 2**63 - 1)))
        if kind == "number":
            return st.one_of(
                st.integers(-(2**53), 2**53),
                st.floats(allow_nan=False, allow_infinity=False, width=64),
            )
        if kind == "boolean":
            return st.booleans()
        if kind == "null":
            return st.none()
        if not node:
            return st.one_of(st.none(), st.integers(), st.text(max_size=5))
        raise NotImplementedError(f"no strategy for {node}")

    def objects(node: dict[str, Any]) -> st.SearchStrategy[Json]:
        properties = node.get("properties", {})
        if not properties and isinstance(node.get("additionalProperties"), dict):
            return st.dictionaries(
                st.text(min_size=1, max_size=5), build(node["additionalProperties"]), max_size=2
            )
        required = set(node.get("required", []))
        # `description` is required on benefits and products but has no schema of its own
        # in some trims: it is a string.
        fields = {key: build(properties.get(key, {"type": "string"})) for key in required}
        optional = {key: build(value) for key, value in properties.items() if key not in required}
        return st.fixed_dictionaries(fields, optional=optional)

    def strings(node: dict[str, Any]) -> st.SearchStrategy[Json]:
        fmt = node.get("format")
        if fmt == "date-time":
            return st.datetimes(timezones=st.just(timezone.utc)).map(
                lambda moment: moment.isoformat().replace("+00:00", "Z")
            )
        if fmt in ("uuid4", "uuid"):
            return st.uuids(version=4).map(str)
        if "pattern" in node:
            return st.from_regex(DECIMAL, fullmatch=True)
        return st.text(max_size=12)

    return build(schemas[name])
