"""Faults the fake server can inject into its answers, scripted or drawn at random.

Each kind is one entry of ``KINDS``: how ``Fault.parse`` (and ``serve-fake --fault``)
reads it, and how the server answers with it. A new kind is one ``_kind()`` entry and
one class method.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Literal

from aiohttp import web

from ..._errors import InvalidArgumentError

__all__ = ["KINDS", "LAYER", "RETRYABLE_FAULTS", "Fault", "FaultPlan"]

LAYER = "X-Fake-Polar-Layer"
"""Set on an answer to say which of Polar's headers it gets as it leaves: ``version``
(``Polar-Version`` only) or ``none``; the fake removes it before sending."""

_ENDLESS_CHUNKS = 16_384
"""An endless body stops after this many 64 KiB chunks (1 GiB), so no test can hang."""

When = Literal["before", "after"]


@dataclasses.dataclass(frozen=True)
class Fault:
    """One way an answer goes wrong. Build one with the class methods.

    ``kind`` is one of ``"status"``, ``"reset"``, ``"reset_mid_body"``, ``"truncated_json"``,
    ``"invalid_json"``, ``"stall"``, ``"slow_body"`` and ``"endless_body"``. ``when`` is
    ``"before"`` (the route does not run: nothing changes) or ``"after"`` (the route runs and
    changes the state, then its answer is lost): see [`after()`][polar_seats.testing.Fault.after].
    """

    kind: str
    status: int = 200
    headers: Mapping[str, str] = dataclasses.field(default_factory=dict[str, str])
    body: bytes = b""
    seconds: float = 0.0
    when: When = "before"
    polar_headers: bool = True
    """Whether the answer carries Polar's own headers (``Polar-Version``); a 5xx does not."""

    @classmethod
    def http_status(
        cls, status: int, *, headers: Mapping[str, str] | None = None, body: bytes = b""
    ) -> Fault:
        """Answer ``status`` with these headers and body instead of the page."""
        return cls("status", status=status, headers=dict(headers or {}), body=body)

    @classmethod
    def rate_limited(cls, retry_after: str = "60") -> Fault:
        """A 429 as Polar sends it: empty body, ``Retry-After`` and nothing else."""
        return cls.http_status(429, headers={"Retry-After": retry_after})

    @classmethod
    def server_error(cls, status: int = 500) -> Fault:
        """A 5xx with the plain-text body Polar's server sends (and no ``Polar-Version``)."""
        return cls(
            "status",
            status=status,
            headers={"Content-Type": "text/plain; charset=utf-8"},
            body=b"Internal Server Error",
            polar_headers=False,
        )

    @classmethod
    def proxy_html(cls, status: int = 502) -> Fault:
        """An HTML error page, as a proxy in front of Polar sends one."""
        page = (
            f"<html><head><title>{status} Bad Gateway</title></head><body>"
            f"<center><h1>{status} Bad Gateway</h1></center><hr><center>nginx</center>"
            "</body></html>"
        )
        return cls(
            "status",
            status=status,
            headers={"Content-Type": "text/html"},
            body=page.encode(),
            polar_headers=False,
        )

    @classmethod
    def reset(cls, *, after: bool = False) -> Fault:
        """Close the connection before sending any header (``after``: once the route ran)."""
        fault = cls("reset")
        return fault.after() if after else fault

    @classmethod
    def reset_mid_body(cls) -> Fault:
        """Send the headers and half the body, then close the connection."""
        return cls("reset_mid_body")

    @classmethod
    def truncated_json(cls) -> Fault:
        """A complete 200 whose body is the page cut in half: not valid JSON."""
        return cls("truncated_json")

    @classmethod
    def invalid_json(cls) -> Fault:
        """A complete 200 whose body is not JSON at all."""
        return cls("invalid_json", body=b"<!doctype html><p>Maintenance</p>")

    @classmethod
    def stall(cls, seconds: float) -> Fault:
        """Wait ``seconds`` before answering (past a client's timeout, usually)."""
        return cls("stall", seconds=seconds)

    @classmethod
    def slow_body(cls, seconds: float) -> Fault:
        """Send the body in ten chunks (no Content-Length) spread over ``seconds``."""
        return cls("slow_body", seconds=seconds)

    @classmethod
    def endless_body(cls) -> Fault:
        """A 200 whose JSON body never ends (until the client hangs up, or 1 GiB)."""
        return cls("endless_body")

    def after(self) -> Fault:
        """The same fault, hitting once the route ran: the state changed, the answer is lost.

        For writes: ``Fault.reset().after()`` (or ``Fault.reset(after=True)``) is the request
        that reached Polar and did its work, while the client saw the connection drop.
        """
        return dataclasses.replace(self, when="after")

    @classmethod
    def parse(cls, spec: str) -> Fault:
        """A fault from a short text, as ``polar-seats serve-fake --fault`` takes it.

        ``429`` or ``429:SECONDS`` (Polar's rate limit, ``Retry-After`` 60 by default), any
        other status (``503``; a 5xx has Polar's plain-text body), ``proxy-html`` or
        ``proxy-html:STATUS``, ``reset``, ``reset-mid-body``, ``truncated-json``,
        ``invalid-json``, ``endless-body``, ``stall:SECONDS``, ``slow-body:SECONDS``; any of
        them followed by ``@after`` hits once the route ran (``reset@after``).
        """
        text, at, when = spec.strip().lower().partition("@")
        name, _, argument = text.partition(":")
        for kind in KINDS.values():
            try:
                fault = kind.parse(name, argument)
            except ValueError:
                break
            if fault is not None and (not at or when == "after"):
                return fault.after() if at else fault
        specs = [kind.spec for kind in KINDS.values()]
        raise ValueError(
            f"Unknown fault {spec!r}: use {', '.join(specs[:-1])} or {specs[-1]}; "
            "add @after to hit once the route ran."
        )

    @property
    def name(self) -> str:
        """A short label: ``status 429``, ``reset_mid_body``, ``reset after``…"""
        label = f"status {self.status}" if self.kind == "status" else self.kind
        return f"{label} after" if self.when == "after" else label


