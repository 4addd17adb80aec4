"""Who runs the sync Client's loop: a caller that finds it idle, a waiting caller it is
handed to, or the daemon thread; over HTTP against the fake, which answers from a thread."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import threading
import types
from collections.abc import Iterator
from typing import Any

import pytest

import polar_seats as ps
from polar_seats._sync import _Runtime
from polar_seats.testing import (
    DEFAULT_ORGANIZATION_TOKEN,
    FakePolarServer,
    Fault,
    FaultPlan,
    serve_in_thread,
)

from .test_sync import client_of, wait_until


@pytest.fixture
def server() -> Iterator[FakePolarServer]:
    """A fake with 250 subscriptions, in a thread."""
    with serve_in_thread(FakePolarServer(count=250)) as fake:
        yield fake


def runtime_of(client: ps.Client) -> _Runtime:
    runtime = client._engine.runtime
    assert runtime is not None
    return runtime


def nobody_runs(runtime: _Runtime) -> bool:
    """Whether the loop is idle: no thread runs it, none was handed it."""
    return runtime._runner is None


class Gate:
    """A coroutine for ``Client._run`` that waits until the test opens the gate, and says
    which thread ran the loop when it went through."""

    def __init__(self) -> None:
        self.opened = threading.Event()
        self.entered = threading.Event()
        self.passed_in: threading.Thread | None = None

    async def wait(self, value: int) -> int:
        self.entered.set()
        while not self.opened.is_set():  # noqa: ASYNC110 - opened by the test's thread
            await asyncio.sleep(0.002)
        self.passed_in = threading.current_thread()
        return value


class HangUpRelay:
    """A TCP relay to the fake, in threads, that can hang up on every connection: what a
    server closing its idle keep-alive connections does to a client."""

    def __init__(self, port: int) -> None:
        self._port = port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            upstream = socket.create_connection(("127.0.0.1", self._port))
            with self._lock:
                self._sockets += [client, upstream]
                self.connections += 1
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()

    def hang_up(self) -> None:
        """Close every connection, both ways."""
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def close(self) -> None:
        self.hang_up()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
        sink.shutdown(socket.SHUT_WR)


def test_a_lone_thread_runs_the_loop_itself(server: FakePolarServer) -> None:
    """Calls one at a time, from the main thread or another, start no thread: each caller
    runs the client's loop and leaves it idle."""
    with client_of(server) as client:
        for _ in range(3):
            client.list_claimed_subscriptions()
        other = threading.Thread(target=client.list_claimed_subscriptions)
        other.start()
        other.join()
        runtime = runtime_of(client)
        assert nobody_runs(runtime)
        assert runtime.daemon is None
    assert len(server.requests) == 4


def test_a_main_thread_with_its_own_sigint_handler_never_runs_the_loop(
    server: FakePolarServer,
) -> None:
    """A program's own SIGINT handler could raise into any call the loop runs, so its main
    thread waits while the daemon thread runs the loop."""
    previous = signal.signal(signal.SIGINT, lambda signum, frame: None)
    try:
        with client_of(server) as client:
            assert client.list_claimed_subscriptions().pagination.total_count == 250
            assert runtime_of(client).daemon is not None
    finally:
        signal.signal(signal.SIGINT, previous)


def test_the_loop_goes_on_to_the_daemon_thread_while_calls_are_pending(
    server: FakePolarServer,
) -> None:
    """When the thread running the loop has its answer while another thread's call is
    still running, the daemon thread runs the loop on; once the loop is idle again, the
    next caller runs it itself."""
    first, second, third = Gate(), Gate(), Gate()
    results: list[int] = []
    with client_of(server) as client:
        client.list_claimed_subscriptions()
        runtime = runtime_of(client)
        leader = threading.Thread(target=lambda: results.append(client._run(first.wait(1))))
        leader.start()
        assert first.entered.wait(10.0)
        follower = threading.Thread(target=lambda: results.append(client._run(second.wait(2))))
        follower.start()
        assert second.entered.wait(10.0)  # started by the leader's loop
        first.opened.set()
        leader.join()
        assert runtime.daemon is not None
        second.opened.set()
        follower.join()
        wait_until(lambda: nobody_runs(runtime))
        third.opened.set()
        assert client._run(third.wait(3)) == 3
    assert sorted(results) == [1, 2]
    assert [first.passed_in, second.passed_in, third.passed_in] == [
        leader,
        runtime.daemon,
        threading.main_thread(),
    ]


