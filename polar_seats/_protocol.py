"""Polar's protocol, without I/O.

A request is a value ([`Request`][polar_seats.Request]); turning
``(status, headers, body)`` into a model or an exception is a pure function
(``parse_response()``), so both are tested exhaustively without a network. The aiohttp
part (``_transport.py``) only sends a request and returns ``(status, headers, body)``.
"""

from __future__ import annotations

import dataclasses
import enum
import ipaddress
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit
from uuid import UUID

import msgspec

from . import versions
from ._errors import (
    CODED,
    AmbiguousExternalCustomerIdError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    CustomerNotFoundError,
    InvalidArgumentError,
    NotFoundError,
    PaymentRequiredError,
    PermissionDeniedError,
    RateLimitError,
    RequestValidationError,
    ResponseDecodeError,
    ServerError,
    VersionNotFoundError,
    excerpt,
    json_object,
)
from ._secret import Secret

SERVERS: dict[str, str] = {
    "production": "https://api.polar.sh",
    "sandbox": "https://sandbox-api.polar.sh",
}
POLAR_VERSION = versions.DEFAULT
MAX_LIMIT = 100
"""The server clamps a larger ``limit`` to this without a word."""
_BIGINT = 2**63 - 1

_any_decoder = msgspec.json.Decoder()
_PATH_RE = re.compile(r" - at `\$([^`]*)`")
# Tokens are printable ASCII: anything else could split or smuggle a header.
_NOT_TOKEN = re.compile(r"[^\x21-\x7e]")


T = TypeVar("T")


class RetryKind(str, enum.Enum):
    """How a request may be sent again after a failure."""

    SAFE = "safe"
    """A read: every retryable failure is retried."""
    UNSENT_ONLY = "unsent_only"
    """A write that must not run twice: retried only when Polar cannot have run it (a 429,
    which Polar's limiter answers before the application, or a connection that never
    opened)."""
    CUSTOM = "custom"
    """A write that can find out what it did: retried as ``UNSENT_ONLY``, and after a
    failure that may have run at Polar, its operation's reconcile step decides (the
    result, send again, or ``OutcomeUnknownError``). Without a step (``client.request()``),
    as ``UNSENT_ONLY``."""


class Auth(str, enum.Enum):
    """Which credential a request carries."""

    CUSTOMER = "customer"
    """A customer or member session token (the customer portal)."""
    ORGANIZATION = "organization"
    """An organization access token."""
    NONE = "none"
    """No credential (claim info and claims)."""


@dataclasses.dataclass(frozen=True)
class Request:
    """One request to Polar, as a value: what to send and how it may be retried.

    ``path`` is the path as shown in messages and errors, with any secret in it replaced
    by ``…``; ``secret_path`` is the path really sent when it differs, a
    [`Secret`][polar_seats.Secret], as is any secret in ``json`` (an invitation token):
    only the transport reveals them, as it sends. ``label`` names the request in messages
    ("page 3 of claimed subscriptions"); ``operation`` names the operation it belongs
    to (see ``Operation``).
    """

    method: str
    path: str
    label: str
    query: tuple[tuple[str, str], ...] = ()
    json: Any = dataclasses.field(default=None, repr=False)
    retry: RetryKind = RetryKind.SAFE
    auth: Auth = Auth.CUSTOMER
    page: int | None = None
    """Deprecated: kept for code that builds a ``Request`` with it (``PolarError.page``
    falls back to it). The library sets no page on its requests: the page is the call's
    context, told by ``PolarError.page`` and ``RetryEvent.page``."""
    secret_path: Secret | None = dataclasses.field(default=None, repr=False)
    secret_answer: bool = False
    """Whether a success carries a secret (a minted session): a decode error then keeps
    none of the body."""
    operation: str = "request"
    """The name of the operation it belongs to (the client's method: ``"assign_seat"``);
    ``"request"`` for ``client.request()``."""


_UUID = re.compile(
    r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"
)


