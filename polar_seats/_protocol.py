"""Polar's protocol for this endpoint, without I/O.

Building a request and turning ``(status, headers, body)`` into a :class:`Page` or an
exception are pure functions here, so they can be tested exhaustively without a network;
the aiohttp part in ``_client.py`` stays thin.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import msgspec

from ._errors import (
    APIStatusError,
    AuthenticationError,
    NotFoundError,
    RateLimitError,
    RequestValidationError,
    ResponseDecodeError,
    ServerError,
    excerpt,
    json_object,
)
from ._models import SUBSCRIPTION_PAGE, Page

SERVERS: dict[str, str] = {
    "production": "https://api.polar.sh",
    "sandbox": "https://sandbox-api.polar.sh",
}
PATH = "/v1/customer-portal/seats/subscriptions"
POLAR_VERSION = "2026-04"
MAX_LIMIT = 100
"""The server clamps a larger ``limit`` to this without a word."""

_any_decoder = msgspec.json.Decoder()
_PATH_RE = re.compile(r" - at `\$([^`]*)`")
# Tokens are printable ASCII: anything else could split or smuggle a header.
_NOT_TOKEN = re.compile(r"[^\x21-\x7e]")


def check_token(token: object) -> str:
    """Return ``token`` if it can be sent in a header, else raise ``ValueError``."""
    if not isinstance(token, str):
        raise TypeError(f"The token must be a str, not {type(token).__name__}.")
    if not token:
        raise ValueError(
            "The token is empty. Pass a Polar customer session token (it starts with "
            "'polar_cst_'), for example from the POLAR_CUSTOMER_SESSION_TOKEN variable."
        )
    if _NOT_TOKEN.search(token):
        raise ValueError(
            "The token contains whitespace, a control character or a non-ASCII character; "
            "strip it (a trailing newline from a file is the usual cause)."
        )
    return token


def check_limit(limit: object) -> int:
    """Return ``limit`` if the server accepts it as is, else raise ``ValueError``."""
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise TypeError(f"limit must be an int, not {type(limit).__name__}.")
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(
            f"limit must be between 1 and {MAX_LIMIT} (got {limit}); "
            f"the server would silently send {MAX_LIMIT} per page at most."
        )
    return limit


def check_page(page: object, name: str = "page") -> int:
    """Return ``page`` if it is a page number the server accepts, else raise ``ValueError``."""
    if isinstance(page, bool) or not isinstance(page, int):
        raise TypeError(f"{name} must be an int, not {type(page).__name__}.")
    if page < 1:
        raise ValueError(f"{name} must be 1 or more (got {page}); pages are numbered from 1.")
    return page


def base_url_for(server: str, base_url: str | None, *, allow_insecure_http: bool = False) -> str:
    """The origin requests go to: ``base_url`` if given, else the named server's.

    The token is sent only over https, or over plain http to a loopback address (a local
    fake server), unless ``allow_insecure_http`` says otherwise.
    """
    if base_url is not None:
        url = base_url.rstrip("/")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"base_url must be an http(s) URL with a host, such as https://api.polar.sh "
                f"(got {base_url!r})."
            )
        if parts.query or parts.fragment or parts.username or parts.password:
            raise ValueError(
                f"base_url must not carry credentials, a query or a fragment (got {base_url!r})."
            )
        host = parts.hostname
        if parts.scheme == "http" and not allow_insecure_http and not _is_loopback(host):
            raise ValueError(
                f"Refusing to send the token over plain http to {host}: use https, or pass "
                "allow_insecure_http=True if this network is yours (a proxy you run, say)."
            )
        return url
    try:
        return SERVERS[server]
    except KeyError:
        choices = ", ".join(repr(name) for name in SERVERS)
        raise ValueError(f"server must be one of {choices} (got {server!r}).") from None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def build_headers(token: str | None, *, polar_version: str, user_agent: str) -> dict[str, str]:
    """The headers every request sends (a client without a token sends none: it only
    makes token views)."""
    headers = {
        "Accept": "application/json",
        "Polar-Version": polar_version,
        "User-Agent": user_agent,
    }
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def build_query(page: int, limit: int) -> dict[str, str]:
    """The query string of one page."""
    return {"page": str(page), "limit": str(limit)}


def max_page_for(total_count: int, limit: int) -> int:
    """``max_page`` as Polar computes it."""
    return -(-total_count // min(limit, MAX_LIMIT))


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: integer seconds or an HTTP date."""
    if value is None:
        return None
    value = value.strip()
    # isdigit() alone also admits digits like "➅", which float() refuses (found by atheris).
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())


def _lenient_json(body: bytes) -> Any:
    """The body as JSON, or ``None`` when it is empty or not JSON (an HTML proxy page)."""
    if not body:
        return None
    try:
        return _any_decoder.decode(body)
    except (msgspec.DecodeError, RecursionError, UnicodeDecodeError):
        return None


def _describe(body: Any, raw: bytes) -> str:
    """What the server said, in a few words for a message."""
    said = json_object(body)
    if said is not None:
        for key in ("error_description", "detail", "error"):
            value = said.get(key)
            if isinstance(value, str) and value:
                return value
    if not raw:
        return "empty body"
    return repr(excerpt(raw))


