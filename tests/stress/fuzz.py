"""Fuzz the response handling: whatever a server sends, the client answers with a page or a
PolarError, never another exception, a hang or a crash.

``nox -s fuzz`` runs it for a set time and rewrites docs/security.md with the figures;
``tests/core/test_fuzz.py`` runs a few hundred cases on every test run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import hypothesis
import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import polar_seats as ps
from polar_seats._resources.subscriptions import handle_response
from polar_seats.testing import make_subscriptions, page_body

STATUSES = (200, 200, 200, 200, 301, 400, 401, 404, 408, 418, 422, 429, 500, 502, 503, 504)
SEEDS = [page_body(make_subscriptions(n, seed=n), max_page=1) for n in (0, 1, 3, 8)]
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


def fuzz(seconds: float, seed: int) -> int:
    """Run cases for ``seconds``; return how many. A failure propagates, shrunk.

    Hypothesis drives every random choice (``st.randoms``), so a failing case shrinks to a
    small one and replays from its seed.
    """
    cases = 0

    @settings(
        max_examples=1_000,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.randoms(use_true_random=False))
    def check(rng: random.Random) -> None:
        nonlocal cases
        cases += 1
        one_case(rng)

    deadline = time.monotonic() + seconds
    rounds = 0
    while time.monotonic() < deadline:
        hypothesis.seed(seed + rounds)(check)()
        rounds += 1
    return cases


def drawn_bodies(path: Path, seed: int) -> int:
    """Bodies drawn from one revision of the contract: validated, decoded, round-tripped."""
    from conformance.strategies import from_contract
    from polar_seats._resources.subscriptions import decode_page
    from tests.support import contract

    drawn = 0

    @settings(max_examples=250, deadline=None, database=None)
    @given(from_contract(contract.load(path), "ListResource_CustomerSubscription_"))
    def check(body: dict[str, object]) -> None:
        nonlocal drawn
        assert contract.errors(body, path=path) == []
        page = decode_page(json.dumps(body).encode(), page=1)
        contract.assert_round_trip(body, msgspec.to_builtins(page))
        drawn += 1

    hypothesis.seed(seed)(check)()
    return drawn


def other_figures(seed: int) -> dict[str, int]:
    """Counts from the other security suites, run here at a larger size."""
    from tests.core import test_hostile
    from tests.models import test_drift
    from tests.support import contract

    generated = sum(drawn_bodies(path, seed) for path in (contract.LATEST, contract.PREVIOUS))
    mutations = 0
    for mutate in (
        test_drift.add_required_field,
        test_drift.new_enum_value,
        test_drift.widen_int_to_number,
    ):
        items, changes = test_drift.mutated(mutate)
        test_drift.decode(items)
        mutations += changes
    for key in sorted({k for ks in test_drift.optional_fields().values() for k in ks}):
        items, changes = test_drift.mutated(
            lambda obj, key=key: int(obj.pop(key, None) is not None)
        )
        test_drift.decode(items)
        mutations += changes
    return {
        "generated": generated,
        "mutations": mutations,
        "hostile": sum(fault is not None for fault in test_hostile.HOSTILE_BODIES.values()),
        **asyncio.run(leak_scan()),
    }


async def leak_scan() -> dict[str, int]:
    """Walk through every kind of failure with all loggers at DEBUG; count where the token
    shows up in what a user or an operator can see."""
    from polar_seats.testing import RETRYABLE_FAULTS, FakePolarServer, Fault, FaultPlan

    token = "polar_cst_LEAKCHECK_0123456789"
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler = Keep(logging.DEBUG)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    seen: list[str] = []
    try:
        faults = FaultPlan(rate=0.3, choices=[*RETRYABLE_FAULTS, Fault.invalid_json()], seed=3)
        async with FakePolarServer(count=300, tokens=[token], faults=faults) as server:
            for candidate in (token, token + "x"):
                async with ps.AsyncClient(candidate, base_url=server.url) as client:
                    seen += [repr(client), repr(client.with_token(candidate))]
                    for _ in range(20):
                        try:
                            async for _sub in client.iter_claimed_subscriptions(limit=50):
                                pass
                        except ps.PolarError as error:
                            seen += [str(error), repr(error)]
            seen.append(repr(server.requests))
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    texts = seen + records
    return {"leak_texts": len(texts), "leaks": sum(token in text for text in texts)}


def run_atheris(seconds: float) -> int | None:
    """Run the atheris harness for ``seconds`` if atheris is installed; its input count."""
    try:
        import atheris  # noqa: F401 - imported only to learn whether it is installed
    except ImportError:
        return None
    # A crash leaves its input in the working folder (libFuzzer's crash-* file).
    with tempfile.TemporaryDirectory() as folder:
        corpus = Path(folder, "corpus")
        corpus.mkdir()
        for index, seed in enumerate(SEEDS[:3]):
            # The harness reads one byte for the status, then the Retry-After, then the body.
            (corpus / f"page{index}").write_bytes(b"\x00" + seed)
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.stress.fuzz_atheris",
                f"-max_total_time={int(seconds)}",
                str(corpus),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
    # libFuzzer ends with "Done N runs in S second(s)" on its standard error.
    done = re.search(r"Done (\d+) runs", result.stderr)
    if done is None:
        raise RuntimeError(f"atheris said nothing of its runs:\n{result.stderr[-2000:]}")
    return int(done.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--write", type=Path, help="update the figures in this page")
    args = parser.parse_args()
    cases = fuzz(args.seconds, args.seed)
    counts = other_figures(args.seed)
    atheris_runs = run_atheris(args.seconds)
    print(json.dumps({"seconds": args.seconds, "seed": args.seed, "cases": cases, **counts}))
    if args.write is not None:
        text = args.write.read_text()
        start = text.index("<!-- fuzz -->")
        end = text.index("<!-- /fuzz -->")
        rows = [
            (
                "bodies drawn from both revisions of the contract, validated, decoded and "
                "round-tripped",
                f"{counts['generated']:,}",
            ),
            (
                "fields mutated the ways the contract has drifted (new fields, new enum values, "
                "ints widened, optional fields removed), all decoded",
                f"{counts['mutations']:,}",
            ),
            (
                "hostile 200 bodies, each a `ResponseDecodeError` after one request "
                "(`tests/core/test_hostile.py`)",
                str(counts["hostile"]),
            ),
            (
                f"random answers fuzzed through the response handling in {args.seconds:g} s",
                f"{cases:,}",
            ),
            (
                "answers that raised anything but a page or a `PolarError` (the run stops at "
                "the first)",
                "0",
            ),
            (
                f"inputs run by atheris (coverage-guided, libFuzzer) in {args.seconds:g} s",
                "not installed" if atheris_runs is None else f"{atheris_runs:,}",
            ),
            (
                "messages, reprs and log records searched for the token (a walk through every "
                "fault)",
                f"{counts['leak_texts']:,}",
            ),
            ("token leaks found", str(counts["leaks"])),
        ]
        table = "\n".join(f"| {label} | {value} |" for label, value in rows)
        figures = f"""<!-- fuzz -->
Figures of the last `nox -s fuzz` (seed {args.seed}):

| figure | count |
|---|---|
{table}

Every fuzzing choice is drawn by Hypothesis (`st.randoms`), so a failure shrinks and replays:
mutated pages and error bodies (bit flips, cuts, inserted JSON tokens, duplicated runs, deep
nesting) with random statuses and `Retry-After` headers. The two crashes it found
(`RecursionError` on deep nesting, `UnicodeDecodeError` on invalid UTF-8) are fixed and kept
as regression tests in `tests/core/test_fuzz.py`, as is the one atheris found (a `Retry-After` of
non-ASCII digits such as `➅` passed `str.isdigit()` and then failed `float()`). atheris
(`tests/stress/fuzz_atheris.py`) starts from three real pages and mutates status, `Retry-After`
and body under coverage guidance.
"""
        args.write.write_text(text[:start] + figures + text[end:])


if __name__ == "__main__":
    main()
