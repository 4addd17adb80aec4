"""polar-sdk 1.0.2's module for each API version, and the version each of its exchanges carried."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import ModuleType
from typing import Any

import httpx
import pytest

# Imported together, before any body is loaded: importing one extends the SDK's shared
# adaptix retort, which drops every loader built so far (seconds each to build again).
from polar import v2026_04, v2026_10, v2027_01

SDK_MODULES: dict[str, ModuleType] = {
    "2026-04": v2026_04,
    "2026-10": v2026_10,
    "2027-01": v2027_01,
}
"""``polar.<version>`` of each API version polar-sdk 1.0.2 ships, all live on the pinned date."""

EACH_VERSION = pytest.mark.parametrize("version", SDK_MODULES)

Heard = list[tuple[str, str | None]]
"""For each exchange: the ``Polar-Version`` the SDK sent, and the one the answer carried."""


@asynccontextmanager
async def polar_async(version: str, token: str, base_url: str) -> AsyncIterator[tuple[Any, Heard]]:
    """The version's ``PolarAsync``, and what it hears: the SDK is unchanged, only its shared
    client's public ``send_request`` is watched."""
    heard: Heard = []
    async with SDK_MODULES[version].PolarAsync(token, base_url=base_url) as polar:
        client = polar.customer_seats.client
        send = client.send_request

        async def send_request(request: httpx.Request) -> httpx.Response:
            response: httpx.Response = await send(request)
            heard.append((request.headers["Polar-Version"], response.headers.get("Polar-Version")))
            return response

        client.send_request = send_request
        yield polar, heard
