"""Examples in the README and docs that are tests run here, so they cannot rot."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import pytest

import polar_seats as ps
from polar_seats.testing import FakePolarServer

ROOT = Path(__file__).parent.parent
BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def example_tests() -> list[tuple[str, str]]:
    found = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for number, code in enumerate(BLOCK.findall(path.read_text()), start=1):
            if "async def test_" in code:
                found.append((f"{path.name}#{number}", code))
    return found


@pytest.mark.parametrize(("name", "code"), example_tests(), ids=lambda v: v if "#" in v else "")
async def test_example_passes(name: str, code: str) -> None:
    """Each example test in the documentation passes against the fake server."""
    namespace: dict[str, Any] = {}
    exec(compile(code, name, "exec"), namespace)
    tests = [fn for key, fn in namespace.items() if key.startswith("test_")]
    assert tests, f"{name} defines no test"
    for test in tests:
        wanted = inspect.signature(test).parameters
        if not wanted:
            await test()
            continue
        # The plugin's fixtures, made here as the plugin makes them.
        async with (
            FakePolarServer() as server,
            ps.AsyncClient(server.token, base_url=server.url) as client,
        ):
            given = {"polar_fake_server": server, "polar_client": client}
            await test(**{key: given[key] for key in wanted})


def test_examples_were_found() -> None:
    """The README and docs/testing.md hold example tests (the collection is not empty)."""
    names = [name for name, _ in example_tests()]
    assert any(name.startswith("README.md") for name in names)
    assert any(name.startswith("testing.md") for name in names)
