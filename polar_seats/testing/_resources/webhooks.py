"""Webhooks (seat and subscription events) as Polar delivers them: signed per Standard
Webhooks, in the background.

Polar's webhook task signs ``"{id}.{timestamp}.{body}"`` with HMAC-SHA256 and POSTs it with
``webhook-id``, ``webhook-timestamp``, ``webhook-signature: v1,<base64>`` and
``webhook-api-version``; the body is ``{type, timestamp, api_version, data}``, built for the
endpoint's own API version. The key depends on the secret's form: the secrets Polar makes
since 2026-09-08 (``whsec_`` and base64) sign with the decoded bytes, older and
merchant-supplied ones with the secret's UTF-8 bytes (see `signing_key`). The fake signs
with ``hmac`` so that ``polar_seats.testing`` needs nothing beyond the library; the test
suite checks each signature with the ``standardwebhooks`` package itself.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import dataclasses
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable
from typing import Any

import aiohttp

from ... import versions
from .._core.store import iso
from .subscriptions import reshape_2027_01

__all__ = ["API_VERSION", "WebhookDelivery", "WebhookSender", "sign", "signing_key"]

Json = dict[str, Any]

TIMEOUT = 10.0
"""Polar gives an endpoint ten seconds to answer."""

API_VERSION = versions.DEFAULT
"""A new webhook endpoint's version unless told otherwise: Polar's Current on 2026-12-06."""

_PREFIX = "whsec_"


def signing_key(secret: str) -> bytes:
    """The HMAC key Polar signs with for ``secret``.

    A ``whsec_`` secret whose rest is base64 (padded or not) is one of the secrets Polar
    makes since 2026-09-08: the decoded bytes sign, as Standard Webhooks says. Any other
    string (``polar_whs_...``, ``whsec_test_secret``, one set through the API) signs with
    its UTF-8 bytes, as every secret did before. The fake cannot know when a secret was
    made, so a ``whsec_<base64>`` secret is always taken for a new one.
    """
    encoded = secret.removeprefix(_PREFIX)
    if encoded != secret:
        try:
            decoded = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
        except (binascii.Error, ValueError):
            decoded = b""
        if decoded:
            return decoded
    return secret.encode()


def sign(secret: str, webhook_id: str, timestamp: int, body: str) -> str:
    """The ``webhook-signature`` header: ``v1,`` and the base64 HMAC-SHA256, keyed by
    `signing_key`."""
    message = f"{webhook_id}.{timestamp}.{body}".encode()
    digest = hmac.new(signing_key(secret), message, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


@dataclasses.dataclass
class WebhookDelivery:
    """One event the fake POSTed (or is about to), and how the endpoint answered."""

    id: str
    type: str
    timestamp: int
    body: str
    """The exact bytes sent (and signed), as text."""
    headers: dict[str, str]
    status: int | None = None
    """The endpoint's HTTP status; ``None`` until delivered, or when it could not be reached."""
    error: str | None = None
    """Why it could not be delivered (a refused connection, a timeout)."""

    @property
    def payload(self) -> Json:
        """The event: ``type``, ``timestamp``, ``api_version`` and ``data`` (the seat, or the
        subscription)."""
        payload: Json = json.loads(self.body)
        return payload


class WebhookSender:
    """Delivers events to ``url``, one at a time in the order they happened, as
    Polar's FIFO guard does; nothing is sent while ``url`` or ``secret`` is ``None``.
    Each event is built for ``api_version`` as it is when the event happens."""

    def __init__(
        self,
        clock: Callable[[], float],
        url: str | None,
        secret: str | None,
        api_version: str = API_VERSION,
    ) -> None:
        self.clock = clock
        self.url = url
        self.secret = secret
        self.api_version = api_version
        self.sent: list[WebhookDelivery] = []
        self._queue: asyncio.Queue[WebhookDelivery] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._http: aiohttp.ClientSession | None = None

    @property
    def api_version(self) -> str:
        """The endpoint's API version: the ``api_version`` of the events created from now on."""
        return self._api_version

    @api_version.setter
    def api_version(self, version: str) -> None:
        known = [entry.name for entry in versions.CALENDAR]
        if version not in known:
            raise ValueError(
                f"webhook_api_version is one of the versions the fake knows "
                f"({', '.join(known)}), not {version!r}."
            )
        self._api_version = version

    def emit(self, event: str, data: Json) -> None:
        """Queue ``event`` with its body (a seat, a subscription); a listener of the state."""
        if self.url is None or self.secret is None:
            return
        now = self.clock()
        # A seat's body is the same in every live version; a subscription's prices take
        # the shape of the endpoint's version.
        if event.startswith("subscription.") and self.api_version == "2027-01":
            data = reshape_2027_01(data)
        # pydantic's model_dump_json: compact, keys in the payload model's order.
        body = json.dumps(
            {"type": event, "timestamp": iso(now), "api_version": self.api_version, "data": data},
            separators=(",", ":"),
            ensure_ascii=False,
        )
        webhook_id, timestamp = str(uuid.uuid4()), int(now)
        headers = {
            "user-agent": "polar.sh webhooks",
            "content-type": "application/json",
            "webhook-id": webhook_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(self.secret, webhook_id, timestamp, body),
            "webhook-api-version": self.api_version,
        }
        delivery = WebhookDelivery(webhook_id, event, timestamp, body, headers)
        self.sent.append(delivery)
        self._queue.put_nowait(delivery)
        if self._worker is None:
            self._worker = asyncio.get_running_loop().create_task(self._deliver_all())

    async def _deliver_all(self) -> None:
        while True:
            delivery = await self._queue.get()
            try:
                await self._deliver(delivery)
            finally:
                self._queue.task_done()

    async def _deliver(self, delivery: WebhookDelivery) -> None:
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT))
        assert self.url is not None
        try:
            async with self._http.post(
                self.url, data=delivery.body.encode(), headers=delivery.headers
            ) as response:
                await response.read()
                delivery.status = response.status
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            delivery.error = repr(error)

    async def drain(self) -> None:
        """Wait until every queued event was delivered (or failed)."""
        await self._queue.join()

    async def close(self) -> None:
        """Stop delivering; what is still queued is dropped."""
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
        if self._http is not None:
            await self._http.close()
            self._http = None
