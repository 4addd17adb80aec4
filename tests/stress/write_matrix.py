"""The write fault matrix: each seat write x each fault point x each state of the seats,
against the fake Polar, with what the library returned and what the fake holds afterwards.

``tests/seats/test_write_matrix.py`` runs it in the suite and checks its invariants (no duplicate
seat, no wrong revocation, no duplicate email, no second charge, no pending change lost,
every unknown outcome reported as ``OutcomeUnknownError``, every success really done, every
other error really not done),
and that ``docs/reliability.md`` shows the table it produces. ``python -m
tests.stress.write_matrix --write docs/reliability.md`` writes the table into that page.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from pathlib import Path

import polar_seats as ps
from polar_seats.testing import BillingCustomer, FakePolarServer, Fault, FaultPlan, set_testing
from polar_seats.testing._resources.seats import _legacy_target, _place  # pyright: ignore[reportPrivateUsage]

ADA = "ada@example.com"
OTHER = "bob@example.com"
MARKER = "## Writes under faults"
"""Where the matrix's section of ``docs/reliability.md`` starts; it runs to the end."""

FAULTS: dict[str, Fault | None] = {
    "none": None,
    "reset before": Fault.reset(),
    "reset after": Fault.reset().after(),
    "502 after": Fault.proxy_html(502).after(),
    "429": Fault.rate_limited("0"),
}
"""Where the write's request fails: the connection drops before the route runs (nothing
done) or after (done, answer lost), a proxy's 502 once it ran, or Polar's 429."""


@dataclasses.dataclass(frozen=True)
class Case:
    write: str
    state: str
    fault: str


@dataclasses.dataclass
class Outcome:
    case: Case
    result: str
    """What the call returned (the seat's status) or raised (the error's class)."""
    requests: list[str]
    """The requests the fake received for the call, in order (``POST DELETE GET``)."""
    done: bool
    """Whether this call changed the fake's state as the write asks."""
    goal: bool
    """Whether the state the write asks for holds afterwards (Ada holds one seat; Ada's
    seat is revoked, or claimed; the invitation went out)."""
    live_seats: int
    """Live seats of the person concerned afterwards (assign: Ada)."""
    wrong_revocations: int
    """Seats of someone else than Ada revoked during the call (the fake's revoke events)."""
    emails: int
    """Invitation emails the call sent."""
    seats: str
    """The subscription's seat count afterwards, and its pending change (``3→5``)."""
    charges: int
    """Seat increases the call charged at once."""

    @property
    def unknown(self) -> bool:
        return self.result == "OutcomeUnknownError"

    @property
    def succeeded(self) -> bool:
        return not self.result.endswith("Error")

    def problems(self) -> list[str]:
        """What this outcome breaks of the guarantees (nothing, when all is well)."""
        found = []
        if self.live_seats > 1:
            found.append(f"{self.live_seats} live seats for one person")
        if self.wrong_revocations:
            found.append(f"{self.wrong_revocations} wrong revocations")
        if self.emails > 1:
            found.append(f"{self.emails} emails")
        if self.charges > 1:
            found.append(f"charged {self.charges} times")
        if self.succeeded and not self.goal:
            found.append("reported done, but not so")
        if not self.succeeded and not self.unknown and self.done:
            found.append(f"raised {self.result}, but it was done")
        return found


# The states, each with the write it runs -----------------------------------------------


@dataclasses.dataclass
class World:
    server: FakePolarServer
    billing: BillingCustomer
    client: ps.AsyncClient

    def live(self, email: str) -> int:
        return sum(s.email == email and s.status != "revoked" for s in self.server.state.seats)

    async def assign(self, email: str) -> ps.CustomerSeat:
        return await self.client.assign_seat(
            subscription_id=self.billing.subscription_id, email=email
        )


Setup = Callable[[World], Awaitable[object]]
Write = Callable[[World, object], Awaitable[object]]


