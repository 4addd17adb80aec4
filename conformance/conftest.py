from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from polar_seats.testing import set_testing_date


@pytest.fixture(autouse=True)
def _pinned_date() -> Iterator[None]:
    """The fake serves the versions of 2026-12-06 (2026-04, 2026-10, 2027-01), whatever the
    wall clock says, so that Polar's SDKs of each version walk it next quarter too."""
    with set_testing_date(date(2026, 12, 6)):
        yield
