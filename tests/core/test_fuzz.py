"""A short fuzzing run on every test run; `nox -s fuzz` runs the long one."""

from __future__ import annotations

import pytest

import polar_seats as ps
from polar_seats._resources.subscriptions import handle_response
from polar_seats.testing import make_subscriptions, page_body
from tests.stress.fuzz import fuzz, mutate


def test_random_answers_end_in_a_page_or_a_polar_error() -> None:
    """Two seconds of mutated bodies, statuses and headers: nothing else escapes."""
    assert fuzz(2.0, seed=7) >= 200


def test_mutations_change_the_body() -> None:
    """The fuzzer is not blind: its mutations give different bytes."""
    import random

    rng = random.Random(1)
    body = b'{"items":[],"pagination":{"total_count":0,"max_page":0}}'
    assert sum(mutate(rng, body) != body for _ in range(50)) >= 45


DEEP = b"[" * 3000 + b"]" * 3000
PRICE = b'"price_currency": '


@pytest.mark.parametrize(
    "body",
    [
        b'{"items":[],"pagination":{"total_count":0,"max_page":0},"x":' + DEEP + b"}",
        page_body(make_subscriptions(1)).replace(PRICE, b'"junk": ' + DEEP + b", " + PRICE, 1),
    ],
    ids=["deep-unknown-field", "deep-inside-a-price"],
)
def test_found_by_fuzzing_deep_nesting_is_a_decode_error(body: bytes) -> None:
    """Regression: JSON nested thousands deep raised RecursionError, not a PolarError."""
    with pytest.raises(ps.ResponseDecodeError, match="deeper"):
        handle_response(200, {}, body, page=1)


def test_found_by_fuzzing_invalid_utf8_in_an_error_body() -> None:
    """Regression: a 500 whose JSON held invalid UTF-8 raised UnicodeDecodeError."""
    with pytest.raises(ps.ServerError) as caught:
        handle_response(500, {}, b'{"detail":"\xe4\xff"}', page=1)
    assert caught.value.body is None


def test_found_by_fuzzing_invalid_utf8_in_a_page() -> None:
    """Regression: a 200 whose string held invalid UTF-8 raised UnicodeDecodeError."""
    body = page_body(make_subscriptions(1)).replace(b'"status": "', b'"status": "\xe4\xff', 1)
    with pytest.raises(ps.ResponseDecodeError, match="UTF-8"):
        handle_response(200, {}, body, page=1)


@pytest.mark.parametrize("retry_after", ["➅", "²", "٣"])
def test_found_by_atheris_unicode_digits_in_retry_after(retry_after: str) -> None:
    """Regression: a Retry-After of non-ASCII digits raised ValueError from float()."""
    with pytest.raises(ps.RateLimitError) as caught:
        handle_response(429, {"Retry-After": retry_after}, b"", page=1)
    assert caught.value.retry_after is None
