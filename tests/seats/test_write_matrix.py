"""The write fault matrix (``tests/stress/write_matrix.py``) in the suite: every seat write under
every fault point in every state keeps Polar's seats right, and the page shows this table."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from polar_seats import _transport
from polar_seats.testing import set_testing
from tests.stress.write_matrix import MARKER, Case, render, run_case, run_matrix

PAGE = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"


async def test_no_write_does_the_wrong_thing_and_the_page_shows_it() -> None:
    outcomes = await run_matrix()
    assert len(outcomes) == 70
    assert {str(o.case): o.problems() for o in outcomes if o.problems()} == {}
    # Every outcome the library could not know was reported as unknown, never guessed: the
    # rows where a write's answer was lost and nothing could check it.
    unknown = {(o.case.write, o.case.state, o.case.fault) for o in outcomes if o.unknown}
    assert ("resend", "already assigned", "reset after") in unknown
    assert ("claim", "already assigned", "502 after") in unknown
    assert ("revoke", "reused in between", "reset after") in unknown
    assert ("revoke by id", "already assigned", "reset before") in unknown
    # A seat count is read back after a lost answer: never unknown here, never charged twice.
    counts = [o for o in outcomes if o.case.write.startswith(("seats", "assign, add"))]
    assert [o for o in counts if o.unknown or o.charges > 1] == []
    # The page holds this very table, so what it says is what the suite saw.

    assert MARKER + PAGE.read_text().split(MARKER, 1)[1] == render(outcomes)


async def test_without_the_guard_aiohttp_resends_a_revoke_onto_the_next_holder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Why writes stop aiohttp's own resend: without it, a DELETE whose answer is lost goes
    out twice, and the second revokes whoever got the reused row in between."""

    async def through(
        request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
    ) -> aiohttp.ClientResponse:
        return await handler(request)

    monkeypatch.setattr(_transport, "_no_resend", through)
    with set_testing(True):
        outcome = await run_case(Case("revoke", "reused in between", "reset after"))
    assert outcome.requests == ["DELETE", "DELETE"]
    assert outcome.problems() == ["1 wrong revocations"]