def polar_id(value: object, name: str, argument: str | None = None) -> str:
    """``value`` as a Polar id (a ``UUID`` as its string); a str that is not a UUID
    raises ``InvalidArgumentError`` naming ``argument`` (``name`` by default)."""
    if isinstance(value, UUID):
        return str(value)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str or a uuid.UUID, not {type(value).__name__}.")
    if not _UUID.match(value):
        raise InvalidArgumentError(
            f"{name} must be a Polar id, a UUID such as '…-4f1c-…' (got {value!r}).",
            argument=argument or name,
            expected="a Polar id, a UUID such as '…-4f1c-…'",
        )
    return value


def an_id(value: str | UUID | None) -> str | None:
    """An id as Polar takes it: a ``UUID`` as its string, anything else as given."""
    return str(value) if isinstance(value, UUID) else value


def retry_kind_for(method: str) -> RetryKind:
    """The default kind of a request sent through ``client.request()``: a GET is a read."""
    return RetryKind.SAFE if method in ("GET", "HEAD") else RetryKind.UNSENT_ONLY


def custom_request(
    method: str,
    path: str,
    *,
    params: Mapping[str, object] | None,
    json: Any,
    retry: RetryKind | None,
    auth: Auth,
) -> Request:
    """The request of ``client.request()``, its arguments checked."""
    if not isinstance(method, str) or not method.isascii() or not method.isalpha():
        raise InvalidArgumentError(
            f"method must be an HTTP method such as 'GET' (got {method!r}).", argument="method"
        )
    method = method.upper()
    if not isinstance(path, str) or not path.startswith("/v1/") or _NOT_PATH.search(path):
        raise InvalidArgumentError(
            "path must be a path of Polar's API such as '/v1/customer-portal/seats', "
            f"without the origin, a query or a fragment (pass params=) (got {path!r}).",
            argument="path",
        )
    query: list[tuple[str, str]] = []
    for name, value in (params or {}).items():
        values: list[object] = (
            list(cast("list[object]", value)) if isinstance(value, (list, tuple)) else [value]
        )
        query.extend((str(name), _query_value(item)) for item in values)
    return Request(
        method,
        path,
        f"{method} {path}",
        query=tuple(query),
        json=json,
        retry=retry_kind_for(method) if retry is None else RetryKind(retry),
        auth=auth,
    )


_NOT_PATH = re.compile(r"[?#\s]")


def _query_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        raise InvalidArgumentError(
            "A query parameter cannot be None; leave it out instead.", argument="params"
        )
    if isinstance(value, Secret):
        raise TypeError(
            "A Secret cannot go in the query: URLs end up in proxies' and servers' logs, and "
            "it would be sent as <redacted>. Send it in the body, json={...: Secret(...)}."
        )
    return str(value)


CUSTOMER_TOKEN = (
    "token",
    "The token",
    "a Polar customer session token (it starts with 'polar_cst_'), for example from the "
    "POLAR_CUSTOMER_SESSION_TOKEN variable",
)
ORGANIZATION_TOKEN = (
    "organization_token",
    "The organization token",
    "a Polar organization access token (it starts with 'polar_oat_'), for example from the "
    "POLAR_ACCESS_TOKEN variable",
)


TOKEN_KINDS = {
    "polar_cst_": "customer",
    "polar_mst_": "member",
    "polar_oat_": "organization",
    "polar_pat_": "user",
}
"""The kinds of Polar's tokens, by prefix: customer and member sessions act in the customer
portal; organization access tokens, and a user's personal access tokens (for the user's
organizations), mint sessions and read the organization's seats."""
_WRONG_KIND = {
    # Only what can never work where it is given: an unknown prefix may be a kind of token
    # this release does not know yet, and goes to Polar to decide.
    ("token", "organization"): "an organization access token ('polar_oat_…'), not a "
    "customer session token: pass it as organization_token=, and act for a customer with "
    "client.for_customer(external_customer_id=...) or customer_id=.",
    ("token", "user"): "a personal access token ('polar_pat_…'), not a customer session "
    "token: pass it as organization_token=, and act for a customer with "
    "client.for_customer(external_customer_id=...) or customer_id=.",
    ("organization_token", "customer"): "a customer session token ('polar_cst_…'), not an "
    "organization access token: pass it as token= (or to client.with_token()) for that "
    "customer's portal, or pass an organization access token ('polar_oat_…').",
    ("organization_token", "member"): "a member session token ('polar_mst_…'), not an "
    "organization access token: pass it as token= (or to client.with_token()) for that "
    "member's portal, or pass an organization access token ('polar_oat_…').",
}


