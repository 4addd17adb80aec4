"""What the ``polar-seats`` command tells the person on stderr: progress, and the request
log of ``--debug``. Neither ever shows a token."""

from __future__ import annotations

import dataclasses
import os
import re
import time
from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any, TextIO

import aiohttp

from .. import RetryEvent, RetryPolicy

# A Polar token (polar_cst_…, polar_mst_…, polar_oat_…) with the secret part that follows.
_TOKEN = re.compile(r"\b(polar_[a-z]{3}_)[A-Za-z0-9_\-]+")


def scrub(text: str, hidden: Iterable[str] = ()) -> str:
    """``text`` with the secret part of every Polar token in it left out, and each of the
    ``hidden`` values (an invitation token, which has no prefix to find it by) too."""
    for value in hidden:
        text = text.replace(value, "… (redacted)") if value else text
    return _TOKEN.sub(r"\1… (redacted)", text)


def redact(headers: Any) -> str:
    """Request headers as one line, with the token left out."""
    shown: list[str] = []
    for name, value in headers.items():
        if name.lower() == "authorization":
            value = f"{str(value).partition(' ')[0]} (redacted)"
        shown.append(f"{name}: {value}")
    return "; ".join(shown)


class RequestLog:
    """Writes one line per request and answer to ``err`` (``--debug``), through aiohttp's
    tracing, so what is logged is what was sent."""

    def __init__(self, err: TextIO, hidden: Iterable[str] = ()) -> None:
        self.err = err
        self.hidden = hidden
        """Values no line shows (see `scrub`)."""

    def trace_config(self) -> aiohttp.TraceConfig:
        config = aiohttp.TraceConfig()
        config.on_request_start.append(self._start)
        config.on_request_end.append(self._end)
        config.on_request_exception.append(self._exception)
        return config

    def _write(self, line: str) -> None:
        self.err.write(f"polar-seats: {scrub(line, self.hidden)}\n")
        self.err.flush()

    async def _start(self, _s: object, context: SimpleNamespace, params: Any) -> None:
        context.started = time.perf_counter()
        self._write(f"→ {params.method} {params.url} [{redact(params.headers)}]")

    async def _end(self, _s: object, context: SimpleNamespace, params: Any) -> None:
        elapsed = (time.perf_counter() - context.started) * 1000
        response = params.response
        length = response.headers.get("Content-Length", "?")
        self._write(
            f"← {response.status} {params.method} {params.url} in {elapsed:.1f} ms "
            f"({length} bytes announced)"
        )

    async def _exception(self, _s: object, context: SimpleNamespace, params: Any) -> None:
        elapsed = (time.perf_counter() - context.started) * 1000
        error = params.exception
        self._write(
            f"✗ {params.method} {params.url} after {elapsed:.1f} ms: "
            f"{type(error).__name__}: {error}"
        )


class Progress:
    """A progress bar on stderr: items, pages, rate and retries (needs ``rich``).

    Redrawn ten times a second, so the rate falls and retries show while a page is slow.
    """

    def __init__(self, err: TextIO) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            ProgressColumn,
            Task,
            TextColumn,
            TimeElapsedColumn,
        )
        from rich.text import Text

        self.retries = 0
        self.pages = 0
        progress = self

        class Rate(ProgressColumn):
            def render(self, task: Task) -> Text:
                elapsed = task.elapsed or 0.0
                return Text(f"{task.completed / elapsed:,.0f}/s" if elapsed else "-/s")

        class Retries(ProgressColumn):
            def render(self, task: Task) -> Text:
                return Text(f"{progress.retries} retries")

        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed:,}/{task.fields[expected]} items"),
            TextColumn("{task.fields[pages]} pages"),
            Rate(),
            Retries(),
            TimeElapsedColumn(),
            console=Console(file=err),
            transient=True,
            # Output goes to the command's own stdout; the bar must not take it over.
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._task = self._bar.add_task("listing", total=None, expected="?", pages=0)

    def __enter__(self) -> Progress:
        self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.stop()

    def retry_policy(self, policy: RetryPolicy) -> RetryPolicy:
        """``policy``, also counting its retries here."""
        previous = policy.on_retry

        def on_retry(event: RetryEvent) -> None:
            self.retries += 1
            if previous is not None:
                previous(event)

        return dataclasses.replace(policy, on_retry=on_retry)

    def page(self, items: int, total: int) -> None:
        """Count a page of ``items``; ``total`` is how many the walk expects in all."""
        self.pages += 1
        self._bar.update(
            self._task, advance=items, total=total, expected=f"{total:,}", pages=self.pages
        )


def progress_wanted(out: TextIO, err: TextIO) -> bool:
    """A bar only while stdout goes to a pipe or file and stderr is a terminal that can
    redraw a line, and only when the ``cli`` extra (rich) is installed."""
    if _isatty(out) or not _isatty(err) or os.environ.get("TERM") == "dumb":
        return False
    try:
        import rich.progress  # noqa: F401  # pyright: ignore[reportUnusedImport]
    except ImportError:
        return False
    return True


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
