"""Redis, for a fleet of processes: the connection, its health, and the few commands sent.

Nothing here imports ``redis`` until a store is opened, so the library works without the
``redis`` extra. Every command runs under a short timeout; a failure marks the store down
for a moment (one warning per outage), and the callers fall back to their in-process
limiter and cache until Redis answers again.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import sys
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from ._retry import logger

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.lock import Lock

__all__ = ["OPERATION_TIMEOUT", "RECHECK_AFTER", "Store", "Unavailable", "open_store"]

T = TypeVar("T")
# One admission asked of the store: the window's key, its limit, its length in
# microseconds, and where the answer goes.
Asked = tuple[str, int, int, "asyncio.Future[int]"]

OPERATION_TIMEOUT = 0.5
"""Seconds one Redis command may take before the store counts as down."""
RECHECK_AFTER = 1.0
"""Seconds a down store is left alone before the next command tries it again."""
BATCH = 256
"""Most admissions asked of Redis in one pipeline."""

INSTALL_HINT = "pip install 'polar-seats[redis]'"

# The moving window of one subject, on Redis's clock (one clock for the whole fleet): the
# list holds the admission times (microseconds) of the last `limit` requests, newest first.
# Admits and records a request, returning 0, or returns the microseconds until the oldest
# of them leaves the window: one round trip answers "go" or "come back then".
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local oldest = redis.call('LINDEX', KEYS[1], limit - 1)
if oldest and now - tonumber(oldest) < window then
    return tonumber(oldest) + window - now
end
redis.call('LPUSH', KEYS[1], now)
redis.call('LTRIM', KEYS[1], 0, limit - 1)
redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
return 0
"""

# A kept session and the milliseconds it has left, in one round trip.
_READ = """
local token = redis.call('GET', KEYS[1])
if not token then
    return false
end
return {token, redis.call('PTTL', KEYS[1])}
"""

# Forget a session Polar refused, unless another process already replaced it.
_DROP = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""


async def _within(operation: Callable[[], Awaitable[T]], seconds: float) -> T:
    if sys.version_info >= (3, 11):
        # No task of its own per command, unlike wait_for before 3.12.
        async with asyncio.timeout(seconds):
            return await operation()
    return await asyncio.wait_for(operation(), seconds)  # pragma: no cover - Python 3.10


class Unavailable(Exception):
    """Redis did not answer in time, or is resting after it did not; fall back."""


def _unavailable(asked: list[Asked]) -> None:
    for *_, answer in asked:
        if not answer.done():
            answer.set_exception(Unavailable())


