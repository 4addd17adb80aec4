"""Polar's pagination, for every list route of the fake: the ``page`` and ``limit`` query
as FastAPI reads it, and one page of rows in Polar's ``{"items", "pagination"}`` body."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import TypeVar

from multidict import MultiMapping

from .store import Json

__all__ = ["MAX_LIMIT", "OffsetOverflow", "page_of", "page_query"]

MAX_LIMIT = 100
"""Polar clamps a larger ``limit`` to this without a word."""
_BIGINT = 2**63 - 1
_INTEGER = re.compile(r"[+-]?\d+")

Row = TypeVar("Row")


class OffsetOverflow(Exception):
    """Polar's database refuses an OFFSET past a bigint, and Polar answers a plain 500."""


def page_query(query: MultiMapping[str]) -> tuple[tuple[int, int], list[Json]]:
    """``(page, limit)`` and FastAPI's 422 entries; a repeated parameter: the last wins."""
    values: list[int] = []
    problems: list[Json] = []
    for name, default in (("page", 1), ("limit", 10)):
        given = query.getall(name, [])
        if not given:
            values.append(default)
            continue
        raw = given[-1]
        if not _INTEGER.fullmatch(raw.strip()):
            problems.append(
                {
                    "type": "int_parsing",
                    "loc": ["query", name],
                    "msg": "Input should be a valid integer, unable to parse string as an integer",
                    "input": raw,
                }
            )
        elif int(raw) <= 0:
            problems.append(
                {
                    "type": "greater_than",
                    "loc": ["query", name],
                    "msg": "Input should be greater than 0",
                    "input": raw,
                    "ctx": {"gt": 0},
                }
            )
        else:
            values.append(int(raw))
    if problems:
        return (1, 10), problems
    return (values[0], values[1]), problems


def page_of(rows: Sequence[Row], page: int, limit: int, serve: Callable[[Row], Json]) -> Json:
    """Page ``page`` of ``rows``, each served by ``serve``; ``limit`` is clamped to 100."""
    limit = min(limit, MAX_LIMIT)
    start = (page - 1) * limit
    if start > _BIGINT:
        raise OffsetOverflow(start)
    total = len(rows)
    return {
        "items": [serve(row) for row in rows[start : start + limit]],
        "pagination": {"total_count": total, "max_page": math.ceil(total / limit)},
    }
