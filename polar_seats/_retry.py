"""When and how long to retry a request: the policy object and its tenacity plumbing."""

from __future__ import annotations

import dataclasses
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import tenacity

from ._clock import deadline_clock, retry_sleep
from ._errors import (
    APIStatusError,
    InvalidArgumentError,
    NetworkError,
    PolarError,
    PolarTimeoutError,
    RateLimitError,
)
from ._protocol import RetryKind
from ._tracing import active as tracing
from ._tracing import retry_waited

if TYPE_CHECKING:
    from ._protocol import Request

__all__ = ["RetryBudget", "RetryEvent", "RetryPolicy"]

logger = logging.getLogger("polar_seats")
# A library's records go where the application's logging sends them, and nowhere (not even
# Python's last-resort stderr handler) when it has none.
logger.addHandler(logging.NullHandler())

T = TypeVar("T")

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


@dataclasses.dataclass(frozen=True)
class RetryEvent:
    """What the ``on_retry`` hook is told before each retry's wait."""

    page: int | None
    """The page number, on a page call."""
    attempt: int
    """The attempt that failed, from 1."""
    error: PolarError
    wait: float
    """Seconds until the next attempt."""
    request: Request | None = None
    """The request being retried; ``request.label`` names it."""


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """How a request is retried. Pass it to ``AsyncClient(retry=...)``; ``retry=None`` disables.

    Connection failures, timeouts, cut-off bodies and the statuses in ``retry_statuses`` are
    retried, each page on its own. A 429 waits what its ``Retry-After`` asks, unless that is
    more than ``retry_after_cap``, in which case the
    [`RateLimitError`][polar_seats.RateLimitError] is raised at once. Otherwise the wait is
    exponential with full jitter: ``random(0, min(backoff_cap, backoff_base * 2 ** (attempt
    - 1)))``, which spreads the retries of many clients apart.

    A call stops after ``max_attempts`` requests, or before a wait that would end past
    ``deadline`` seconds from its start, whichever comes first; the last error is raised,
    with ``attempts`` set on it.

    Retries also draw on a budget shared by everything the client sends (as in the AWS
    SDKs' standard mode): ``retry_budget`` tokens, ``retry_cost`` per retry
    (``timeout_retry_cost`` after a timeout), one back per success. When a sustained
    outage empties it, failures surface at once instead of feeding a retry storm from
    many concurrent walks. ``retry_budget=None`` removes the budget.
    """

    max_attempts: int = 4
    deadline: float | None = 120.0
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    retry_after_cap: float = 60.0
    retry_statuses: frozenset[int] = RETRY_STATUSES
    retry_budget: int | None = 500
    retry_cost: int = 5
    timeout_retry_cost: int = 10
    on_retry: Callable[[RetryEvent], None] | None = None

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise InvalidArgumentError(
                "max_attempts must be 1 or more (1 means no retries).", argument="max_attempts"
            )
        if self.deadline is not None and self.deadline <= 0:
            raise InvalidArgumentError(
                "deadline must be a positive number of seconds, or None.", argument="deadline"
            )
        for name in ("backoff_base", "backoff_cap", "retry_after_cap"):
            if getattr(self, name) < 0:
                raise InvalidArgumentError(
                    "backoff_base, backoff_cap and retry_after_cap must not be negative "
                    f"({name} is {getattr(self, name)!r}).",
                    argument=name,
                )
        for name in ("retry_cost", "timeout_retry_cost"):
            if getattr(self, name) < 0:
                raise InvalidArgumentError(
                    "retry_cost and timeout_retry_cost must not be negative "
                    f"({name} is {getattr(self, name)!r}).",
                    argument=name,
                )
        if self.retry_budget is not None and self.retry_budget < 0:
            raise InvalidArgumentError(
                "retry_budget must be 0 or more tokens, or None for no budget.",
                argument="retry_budget",
            )

    def is_retryable(self, error: BaseException) -> bool:
        """Whether ``error`` is worth another attempt of a read; only errors we raise are."""
        if isinstance(error, NetworkError):
            return True
        return isinstance(error, APIStatusError) and error.status in self.retry_statuses

    def is_retryable_unsent(self, error: BaseException) -> bool:
        """Whether ``error`` proves Polar did not run the request, so that even a write may be
        sent again: a 429 (Polar's limiter answers before the application runs) or a
        connection that never opened."""
        if not self.is_retryable(error):
            return False
        if isinstance(error, RateLimitError):
            return True
        return isinstance(error, NetworkError) and not error.request_sent

    def backoff(self, attempt: int) -> float:
        """The jittered wait after failed attempt number ``attempt`` (from 1)."""
        ceiling = min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))
        return random.uniform(0, ceiling)