class Store:
    """One Redis that the client counts requests in, or keeps sessions in, or both."""

    def __init__(
        self,
        redis: Redis,
        *,
        owned: bool,
        prefix: str,
        namespace: bytes,
        errors: tuple[type[BaseException], ...],
        lock_error: type[BaseException],
        no_script: type[BaseException],
        timeout: float = OPERATION_TIMEOUT,
        recheck_after: float = RECHECK_AFTER,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.redis = redis
        self.owned = owned
        self.prefix = prefix
        self.timeout = timeout
        self.recheck_after = recheck_after
        self._namespace = namespace
        self._errors: tuple[type[BaseException], ...] = (*errors, OSError, asyncio.TimeoutError)
        self._lock_error = lock_error
        self._no_script = no_script
        self._clock = clock
        self._down_until: float | None = None
        self._acquire = redis.register_script(_ACQUIRE)
        # Admissions asked while a pipeline is out, and the task that sends them.
        self._asked: list[Asked] = []
        self._sender: asyncio.Task[None] | None = None
        self._read = redis.register_script(_READ)
        self._drop = redis.register_script(_DROP)

    def __repr__(self) -> str:
        state = "up" if self._down_until is None else "down"
        return f"<Store {self.where} {self.prefix!r} {state}>"

    @property
    def where(self) -> str:
        """Host, port and database of the Redis, never its password."""
        kwargs: dict[str, Any] = self.redis.connection_pool.connection_kwargs
        if "path" in kwargs:
            return f"unix:{kwargs['path']}/{kwargs.get('db', 0)}"
        return f"{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}/{kwargs.get('db', 0)}"

    def key(self, kind: str, name: bytes) -> str:
        """The Redis key of ``name`` (already a digest or an id, never a token)."""
        digest = hashlib.blake2b(self._namespace + b"\0" + name, digest_size=16).hexdigest()
        return f"{self.prefix}{kind}:{digest}"

    @property
    def down(self) -> bool:
        """Whether the store is resting after a failure (commands fall back at once)."""
        return self._down_until is not None and self._clock() < self._down_until

    async def run(self, operation: Callable[[], Awaitable[T]], timeout: float | None = None) -> T:
        """Run one command within the timeout; raise ``Unavailable`` when Redis fails."""
        if self.down:
            raise Unavailable
        try:
            result = await _within(operation, self.timeout if timeout is None else timeout)
        except self._errors as exc:
            self._fail(exc)
            raise Unavailable from None
        if self._down_until is not None:
            self._down_until = None
            logger.warning("Redis at %s answers again: the fleet's store is used again", self.where)
        return result

    def _fail(self, exc: BaseException) -> None:
        if self._down_until is None:
            logger.warning(
                "Redis at %s did not answer (%s): rate limits and sessions are kept in this "
                "process alone until it does",
                self.where,
                type(exc).__name__,
            )
        self._down_until = self._clock() + self.recheck_after

    async def acquire(self, key: str, limit: int, window: float) -> float:
        """Record one request in ``key``'s window and return 0, or return the seconds to
        wait before there is room.

        The admissions asked in one turn of the event loop, or while a pipeline is out,
        go to Redis together in the next pipeline: one round trip for all of them, on one
        connection, however many requests are in flight.
        """
        if self.down:
            raise Unavailable
        answer: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._asked.append((key, limit, round(window * 1e6), answer))
        if self._sender is None:
            self._sender = asyncio.create_task(self._send_asked())
        return await answer / 1e6

    async def _send_asked(self) -> None:
        batch: list[Asked] = []
        try:
            while self._asked:
                batch, self._asked = self._asked[:BATCH], self._asked[BATCH:]
                try:
                    answers = await self.run(functools.partial(self._admit, batch))
                except Unavailable:
                    _unavailable(batch)
                    continue
                for (*_, answer), micros in zip(batch, answers, strict=True):
                    if not answer.done():
                        answer.set_result(micros)
            batch = []
        finally:
            # Cancelled, or failed otherwise: no caller waits for an answer that never comes.
            self._sender = None
            _unavailable(batch + self._asked)
            self._asked = []

    async def _admit(self, batch: list[Asked]) -> list[int]:
        """The moving-window script's answer for each of ``batch``, from one pipeline
        (two, with the script loaded between, when this Redis has not seen it yet)."""
        answers = await self._evaluate(batch)
        missing = [n for n, answer in enumerate(answers) if isinstance(answer, self._no_script)]
        if missing:
            # A new, restarted or flushed Redis: those scripts did not run; run them now.
            await self.redis.script_load(_ACQUIRE)
            for n, answer in zip(
                missing, await self._evaluate([batch[n] for n in missing]), strict=True
            ):
                answers[n] = answer
        for answer in answers:
            if isinstance(answer, BaseException):
                raise answer
        # Each is the script's integer reply now.
        return [int(answer) for answer in answers]  # type: ignore[call-overload]

    async def _evaluate(self, batch: list[Asked]) -> list[object]:
        pipe = self.redis.pipeline(transaction=False)
        for key, limit, micros, _ in batch:
            pipe.evalsha(self._acquire.sha, 1, key, limit, micros)
        return await pipe.execute(raise_on_error=False)

    async def read_session(self, key: str) -> tuple[str, float] | None:
        """The token kept at ``key`` and its seconds left, or ``None``."""
        # redis-py leaves a script's reply untyped; the read script answers nil or {token, pttl}.
        found: object = await self.run(lambda: self._read(keys=[key]))
        match found:
            case None:
                return None
            case [bytes() as token, int() as millis]:
                return token.decode(), millis / 1000
            case [str() as token, int() as millis]:
                return token, millis / 1000
            case _:
                raise TypeError(f"the session read script answered {found!r}")

    async def write_session(self, key: str, token: str, seconds: float) -> None:
        """Keep ``token`` at ``key`` for ``seconds``."""
        await self.run(lambda: self.redis.set(key, token, px=max(1, round(seconds * 1000))))

    async def drop_session(self, key: str, token: str) -> None:
        """Forget ``token`` at ``key`` if it is still the one kept there."""
        await self.run(lambda: self._drop(keys=[key], args=[token]))

    def lock(self, key: str, timeout: float) -> Lock:
        """A Redis lock on ``key`` that expires by itself after ``timeout`` seconds."""
        return self.redis.lock(
            key, timeout=timeout, blocking_timeout=timeout, sleep=0.02, thread_local=False
        )

    async def release(self, lock: Lock) -> None:
        """Release ``lock``; one that expired meanwhile is no failure of Redis."""

        async def release() -> None:
            with contextlib.suppress(self._lock_error):
                await lock.release()

        await self.run(release)

    async def close(self) -> None:
        """Close the connection pool, if the client opened it."""
        if self.owned:
            await self.redis.aclose()


def open_store(store: object, *, prefix: str, namespace: bytes) -> Store:
    """A ``Store`` on ``store``: a ``redis://`` URL (the client opens and closes its
    connections) or a ``redis.asyncio.Redis`` the caller owns."""
    try:
        import redis.asyncio
        import redis.exceptions
    except ImportError as exc:
        raise ImportError(
            f"A rate_limit_store or session_store needs the redis package: {INSTALL_HINT}"
        ) from exc

    def on(client: Redis, owned: bool) -> Store:
        return Store(
            client,
            owned=owned,
            prefix=prefix,
            namespace=namespace,
            errors=(redis.exceptions.RedisError,),
            lock_error=redis.exceptions.LockError,
            no_script=redis.exceptions.NoScriptError,
        )

    if isinstance(store, str):
        # redis-py types from_url's keyword arguments as unknown.
        from_url: Callable[..., Redis] = redis.asyncio.Redis.from_url  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
        client = from_url(
            store, socket_timeout=OPERATION_TIMEOUT, socket_connect_timeout=OPERATION_TIMEOUT
        )
        return on(client, owned=True)
    if isinstance(store, redis.asyncio.Redis):
        return on(store, owned=False)
    raise TypeError(
        f"A store is a redis:// URL or a redis.asyncio.Redis client (got {type(store).__name__})."
    )
