"""One call, sent through the retry loop: each attempt sends once and parses the answer.

The attempt joins the pieces of the layers below: the deadline's share of the timeout,
the transport's one send, and the pure ``parse_response()``. The retry loop
(``call_with_retries``) decides whether another attempt follows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import aiohttp

from ._errors import PolarError
from ._protocol import Request, parse_response
from ._ratelimit import RateLimiter
from ._retry import Reconcile, call_with_retries
from ._secret import Secret
from ._settings import client_timeout
from ._shared import Shared

__all__ = ["send_with_retries"]

T = TypeVar("T")


async def send_with_retries(
    shared: Shared,
    request: Request,
    decode: Callable[[bytes], T],
    token: Secret | None,
    limiter: RateLimiter | None,
    timeout: float | None,
    reconcile: Reconcile[T] | None,
) -> T:
    """Send ``request`` with ``token``, paced by ``limiter``, retried as its kind and the
    client's policy allow; a success decoded by ``decode``, a failure raised with the
    request and the number of requests sent."""
    settings, transport = shared.settings, shared.transport
    attempt_timeout = settings.timeout if timeout is None else client_timeout(timeout)
    sent = 0  # requests sent so far: the error's attempts, the trace's resend count

    async def attempt(deadline_left: float | None) -> T:
        nonlocal sent
        budget = attempt_timeout
        if deadline_left is not None and (budget.total is None or deadline_left < budget.total):
            budget = aiohttp.ClientTimeout(
                total=deadline_left,
                connect=budget.connect,
                sock_read=budget.sock_read,
                sock_connect=budget.sock_connect,
            )
        session = transport.open()  # a closed client raises here: nothing is sent
        sent += 1
        status, answer_headers, body = await transport.send(
            session, request, settings.headers, token, budget, limiter, sent - 1
        )
        return parse_response(
            request, status, answer_headers, body, decode, polar_version=settings.polar_version
        )

    try:
        return await call_with_retries(
            settings.retry,
            attempt,
            request=request,
            budget=shared.budget,
            reconcile=reconcile,
        )
    except PolarError as error:
        if error.request is None:
            error.request = request
        # The requests sent, which the retry loop's count of tries can exceed (an
        # attempt of a client closed meanwhile sends nothing).
        error.attempts = sent
        raise
