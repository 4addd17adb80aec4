"""The polar-seats command: demo, list, and one clear line per expected failure."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import csv
import io
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

import polar_seats as ps
from polar_seats import cli as polar_cli
from polar_seats.cli import subscriptions
from polar_seats.testing import FakePolarServer, Fault, FaultPlan, serve_in_thread
from polar_seats.webhooks import CustomerSeatAssigned, WebhookVerificationError, verify
from tests.support.helpers import webhook_receiver


async def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "polar_seats",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    try:
        # A command that should refuse its arguments, but serves or walks instead, fails here.
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def test_demo_lists_the_seeded_subscriptions() -> None:
    """`demo` walks a fake server through the real client: one JSON line per subscription."""
    out, err = io.StringIO(), io.StringIO()
    status = polar_cli.run(
        ["demo", "--items", "120", "--limit", "50", "--format", "jsonl"], out=out, err=err
    )
    assert status == 0
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(lines) == 120
    assert len({line["id"] for line in lines}) == 120
    assert set(lines[0]) == {"id", "status", "seats", "product.name"}
    assert "Listed 120 claimed subscriptions in 3 requests" in err.getvalue()
    assert "polar-seats list" in err.getvalue()


def test_demo_with_all_fields_prints_whole_subscriptions() -> None:
    """An empty --fields prints each subscription whole."""
    out = io.StringIO()
    argv = ["demo", "--items", "3", "--fields", "", "--format", "jsonl"]
    assert polar_cli.run(argv, out=out, err=io.StringIO()) == 0
    first = json.loads(out.getvalue().splitlines()[0])
    assert first["product"]["organization"]["name"]
    assert isinstance(first["prices"], list)


def test_list_without_a_token_says_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    """No token in the environment: one line naming the variable, exit 2, no traceback."""
    monkeypatch.delenv(polar_cli.TOKEN_VARIABLE, raising=False)
    err = io.StringIO()
    assert polar_cli.run(["list"], out=io.StringIO(), err=err) == polar_cli.EXIT_USAGE
    assert polar_cli.TOKEN_VARIABLE in err.getvalue()
    assert err.getvalue().count("\n") == 1


def test_bad_limit_is_a_usage_error() -> None:
    """--limit outside 1..100 is refused before anything runs."""
    err = io.StringIO()
    assert (
        polar_cli.run(["demo", "--limit", "500"], out=io.StringIO(), err=err)
        == polar_cli.EXIT_USAGE
    )
    assert "--limit" in err.getvalue()


async def test_list_walks_the_server_given_by_base_url() -> None:
    """`list` reads the token from the environment and prints every subscription."""
    async with FakePolarServer(count=30) as server:
        status, out, _ = await run_cli(
            "list",
            "--base-url",
            server.url,
            "--limit",
            "20",
            "--fields",
            "id,status",
            env={polar_cli.TOKEN_VARIABLE: server.token},
        )
    assert status == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["id"] for line in lines] == [s["id"] for s in server.subscriptions]
    assert lines[0] == {
        "id": server.subscriptions[0]["id"],
        "status": server.subscriptions[0]["status"],
    }


async def test_list_with_a_refused_token_exits_3_in_one_line() -> None:
    """An invalid token: exit 3, one line on stderr, no traceback, no token."""
    async with FakePolarServer() as server:
        status, out, err = await run_cli(
            "list",
            "--base-url",
            server.url,
            env={polar_cli.TOKEN_VARIABLE: "polar_cst_SECRETVALUE"},
        )
    assert status == polar_cli.EXIT_AUTH
    assert out == ""
    assert err.startswith("polar-seats: Polar refused the token")
    assert err.count("\n") == 1
    assert "SECRETVALUE" not in err
    assert "Traceback" not in err


async def test_list_against_nothing_exits_5() -> None:
    """No server listening: a network failure, exit 5."""
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    status, _, err = await run_cli(
        "list",
        "--base-url",
        f"http://127.0.0.1:{port}",
        env={polar_cli.TOKEN_VARIABLE: "polar_cst_x"},
    )
    assert status == polar_cli.EXIT_NETWORK
    assert "Traceback" not in err


async def test_output_closed_early_is_quiet() -> None:
    """`polar-seats demo | head -1`: the closed pipe ends the command without an error."""
    process = await asyncio.create_subprocess_shell(
        f"{sys.executable} -m polar_seats demo --items 300 | head -n 1",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert len(out.decode().splitlines()) == 1
    assert b"Traceback" not in err
    assert b"BrokenPipeError" not in err


def demo_output(*options: str) -> str:
    out = io.StringIO()
    assert polar_cli.run(["demo", "--items", "30", *options], out=out, err=io.StringIO()) == 0
    return out.getvalue()


def test_json_format_is_one_array() -> None:
    """--format json prints one JSON array of every subscription."""
    data = json.loads(demo_output("--format", "json", "--fields", "id,status"))
    assert len(data) == 30
    assert set(data[0]) == {"id", "status"}


def test_csv_format_flattens_nested_fields_with_dotted_names() -> None:
    """--format csv without --fields: every field, nested ones as dotted columns."""
    rows = list(csv.DictReader(io.StringIO(demo_output("--format", "csv", "--fields", ""))))
    assert len(rows) == 30
    assert "product.organization.name" in rows[0]
    assert rows[0]["prices"].startswith("[{")


def test_table_format_fits_80_columns() -> None:
    """--format table: a header, a rule, and one line per subscription, none over 80."""
    lines = demo_output("--format", "table").splitlines()
    assert lines[0].split()[:2] == ["id", "status"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert len(lines) == 32
    assert max(len(line) for line in lines) <= 80


def test_token_file_is_read_and_stripped(tmp_path: Path) -> None:
    """--token-file reads the token; a trailing newline does not matter."""
    token_file = tmp_path / "token"
    token_file.write_text("polar_cst_from_a_file\n")

    async def run_against_fake() -> tuple[int, str]:
        async with FakePolarServer(count=3, tokens=["polar_cst_from_a_file"]) as server:
            return await run_cli(
                "list",
                "--base-url",
                server.url,
                "--token-file",
                str(token_file),
                env={polar_cli.TOKEN_VARIABLE: ""},
            )

    status, out, _ = asyncio.run(run_against_fake())
    assert status == 0
    assert len(out.splitlines()) == 3


def test_missing_token_file_is_a_usage_error(tmp_path: Path) -> None:
    """A token file that cannot be read: exit 2 and a sentence naming the file."""
    err = io.StringIO()
    status = polar_cli.run(
        ["list", "--token-file", str(tmp_path / "nope")], out=io.StringIO(), err=err
    )
    assert status == polar_cli.EXIT_USAGE
    assert "nope" in err.getvalue()


@contextlib.asynccontextmanager
async def serve_fake_said(*options: str) -> AsyncIterator[dict[str, str]]:
    """`polar-seats serve-fake --port 0 OPTIONS` in a process; yields what it printed
    before "Ctrl-C stops it." (`URL`, then each `Name: value` line) and checks that SIGINT
    stops it cleanly."""
    async with serve_fake_process(*options) as (_, said):
        yield said


@contextlib.asynccontextmanager
async def serve_fake_process(
    *options: str,
) -> AsyncIterator[tuple[asyncio.subprocess.Process, dict[str, str]]]:
    """`serve_fake_said`, with the process, whose stdout goes on after "Ctrl-C stops it."."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "polar_seats",
        "serve-fake",
        "--port",
        "0",
        *options,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    said = {"URL": (await process.stdout.readline()).decode().split(" at ", 1)[1].strip()}
    while (line := (await process.stdout.readline()).decode().strip()) != "Ctrl-C stops it.":
        assert line, "serve-fake ended before saying how to stop it"
        name, _, value = line.partition(": ")
        said[name] = value
    try:
        yield process, said
    finally:
        process.send_signal(signal.SIGINT)
        assert await process.wait() == 0


