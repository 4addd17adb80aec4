"""The shapes of Polar's recorded bodies, and how a body of the fake differs from them.

Every 2xx JSON body recorded from Polar's server is read once into a catalogue: for each
place in a body (its contract's root schema and the path to it, a union member named by its
variant: ``ListResource_CustomerSubscription_$.items[].prices[]<seat_based>``) the JSON
types Polar sent there and the keys of the objects it sent there. A body of the fake is then
walked against that catalogue and against Polar's contract, side by side:

- an object has the keys Polar's objects of the same place and variant had, no more, no less;
- a value has a type Polar sent there; where Polar sent only ``null`` the fake may send what
  the contract allows instead, and where Polar sent a value the fake may send ``null`` only if
  the contract allows it (a key the contract does not declare: only what Polar sent);
- an object at a place or of a variant no recording holds is a problem, unless a caller lists
  it (``unrecorded``) with a reason; then its keys are checked against its contract branch
  and the keys Polar sends beyond it (``undeclared``).

The walk keeps the places it met, so a caller can also tell which of Polar's objects the
fake never sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import jsonschema

Json = dict[str, Any]

FREE_FORM = frozenset({"seat_metadata", "metadata"})
"""Keys whose value is the caller's own object: its type is compared, its keys are not."""


def variant(value: Any) -> str | None:
    """What tells a union's members apart: a price's kind (``legacy`` too), else ``type``
    (a benefit's, a customer's, a portal user's)."""
    if not isinstance(value, dict):
        return None
    if "amount_type" in value:
        legacy = "legacy " if "legacy" in value else ""
        return f"{legacy}{value['amount_type']}"
    kind = value.get("type")
    return kind if isinstance(kind, str) else None


def json_type(value: Any) -> str:
    """The JSON Schema type name of a decoded JSON value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    names = {float: "number", str: "string", list: "array", dict: "object"}
    return names[type(value)]


class Contract:
    """One of Polar's trimmed OpenAPI documents, walked beside a body (local refs only)."""

    def __init__(self, document: Json) -> None:
        self.document = document

    def resolve(self, schema: Json) -> Json:
        """``schema`` with its ``$ref`` followed."""
        while "$ref" in schema:
            node: Any = self.document
            for part in schema["$ref"].removeprefix("#/").split("/"):
                node = node[part]
            schema = node
        return schema

    def branches(self, schema: Json, value: Any = None) -> list[Json]:
        """The members of a union ``schema`` may be, for ``value`` when it tells."""
        schema = self.resolve(schema)
        discriminator = schema.get("discriminator")
        if discriminator and isinstance(value, dict):
            chosen = discriminator["mapping"].get(value.get(discriminator["propertyName"]))
            if chosen is not None:
                return self.branches({"$ref": chosen}, value)
        if "if" in schema:
            if value is None:
                return self.branches(schema["then"]) + self.branches(schema["else"])
            matches = jsonschema.Draft202012Validator(schema["if"]).is_valid(value)
            return self.branches(schema["then" if matches else "else"], value)
        for union in ("anyOf", "oneOf"):
            if union in schema:
                return [leaf for member in schema[union] for leaf in self.branches(member, value)]
        return [schema]

    def allows(self, schema: Json | None, kind: str) -> bool:
        """Whether a value of the JSON type ``kind`` may stand where ``schema`` is."""
        if schema is None:
            return False
        for leaf in self.branches(schema):
            declared = leaf.get("type")
            if declared is None and "const" in leaf:
                declared = json_type(leaf["const"])
            if declared is None and "enum" in leaf:
                declared = [json_type(choice) for choice in leaf["enum"]]
            if declared is None:
                return True
            names = {declared} if isinstance(declared, str) else set(declared)
            if kind in names or (kind == "integer" and "number" in names):
                return True
        return False

    def objects(self, schema: Json | None, value: Json) -> list[Json]:
        """The object members of ``schema`` that ``value`` may be."""
        if schema is None:
            return []
        return [leaf for leaf in self.branches(schema, value) if leaf.get("type") == "object"]

    def property(self, schema: Json | None, value: Json, key: str) -> Json | None:
        """The schema of ``value[key]``; None where the contract does not declare the key."""
        found = []
        for leaf in self.objects(schema, value):
            declared = leaf.get("properties", {})
            if key in declared:
                found.append(declared[key])
            elif isinstance(leaf.get("additionalProperties"), dict):
                found.append(leaf["additionalProperties"])
        return {"anyOf": found} if found else None

    def items(self, schema: Json | None) -> Json | None:
        """The schema of an array's items; None where the contract says nothing."""
        if schema is None:
            return None
        found = [leaf["items"] for leaf in self.branches(schema) if "items" in leaf]
        return {"anyOf": found} if found else None


@dataclass
class Seen:
    """What Polar sent at one place of its bodies."""

    types: set[str] = field(default_factory=set)
    keys_always: set[str] | None = None
    keys_ever: set[str] = field(default_factory=set)


def places(value: Any, place: str) -> Iterator[tuple[str, str, Any]]:
    """Every value of a body, depth first, with its place and, for an object of a union,
    its place with ``<variant>`` (where its keys are kept), else the same place again."""
    kind = variant(value)
    inner = f"{place}<{kind}>" if kind else place
    yield place, inner, value
    if isinstance(value, dict):
        for key, item in value.items():
            if key in FREE_FORM:
                yield f"{inner}.{key}", f"{inner}.{key}", item
            else:
                yield from places(item, f"{inner}.{key}")
    elif isinstance(value, list):
        for item in value:
            yield from places(item, f"{place}[]")


