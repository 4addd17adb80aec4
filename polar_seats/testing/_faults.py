"""Faults the fake server can inject into its answers, scripted or drawn at random."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Mapping, Sequence

__all__ = ["RETRYABLE_FAULTS", "Fault", "FaultPlan"]


@dataclasses.dataclass(frozen=True)
class Fault:
    """One way an answer goes wrong. Build one with the class methods.

    ``kind`` is one of ``"status"``, ``"reset"``, ``"reset_mid_body"``, ``"truncated_json"``,
    ``"invalid_json"``, ``"stall"``, ``"slow_body"`` and ``"endless_body"``.
    """

    kind: str
    status: int = 200
    headers: Mapping[str, str] = dataclasses.field(default_factory=dict[str, str])
    body: bytes = b""
    seconds: float = 0.0

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
        """A 5xx with the plain-text body Polar's server sends."""
        return cls.http_status(
            status,
            headers={"Content-Type": "text/plain; charset=utf-8"},
            body=b"Internal Server Error",
        )

    @classmethod
    def proxy_html(cls, status: int = 502) -> Fault:
        """An HTML error page, as a proxy in front of Polar sends one."""
        page = (
            f"<html><head><title>{status} Bad Gateway</title></head><body>"
            f"<center><h1>{status} Bad Gateway</h1></center><hr><center>nginx</center>"
            "</body></html>"
        )
        return cls.http_status(status, headers={"Content-Type": "text/html"}, body=page.encode())

    @classmethod
    def reset(cls) -> Fault:
        """Close the connection before sending any header."""
        return cls("reset")

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

    @classmethod
    def parse(cls, spec: str) -> Fault:
        """A fault from a short text, as ``polar-seats serve-fake --fault`` takes it.

        ``429`` or ``429:SECONDS`` (Polar's rate limit, ``Retry-After`` 60 by default), any
        other status (``503``; a 5xx has Polar's plain-text body), ``proxy-html`` or
        ``proxy-html:STATUS``, ``reset``, ``reset-mid-body``, ``truncated-json``,
        ``invalid-json``, ``endless-body``, ``stall:SECONDS``, ``slow-body:SECONDS``.
        """
        name, _, argument = spec.strip().lower().partition(":")
        try:
            if name.isdecimal() and len(name) == 3:
                status = int(name)
                if status == 429:
                    return cls.rate_limited(argument or "60")
                return cls.server_error(status) if status >= 500 else cls.http_status(status)
            if name == "proxy-html":
                return cls.proxy_html(int(argument or "502"))
            if name in ("stall", "slow-body"):
                seconds = float(argument)
                return cls.stall(seconds) if name == "stall" else cls.slow_body(seconds)
            simple = {
                "reset": cls.reset,
                "reset-mid-body": cls.reset_mid_body,
                "truncated-json": cls.truncated_json,
                "invalid-json": cls.invalid_json,
                "endless-body": cls.endless_body,
            }
            if name in simple and not argument:
                return simple[name]()
        except ValueError:
            pass
        raise ValueError(
            f"Unknown fault {spec!r}: use a status (503, or 429:SECONDS), proxy-html[:STATUS], "
            "reset, reset-mid-body, truncated-json, invalid-json, endless-body, "
            "stall:SECONDS or slow-body:SECONDS."
        )

    @property
    def name(self) -> str:
        """A short label: ``status 429``, ``reset_mid_body``…"""
        return f"status {self.status}" if self.kind == "status" else self.kind


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

    ``script`` maps request numbers (from 1, counting requests to the endpoint) to faults;
    ``pages`` maps page numbers to the faults that page's first requests meet, in order
    (``{2: [Fault.reset(), Fault.reset()]}``: page 2 fails twice, then is served), which
    stays exact when a client fetches pages concurrently. Other requests fail with
    probability ``rate``, with a fault drawn from ``choices`` by a generator seeded with
    ``seed``, so a run can be replayed.
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
            raise ValueError(f"rate must be between 0 and 1 (got {rate}).")
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