def token_kind(token: str) -> str | None:
    """The kind of a Polar token by its prefix: ``"customer"``, ``"member"``,
    ``"organization"`` or ``"user"``; ``None`` for a prefix Polar's tokens do not have."""
    return next((kind for prefix, kind in TOKEN_KINDS.items() if token.startswith(prefix)), None)


def wrong_kind(token: str, argument: str) -> str | None:
    """The kind of ``token`` if it can never work as ``argument`` (``"token"`` or
    ``"organization_token"``), else ``None``."""
    kind = token_kind(token)
    return kind if kind is not None and (argument, kind) in _WRONG_KIND else None


def check_token(token: object, kind: tuple[str, str, str] = CUSTOMER_TOKEN) -> str:
    """Return ``token`` if it can be sent in a header, else raise
    [`InvalidArgumentError`][polar_seats.InvalidArgumentError].

    ``kind`` is the argument's name, what a message calls it, and what to pass. A token
    whose prefix shows it can never work there (an organization token given as a customer
    token, or a session token as the organization token) is refused too.
    """
    argument, name, what = kind
    if not isinstance(token, str):
        raise TypeError(f"{name} must be a str, not {type(token).__name__}.")
    if not token:
        raise InvalidArgumentError(f"{name} is empty. Pass {what}.", argument=argument)
    if _NOT_TOKEN.search(token):
        raise InvalidArgumentError(
            f"{name} contains whitespace, a control character or a non-ASCII character; "
            "strip it (a trailing newline from a file is the usual cause).",
            argument=argument,
        )
    wrong = wrong_kind(token, argument)
    if wrong is not None:
        raise InvalidArgumentError(f"{name} is {_WRONG_KIND[argument, wrong]}", argument=argument)
    return token


def check_limit(limit: object) -> int:
    """Return ``limit`` if the server accepts it as is, else raise
    [`InvalidArgumentError`][polar_seats.InvalidArgumentError]."""
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise TypeError(f"limit must be an int, not {type(limit).__name__}.")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidArgumentError(
            f"limit must be between 1 and {MAX_LIMIT} (got {limit}); "
            f"the server would silently send {MAX_LIMIT} per page at most.",
            argument="limit",
            expected=f"between 1 and {MAX_LIMIT}",
        )
    return limit


def last_page_for(limit: int) -> int:
    """The largest page Polar can answer at ``limit``.

    Polar's database keeps the offset ``(page - 1) * limit`` (``limit`` clamped to 100) in
    a bigint; a page past this one overflows it, and Polar fails with a 500 every time.
    """
    return _BIGINT // min(limit, MAX_LIMIT) + 1


def check_page(page: object, name: str = "page", *, limit: int) -> int:
    """Return ``page`` if it is a page number the server can answer at ``limit``, else
    raise [`InvalidArgumentError`][polar_seats.InvalidArgumentError]."""
    if isinstance(page, bool) or not isinstance(page, int):
        raise TypeError(f"{name} must be an int, not {type(page).__name__}.")
    if page < 1:
        raise InvalidArgumentError(
            f"{name} must be 1 or more (got {page}); pages are numbered from 1.", argument=name
        )
    last = last_page_for(limit)
    if page > last:
        raise InvalidArgumentError(
            f"{name} must be at most {last} with limit={limit} (got {page}): past that page "
            "Polar's offset, (page - 1) * limit, overflows its database, and Polar fails "
            "with a 500 every time.",
            argument=name,
        )
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
            raise InvalidArgumentError(
                f"base_url must be an http(s) URL with a host, such as https://api.polar.sh "
                f"(got {base_url!r}).",
                argument="base_url",
                expected="an http(s) URL with a host, such as https://api.polar.sh",
            )
        if parts.query or parts.fragment or parts.username or parts.password:
            raise InvalidArgumentError(
                f"base_url must not carry credentials, a query or a fragment (got {base_url!r}).",
                argument="base_url",
                expected="an origin without credentials, a query or a fragment",
            )
        host = parts.hostname
        if parts.scheme == "http" and not allow_insecure_http and not _is_loopback(host):
            raise InvalidArgumentError(
                f"Refusing to send the token over plain http to {host}: use https, or pass "
                "allow_insecure_http=True if this network is yours (a proxy you run, say).",
                argument="base_url",
                expected="an https URL, or an http one to a loopback address (a local fake)",
            )
        return url
    try:
        return SERVERS[server]
    except KeyError:
        choices = ", ".join(repr(name) for name in SERVERS)
        raise InvalidArgumentError(
            f"server must be one of {choices} (got {server!r}).", argument="server"
        ) from None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def build_headers(*, polar_version: str, user_agent: str) -> dict[str, str]:
    """The headers every request sends, but the credential (see ``sent_headers()``)."""
    return {
        "Accept": "application/json",
        "Polar-Version": polar_version,
        "User-Agent": user_agent,
    }


