"""The synchronous Client over HTTP against the fake, which answers from a thread of its own."""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import polar_seats as ps
from polar_seats.testing import (
    DEFAULT_ORGANIZATION_TOKEN,
    FakePolarServer,
    Fault,
    FaultPlan,
    serve_in_thread,
)

ROOT = Path(__file__).resolve().parents[2]
MINT_PATH = "/v1/customer-sessions/"


@pytest.fixture
def server() -> Iterator[FakePolarServer]:
    """A fake with 250 subscriptions, in a thread."""
    with serve_in_thread(FakePolarServer(count=250)) as fake:
        yield fake


def client_of(server: FakePolarServer, **options: Any) -> ps.Client:
    options.setdefault("rate_limit", None)
    return ps.Client(server.token, base_url=server.url, **options)


def wait_until(condition: Callable[[], bool], within: float = 10.0) -> None:
    """Poll ``condition`` until it holds or ``within`` seconds pass; the caller asserts."""
    for _ in range(round(within / 0.005)):
        if condition():
            return
        time.sleep(0.005)


def test_operations_return_what_the_async_client_returns(server: FakePolarServer) -> None:
    """A page, a walk, its pages and a raw request, as plain calls."""
    with client_of(server) as client:
        page = client.list_claimed_subscriptions(limit=5)
        walked = [sub.id for sub in client.iter_claimed_subscriptions(limit=20)]
        pages = client.iter_claimed_subscriptions(limit=50).pages()
        paged = [sub.id for page_of_50 in pages for sub in page_of_50.items]
        raw = client.request("GET", "/v1/customer-portal/seats/subscriptions")
    assert [sub.id for sub in page.items] == [s["id"] for s in server.subscriptions[:5]]
    assert walked == paged == [s["id"] for s in server.subscriptions]
    assert raw["pagination"]["total_count"] == 250
    assert client.closed


def test_errors_are_the_async_clients(server: FakePolarServer) -> None:
    """A bad argument is refused before a request; Polar's refusal raises its error."""
    with client_of(server) as client:
        with pytest.raises(ps.InvalidArgumentError, match="limit"):
            client.list_claimed_subscriptions(limit=0)
        with pytest.raises(ps.InvalidArgumentError, match="token"):
            client.with_token("")
        with pytest.raises(ps.AuthenticationError):
            client.with_token("polar_cst_unknown").list_claimed_subscriptions()
    assert len(server.requests) == 1


def test_a_session_is_refused_with_a_sentence() -> None:
    """Client(session=...) says why and what to pass instead."""
    with pytest.raises(TypeError, match="belongs to one event loop"):
        ps.Client("polar_cst_x", session=object())  # type: ignore[arg-type]


def test_closed_client_refuses_calls_and_repr_says_so(server: FakePolarServer) -> None:
    """After close(), a call raises ClientClosedError; close() twice is fine."""
    client = client_of(server)
    view = client.with_token(server.token)
    assert repr(client) == f"<Client {server.url} opened>"
    client.close()
    client.close()
    view.close()
    assert repr(view) == f"<Client view {server.url} closed>"
    with pytest.raises(ps.ClientClosedError, match="create a new one"):
        view.list_claimed_subscriptions()
    assert server.requests == []


