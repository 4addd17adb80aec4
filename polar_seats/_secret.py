"""A value that must not be shown: a token, or a path or body field that holds one."""

from __future__ import annotations

import hmac
from typing import Any, NoReturn

__all__ = ["Secret"]

REDACTED = "<redacted>"


class Secret:
    """A secret string that says ``<redacted>`` wherever it is shown.

    ``repr()``, ``str()``, ``format()``, a JSON encoder's fallback (``default=str``), a
    copy and a pickle show nothing of it, and it has no attribute that holds it (an error
    tracker reads an object's attributes): only [`reveal()`][polar_seats.Secret.reveal]
    gives the value, which the transport calls as it sends. A request's body may hold
    secrets (``client.request(json={"token": Secret(value)})``): the transport encodes each
    as its value. Two secrets are equal when their values are.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError(f"A Secret holds a str, not {type(value).__name__}.")

        # A closure rather than an attribute: nothing that walks attributes finds it.
        def reveal() -> str:
            return value

        self._value = reveal

    def reveal(self) -> str:
        """The value itself: for sending it, never for showing it."""
        return self._value()

    def __repr__(self) -> str:
        return f"Secret('{REDACTED}')"

    def __str__(self) -> str:
        return REDACTED

    def __format__(self, spec: str) -> str:
        return format(REDACTED, spec)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self.reveal().encode(), other.reveal().encode())

    def __hash__(self) -> int:
        return hash(self.reveal())

    def __copy__(self) -> Secret:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Secret:
        return self

    def __reduce__(self) -> tuple[Any, tuple[()]]:
        return (Secret._unpickled, ())

    @staticmethod
    def _unpickled() -> Secret:
        secret = Secret.__new__(Secret)
        secret._value = _lost
        return secret


def _lost() -> NoReturn:
    raise ValueError(
        "This Secret was unpickled, and a Secret's value is never pickled: pass the "
        "value itself to the process that sends it."
    )


def reveal_secret(value: object) -> str:
    """``msgspec``'s ``enc_hook``: a Secret in a body is sent as its value."""
    if isinstance(value, Secret):
        return value.reveal()
    raise NotImplementedError
