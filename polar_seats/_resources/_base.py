"""What every resource module may ask of the client."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from .._protocol import Auth, Request
from .._retry import Reconcile, RetryPolicy

T = TypeVar("T")
Caller = TypeVar("Caller", bound="Operations")


class Operations:
    """What the resource modules need of the client, declared here and given by
    ``AsyncClient``: send a request and decode its answer, check its credentials, and the
    settings a walk reads."""

    @property
    def concurrency(self) -> int:
        """Pages a walk fetches at once, by default."""
        raise NotImplementedError

    @property
    def retry(self) -> RetryPolicy | None:
        """How failed attempts are retried, or ``None`` for never."""
        raise NotImplementedError

    async def _call(
        self,
        request: Request,
        decode: Callable[[bytes], T],
        *,
        timeout: float | None = None,
        reconcile: Reconcile[T] | None = None,
    ) -> T:
        """Send ``request`` with retries and pacing; decode a success with ``decode``.

        ``reconcile`` is the step of a ``CUSTOM`` write that finds out, by reading, what
        an attempt whose answer was lost did (see ``call_with_retries``)."""
        raise NotImplementedError

    def _check_token_given(self) -> None:
        """Raise ``InvalidArgumentError`` if the client can send no customer session token."""
        raise NotImplementedError

    def _check_organization_token(self) -> None:
        """Raise ``InvalidArgumentError`` if the client holds no organization access token."""
        raise NotImplementedError

    def _own_credential(self) -> Auth:
        """The credential of the caller's own: a customer's, else the organization's."""
        raise NotImplementedError

    def _for_walk(self: Caller) -> Caller:
        """The caller a walk uses for all its pages (one session for its whole length)."""
        return self
