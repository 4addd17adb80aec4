"""A proxy.py plugin for tests/core/test_proxy.py: every request the proxy parses, one JSON line
each (method, target, headers), in the file named by ``PROXY_RECORD``.

What a forward proxy can read is what it parses: for an https target, the CONNECT that
opens the tunnel; everything after it is TLS between the client and the server.
"""

from __future__ import annotations

import json
import os
from typing import Any

from proxy.http.parser import HttpParser
from proxy.http.proxy import HttpProxyBasePlugin


class Recorder(HttpProxyBasePlugin):
    def before_upstream_connection(self, request: HttpParser) -> HttpParser | None:
        return self._record(request)

    def handle_client_request(self, request: HttpParser) -> HttpParser | None:
        return request

    def handle_upstream_chunk(self, chunk: memoryview) -> memoryview | None:
        return chunk

    def on_upstream_connection_close(self) -> None:
        pass

    def _record(self, request: HttpParser) -> HttpParser:
        seen: dict[str, Any] = {
            "method": (request.method or b"").decode(),
            "host": (request.host or b"").decode(),
            "port": request.port,
            "path": (request.path or b"").decode(),
            "headers": [
                [key.decode(), value.decode()] for key, value in (request.headers or {}).values()
            ],
        }
        with open(os.environ["PROXY_RECORD"], "a") as record:
            record.write(json.dumps(seen) + "\n")
        return request