@contextlib.asynccontextmanager
async def serve_fake(*options: str) -> AsyncIterator[tuple[str, str]]:
    """`serve-fake` in a process: its URL and customer session token."""
    async with serve_fake_said(*options) as said:
        yield said["URL"], said["Token"]


async def test_serve_fake_serves_until_stopped() -> None:
    """`serve-fake` prints its URL and token, answers requests, and stops on a signal."""
    async with (
        serve_fake("--items", "12") as (url, token),
        ps.AsyncClient(token, base_url=url) as client,
    ):
        page = await client.list_claimed_subscriptions(limit=100)
    assert len(page.items) == 12


async def test_serve_fake_answers_scripted_faults_by_request_number() -> None:
    """`--fault 1=503 --fault 2=429:0 ...`: the first requests fail as asked, then pages."""
    faults = ["--fault", "1=503", "--fault", "2=429:0", "--fault", "3=invalid-json"]
    async with (
        serve_fake("--items", "5", *faults) as (url, token),
        ps.AsyncClient(token, base_url=url, retry=None) as client,
    ):
        with pytest.raises(ps.ServerError, match="503"):
            await client.list_claimed_subscriptions()
        with pytest.raises(ps.RateLimitError) as limited:
            await client.list_claimed_subscriptions()
        assert limited.value.retry_after == 0
        with pytest.raises(ps.ResponseDecodeError, match="not valid JSON"):
            await client.list_claimed_subscriptions()
        assert len((await client.list_claimed_subscriptions()).items) == 5


