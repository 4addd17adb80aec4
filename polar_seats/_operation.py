"""An operation of Polar's API, declared once in its resource module.

The declaration holds everything the generic layers need to send it (method, path
template, credential, retry kind, whether its answer is a secret) and the model its
answer decodes to; a write's (``Write``) also names the function that builds and checks
its body and the reconcile step that finds out what a lost attempt did. Its ``name`` is
the client method's name, written once: the span (``polar_seats.<name>``), the label in
messages ("assign seat") and the command line's lookup (``Request.operation``) all come
from it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, Generic, ParamSpec, TypeVar
from urllib.parse import quote

from ._protocol import Auth, Request, RetryKind
from ._retry import Reconcile
from ._secret import Secret

T = TypeVar("T")
B = ParamSpec("B")
R = ParamSpec("R")

HIDDEN = "…"
"""What a message shows in place of a secret in a path."""


@dataclasses.dataclass(frozen=True)
class Operation(Generic[T]):
    """One operation: what to send, how it may be retried, and what its answer is.

    ``path`` is a template: ``{field}`` is filled from ``request(field=...)``, and
    ``{secret}`` from ``request(secret=...)``, sent but shown as ``…``. ``auth`` is the
    credential it carries; ``None`` means the caller's own (a customer's, else the
    organization's), passed to ``request(auth=...)``.
    """

    name: str
    method: str
    path: str
    decode: Callable[[bytes], T] = dataclasses.field(repr=False, compare=False)
    retry: RetryKind = RetryKind.SAFE
    auth: Auth | None = Auth.CUSTOMER
    secret_answer: bool = False
    """Whether a success carries a secret (a minted session)."""

    @property
    def span(self) -> str:
        """The name of the operation's span."""
        return f"polar_seats.{self.name}"

    @property
    def label(self) -> str:
        """How messages name it: the method's words, without a leading "get"."""
        return self.name.removeprefix("get_").replace("_", " ")

    def request(
        self,
        *,
        auth: Auth | None = None,
        query: tuple[tuple[str, str], ...] = (),
        json: Any = None,
        label: str | None = None,
        secret: str | None = None,
        **fields: str,
    ) -> Request:
        """The request of one call, its path filled from ``fields`` (and ``secret``)."""
        path = self.path.format(**fields, secret=HIDDEN) if fields or secret else self.path
        secret_path = (
            None
            if secret is None
            else Secret(self.path.format(**fields, secret=quote(secret, safe="")))
        )
        credential = self.auth if auth is None else auth
        assert credential is not None, f"{self.name} takes the caller's credential"
        return Request(
            self.method,
            path,
            self.label if label is None else label,
            query=query,
            json=json,
            retry=self.retry,
            auth=credential,
            secret_path=secret_path,
            secret_answer=self.secret_answer,
            operation=self.name,
        )


def no_body() -> None:
    """The body of a write that sends none (a ``DELETE``, a resend)."""
    return


@dataclasses.dataclass(frozen=True, kw_only=True)
class Write(Operation[T], Generic[T, B, R]):
    """A write that Polar may run only once: ``RetryKind.CUSTOM`` (resent when Polar cannot
    have run it), with the two functions that make it safe beside its declaration.

    ``body`` checks the method's arguments by Polar's rules and builds the JSON sent
    (``no_body`` for none); ``reconcile`` makes the step the retry loop runs after a
    failure that may have reached Polar: it reads what Polar holds and says "this is the
    result", "send again", or raises ``OutcomeUnknownError`` (``never_again()`` for a
    write that nothing can check).
    """

    retry: RetryKind = RetryKind.CUSTOM
    body: Callable[B, Any] = dataclasses.field(repr=False, compare=False)
    reconcile: Callable[R, Reconcile[T]] = dataclasses.field(repr=False, compare=False)