async def _nothing(world: World) -> object:
    return None


async def _fill(world: World) -> object:
    """Every seat but one taken by someone else."""
    for n in range(world.billing.subscription.seats - 1):
        await world.assign(f"filler{n}@example.com")
    return None


async def _fill_all(world: World) -> object:
    await _fill(world)
    return await world.assign(OTHER)


async def _ada_holds_one(world: World) -> object:
    return await world.assign(ADA)


async def _assign_ada(world: World, _: object) -> object:
    return await world.assign(ADA)


async def _revoke_given(world: World, seat: object) -> object:
    assert isinstance(seat, ps.CustomerSeat)
    return await world.client.revoke_seat(seat)


async def _revoke_by_id(world: World, seat: object) -> object:
    assert isinstance(seat, ps.CustomerSeat)
    return await world.client.revoke_seat(seat.id)


async def _resend(world: World, seat: object) -> object:
    assert isinstance(seat, ps.CustomerSeat)
    return await world.client.resend_invitation(seat)


async def _claim(world: World, seat: object) -> object:
    return await world.client.claim_seat(world.server.outbox[-1].token)


async def _invoiced(world: World) -> object:
    """The organization charges a seat increase at once."""
    world.billing.organization.proration_behavior = "invoice"
    return None


async def _next_period(world: World) -> object:
    """The organization's changes wait for the period's end."""
    world.billing.organization.proration_behavior = "next_period"
    return None


async def _pending_five(world: World) -> object:
    """A change to 5 seats waits for the period's end."""
    await _next_period(world)
    return await world.client.update_seats(world.billing.subscription_id, 5)


async def _full_invoiced(world: World) -> object:
    await _invoiced(world)
    return await _fill_all(world)


async def _five_seats(world: World, _: object) -> object:
    return await world.client.update_seats(world.billing.subscription_id, 5)


async def _three_seats(world: World, _: object) -> object:
    return await world.client.update_seats(world.billing.subscription_id, 3)


async def _add_seat_for_ada(world: World, _: object) -> object:
    return await world.client.assign_seat(
        subscription_id=world.billing.subscription_id, email=ADA, add_seat_if_full=True
    )


STATES: dict[str, tuple[Setup, int]] = {
    "free seats": (_nothing, 3),
    "last seat": (_fill, 3),
    "no seat left": (_fill_all, 3),
    "already assigned": (_ada_holds_one, 3),
    "reused in between": (_ada_holds_one, 3),
    "invoiced now": (_invoiced, 3),
    "next period": (_next_period, 3),
    "5 pending": (_pending_five, 3),
    "full, invoiced now": (_full_invoiced, 3),
}
"""How the seats stand before the write: set up, and the subscription's seat count."""

WRITES: dict[str, tuple[Write, tuple[str, ...], int]] = {
    "assign": (_assign_ada, ("free seats", "last seat", "no seat left", "already assigned"), 1),
    "revoke": (_revoke_given, ("already assigned", "reused in between"), 1),
    "revoke by id": (_revoke_by_id, ("already assigned", "reused in between"), 1),
    "resend": (_resend, ("already assigned",), 1),
    "claim": (_claim, ("already assigned",), 1),
    "seats to 5": (_five_seats, ("invoiced now", "next period"), 1),
    "seats to 3": (_three_seats, ("5 pending",), 1),
    "assign, add seat": (_add_seat_for_ada, ("full, invoiced now",), 3),
}
"""Each write, the states it runs in, and which of its requests the fault hits (revoke,
resend and claim act on Ada's seat; in "reused in between", Bob is given the row as soon as
it is revoked; "seats to 3" asks for the count it has, which cancels the pending change;
"assign, add seat" is refused for want of a seat, reads the seats, then buys one: its
fault hits the purchase)."""


def cases() -> list[Case]:
    return [
        Case(write, state, fault)
        for write, (_, states, _) in WRITES.items()
        for state in states
        for fault in FAULTS
    ]