@pytest.mark.parametrize("spec", ["0=503", "x=503", "2=", "2=teapot"])
def test_serve_fake_refuses_a_bad_fault_in_one_line(spec: str) -> None:
    """A bad --fault is a usage error, before any server starts."""
    err = io.StringIO()
    assert polar_cli.run(["serve-fake", "--fault", spec], out=io.StringIO(), err=err) == 2
    assert err.getvalue().startswith("polar-seats: --fault")
    assert err.getvalue().count("\n") == 1


WEBHOOK_SECRET = "whsec_" + base64.b64encode(bytes(range(64, 96))).decode()
"""Of the form Polar makes since 2026-09-08: serve-fake signs with its decoded bytes."""


async def test_serve_fake_posts_signed_seat_webhooks_to_the_receiver() -> None:
    """`--webhook-url URL --webhook-secret SECRET`: an assign through the client reaches a
    receiver on loopback as a customer_seat.assigned that verifies with SECRET, of the
    version printed; neither the secret nor the URL's query is printed."""
    arrived = asyncio.Event()
    received: list[object] = []

    async def endpoint(request: web.Request) -> web.Response:
        try:
            received.append(verify(await request.read(), request.headers, WEBHOOK_SECRET))
        except WebhookVerificationError as exc:
            received.append(exc)
        arrived.set()
        return web.Response(status=202)

    async with webhook_receiver(endpoint) as hook:
        options = [
            *("--webhook-url", f"{hook}?key=TYPEDSECRET"),
            *("--webhook-secret", WEBHOOK_SECRET),
        ]
        async with serve_fake_process(*options) as (process, said):
            async with ps.AsyncClient(
                organization_token=said["Organization token"], base_url=said["URL"]
            ) as client:
                seat = await client.assign_seat(
                    subscription_id=said["Seat subscription id"], email="ann@example.com"
                )
            await asyncio.wait_for(arrived.wait(), 10)
    assert process.stdout is not None
    printed = " ".join(said.values()) + (await process.stdout.read()).decode()
    (event,) = received
    assert isinstance(event, CustomerSeatAssigned)
    assert (event.data.id, event.data.email) == (seat.id, "ann@example.com")
    assert (said["Webhook URL"], said["Webhook API version"]) == (hook, "2026-10")
    assert event.api_version == "2026-10"
    assert "Invitation to ann@example.com: " in printed
    assert "TYPEDSECRET" not in printed
    assert WEBHOOK_SECRET.removeprefix("whsec_")[:12] not in printed


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (["--webhook-url", "http://127.0.0.1:9/TYPEDSECRET"], "go together"),
        (["--webhook-secret", WEBHOOK_SECRET], "go together"),
        (["--webhook-url", "http://127.0.0.1:9/TYPEDSECRET", "--webhook-secret="], "is empty"),
        (["--webhook-url", "ftp://127.0.0.1/TYPEDSECRET", "--webhook-secret", "s"], "http://"),
        (["--webhook-url", "127.0.0.1:9000/TYPEDSECRET", "--webhook-secret", "s"], "http://"),
        (["--webhook-url", "http:///TYPEDSECRET", "--webhook-secret", "s"], "with a host"),
        (["--webhook-url", "http://[::1/TYPEDSECRET", "--webhook-secret", "s"], "with a host"),
    ],
)
def test_serve_fake_refuses_a_webhook_endpoint_it_cannot_use_without_echoing_it(
    options: list[str], said: str
) -> None:
    """Half an endpoint, an empty secret or a URL the fake cannot POST to: a usage error in
    one line, before any server starts, quoting neither the URL nor the secret."""
    err = io.StringIO()
    assert (
        polar_cli.run(["serve-fake", *options], out=io.StringIO(), err=err) == polar_cli.EXIT_USAGE
    )
    assert err.getvalue().startswith("polar-seats: --webhook-")
    assert said in err.getvalue()
    assert err.getvalue().count("\n") == 1
    assert "TYPEDSECRET" not in err.getvalue()
    assert WEBHOOK_SECRET.removeprefix("whsec_")[:12] not in err.getvalue()


