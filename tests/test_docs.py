"""Examples in the README and docs that are tests run here, so they cannot rot."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

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
        await test()


def test_examples_were_found() -> None:
    """The README and docs/testing.md hold example tests (the collection is not empty)."""
    names = [name for name, _ in example_tests()]
    assert any(name.startswith("README.md") for name in names)
    assert any(name.startswith("testing.md") for name in names)