class Catalogue:
    """What Polar's recorded bodies hold, by place."""

    def __init__(self, bodies: Iterable[tuple[str, Any]]) -> None:
        self.seen: dict[str, Seen] = {}
        for root, body in bodies:
            for place, inner, value in places(body, f"{root}$"):
                self.seen.setdefault(place, Seen()).types.add(json_type(value))
                if isinstance(value, dict):
                    seen = self.seen.setdefault(inner, Seen())
                    keys = set(value)
                    seen.keys_always = keys if seen.keys_always is None else seen.keys_always & keys
                    seen.keys_ever |= keys

    @staticmethod
    def objects(body: Any, root: str) -> set[str]:
        """The places (with their variants) where ``body`` holds an object."""
        return {inner for _, inner, value in places(body, f"{root}$") if isinstance(value, dict)}


@dataclass
class ShapeCheck:
    """A walk of fake bodies against the catalogue: the problems, and the places it met."""

    catalogue: Catalogue
    unrecorded: Mapping[tuple[str, str | None], str]
    """``(key, variant)`` of objects no recording holds, and why the fake may send them."""
    undeclared: Mapping[str, Mapping[str, Json]] = field(default_factory=dict)
    """Keys Polar sends that its contract leaves out, with the schema their values follow,
    by the key their object is under."""
    met: set[str] = field(default_factory=set)

    def problems(self, fake: Any, root: str, contract: Contract, schema: Json) -> list[str]:
        """How ``fake`` (a body of the contract's schema ``root``) differs from Polar's."""
        return self._value(fake, Where(f"{root}$", "$", None, listed=False), contract, schema)

    def _type(self, fake: Any, at: Where, contract: Contract, schema: Json | None) -> list[str]:
        kind = json_type(fake)
        sent = self.catalogue.seen.get(at.place, Seen()).types
        if kind in sent or (kind == "integer" and "number" in sent):
            return []
        if contract.allows(schema, kind) and (kind == "null" or at.listed or sent <= {"null"}):
            return []
        polar = "/".join(sorted(sent)) or "nothing"
        unsaid = " (a key its contract leaves out)" if schema is None else ""
        return [f"{at.path}: {kind}, where Polar sent {polar}{unsaid}"]

    def _value(self, fake: Any, at: Where, contract: Contract, schema: Json | None) -> list[str]:
        problems = self._type(fake, at, contract, schema)
        if problems:
            return problems
        if isinstance(fake, dict):
            return self._object(fake, at, contract, schema)
        if isinstance(fake, list):
            items = contract.items(schema)
            for index, item in enumerate(fake):
                problems += self._value(item, at.item(index), contract, items)
        return problems

    def _object(self, fake: Json, at: Where, contract: Contract, schema: Json | None) -> list[str]:
        kind = variant(fake)
        inner = f"{at.place}<{kind}>" if kind else at.place
        seen = self.catalogue.seen.get(inner, Seen())
        listed = True
        if seen.keys_always is not None and not at.listed:
            listed = False
            self.met.add(inner)
            missing = seen.keys_always - fake.keys()
            extra = fake.keys() - seen.keys_ever
        elif at.listed or (at.key, kind) in self.unrecorded:
            missing, extra = self._against_contract(fake, at.key, contract, schema)
        else:
            what = f"a {kind} object" if kind else "an object"
            return [f"{at.path}: {what}, and no recording has one here ({inner})"]
        problems = [f"{at.path}.{name} is missing" for name in sorted(missing)]
        problems += [f"{at.path}.{name} is not in Polar's body" for name in sorted(extra)]
        for name in sorted(fake.keys() - extra):
            below = at.key_of(inner, name, listed=listed)
            below_schema = contract.property(schema, fake, name)
            if below_schema is None:
                below_schema = self.undeclared.get(at.key or "", {}).get(name)
            if name in FREE_FORM:
                problems += self._type(fake[name], below, contract, below_schema)
                if isinstance(fake[name], dict) and not listed:
                    self.met.add(below.place)
            else:
                problems += self._value(fake[name], below, contract, below_schema)
        return problems

    def _against_contract(
        self, fake: Json, key: str | None, contract: Contract, schema: Json | None
    ) -> tuple[set[str], set[str]]:
        """The keys ``fake`` lacks and has too many by its contract branch (and the keys
        Polar sends beyond its contract)."""
        objects = contract.objects(schema, fake)
        if not objects:
            return set(), set(fake)
        declared = {name for leaf in objects for name in leaf.get("properties", {})}
        declared |= set(self.undeclared.get(key or "", {}))
        required = set.intersection(*(set(leaf.get("required", ())) for leaf in objects))
        if any(isinstance(leaf.get("additionalProperties"), dict) for leaf in objects):
            return required - fake.keys(), set()
        return required - fake.keys(), fake.keys() - declared


@dataclass(frozen=True)
class Where:
    """A value's place in the catalogue, its path in the body, the key it is under, and
    whether an object above it is listed as unrecorded."""

    place: str
    path: str
    key: str | None
    listed: bool

    def item(self, index: int) -> Where:
        return Where(f"{self.place}[]", f"{self.path}[{index}]", self.key, self.listed)

    def key_of(self, inner: str, name: str, *, listed: bool) -> Where:
        return Where(f"{inner}.{name}", f"{self.path}.{name}", name, listed)
