"""Request bodies read as Polar's FastAPI and pydantic read them, with their 422 entries.

Only what the fake's write endpoints take: a JSON body, UUIDs (pydantic's ``UUID4``, with
the messages of the Rust ``uuid`` crate as Polar's server at c6c3645e gave them), strings,
``HttpUrl`` and a union of models tried left to right, each failing branch adding its own
entries under its name (``["body", "<Model>", "<field>"]``).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Sequence
from typing import Any, cast
from urllib.parse import urlsplit

__all__ = [
    "MISSING",
    "Field",
    "Invalid",
    "Model",
    "Unreadable",
    "boolean",
    "decode_json",
    "entry",
    "http_url",
    "int32",
    "literal",
    "mapping",
    "missing_body",
    "none",
    "one_of",
    "optional",
    "string",
    "uuid4",
    "uuid_any",
    "validate_union",
]

Json = dict[str, Any]

MISSING: Any = object()
"""No body at all (``Content-Length: 0``), as FastAPI sees it: ``None`` in the entry."""

_URL_MAX = 2083
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
_INTEGER = re.compile(r"[+-]?\d+")
_HYPHENATED = (8, 13, 18, 23)
_HEX = frozenset("0123456789abcdefABCDEF")
_BOOLEANS = {
    **dict.fromkeys(("true", "t", "yes", "y", "on", "1"), True),
    **dict.fromkeys(("false", "f", "no", "n", "off", "0"), False),
}


class Invalid(Exception):
    """A value fails a field's type: the entry's type, message and context."""

    def __init__(self, kind: str, msg: str, ctx: Json | None = None) -> None:
        super().__init__(msg)
        self.kind, self.msg, self.ctx = kind, msg, ctx


Check = Callable[[Any], Any]


class Field:
    """One field of a model: its name, the names it is read by, its check, if required."""

    def __init__(
        self, name: str, check: Check, *, required: bool = False, aliases: Sequence[str] = ()
    ) -> None:
        self.name, self.check, self.required = name, check, required
        self.aliases = (name, *aliases)


class Model:
    """A pydantic model: its name and fields in declaration order (the base's first);
    ``forbid_extra``: any other key is an error (``extra="forbid"``)."""

    def __init__(self, name: str, fields: Sequence[Field], *, forbid_extra: bool = False) -> None:
        self.name, self.fields, self.forbid_extra = name, fields, forbid_extra

    def validate(self, body: Any, where: Sequence[Any] | None = None) -> tuple[Json, list[Json]]:
        """The values read, and the 422 entries when some field fails; entries are under
        ``where`` (``["body", "<Model>"]``, a union's branch, unless told otherwise)."""
        where = list(where) if where is not None else ["body", self.name]
        if not isinstance(body, dict):
            msg = "Input should be a valid dictionary or object to extract fields from"
            return {}, [entry("model_attributes_type", where, msg, body)]
        values: Json = {}
        problems: list[Json] = []
        for field in self.fields:
            given = next((alias for alias in field.aliases if alias in body), None)
            if given is None:
                if field.required:
                    problems.append(entry("missing", [*where, field.name], "Field required", body))
                else:
                    values[field.name] = None
                continue
            try:
                values[field.name] = field.check(body[given])
            except Invalid as bad:
                problems.append(entry(bad.kind, [*where, given], bad.msg, body[given], bad.ctx))
        if self.forbid_extra:
            known = {alias for field in self.fields for alias in field.aliases}
            given_keys = cast(Json, body)
            problems += [
                entry("extra_forbidden", [*where, key], "Extra inputs are not permitted", value)
                for key, value in given_keys.items()
                if key not in known
            ]
        return values, problems


def validate_union(models: Sequence[Model], body: Any) -> tuple[Model | None, Json, list[Json]]:
    """The first model the body fits (pydantic's smart union picked the first as recorded),
    or every branch's entries."""
    problems: list[Json] = []
    for model in models:
        values, wrong = model.validate(body)
        if not wrong:
            return model, values, []
        problems += wrong
    return None, {}, problems


def decode_json(raw: bytes) -> tuple[Any, list[Json]]:
    """The body as FastAPI decodes it: ``MISSING`` when empty, else JSON or a decode entry."""
    if not raw:
        return MISSING, []
    try:
        return json.loads(raw), []
    except json.JSONDecodeError as error:
        problem = entry("json_invalid", ["body", error.pos], "JSON decode error", {})
        return None, [{**problem, "ctx": {"error": error.msg}}]
    except UnicodeDecodeError as error:
        raise Unreadable from error


class Unreadable(Exception):
    """A body that is not text: FastAPI's 400 "There was an error parsing the body"."""


def missing_body() -> list[Json]:
    return [entry("missing", ["body"], "Field required", None)]


def uuid4(value: Any) -> str:
    """pydantic's ``UUID4``: the canonical form of a version-4 UUID."""
    if not isinstance(value, str):
        raise Invalid("uuid_type", "UUID input should be a string, bytes or UUID object")
    parsed = _parse_uuid(value)
    if parsed.version != 4:
        raise Invalid("uuid_version", "UUID version 4 expected", {"expected_version": 4})
    return str(parsed)


def uuid_any(value: Any) -> str:
    """pydantic's ``UUID``: any version, the canonical form."""
    if not isinstance(value, str):
        raise Invalid("uuid_type", "UUID input should be a string, bytes or UUID object")
    return str(_parse_uuid(value))


def boolean(value: Any) -> bool:
    """pydantic's lax ``bool``: true and false, 0 and 1, and their usual spellings."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in _BOOLEANS:
        return _BOOLEANS[value.lower()]
    raise Invalid("bool_parsing", "Input should be a valid boolean, unable to interpret input")


def int32(value: Any) -> int:
    """pydantic's lax ``int`` within Polar's ``Int32`` bounds: booleans, whole floats and
    numeric strings pass as integers."""
    number: int
    if isinstance(value, bool | int):
        number = int(value)
    elif isinstance(value, float):
        if not value.is_integer():
            msg = "Input should be a valid integer, got a number with a fractional part"
            raise Invalid("int_from_float", msg)
        number = int(value)
    elif isinstance(value, str):
        if not _INTEGER.fullmatch(value.strip()):
            msg = "Input should be a valid integer, unable to parse string as an integer"
            raise Invalid("int_parsing", msg)
        number = int(value)
    else:
        raise Invalid("int_type", "Input should be a valid integer")
    if number < _INT32_MIN:
        msg = f"Input should be greater than or equal to {_INT32_MIN}"
        raise Invalid("greater_than_equal", msg, {"ge": _INT32_MIN})
    if number > _INT32_MAX:
        msg = f"Input should be less than or equal to {_INT32_MAX}"
        raise Invalid("less_than_equal", msg, {"le": _INT32_MAX})
    return number


def one_of(*choices: str) -> Check:
    """A string enum: one of ``choices``, else pydantic's ``enum`` entry."""
    quoted = [f"'{choice}'" for choice in choices]
    expected = f"{', '.join(quoted[:-1])} or {quoted[-1]}" if len(quoted) > 1 else quoted[0]

    def check(value: Any) -> str:
        if value not in choices:
            raise Invalid("enum", f"Input should be {expected}", {"expected": expected})
        return str(value)

    return check


def literal(expected: Any) -> Check:
    """pydantic's ``Literal[expected]`` (``const`` in the contract)."""

    def check(value: Any) -> Any:
        if value != expected:
            shown = repr(expected)
            raise Invalid("literal_error", f"Input should be {shown}", {"expected": shown})
        return value

    return check


def none(value: Any) -> None:
    """pydantic's ``None``: only null."""
    if value is not None:
        raise Invalid("none_required", "Input should be None")


def mapping(value: Any) -> Json:
    if not isinstance(value, dict):
        raise Invalid("dict_type", "Input should be a valid dictionary")
    return value  # pyright: ignore[reportUnknownVariableType]


def optional(check: Check) -> Check:
    return lambda value: None if value is None else check(value)


def string(value: Any) -> str:
    if not isinstance(value, str):
        raise Invalid("string_type", "Input should be a valid string")
    return value


def http_url(value: Any) -> str:
    """pydantic's ``HttpUrl``, as ``str()`` gives it back (a bare host gets its ``/``)."""
    if not isinstance(value, str):
        raise Invalid("url_type", "URL input should be a string or URL")
    if len(value) > _URL_MAX:
        raise Invalid(
            "url_too_long", "URL should have at most 2083 characters", {"max_length": 2083}
        )
    if not value:
        raise _url_parsing("input is empty")
    parts = urlsplit(value.strip())
    if not parts.scheme:
        raise _url_parsing("relative URL without a base")
    if parts.scheme.lower() not in ("http", "https"):
        raise Invalid(
            "url_scheme",
            "URL scheme should be 'http' or 'https'",
            {"expected_schemes": "'http' or 'https'"},
        )
    if not parts.hostname:
        raise _url_parsing("empty host")
    return parts._replace(scheme=parts.scheme.lower(), path=parts.path or "/").geturl()


def _url_parsing(error: str) -> Invalid:
    return Invalid("url_parsing", f"Input should be a valid URL, {error}", {"error": error})


def _parse_uuid(text: str) -> uuid.UUID:
    """The ``uuid`` crate's parse: simple, hyphenated, braced or ``urn:uuid:`` forms."""
    inner, offset = text, 0
    if text.startswith("{") and text.endswith("}") and len(text) > 1:
        inner, offset = text[1:-1], 1
    elif text.startswith("urn:uuid:"):
        inner, offset = text[9:], 9
    hexdigits = inner.replace("-", "")
    hyphens = [i for i, c in enumerate(inner) if c == "-"]
    well_formed = (len(inner) == 32 and not hyphens) or (
        len(inner) == 36 and tuple(hyphens) == _HYPHENATED
    )
    if well_formed and all(c in _HEX for c in hexdigits):
        return uuid.UUID(hexdigits)
    error = _uuid_error(text, inner, offset, hyphens)
    raise Invalid("uuid_parsing", f"Input should be a valid UUID, {error}", {"error": error})


def _uuid_error(text: str, inner: str, offset: int, hyphens: list[int]) -> str:
    for index, char in enumerate(inner):
        if char != "-" and char not in _HEX:
            return (
                "invalid character: expected an optional prefix of `urn:uuid:` followed by "
                f"[0-9a-fA-F-], found `{char}` at {index + offset + 1}"
            )
    if not hyphens and offset == 0:
        return f"invalid length: expected length 32 for simple format, found {len(text)}"
    if len(hyphens) != 4:
        return f"invalid group count: expected 5, found {len(hyphens) + 1}"
    starts = (0, 9, 14, 19, 24)
    for group in range(4):
        if hyphens[group] != starts[group + 1] - 1:
            found, expected = hyphens[group] - starts[group], (8, 4, 4, 4)[group]
            return f"invalid group length in group {group}: expected {expected}, found {found}"
    return f"invalid group length in group 4: expected 12, found {len(inner) - 24}"


def entry(kind: str, loc: list[Any], msg: str, value: Any, ctx: Json | None = None) -> Json:
    """One entry of a 422's ``detail``, as pydantic writes it (``ctx`` only when given)."""
    problem: Json = {"type": kind, "loc": loc, "msg": msg, "input": value}
    if ctx is not None:
        problem["ctx"] = ctx
    return problem
