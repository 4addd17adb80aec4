"""The installed version, read from package metadata once it is asked for."""

from __future__ import annotations

from functools import cache


@cache
def version() -> str:
    """The version of polar-seats that is installed."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as metadata_version

    try:
        return metadata_version("polar-seats")
    except PackageNotFoundError:  # pragma: no cover - only when run from a bare checkout
        return "0+unknown"