def test_demo_shows_a_table_then_how_to_reach_the_real_api() -> None:
    """`polar-seats demo` as the README runs it: a table of a few hundred, then the next step."""
    out, err = io.StringIO(), io.StringIO()
    assert polar_cli.run(["demo"], out=out, err=err) == 0
    lines = out.getvalue().splitlines()
    assert lines[0].split()[:2] == ["id", "status"]
    assert len(lines) == 2 + 300
    assert "export POLAR_CUSTOMER_SESSION_TOKEN=" in err.getvalue()
    assert "polar-seats list --format table --server sandbox" in err.getvalue()


async def test_debug_logs_each_request_and_answer_with_the_token_redacted() -> None:
    """--debug: a line per request and per answer on stderr; the token appears nowhere."""
    token = "polar_cst_DEBUGSECRET"
    async with FakePolarServer(count=25, tokens=[token]) as server:
        status, out, err = await run_cli(
            "list",
            "--debug",
            "--base-url",
            server.url,
            "--limit",
            "10",
            env={polar_cli.TOKEN_VARIABLE: token},
        )
    assert status == 0
    assert len(out.splitlines()) == 25
    sent = [line for line in err.splitlines() if line.startswith("polar-seats: → GET")]
    answered = [line for line in err.splitlines() if line.startswith("polar-seats: ← 200 GET")]
    assert len(sent) == len(answered) == 3
    assert "Authorization: Bearer (redacted)" in sent[0]
    assert "DEBUGSECRET" not in err + out


async def test_debug_shows_a_reset_read_and_its_resend() -> None:
    """--debug: a GET reset on the first (new) connection shows as sent, failed and sent
    again, since the resend is the library's and no longer aiohttp's unseen one."""
    async with FakePolarServer(count=5, faults=FaultPlan({1: Fault.reset()})) as server:
        status, out, err = await run_cli(
            "list",
            "--debug",
            "--base-url",
            server.url,
            env={polar_cli.TOKEN_VARIABLE: server.token},
        )
    assert status == 0
    assert len(out.splitlines()) == 5
    lines = [line.split(" ")[1:3] for line in err.splitlines() if "/subscriptions?" in line]
    assert [arrow for arrow, _ in lines] == ["→", "✗", "→", "←"]
    assert len(server.requests) == 2


async def test_debug_shows_the_traceback_of_an_error_without_the_token() -> None:
    """--debug on a refused token: the traceback and request log, still exit 3, no token."""
    async with FakePolarServer() as server:
        status, _, err = await run_cli(
            "list",
            "--debug",
            "--base-url",
            server.url,
            env={polar_cli.TOKEN_VARIABLE: "polar_cst_SECRETVALUE"},
        )
    assert status == polar_cli.EXIT_AUTH
    assert "Traceback" in err
    assert "polar-seats: ← 401 GET" in err
    assert err.splitlines()[-1].startswith("polar-seats: Polar refused the token")
    assert "SECRETVALUE" not in err


