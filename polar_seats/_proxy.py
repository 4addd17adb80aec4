"""Where the session the client creates connects: through which proxy, trusting what.

The proxy is ``AsyncClient(proxy=...)``, else the environment's, as the rest of Python
reads it (``urllib.request.getproxies()`` and ``proxy_bypass()``: ``HTTPS_PROXY``,
``HTTP_PROXY``, ``NO_PROXY``, either case), read once when the client is created, for
the one origin it talks to. For an https origin the proxy sees a ``CONNECT`` and then TLS
between the client and Polar, so the token goes only through the tunnel. For a plain-http
origin (a loopback fake server, or ``allow_insecure_http=True``) a proxy would read the
token in the clear: an explicit one is refused unless ``allow_insecure_http=True``, and
the environment's is used only then.

TLS trust is Python's: ``ssl.create_default_context()`` (the system store, or
``SSL_CERT_FILE`` / ``SSL_CERT_DIR``), made when the client is created, not when aiohttp
was imported, and kept for as long as those variables keep their values.
"""

from __future__ import annotations

import base64
import dataclasses
import os
import ssl
from collections.abc import Mapping
from typing import Any
from urllib.request import getproxies, proxy_bypass

from yarl import URL

from ._errors import InvalidArgumentError

__all__ = ["DIRECT", "Route", "route_for", "tls_context"]


@dataclasses.dataclass(frozen=True)
class Route:
    """The proxy keywords of every request (none: direct) and the TLS context, if https."""

    options: Mapping[str, Any] = dataclasses.field(default_factory=dict[str, Any])
    tls: ssl.SSLContext | None = None


DIRECT = Route()
"""A session the caller passed: its own proxy and TLS settings apply."""

_contexts: dict[tuple[str | None, str | None], ssl.SSLContext] = {}


def tls_context() -> ssl.SSLContext:
    """Python's default trust as the environment says now; made once per value of
    ``SSL_CERT_FILE`` and ``SSL_CERT_DIR`` (loading the store takes tens of ms)."""
    key = (os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
    context = _contexts.get(key)
    if context is None:
        context = _contexts[key] = ssl.create_default_context()
        context.set_alpn_protocols(["http/1.1"])  # as aiohttp's own
    return context


def route_for(
    base_url: str,
    *,
    proxy: str | None,
    trust_env: bool,
    allow_insecure_http: bool,
    session_given: bool,
) -> Route:
    """The route of a client's own session to ``base_url``; checks ``proxy``."""
    if session_given:
        if proxy is not None:
            raise InvalidArgumentError(
                "proxy= applies to the session the client creates; a session passed as "
                "session= is used as is: create it with aiohttp's own proxy settings "
                "(ClientSession(proxy=..., trust_env=...)).",
                argument="proxy, session",
            )
        return DIRECT
    origin = URL(base_url)
    secure = origin.scheme == "https"
    chosen: URL | None = None
    if proxy is not None:
        chosen = _checked(proxy)
        if not secure and not allow_insecure_http:
            raise InvalidArgumentError(
                f"{base_url} is plain http: through a proxy, the token would reach the proxy "
                "in the clear. Use an https base_url, drop proxy=, or pass "
                "allow_insecure_http=True if that proxy may read it.",
                argument="proxy",
            )
    elif trust_env and (secure or allow_insecure_http):
        chosen = _from_environment(origin)
    return Route(_options(chosen), tls_context() if secure else None)


def _checked(proxy: object) -> URL:
    if not isinstance(proxy, str):
        raise TypeError(f"proxy must be a URL string such as 'http://proxy:3128' (got {proxy!r}).")
    url = URL(proxy)
    if url.scheme not in ("http", "https") or not url.host or url.path not in ("", "/"):
        raise InvalidArgumentError(
            "proxy must be the URL of an HTTP proxy such as 'http://proxy.internal:3128' "
            "(with user:password@ if it asks for them), without a path.",
            argument="proxy",
        )
    return url


def _from_environment(origin: URL) -> URL | None:
    if origin.host is not None and proxy_bypass(origin.host):
        return None  # NO_PROXY names it
    found = getproxies().get(origin.scheme)
    if not found:
        return None
    return URL(found if "://" in found else f"http://{found}")


def _options(proxy: URL | None) -> dict[str, Any]:
    if proxy is None:
        return {}
    # aiohttp does not read credentials from a proxy URL: they go as a header of the
    # CONNECT (to the proxy only), and the URL kept has none, so no message can show them.
    options: dict[str, Any] = {"proxy": proxy.with_user(None)}
    if proxy.user is not None:
        credentials = base64.b64encode(f"{proxy.user}:{proxy.password or ''}".encode())
        options["proxy_headers"] = {"Proxy-Authorization": f"Basic {credentials.decode()}"}
    return options
