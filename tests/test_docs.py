"""Every Python block in the README and the docs runs here, so no example can rot.

A page's blocks run in order in one namespace, as a reader would paste them, with a fake
Polar server standing in for production and the sandbox and the token variable set. Then
every ``test_*`` function the page defined runs, given the pytest plugin's fixtures.
"""

from __future__ import annotations

import asyncio
import inspect
import re
from pathlib import Path
from typing import Any

import pytest

import polar_seats as ps
from polar_seats import _protocol
from polar_seats.testing import FakePolarServer, serve_in_thread

ROOT = Path(__file__).parent.parent
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
DOC_TOKEN = "polar_cst_docs_example_token"
PLACEHOLDER_TOKEN = "polar_cst_..."  # what the examples write where a real token goes


def pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def python_blocks(path: Path) -> list[str]:
    return BLOCK.findall(path.read_text())


async def run_test(test: Any) -> None:
    wanted = inspect.signature(test).parameters
    # The plugin's fixtures, made here as the plugin makes them.
    async with (
        FakePolarServer() as server,
        ps.AsyncClient(server.token, base_url=server.url) as client,
    ):
        given = {"polar_fake_server": server, "polar_client": client}
        result = test(**{key: given[key] for key in wanted})
        if inspect.isawaitable(result):
            await result


@pytest.mark.parametrize("path", [p for p in pages() if python_blocks(p)], ids=lambda p: p.name)
def test_every_python_block_of_the_page_runs(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The page's blocks run without an error against a fake Polar, and its tests pass."""
    fake = FakePolarServer(count=120, tokens=[DOC_TOKEN, PLACEHOLDER_TOKEN])
    with serve_in_thread(fake) as server:
        for name in ("production", "sandbox"):
            monkeypatch.setitem(_protocol.SERVERS, name, server.url)
        monkeypatch.setenv("POLAR_CUSTOMER_SESSION_TOKEN", DOC_TOKEN)
        namespace: dict[str, Any] = {"__name__": f"docs_{path.stem}"}
        for number, code in enumerate(python_blocks(path), start=1):
            # As a reader pastes it: without this module's `from __future__ import annotations`.
            block = compile(code, f"{path.name} block {number}", "exec", dont_inherit=True)
            exec(block, namespace)
        for key, test in list(namespace.items()):
            if not (key.startswith("test_") and callable(test)):
                continue
            if inspect.iscoroutinefunction(test):
                asyncio.run(run_test(test))
            else:
                test()  # a synchronous test brings its own server (serve_in_thread)


def test_the_pages_with_examples_were_found() -> None:
    """The collection is not empty: the README and the guide pages hold runnable blocks."""
    with_blocks = {p.name for p in pages() if python_blocks(p)}
    assert {"README.md", "testing.md", "recipes.md", "quickstart.md"} <= with_blocks
