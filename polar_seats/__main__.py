"""``python -m polar_seats``: the same as the ``polar-seats`` command."""

from ._cli import main

main()
