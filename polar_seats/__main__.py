"""``python -m polar_seats``: the same as the ``polar-seats`` command."""

from .cli import main

main()
