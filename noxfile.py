"""Development tasks: `nox` runs tests, lint and typecheck; `nox -s NAME` runs one."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True

RUFF = "ruff==0.17.6"
MYPY = "mypy==2.4.1"


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite, with branch coverage."""
    session.install("-e", ".[test]")
    session.run(
        "pytest",
        "--cov=polar_seats",
        "--cov-report=term-missing:skip-covered",
        "--cov-fail-under=95",
        *session.posargs,
    )


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff's checks and formatting."""
    session.install(RUFF)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package."""
    session.install(MYPY, "-e", ".")
    session.run("mypy", "--strict", "polar_seats")


@nox.session
def soak(session: nox.Session) -> None:
    """The full reliability soak (1,000 walks through random faults); writes docs/reliability.md."""
    session.install("-e", ".[test]")
    session.run("python", "-m", "tests.soak", "--write", "docs/reliability.md", *session.posargs)
