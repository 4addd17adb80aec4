"""The performance page, around the tables a run produced."""

from __future__ import annotations

from pathlib import Path

NOTES = Path(__file__).with_name("notes.md")


def render(
    *,
    machine: str,
    reps: int,
    sdk032: bool,
    default: str,
    frozen: str,
    memory: str,
    verdicts: str,
    frozen_verdicts: str,
) -> str:
    sdk032_line = (
        "polar-sdk 0.32.0 (the `polar_sdk` package) was installed beside polar-sdk 1.0.2 (the "
        "`polar` package), in a folder of its own."
        if sdk032
        else "polar-sdk 0.32.0 could not be installed beside 1.0.2 on this run: it is left out."
    )
    return f"""# Performance

Produced by `nox -s bench` (`python -m benchmarks.run`); do not edit the tables by hand.

## How it is measured

Each benchmark server runs in a process of its own and assembles its answers from
pre-encoded pieces, so it is not what is measured; one of them waits 20 ms before each answer,
as the real API is across the internet. Every figure is the median of {reps} runs after one
warm-up run, and every run's items are checked (count and ids) before its time counts. The
clients of a benchmark take turns, one run each, starting from a different one every round,
so a stretch where this shared machine runs slow weighs on all of them alike. All clients
run in the same process under the same garbage-collector policy:
first the whole suite with the collector frozen after warm-up (`gc.freeze()`), then again with
Python's defaults, which is what users run with. polar_seats runs with `rate_limit=None`: its
pacing to Polar's 500 requests a minute would otherwise be what is measured, and the official
SDKs do not pace at all. The listings hold the current price kinds every client can read:
polar-sdk 0.32.0 fails a whole page on the `unit_based` and `metered_tiers` prices of the newer
contract. Legacy prices (those of products made before Polar's current price model) send a
page down polar_seats's slower decoding path, so (5b) times a page where a third of the items
carry one. Every answer carries the `Polar-Version` asked for; (1b) walks (1)'s listing asking
for 2026-10 and for 2027-01, in turns: the same items and prices, a quarter of the items with
a seat-based price, which 2027-01 sends as `tiers`, `minimum_units` and `maximum_units` instead
of `seat_tiers`.
{sdk032_line}

(7) and (8) make (4)'s 2,000 calls through `for_customer(external_customer_id=...)` for 500
customers, the client minting each customer's session with `POST /v1/customer-sessions/`,
which the server answers from a pre-encoded template with a fresh token each time and counts
by organization token. They take turns with (4)'s `with_token()` client (a new client a run)
and the raw floor. (7) keeps one client open whose 500 sessions were minted before anything
was timed; "with_token, one client kept open" is that same client's `with_token()`, the
like-for-like figure, since a client kept open also keeps its connections. (8) makes a new
client, so an empty session cache, every run. The server's counts are checked: no mint in
(7)'s timed runs, exactly 500 in each of (8)'s.

"polar-sdk 1.0.2 ÷ this" is how many times faster than polar-sdk 1.0.2 (for the many-token
benchmark, used at its best: one client and `request_access_token=` per call); "this ÷ floor"
is the time relative to the raw aiohttp + msgspec floor written in the benchmark (sequential
for the walks; below 1 is faster than the floor).

Machine: {machine}.

## Targets, with Python's default collector

{verdicts}

With the collector frozen after warm-up:

{frozen_verdicts}

## Python's default collector
{default}

## Collector frozen after warm-up
{frozen}

## Peak memory

How far one walk raised the resident size of a fresh process at its peak (`VmHWM`, reset
just before the walk), `limit=100`, default garbage collector.
{memory}

{NOTES.read_text()}"""
