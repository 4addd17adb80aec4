"""What the synchronous ``Client`` runs on: one event loop in a daemon thread, owning one
``AsyncClient``.

Each call is a coroutine of that ``AsyncClient``, queued for the loop, which runs it as a
task; the calling thread waits on a lock that the task releases as it ends. One loop for
the client's whole life keeps what the async client shares (the aiohttp session and its
pool, the rate limiters, the session cache) alive between calls and between threads: a
fresh ``asyncio.run()`` per call would throw all of it away and, with a loop replaced
between calls, kill the aiohttp session (asgiref's and anyio's known failure). The loop
runs in a thread of its own rather than in the caller's, so a call works the same from any
thread, inside a notebook's running loop too.

The rules, in one place:

- a call from the loop's own thread (an ``on_retry`` hook calling back in) would wait on
  itself: it raises ``EventLoopError``;
- a call from a coroutine of a running event loop would stall that loop: it raises
  ``EventLoopError`` too, except in the main thread of an IPython kernel (a Jupyter
  notebook), whose cells run as tasks of the kernel's loop and are meant to block;
- an interrupted wait (``KeyboardInterrupt``) cancels the call's task, so the request in
  flight is cancelled, not left running;
- ``close()``, and interpreter exit, cancel what still runs, close the ``AsyncClient``
  and end the thread;
- after ``os.fork()`` the child starts a new loop thread and a new ``AsyncClient`` on its
  first call. What it inherited is kept, never closed: the child shares the parent's epoll
  instance, and closing an inherited transport or loop there unregisters the parent's
  sockets.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import os
import sys
import threading
import weakref
from collections.abc import Callable, Coroutine, Iterator
from types import TracebackType
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
    "This Client was called from its own event loop's thread (from an on_retry hook or "
    "another callback it runs), where waiting for the answer would wait forever. Do not "
    "call the Client from code it runs; in async code use AsyncClient and await it."
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


def _in_notebook() -> bool:
    """Whether this is the main thread of an IPython kernel (Jupyter), whose cells run in
    the kernel's event loop and may block it."""
    if threading.current_thread() is not threading.main_thread():
        return False
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    shell = get_ipython() if callable(get_ipython) else None
    return getattr(shell, "kernel", None) is not None


