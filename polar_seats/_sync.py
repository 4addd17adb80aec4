"""What the synchronous ``Client`` runs on: one event loop owning one ``AsyncClient``, run
by the threads that call it.

Each call is a coroutine of that ``AsyncClient``, run as a task on the client's loop. One
loop for the client's whole life keeps what the async client shares (the aiohttp session
and its pool, the rate limiters, the session cache) alive between calls and between
threads: a fresh ``asyncio.run()`` per call would throw all of it away and, with a loop
replaced between calls, kill the aiohttp session (asgiref's and anyio's known failure).

Who runs the loop: a caller that finds it idle runs it in its own thread (``run_forever``
until its call's task ends), so a lone thread pays no hand-off to another thread. A call
from another thread meanwhile is queued for the loop, which starts it, and its thread
waits. When the running caller's own call ends with other work pending (other threads'
calls, pages a walk fetches ahead, a cleanup), the loop goes to a daemon thread, never
left with work and nobody running it: the daemon runs it until nothing has been pending
for ``LINGER``, then parks. With nothing pending, nobody runs it until the next call. Two
callers never run it and always wait: the main thread of a Jupyter kernel (its cells run
inside the kernel's running loop), and a main thread whose ``SIGINT`` handler is the
program's own (whatever it raises would land in whatever the loop runs, another thread's
call included).

The rules, in one place:

- a call from code the loop runs (an ``on_retry`` hook calling back in), whichever thread
  runs it, would wait on itself: it raises ``EventLoopError``;
- a call from a coroutine of another running event loop would stall that loop: it raises
  ``EventLoopError`` too, except in the main thread of an IPython kernel (a Jupyter
  notebook), whose cells run as tasks of the kernel's loop and are meant to block;
- a loop that sat idle first takes in the I/O that came meanwhile (a keep-alive
  connection the server closed is then seen closed), a turn before a call sends anything;
- waiting callers whose calls ended are woken together when the loop has nothing ready
  to run and is about to wait for I/O (or stops; or, busy, ``HOLD`` seconds on), and
  the loop waits until they have woken (at most ``HANDSHAKE``) before it goes on. Woken
  one at a time in the middle of the loop's turns, each took the GIL from the loop's
  thread at its next system call and made it wait to get it back: a calling thread
  switched context five times a call;
- a queued call wakes the loop only if it waits in its selector: a loop that runs
  starts the queued calls before it next waits;
- Ctrl-C: while the main thread runs the loop, Python's ``SIGINT`` handler is swapped
  for one that cancels that thread's own call (its request too), as ``asyncio.run()``
  does; ``KeyboardInterrupt`` is raised once the loop has gone on to someone else, and no
  other thread's call sees it. A waiting caller interrupted cancels its call's task;
- ``close()``, and interpreter exit, cancel what still runs, close the ``AsyncClient``
  and the loop, and end the daemon thread;
- after ``os.fork()`` the child starts a new loop and a new ``AsyncClient`` on its first
  call. What it inherited is kept, never closed: the child shares the parent's epoll
  instance, and closing an inherited transport or loop there unregisters the parent's
  sockets.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import itertools
import os
import selectors
import signal
import sys
import threading
import time
import weakref
from collections.abc import Callable, Coroutine, Iterator
from types import FrameType, TracebackType
from typing import Any, Generic, Protocol, TypeVar

from ._client import AsyncClient
from ._errors import ClientClosedError, EventLoopError
from ._models import CustomerSubscription, Page
from ._pagination import PageIterator
from ._resources.subscriptions import SubscriptionIterator

__all__ = ["SyncClientBase", "SyncPageIterator", "SyncSubscriptionIterator"]


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T")
Item = TypeVar("Item", bound=_Identified)
Self = TypeVar("Self", bound="SyncClientBase")

OWN_THREAD = (
    "This Client was called from code its own event loop runs (an on_retry hook or "
    "another callback), where waiting for the answer would wait forever. Do not call "
    "the Client from code it runs; in async code use AsyncClient and await it."
)
IN_EVENT_LOOP = (
    "Client's methods block, and this call comes from a coroutine of a running event "
    "loop, which it would stall. In async code use AsyncClient and `await` its methods "
    "(or run the blocking call in a thread: `await asyncio.to_thread(...)`)."
)
CLOSED = "This Client is closed; create a new one to send more requests."
SESSION_REFUSED = (
    "Client takes no session: an aiohttp session belongs to one event loop, and the "
    "Client runs its own. Pass the session's settings (proxy=, timeout=, ...) instead, or "
    "use AsyncClient(session=...) in async code."
)

FOLLOW, LEAD, GUARDED = "follow", "lead", "guarded"
"""How a caller may take part: wait for the loop, run it, or run it with ``SIGINT``
handled (the main thread, while Python's own handler is installed)."""

_FREE, _LEADING, _WAITING = 0, 1, 2
"""Where a call's thread is, for the ``SIGINT`` handler: between steps, running the
loop, or waiting for another thread."""


_signals: Any = sys.modules.get("_signal", signal)
"""The C module under ``signal``, where it is there: ``signal``'s own functions convert
to and from enums on the way, which made a call's handler swap cost 9 µs instead of 1."""
SIGINT = int(signal.SIGINT)


def _in_notebook() -> bool:
    """Whether this is the main thread of an IPython kernel (Jupyter), whose cells run in
    the kernel's event loop and may block it."""
    if threading.current_thread() is not threading.main_thread():
        return False
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    shell = get_ipython() if callable(get_ipython) else None
    return getattr(shell, "kernel", None) is not None


def _mode_here() -> str:
    """How this thread, which runs no event loop, may take part in a call."""
    if threading.current_thread() is not threading.main_thread():
        return LEAD  # Python runs signal handlers in the main thread alone
    handler = _signals.getsignal(SIGINT)
    if handler is signal.default_int_handler:
        return GUARDED
    # The program's own handler may raise into whatever the loop runs: wait instead.
    return FOLLOW if callable(handler) else LEAD


def _nothing() -> None:
    """A callback that only wakes the loop."""


LINGER = 0.001
"""How long the daemon thread keeps running an idle loop before it parks: threads sharing
a client call again within it, and a loop that changed hands at each of their calls cost
them 11-13% in wall clock (10 threads, 2,000 calls, load 2.4)."""
HOLD = 0.0003
"""How long a busy loop (a callback ready at every turn) holds the callers whose calls
ended before it wakes them anyway. 10 threads, 2,000 calls, in turns in one process:
1.10x-1.12x one ``AsyncClient``'s time holding them 0 (one turn), 0.3, 1 or 5 ms,
against 1.28x waking them at every turn."""
HANDSHAKE = 0.0005
"""How long the loop waits, at most, for the callers it woke to take their results:
while they do, each would otherwise take the GIL from the loop's thread between its
steps, and hand it back, at a cost of two context switches each time. 10 threads, 2,000
calls, in turns in one process: 1.10x-1.12x one ``AsyncClient``'s time, against
1.18x-1.24x without the wait; a 2 ms cap did no better, 0.2 ms worse."""
_DAEMON = "the daemon thread"
"""What ``_Runtime._runner`` holds while the daemon thread has the loop."""


class _Runtime:
    """The client's event loop, the ``AsyncClient`` it owns, and who runs it now."""

    def __init__(self, client: AsyncClient) -> None:
        self.client = client
        self.loop = asyncio.SelectorEventLoop(_Selector(self))
        # Reentrant: a walk's __del__ may post its cleanup while its thread holds it.
        self._lock = threading.RLock()
        self._queue: collections.deque[_Call[Any]] = collections.deque()
        self._wake_pending = False
        self.selecting = False
        """Whether the loop waits in its selector, where a queued call must wake it."""
        self._finished: collections.deque[_Call[Any]] = collections.deque()
        """Waiting callers' calls that ended, not yet woken."""
        self._hold_until: float | None = None
        """Until when the loop, busy, holds the callers in ``_finished``."""
        self._runner: object = None
        """The call whose thread runs the loop, ``_DAEMON``, or ``None``."""
        self._daemon: threading.Thread | None = None
        self._daemon_go = threading.Lock()
        self._daemon_go.acquire()
        self._closer: _Call[None] | None = None
        self.ended = threading.Event()

    @property
    def daemon(self) -> threading.Thread | None:
        """The daemon thread, once the loop has needed it."""
        return self._daemon

    def run(self, call: _Call[T], mode: str) -> T:
        """Run ``call``: in this thread if the loop is idle and ``mode`` allows, else by
        queueing it for whoever runs the loop and waiting."""
        guard = call.on_sigint if mode == GUARDED else None
        if guard is not None:
            _signals.signal(SIGINT, guard)
        try:
            self._enter(call, lead=mode != FOLLOW)
        finally:
            if guard is not None and _signals.getsignal(SIGINT) is guard:
                _signals.signal(SIGINT, signal.default_int_handler)
        if call.interrupts:
            raise KeyboardInterrupt
        return call.result()

    def _enter(self, call: _Call[Any], *, lead: bool) -> None:
        with self._lock:
            if self._closer is not None and call is not self._closer:
                call.discard()
                raise ClientClosedError(CLOSED)
            if lead and self._runner is None:
                self._runner = call
            else:
                call.prepare_wait(self._finished)
                self._queue.append(call)
                lead = False
                if self._runner is None:
                    self._to_daemon()
                else:
                    self._wake()
        if lead:
            self._lead(call)
        else:
            self._follow(call)

    def _lead(self, call: _Call[Any]) -> None:
        """Run the loop in this thread until ``call`` ends, then hand the loop on."""
        loop = self.loop
        try:
            task = call.start(loop, poll=True)
            if task is not None:  # pragma: no branch - a new call is not cancelled
                # The task's end stops the loop (with no done callback to leave
                # behind); so does a second Ctrl-C, which leaves the call to the next
                # thread that runs the loop.
                call.phase = _LEADING
                if call.interrupts:
                    call.cancel()  # Ctrl-C came before the loop ran
                try:
                    while not task.done() and call.interrupts < 2:
                        loop.run_forever()
                except BaseException:
                    # Raised out of another task (SystemExit from a hook of a page
                    # fetched ahead): this call ends, and the error reaches this caller.
                    call.cancel()
                    raise
        finally:
            call.phase = _FREE
            self._release()

    def _follow(self, call: _Call[Any]) -> None:
        """Wait for ``call``, which another thread's loop runs."""
        try:
            call.phase = _WAITING
            if call.interrupts:
                raise KeyboardInterrupt  # Ctrl-C came before the wait
            call.wait()
        except BaseException:
            # Interrupted: the task, and its request, end too.
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                self.loop.call_soon_threadsafe(call.cancel)
            raise
        finally:
            call.phase = _FREE

    def before_select(self, timeout: float | None) -> bool:
        """On the loop, about to look for I/O, waiting up to ``timeout`` (0 while it has
        callbacks ready to run): wake the callers whose calls ended if it would wait, or
        if they have waited ``HOLD`` already; start the calls queued meanwhile. Whether
        it started any (the loop must then not wait)."""
        if self._finished:
            if timeout != 0:
                self._wake_finished(handshake=True)
            else:
                now = time.monotonic()
                if self._hold_until is None:
                    self._hold_until = now + HOLD
                elif now >= self._hold_until:
                    self._wake_finished(handshake=True)
        # No lock: a call is queued before its thread reads the flag, so either the
        # queue is seen here or the flag there.
        self.selecting = True
        if not self._queue:
            return False
        self.selecting = False
        self._start_queued()
        return True

    def _wake_finished(self, *, handshake: bool = False) -> None:
        """Wake the callers whose calls ended; with ``handshake``, wait until they have
        taken their results (at most ``HANDSHAKE`` seconds) before the loop goes on."""
        finished = self._finished
        if not finished:
            return
        self._hold_until = None
        batch = _Batch(len(finished)) if handshake else None
        while finished:
            finished.popleft().wake(batch)
        if batch is not None:
            batch.taken.acquire(timeout=HANDSHAKE)

    def _release(self) -> None:
        """Called by the thread that stopped running the loop: hand it to the daemon
        thread if work is pending (other threads' calls, pages fetched ahead); end it
        once ``stop()``'s call has ended."""
        self._wake_finished()
        with self._lock:
            self._runner = None
            closer = self._closer
            if closer is not None and closer.finished:
                self._end()
                return
            if not self._queue and not asyncio.all_tasks(self.loop):
                return
            if self._runner is None:  # else a post (a __del__ in this thread) handed it on
                self._to_daemon()

    def _to_daemon(self) -> None:
        """Hand the loop to the daemon thread (started the first time); under the lock."""
        self._runner = _DAEMON
        if self._daemon is None:
            self._daemon = threading.Thread(
                target=self._serve, name="polar-seats-client", daemon=True
            )
            self._daemon.start()
        else:
            self._daemon_go.release()

    def _serve(self) -> None:
        """The daemon thread: run the loop until nothing is pending, then park."""
        loop = self.loop
        while True:
            idle = loop.create_task(self._until_idle())
            try:
                loop.run_until_complete(idle)
            except BaseException:
                # Raised out of a task (SystemExit from a hook of a page fetched ahead):
                # whoever awaits that task gets it.
                idle.cancel()
            self._release()
            if self.ended.is_set():
                return
            self._daemon_go.acquire()
            if self.ended.is_set():
                return

    async def _until_idle(self) -> None:
        """Return once no call is queued and no other task is pending, ``LINGER``
        seconds on."""
        loop = self.loop
        me = asyncio.current_task()
        lingered = False
        while True:
            self._start_queued()
            others = [task for task in asyncio.all_tasks(loop) if task is not me]
            if others:
                lingered = False
                await asyncio.wait(others)
            elif lingered or not LINGER:
                return
            else:
                lingered = True
                await asyncio.sleep(LINGER)

    def _wake(self) -> None:
        """Have the running loop start the queued calls; under the lock. A wake costs a
        write to the loop's self-pipe, so only a loop that waits in its selector is woken,
        and only by the first call queued since it last looked: a loop that runs starts
        the queued calls before it next waits."""
        if self.selecting and not self._wake_pending:
            self._wake_pending = True
            self.loop.call_soon_threadsafe(_nothing)

    def _start_queued(self) -> None:
        # On the loop, or by the thread about to run it. The flag drops before the queue
        # is read: a call queued meanwhile is either read below or wakes the loop again.
        self._wake_pending = False
        queue = self._queue
        loop = self.loop
        while queue:
            queue.popleft().start(loop)

    def post(self, coroutine: Coroutine[Any, Any, object]) -> None:
        """Start ``coroutine`` without waiting for it; for cleanups, from any thread."""
        call = _Call(coroutine)
        with self._lock:
            if self._closer is not None:
                call.discard()
                return
            self._queue.append(call)
            if self._runner is None:
                self._to_daemon()
            else:
                self._wake()

    def stop(self) -> None:
        """Cancel what runs, close the async client and the loop, end the daemon thread.
        From code the loop runs (a finalizer there) it is started, not waited for."""
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        closer: _Call[None] = _Call(self._shutdown())
        with self._lock:
            first = self._closer is None
            if first:
                self._closer = closer
            else:
                closer.discard()
            if first and running is self.loop:
                self._queue.append(closer)
                self._wake()
        if running is self.loop:
            return
        if first:
            self.run(closer, FOLLOW if running is not None else _mode_here())
        self.ended.wait()
        daemon = self._daemon
        if daemon is not None and daemon is not threading.current_thread():
            daemon.join()

    async def _shutdown(self) -> None:
        # Calls still running end first (their callers get ClientClosedError), so no
        # request is cut off by the session closing under it, and no task is destroyed
        # while pending.
        self._start_queued()
        await asyncio.sleep(0)  # the calls just started take their first step
        current = asyncio.current_task()
        tasks = [task for task in asyncio.all_tasks() if task is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.loop.shutdown_asyncgens()
        await self.client.close()

    def _end(self) -> None:
        # Under the lock, by the thread that ran the loop last, once stop()'s call ended.
        self.loop.close()
        self.ended.set()
        daemon = self._daemon
        if daemon is not None and daemon is not threading.current_thread():
            self._daemon_go.release()  # it is parked: let it see the end


class _Batch:
    """Callers woken together: the loop waits until each has woken and taken the GIL."""

    __slots__ = ("_count", "_last", "taken")

    def __init__(self, size: int) -> None:
        self._count = itertools.count()  # next() on it is atomic: no lock to take
        self._last = size - 1
        self.taken = threading.Lock()
        self.taken.acquire()

    def woken(self) -> None:
        if next(self._count) == self._last:
            self.taken.release()


class _Selector(selectors.DefaultSelector):
    """The loop's selector, which tells the runtime when the loop is about to wait."""

    def __init__(self, runtime: _Runtime) -> None:
        super().__init__()
        self._runtime = runtime

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        runtime = self._runtime
        if runtime.before_select(timeout):
            timeout = 0
        try:
            return super().select(timeout)
        finally:
            runtime.selecting = False


class _Call(Generic[T]):
    """One call: its coroutine, run as a task on the loop, and its caller's part.

    A caller's thread either runs the loop until the task ends (the task's end stops it),
    or waits on a lock that the task releases as it ends (lighter than a concurrent
    Future, and a loop iteration sooner than a done callback).
    """

    __slots__ = (
        "_batch",
        "_cancelled",
        "_context",
        "_coroutine",
        "_done",
        "_error",
        "_finished",
        "_value",
        "finished",
        "interrupts",
        "phase",
        "started",
        "task",
    )

    def __init__(self, coroutine: Coroutine[Any, Any, T]) -> None:
        self._coroutine = coroutine
        self._context: contextvars.Context | None = None
        self._done: threading.Lock | None = None
        self._finished: collections.deque[_Call[Any]] | None = None
        self._batch: _Batch | None = None
        self.task: asyncio.Task[None] | None = None
        self._cancelled = False
        self.finished = False
        self.started = False
        self.phase = _FREE
        self.interrupts = 0
        self._value: T | None = None
        self._error: BaseException | None = None

    def prepare_wait(self, finished: collections.deque[_Call[Any]]) -> None:
        """Before the call is queued: its thread's context, the lock it waits on, and
        where it goes once ended, to be woken with the others."""
        # The caller's context variables (its OpenTelemetry span, say) reach the task.
        self._context = contextvars.copy_context()
        self._done = threading.Lock()
        self._done.acquire()
        self._finished = finished

    def start(
        self, loop: asyncio.AbstractEventLoop, *, poll: bool = False
    ) -> asyncio.Task[None] | None:
        """Run the coroutine as a task, unless cancelled already; on the loop's thread,
        or by the thread about to run it."""
        if self._cancelled:
            self._coroutine.close()
            self._error = asyncio.CancelledError()
            self._finish()
            return None
        context = self._context
        if context is None:
            task = loop.create_task(self._run(poll))
        else:
            task = context.run(loop.create_task, self._run(poll))
        self.task = task
        return task

    async def _run(self, poll: bool) -> None:
        # From here on, cancel() may cancel the task: cancelled before its first step, a
        # task would end without running this function's finally.
        self.started = True
        try:
            if poll:
                # A turn of the loop first: the I/O that came while nobody ran it (a
                # keep-alive connection the server closed) is taken in before a request
                # is sent.
                await asyncio.sleep(0)
            if self._cancelled:
                raise asyncio.CancelledError
            self._value = await self._coroutine
        except asyncio.CancelledError as error:
            self._error = error
            raise  # the task ends cancelled, as it was
        except BaseException as error:
            # Every outcome goes to the caller, KeyboardInterrupt and SystemExit too:
            # raised out of the task, they would stop whatever runs the loop instead.
            self._error = error
        finally:
            self._coroutine.close()  # if it never ran: no "never awaited" warning
            self._finish(on_loop=True)

    def _finish(self, *, on_loop: bool = False) -> None:
        self.finished = True
        if self.phase == _LEADING:
            # The caller's thread runs the loop: it stops now, or after one more turn
            # if anything is ready to run (a connection the call dropped, to close).
            loop = asyncio.get_running_loop()
            if getattr(loop, "_ready", True):
                loop.call_soon(self._stop_leading)
            else:
                loop.stop()
        done = self._done
        if done is not None:
            finished = self._finished
            if on_loop and finished is not None:
                # Woken when the loop next waits for I/O, with the others that ended
                # meanwhile (or when its thread stops running it).
                finished.append(self)
            else:
                done.release()

    def _stop_leading(self) -> None:
        if self.phase == _LEADING:  # else its thread left the loop already
            asyncio.get_running_loop().stop()

    def discard(self) -> None:
        """The call will never start: close its coroutine."""
        self._coroutine.close()

    def cancel(self) -> None:
        """Cancel the task, or the start still to come; on the loop's thread, or while
        nobody runs the loop."""
        self._cancelled = True
        if self.task is not None and self.started:
            self.task.cancel()

    def wake(self, batch: _Batch | None) -> None:
        """Wake the caller, on the loop's thread; it tells ``batch`` once it has woken."""
        self._batch = batch
        done = self._done
        if done is not None:  # pragma: no branch - only waiting calls are woken
            done.release()

    def wait(self) -> None:
        done = self._done
        if done is not None:  # pragma: no branch - prepare_wait() made it
            done.acquire()
        batch = self._batch
        if batch is not None:
            self._batch = None
            batch.woken()

    def on_sigint(self, signum: int, frame: FrameType | None) -> None:
        """Ctrl-C in the main thread during this call, with Python's handler swapped out."""
        self.interrupts += 1
        if self.phase == _WAITING:
            raise KeyboardInterrupt
        task = self.task
        if self.phase != _LEADING or task is None:
            return  # between steps: raised at the end of the call
        loop = task.get_loop()
        if self.interrupts == 1 and not task.done():
            self.cancel()
            loop.call_soon_threadsafe(_nothing)  # wake the loop if it waits on select()
        elif loop.is_running():
            loop.stop()  # again: stop waiting for the cancelled call to end

    def result(self) -> T:
        error = self._error
        if error is not None:
            self._error = None  # no cycle through the traceback's frames
            raise error
        return self._value  # type: ignore[return-value]  # set, as there was no error


class _Holder:
    """The runtime of an engine, where its finalizer can reach it without the engine."""

    runtime: _Runtime | None = None


def _stop(holder: _Holder) -> None:
    if holder.runtime is not None:
        holder.runtime.stop()


class _Engine:
    """What a ``Client`` and its views share: the options, the async client, the runtime."""

    def __init__(self, options: dict[str, Any]) -> None:
        self._options = options
        # Built here, so that a bad argument is refused in the caller's thread at once.
        self._client: AsyncClient | None = AsyncClient(**options)
        self._lock = threading.Lock()
        self._closed = False
        self._holder = _Holder()
        # Stops the loop when the Client is collected, or at interpreter exit.
        self._finalizer = weakref.finalize(self, _stop, self._holder)
        _engines.add(self)

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def runtime(self) -> _Runtime | None:
        return self._holder.runtime

    def client(self) -> AsyncClient:
        """The root ``AsyncClient`` of this process."""
        client = self._client
        if client is None:
            with self._lock:
                if self._client is None:
                    self._client = AsyncClient(**self._options)
                client = self._client
        return client

    def check_caller(self) -> str:
        """Refuse a call that would deadlock or stall a running event loop; else say how
        this thread may take part in it (``FOLLOW``, ``LEAD`` or ``GUARDED``)."""
        loop = asyncio._get_running_loop()  # pyright: ignore[reportPrivateUsage] - no raise
        if loop is None:
            return _mode_here()
        runtime = self._holder.runtime
        if runtime is not None and loop is runtime.loop:
            raise EventLoopError(OWN_THREAD)
        if not _in_notebook():
            raise EventLoopError(IN_EVENT_LOOP)
        return FOLLOW  # a notebook's cell: its thread already runs the kernel's loop

    def _runtime(self) -> _Runtime:
        runtime = self._holder.runtime
        if runtime is not None and not self._closed:
            return runtime
        with self._lock:
            if self._closed:
                raise ClientClosedError(CLOSED)
            runtime = self._holder.runtime
            if runtime is None:
                runtime = self._holder.runtime = _Runtime(self.client())
            return runtime

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the client's loop and return its result."""
        try:
            mode = self.check_caller()
            runtime = self._runtime()
        except BaseException:
            coroutine.close()  # refused: never started
            raise
        try:
            return runtime.run(_Call(coroutine), mode)
        except asyncio.CancelledError:
            if self._closed:
                raise ClientClosedError(
                    "This Client was closed while the call was running; create a new one "
                    "to send more requests."
                ) from None
            raise

    def post(self, coroutine: Coroutine[Any, Any, object]) -> None:
        """Start ``coroutine`` without waiting for it, if the client still runs; for
        cleanups. Takes no lock of the engine: it may come from a ``__del__``."""
        runtime = self._holder.runtime
        if self._closed or runtime is None:
            coroutine.close()
            return
        runtime.post(coroutine)

    def close(self) -> None:
        runtime = self._holder.runtime
        if runtime is not None:
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                pass
            else:
                if running is runtime.loop:
                    raise EventLoopError(OWN_THREAD)
        with self._lock:
            if self._closed:
                return
            self._closed = True
            runtime = self._holder.runtime
            if runtime is None:
                # Never used: a runtime still closes what the async client opened (a
                # Redis store's connections, say).
                runtime = self._holder.runtime = _Runtime(self.client())
        runtime.stop()

    def forget_after_fork(self) -> None:
        """In a forked child: keep what was inherited untouched, and start afresh."""
        self._lock = threading.Lock()
        if self._holder.runtime is None:
            return  # nothing ran: the async client has no session, no loop yet
        _inherited.append((self._holder, self._client))
        self._finalizer.detach()
        self._holder = _Holder()
        self._finalizer = weakref.finalize(self, _stop, self._holder)
        self._client = None


_engines: weakref.WeakSet[_Engine] = weakref.WeakSet()
_inherited: list[object] = []
"""What forked children inherited from their parent: kept, so that no finalizer closes it."""


def _after_fork_in_child() -> None:
    for engine in list(_engines):
        engine.forget_after_fork()


if hasattr(os, "register_at_fork"):  # pragma: no branch - POSIX has it, Windows no fork
    os.register_at_fork(after_in_child=_after_fork_in_child)


Closing = TypeVar("Closing", bound="_Closes")


class _Closes:
    """``with`` closes it."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self: Closing) -> Closing:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class SyncClientBase(_Closes):
    """The hand-written part of ``Client``: lifecycle, views, and running a call."""

    _engine: _Engine
    _derive: Callable[[AsyncClient], AsyncClient] | None
    _cached: tuple[AsyncClient, AsyncClient] | None
    _is_view: bool

    def _start(self, options: dict[str, Any]) -> None:
        if options.pop("session", None) is not None:
            raise TypeError(SESSION_REFUSED)
        self._engine = _Engine(options)
        self._derive = None
        self._cached = None
        self._is_view = False

    def _target(self) -> AsyncClient:
        # The async client (or view) this one stands for, in this process: rebuilt once
        # after a fork, since the root is then a new AsyncClient.
        root = self._engine.client()
        cached = self._cached
        if cached is not None and cached[0] is root:
            return cached[1]
        target = root if self._derive is None else self._derive(root)
        self._cached = (root, target)
        return target

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self._engine.run(coroutine)

    def _view(self: Self, step: Callable[[AsyncClient], AsyncClient]) -> Self:
        parent = self._derive
        derive = step if parent is None else _chain(parent, step)
        view = object.__new__(type(self))
        view._engine = self._engine
        view._derive = derive
        view._cached = None
        view._is_view = True
        view._target()  # refuses a bad argument now, as AsyncClient's views do
        return view

    @property
    def closed(self) -> bool:
        """Whether this client, or the client a view was made from, was closed."""
        return self._engine.closed

    def close(self) -> None:
        """Close the client: cancel the calls still running, close the connections and
        the loop, and end its daemon thread. Calling it again does nothing; a view's does
        nothing."""
        if not self._is_view:
            self._engine.close()

    def __repr__(self) -> str:
        kind = "Client view" if self._is_view else "Client"
        state = "closed" if self._engine.closed else "opened"
        return f"<{kind} {self._target().base_url} {state}>"


def _chain(
    first: Callable[[AsyncClient], AsyncClient], then: Callable[[AsyncClient], AsyncClient]
) -> Callable[[AsyncClient], AsyncClient]:
    return lambda root: then(first(root))


async def _next_page(pages: Any) -> Any:
    try:
        return await pages.__anext__()
    except StopAsyncIteration:
        return None


async def _close_pages(pages: Any) -> None:
    await pages.aclose()


class SyncPageIterator(_Closes, Generic[Item]):
    """One walk over a paginated endpoint: ``for item in walk`` or ``walk.pages()``.

    The async walk's pages, fetched on the client's loop: the same prefetch (from the
    second page on), de-duplication and limits. Leaving a loop early cancels the pages
    fetched ahead; ``close()`` (or ``with walk:``) does it at once.
    """

    def __init__(self, engine: _Engine, walk: PageIterator[Item]) -> None:
        self._engine = engine
        # The first page is fetched alone and the pages ahead only once the caller asks
        # for more than it: a loop left after its first item sends one request, as the
        # async walk does (its pages ahead start only when the caller awaits again).
        # The walk's own attribute, read before each page: this module is its only other user.
        self._walker = walk._walker  # pyright: ignore[reportPrivateUsage]
        self._concurrency = self._walker._concurrency  # pyright: ignore[reportPrivateUsage]
        self._walker._concurrency = 1  # pyright: ignore[reportPrivateUsage]
        self._walk = walk
        self._pages: Any = None
        self._buffer: Iterator[Item] = iter(())
        self._reading: str | None = None
        self._closed = False

    def __iter__(self) -> SyncPageIterator[Item]:
        return self

    def __next__(self) -> Item:
        for item in self._buffer:
            return item
        if self._reading is None:
            self._start("items")
        elif self._reading != "items":
            raise RuntimeError(
                "This walk is being read a page at a time with pages(); start a new walk "
                "to read it item by item."
            )
        while True:
            page = self._next_page()
            if page is None:
                raise StopIteration
            self._buffer = iter(page.items)
            for item in self._buffer:
                return item

    def pages(self) -> Iterator[Page[Item]]:
        """The same walk a page at a time; each page holds only ids not yielded before."""
        self._start("pages")
        return self._each_page()

    def _each_page(self) -> Iterator[Page[Item]]:
        try:
            while (page := self._next_page()) is not None:
                yield page
        finally:
            self._release()

    def _start(self, reading: str) -> None:
        if self._reading is not None:
            raise RuntimeError(
                "This walk has already started; call the method that made it (such as "
                "iter_claimed_subscriptions()) again for a new one."
            )
        self._reading = reading
        self._pages = self._walk.pages()

    def _next_page(self) -> Page[Item] | None:
        if self._closed:
            return None
        page: Page[Item] | None = self._engine.run(_next_page(self._pages))
        self._walker._concurrency = self._concurrency  # pyright: ignore[reportPrivateUsage]
        if page is None:
            self._closed = True
        return page

    def close(self) -> None:
        """Stop the walk, cancel the pages fetched ahead, and release the connections."""
        if self._pages is not None and not self._closed:
            self._closed = True
            self._engine.run(_close_pages(self._pages))

    def _release(self) -> None:
        # From __del__ or a generator's exit, maybe in code the loop runs: never waits.
        if self._pages is not None and not self._closed:
            self._closed = True
            self._engine.post(_close_pages(self._pages))

    def __del__(self) -> None:
        self._release()


class SyncSubscriptionIterator(SyncPageIterator[CustomerSubscription]):
    """One walk over the claimed subscriptions: ``for sub in walk`` or ``walk.pages()``."""

    def __init__(self, engine: _Engine, walk: SubscriptionIterator) -> None:
        super().__init__(engine, walk)