def test_ctrl_c_while_leading_cancels_only_the_callers_call(server: FakePolarServer) -> None:
    """KeyboardInterrupt in the main thread running the loop cancels its own request; the
    calls other threads queued meanwhile go on, on the daemon thread, and see no
    interrupt."""
    server.faults = FaultPlan(pages={1: [Fault.stall(30.0)]})
    gates = {1: Gate(), 2: Gate()}
    outcomes: dict[int, object] = {}

    def follow(number: int) -> None:
        wait_until(lambda: server.in_flight == 1)  # the main thread leads, stalled
        try:
            outcomes[number] = client._run(gates[number].wait(number))
        except BaseException as error:  # pragma: no cover - reported by the assertion
            outcomes[number] = error

    def interrupt() -> None:
        wait_until(lambda: all(gate.entered.is_set() for gate in gates.values()))
        os.kill(os.getpid(), signal.SIGINT)

    with client_of(server, retry=None) as client:
        client.list_claimed_subscriptions(page=2)
        threads = [threading.Thread(target=follow, args=(n,)) for n in gates]
        threads.append(threading.Thread(target=interrupt))
        for thread in threads:
            thread.start()
        with pytest.raises(KeyboardInterrupt):
            client.list_claimed_subscriptions()
        wait_until(lambda: server.in_flight == 0)
        assert server.in_flight == 0
        for gate in gates.values():
            gate.opened.set()
        for thread in threads:
            thread.join()
        assert client.list_claimed_subscriptions(page=3).pagination.total_count == 250
    assert outcomes == {1: 1, 2: 2}


def test_a_second_ctrl_c_leaves_the_cancelled_call_to_the_daemon(
    server: FakePolarServer,
) -> None:
    """If the cancelled call is slow to end, a second Ctrl-C raises at once; the call
    still ends, on the daemon thread, and the client keeps working."""
    ended: list[str] = []

    async def slow_to_cancel() -> None:
        interrupt = signal.getsignal(signal.SIGINT)  # the client's, while this call leads
        assert callable(interrupt)
        interrupt(signal.SIGINT, None)
        try:
            await asyncio.sleep(30.0)
        except asyncio.CancelledError:
            interrupt(signal.SIGINT, None)  # Ctrl-C again, while it cleans up
            await asyncio.sleep(0.01)
            ended.append(threading.current_thread().name)
            raise

    with client_of(server) as client:
        with pytest.raises(KeyboardInterrupt):
            client._run(slow_to_cancel())
        wait_until(lambda: ended != [])
        assert ended == ["polar-seats-client"]
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        assert client.list_claimed_subscriptions().pagination.total_count == 250


def test_an_exit_raised_by_another_task_reaches_the_thread_running_the_loop(
    server: FakePolarServer,
) -> None:
    """SystemExit out of a task the call did not await (raised in a hook of a page fetched
    ahead, say) ends the leading caller's call and is raised in its thread; raised while
    the daemon runs the loop, it stays with its task. The client keeps working."""
    tasks: list[asyncio.Task[None]] = []

    async def exits_soon(delay: float) -> None:
        await asyncio.sleep(delay)
        raise SystemExit(4)

    async def spawns(delay: float) -> int:
        tasks.append(asyncio.ensure_future(exits_soon(delay)))
        await asyncio.sleep(0 if delay else 30.0)
        return 1

    with client_of(server) as client:
        with pytest.raises(SystemExit):
            client._run(spawns(0.0))  # the call waits 30 s: the task's exit ends it
        assert client._run(spawns(0.01)) == 1  # the daemon runs the task that exits
        runtime = runtime_of(client)
        wait_until(lambda: nobody_runs(runtime))
        assert [type(task.exception()) for task in tasks] == [SystemExit, SystemExit]
        assert client.list_claimed_subscriptions().pagination.total_count == 250


