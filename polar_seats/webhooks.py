"""Polar's webhooks: check a delivery's signature, then decode its event.

::

    from polar_seats.webhooks import WebhookVerificationError, verify

    try:
        event = verify(await request.read(), request.headers, secret)
    except WebhookVerificationError:
        return web.Response(status=403)

Polar signs each delivery as Standard Webhooks says: ``webhook-signature`` holds
space-separated ``v1,<base64 HMAC-SHA256>`` entries over ``"{webhook-id}.{webhook-timestamp}.
{body}"``. The three seat events decode to typed events whose ``data`` is a
[`CustomerSeat`][polar_seats.CustomerSeat], in every live API version (the seat is the same
in 2026-04, 2026-10 and 2027-01); every other type to
[`UnknownWebhookEvent`][polar_seats.webhooks.UnknownWebhookEvent], so a new event type Polar
starts sending does not fail the receiver. Each event says the ``api_version`` Polar built
it for. Needs ``pip install 'polar-seats[webhooks]'``.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Annotated, Any, TypeAlias

import msgspec

from ._errors import PolarError, ResponseDecodeError, json_object
from ._models._base import Model, by_tag
from .models import CustomerSeat

if TYPE_CHECKING:
    from standardwebhooks import Webhook

__all__ = [
    "CustomerSeatAssigned",
    "CustomerSeatClaimed",
    "CustomerSeatEvent",
    "CustomerSeatRevoked",
    "UnknownWebhookEvent",
    "WebhookEvent",
    "WebhookVerificationError",
    "verify",
]

_AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]

TOLERANCE = 300.0
"""How far, in seconds, ``webhook-timestamp`` may be from now, either way: Polar signs
each attempt (retries too) when it sends it, so only a replay or a wrong clock is older."""

_PREFIX = "whsec_"
_VERSION_HEADER = "webhook-api-version"


class WebhookVerificationError(PolarError):
    """The request is not a webhook event from Polar that can be trusted.

    A header is missing, ``webhook-timestamp`` is outside the tolerance (a replay, or a
    clock that is off), no signature matches (a wrong secret, a body changed on the way,
    a forgery), or a body that verified is not a JSON object with a string ``type``.
    Answer it with a 4xx. The message never holds the secret or a signature.
    """


class CustomerSeatEvent(Model, kw_only=True, tag_field="type"):
    """Base of the three seat events: ``isinstance(event, CustomerSeatEvent)`` for code that
    handles them alike (say, to sync ``event.data.subscription_id``'s seats again)."""

    # A msgspec tagged union on ``type``: the tag is each class's own, not a stored field.
    timestamp: _AwareDatetime
    """When the event happened (not when this delivery was sent)."""
    data: CustomerSeat
    """The seat as it is after the event."""
    api_version: str | None = None
    """The API version Polar built the event for (``"2026-10"``): the webhook endpoint's
    own, not the one your client sends. From the payload's ``api_version``, else the
    ``webhook-api-version`` header; ``None`` when there is neither."""

    @property
    def type(self) -> str:
        """The event type, which tells the event classes apart."""
        return self.__struct_config__.tag  # type: ignore[return-value]


class CustomerSeatAssigned(CustomerSeatEvent, kw_only=True, tag="customer_seat.assigned"):
    """``customer_seat.assigned``: a seat was assigned and its invitation is out
    (``data.status == "pending"``)."""


class CustomerSeatClaimed(CustomerSeatEvent, kw_only=True, tag="customer_seat.claimed"):
    """``customer_seat.claimed``: the invitee claimed the seat (or it was assigned with
    ``immediate_claim``)."""


class CustomerSeatRevoked(CustomerSeatEvent, kw_only=True, tag="customer_seat.revoked"):
    """``customer_seat.revoked``: the seat is free again; Polar cleared its occupant."""


class UnknownWebhookEvent(Model, kw_only=True):
    """An event of a type polar-seats does not decode (``subscription.created``, or a type
    Polar adds later), verified all the same."""

    type: str
    timestamp: datetime | None = None
    """The payload's ``timestamp``, when it is a datetime with an offset; else ``None``."""
    payload: dict[str, Any]
    """The whole decoded body: ``type``, ``timestamp``, ``api_version``, ``data``..."""
    api_version: str | None = None
    """The API version Polar built the event for: the payload's ``api_version`` when it is
    a string, else the ``webhook-api-version`` header; ``None`` when there is neither."""


_SeatEvents: TypeAlias = CustomerSeatAssigned | CustomerSeatClaimed | CustomerSeatRevoked
WebhookEvent: TypeAlias = (
    CustomerSeatAssigned | CustomerSeatClaimed | CustomerSeatRevoked | UnknownWebhookEvent
)
"""What [`verify()`][polar_seats.webhooks.verify] returns: one of the seat events, or an
[`UnknownWebhookEvent`][polar_seats.webhooks.UnknownWebhookEvent]."""

_SEAT_EVENTS: dict[str, type[_SeatEvents]] = by_tag(_SeatEvents)


def verify(
    body: bytes | str,
    headers: Mapping[str, str],
    secret: str,
    *,
    tolerance: float = TOLERANCE,
    now: datetime | None = None,
) -> WebhookEvent:
    """Check that ``body`` is a delivery Polar signed with ``secret``, and decode its event.

    Pass the body exactly as received (``await request.body()``, ``await request.read()``),
    never JSON decoded and encoded again: the signature covers the bytes. ``headers`` is
    any mapping of the request's headers; names are matched whatever their case.
    ``tolerance`` is how many seconds ``webhook-timestamp`` may be from ``now`` (by
    default the current time) either way.

    ``secret`` is the endpoint's secret as Polar shows it (``whsec_...``; or any string
    set through the API), whatever its age. Two keys are tried, as polar-sdk 1.0.2 does:
    the secret's base64-decoded bytes after an optional ``whsec_`` (Polar's key for the
    secrets it makes since 2026-09-08, Standard Webhooks' and ``standardwebhooks.Webhook``'s)
    and the secret's UTF-8 bytes, prefix included (Polar's key for older and
    merchant-supplied secrets). While Polar switches an endpoint over it may send both
    signatures, space-separated: one match is enough. Both keys come from the same
    secret, so the second lets no forger in. An empty secret is a mistake in the
    configuration, not in the request: ``ValueError``.

    The event's ``api_version`` is the payload's, which the signature covers; the
    ``webhook-api-version`` header, which it does not, is only read when the payload has
    none, so where the two disagree the payload wins.

    Raises [`WebhookVerificationError`][polar_seats.webhooks.WebhookVerificationError]
    for a request that is not a trustworthy Polar event; no unverified event is ever
    returned. A verified seat event whose ``data`` does not fit
    [`CustomerSeat`][polar_seats.CustomerSeat] raises
    [`ResponseDecodeError`][polar_seats.ResponseDecodeError] (``.path`` names the field,
    ``.raw_body`` keeps the body to process again after an upgrade): Polar did send
    it, and it is the model that lags behind, so it is not a verification failure.
    Without the ``standardwebhooks`` package: ``ModuleNotFoundError`` (an
    ``ImportError``) saying what to install.
    """
    signer = _signer()
    keys = _keys(secret)
    if not tolerance >= 0:
        raise ValueError(f"tolerance is a number of seconds, 0 or more, not {tolerance!r}.")
    moment = datetime.now(timezone.utc) if now is None else now
    if moment.utcoffset() is None:
        raise ValueError("now must be an aware datetime, such as datetime.now(timezone.utc).")
    if not isinstance(body, (bytes, bytearray, memoryview, str)):
        raise TypeError(f"body is the request's raw bytes, not {type(body).__name__}.")
    webhook_id = _header(headers, "webhook-id")
    sent = _timestamp(_header(headers, "webhook-timestamp"), moment, tolerance)
    signatures = _header(headers, "webhook-signature")
    try:
        raw = body.encode() if isinstance(body, str) else bytes(body)
        text = body if isinstance(body, str) else raw.decode()
    except UnicodeError:
        raise WebhookVerificationError(
            "The body is not UTF-8 text, so Polar did not send it: no signature can match."
        ) from None
    expected = [
        base64.b64decode(signer(key).sign(webhook_id, sent, text).partition(",")[2]) for key in keys
    ]
    if not _matches(signatures, expected):
        raise WebhookVerificationError(
            "No signature in the webhook-signature header matches the body: a wrong "
            "secret, a body changed on the way (verify the raw bytes, not JSON encoded "
            "again), or a delivery Polar did not send."
        )
    return _decode(raw, _optional_header(headers, _VERSION_HEADER))


def _signer() -> type[Webhook]:
    try:
        from standardwebhooks import Webhook
    except ImportError as exc:
        raise ModuleNotFoundError(
            "polar_seats.webhooks.verify() checks signatures with the standardwebhooks "
            "package, which is not installed: pip install 'polar-seats[webhooks]'",
            name="standardwebhooks",
        ) from exc
    return Webhook


def _keys(secret: str) -> list[bytes]:
    """The HMAC keys to try: the secret's UTF-8 bytes (older secrets' key), then its
    base64-decoded bytes after ``whsec_`` (the key of those made since 2026-09-08)."""
    if not isinstance(secret, str):
        raise TypeError(f"secret is the endpoint's secret as a str, not {type(secret).__name__}.")
    if not secret:
        raise ValueError("secret is empty: pass the webhook endpoint's secret from Polar.")
    keys = [secret.encode()]
    encoded = secret.removeprefix(_PREFIX)
    try:
        decoded = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        return keys
    if decoded and decoded != keys[0]:
        keys.append(decoded)
    return keys


def _optional_header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:  # a plain dict with the names in another case
        value = next((v for k, v in headers.items() if k.lower() == name), None)
    return value if isinstance(value, str) and value else None


def _header(headers: Mapping[str, str], name: str) -> str:
    value = _optional_header(headers, name)
    if value is None:
        raise WebhookVerificationError(
            f"The {name} header is missing or empty: not a delivery of Polar's webhooks, "
            "or a proxy in front dropped the header."
        )
    return value


def _timestamp(value: str, now: datetime, tolerance: float) -> datetime:
    if not (value.isascii() and value.isdigit()):
        raise WebhookVerificationError(
            "The webhook-timestamp header is not a Unix time in whole seconds."
        )
    age = now.timestamp() - int(value)
    if age > tolerance:
        raise WebhookVerificationError(
            f"The webhook was signed {age:.0f} s ago, more than the tolerance of "
            f"{tolerance:g} s: a replayed delivery, or a clock that is off."
        )
    if -age > tolerance:
        raise WebhookVerificationError(
            f"The webhook is signed {-age:.0f} s ahead of now, more than the tolerance of "
            f"{tolerance:g} s: a clock that is off."
        )
    try:
        return datetime.fromtimestamp(int(value), timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise WebhookVerificationError("The webhook-timestamp header is out of range.") from None


def _matches(header: str, expected: list[bytes]) -> bool:
    """Whether any ``v1`` entry of ``webhook-signature`` is one of the expected digests."""
    for entry in header.split():
        version, comma, value = entry.partition(",")
        if version != "v1" or not comma:
            continue  # another scheme (v1a is asymmetric), or not an entry at all
        try:
            digest = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            continue
        if any(hmac.compare_digest(digest, each) for each in expected):
            return True
    return False


def _decode(raw: bytes, header_version: str | None) -> WebhookEvent:
    try:
        payload: object = msgspec.json.decode(raw)
    except (msgspec.DecodeError, RecursionError) as exc:
        raise WebhookVerificationError(f"The webhook verified, but is not JSON: {exc}") from None
    event = json_object(payload)
    if event is None:
        raise WebhookVerificationError(
            f"The webhook verified, but is a JSON {type(payload).__name__}, not an object."
        )
    event_type = event.get("type")
    if not isinstance(event_type, str):
        raise WebhookVerificationError("The webhook verified, but has no string `type`.")
    cls = _SEAT_EVENTS.get(event_type)
    if cls is None:
        signed_version = event.get("api_version")
        return UnknownWebhookEvent(
            type=event_type,
            timestamp=_time_or_none(event.get("timestamp")),
            payload=event,
            api_version=signed_version if isinstance(signed_version, str) else header_version,
        )
    try:
        decoded = msgspec.convert(event, cls, strict=False)
    except msgspec.ValidationError as exc:
        reason, _, where = str(exc).partition(" - at `")
        path = where.rstrip("`") or None
        raise ResponseDecodeError(
            f"The {event_type} webhook verified, but does not fit the model at "
            f"{path or '$'}: {reason}",
            path=path,
            raw_body=raw,
        ) from None
    if decoded.api_version is None:
        decoded.api_version = header_version
    return decoded


def _time_or_none(value: object) -> datetime | None:
    try:
        return msgspec.convert(value, _AwareDatetime)
    except msgspec.ValidationError:
        return None
