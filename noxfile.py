"""Development tasks: `nox` runs tests, lint and typecheck; `nox -s NAME` runs one."""

from __future__ import annotations

import os
import pathlib

import nox

nox.options.sessions = ["tests", "lint", "typecheck", "conformance", "package", "docs"]
nox.options.reuse_existing_virtualenvs = True

LOCK = str(pathlib.Path(__file__).parent / "requirements" / "lock.txt")
"""Every package the sessions install, at the version last seen green (`nox -s lock`)."""
DOCS = ("mkdocs", "mkdocs-material", "mkdocstrings-python")


def install(session: nox.Session, *args: str) -> None:
    """pip install under the lock.

    Through PIP_CONSTRAINT rather than ``-c``: pip applies it to the build backend it fetches
    for an editable install or a wheel too, and to every later pip of the session.
    """
    session.env["PIP_CONSTRAINT"] = LOCK
    session.install(*args)


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite, with branch coverage."""
    # Ruff too: the test that the generated sync client is fresh runs the generator, which
    # formats its output with it.
    install(session, "ruff", "-e", ".[test]")
    session.run(
        "pytest",
        "--cov=polar_seats",
        "--cov-report=term-missing:skip-covered",
        "--cov-fail-under=97",
        *session.posargs,
    )


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff's checks and formatting."""
    install(session, "ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict and pyright on the package and on what users' code sees."""
    # pytest-asyncio: the pytest plugin in polar_seats.testing uses it when it is there;
    # the cli extra: the progress bar; webhooks: the signer webhooks.py imports; otel: the
    # spans' API; redis: the fleet's stores.
    # And ruff, with which scripts/generate_sync.py formats the sync client it derives.
    install(
        session, "mypy", "pyright", "pytest-asyncio", "ruff", "-e", ".[cli,webhooks,otel,redis]"
    )
    session.run("mypy", "--strict", "polar_seats", "tests/typing")
    session.run("pyright")
    session.run("python", "scripts/generate_sync.py", "--check")


@nox.session
def tests_latest(session: nox.Session) -> None:
    """The tests and the type checks against the newest release of everything, not the lock.

    Not in the default set: it finds upstream drift on purpose, before `nox -s lock` takes it
    in, instead of a release turning `main` red overnight.
    """
    session.env.pop("PIP_CONSTRAINT", None)
    session.install(
        "--upgrade",
        "--upgrade-strategy",
        "eager",
        "mypy",
        "pyright",
        "-e",
        ".[test,cli,webhooks,otel,redis]",
    )
    session.run("pytest", *session.posargs)
    session.run("mypy", "--strict", "polar_seats", "tests/typing")
    session.run("pyright")


@nox.session
def lock(session: nox.Session) -> None:
    """Refresh requirements/lock.txt: the newest releases that fit pyproject.toml and
    requirements/tools.in (or, with arguments, only what they name, e.g.
    `nox -s lock -- --upgrade-package redis`). Run `nox` on the result before committing it."""
    install(session, "uv")
    session.run(
        "uv",
        "pip",
        "compile",
        "pyproject.toml",
        "requirements/tools.in",
        "--all-extras",
        "--universal",
        # polar-sdk 1.0.2 (conformance, benchmarks) needs 3.11; the library itself runs on 3.10.
        "--python-version",
        "3.11",
        "--custom-compile-command",
        "nox -s lock",
        "--output-file",
        "requirements/lock.txt",
        *(session.posargs or ["--upgrade"]),
        env={"UV_PYTHON_DOWNLOADS": "never"},
    )


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site with mkdocs --strict (a broken link or reference fails)."""
    # mkdocstrings formats the signatures with ruff.
    install(session, *DOCS, "ruff", "-e", ".")
    site = f"{session.create_tmp()}/site"
    session.run("mkdocs", "build", "--strict", "--site-dir", site, env={"NO_MKDOCS_2_WARNING": "1"})


@nox.session
def soak(session: nox.Session) -> None:
    """The full reliability soak (1,000 walks through random faults); writes docs/reliability.md."""
    install(session, "-e", ".[test]")
    session.run(
        "python", "-m", "tests.stress.soak", "--write", "docs/reliability.md", *session.posargs
    )


@nox.session
def package(session: nox.Session) -> None:
    """Build the wheel and sdist, install the wheel in a fresh venv, and run the demo from it."""
    install(session, "build")
    dist = f"{session.create_tmp()}/dist"
    session.run("python", "-m", "build", "--outdir", dist)
    wheels = [name for name in os.listdir(dist) if name.endswith(".whl")]
    sdists = [name for name in os.listdir(dist) if name.endswith(".tar.gz")]
    if len(wheels) != 1 or len(sdists) != 1:
        session.error(f"expected one wheel and one sdist in {dist}, found {os.listdir(dist)}")
    venv = f"{session.create_tmp()}/wheel-venv"
    session.run("python", "-m", "venv", "--clear", venv)
    # As the README's first command does: with the cli extra (the progress bar).
    wheel = f"{dist}/{wheels[0]}[cli]"
    session.run(f"{venv}/bin/pip", "install", "--quiet", wheel, external=True)
    session.run(f"{venv}/bin/polar-seats", "demo", "--items", "20", external=True)
    session.run(
        f"{venv}/bin/python",
        "-c",
        "import polar_seats, polar_seats.testing; print(polar_seats.__version__)",
        external=True,
    )


@nox.session
def fuzz(session: nox.Session) -> None:
    """Fuzz the response handling for a minute and count the security suites; updates the
    figures in docs/security.md."""
    install(session, "-e", ".[test]")
    # atheris ships wheels for common platforms; where it does not install, the run says so.
    session.run("python", "-m", "pip", "install", "--quiet", "atheris", success_codes=[0, 1])
    session.run(
        "python", "-m", "tests.stress.fuzz", "--write", "docs/security.md", *session.posargs
    )


SDK_0_32_DEPENDENCIES = (
    "httpcore>=1.0.9",
    "httpx>=0.28.1",
    "jsonpath-python>=1.0.6",
    "pydantic>=2.11.2",
    "standardwebhooks<2",
)


def install_sdk_0_32(session: nox.Session) -> str:
    """polar-sdk 0.32.0 in a folder of its own, to go on PYTHONPATH.

    It is an older release of the same distribution as polar-sdk 1.0.2 (module `polar_sdk`
    rather than `polar`), so pip cannot install both in one environment.
    """
    target = f"{session.create_tmp()}/polar-sdk-0.32.0"
    install(session, *SDK_0_32_DEPENDENCIES)
    session.run(
        "python",
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-deps",
        "--upgrade",
        "--target",
        target,
        "polar-sdk==0.32.0",
        # The lock holds polar-sdk 1.0.2, the same distribution: this one install goes without it.
        env={"PIP_CONSTRAINT": os.devnull},
    )
    return target


@nox.session
def conformance(session: nox.Session) -> None:
    """Polar's SDKs walk the fake server; schemathesis and contract-generated bodies."""
    install(session, "-e", ".[test]", "polar-sdk==1.0.2", "hypothesis", "schemathesis")
    target = install_sdk_0_32(session)
    session.run("pytest", "conformance", *session.posargs, env={"PYTHONPATH": target})


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks against polar-sdk 1.0.2, 0.32.0 and a raw floor; writes docs/performance.md."""
    # The redis extra: (9) times the fleet's budget on a redis-server it starts.
    install(session, "-e", ".[redis]", "polar-sdk==1.0.2")
    target = install_sdk_0_32(session)
    session.run(
        "python",
        "-m",
        "benchmarks.run",
        "--write",
        "docs/performance.md",
        *session.posargs,
        env={"PYTHONPATH": target},
    )
