"""schemathesis drives the fake server from Polar's contract and checks every answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis

from polar_seats.testing import DEFAULT_TOKEN, FakePolarServer, serve_in_thread
from tests import contract

schema = schemathesis.openapi.from_dict(contract.load())


@schema.auth()
class FakeServerToken:
    """The token the fake server accepts; schemathesis also tries requests without it."""

    def get(self, case: schemathesis.Case, context: Any) -> str:
        return DEFAULT_TOKEN

    def set(self, case: schemathesis.Case, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@pytest.fixture(scope="module")
def server() -> Iterator[FakePolarServer]:
    with serve_in_thread(FakePolarServer(count=250)) as fake:
        yield fake


@schema.parametrize()
def test_every_answer_fits_the_contract(case: schemathesis.Case, server: FakePolarServer) -> None:
    """Generated queries, valid and not, with and without a token: each answer conforms."""
    case.call_and_validate(base_url=server.url)
