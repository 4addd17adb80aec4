"""Coverage-guided fuzzing of the response handling with atheris (libFuzzer).

``python -m tests.stress.fuzz_atheris -max_total_time=30 CORPUS`` fuzzes ``handle_response``;
``nox -s fuzz`` runs it when atheris installs. A crash (anything but a page or a
PolarError) stops it with the input saved.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    import polar_seats as ps
    from polar_seats._resources.subscriptions import handle_response

STATUSES = [200, 200, 200, 301, 401, 404, 422, 429, 500, 502]


def test_one_input(data: bytes) -> None:
    provider = atheris.FuzzedDataProvider(data)
    status = provider.PickValueInList(STATUSES)
    retry_after = provider.ConsumeUnicodeNoSurrogates(8)
    body = provider.ConsumeBytes(provider.remaining_bytes())
    try:
        result = handle_response(status, {"Retry-After": retry_after}, body, page=1, limit=100)
    except ps.PolarError:
        return
    if not isinstance(result, ps.Page):
        raise AssertionError(f"handle_response returned {result!r}")


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