def test_threads_share_one_client_and_mint_once_per_customer(server: FakePolarServer) -> None:
    """20 threads, 5 customers: every item once per walk, one session minted per customer."""
    for number in range(5):
        server.add_customer(external_id=f"user-{number}", subscriptions=30)
    results: dict[int, list[str]] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(20)
    client = ps.Client(
        organization_token=DEFAULT_ORGANIZATION_TOKEN, base_url=server.url, rate_limit=None
    )

    def work(number: int) -> None:
        try:
            me = client.for_customer(external_customer_id=f"user-{number % 5}")
            start.wait()
            results[number] = [sub.id for sub in me.iter_claimed_subscriptions(limit=7)]
        except BaseException as error:  # pragma: no cover - reported by the assertion
            errors.append(error)

    with client:
        threads = [threading.Thread(target=work, args=(n,)) for n in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert all(len(ids) == len(set(ids)) == 30 for ids in results.values())
    assert len(results) == 20
    assert server.sessions_minted() == 5
    assert len([r for r in server.requests if r.path == MINT_PATH]) == 5


def test_twenty_threads_calling_for_one_customer_mint_one_session(
    server: FakePolarServer,
) -> None:
    """The first calls of 20 threads for one customer, all at once, share one mint."""
    server.add_customer(external_id="user-1", subscriptions=2)
    start = threading.Barrier(20)
    totals: list[int] = []
    with ps.Client(
        organization_token=DEFAULT_ORGANIZATION_TOKEN, base_url=server.url, rate_limit=None
    ) as client:

        def call() -> None:
            me = client.for_customer(external_customer_id="user-1")
            start.wait()
            totals.append(me.list_claimed_subscriptions().pagination.total_count)

        threads = [threading.Thread(target=call) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert totals == [2] * 20
    assert server.sessions_minted() == 1


def test_a_call_from_a_coroutine_is_refused(server: FakePolarServer) -> None:
    """A blocking call inside a running loop raises EventLoopError naming AsyncClient."""

    async def inside() -> None:
        client.list_claimed_subscriptions()

    with client_of(server) as client, pytest.raises(ps.EventLoopError, match="AsyncClient"):
        asyncio.run(inside())
    assert server.requests == []


def test_a_call_from_the_clients_own_thread_is_refused(server: FakePolarServer) -> None:
    """An on_retry hook calling back into the client gets EventLoopError, not a deadlock."""
    refused: list[BaseException] = []

    def on_retry(event: ps.RetryEvent) -> None:
        try:
            client.list_claimed_subscriptions()
        except ps.EventLoopError as error:
            refused.append(error)

    server.faults = FaultPlan(pages={1: [Fault.server_error(503)]})
    retry = ps.RetryPolicy(on_retry=on_retry)
    with client_of(server, retry=retry) as client:
        page = client.list_claimed_subscriptions()
        with pytest.raises(ps.EventLoopError, match="own event loop"):
            client._engine.run(_close_from(client))
    assert page.pagination.total_count == 250
    assert len(refused) == 1
    assert "code its own event loop runs" in str(refused[0])


async def _close_from(client: ps.Client) -> None:
    client.close()


def test_a_notebook_cell_may_call_it(
    server: FakePolarServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In an IPython kernel's main thread, a call from the running loop is allowed."""
    kernel = types.SimpleNamespace(kernel=object())
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: kernel))

    async def cell() -> int:
        return client.list_claimed_subscriptions().pagination.total_count

    with client_of(server) as client:
        assert asyncio.run(cell()) == 250


def test_a_walk_left_after_one_item_sends_one_request(server: FakePolarServer) -> None:
    """A bare break costs the first page only, with the default prefetch of 8."""
    with client_of(server) as client:
        for _ in client.iter_claimed_subscriptions(limit=10):
            break
        for _ in client.iter_claimed_subscriptions(limit=10).pages():
            break
        client.list_claimed_subscriptions()  # runs after any cleanup the breaks posted
    assert [r.query["page"] for r in server.requests[:2]] == ["1", "1"]
    assert len(server.requests) == 3


def test_a_walk_prefetches_from_the_second_page(server: FakePolarServer) -> None:
    """Slow pages are fetched several at once, and items still come in page order."""
    server.faults = FaultPlan(rate=1.0, choices=[Fault.slow_body(0.05)])
    with client_of(server, concurrency=4) as client:
        ids = [sub.id for sub in client.iter_claimed_subscriptions(limit=25)]
    assert ids == [s["id"] for s in server.subscriptions]
    assert server.peak_in_flight == 4


def test_closing_a_walk_cancels_the_pages_ahead(server: FakePolarServer) -> None:
    """close() on a half-read walk ends the stalled pages fetched ahead."""
    server.faults = FaultPlan(pages={page: [Fault.stall(30.0)] for page in range(4, 26)})
    with client_of(server, concurrency=4) as client:
        with client.iter_claimed_subscriptions(limit=10) as walk:
            # Into page 3: the walk is 4 pages ahead by then (1, 2, 4 as it ramps up).
            ids = [next(walk).id for _ in range(21)]
            wait_until(lambda: server.in_flight == 4)
            assert server.in_flight == 4
        wait_until(lambda: server.in_flight == 0)
        assert server.in_flight == 0
        with pytest.raises(RuntimeError, match="already started"):
            walk.pages()
    assert ids == [s["id"] for s in server.subscriptions[:21]]


def test_a_timeout_ends_the_request(server: FakePolarServer) -> None:
    """A call's timeout raises PolarTimeoutError and leaves nothing running at the server."""
    server.faults = FaultPlan(pages={1: [Fault.stall(30.0)]})
    with client_of(server, retry=None) as client:
        with pytest.raises(ps.PolarTimeoutError):
            client.list_claimed_subscriptions(timeout=0.2)
        wait_until(lambda: server.in_flight == 0)
        assert server.in_flight == 0


def test_ctrl_c_cancels_the_request_in_flight(server: FakePolarServer) -> None:
    """KeyboardInterrupt while waiting cancels the call's task and its request."""
    server.faults = FaultPlan(pages={1: [Fault.stall(30.0)]})

    def interrupt() -> None:
        wait_until(lambda: server.in_flight == 1)
        os.kill(os.getpid(), signal.SIGINT)

    with client_of(server, retry=None) as client:
        threading.Thread(target=interrupt).start()
        with pytest.raises(KeyboardInterrupt):
            client.list_claimed_subscriptions()
        wait_until(lambda: server.in_flight == 0)
        assert server.in_flight == 0
        assert client.list_claimed_subscriptions(page=2).pagination.total_count == 250


def test_close_while_calls_are_in_flight(server: FakePolarServer) -> None:
    """Threads waiting on stalled calls get ClientClosedError; nothing is left running."""
    server.faults = FaultPlan(rate=1.0, choices=[Fault.stall(30.0)])
    client = client_of(server, retry=None)
    raised: list[BaseException] = []

    def call() -> None:
        try:
            client.list_claimed_subscriptions()
        except ps.PolarError as error:
            raised.append(error)

    threads = [threading.Thread(target=call) for _ in range(3)]
    for thread in threads:
        thread.start()
    wait_until(lambda: server.in_flight == 3)
    client.close()
    for thread in threads:
        thread.join()
    assert [type(error) for error in raised] == [ps.ClientClosedError] * 3
    assert "closed while the call was running" in str(raised[0])
    wait_until(lambda: server.in_flight == 0)
    assert server.in_flight == 0


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork() is POSIX's")
def test_a_forked_child_gets_its_own_loop_and_the_parent_keeps_working(
    server: FakePolarServer,
) -> None:
    """Parent and child both call the client after a fork; neither stalls, and the child
    closing its client leaves the parent's sockets registered with their shared epoll."""
    with client_of(server, timeout=10.0) as client:
        before = client.list_claimed_subscriptions(limit=3)
        reader, writer = os.pipe()
        child = os.fork()
        if child == 0:  # pragma: no cover - the child's result goes through the pipe
            status = 1
            try:
                page = client.list_claimed_subscriptions(limit=4)
                total = sum(1 for _ in client.iter_claimed_subscriptions(limit=100))
                client.close()  # the child's own loop; what it inherited stays untouched
                gc.collect()
                os.write(writer, f"{len(page.items)} {total}".encode())
                status = 0
            finally:
                os._exit(status)
        os.close(writer)
        _, status = os.waitpid(child, 0)
        with os.fdopen(reader) as answer:
            said = answer.read()
        after = client.list_claimed_subscriptions(limit=5)
    assert os.waitstatus_to_exitcode(status) == 0
    assert said == "4 250"
    assert [len(before.items), len(after.items)] == [3, 5]


def test_interpreter_exit_without_close_is_quiet(server: FakePolarServer) -> None:
    """A script that never closes its Client, nor a walk it left, exits with no warnings."""
    script = textwrap.dedent(
        f"""
        import polar_seats as ps

        client = ps.Client({server.token!r}, base_url={server.url!r})
        client.list_claimed_subscriptions()
        walk = client.iter_claimed_subscriptions(limit=10)
        next(walk)
        print("done")
        """
    )
    run = subprocess.run(
        [sys.executable, "-W", "default", "-X", "dev", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (run.returncode, run.stdout, run.stderr) == (0, "done\n", "")


def test_the_testing_kits_fixtures(
    polar_fake_server_thread: FakePolarServer, polar_sync_client: ps.Client
) -> None:
    """The sync fixtures: the fake in a thread, and a Client of it."""
    assert polar_sync_client.base_url == polar_fake_server_thread.url
    page = polar_sync_client.list_claimed_subscriptions()
    assert page.pagination.total_count == 25


def test_the_generated_client_is_fresh() -> None:
    """polar_seats/_sync_client.py is what scripts/generate_sync.py writes today (the
    generator formats with ruff, which `nox -s tests` installs)."""
    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "generate_sync.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_seat_lifecycle_through_plain_calls(server: FakePolarServer) -> None:
    """Mint, introspect, assign, list, resend, claim info, claim and revoke, as the async
    client does them."""
    billing = server.add_billing_customer(seats=2)
    with ps.Client(
        organization_token=DEFAULT_ORGANIZATION_TOKEN, base_url=server.url, rate_limit=None
    ) as org:
        minted = org.create_customer_session(customer_id=billing.customer.id)
        info = org.with_token(minted.token).introspect_session()
        seat = org.assign_seat(subscription_id=billing.subscription_id, email="ada@x.test")
        listed = org.list_seats(subscription_id=billing.subscription_id)
        org.resend_invitation(seat)
        token = server.outbox[-1].token
        claim_info = org.get_claim_info(token)
        claimed = org.claim_seat(token)
        revoked = org.revoke_seat(claimed.seat)
    assert info.expires_at == minted.expires_at
    assert [s.id for s in listed.seats] == [seat.id]
    assert claim_info.customer_email == "ada@x.test"
    assert revoked.status == ps.SeatStatus.REVOKED


def test_settings_read_through_to_the_async_client(server: FakePolarServer) -> None:
    """The properties are AsyncClient's, for the client and for a view of a view."""
    with client_of(server, concurrency=3, timeout=7.0, rate_limit=100) as client:
        view = client.with_token(server.token).with_token(server.token)
        assert (view.server, view.concurrency, view.timeout.total) == ("production", 3, 7.0)
        assert view.retry == ps.RetryPolicy()
        assert view.polar_version == client.polar_version
        assert view.max_body_size == client.max_body_size
        assert view.rate_limit == ps.RateLimit(100)
        assert view.list_claimed_subscriptions().pagination.total_count == 250


def test_a_client_never_used_closes_cleanly() -> None:
    """close() with no call made ends a loop started only to close it."""
    client = ps.Client("polar_cst_x", base_url="http://127.0.0.1:9")
    client.close()
    assert client.closed


def test_a_walk_after_close_ends_quietly(server: FakePolarServer) -> None:
    """A walk left open past the client's close() is dropped without a warning."""
    client = client_of(server)
    walk = client.iter_claimed_subscriptions(limit=10)
    next(walk)
    client.close()
    del walk
    gc.collect()
    walk = client.iter_claimed_subscriptions(limit=10)
    walk.close()  # never started: nothing to do
    with pytest.raises(ps.ClientClosedError):
        next(walk)


def test_a_walk_read_to_its_end_stays_ended(server: FakePolarServer) -> None:
    """After the last page, next() raises StopIteration again; pages() then is refused."""
    with client_of(server) as client:
        walk = client.iter_claimed_subscriptions(limit=100, max_items=150)
        assert len(list(walk)) == 150
        with pytest.raises(StopIteration):
            next(walk)
        walk.close()
        with pytest.raises(RuntimeError, match="already started"):
            walk.pages()
        paged = client.iter_claimed_subscriptions(limit=100)
        pages = paged.pages()
        next(pages)
        with pytest.raises(RuntimeError, match="a page at a time"):
            next(paged)
    assert len(server.requests) == 3


def test_a_call_from_a_coroutine_of_another_thread_is_refused_in_a_notebook_too(
    server: FakePolarServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the kernel's main thread may block: a loop in another thread is the user's."""
    kernel = types.SimpleNamespace(kernel=object())
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: kernel))
    refused: list[BaseException] = []

    async def inside() -> None:
        with pytest.raises(ps.EventLoopError) as caught:
            client.list_claimed_subscriptions()
        refused.append(caught.value)

    with client_of(server) as client:
        thread = threading.Thread(target=asyncio.run, args=(inside(),))
        thread.start()
        thread.join()
    assert len(refused) == 1


def test_a_cancelled_call_stays_a_cancellation(server: FakePolarServer) -> None:
    """A call whose task is cancelled while the client is open raises CancelledError."""

    async def cancelled() -> None:
        raise asyncio.CancelledError

    with client_of(server) as client, pytest.raises(asyncio.CancelledError):
        client._run(cancelled())


def test_after_a_fork_the_engine_starts_afresh(server: FakePolarServer) -> None:
    """What a forked child does, in this process: a new loop and AsyncClient on first use,
    the old ones kept untouched (stopped here by the test, as the child never does)."""
    from polar_seats import _sync

    never_used = client_of(server)
    with client_of(server) as client:
        view = client.with_token(server.token)
        client.list_claimed_subscriptions()
        first = client._engine.runtime
        old = view._target()
        _sync._after_fork_in_child()
        try:
            assert view.list_claimed_subscriptions().pagination.total_count == 250
            assert view._target() is not old
            assert client._engine.runtime is not first
        finally:
            for holder, _ in _sync._inherited:  # type: ignore[misc]
                holder.runtime.stop()  # type: ignore[attr-defined]
                holder.runtime.stop()  # type: ignore[attr-defined]  # stopped already
            _sync._inherited.clear()
    never_used.close()


def test_a_client_dropped_unused_is_collected_quietly() -> None:
    """A Client never used nor closed is collected with no thread to stop, no warning."""
    client = ps.Client("polar_cst_x", base_url="http://127.0.0.1:9")
    finalizer = client._engine._finalizer
    del client
    gc.collect()
    assert not finalizer.alive


def test_a_call_cancelled_before_it_starts_never_runs() -> None:
    """Ctrl-C landing before the loop started the call: the coroutine is closed unrun."""
    import collections

    from polar_seats._sync import _Call

    ran: list[bool] = []

    async def body() -> None:
        ran.append(True)

    async def on_the_loop() -> _Call[None]:
        call = _Call(body())
        call.prepare_wait(collections.deque())
        call.cancel()
        assert call.start(asyncio.get_running_loop()) is None
        return call

    call = asyncio.run(on_the_loop())
    call.wait()  # released by start(): no wait
    assert call.finished
    with pytest.raises(asyncio.CancelledError):
        call.result()
    assert ran == []


def test_a_call_runs_in_the_callers_context(server: FakePolarServer) -> None:
    """Context variables (an OpenTelemetry span, say) set by the caller reach the call."""
    import contextvars

    where: contextvars.ContextVar[str] = contextvars.ContextVar("where", default="unset")

    async def read() -> str:
        return where.get()

    with client_of(server) as client:
        where.set("the caller's")
        assert client._run(read()) == "the caller's"


def test_an_exit_raised_in_a_call_reaches_its_caller(server: FakePolarServer) -> None:
    """SystemExit or KeyboardInterrupt raised on the loop (by a hook, say) is raised in the
    calling thread, and the client's loop keeps serving calls."""

    async def exits() -> None:
        raise SystemExit(3)

    with client_of(server) as client:
        with pytest.raises(SystemExit) as caught:
            client._run(exits())
        assert caught.value.code == 3
        assert client.list_claimed_subscriptions().pagination.total_count == 250


def test_calls_queued_while_the_loop_is_busy_all_run(server: FakePolarServer) -> None:
    """Calls that threads queue while the loop is busy wake it once and all run, in the
    order they were queued."""
    holding, busy = threading.Event(), threading.Event()
    order: list[int] = []

    async def hold() -> None:
        holding.set()
        busy.wait(10.0)  # blocks the loop's thread, as a long callback would

    async def record(n: int) -> int:
        order.append(n)
        return n

    with client_of(server) as client:
        client.list_claimed_subscriptions()
        runtime = client._engine.runtime
        assert runtime is not None
        holder = threading.Thread(target=client._run, args=(hold(),))
        holder.start()
        assert holding.wait(10.0)
        results: list[int] = []
        callers = []
        for n in range(3):
            caller = threading.Thread(target=lambda n=n: results.append(client._run(record(n))))
            caller.start()
            callers.append(caller)
            wait_until(lambda n=n: len(runtime._queue) == n + 1)
        assert len(runtime._queue) == 3
        busy.set()
        for thread in [holder, *callers]:
            thread.join()
    assert order == [0, 1, 2]
    assert sorted(results) == [0, 1, 2]


def test_a_call_queued_while_the_loop_waits_for_io_starts_at_once(
    server: FakePolarServer,
) -> None:
    """A call from another thread wakes a loop that waits in its selector for a long
    call: it neither waits for that call's end nor for a timer to wake the loop."""
    ends: list[asyncio.Event] = []

    async def long_call() -> str:
        ends.append(asyncio.Event())
        await ends[0].wait()  # the loop waits in select() with no timeout meanwhile
        return "long"

    async def quick() -> str:
        return "quick"

    results: list[str] = []
    with client_of(server) as client:  # no request yet: no keep-alive timer either
        long = threading.Thread(target=lambda: results.append(client._run(long_call())))
        long.start()
        wait_until(lambda: bool(ends))
        runtime = client._engine.runtime
        assert runtime is not None
        wait_until(lambda: runtime.selecting)
        quick_caller = threading.Thread(target=lambda: results.append(client._run(quick())))
        quick_caller.start()
        quick_caller.join(30.0)
        ran_at_once = list(results)
        # The long call ends (call_soon_threadsafe wakes the loop in any case), so that a
        # failure here fails rather than hangs.
        runtime.loop.call_soon_threadsafe(ends[0].set)
        for thread in (quick_caller, long):
            thread.join(10.0)
    assert ran_at_once == ["quick"]
    assert results == ["quick", "long"]


def test_a_caller_is_woken_while_the_loop_never_waits(server: FakePolarServer) -> None:
    """The loop wakes the callers whose calls ended when it is about to wait for I/O; a
    loop that always has a callback ready (a coroutine of another call that never
    blocks) still wakes them, ``HOLD`` seconds on."""
    spinning, stop = threading.Event(), threading.Event()

    async def spin() -> str:
        spinning.set()
        # A callback ready at every turn, so that select() never waits: the polling is
        # the point here.
        while not stop.is_set():  # noqa: ASYNC110
            await asyncio.sleep(0)
        return "spin"

    async def quick() -> str:
        return "quick"

    results: list[str] = []
    with client_of(server) as client:
        spinner = threading.Thread(target=lambda: results.append(client._run(spin())))
        spinner.start()
        assert spinning.wait(10.0)
        quick_caller = threading.Thread(target=lambda: results.append(client._run(quick())))
        quick_caller.start()
        quick_caller.join(30.0)
        ran_at_once = list(results)
        stop.set()  # so that a failure here fails rather than hangs
        for thread in (quick_caller, spinner):
            thread.join(10.0)
    assert ran_at_once == ["quick"]
    assert results == ["quick", "spin"]
