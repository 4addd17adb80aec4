"""The protocol without I/O: argument checks, headers, and each response mapped to a result."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

import polar_seats as ps
from polar_seats import _protocol as protocol
from polar_seats._resources import subscriptions
from polar_seats.testing import page_body

INVALID_TOKEN_BODY = (
    b'{"error":"invalid_token","error_description":"The access token provided is expired, '
    b'revoked, malformed, or invalid for other reasons."}'
)


@pytest.mark.parametrize("token", ["", "polar_cst_abc\n", "polar cst", "polar_cst_\r\nX-Evil: 1"])
def test_token_that_cannot_be_a_header_is_refused(token: str) -> None:
    """Empty tokens and tokens with whitespace or line breaks raise ValueError."""
    with pytest.raises(ValueError, match="token") as caught:
        protocol.check_token(token)
    if token.strip():
        assert token.strip() not in str(caught.value)


def test_token_must_be_a_string() -> None:
    """A token of the wrong type says so."""
    with pytest.raises(TypeError, match="str"):
        protocol.check_token(b"polar_cst_abc")


@pytest.mark.parametrize("limit", [0, -1, 101, 500])
def test_limit_outside_1_to_100_is_refused(limit: int) -> None:
    """A limit the server would clamp or refuse raises ValueError with the range."""
    with pytest.raises(ValueError, match="between 1 and 100"):
        protocol.check_limit(limit)


@pytest.mark.parametrize("value", [1.5, "10", True, None])
def test_limit_and_page_must_be_ints(value: object) -> None:
    """Non-integers raise TypeError before any request."""
    with pytest.raises(TypeError):
        protocol.check_limit(value)
    with pytest.raises(TypeError):
        protocol.check_page(value, limit=10)


def test_page_below_one_is_refused() -> None:
    """Pages are numbered from 1."""
    with pytest.raises(ValueError, match="1 or more"):
        protocol.check_page(0, limit=10)
    assert protocol.check_page(1, limit=10) == 1


def test_servers_and_base_url() -> None:
    """Named servers map to Polar's origins; base_url overrides both; typos are refused."""
    assert protocol.base_url_for("production", None) == "https://api.polar.sh"
    assert protocol.base_url_for("sandbox", None) == "https://sandbox-api.polar.sh"
    assert protocol.base_url_for("sandbox", "http://127.0.0.1:8000/") == "http://127.0.0.1:8000"
    with pytest.raises(ValueError, match="'production', 'sandbox'"):
        protocol.base_url_for("prod", None)


def test_headers_carry_token_version_and_agent() -> None:
    """Each request sends the bearer token, JSON accept, Polar-Version and a User-Agent;
    the token joins the headers only as they are sent."""
    headers = protocol.build_headers(polar_version="2026-04", user_agent="ua/1")
    assert protocol.sent_headers(headers, ps.Secret("polar_cst_x")) == {
        "Authorization": "Bearer polar_cst_x",
        "Accept": "application/json",
        "Polar-Version": "2026-04",
        "User-Agent": "ua/1",
    }
    assert protocol.sent_headers(headers, None) is headers


@pytest.mark.parametrize(
    ("total", "limit", "expected"),
    [(0, 10, 0), (1, 10, 1), (100, 100, 1), (101, 100, 2), (250, 10, 25), (250, 500, 3)],
)
def test_max_page_as_polar_computes_it(total: int, limit: int, expected: int) -> None:
    """max_page = ceil(total / min(limit, 100))."""
    assert protocol.max_page_for(total, limit) == expected


def test_retry_after_in_seconds_and_as_a_date() -> None:
    """Retry-After is read as integer seconds or an HTTP date; garbage is None."""
    now = datetime(2026, 11, 26, 12, 0, 0, tzinfo=timezone.utc)
    assert protocol.parse_retry_after("60") == 60.0
    assert protocol.parse_retry_after(" 7 ") == 7.0
    assert protocol.parse_retry_after("Thu, 26 Nov 2026 12:00:30 GMT", now=now) == 30.0
    assert protocol.parse_retry_after("Thu, 26 Nov 2026 11:00:00 GMT", now=now) == 0.0
    assert protocol.parse_retry_after("soon") is None
    assert protocol.parse_retry_after(None) is None


