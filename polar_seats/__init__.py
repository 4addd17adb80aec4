"""polar_seats: an async-first client for Polar's customer-portal seats API.

::

    async with AsyncClient("polar_cst_...") as client:
        async for subscription in client.iter_claimed_subscriptions():
            print(subscription.id, subscription.status, subscription.product.name)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import _errors, models
from ._client import AsyncClient
from ._errors import *  # noqa: F403  (every error, listed once, in _errors.__all__)
from ._pagination import PageIterator
from ._protocol import Request, RetryKind
from ._ratelimit import RateLimit
from ._resources.subscriptions import SubscriptionIterator
from ._retry import RetryBudget, RetryEvent, RetryPolicy
from ._secret import Secret
from ._sync import SyncPageIterator, SyncSubscriptionIterator
from ._sync_client import Client
from .models import *  # noqa: F403  (the public models, listed once, in models.__all__)
from .versions import DeprecatedVersionWarning

if TYPE_CHECKING:
    from .models import Benefit, Price

    __version__: str

__all__ = [
    "AsyncClient",
    "Benefit",
    "Client",
    "DeprecatedVersionWarning",
    "PageIterator",
    "Price",
    "RateLimit",
    "Request",
    "RetryBudget",
    "RetryEvent",
    "RetryKind",
    "RetryPolicy",
    "Secret",
    "SubscriptionIterator",
    "SyncPageIterator",
    "SyncSubscriptionIterator",
    "__version__",
]
__all__ += _errors.__all__
__all__ += models.__all__


def _show_public_path() -> None:
    # Reprs and tracebacks show polar_seats.AsyncClient, not a private module, as httpx's do.
    # msgspec Structs keep theirs: msgspec resolves their annotations through that module.
    import inspect

    import msgspec

    for name in __all__:
        value = globals().get(name)
        if (inspect.isclass(value) and not issubclass(value, msgspec.Struct)) or inspect.isfunction(
            value
        ):
            value.__module__ = __name__


_show_public_path()


def __getattr__(name: str) -> object:
    # Read lazily: importlib.metadata is slow to import and most programs never ask.
    if name == "__version__":
        from ._version import version

        return version()
    if name in ("Price", "Benefit"):
        from . import models

        return getattr(models, name)
    raise AttributeError(f"module 'polar_seats' has no attribute {name!r}")