def error_for_status(
    status: int, headers: Mapping[str, str], body: bytes, *, page: int | None = None
) -> APIStatusError:
    """The exception for a response whose status is not 200."""
    data = _lenient_json(body)
    said = _describe(data, body)
    kwargs: dict[str, Any] = {
        "status": status,
        "headers": headers,
        "body": data,
        "raw_body": body,
        "page": page,
    }
    if status == 401:
        return AuthenticationError(
            f"Polar refused the token (401: {said}). Check that it is a current customer "
            "session token ('polar_cst_…') or member session token ('polar_mst_…').",
            **kwargs,
        )
    if status == 404:
        return NotFoundError(
            f"Polar answered 404 ({said}): the path is wrong or the Polar-Version sent "
            f"({headers.get('Polar-Version', 'unknown')!s} in the answer) is not supported.",
            **kwargs,
        )
    if status == 422:
        problems = RequestValidationError("", **kwargs).detail
        listed = "; ".join(
            f"{'.'.join(str(part) for part in entry.get('loc', []))}: {entry.get('msg', '')}"
            for entry in problems
        )
        return RequestValidationError(
            f"Polar refused the request (422): {listed or said}", **kwargs
        )
    if status == 429:
        retry_after = parse_retry_after(headers.get("Retry-After"))
        wait = f"retry after {retry_after:g} s" if retry_after is not None else "no Retry-After"
        return RateLimitError(
            f"Polar rate-limited the request (429, {wait}).", retry_after=retry_after, **kwargs
        )
    if 500 <= status <= 599:
        return ServerError(f"Polar failed with {status}: {said}", **kwargs)
    if 300 <= status <= 399:
        target = headers.get("Location", "no Location header")
        return APIStatusError(
            f"Polar answered {status}, a redirect to {target}; polar-seats does not follow "
            "redirects with the token. Point base_url at the final address.",
            **kwargs,
        )
    return APIStatusError(f"Polar answered {status}: {said}", **kwargs)


def _error_path(message: str) -> str | None:
    # A field inside a price or benefit fails inside decode_hook, whose path is relative to
    # that price or benefit: msgspec then appends the outer path after the inner one.
    parts = _PATH_RE.findall(message)
    if not parts:
        return None
    return "$" + "".join(reversed(parts))


def decode_page(body: bytes, *, page: int) -> Page:
    """Decode a 200 body into a :class:`Page`, or raise :class:`ResponseDecodeError`.

    Most pages take the fast path: prices and benefits as msgspec tagged unions, with no
    Python call per object. A page the fast path refuses (a legacy price, a kind this
    version does not know, a field that does not fit) is decoded again by the lax models,
    which decide.
    """
    try:
        return SUBSCRIPTION_PAGE.decode(body)
    except msgspec.ValidationError as exc:
        message = str(exc)
        path = _error_path(message)
        reason = _PATH_RE.sub("", message)
        raise ResponseDecodeError(
            f"Page {page} does not fit the model at {path or '$'}: {reason}",
            page=page,
            path=path,
            raw_body=body,
        ) from None
    except msgspec.DecodeError as exc:
        raise ResponseDecodeError(
            f"Page {page} is not valid JSON ({exc}); the body began {excerpt(body)!r}",
            page=page,
            path=None,
            raw_body=body,
        ) from None
    except RecursionError:
        raise ResponseDecodeError(
            f"Page {page} nests JSON deeper than Python can decode; no real page does.",
            page=page,
            path=None,
            raw_body=body,
        ) from None
    except UnicodeDecodeError as exc:
        raise ResponseDecodeError(
            f"Page {page} holds a string that is not valid UTF-8 ({exc.reason} at byte "
            f"{exc.start} of the string).",
            page=page,
            path=None,
            raw_body=body,
        ) from None


def check_pagination(result: Page, *, page: int, limit: int, body: bytes) -> Page:
    """``result`` if its pagination is what Polar computes, else :class:`ResponseDecodeError`.

    A server that reports a negative count, or a ``max_page`` that its own ``total_count``
    does not give, is not believed: a walk would otherwise follow it for as long as it says.
    """
    total, max_page = result.pagination.total_count, result.pagination.max_page
    if total < 0 or max_page < 0 or max_page != max_page_for(total, limit):
        raise ResponseDecodeError(
            f"Page {page} reports max_page={max_page} for total_count={total} at limit={limit}; "
            f"Polar computes max_page=ceil(total_count / {min(limit, MAX_LIMIT)}).",
            page=page,
            path="$.pagination",
            raw_body=body,
        )
    return result


def handle_response(
    status: int, headers: Mapping[str, str], body: bytes, *, page: int, limit: int | None = None
) -> Page:
    """Turn one response into a :class:`Page`, or raise the matching :class:`PolarError`.

    With ``limit``, the page's pagination is checked against it (:func:`check_pagination`).
    """
    if status == 200:
        result = decode_page(body, page=page)
        if limit is None:
            return result
        return check_pagination(result, page=page, limit=limit, body=body)
    raise error_for_status(status, headers, body, page=page)