def test_a_bug_exits_70_with_one_line_that_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An unexpected exception is a bug: exit 70, one line pointing at --debug; with
    --debug, the traceback too."""

    def broken(data: object, fields: object) -> object:
        raise RuntimeError("something impossible")

    monkeypatch.setattr(subscriptions, "pick", broken)
    err = io.StringIO()
    assert polar_cli.run(["demo", "--items", "3"], out=io.StringIO(), err=err) == polar_cli.EXIT_BUG
    assert err.getvalue() == (
        "polar-seats: internal error, a bug in polar-seats: RuntimeError: something "
        "impossible. Run again with --debug for the traceback, and report it.\n"
    )
    err = io.StringIO()
    assert polar_cli.run(["demo", "--items", "3", "--debug"], out=io.StringIO(), err=err) == 70
    assert "Traceback" in err.getvalue()
    assert "in broken" in err.getvalue()


class Terminal(io.StringIO):
    """A stream that says it is a terminal, as stderr is when a person runs the command."""

    def isatty(self) -> bool:
        return True


def test_progress_bar_shows_on_a_terminal_stderr_while_stdout_is_piped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """stdout piped, stderr a terminal: a bar with items, pages, rate and retries."""
    monkeypatch.setenv("TERM", "xterm-256color")
    for variable in ("TTY_COMPATIBLE", "TTY_INTERACTIVE", "NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(variable, raising=False)
    faults = FaultPlan(pages={3: [Fault.server_error(503)]})
    with serve_in_thread(FakePolarServer(count=250, faults=faults)) as server:
        monkeypatch.setenv(polar_cli.TOKEN_VARIABLE, server.token)
        out, err = io.StringIO(), Terminal()
        argv = ["list", "--base-url", server.url, "--limit", "50", "--fields", "id"]
        assert polar_cli.run(argv, out=out, err=err) == 0
    assert len(out.getvalue().splitlines()) == 250
    shown = err.getvalue()
    assert "250/250 items" in shown
    assert "5 pages" in shown
    assert "1 retries" in shown
    assert "/s" in shown


def test_no_progress_bar_on_a_dumb_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """TERM=dumb cannot redraw a line: no bar."""
    monkeypatch.setenv("TERM", "dumb")
    err = Terminal()
    assert polar_cli.run(["demo", "--items", "20"], out=io.StringIO(), err=err) == 0
    assert err.getvalue().startswith("\nListed 20 claimed subscriptions")


def test_no_progress_bar_without_the_cli_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without rich installed the command works the same, without a bar."""
    monkeypatch.setitem(sys.modules, "rich.progress", None)  # import fails as if missing
    err = Terminal()
    assert polar_cli.run(["demo", "--items", "20"], out=io.StringIO(), err=err) == 0
    assert err.getvalue().startswith("\nListed 20 claimed subscriptions")


@pytest.mark.parametrize(
    ("stdout", "options"),
    [(Terminal, ()), (io.StringIO, ("--no-progress",))],
    ids=["stdout-is-a-terminal", "no-progress"],
)
def test_no_progress_bar_when_stdout_is_a_terminal_or_it_is_turned_off(
    stdout: type[io.StringIO], options: tuple[str, ...]
) -> None:
    """Nothing but the demo's closing lines on stderr."""
    err = Terminal()
    assert polar_cli.run(["demo", "--items", "20", *options], out=stdout(), err=err) == 0
    assert err.getvalue().startswith("\nListed 20 claimed subscriptions")


