"""When and how long to retry a request: the policy object and its tenacity plumbing."""

from __future__ import annotations

import contextvars
import dataclasses
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Generic, TypeVar

import tenacity

from ._clock import deadline_clock, retry_sleep
from ._errors import (
    APIStatusError,
    InvalidArgumentError,
    NetworkError,
    OutcomeUnknownError,
    PolarError,
    PolarTimeoutError,
    RateLimitError,
    ServerError,
)
from ._protocol import RetryKind
from ._tracing import active as tracing
from ._tracing import retry_waited

if TYPE_CHECKING:
    from ._protocol import Request

__all__ = ["Reconcile", "RetryBudget", "RetryEvent", "RetryPolicy", "SendAgain", "Settled"]

logger = logging.getLogger("polar_seats")
# A library's records go where the application's logging sends them, and nowhere (not even
# Python's last-resort stderr handler) when it has none.
logger.addHandler(logging.NullHandler())

T = TypeVar("T")

page_context: contextvars.ContextVar[tuple[Request, int] | None] = contextvars.ContextVar(
    "polar_seats_page", default=None
)
"""A page call's request and page, set around the call by the operation that calls by
page, so that ``RetryEvent.page`` tells it; the loop itself knows no endpoint."""

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


@dataclasses.dataclass(frozen=True)
class RetryEvent:
    """What the ``on_retry`` hook is told before each retry's wait."""

    page: int | None
    """The page number, on a page call (``page_context``)."""
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

    A write is sent again only when that is safe (see
    [`RetryKind`][polar_seats.RetryKind]), but by these same rules: its resends count,
    wait, spend the budget and reach ``on_retry`` as a read's do.

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


_ONCE = RetryPolicy(max_attempts=1, deadline=None, retry_budget=None)
"""``retry=None``, for a write whose lost answer is still reconciled."""


@dataclasses.dataclass(frozen=True)
class Settled(Generic[T]):
    """A reconcile step's finding: the lost attempt did the write, and this is its result."""

    result: T


@dataclasses.dataclass(frozen=True)
class SendAgain:
    """A reconcile step's finding: the lost attempt did nothing, so the write may go again."""

    why: str
    """What the step saw, for the retry's log record."""
    otherwise: PolarError
    """Raised, caused by the lost error, when the policy allows no more sends."""


Reconcile = Callable[[PolarError, PolarError | None, int], Awaitable[Settled[T] | SendAgain]]
"""A write's step that finds out what a lost attempt did, by reading: called with the last
failure that may have run at Polar, Polar's answer to a later resend if that is what
failed (a refusal it may have caused), and the number of the attempt that failed. It
returns ``Settled`` or ``SendAgain``, or raises (``OutcomeUnknownError`` when it
cannot tell)."""


def never_again(
    request: Request, finding: Callable[[PolarError], str], advice: str = ""
) -> Reconcile[T]:
    """The step of a write that nothing can check, or that must not run twice: a lost
    answer is an unknown outcome, told by ``finding`` (given the lost error) and
    ``advice`` (see ``OutcomeUnknownError``)."""

    async def step(lost: PolarError, answer: PolarError | None, attempt: int) -> SendAgain:
        raise OutcomeUnknownError(finding(lost), advice=advice, request=request) from lost

    return step


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
            self.reason = (
                "retries are off: retry=None"
                if self.policy is _ONCE
                else f"the policy's max_attempts={self.policy.max_attempts}"
            )
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


def may_have_run(error: PolarError) -> bool:
    """Whether a write that failed so may have run at Polar: its answer was lost (a timeout,
    a dropped connection) or came from a proxy or a crash (5xx, 408)."""
    if isinstance(error, NetworkError):
        return error.request_sent
    return isinstance(error, ServerError) or (
        isinstance(error, APIStatusError) and error.status == 408
    )


def add_to_message(error: PolarError, note: str) -> None:
    if isinstance(error, OutcomeUnknownError):
        # The note is part of what is known: it goes before the advice.
        error.finding += note
        advice = f" {error.advice}" if error.advice else ""
        error.args = (error.finding + advice, *error.args[1:])
    elif error.args and isinstance(error.args[0], str):
        error.args = (error.args[0] + note, *error.args[1:])


def _gave_up(error: PolarError, reason: str) -> None:
    """Say in the error's message how many attempts were made, over how long, and what in
    the policy stopped them."""
    attempts = "1 attempt" if error.attempts == 1 else f"{error.attempts} attempts"
    elapsed = error.retry_elapsed or 0.0
    add_to_message(error, f" Gave up after {attempts} over {elapsed:.1f} s ({reason}).")


def _budget_exhausted(error: PolarError, request: Request) -> None:
    """Say on the error, in its message and in one log record that the budget refused."""
    error.retry_budget_exhausted = True
    note = (
        " Not retried: the client's retry budget is empty after many failed requests; "
        "it refills as requests succeed (RetryPolicy(retry_budget=...))."
    )
    add_to_message(error, note)
    logger.warning("Not retrying %s: the client's retry budget is empty (%s)", request.label, error)