def sent_headers(headers: Mapping[str, str], token: Secret | None) -> Mapping[str, str]:
    """``headers`` with ``token`` as the bearer credential, built as the request goes out,
    so that nothing kept holds the token in clear."""
    if token is None:
        return headers
    return {**headers, "Authorization": f"Bearer {token.reveal()}"}


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


CUSTOMER_UNKNOWN = "Customer does not exist."
"""Polar's 422 entry for a customer it does not know (a mint's ``customer_id`` or
``external_customer_id``): [`CustomerNotFoundError`][polar_seats.CustomerNotFoundError]."""

_VERSION_REFUSED = {"detail": "Not Found"}
"""The whole body of Polar's 404 for a removed or unknown ``Polar-Version``."""


def subject(request: Request | None) -> str:
    """How a message names the request: "Page 3 of claimed subscriptions"."""
    if request is None or not request.label:
        return "The request"
    return request.label[0].upper() + request.label[1:]


def error_for_status(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    request: Request | None = None,
    polar_version: str | None = None,
) -> APIStatusError:
    """The exception for a response whose status is not a success.

    ``polar_version`` is the version the client sent, named in a 404's message.
    """
    data = _lenient_json(body)
    said = _describe(data, body)
    kwargs: dict[str, Any] = {
        "status": status,
        "headers": headers,
        "body": data,
        "raw_body": body,
        "request": request,
    }
    code = (json_object(data) or {}).get("error")
    coded = CODED.get(code) if isinstance(code, str) else None
    if coded is not None and coded.status_sent == status:
        # A refusal of its own class: Polar's words, then what to do about it.
        error = coded("", **kwargs)
        error.args = (f"Polar refused the request ({status}: {said}). {error.advice()}",)
        return error
    if status == 400:
        return BadRequestError(f"Polar refused the request (400: {said}).", **kwargs)
    if status == 402:
        return PaymentRequiredError(
            f"Polar refused the request (402: {said}): the charge did not go through, and "
            "nothing changed.",
            **kwargs,
        )
    if status == 401:
        if request is not None and request.auth is Auth.ORGANIZATION:
            check = (
                "Check that it is a current organization access token ('polar_oat_…') of "
                "this server (production or sandbox)."
            )
        else:
            check = (
                "Check that it is a current customer session token ('polar_cst_…') or "
                "member session token ('polar_mst_…')."
            )
        return AuthenticationError(f"Polar refused the token (401: {said}). {check}", **kwargs)
    if status == 403:
        return PermissionDeniedError(
            f"Polar refused the request (403: {said}): the token is valid but may not do "
            "this; an organization token needs the endpoint's scope (customer_sessions:write "
            "to mint sessions), a member needs the owner or billing manager role.",
            **kwargs,
        )
    if status == 404:
        if data == _VERSION_REFUSED and "Polar-Version" not in headers:
            sent = f"Polar-Version {polar_version}" if polar_version else "the Polar-Version sent"
            live = ", ".join(versions.live_versions())
            return VersionNotFoundError(
                f"Polar refused {sent} (404 with no Polar-Version header): it has removed "
                f"that API version or does not know it. Upgrade polar-seats, or pass "
                f"polar_version= a version Polar serves today ({live}).",
                **kwargs,
            )
        where = f"{request.method} {request.path}" if request is not None else "the path"
        return NotFoundError(
            f"Polar answered 404 ({said}) to {where}: the path is wrong, or the resource "
            "does not exist or is not the caller's.",
            **kwargs,
        )
    if status == 422:
        problems = RequestValidationError("", **kwargs).problems
        listed = "; ".join(
            f"{'.'.join(str(part) for part in problem.loc)}: {problem.msg}" for problem in problems
        )
        unknown = any(problem.msg == CUSTOMER_UNKNOWN for problem in problems)
        return (CustomerNotFoundError if unknown else RequestValidationError)(
            f"Polar refused the request (422): {listed or said}", **kwargs
        )
    if status == 409 and (json_object(data) or {}).get("error") == "AmbiguousExternalCustomerID":
        return AmbiguousExternalCustomerIdError(
            f"Polar refused the request (409: {said}) Name the customer by Polar's id "
            "(customer_id=) instead of external_customer_id=, mint with an organization "
            "access token ('polar_oat_…') of the customer's own organization rather than a "
            "token that reaches several, or give the customer an external id no other "
            "customer of those organizations has.",
            **kwargs,
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


def decode_body(decode: Callable[[bytes], T], body: bytes, request: Request | None) -> T:
    """``decode(body)``, with every way a body can fail to decode as
    [`ResponseDecodeError`][polar_seats.ResponseDecodeError] naming the request and, where
    there is one, the field."""
    try:
        return decode(body)
    except (
        msgspec.ValidationError,
        msgspec.DecodeError,
        RecursionError,
        UnicodeDecodeError,
    ) as exc:
        raise _decode_error(exc, body, request) from None


def _decode_error(exc: Exception, body: bytes, request: Request | None) -> ResponseDecodeError:
    what = "The body" if request is None else subject(request)
    secret = request is not None and request.secret_answer
    # An answer that carries a secret (a minted session) is kept nowhere: which part of a
    # body that does not decode is the secret, nobody can tell.
    kept = b"" if secret else body
    if isinstance(exc, msgspec.ValidationError):
        message = str(exc)
        path = _error_path(message)
        reason = _PATH_RE.sub("", message)
        return ResponseDecodeError(
            f"{what} does not fit the model at {path or '$'}: {reason}",
            path=path,
            raw_body=kept,
            request=request,
        )
    if isinstance(exc, msgspec.DecodeError):
        began = (
            "its body is neither quoted nor kept: it may hold a secret"
            if secret
            else f"the body began {excerpt(body)!r}"
        )
        return ResponseDecodeError(
            f"{what} is not valid JSON ({exc}); {began}",
            path=None,
            raw_body=kept,
            request=request,
        )
    if isinstance(exc, RecursionError):
        return ResponseDecodeError(
            f"{what} nests JSON deeper than Python can decode; no real answer does.",
            path=None,
            raw_body=kept,
            request=request,
        )
    assert isinstance(exc, UnicodeDecodeError)
    return ResponseDecodeError(
        f"{what} holds a string that is not valid UTF-8 ({exc.reason} at byte "
        f"{exc.start} of the string).",
        path=None,
        raw_body=kept,
        request=request,
    )


def parse_response(
    request: Request,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    decode: Callable[[bytes], T],
    *,
    polar_version: str | None = None,
) -> T:
    """Turn one response into a model (through ``decode``), or raise the matching
    [`PolarError`][polar_seats.PolarError]."""
    if 200 <= status <= 299:
        if polar_version is not None:
            served = headers.get("Polar-Version")
            if served is not None and served != polar_version:
                versions.note_served(polar_version, served)
        return decode_body(decode, body, request)
    raise error_for_status(status, headers, body, request=request, polar_version=polar_version)


def parse_json(body: bytes) -> Any:
    """The body as plain JSON (``None`` for an empty body), for ``client.request()``."""
    return _any_decoder.decode(body) if body else None
