"""How the fake reads a JSON body and writes its answers, as Polar's FastAPI app does."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from .store import Json
from .validation import MISSING, Unreadable, decode_json, missing_body

__all__ = [
    "PolarError",
    "json_body",
    "json_response",
    "model_body",
    "respond",
    "validation_error",
]


class PolarError(Exception):
    """One of Polar's errors: ``{"error": name, "detail": message}`` with ``status``."""

    def __init__(self, status: int, error: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.error, self.detail = status, error, detail

    @property
    def body(self) -> Json:
        return {"error": self.error, "detail": self.detail}


def json_response(status: int, body: Any, **headers: str) -> web.Response:
    """A JSON answer, compact as Polar's are; ``headers`` come before the content type."""
    response = web.Response(status=status, headers=headers, body=_compact(body))
    response.content_type = "application/json"
    return response


def respond(run: Callable[[], Json]) -> web.Response:
    """200 with what ``run`` returns, or the ``PolarError`` it raises."""
    try:
        return json_response(200, run())
    except PolarError as error:
        return json_response(error.status, error.body)


def _compact(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


async def json_body(request: web.Request) -> tuple[Any, web.Response | None]:
    """The body as FastAPI reads it for a JSON model, or the answer it gives instead."""
    raw = await request.read()
    content_type = request.headers.get("Content-Type")
    if content_type is not None and not _is_json(content_type):
        return (raw.decode("utf-8", "replace") if raw else MISSING), None
    try:
        body, problems = decode_json(raw)
    except Unreadable:
        return None, json_response(400, {"detail": "There was an error parsing the body"})
    if problems:
        return None, validation_error(problems)
    return body, None


async def model_body(request: web.Request) -> tuple[Any, web.Response | None]:
    """A body a route validates as a model: no body at all is FastAPI's 422 too."""
    body, invalid = await json_body(request)
    if invalid is None and body is MISSING:
        invalid = validation_error(missing_body())
    return body, invalid


def validation_error(
    problems: list[dict[str, Any]], error: str = "RequestValidationError"
) -> web.Response:
    """Polar's 422: ``RequestValidationError`` (FastAPI's) or ``PolarRequestValidationError``."""
    return json_response(422, {"error": error, "detail": problems})


def _is_json(content_type: str) -> bool:
    main, _, sub = content_type.partition(";")[0].strip().lower().partition("/")
    return main == "application" and (sub == "json" or sub.endswith("+json"))