async def call_with_retries(
    policy: RetryPolicy | None,
    attempt: Callable[[float | None], Awaitable[T]],
    *,
    request: Request,
    budget: RetryBudget | None = None,
    reconcile: Reconcile[T] | None = None,
) -> T:
    """Run ``attempt`` until it succeeds or ``policy`` gives up: the one loop that sends every
    request again, reads and writes alike.

    ``attempt`` receives the seconds left before the call's deadline (``None`` for no
    deadline), so that no single attempt outlives it. What is sent again depends on
    ``request.retry``: every retryable failure of a read; for a write, only failures that
    prove Polar did not run it, and for a ``CUSTOM`` write, also what its ``reconcile``
    step allows after a failure that may have run.
    """
    started = deadline_clock()
    if policy is None:
        if reconcile is None:
            return await attempt(None)
        policy = _ONCE  # no retries, but a lost write is still reconciled

    def remaining() -> float | None:
        if policy.deadline is None:
            return None
        return max(0.0, policy.deadline - (deadline_clock() - started))

    result: T
    try:
        result = await _attempt_with_deadline(attempt, remaining)
    except PolarError as error:
        # Only a failed first attempt builds the retry machinery, which costs more than a
        # small request.
        retries = _Retries(policy, attempt, request, budget, reconcile, started, remaining)
        result = await retries.after(error)
    if budget is not None:
        budget.refund()
    return result


class _Retries(Generic[T]):
    """The resends of one call, from its first failure; tenacity decides each one."""

    def __init__(
        self,
        policy: RetryPolicy,
        attempt: Callable[[float | None], Awaitable[T]],
        request: Request,
        budget: RetryBudget | None,
        reconcile: Reconcile[T] | None,
        started: float,
        remaining: Callable[[], float | None],
    ) -> None:
        self.policy = policy
        self.attempt = attempt
        self.request = request
        self.budget = budget
        self.started = started
        self.remaining = remaining
        self.resendable = (
            policy.is_retryable if request.retry is RetryKind.SAFE else policy.is_retryable_unsent
        )
        self.reconcile = reconcile if request.retry is RetryKind.CUSTOM else None
        self.sent = 1
        self.lost: PolarError | None = None
        """The last failure of the call that may have run at Polar."""
        self.allowed: tuple[PolarError, SendAgain] | None = None
        """The failure being retried on a reconcile step's word, and that word."""
        self.replay: PolarError | None = None

    async def after(self, first: PolarError) -> T:
        """The call's result after its first send failed with ``first``, or its last error."""
        try:
            return await self.settle(first)
        except PolarError as error:
            if not self.may_resend(error):
                raise
            self.replay = error
        stop = _Stop(self.policy, self.started, self.budget)
        retrying = tenacity.AsyncRetrying(
            # A positive predicate: cancellation and our bugs are never retried (tenacity#529).
            retry=tenacity.retry_if_exception(self.may_resend),
            stop=stop,
            wait=_Wait(self.policy),
            before_sleep=self.before_sleep,
            sleep=retry_sleep,
            reraise=True,
        )
        try:
            return await retrying(self.again)
        except PolarError as failure:
            final = failure
            if self.allowed is not None and failure is self.allowed[0]:
                # The step found the lost attempt did nothing, but no resend is left.
                final = self.allowed[1].otherwise
            # An attempt the deadline stopped before it sent anything is no attempt.
            unsent = failure.attempts == 0
            final.attempts = retrying.statistics.get("attempt_number", 1) - unsent
            final.retry_elapsed = deadline_clock() - self.started
            if stop.refused and failure is stop.refused:
                _budget_exhausted(final, self.request)
            elif stop.reason:
                _gave_up(final, stop.reason)
            if final is failure:
                raise
            raise final from failure

    async def again(self) -> T:
        """One send and what its failure means; the first failure, already judged, replayed."""
        if self.replay is not None:
            replayed, self.replay = self.replay, None
            raise replayed
        self.sent += 1
        try:
            return await _attempt_with_deadline(self.attempt, self.remaining)
        except PolarError as error:
            return await self.settle(error)

    async def settle(self, error: PolarError) -> T:
        """The result a reconcile step finds behind ``error``; else ``error``, raised for the
        loop to judge."""
        self.allowed = None
        if self.reconcile is None or self.resendable(error):
            raise error
        if may_have_run(error):
            self.lost, answer = error, None
        elif self.lost is not None:
            answer = error  # Polar's answer to a resend may tell what the lost attempt did
        else:
            raise error
        found = await self.reconcile(self.lost, answer, self.sent)
        if isinstance(found, Settled):
            return found.result
        self.allowed = (error, found)
        raise error

    def may_resend(self, failure: BaseException) -> bool:
        """Whether ``failure`` may be sent again: by its kind, or on a reconcile step's word."""
        if self.allowed is not None and failure is self.allowed[0]:
            return True
        return self.resendable(failure)

    def before_sleep(self, retry_state: tenacity.RetryCallState) -> None:
        failure = _error_of(retry_state)
        assert isinstance(failure, PolarError)
        wait = retry_state.upcoming_sleep
        why = "" if self.allowed is None else f"; {self.allowed[1].why}"
        logger.warning(
            "Retrying %s in %.2f s after attempt %d failed: %s%s",
            self.request.label,
            wait,
            retry_state.attempt_number,
            failure,
            why,
        )
        if tracing():
            retry_waited(retry_state.attempt_number, wait, failure)
        if self.policy.on_retry is not None:
            self.policy.on_retry(
                RetryEvent(
                    page=_page_of(self.request),
                    attempt=retry_state.attempt_number,
                    error=failure,
                    wait=wait,
                    request=self.request,
                )
            )


def _page_of(request: Request) -> int | None:
    context = page_context.get()
    return context[1] if context is not None and context[0] is request else None


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