def test_a_hook_calling_back_is_refused_on_the_daemon_thread_too(
    server: FakePolarServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A notebook's cell never runs the client's loop (its thread runs the kernel's): the
    daemon thread does, and an on_retry hook calling back in there is refused as well."""
    kernel = types.SimpleNamespace(kernel=object())
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: kernel))
    refused: list[str] = []

    def on_retry(event: ps.RetryEvent) -> None:
        with pytest.raises(ps.EventLoopError, match="code its own event loop runs"):
            client.list_claimed_subscriptions()
        refused.append(threading.current_thread().name)

    async def cell() -> int:
        return client.list_claimed_subscriptions().pagination.total_count

    server.faults = FaultPlan(pages={1: [Fault.server_error(503)]})
    with client_of(server, retry=ps.RetryPolicy(on_retry=on_retry)) as client:
        assert asyncio.run(cell()) == 250
    assert refused == ["polar-seats-client"]


def test_a_connection_the_server_closed_while_idle_is_not_reused(
    server: FakePolarServer,
) -> None:
    """A keep-alive connection the server closed while nobody ran the loop is seen closed
    before the next call sends: a write then goes out once, on a new connection, and
    needs no retry nor any check of what it did."""
    billing = server.add_billing_customer(seats=2)
    relay = HangUpRelay(server.port or 0)
    try:
        with ps.Client(
            organization_token=DEFAULT_ORGANIZATION_TOKEN, base_url=relay.url, rate_limit=None
        ) as org:
            org.list_seats(subscription_id=billing.subscription_id)
            relay.hang_up()
            seat = org.assign_seat(subscription_id=billing.subscription_id, email="ada@x.test")
    finally:
        relay.close()
    assert seat.email == "ada@x.test"
    assert [request.method for request in server.requests] == ["GET", "POST"]
    assert relay.connections == 2


def test_pages_fetched_ahead_outlast_a_pause_with_nobody_calling(
    server: FakePolarServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pages a walk fetched ahead are finished by the daemon thread while the caller
    works on its items, so an hour passing on the loop's clock before it asks for more
    times nothing out and loses no page."""
    with client_of(server, concurrency=4, retry=None, timeout=5.0) as client:
        walk = client.iter_claimed_subscriptions(limit=10)
        ids = [next(walk).id for _ in range(11)]  # into page 2: pages 3 and 4 ahead
        runtime = runtime_of(client)
        wait_until(lambda: nobody_runs(runtime))
        assert nobody_runs(runtime)
        assert len(server.requests) == 4
        clock = runtime.loop.time
        monkeypatch.setattr(runtime.loop, "time", lambda: clock() + 3600.0)
        ids += [sub.id for sub in walk]
    assert ids == [sub["id"] for sub in server.subscriptions]
    assert sorted(int(request.query["page"]) for request in server.requests) == list(range(1, 26))


def test_threads_taking_turns_at_the_loop_lose_no_call(server: FakePolarServer) -> None:
    """Eight threads making calls and walks at once, the loop passing between them and
    the daemon thread: every call answered, every walk whole."""
    totals: list[int] = []
    walked: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def work(number: int) -> None:
        try:
            start.wait()
            for page in range(1, 6):
                page_of = client.list_claimed_subscriptions(page=page, limit=5)
                totals.append(page_of.pagination.total_count)
            walk = client.iter_claimed_subscriptions(limit=25 + number)
            walked.append(len({sub.id for sub in walk}))
        except BaseException as error:  # pragma: no cover - reported by the assertion
            errors.append(error)

    with client_of(server, concurrency=3) as client:
        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        runtime = runtime_of(client)
        wait_until(lambda: nobody_runs(runtime))
        assert nobody_runs(runtime)
    assert errors == []
    assert totals == [250] * 40
    assert walked == [250] * 8


def test_ctrl_c_while_waiting_for_another_threads_loop_cancels_the_call(
    server: FakePolarServer,
) -> None:
    """KeyboardInterrupt in a main thread waiting for the loop another thread runs cancels
    its call's task and request; the other thread's call goes on."""
    server.faults = FaultPlan(pages={1: [Fault.stall(30.0)]})
    gate = Gate()
    outcome: list[int] = []

    def interrupt() -> None:
        wait_until(lambda: server.in_flight == 1)
        os.kill(os.getpid(), signal.SIGINT)

    with client_of(server, retry=None) as client:
        leader = threading.Thread(target=lambda: outcome.append(client._run(gate.wait(7))))
        leader.start()
        assert gate.entered.wait(10.0)
        threading.Thread(target=interrupt).start()
        with pytest.raises(KeyboardInterrupt):
            client.list_claimed_subscriptions()  # queued: the leader's loop sends it
        wait_until(lambda: server.in_flight == 0)
        assert server.in_flight == 0
        gate.opened.set()
        leader.join()
    assert outcome == [7]
    assert gate.passed_in is leader


def test_a_client_collected_by_code_its_loop_runs_closes_without_waiting(
    server: FakePolarServer,
) -> None:
    """A Client finalized from code on its own loop (the collector running there) cannot
    wait for its loop: its close is started, the daemon thread finishes it, and the
    calls and cleanups that come later are refused."""
    client = client_of(server)
    walk = client.iter_claimed_subscriptions(limit=10)
    next(walk)

    async def finalized_here() -> None:
        client._engine._finalizer()

    client._run(finalized_here())
    runtime = runtime_of(client)
    assert runtime.ended.wait(10.0)
    assert runtime.loop.is_closed()
    with pytest.raises(ps.ClientClosedError, match="create a new one"):
        client.list_claimed_subscriptions()
    walk._release()  # the walk's cleanup, once the loop is gone: dropped quietly
    client.close()
    assert len(server.requests) == 1


def test_ctrl_c_between_steps_is_held_until_the_call_is_cancelled(
    server: FakePolarServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Ctrl-C landing while a call is between steps (choosing who runs the loop) is
    held: the call is cancelled before it sends anything, whether its thread would run
    the loop or wait for another's, and KeyboardInterrupt is raised then."""
    enter = _Runtime._enter
    armed = threading.Event()
    armed.set()

    def interrupted_enter(self: _Runtime, call: Any, *, lead: bool) -> None:
        if armed.is_set() and threading.current_thread() is threading.main_thread():
            interrupt = signal.getsignal(signal.SIGINT)  # the call's own handler
            assert callable(interrupt)
            interrupt(signal.SIGINT, None)
        enter(self, call, lead=lead)

    monkeypatch.setattr(_Runtime, "_enter", interrupted_enter)
    gate = Gate()
    with client_of(server) as client:
        with pytest.raises(KeyboardInterrupt):
            client.list_claimed_subscriptions()  # would run the loop
        leader = threading.Thread(target=client._run, args=(gate.wait(1),))
        leader.start()
        assert gate.entered.wait(10.0)
        with pytest.raises(KeyboardInterrupt):
            client.list_claimed_subscriptions()  # would wait for the leader's loop
        armed.clear()
        gate.opened.set()
        leader.join()
    assert server.requests == []
