"""Every Python block in the README and the docs runs here, so no example can rot.

A page's blocks run in order in one namespace, as a reader would paste them, with a fake
Polar server standing in for production and the sandbox and the token variable set. Then
every ``test_*`` function the page defined runs, given the pytest plugin's fixtures.
"""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import polar_seats as ps
from polar_seats import _protocol
from polar_seats.testing import FakePolarServer, serve_in_thread

ROOT = Path(__file__).parents[2]
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


# How many characters of a code block fit the content column of the built site in a window
# 1280 px wide (mkdocs-material's default theme; its code font, Roboto Mono, 13.6 px): 80.
# Measured in headless chromium, with Roboto Mono installed, by filling each `pre > code`
# of every page with ever longer lines until its scrollWidth passed its clientWidth: 80
# fit, 81 scroll. DejaVu Sans Mono and Liberation Mono, the fallbacks where the web font
# does not load, hold 80 too; so do windows from 1235 px to 1920 px (78 or 79 from 1220 px,
# where the table of contents appears). A block in a list item is indented, and holds 76.
# The README, which GitHub shows narrower, keeps to the same width. The copy button sits
# over the last two columns of a block's first two lines (measured the same way: its left
# edge at column 77.96, its bottom 25.5 px below the text's top, lines 19 px high).
CODE_WIDTH = 80
LIST_ITEM_CODE_WIDTH = 76
BESIDE_THE_COPY_BUTTON = 2
FENCE = re.compile(r"^( *)(`{3,}|~{3,})")


def code_blocks(text: str) -> Iterator[tuple[int, int, list[str]]]:
    """Each fenced block of ``text``: the number of its first line, its fence's indent, and
    its lines without that indent."""
    lines = text.split("\n")
    number = 0
    while number < len(lines):
        opening = FENCE.match(lines[number])
        number += 1
        if not opening:
            continue
        indent, fence = len(opening[1]), opening[2]
        start, body = number + 1, []
        while number < len(lines) and lines[number].strip() != fence:
            body.append(
                lines[number][indent:] if lines[number][:indent].isspace() else lines[number]
            )
            number += 1
        number += 1
        yield start, indent, body


def too_wide(name: str, text: str) -> list[str]:
    """Where ``text`` has a code-block line longer than the site shows without scrolling, or
    that runs under the copy button."""
    found = []
    for start, indent, body in code_blocks(text):
        for number, line in enumerate(body, start):
            width = LIST_ITEM_CODE_WIDTH if indent else CODE_WIDTH
            if number < start + 2:
                width -= BESIDE_THE_COPY_BUTTON
            if len(line) > width:
                found.append(f"{name}:{number}: {len(line)} > {width} characters: {line}")
    return found


def rendered_sources() -> list[Path]:
    """The pages, and the modules whose docstrings the API reference shows with a block."""
    modules = [
        path for path in sorted((ROOT / "polar_seats").rglob("*.py")) if "```" in path.read_text()
    ]
    return [*pages(), *modules]


@pytest.mark.parametrize("path", rendered_sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_code_block_scrolls_at_1280_px(path: Path) -> None:
    """Every line of every code block fits the content column: no horizontal scroll bar."""
    found = too_wide(str(path.relative_to(ROOT)), path.read_text())
    assert not found, (
        "Wrap these lines (ruff format keeps docs/ to 80 columns, see docs/ruff.toml; a shell"
        " command goes on after a backslash):\n" + "\n".join(found)
    )


def test_the_width_check_finds_each_kind_of_long_line() -> None:
    """Lines over 80 in a block, 76 in a list item's, or 78 and 74 beside the copy button are
    found; lines of those lengths pass."""
    page = "\n".join(
        [
            "```python",
            "a" * 78,
            "b" * 79,
            "c" * 80,
            "d" * 81,
            "```",
            "1. A step:",
            "",
            "    ```",
            "    " + "e" * 74,
            "    " + "f" * 75,
            "    " + "g" * 76,
            "    " + "h" * 77,
            "    ```",
            "~~~",
            "i" * 78,
            "",
            "j" * 80,
            "~~~",
        ]
    )
    found = [line.split(":")[1] for line in too_wide("page", page)]
    assert found == ["3", "5", "11", "13"]
