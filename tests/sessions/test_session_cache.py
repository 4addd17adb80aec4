"""The session cache on its own: single flight, refresh time, failures, eviction."""

from __future__ import annotations

import asyncio

import pytest

from polar_seats import Secret
from polar_seats._sessions import CachedSession, SessionCache, session_body, subject_key

ALICE = ("external_customer_id", "alice", "", "")
BOB = ("external_customer_id", "bob", "", "")


class Minter:
    """Mints numbered sessions after a pause, or fails the first ``failures`` times."""

    def __init__(self, failures: int = 0) -> None:
        self.calls = 0
        self.failures = failures

    async def __call__(self) -> CachedSession:
        self.calls += 1
        await asyncio.sleep(0.01)
        if self.calls <= self.failures:
            raise RuntimeError(f"mint {self.calls} failed")
        return CachedSession(Secret(f"polar_cst_{self.calls}"), 100.0)


async def test_concurrent_first_uses_mint_once() -> None:
    """Fifty callers asking at once for one subject share one mint and one token."""
    cache, mint = SessionCache(10, lambda: 0.0), Minter()
    sessions = await asyncio.gather(*(cache.session(ALICE, mint) for _ in range(50)))
    assert mint.calls == 1
    assert {s.token.reveal() for s in sessions} == {"polar_cst_1"}
    assert cache.mints == 1


async def test_a_failed_mint_fails_every_waiter_and_poisons_nothing() -> None:
    """Every waiter of a failed mint gets the same error; the next call mints afresh."""
    cache, mint = SessionCache(10, lambda: 0.0), Minter(failures=1)
    results = await asyncio.gather(
        *(cache.session(ALICE, mint) for _ in range(5)), return_exceptions=True
    )
    assert all(isinstance(r, RuntimeError) for r in results)
    assert len({id(r) for r in results}) == 1
    assert (await cache.session(ALICE, mint)).token.reveal() == "polar_cst_2"


async def test_a_session_is_reused_until_its_refresh_time() -> None:
    """Before refresh_at the cached token comes back; at it, a new one is minted."""
    now = [0.0]
    cache, mint = SessionCache(10, lambda: now[0]), Minter()
    assert (await cache.session(ALICE, mint)).token.reveal() == "polar_cst_1"
    now[0] = 99.9
    assert (await cache.session(ALICE, mint)).token.reveal() == "polar_cst_1"
    now[0] = 100.0
    assert (await cache.session(ALICE, mint)).token.reveal() == "polar_cst_2"


async def test_dropping_forgets_only_the_refused_token() -> None:
    """drop() removes the token Polar refused, not a newer one minted meanwhile."""
    cache, mint = SessionCache(10, lambda: 0.0), Minter()
    await cache.session(ALICE, mint)
    cache.drop(ALICE, Secret("polar_cst_stale"))
    assert cache.cached(ALICE) is not None
    cache.drop(ALICE, Secret("polar_cst_1"))
    assert cache.cached(ALICE) is None


async def test_the_least_recently_used_session_is_evicted() -> None:
    """At the size bound, the session used longest ago goes first."""
    cache, mint = SessionCache(2, lambda: 0.0), Minter()
    carol = ("customer_id", "c", "", "")
    await cache.session(ALICE, mint)
    await cache.session(BOB, mint)
    await cache.session(ALICE, mint)  # alice is now the most recent
    await cache.session(carol, mint)
    assert len(cache) == 2
    assert cache.cached(BOB) is None
    assert cache.cached(ALICE) is not None


async def test_a_cancelled_waiter_does_not_cancel_the_mint_of_the_others() -> None:
    """One waiter cancelled mid-mint: the other still gets the token."""
    cache, mint = SessionCache(10, lambda: 0.0), Minter()
    first = asyncio.ensure_future(cache.session(ALICE, mint))
    second = asyncio.ensure_future(cache.session(ALICE, mint))
    await asyncio.sleep(0)
    first.cancel()
    assert (await second).token.reveal() == "polar_cst_1"
    assert mint.calls == 1


@pytest.mark.parametrize(
    "given",
    [
        {},
        {"customer_id": "a", "external_customer_id": "b"},
        {"customer_id": ""},
        {"external_customer_id": "x", "member_id": "m", "external_member_id": "n"},
    ],
)
def test_a_subject_names_one_customer_and_at_most_one_member(given: dict[str, str]) -> None:
    """No customer, two customers, an empty id or two members: a ValueError that says so."""
    arguments: dict[str, str | None] = {
        "customer_id": None,
        "external_customer_id": None,
        "member_id": None,
        "external_member_id": None,
        **given,
    }
    with pytest.raises(ValueError, match=r"customer|member"):
        subject_key(**arguments)


def test_the_mint_body_names_the_subject_as_given() -> None:
    """The body carries the customer and member fields the caller used, and return_url."""
    key = subject_key(
        customer_id=None, external_customer_id="u-1", member_id=None, external_member_id="m-1"
    )
    assert session_body(key, "https://example.com/back") == {
        "external_customer_id": "u-1",
        "external_member_id": "m-1",
        "return_url": "https://example.com/back",
    }
