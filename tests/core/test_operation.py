"""Operations are declared once: name, span, label and the command line's lookup agree."""

from __future__ import annotations

import inspect

import polar_seats
from polar_seats._operation import Operation
from polar_seats._protocol import Auth
from polar_seats._resources import seats, sessions, subscriptions
from polar_seats.cli.seats import _DOING

DECLARED = [
    value
    for module in (seats, sessions, subscriptions)
    for value in vars(module).values()
    if isinstance(value, Operation)
]


NOT_OPERATIONS = {"close", "request"}
"""The client's coroutine methods that are no operation of Polar's: the end of its life,
and the raw request."""


def test_every_operation_is_a_method_of_the_client() -> None:
    """An operation's name is the client's method, and its span is named after it; every
    method that sends a request of Polar's is declared; a name declared twice is one
    method on two sides of Polar's API (customer portal and organization), told apart by
    the credential."""
    methods = {
        name
        for name, member in inspect.getmembers(polar_seats.AsyncClient)
        if not name.startswith("_") and inspect.iscoroutinefunction(member)
    }
    assert {op.name for op in DECLARED} == methods - NOT_OPERATIONS
    assert len({(op.name, op.auth) for op in DECLARED}) == len(DECLARED)
    for op in DECLARED:
        assert op.span == f"polar_seats.{op.name}"


def test_labels_come_from_the_name() -> None:
    """A message names an operation by its method's words, without a leading "get"."""
    labels = {op.name: op.label for op in DECLARED}
    assert labels["assign_seat"] == "assign seat"
    assert labels["get_claim_info"] == "claim info"
    assert seats.REVOKE_SEAT.request(auth=Auth.CUSTOMER, seats="/s", seat_id="1").label == (
        "revoke seat"
    )


def test_the_command_line_knows_seat_operations_by_name() -> None:
    """Every key of the command line's table is a declared operation's name."""
    assert set(_DOING) <= {op.name for op in DECLARED}


def test_a_secret_in_the_path_is_shown_hidden() -> None:
    """A path field given as secret= is sent in full but shown as an ellipsis."""
    request = seats.GET_CLAIM_INFO.request(secret="tok/en")
    assert request.path == "/v1/customer-seats/claim/…"
    assert request.secret_path is not None
    assert request.secret_path.reveal() == "/v1/customer-seats/claim/tok%2Fen"
    assert request.operation == "get_claim_info"
    assert request.auth is Auth.NONE


def test_the_caller_credential_fills_the_path() -> None:
    """An operation that takes the caller's credential carries the one it is given."""
    request = seats.LIST_SEATS.request(
        auth=Auth.ORGANIZATION, seats="/v1/customer-seats", query=(("order_id", "o"),)
    )
    assert (request.method, request.path, request.auth) == (
        "GET",
        "/v1/customer-seats",
        Auth.ORGANIZATION,
    )
    assert request.query == (("order_id", "o"),)
