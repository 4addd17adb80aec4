"""Proxies and TLS trust: a real forward proxy (proxy.py, in a process of its own) in front
of the fake server over TLS, with a test CA from trustme that the client trusts only
through ``SSL_CERT_FILE``."""

from __future__ import annotations

import base64
import json
import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

import polar_seats as ps
from polar_seats.testing import FakePolarServer

ROOT = Path(__file__).parents[2]


class Proxy:
    """proxy.py on a free loopback port; ``seen()`` is every request it parsed."""

    def __init__(self, folder: Path) -> None:
        self.record = folder / "record.jsonl"
        self.log = folder / "proxy.log"
        port_file = folder / "port"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "proxy",
                "--hostname",
                "127.0.0.1",
                "--port",
                "0",
                "--port-file",
                str(port_file),
                "--num-acceptors",
                "1",
                "--num-workers",
                "1",
                "--plugins",
                "tests.support.proxy_recorder.Recorder",
                "--log-file",
                str(self.log),
            ],
            cwd=ROOT,
            env={**os.environ, "PROXY_RECORD": str(self.record), "PYTHONPATH": str(ROOT)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(300):  # up to 30 s on a loaded machine; it takes about one
            if port_file.exists() and port_file.read_text().strip():
                break
            assert self.process.poll() is None, "proxy.py exited"
            time.sleep(0.1)
        self.port = int(port_file.read_text())
        self.url = f"http://127.0.0.1:{self.port}"

    def seen(self) -> list[dict[str, Any]]:
        if not self.record.exists():
            return []
        return [json.loads(line) for line in self.record.read_text().splitlines()]

    def forget(self) -> None:
        self.record.unlink(missing_ok=True)

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    running = Proxy(tmp_path_factory.mktemp("proxy"))
    yield running
    running.close()


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture
async def tls_server(ca: trustme.CA) -> AsyncIterator[FakePolarServer]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    async with FakePolarServer(ssl_context=context) as server:
        yield server


@pytest.fixture
def trusted(ca_file: Path, monkeypatch: pytest.MonkeyPatch, proxy: Proxy) -> Proxy:
    """The test CA trusted through SSL_CERT_FILE, no proxy variable set, the proxy's record
    empty."""
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    proxy.forget()
    return proxy


async def walk(server: FakePolarServer, **options: Any) -> list[str]:
    async with ps.AsyncClient(server.token, base_url=server.url, rate_limit=None, **options) as c:
        return [sub.id async for sub in c.iter_claimed_subscriptions(limit=10)]


def assert_only_connect(seen: list[dict[str, Any]], server: FakePolarServer) -> None:
    assert seen
    assert {(s["method"], s["host"], s["port"]) for s in seen} == {
        ("CONNECT", "127.0.0.1", server.port)
    }
    for request in seen:
        names = {name.lower() for name, _ in request["headers"]}
        assert "authorization" not in names
        assert server.token not in json.dumps(request)


async def test_https_proxy_is_honoured_and_sees_only_a_connect(
    tls_server: FakePolarServer, trusted: Proxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", trusted.url)
    ids = await walk(tls_server)
    assert ids == [s["id"] for s in tls_server.subscriptions]
    assert_only_connect(trusted.seen(), tls_server)
    # The token went through the tunnel: the server got it, the proxy never saw it.
    assert {r.token for r in tls_server.requests} == {tls_server.token}
    assert tls_server.token not in trusted.log.read_text()


async def test_no_proxy_is_honoured(
    tls_server: FakePolarServer, trusted: Proxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", trusted.url)
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    assert len(await walk(tls_server)) == 25
    assert trusted.seen() == []


async def test_an_explicit_proxy_with_credentials_gets_them_on_the_connect_only(
    tls_server: FakePolarServer, trusted: Proxy
) -> None:
    user = trusted.url.replace("http://", "http://ops:s%3Acret@")
    assert len(await walk(tls_server, proxy=user)) == 25
    seen = trusted.seen()
    assert_only_connect(seen, tls_server)
    expected = "Basic " + base64.b64encode(b"ops:s:cret").decode()
    for request in seen:
        assert ["Proxy-Authorization", expected] in request["headers"]


async def test_trust_env_false_ignores_the_proxy_variables(
    tls_server: FakePolarServer, trusted: Proxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", trusted.url)
    assert len(await walk(tls_server, trust_env=False)) == 25
    assert trusted.seen() == []


async def test_tls_trust_is_ssl_cert_file_and_verification_stays_on(
    tls_server: FakePolarServer, ca_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same server, trusted through SSL_CERT_FILE, then not (the system store does
    not hold the test CA): the certificate is checked either way."""
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    assert len(await walk(tls_server)) == 25
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file.parent / "missing.pem"))
    with pytest.raises(ps.NetworkError) as refused:
        await walk(tls_server, retry=None)
    assert "certificate" in str(refused.value).lower()


def test_a_plain_http_origin_takes_no_proxy_without_allow_insecure_http(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ValueError, match="in the clear"):
        ps.AsyncClient(base_url="http://127.0.0.1:9", proxy="http://127.0.0.1:3128")
    ps.AsyncClient(
        base_url="http://127.0.0.1:9", proxy="http://127.0.0.1:3128", allow_insecure_http=True
    )


async def test_the_environment_s_proxy_is_not_used_for_a_plain_http_origin(
    server: FakePolarServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A loopback fake server over http stays direct, whatever HTTP_PROXY says (here a
    port nobody listens on)."""
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{closed.getsockname()[1]}")
    closed.close()
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert len(await walk(server)) == 25
    with pytest.raises(ps.NetworkError):
        await walk(server, allow_insecure_http=True, retry=None)


async def test_plain_http_through_a_proxy_shows_why_it_is_refused(
    server: FakePolarServer, trusted: Proxy
) -> None:
    """With allow_insecure_http=True the proxy reads every header, the token included."""
    assert len(await walk(server, proxy=trusted.url, allow_insecure_http=True)) == 25
    seen = trusted.seen()
    assert {s["method"] for s in seen} == {"GET"}
    assert ["Authorization", f"Bearer {server.token}"] in seen[0]["headers"]


@pytest.mark.parametrize(
    ("proxy", "error"),
    [
        ("socks5://127.0.0.1:1080", ValueError),
        ("http://127.0.0.1:3128/path", ValueError),
        ("127.0.0.1:3128", ValueError),
        (3128, TypeError),
    ],
)
def test_a_proxy_that_is_not_an_http_proxy_url_is_refused(proxy: Any, error: type) -> None:
    with pytest.raises(error):
        ps.AsyncClient(base_url="https://api.polar.sh", proxy=proxy)


async def test_a_session_passed_in_keeps_its_own_settings() -> None:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        with pytest.raises(ValueError, match="session= is used as is"):
            ps.AsyncClient(session=session, proxy="http://127.0.0.1:3128")
        ps.AsyncClient(session=session)