Answer = Callable[[], Awaitable[web.StreamResponse]]
"""The route's own answer: running it runs the route (unless it already ran)."""
Responder = Callable[[Fault, web.Request, Answer], Awaitable[web.StreamResponse]]
Parser = Callable[[str, str], "Fault | None"]


@dataclasses.dataclass(frozen=True)
class FaultKind:
    """One kind of fault: how its short text reads and how the server answers with it."""

    kind: str
    spec: str
    """How ``Fault.parse`` spells it, for the error message."""
    parse: Parser
    """``(name, argument)`` -> the fault; ``None``: not this kind; ValueError: a bad argument."""
    respond: Responder


KINDS: dict[str, FaultKind] = {}
"""Every fault kind, by ``Fault.kind``."""


def _kind(kind: str, spec: str, parse: Parser) -> Callable[[Responder], Responder]:
    def register(respond: Responder) -> Responder:
        KINDS[kind] = FaultKind(kind, spec, parse, respond)
        return respond

    return register


def _simple(name: str, make: Callable[[], Fault]) -> Parser:
    def parse(given: str, argument: str) -> Fault | None:
        if given != name:
            return None
        if argument:
            raise ValueError(argument)
        return make()

    return parse


def _timed(name: str, make: Callable[[float], Fault]) -> Parser:
    def parse(given: str, argument: str) -> Fault | None:
        return make(float(argument)) if given == name else None

    return parse


def _parse_status(name: str, argument: str) -> Fault | None:
    if name == "proxy-html":
        return Fault.proxy_html(int(argument or "502"))
    if not (name.isdecimal() and len(name) == 3):
        return None
    status = int(name)
    if status == 429:
        return Fault.rate_limited(argument or "60")
    if argument:
        raise ValueError(argument)
    return Fault.server_error(status) if status >= 500 else Fault.http_status(status)


def _abort(request: web.Request) -> None:
    if request.transport is not None:
        request.transport.abort()


async def _body_of(answer: Answer) -> tuple[web.Response, bytes]:
    response = await answer()
    assert isinstance(response, web.Response), "a body fault needs a route that answers whole"
    body = response.body
    return response, body if isinstance(body, bytes) else b""


def _like(response: web.Response, body: bytes) -> web.Response:
    """A whole answer with ``response``'s status and headers and another body."""
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    return web.Response(status=response.status, headers=headers, body=body)


def _streamed(response: web.Response) -> web.StreamResponse:
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    return web.StreamResponse(status=response.status, headers=headers)


@_kind("status", "a status (503, or 429:SECONDS), proxy-html[:STATUS]", _parse_status)
async def _status(fault: Fault, request: web.Request, answer: Answer) -> web.StreamResponse:
    layer = "version" if fault.polar_headers else "none"
    return web.Response(
        status=fault.status, body=fault.body, headers={**fault.headers, LAYER: layer}
    )


@_kind("reset", "reset", _simple("reset", Fault.reset))
async def _reset(fault: Fault, request: web.Request, answer: Answer) -> web.StreamResponse:
    _abort(request)
    return web.Response(status=500)