class _Runtime:
    """An event loop running in a daemon thread, and the ``AsyncClient`` it owns."""

    def __init__(self, client: AsyncClient) -> None:
        self.client = client
        self.loop = asyncio.new_event_loop()
        self._queue: collections.deque[_Call[Any]] = collections.deque()
        self._wake_pending = False
        self.thread = threading.Thread(target=self._serve, name="polar-seats-client", daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()
        self.loop.run_until_complete(self._shutdown())
        self.loop.close()

    async def _shutdown(self) -> None:
        # Calls still running end first (their callers get ClientClosedError), so no
        # request is cut off by the session closing under it, and no task is destroyed
        # while pending.
        current = asyncio.current_task()
        tasks = [task for task in asyncio.all_tasks() if task is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.loop.shutdown_asyncgens()
        await self.client.close()

    def submit(self, call: _Call[Any]) -> None:
        """Queue ``call`` for the loop; called under the engine's lock. Only the first
        call queued since the loop last looked wakes it: a wake costs a write to the
        loop's self-pipe, and a busy loop (threads sharing the client) finds the others
        queued."""
        self._queue.append(call)
        if not self._wake_pending:
            self._wake_pending = True
            self.loop.call_soon_threadsafe(self._start_queued)

    def _start_queued(self) -> None:
        # The flag drops before the queue is read: a call queued meanwhile is either
        # read below or wakes the loop again.
        self._wake_pending = False
        queue = self._queue
        while queue:
            queue.popleft().start()

    def stop(self) -> None:
        """End the loop and wait for its thread, unless called from that thread."""
        try:
            self.loop.call_soon_threadsafe(self.loop.stop)
        except RuntimeError:
            return  # closed already
        if threading.current_thread() is not self.thread:
            self.thread.join()


class _Call(Generic[T]):
    """One call: its coroutine runs as a task on the loop, in the caller's context, and
    the calling thread waits on a lock that the task releases as it ends (lighter than a
    concurrent Future, and a loop iteration sooner than a done callback)."""

    __slots__ = ("_cancelled", "_context", "_coroutine", "_done", "_error", "_task", "_value")

    def __init__(self, coroutine: Coroutine[Any, Any, T]) -> None:
        self._coroutine = coroutine
        # The caller's context variables (its OpenTelemetry span, say) reach the task.
        self._context = contextvars.copy_context()
        self._done = threading.Lock()
        self._done.acquire()
        self._task: asyncio.Task[None] | None = None
        self._cancelled = False
        self._value: T | None = None
        self._error: BaseException | None = None

    def start(self) -> None:
        """On the loop: run the coroutine as a task, unless cancelled already."""
        if self._cancelled:
            self._coroutine.close()
            self._error = asyncio.CancelledError()
            self._done.release()
            return
        loop = asyncio.get_running_loop()
        self._task = self._context.run(loop.create_task, self._run())

    async def _run(self) -> None:
        try:
            self._value = await self._coroutine
        except asyncio.CancelledError as error:
            self._error = error
            raise  # the task ends cancelled, as it was
        except BaseException as error:
            # Every outcome goes to the caller, KeyboardInterrupt and SystemExit too:
            # raised out of the task, they would end the loop's thread instead.
            self._error = error
        finally:
            self._done.release()

    def cancel(self) -> None:
        """On the loop: cancel the task, or the start still to come."""
        self._cancelled = True
        if self._task is not None:
            self._task.cancel()

    def wait(self) -> None:
        self._done.acquire()

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
        # Stops the thread when the Client is collected, or at interpreter exit.
        self._finalizer = weakref.finalize(self, _stop, self._holder)
        _engines.add(self)

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def thread(self) -> threading.Thread | None:
        runtime = self._holder.runtime
        return None if runtime is None else runtime.thread

    def client(self) -> AsyncClient:
        """The root ``AsyncClient`` of this process."""
        client = self._client
        if client is None:
            with self._lock:
                if self._client is None:
                    self._client = AsyncClient(**self._options)
                client = self._client
        return client

    def check_caller(self) -> None:
        """Refuse a call that would deadlock or stall a running event loop."""
        if threading.current_thread() is self.thread:
            raise EventLoopError(OWN_THREAD)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        if not _in_notebook():
            raise EventLoopError(IN_EVENT_LOOP)

    def _runtime(self) -> _Runtime:
        # Called under the lock, so that nothing is submitted once close() has begun: a
        # coroutine submitted after the loop stopped would never run.
        if self._closed:
            raise ClientClosedError(CLOSED)
        runtime = self._holder.runtime
        if runtime is None:
            runtime = self._holder.runtime = _Runtime(self.client())
        return runtime

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the loop and wait for its result."""
        call = _Call(coroutine)
        runtime: _Runtime | None = None
        try:
            self.check_caller()
            with self._lock:
                runtime = self._runtime()
                runtime.submit(call)
            call.wait()
        except BaseException:
            if runtime is None:
                coroutine.close()  # refused: never started
            else:
                # Interrupted (KeyboardInterrupt): the task, and its request, end too.
                with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                    runtime.loop.call_soon_threadsafe(call.cancel)
            raise
        try:
            return call.result()
        except asyncio.CancelledError:
            if self._closed:
                raise ClientClosedError(
                    "This Client was closed while the call was running; create a new one "
                    "to send more requests."
                ) from None
            raise

    def post(self, coroutine: Coroutine[Any, Any, object]) -> None:
        """Start ``coroutine`` without waiting for it, if the loop runs; for cleanups."""
        with self._lock:
            runtime = self._holder.runtime
            if self._closed or runtime is None or runtime.loop.is_closed():
                coroutine.close()
                return
            asyncio.run_coroutine_threadsafe(coroutine, runtime.loop)

    def close(self) -> None:
        if threading.current_thread() is self.thread:
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
        end the loop's thread. Calling it again does nothing; a view's does nothing."""
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
        # From __del__ or a generator's exit, maybe in the loop's thread: never waits.
        if self._pages is not None and not self._closed:
            self._closed = True
            self._engine.post(_close_pages(self._pages))

    def __del__(self) -> None:
        self._release()


class SyncSubscriptionIterator(SyncPageIterator[CustomerSubscription]):
    """One walk over the claimed subscriptions: ``for sub in walk`` or ``walk.pages()``."""

    def __init__(self, engine: _Engine, walk: SubscriptionIterator) -> None:
        super().__init__(engine, walk)
