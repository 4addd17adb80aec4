"""Bodies generated from Polar's contract, both revisions, decode and round-trip.

Hypothesis draws bodies from the contract's component schemas (``strategies.py``); each is
checked against the contract, the models must decode every one, and ``msgspec.to_builtins``
of the result must give back every field the models know, equal to what was sent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings

from polar_seats._resources.subscriptions import decode_page
from tests.support import contract

from .strategies import from_contract


@pytest.mark.parametrize("path", [contract.LATEST, contract.PREVIOUS], ids=["latest", "previous"])
def test_generated_bodies_decode_and_round_trip(path: Path) -> None:
    """Each body the contract allows decodes; every modeled field comes back as sent."""
    strategy = from_contract(contract.load(path), "ListResource_CustomerSubscription_")
    tried = 0

    @settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def check(body: dict[str, Any]) -> None:
        nonlocal tried
        tried += 1
        assert contract.errors(body, path=path) == []
        page = decode_page(json.dumps(body).encode(), page=1)
        contract.assert_round_trip(body, msgspec.to_builtins(page))

    check()
    assert tried >= 100
