"""Fixtures for the executor tests: a real HTTP server on 127.0.0.1 driven by a per-test handler function."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tools_env.base import CallContext


@dataclass
class Seen:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Server:
    """A running local server; ``respond`` decides (status, headers, body) for each request."""

    url: str
    requests: list[Seen] = field(default_factory=list)
    respond: Callable[[Seen], tuple[int, dict[str, str], bytes]] = lambda seen: (200, {}, b"{}")

    def json(self, status: int, payload: Any) -> tuple[int, dict[str, str], bytes]:
        return status, {"Content-Type": "application/json"}, json.dumps(payload).encode()


@pytest.fixture
def http_server() -> Iterator[Server]:
    server_state = Server(url="")

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            seen = Seen(
                self.command, self.path, dict(self.headers), self.rfile.read(length) if length else b""
            )
            server_state.requests.append(seen)
            status, headers, body = server_state.respond(seen)
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout and size-limit tests do that on purpose)

        do_GET = do_POST = do_PUT = do_DELETE = _handle

        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server_state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield server_state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


@pytest.fixture
def ctx(tmp_path: Path) -> CallContext:
    work = tmp_path / "work"
    work.mkdir()
    return CallContext(workdir=work, seed=7)
