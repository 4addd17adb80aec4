"""OpenTelemetry spans, when ``opentelemetry-api`` is installed (the ``otel`` extra).

An INTERNAL span per operation (a walk, a page call, an assign, a mint...), a CLIENT span
per HTTP attempt with the HTTP client semantic conventions, and retry and rate-limit
waits as events. Spans go to the application's global tracer provider; with none set,
OpenTelemetry's own no-op spans are made and no attribute is built.

Without opentelemetry, ``ENABLED`` is ``False``: ``traced()`` returns the function it is
given, and the client's few hooks (``if ENABLED:``) skip everything else. Nothing here
holds a secret: a URL is built from ``Request.path`` (the redacted path), never from
``secret_path``, and headers and bodies are never read.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Awaitable, Callable, Coroutine, Generator
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from yarl import URL

if TYPE_CHECKING:
    from ._errors import PolarError
    from ._protocol import Request

if TYPE_CHECKING:
    from opentelemetry import context as _context
    from opentelemetry import trace as _trace

    ENABLED = True
else:
    try:
        from opentelemetry import context as _context
        from opentelemetry import trace as _trace
    except ImportError:  # the otel extra is not installed: nothing below is called
        ENABLED = False
    else:
        ENABLED = True

__all__ = [
    "ENABLED",
    "HttpAttempt",
    "WalkSpan",
    "active",
    "rate_limited",
    "retry_waited",
    "traced",
]

P = ParamSpec("P")
T = TypeVar("T")
Page = TypeVar("Page")

_KNOWN_METHODS = frozenset(
    {"CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "QUERY", "TRACE"}
)


def _tracer() -> Any:
    # A ProxyTracer until the application sets a provider, then the provider's tracer;
    # asked for once (the global provider can be set only once).
    global _cached_tracer
    if _cached_tracer is None:
        from ._version import version

        _cached_tracer = _trace.get_tracer("polar_seats", version())
    return _cached_tracer


_cached_tracer: Any = None
_provider_set = False


def active() -> bool:
    """Whether spans go anywhere: opentelemetry is installed and the application has set a
    tracer provider. Until then every span is a no-op, and making one anyway cost a quarter
    of a small call's time (benchmark (4), A/B against 3f31f28)."""
    global _provider_set
    if _provider_set or not ENABLED:
        return _provider_set
    # The global provider can be set only once: once it is a real one, it stays so.
    provider = _trace.get_tracer_provider()
    _provider_set = not isinstance(
        provider, (_trace.ProxyTracerProvider, _trace.NoOpTracerProvider)
    )
    return _provider_set


def error_type(error: BaseException) -> str:
    """The ``error.type`` of a failure: ``timeout``, the status of an HTTP error, or the
    fully qualified name of the exception (aiohttp's, under a ``NetworkError``)."""
    from ._errors import APIStatusError, PolarTimeoutError

    if isinstance(error, PolarTimeoutError):
        return "timeout"
    if isinstance(error, APIStatusError):
        return str(error.status)
    cause = error.__cause__ if error.__cause__ is not None else error
    kind = type(cause)
    module = kind.__module__
    if module == "builtins":
        return kind.__qualname__
    if module.startswith("polar_seats."):
        module = "polar_seats"  # the public name: polar_seats.NetworkError
    return f"{module}.{kind.__qualname__}"