def _claimed(world: World) -> bool:
    return any(s.email == ADA and s.status == "claimed" for s in world.server.state.seats)


def _count(world: World) -> str:
    """The subscription's seat count, and its pending change: ``3``, ``3→5``."""
    body = world.billing.subscription.body
    pending = body.get("pending_update")
    return f"{body['seats']}" + (f"→{pending['seats']}" if pending else "")


def _judge(
    case: Case, world: World, live: int, claimed: bool, emails: int, count: str
) -> tuple[bool, bool]:
    """(done, goal): whether the call changed the state as asked, and whether the state
    asked for holds, from Ada's live seats, her claim and the seat count before the call."""
    now = world.live(ADA)
    if case.write.startswith("seats to"):
        asked = case.write.removeprefix("seats to ")
        goal = _count(world) in (asked, f"3→{asked}")
        return goal and _count(world) != count, goal
    if case.write == "assign, add seat":
        goal = now == 1 and _count(world) == "4"
        return goal, goal
    if case.write == "assign":
        return now > live, now == 1
    if case.write.startswith("revoke"):
        return live > now, now == 0
    if case.write == "claim":
        return _claimed(world) and not claimed, _claimed(world)
    return emails >= 1, emails >= 1


def reuse_on_revoke(server: FakePolarServer, billing: BillingCustomer) -> None:
    """Someone else gets the row the moment it is revoked, before the lost answer is seen:
    the fake's own assign steps, run at once (a listener cannot wait for the lock)."""

    def listener(event: str, body: object) -> None:
        if event == "customer_seat.revoked" and not reused:
            reused.append(True)
            values = {"email": OTHER}
            target = _legacy_target(server.state, billing.subscription, values)
            _place(server.state, billing.subscription, *target, values)

    reused: list[bool] = []
    server.state.listeners.append(listener)


async def run_case(case: Case) -> Outcome:
    setup, seats = STATES[case.state]
    write, _, at = WRITES[case.write]
    async with FakePolarServer(count=1) as server:
        billing = server.add_billing_customer(seats=seats)
        async with ps.AsyncClient(billing.token, base_url=server.url, rate_limit=None) as client:
            world = World(server, billing, client)
            prepared = await setup(world)  # the seat as the caller last saw it
            if case.state == "reused in between":
                reuse_on_revoke(server, billing)
            revoked: list[object] = []
            server.state.listeners.append(
                lambda event, seat: (
                    revoked.append(seat["customer_email"])
                    if event == "customer_seat.revoked"
                    else None
                )
            )
            mails, first = len(server.outbox), len(server.requests)
            live, claimed, count = world.live(ADA), _claimed(world), _count(world)
            charges = len(server.charges)
            fault = FAULTS[case.fault]
            server.faults = FaultPlan({at: fault} if fault is not None else {})
            try:
                returned = await write(world, prepared)
                result = (
                    returned.seat.status
                    if isinstance(returned, ps.SeatClaim)
                    else type(returned).__name__
                    if isinstance(returned, ps.SubscriptionFields)
                    else getattr(returned, "status", type(returned).__name__)
                )
            except ps.PolarError as error:
                result = type(error).__name__
            server.faults = None
            requests = [record.method for record in server.requests[first:]]
            wrong = sum(email != ADA for email in revoked)
            emails = len(server.outbox) - mails
            done, goal = _judge(case, world, live, claimed, emails, count)
            charged = len(server.charges) - charges
            return Outcome(
                case,
                str(result),
                requests,
                done,
                goal,
                world.live(ADA),
                wrong,
                emails,
                _count(world),
                charged,
            )


async def run_matrix() -> list[Outcome]:
    with set_testing(True):
        return [await run_case(case) for case in cases()]


_COLUMNS = [
    "write",
    "state",
    "fault",
    "result",
    "requests",
    "done",
    "Ada's live seats",
    "wrong revocations",
    "emails",
    "seats",
    "charges",
]
_HEADER = f"| {' | '.join(_COLUMNS)} |\n|{'---|' * len(_COLUMNS)}"