def test_table_columns_fit_their_values_and_only_the_widest_give_way() -> None:
    """The demo's table shows whole ids; with more fields than fit, the widest narrow."""
    lines = demo_output("--format", "table").splitlines()
    header, rule, first = lines[0], lines[1], lines[2]
    assert header.split() == ["id", "status", "seats", "product.name"]
    assert len(first.split()[0]) == 36  # a whole UUID
    assert len(rule.split()[0]) == 36
    many = "id,status,seats,product.name,product.organization.name,current_period_end"
    wide = demo_output("--format", "table", "--fields", many).splitlines()
    assert max(len(line) for line in wide) <= 80
    assert wide[2].split()[0].endswith("…")


@pytest.mark.parametrize(
    "argv",
    [
        ["list", "--token", "polar_cst_TYPEDSECRET"],
        ["list", "--token=polar_cst_TYPEDSECRET"],
        ["demo", "--token", "polar_cst_TYPEDSECRET"],
        ["--token", "polar_cst_TYPEDSECRET", "list"],
    ],
)
async def test_a_token_on_the_command_line_is_refused_without_echoing_it(argv: list[str]) -> None:
    """--token is no option (not even an abbreviation of --token-file): exit 2 and the
    reason, and the value shows nowhere."""
    status, out, err = await run_cli(*argv, env={polar_cli.TOKEN_VARIABLE: ""})
    assert status == polar_cli.EXIT_USAGE
    assert "TYPEDSECRET" not in out + err
    assert err.startswith("polar-seats: There is no --token option")
    assert "shell's history" in err
    assert polar_cli.TOKEN_VARIABLE in err
    assert "--token-file" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["list", "--limi", "5"],
        ["demo", "--item", "5"],
        ["serve-fake", "--po", "0"],
        ["list", "--toke", "polar_cst_TYPEDSECRET"],
        ["list", "--tokn=polar_cst_TYPEDSECRET"],
        ["list", "polar_cst_TYPEDSECRET"],
    ],
)
async def test_abbreviated_or_unknown_options_are_refused_without_echoing_values(
    argv: list[str],
) -> None:
    """No option is guessed from its beginning; an unknown one is named, its value is not."""
    status, out, err = await run_cli(
        *argv, env={polar_cli.TOKEN_VARIABLE: "polar_cst_x"}, timeout=10
    )
    assert status == polar_cli.EXIT_USAGE
    assert "TYPEDSECRET" not in out + err
    assert err.startswith("polar-seats: ")
    assert f"polar-seats {argv[0]} --help" in err
    assert err.count("\n") == 1


def test_a_token_file_given_a_token_does_not_echo_it() -> None:
    """`--token-file polar_cst_…` is a token where a path goes: said so, the value unshown."""
    err = io.StringIO()
    argv = ["list", "--token-file", "polar_cst_TYPEDSECRET"]
    assert polar_cli.run(argv, out=io.StringIO(), err=err) == polar_cli.EXIT_USAGE
    assert "TYPEDSECRET" not in err.getvalue()
    assert "path of a file" in err.getvalue()


@pytest.mark.parametrize("port", ["70000", "-1", "65536"])
def test_serve_fake_refuses_a_port_out_of_range(port: str) -> None:
    """A port outside 0..65535: a usage error naming it, before any server starts."""
    err = io.StringIO()
    status = polar_cli.run(["serve-fake", "--port", port], out=io.StringIO(), err=err)
    assert status == polar_cli.EXIT_USAGE
    assert err.getvalue() == (
        f"polar-seats: --port must be between 0 and 65535 (got {port}); "
        "--port 0 picks any free port.\n"
    )


async def test_serve_fake_on_a_port_in_use_says_what_to_do() -> None:
    """A port another server holds: exit 2 and a sentence naming the port, not a bug."""
    holder = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = holder.sockets[0].getsockname()[1]
    try:
        status, out, err = await run_cli("serve-fake", "--port", str(port))
    finally:
        holder.close()
        await holder.wait_closed()
    assert status == polar_cli.EXIT_USAGE
    assert out == ""
    assert err.startswith(f"polar-seats: Cannot listen on 127.0.0.1:{port}: ")
    assert "--port 0" in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ("nope", "a subscription has no field 'nope'; its fields are created_at,"),
        ("id,product.nope", "product has no field 'nope'; its fields are id, created_at,"),
        ("product.name.first", "product.name has no fields below it"),
        ("prices.id", "prices is a list"),
        ("id,", None),
    ],
)
def test_unknown_fields_are_refused_with_the_ones_there_are(fields: str, said: str | None) -> None:
    """--fields names fields of the model, dotted ones checked level by level."""
    out, err = io.StringIO(), io.StringIO()
    status = polar_cli.run(["demo", "--items", "3", "--fields", fields], out=out, err=err)
    if said is None:  # a trailing comma is no field at all, and harmless
        assert status == 0
        return
    assert status == polar_cli.EXIT_USAGE
    assert out.getvalue() == ""
    assert err.getvalue().startswith(f"polar-seats: --fields {fields.split(',')[-1]}: {said}")
    assert err.getvalue().count("\n") == 1