class RetryBudget:
    """Tokens that retries spend and successes earn back; one per client."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.tokens = capacity

    def withdraw(self, cost: int) -> bool:
        """Spend ``cost`` tokens for a retry; ``False`` (and nothing spent) if short."""
        if cost > self.tokens:
            return False
        self.tokens -= cost
        return True

    def refund(self, amount: int = 1) -> None:
        """Give back ``amount`` tokens after a success, up to the capacity."""
        self.tokens = min(self.capacity, self.tokens + amount)


class _Wait(tenacity.wait.wait_base):
    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        error = _error_of(retry_state)
        if isinstance(error, RateLimitError) and error.retry_after is not None:
            return error.retry_after
        return self.policy.backoff(retry_state.attempt_number)


class _Stop(tenacity.stop.stop_base):
    def __init__(self, policy: RetryPolicy, started: float, budget: RetryBudget | None) -> None:
        self.policy = policy
        self.started = started
        self.budget = budget
        self.refused: BaseException | None = None
        """The failure the budget refused to retry, if it did."""
        self.reason = ""
        """What in the policy stopped the retries, for the message of the error raised."""

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        if retry_state.attempt_number >= self.policy.max_attempts:
            self.reason = f"the policy's max_attempts={self.policy.max_attempts}"
            return True
        error = _error_of(retry_state)
        if (
            isinstance(error, RateLimitError)
            and error.retry_after is not None
            and error.retry_after > self.policy.retry_after_cap
        ):
            self.reason = (
                f"Polar asked for a wait of {error.retry_after:g} s, over the policy's "
                f"retry_after_cap={self.policy.retry_after_cap:g} s"
            )
            return True
        if self.policy.deadline is not None:
            # Never start a wait that would end past the deadline.
            elapsed = deadline_clock() - self.started
            if elapsed + retry_state.upcoming_sleep >= self.policy.deadline:
                self.reason = (
                    f"the next wait, {retry_state.upcoming_sleep:.1f} s, would end past the "
                    f"policy's deadline={self.policy.deadline:g} s"
                )
                return True
        if self.budget is None:
            return False
        timed_out = isinstance(error, PolarTimeoutError)
        cost = self.policy.timeout_retry_cost if timed_out else self.policy.retry_cost
        if self.budget.withdraw(cost):
            return False
        self.refused = error
        return True


def _error_of(retry_state: tenacity.RetryCallState) -> BaseException | None:
    outcome = retry_state.outcome
    return outcome.exception() if outcome is not None and outcome.failed else None


def _retry_predicate(
    policy: RetryPolicy, request: Request, should_retry: Callable[[PolarError], bool] | None
) -> Callable[[BaseException], bool]:
    if request.retry is RetryKind.SAFE:
        return policy.is_retryable
    if request.retry is RetryKind.CUSTOM and should_retry is not None:
        custom = should_retry

        def decide(error: BaseException) -> bool:
            return isinstance(error, PolarError) and custom(error)

        return decide
    return policy.is_retryable_unsent


def _add_to_message(error: PolarError, note: str) -> None:
    if error.args and isinstance(error.args[0], str):
        error.args = (error.args[0] + note, *error.args[1:])


def _gave_up(error: PolarError, reason: str) -> None:
    """Say in the error's message how many attempts were made, over how long, and what in
    the policy stopped them."""
    attempts = "1 attempt" if error.attempts == 1 else f"{error.attempts} attempts"
    elapsed = error.retry_elapsed or 0.0
    _add_to_message(error, f" Gave up after {attempts} over {elapsed:.1f} s ({reason}).")


def _budget_exhausted(error: PolarError, request: Request) -> None:
    """Say on the error, in its message and in one log record that the budget refused."""
    error.retry_budget_exhausted = True
    note = (
        " Not retried: the client's retry budget is empty after many failed requests; "
        "it refills as requests succeed (RetryPolicy(retry_budget=...))."
    )
    _add_to_message(error, note)
    logger.warning("Not retrying %s: the client's retry budget is empty (%s)", request.label, error)


async def call_with_retries(
    policy: RetryPolicy | None,
    attempt: Callable[[float | None], Awaitable[T]],
    *,
    request: Request,
    budget: RetryBudget | None = None,
    should_retry: Callable[[PolarError], bool] | None = None,
) -> T:
    """Run ``attempt`` until it succeeds or ``policy`` gives up.

    ``attempt`` receives the seconds left before the call's deadline (``None`` for no
    deadline), so that no single attempt outlives it. What is retried depends on
    ``request.retry``: every retryable failure of a read; for a write, only failures that
    prove Polar did not run it; for a custom request, what ``should_retry`` says.
    """
    started = deadline_clock()
    if policy is None:
        return await attempt(None)
    retryable = _retry_predicate(policy, request, should_retry)

    def remaining() -> float | None:
        if policy.deadline is None:
            return None
        return max(0.0, policy.deadline - (deadline_clock() - started))

    result: T
    try:
        result = await _attempt_with_deadline(attempt, remaining)
    except PolarError as error:
        if not retryable(error):
            raise
        # Only a failed first attempt builds the tenacity machinery, which costs more than
        # a small request; tenacity then decides every retry, starting from this failure.
        first = error
        replay = [error]

        def before_sleep(retry_state: tenacity.RetryCallState) -> None:
            failure = _error_of(retry_state)
            assert isinstance(failure, PolarError)
            wait = retry_state.upcoming_sleep
            logger.warning(
                "Retrying %s in %.2f s after attempt %d failed: %s",
                request.label,
                wait,
                retry_state.attempt_number,
                failure,
            )
            if tracing():
                retry_waited(retry_state.attempt_number, wait, failure)
            if policy.on_retry is not None:
                policy.on_retry(
                    RetryEvent(
                        page=request.page,
                        attempt=retry_state.attempt_number,
                        error=failure,
                        wait=wait,
                        request=request,
                    )
                )

        async def again() -> T:
            if replay:
                raise replay.pop()
            return await _attempt_with_deadline(attempt, remaining)

        stop = _Stop(policy, started, budget)
        retrying = tenacity.AsyncRetrying(
            # A positive predicate: cancellation and our bugs are never retried (tenacity#529).
            # The first failure was judged above: a custom predicate runs once per failure.
            retry=tenacity.retry_if_exception(
                lambda failure: failure is first or retryable(failure)
            ),
            stop=stop,
            wait=_Wait(policy),
            before_sleep=before_sleep,
            sleep=retry_sleep,
            reraise=True,
        )
        try:
            result = await retrying(again)
        except PolarError as final:
            # An attempt the deadline stopped before it sent anything is no attempt.
            unsent = final.attempts == 0
            final.attempts = retrying.statistics.get("attempt_number", 1) - unsent
            final.retry_elapsed = deadline_clock() - started
            if stop.refused and final is stop.refused:
                _budget_exhausted(final, request)
            elif stop.reason:
                _gave_up(final, stop.reason)
            raise
    if budget is not None:
        budget.refund()
    return result


async def _attempt_with_deadline(
    attempt: Callable[[float | None], Awaitable[T]], remaining: Callable[[], float | None]
) -> T:
    """One attempt, given what is left of the call's deadline."""
    left = remaining()
    if left is not None and left <= 0:
        passed = PolarTimeoutError("The call's deadline passed before the next attempt.")
        passed.attempts = 0  # nothing was sent
        raise passed
    return await attempt(left)