def render(outcomes: list[Outcome]) -> str:
    rows = "\n".join(
        f"| {o.case.write} | {o.case.state} | {o.case.fault} | {o.result} | "
        f"{' '.join(o.requests)} | {'yes' if o.done else 'no'} | {o.live_seats} | "
        f"{o.wrong_revocations} | {o.emails} | {o.seats} | {o.charges} |"
        for o in outcomes
    )
    return f"""{MARKER}

Polar's writes carry no idempotency key, so a write whose answer is lost cannot simply be
sent again: a resent assign meets `SeatAlreadyAssigned` (or takes the last seat from
someone), a resent revoke can remove the next person given the reused row, a resent
invitation is a second email, and a claim works once. Each write is therefore resent by the
retry layer only when Polar cannot have run it (a 429, a connection that never opened), and
after an unknown outcome does what is safe for it:

- **assign** reads the seats: a live seat of the same person is the result; if there is
  none, the assign is sent again;
- **revoke** (given the `CustomerSeat`, or its id with `subscription_id=`, looked up
  first) re-reads the row: revoked is the result; the same occupant, it is sent again;
  someone else, `OutcomeUnknownError` and nobody revoked. With an id alone there is
  nothing to compare: `OutcomeUnknownError`;
- **resend** and **claim** are never sent twice: `OutcomeUnknownError`;
- **a seat count** (`update_seats()`) reads the subscription: the count asked for (or a
  pending change to it) is the result; the count it had, with no change pending to it,
  and the change is sent again; anything else, `OutcomeUnknownError`. A 402 is never
  resent: Polar rolled the change back, and a resend could charge;
- **assign with `add_seat_if_full=True`**, refused for want of a free seat, reads the seats
  and buys one with that seat count change, to the count it read plus one, so a resend
  can never buy a second; then assigns again.

Every resend, after a 429 or after such a check, is an attempt of the client's retry
policy, as a read's retry is: it counts in `max_attempts`, draws on the retry budget,
stops at the deadline, and reaches `on_retry` and the log.

aiohttp itself would send a `DELETE` once more when its connection drops before the
answer, unseen by any retry count; polar-seats stops that resend for every request (a read
is resent by its retry policy instead, and counted), so the revoke below with `reset after`
reached the fake once.

`python -m tests.stress.write_matrix --write docs/reliability.md` runs every case against the fake
Polar (a subscription of 3 seats; faults hit the write's own request: `reset before` drops
the connection before the route runs, `reset after` and `502 after` once it ran, `429` is
Polar's limiter) and writes this table; `tests/seats/test_write_matrix.py` runs it in the suite,
checks it against this page, and checks every row: 0 duplicate seats, 0 wrong revocations,
0 duplicate emails, at most one charge, every success done (a pending change asked for is
there), every other error not done, and every unknown outcome reported as
`OutcomeUnknownError`. "seats" is the count afterwards, `3→5` when a change to 5 waits for
the period's end; "charges", the seat increases charged at once by the call.

{_HEADER}
{rows}
"""


def write_page(path: Path, section: str) -> None:
    """Put ``section`` in place of the page's matrix section (or at its end)."""
    text = path.read_text()
    head = text.split(MARKER)[0].rstrip("\n")
    path.write_text(f"{head}\n\n{section}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, help="write the matrix into this page")
    args = parser.parse_args()
    outcomes = asyncio.run(run_matrix())
    section = render(outcomes)
    if args.write is not None:
        write_page(args.write, section)
    print(section)
    bad = [(o.case, o.problems()) for o in outcomes if o.problems()]
    for case, problems in bad:
        print(f"FAILED {case}: {', '.join(problems)}")
    raise SystemExit(1 if bad else 0)


if __name__ == "__main__":
    main()
