"""The connection count the leak tests rely on (tests/support/helpers.py): it sees a leak."""

from __future__ import annotations

import asyncio

import pytest

from polar_seats.testing import FakePolarServer, Fault, FaultPlan
from tests.support.helpers import Connections, client_for

PAGE = "/v1/customer-portal/seats/subscriptions"


async def test_a_response_never_read_nor_released_is_a_connection_in_use(
    server: FakePolarServer,
) -> None:
    """A raw request whose answer is left half-read holds its connection: counted, until
    it is released."""
    server.faults = FaultPlan({1: Fault.endless_body()})
    async with Connections() as connections:
        response = await connections.session.get(
            server.url + PAGE, headers={"Authorization": f"Bearer {server.token}"}
        )
        assert response.status == 200
        assert connections.in_use == 1
        response.release()
        assert connections.in_use == 0


async def test_a_client_request_in_flight_is_a_connection_in_use(server: FakePolarServer) -> None:
    """A client given the session is counted: a stalled call holds one connection, and
    cancelling it gives it back."""
    server.faults = FaultPlan(rate=1.0, choices=[Fault.stall(5.0)])
    arrived = asyncio.Event()
    server.on_request = lambda record: arrived.set()
    async with (
        Connections() as connections,
        client_for(server, session=connections.session) as client,
    ):
        task = asyncio.create_task(client.list_claimed_subscriptions())
        await arrived.wait()
        assert connections.in_use == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert connections.in_use == 0


async def test_a_count_of_a_session_no_request_used_is_refused() -> None:
    """A client not given the session would make every count 0: that is an error."""
    async with Connections() as connections:
        with pytest.raises(AssertionError, match="no request"):
            _ = connections.in_use