def test_401_unauthorized_body() -> None:
    """A 401 with Polar's `Unauthorized` body is an AuthenticationError with its code."""
    error = protocol.error_for_status(
        401,
        {"WWW-Authenticate": 'Bearer realm="polar"'},
        b'{"error":"Unauthorized","detail":"Unauthorized"}',
        request=subscriptions.page_request(1, 10),
    )
    assert type(error) is ps.AuthenticationError
    assert error.status == 401
    assert error.error == "Unauthorized"
    assert error.headers["WWW-Authenticate"] == 'Bearer realm="polar"'


def test_401_invalid_token_body() -> None:
    """A 401 with the `invalid_token` body says the token is expired or invalid."""
    error = protocol.error_for_status(401, {"Cache-Control": "no-store"}, INVALID_TOKEN_BODY)
    assert type(error) is ps.AuthenticationError
    assert error.error == "invalid_token"
    assert "expired" in str(error)


def test_401_without_a_body() -> None:
    """A 401 with no body is still an AuthenticationError."""
    error = protocol.error_for_status(401, {}, b"")
    assert type(error) is ps.AuthenticationError
    assert error.error is None
    assert error.body is None


def test_422_lists_each_problem() -> None:
    """A 422 carries the detail list and names each field in its message."""
    body = (
        b'{"error":"RequestValidationError","detail":['
        b'{"type":"greater_than","loc":["query","page"],"msg":"Input should be greater than 0",'
        b'"input":"0","ctx":{"gt":0}},'
        b'{"type":"int_parsing","loc":["query","limit"],"msg":"Input should be a valid integer",'
        b'"input":"x"}]}'
    )
    error = protocol.error_for_status(422, {}, body)
    assert type(error) is ps.RequestValidationError
    assert [entry["type"] for entry in error.detail] == ["greater_than", "int_parsing"]
    assert "query.page: Input should be greater than 0" in str(error)
    assert "query.limit" in str(error)


def test_422_problems_are_polar_s_entries_as_values() -> None:
    """`problems` holds each entry's loc, msg and type; `detail` keeps them as sent."""
    body = (
        b'{"error":"RequestValidationError","detail":['
        b'{"type":"value_error","loc":["body","email"],"msg":"value is not a valid email '
        b'address: An email address must have an @-sign.","input":"ada"},'
        b'{"type":"missing","loc":["body","items",0],"msg":"Field required"}]}'
    )
    error = protocol.error_for_status(422, {}, body)
    assert type(error) is ps.RequestValidationError
    assert error.problems == (
        ps.ValidationProblem(
            loc=("body", "email"),
            msg="value is not a valid email address: An email address must have an @-sign.",
            type="value_error",
        ),
        ps.ValidationProblem(loc=("body", "items", 0), msg="Field required", type="missing"),
    )
    assert error.detail[0]["input"] == "ada"


def test_422_entries_of_another_shape_read_as_empty_parts() -> None:
    """A loc that is not a list, a part that is not a str or int, a msg or type missing:
    those parts read as empty, and the entry is still one problem."""
    body = b'{"detail":[{"loc":"body","msg":3},{"loc":["body",null,"x"],"type":"t"},"no"]}'
    error = protocol.error_for_status(422, {}, body)
    assert isinstance(error, ps.RequestValidationError)
    assert error.problems == (
        ps.ValidationProblem(loc=(), msg="", type=""),
        ps.ValidationProblem(loc=("body", "x"), msg="", type="t"),
    )


