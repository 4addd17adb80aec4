"""What the ``polar-seats`` command prints on stdout: rows of a model in one of its formats
(JSON lines, one JSON array, csv, an 80-column table), cut to the ``--fields`` asked for,
which are checked against the model first."""

from __future__ import annotations

import csv
import types
import typing
from typing import Any, TextIO

import msgspec

from .._errors import json_object
from .base import UsageError

FORMATS = ("jsonl", "json", "csv", "table")
TABLE_WIDTH = 80
TABLE_SAMPLE = 100
"""Rows a table reads before it sizes its columns to them."""

encode = msgspec.json.Encoder().encode


def check_field(path: str, model: type[msgspec.Struct], what: str) -> None:
    """Refuse a ``--fields`` path that names no field of ``model`` (``what``, as "a
    subscription"), level by level, so a typo is not printed as a column of nulls."""
    hint: Any = model
    where = what
    for depth, part in enumerate(path.split(".")):
        if _is_dict(hint):
            return  # raw fields: a price or benefit this version does not know, metadata
        if typing.get_origin(hint) is list:
            raise UsageError(f"--fields {path}: {where} is a list; print it whole with {where}.")
        fields = _struct_fields(hint)
        if not fields:
            raise UsageError(
                f"--fields {path}: {where} has no fields below it; print it with {where}."
            )
        if part not in fields:
            nested = " (nested ones dotted, as in product.name)" if depth == 0 else ""
            raise UsageError(
                f"--fields {path}: {where} has no field {part!r}; its fields are "
                f"{', '.join(fields)}{nested}."
            )
        hint = fields[part]
        where = ".".join(path.split(".")[: depth + 1])


def _members(hint: Any) -> tuple[Any, ...]:
    """The types ``hint`` may be: its members if it is a union, else itself."""
    union = isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union
    return typing.get_args(hint) if union else (hint,)


def _is_dict(hint: Any) -> bool:
    """Whether ``hint`` is a dict, or an optional one."""
    given = [member for member in _members(hint) if member is not type(None)]
    return bool(given) and all(typing.get_origin(member) is dict for member in given)


def _struct_fields(hint: Any) -> dict[str, Any]:
    """The fields of the Structs ``hint`` may be (one, an optional one, or a union of
    them), by the names they are printed under, with their types."""
    fields: dict[str, Any] = {}
    for member in _members(hint):
        if isinstance(member, type) and issubclass(member, msgspec.Struct):
            tag = member.__struct_config__.tag_field
            if tag is not None:
                fields.setdefault(tag, str)
            for field in msgspec.structs.fields(member):
                fields.setdefault(field.encode_name, field.type)
    return fields


def pick(data: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """The dotted ``fields`` of ``data``, by their dotted names; ``None`` where absent."""
    picked: dict[str, Any] = {}
    for field in fields:
        value: Any = data
        for part in field.split("."):
            value = (json_object(value) or {}).get(part)
        picked[field] = value
    return picked


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        nested = json_object(value)
        if nested is not None:
            flat.update(_flatten(nested, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return encode(value).decode()
    return str(value)


class Writer:
    """Writes rows in one of the output formats, as they come."""

    def __init__(self, kind: str, out: TextIO) -> None:
        self.kind = kind
        self.out = out
        self.rows = 0
        self._csv: csv.DictWriter[str] | None = None
        self._widths: list[int] = []
        self._sample: list[list[str]] = []

    def row(self, data: dict[str, Any]) -> None:
        if self.kind == "jsonl":
            self.out.write(encode(data).decode() + "\n")
        elif self.kind == "json":
            self.out.write(("[" if self.rows == 0 else ",") + encode(data).decode())
        elif self.kind == "csv":
            flat = _flatten(data)
            if self._csv is None:
                self._csv = csv.DictWriter(self.out, fieldnames=list(flat), extrasaction="ignore")
                self._csv.writeheader()
            self._csv.writerow({key: _cell(value) for key, value in flat.items()})
        else:
            flat = _flatten(data)
            if not self._sample:
                self._sample.append(list(flat))  # the header
            cells = [_cell(value) for value in flat.values()]
            if self._widths:
                self._line(cells)
            else:
                self._sample.append(cells)
                if len(self._sample) > TABLE_SAMPLE:
                    self._flush_sample()
        self.rows += 1

    def _flush_sample(self) -> None:
        # Columns as wide as their name and the sample's values, the widest narrowed until
        # the table fits.
        header, *rows = self._sample
        widths = [max([4, *(len(row[i]) for row in [header, *rows])]) for i in range(len(header))]
        while sum(widths) + 2 * (len(widths) - 1) > TABLE_WIDTH and max(widths) > 4:
            widths[widths.index(max(widths))] -= 1
        self._widths = widths
        self._line(header)
        self._line(["-" * width for width in widths])
        for row in rows:
            self._line(row)

    def _line(self, cells: list[str]) -> None:
        fitted = [
            cell if len(cell) <= width else cell[: width - 1] + "…"
            for cell, width in zip(cells, self._widths, strict=False)
        ]
        line = "  ".join(
            cell.ljust(width) for cell, width in zip(fitted, self._widths, strict=False)
        )
        self.out.write(line.rstrip() + "\n")

    def close(self) -> None:
        if self.kind == "table" and not self._widths and self._sample:
            self._flush_sample()
        if self.kind == "json":
            self.out.write("[]\n" if self.rows == 0 else "]\n")
        self.out.flush()