@_kind("reset_mid_body", "reset-mid-body", _simple("reset-mid-body", Fault.reset_mid_body))
async def _reset_mid_body(fault: Fault, request: web.Request, answer: Answer) -> web.StreamResponse:
    whole, body = await _body_of(answer)
    response = _streamed(whole)
    response.content_length = len(body)
    await response.prepare(request)
    await response.write(body[: len(body) // 2])
    _abort(request)
    return response


@_kind("truncated_json", "truncated-json", _simple("truncated-json", Fault.truncated_json))
async def _truncated(fault: Fault, request: web.Request, answer: Answer) -> web.StreamResponse:
    whole, body = await _body_of(answer)
    return _like(whole, body[: len(body) // 2])


@_kind("invalid_json", "invalid-json", _simple("invalid-json", Fault.invalid_json))
async def _invalid(fault: Fault, request: web.Request, answer: Answer) -> web.StreamResponse:
    whole, _ = await _body_of(answer)
    return _like(whole, fault.body)


@_kind("endless_body", "endless-body", _simple("endless-body", Fault.endless_body))
async def _endless(fault: Fault, request: web.Request, answer: Answer) -> web.StreamResponse:
    whole, _ = await _body_of(answer)
    response = _streamed(whole)
    await response.prepare(request)
    await response.write(b'{"items":[' + b" " * 65_535)
    chunk = b" " * 65_536
    for _ in range(_ENDLESS_CHUNKS):
        await response.write(chunk)
    return response


@_kind("stall", "stall:SECONDS", _timed("stall", Fault.stall))
async def _stall(fault: Fault, request: web.Request, answer: Answer) -> web.StreamResponse:
    await asyncio.sleep(fault.seconds)
    return await answer()  # a stall has waited: the page follows, whole


@_kind("slow_body", "slow-body:SECONDS", _timed("slow-body", Fault.slow_body))
async def _slow(fault: Fault, request: web.Request, answer: Answer) -> web.StreamResponse:
    whole, body = await _body_of(answer)
    response = _streamed(whole)
    await response.prepare(request)
    step = max(1, math.ceil(len(body) / 10))
    for start in range(0, len(body), step):
        await response.write(body[start : start + step])
        await asyncio.sleep(fault.seconds / 10)
    await response.write_eof()
    return response


RETRYABLE_FAULTS: tuple[Fault, ...] = (
    Fault.rate_limited("0"),
    Fault.server_error(500),
    Fault.server_error(502),
    Fault.server_error(503),
    Fault.server_error(504),
    Fault.http_status(408),
    Fault.proxy_html(502),
    Fault.reset(),
    Fault.reset_mid_body(),
)
"""Every fault a client should ride out by retrying. ``rate_limited("0")`` asks for no
wait, so a test does not sleep a minute; stalls are left out because they take as long
as the client's timeout."""


class FaultPlan:
    """Which requests fail and how.

    ``script`` maps request numbers to faults, counting from 1 the requests the server
    receives once the plan is in force (from the start for a plan given to the constructor,
    from the assignment for one set later on ``server.faults``); ``pages`` maps page numbers
    to the faults that page's first requests meet, in order (``{2: [Fault.reset(),
    Fault.reset()]}``: page 2 fails twice, then is served), which stays exact when a client
    fetches pages concurrently. Other requests fail with probability ``rate``, with a fault
    drawn from ``choices`` by a generator seeded with ``seed``, so a run can be replayed.
    """

    def __init__(
        self,
        script: Mapping[int, Fault] | None = None,
        *,
        pages: Mapping[int, Sequence[Fault]] | None = None,
        rate: float = 0.0,
        choices: Sequence[Fault] = RETRYABLE_FAULTS,
        seed: int = 0,
    ) -> None:
        if not 0.0 <= rate <= 1.0:
            raise InvalidArgumentError(
                f"rate must be between 0 and 1 (got {rate}).",
                argument="rate",
                expected="between 0 and 1",
            )
        if rate and not choices:
            raise ValueError("choices must name at least one fault when rate is above 0.")
        self.script = dict(script or {})
        self.pages = {page: list(faults) for page, faults in (pages or {}).items()}
        self.rate = rate
        self.choices = tuple(choices)
        self._rng = random.Random(seed)

    def fault_for(self, number: int, page: int | None = None) -> Fault | None:
        """The fault for request ``number`` (asking for ``page``), or ``None`` to answer."""
        scripted = self.script.get(number)
        if scripted is not None:
            return scripted
        queued = self.pages.get(page) if page is not None else None
        if queued:
            return queued.pop(0)
        if self.rate and self._rng.random() < self.rate:
            return self._rng.choice(self.choices)
        return None