def test_customer_does_not_exist_is_a_customer_not_found_error() -> None:
    """Polar's 422 "Customer does not exist." is a CustomerNotFoundError, still a
    RequestValidationError; another 422 of the same kind is not."""
    unknown = protocol.error_for_status(
        422,
        {},
        b'{"error":"PolarRequestValidationError","detail":[{"type":"value_error",'
        b'"loc":["body","external_customer_id"],"msg":"Customer does not exist.",'
        b'"input":"user-1"}]}',
    )
    assert type(unknown) is ps.CustomerNotFoundError
    assert isinstance(unknown, ps.RequestValidationError)
    assert str(unknown) == (
        "Polar refused the request (422): body.external_customer_id: Customer does not exist."
    )
    member = protocol.error_for_status(
        422,
        {},
        b'{"error":"PolarRequestValidationError","detail":[{"type":"value_error",'
        b'"loc":["body","member_id"],"msg":"Member does not exist for this customer.",'
        b'"input":"m"}]}',
    )
    assert type(member) is ps.RequestValidationError


def test_422_with_an_unexpected_body_still_maps() -> None:
    """A 422 that is not Polar's shape keeps an empty detail and the raw text."""
    error = protocol.error_for_status(422, {}, b"nope")
    assert isinstance(error, ps.RequestValidationError)
    assert error.detail == []
    assert error.problems == ()
    assert "nope" in str(error)


def test_429_reads_retry_after_from_an_empty_body() -> None:
    """A 429 as Polar sends it (empty, Retry-After: 60) is a RateLimitError of 60 s."""
    error = protocol.error_for_status(429, {"Retry-After": "60"}, b"")
    assert type(error) is ps.RateLimitError
    assert error.retry_after == 60.0
    assert error.body is None
    missing = protocol.error_for_status(429, {}, b"")
    assert isinstance(missing, ps.RateLimitError)
    assert missing.retry_after is None


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, b"Internal Server Error"),
        (502, b"<html><body><h1>502 Bad Gateway</h1></body></html>"),
        (503, b""),
        (504, b'{"detail":"upstream timed out"}'),
    ],
)
def test_5xx_is_a_server_error_whatever_the_body(status: int, body: bytes) -> None:
    """Plain text, HTML, empty or JSON: a 5xx is always a ServerError with the bytes."""
    error = protocol.error_for_status(status, {}, body)
    assert type(error) is ps.ServerError
    assert error.status == status
    assert error.raw_body == body


def test_the_version_404_names_the_version_sent() -> None:
    """Polar's bare 404 without a Polar-Version header: VersionNotFoundError naming what the
    client sent; it keeps the request."""
    error = protocol.error_for_status(
        404,
        {"Content-Type": "application/json"},
        b'{"detail":"Not Found"}',
        request=subscriptions.page_request(1, 10),
        polar_version="2031-01",
    )
    assert type(error) is ps.VersionNotFoundError
    assert "Polar-Version 2031-01" in str(error)
    assert error.request is not None
    assert error.request.label == "page 1 of claimed subscriptions"


def test_a_404_with_polars_version_header_is_an_ordinary_not_found() -> None:
    """The same body from a server that read the version (a wrong path): NotFoundError
    naming the request, and no version blamed."""
    error = protocol.error_for_status(
        404,
        {"Polar-Version": "2026-04"},
        b'{"detail":"Not Found"}',
        request=subscriptions.page_request(1, 10),
        polar_version="2031-01",
    )
    assert type(error) is ps.NotFoundError
    assert "version" not in str(error).lower()
    assert "GET /v1/customer-portal/seats/subscriptions" in str(error)


def test_redirect_is_an_error_naming_the_target() -> None:
    """A 3xx is not followed; the error names where it pointed."""
    error = protocol.error_for_status(302, {"Location": "https://evil.example/steal"}, b"")
    assert type(error) is ps.APIStatusError
    assert "https://evil.example/steal" in str(error)


AMBIGUOUS_BODY = (
    b'{"error":"AmbiguousExternalCustomerID","detail":"Several customers across your '
    b"organizations share this external customer ID. Use an organization-scoped token, the "
    b'Polar customer ID, or a unique external ID to disambiguate."}'
)