def test_every_kind_of_nested_field_is_accepted() -> None:
    """Paths into nested objects, optional ones, price unions (the tag too) and a dict."""
    fields = (
        "product.name,product.organization.name,pending_update.seats,price.amount_type,"
        "price.price_amount,product.organization.customer_portal_settings,prices"
    )
    rows = [
        json.loads(line)
        for line in demo_output("--format", "jsonl", "--fields", fields).splitlines()
    ]
    assert len(rows) == 30
    assert all(row["product.name"] for row in rows)


def test_version_is_printed() -> None:
    """--version: `polar-seats <version>` on stdout, exit 0."""
    status, out, err = asyncio.run(run_cli("--version"))
    assert (status, out, err) == (0, f"polar-seats {ps.__version__}\n", "")


def test_csv_writes_booleans_and_nulls_as_json_would() -> None:
    """true/false, not Python's True/False; a null is an empty cell."""
    output = demo_output("--format", "csv", "--fields", "id,product.is_archived,pending_update")
    rows = list(csv.DictReader(io.StringIO(output)))
    assert {row["product.is_archived"] for row in rows} == {"true", "false"}
    assert {row["pending_update"] for row in rows} == {""}


@pytest.mark.parametrize(
    ("option", "said"),
    [
        (["--limit", "0"], "--limit must be between 1 and 100."),
        (["--concurrency", "0"], "--concurrency must be a whole number of pages, 1 or more."),
        (["--max-items", "-1"], "--max-items must be 0 or more."),
    ],
)
def test_walk_options_are_checked_by_the_library(option: list[str], said: str) -> None:
    """The library's own checks, said from the error's fields under the option's name (the
    library's sentence names its keyword argument: ``max_items``)."""
    err = io.StringIO()
    assert polar_cli.run(["demo", *option], out=io.StringIO(), err=err) == polar_cli.EXIT_USAGE
    assert err.getvalue() == f"polar-seats: {said}\n"


def test_serve_fake_refuses_a_fault_rate_as_the_fault_plan_does() -> None:
    """--fault-rate is checked by FaultPlan itself, said from its error's fields under the
    option's name."""
    err = io.StringIO()
    assert polar_cli.run(["serve-fake", "--fault-rate", "2"], out=io.StringIO(), err=err) == 2
    assert err.getvalue() == "polar-seats: --fault-rate must be between 0 and 1.\n"


def test_a_token_file_with_a_space_inside_gets_the_library_s_reason(tmp_path: Path) -> None:
    """The token from a file is checked by the library, the file named, the token not."""
    token_file = tmp_path / "token"
    token_file.write_text("polar_cst_TYPED SECRET\n")
    err = io.StringIO()
    argv = ["list", "--token-file", str(token_file)]
    assert polar_cli.run(argv, out=io.StringIO(), err=err) == polar_cli.EXIT_USAGE
    assert err.getvalue().startswith(f"polar-seats: The token in {token_file}: The token contains")
    assert "SECRET" not in err.getvalue()


def test_the_demo_s_closing_lines_fit_80_columns() -> None:
    """What the demo says after its table is read in a terminal: no line wraps."""
    err = io.StringIO()
    assert polar_cli.run(["demo", "--items", "3"], out=io.StringIO(), err=err) == 0
    assert max(len(line) for line in err.getvalue().splitlines()) <= 80
