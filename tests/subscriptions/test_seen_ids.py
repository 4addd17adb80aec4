"""A walk's memory of ids: exact, whatever the ids look like, before and after compaction."""

from __future__ import annotations

import json
import urllib.request
import uuid

from polar_seats._pagination import SeenIds
from polar_seats.testing import FakePolarServer, serve_in_thread


def small() -> SeenIds:
    seen = SeenIds()
    seen.COMPACT_AFTER = 8
    return seen


def test_each_id_is_new_once_before_and_after_compaction() -> None:
    """The first add of an id is True, every later add False, across the switch."""
    ids = [str(uuid.UUID(int=n, version=4)) for n in range(1, 200)]
    seen = small()
    assert all(seen.add(item_id) for item_id in ids)
    assert not any(seen.add(item_id) for item_id in ids)
    assert seen._buckets is not None


def test_ids_that_are_not_canonical_uuids_are_kept_exactly() -> None:
    """Upper case, braces, or no UUID at all: each is its own id."""
    base = str(uuid.UUID(int=0xABCDEF0123456789, version=4))
    assert base.upper() != base
    odd = [base.upper(), "{" + base + "}", base.replace("-", ""), "sub_123", ""]
    seen = small()
    for n in range(10):
        seen.add(str(uuid.UUID(int=1000 + n, version=4)))
    assert seen.add(base)
    assert all(seen.add(item_id) for item_id in odd)
    assert not any(seen.add(item_id) for item_id in [base, *odd])


def test_a_match_across_two_stored_ids_is_not_a_match() -> None:
    """The bytes of one id straddling two stored ones do not count as seen."""
    first = uuid.UUID(bytes=bytes(range(16)))
    second = uuid.UUID(bytes=bytes(range(16, 32)))
    straddling = uuid.UUID(bytes=bytes(range(8, 24)))
    seen = small()
    seen.BUCKETS = 1  # one array: every key lands side by side
    for n in range(8):
        seen.add(f"not-a-uuid-{n}")
    assert seen.add(str(first))
    assert seen.add(str(second))
    assert seen.add(str(straddling))
    assert not seen.add(str(straddling))


def test_serve_in_thread_answers_blocking_callers() -> None:
    """The fake server on its own thread serves code that blocks (urllib here)."""
    server = FakePolarServer(count=3)
    with serve_in_thread(server):
        request = urllib.request.Request(
            server.url + "/v1/customer-portal/seats/subscriptions",
            headers={"Authorization": f"Bearer {server.token}"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            body = json.loads(response.read())
    assert body["pagination"] == {"total_count": 3, "max_page": 1}
    assert len(server.requests) == 1
