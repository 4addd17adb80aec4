"""Fuzz the response handling: whatever a server sends, the client answers with a page or a
PolarError, never another exception, a hang or a crash.

``nox -s fuzz`` runs it for a set time and rewrites docs/security.md with the figures;
``tests/test_fuzz.py`` runs a few hundred cases on every test run.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable
from pathlib import Path

import msgspec

import polar_seats as ps
from polar_seats._protocol import handle_response
from polar_seats.testing import make_subscriptions

STATUSES = (200, 200, 200, 200, 301, 400, 401, 404, 408, 418, 422, 429, 500, 502, 503, 504)
SEEDS = [
    msgspec.json.encode(
        {"items": make_subscriptions(n, seed=n), "pagination": {"total_count": n, "max_page": 1}}
    )
    for n in (0, 1, 3, 8)
]
ERROR_BODIES = [
    b'{"error":"Unauthorized","detail":"Unauthorized"}',
    b'{"error":"RequestValidationError","detail":[{"type":"greater_than","loc":["query","page"],'
    b'"msg":"Input should be greater than 0","input":"0","ctx":{"gt":0}}]}',
    b"",
    b"<html><body>502 Bad Gateway</body></html>",
]
TOKENS = (b"null", b"true", b"-1", b"1e999", b"NaN", b'"\\ud800"', b"[]", b"{}", b'"x"', b"0.5")


def mutate(rng: random.Random, body: bytes) -> bytes:
    """One random change: flip, cut, insert, duplicate, or swap in a JSON token."""
    data = bytearray(body)
    choice = rng.randrange(7)
    if not data or choice == 0:
        return bytes(rng.getrandbits(8) for _ in range(rng.randrange(64)))
    at = rng.randrange(len(data))
    if choice == 1:
        data[at] ^= 1 << rng.randrange(8)
    elif choice == 2:
        del data[at:]
    elif choice == 3:
        data[at:at] = rng.choice(TOKENS)
    elif choice == 4:
        end = min(len(data), at + rng.randrange(1, 200))
        data[at:at] = data[at:end]
    elif choice == 5:
        # Replace a JSON value: from a ':' to the next ',' or '}'.
        colon = data.find(b":", at)
        if colon != -1:
            end = min(
                (i for i in (data.find(b",", colon), data.find(b"}", colon)) if i != -1),
                default=len(data),
            )
            data[colon + 1 : end] = rng.choice(TOKENS)
    else:
        data[at:at] = b"[" * rng.randrange(1, 3000)
    return bytes(data)


def one_case(rng: random.Random) -> None:
    """A random answer through handle_response; anything but a Page or PolarError fails."""
    status = rng.choice(STATUSES)
    seed = rng.choice(SEEDS if status == 200 else ERROR_BODIES)
    body = mutate(rng, seed) if rng.random() < 0.9 else seed
    headers = {"Retry-After": rng.choice(["60", "-1", "soon", "Thu, 01 Jan 1970 00:00:00 GMT", ""])}
    try:
        result = handle_response(
            status, headers, body, page=rng.randrange(1, 5), limit=rng.choice((10, 100))
        )
    except ps.PolarError:
        return
    assert isinstance(result, ps.Page)


def fuzz(seconds: float, seed: int, on_case: Callable[[int], None] | None = None) -> int:
    """Run cases for ``seconds``; return how many. An unexpected exception propagates."""
    rng = random.Random(seed)
    deadline = time.monotonic() + seconds
    cases = 0
    while time.monotonic() < deadline:
        for _ in range(100):
            one_case(rng)
            cases += 1
        if on_case is not None:
            on_case(cases)
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--write", type=Path, help="update the fuzzing figures in this page")
    args = parser.parse_args()
    cases = fuzz(args.seconds, args.seed)
    print(json.dumps({"seconds": args.seconds, "seed": args.seed, "cases": cases}))
    if args.write is not None:
        text = args.write.read_text()
        start = text.index("<!-- fuzz -->")
        end = text.index("<!-- /fuzz -->")
        figures = (
            f"<!-- fuzz -->\n`nox -s fuzz` ran {cases:,} random answers in {args.seconds:g} s "
            f"(seed {args.seed}): mutated pages and error bodies through the response handling, "
            "with random statuses and `Retry-After` headers. Every one ended in a page or a "
            "`PolarError`; none raised anything else.\n"
        )
        args.write.write_text(text[:start] + figures + text[end:])


if __name__ == "__main__":
    main()
