"""What every resource module may ask of the client."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from .._errors import PolarError
from .._protocol import Auth, Request
from .._retry import Reconcile, RetryPolicy, page_context
from .._tracing import active as tracing
from .._tracing import operation

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

    async def _call_page(
        self,
        span: str,
        request: Request,
        decode: Callable[[bytes], T],
        *,
        page: int,
        limit: int,
        timeout: float | None,
    ) -> T:
        """``_call()`` for one page of a list: the page is the call's context, not the
        request's, so the retry loop's events (``RetryEvent.page``), the error raised
        (``.page``) and the span (named ``span``, with the page and limit) tell it."""
        context = page_context.set((request, page))
        try:
            if tracing():
                with operation(span) as current:
                    if current.is_recording():
                        current.set_attributes(
                            {"polar_seats.page": page, "polar_seats.limit": limit}
                        )
                    return await self._call(request, decode, timeout=timeout)
            return await self._call(request, decode, timeout=timeout)
        except PolarError as error:
            if error.request is request:
                error.page = page
            raise
        finally:
            page_context.reset(context)