@contextlib.contextmanager
def operation(name: str, attributes: dict[str, Any] | None = None) -> Generator[Any, None, None]:
    """An INTERNAL span, current for the body; a failure marks it as an error."""
    with _tracer().start_as_current_span(
        name,
        kind=_trace.SpanKind.INTERNAL,
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        try:
            yield span
        except Exception as error:
            _failed(span, error)
            raise


def _failed(span: Any, error: Exception) -> None:
    if span.is_recording():
        span.set_attribute("error.type", error_type(error))
        # The message is the library's own, which never holds a token (docs/security.md).
        span.record_exception(error)
        span.set_status(_trace.Status(_trace.StatusCode.ERROR, str(error)))


def traced(
    name: str,
) -> Callable[[Callable[P, Coroutine[Any, Any, T]]], Callable[P, Coroutine[Any, Any, T]]]:
    """Run an async operation in an INTERNAL span named ``name``; without opentelemetry,
    the function itself is returned."""

    def decorate(
        function: Callable[P, Coroutine[Any, Any, T]],
    ) -> Callable[P, Coroutine[Any, Any, T]]:
        if not ENABLED:
            return function

        @functools.wraps(function)
        async def in_span(*args: P.args, **kwargs: P.kwargs) -> T:
            if not active():
                return await function(*args, **kwargs)
            with operation(name):
                return await function(*args, **kwargs)

        return in_span

    return decorate


class WalkSpan:
    """The span of one walk, the parent of every page's span, ended by ``end()``.

    The walk's span is never made current around the caller's loop body (a span the
    caller opens there is not the walk's child); each page call, awaited by the walk or in
    a task fetching ahead, runs with the walk's span as its parent instead.
    """

    __slots__ = ("_parent", "_span")

    def __init__(self, name: str, attributes: dict[str, Any]) -> None:
        span = _tracer().start_span(name, kind=_trace.SpanKind.INTERNAL)
        if span.is_recording():
            span.set_attributes(attributes)
        self._span = span
        self._parent = _trace.set_span_in_context(span)

    def wrap(self, fetch: Callable[[int], Awaitable[Page]]) -> Callable[[int], Awaitable[Page]]:
        """``fetch``, calling each page with the walk's span as its parent."""
        parent = self._parent

        async def fetch_in_walk(number: int) -> Page:
            token = _context.attach(parent)
            try:
                return await fetch(number)
            finally:
                _context.detach(token)

        return fetch_in_walk

    def end(self, error: BaseException | None) -> None:
        """End the span; an ``error`` that is an ``Exception`` marks it as failed (a
        cancellation or an abandoned walk does not)."""
        if isinstance(error, Exception):
            _failed(self._span, error)
        self._span.end()


_servers: dict[str, tuple[str, int]] = {}


class HttpAttempt:
    """The CLIENT span of one HTTP attempt, following the HTTP client conventions."""

    __slots__ = ("_scope", "span")

    def __init__(self, base_url: str, request: Request, resend_count: int) -> None:
        method = request.method if request.method in _KNOWN_METHODS else "_OTHER"
        self._scope = _tracer().start_as_current_span(
            "HTTP" if method == "_OTHER" else method,
            kind=_trace.SpanKind.CLIENT,
            record_exception=False,
            set_status_on_exception=False,
        )
        self.span = span = self._scope.__enter__()
        if not span.is_recording():
            return
        server = _servers.get(base_url)
        if server is None:
            origin = URL(base_url)
            server = _servers[base_url] = (origin.host or "", origin.port or 0)
        # request.path has any secret replaced; secret_path never goes in a span.
        url = URL(base_url + request.path)
        if request.query:
            url = url.with_query(request.query)
        span.set_attributes(
            {
                "http.request.method": method,
                "server.address": server[0],
                "server.port": server[1],
                "url.full": str(url),
            }
        )
        if method == "_OTHER":
            span.set_attribute("http.request.method_original", request.method)
        if resend_count:
            span.set_attribute("http.request.resend_count", resend_count)

    def __enter__(self) -> HttpAttempt:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _: Any
    ) -> None:
        span = self.span
        if isinstance(error, Exception) and span.is_recording():
            span.set_attribute("error.type", error_type(error))
            span.set_status(_trace.Status(_trace.StatusCode.ERROR))
        self._scope.__exit__(kind, error, _)

    def answered(self, status: int) -> None:
        """Record the response's status; a 4xx or 5xx marks the attempt as an error."""
        span = self.span
        if span.is_recording():
            span.set_attribute("http.response.status_code", status)
            if status >= 400:
                span.set_attribute("error.type", str(status))
                span.set_status(_trace.Status(_trace.StatusCode.ERROR))


def rate_limited(waited: float) -> None:
    """An event on the current span: the client's rate limiter held a request."""
    span = _trace.get_current_span()
    if span.is_recording():
        span.add_event("polar_seats.rate_limit.wait", {"polar_seats.wait": waited})


def retry_waited(attempt: int, wait: float, error: PolarError) -> None:
    """An event on the current span: an attempt failed and the next waits ``wait`` s."""
    span = _trace.get_current_span()
    if span.is_recording():
        span.add_event(
            "polar_seats.retry",
            {
                "polar_seats.attempt": attempt,
                "polar_seats.wait": wait,
                "error.type": error_type(error),
            },
        )