def test_409_ambiguous_external_customer_id_says_the_three_ways_out() -> None:
    """Polar's 409 AmbiguousExternalCustomerID has its class, Polar's detail, and the
    arguments that disambiguate; another 409 stays a plain APIStatusError."""
    error = protocol.error_for_status(409, {}, AMBIGUOUS_BODY)
    assert type(error) is ps.AmbiguousExternalCustomerIdError
    assert (error.status, error.error) == (409, "AmbiguousExternalCustomerID")
    assert str(error).startswith("Polar refused the request (409: Several customers across")
    for way_out in ("customer_id=", "organization access token", "external id no other"):
        assert way_out in str(error)
    other = protocol.error_for_status(409, {}, b'{"error":"SomethingElse","detail":"x"}')
    assert type(other) is ps.APIStatusError


def test_other_status_is_an_api_status_error() -> None:
    """Any other status maps to APIStatusError with status and body."""
    error = protocol.error_for_status(418, {}, b'{"error":"teapot"}')
    assert type(error) is ps.APIStatusError
    assert error.body == {"error": "teapot"}
    assert repr(error).startswith("APIStatusError(status=418")


def test_200_is_a_page() -> None:
    """A 200 decodes into a Page."""
    page = subscriptions.handle_response(200, {}, page_body([]), page=1)
    assert page.items == []
    assert page.pagination.max_page == 0
    with pytest.raises(ps.ServerError):
        subscriptions.handle_response(500, {}, b"", page=1)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8000", "http://localhost:1", "http://[::1]:9", "https://proxy.example"],
)
def test_https_or_loopback_base_urls_are_accepted(url: str) -> None:
    """https anywhere, plain http only to loopback (a local fake server)."""
    assert protocol.base_url_for("production", url + "/") == url


def test_plain_http_elsewhere_is_refused_unless_allowed() -> None:
    """The token is not sent in clear text over a network unless the caller opts in."""
    with pytest.raises(ValueError, match="allow_insecure_http=True"):
        protocol.base_url_for("production", "http://10.1.2.3:8080")
    url = protocol.base_url_for("production", "http://10.1.2.3:8080", allow_insecure_http=True)
    assert url == "http://10.1.2.3:8080"


@pytest.mark.parametrize(
    "url",
    [
        "ftp://api.polar.sh",
        "api.polar.sh",
        "https://",
        "https://u:p@api.polar.sh",
        "https://api.polar.sh/?x=1",
        "https://api.polar.sh/#frag",
    ],
)
def test_malformed_base_urls_are_refused(url: str) -> None:
    """A base_url must be a bare http(s) origin (with an optional path prefix)."""
    with pytest.raises(ValueError, match="base_url"):
        protocol.base_url_for("production", url)


@pytest.mark.parametrize(
    ("total", "max_page", "limit"),
    [(250, 3, 100), (250, 25, 10), (250, 3, 500), (0, 0, 10)],
)
def test_pagination_as_polar_computes_it_is_believed(total: int, max_page: int, limit: int) -> None:
    """max_page == ceil(total / min(limit, 100)) passes the check."""
    body = page_body([], total=total, max_page=max_page)
    page = subscriptions.handle_response(200, {}, body, page=1, limit=limit)
    assert page.pagination.max_page == max_page


@pytest.mark.parametrize(
    ("total", "max_page"), [(250, 2_000_000_000), (-1, 0), (10, -1), (250, 2), (0, 1)]
)
def test_pagination_that_does_not_add_up_is_refused(total: int, max_page: int) -> None:
    """A max_page in the billions, or negative, or not from its total: ResponseDecodeError."""
    body = page_body([], total=total, max_page=max_page)
    with pytest.raises(ps.ResponseDecodeError, match="max_page") as caught:
        subscriptions.handle_response(200, {}, body, page=2, limit=100)
    assert caught.value.path == "$.pagination"
    assert caught.value.page == 2
