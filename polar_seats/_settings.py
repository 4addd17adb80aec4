"""A client's settings: the defaults, their checks, and what is fixed at creation."""

from __future__ import annotations

import dataclasses
import hashlib
import platform
from collections.abc import Mapping

import aiohttp

from ._errors import InvalidArgumentError
from ._ratelimit import RateLimit, default_rate_limit
from ._redis import Store, open_store
from ._retry import RetryPolicy
from ._secret import Secret
from ._version import version

DEFAULT_TIMEOUT = 30.0
"""Seconds one attempt may take, connecting and reading included."""
DEFAULT_CONCURRENCY = 8
"""Pages a walk fetches at once, once the first page has told it how many there are."""
DEFAULT_MAX_BODY_SIZE = 32 * 1024 * 1024
"""Bytes a response body may have; a full page of 100 rich subscriptions is under 1 MiB."""
DEFAULT_SESSION_REFRESH_MARGIN = 300.0
"""Seconds before a cached session expires when it is minted again."""
SESSION_LIFETIME = 3600.0
"""Seconds a customer or member session lives at Polar."""
MAX_SESSION_REFRESH_MARGIN = SESSION_LIFETIME / 2
"""The largest margin taken: each session is then used for half its hour at least."""
DEFAULT_SESSION_CACHE_SIZE = 10_000
"""Customer sessions a client keeps, least recently used out first."""
DEFAULT_STORE_PREFIX = "polar-seats:"
"""The start of every key the client writes in Redis."""

DEFAULT_RETRY = RetryPolicy()


class ServerDefault:
    """Stands for "Polar's own rate limit for the chosen server"."""

    def __repr__(self) -> str:
        return "<Polar's limit for the server>"


SERVER_DEFAULT = ServerDefault()


@dataclasses.dataclass(frozen=True)
class Settings:
    """What a client and its views share besides the transport; fixed at creation."""

    server: str
    timeout: aiohttp.ClientTimeout
    retry: RetryPolicy | None
    concurrency: int
    polar_version: str
    headers: Mapping[str, str]
    """The headers of every request, without a credential."""
    organization_token: Secret | None
    """The organization token, if the client holds one."""
    session_refresh_margin: float


def stores(
    rate_limit_store: object,
    session_store: object,
    prefix: str,
    origin: str,
    organization: str | None,
) -> tuple[Store | None, Store | None]:
    # Keys are digests under a namespace of the server and the organization, so that
    # several organizations (or servers) can share one Redis; no key holds a token.
    if not isinstance(prefix, str):
        raise TypeError(f"rate_limit_prefix must be a string (got {type(prefix).__name__}).")
    namespace = hashlib.blake2b(f"{origin}\0{organization or ''}".encode()).digest()
    rate = (
        None
        if rate_limit_store is None
        else open_store(rate_limit_store, prefix=prefix, namespace=namespace)
    )
    if session_store is None:
        return rate, None
    if rate is not None and (
        session_store is rate_limit_store
        or (isinstance(session_store, str) and session_store == rate_limit_store)
    ):
        return rate, rate
    return rate, open_store(session_store, prefix=prefix, namespace=namespace)


def rate_limit_for(
    rate_limit: int | RateLimit | ServerDefault | None, server: str
) -> RateLimit | None:
    if isinstance(rate_limit, ServerDefault):
        return default_rate_limit(server)
    if rate_limit is None or isinstance(rate_limit, RateLimit):
        return rate_limit
    if isinstance(rate_limit, bool) or not isinstance(rate_limit, int):
        raise TypeError(
            "rate_limit must be requests per minute (an int), a RateLimit, or None "
            f"(got {type(rate_limit).__name__})."
        )
    try:
        return RateLimit(rate_limit)
    except InvalidArgumentError as error:
        raise InvalidArgumentError(str(error), argument="rate_limit") from None


def check_margin(margin: float) -> float:
    # Anything above half the hour is refused, not lowered: a margin is either honoured
    # as given or refused with the reason.
    highest = MAX_SESSION_REFRESH_MARGIN
    if (
        isinstance(margin, bool)
        or not isinstance(margin, (int, float))
        or not 0 <= margin <= highest
    ):
        raise InvalidArgumentError(
            f"session_refresh_margin must be from 0 to {highest:g} seconds (got {margin!r}): "
            "it is how long before a session's hour ends that the next one is minted, and a "
            "larger margin would throw most of every session away. To keep each session "
            f"for N seconds, pass {SESSION_LIFETIME:g} - N (N of {highest:g} or more).",
            argument="session_refresh_margin",
        )
    return float(margin)


def check_cache_size(size: int) -> int:
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise InvalidArgumentError(
            f"session_cache_size must be 1 or more sessions (got {size!r}).",
            argument="session_cache_size",
        )
    return size


def client_timeout(timeout: float | aiohttp.ClientTimeout) -> aiohttp.ClientTimeout:
    if isinstance(timeout, aiohttp.ClientTimeout):
        return timeout
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise InvalidArgumentError(
            f"timeout must be a positive number of seconds or an aiohttp.ClientTimeout "
            f"(got {timeout!r}).",
            argument="timeout",
        )
    return aiohttp.ClientTimeout(total=float(timeout))


def default_user_agent() -> str:
    return (
        f"polar-seats/{version()} aiohttp/{aiohttp.__version__} "
        f"{platform.python_implementation()}/{platform.python_version()}"
    )
