"""Fixtures for the data-manager tests: the shared benchmark data, and a real HTTP mirror on 127.0.0.1.

The mirror is a ``ThreadingHTTPServer`` on a random port in a daemon thread. It serves files from a root
directory by relative path and can misbehave per path: serve corrupted bytes, or drop the connection
mid-body (with or without a Content-Length header) a given number of times (-1: always).
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

import tlbench.cli


def _shared_data_dir() -> Path:
    return Path(os.environ.get("TLBENCH_DATA") or "/work/shared/data")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The read-only benchmark data (``$TLBENCH_DATA`` or ../shared/data); skips when absent."""
    root = _shared_data_dir()
    probe = root / "rotbench" / "Data" / "First_Turn" / "clean.json"
    if not probe.is_file():
        pytest.skip(f"benchmark data not available at {root}")
    return root


@dataclass
class Mirror:
    """A running mirror: its base URL and what it served."""

    root: Path
    base_url: str = ""
    corrupt: set[str] = field(default_factory=set)
    drops: dict[str, int] = field(default_factory=dict)  # path -> drops left (-1: always)
    short_drops: set[str] = field(default_factory=set)  # drop without Content-Length (short body)
    status: dict[str, int] = field(default_factory=dict)  # path -> forced HTTP status
    requests: Counter[str] = field(default_factory=Counter)


def _handler(mirror: Mirror) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet tests
            pass

        def do_GET(self) -> None:
            rel = unquote(urlsplit(self.path).path).lstrip("/")
            mirror.requests[rel] += 1
            target = (mirror.root / rel).resolve()
            if rel in mirror.status:
                self.send_error(mirror.status[rel])
                return
            if mirror.root.resolve() not in target.parents or not target.is_file():
                self.send_error(404)
                return
            body = target.read_bytes()
            if rel in mirror.corrupt:
                body = bytes([body[0] ^ 0xFF]) + body[1:]
            left = mirror.drops.get(rel, 0)
            if left:
                mirror.drops[rel] = left - 1 if left > 0 else -1
                self.send_response(200)
                if rel not in mirror.short_drops:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


@pytest.fixture
def serve() -> Iterator[Callable[[Path], Mirror]]:
    """Factory: ``serve(root)`` starts a mirror of ``root`` and returns it (stopped after the test)."""
    servers: list[ThreadingHTTPServer] = []

    def start(root: Path) -> Mirror:
        mirror = Mirror(root=root)
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(mirror))
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        mirror.base_url = f"http://127.0.0.1:{server.server_address[1]}"
        return mirror

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[int, str, str]]:
    """Run ``tlbench data ...`` in-process; returns (exit code, stdout, stderr).

    Only the ``data`` subcommand is registered, so these tests do not depend on the other subcommands'
    modules (tests/cli/test_cli_basics.py checks the full CLI).
    """
    monkeypatch.setattr(tlbench.cli, "COMMANDS", {"data": "tlbench.cli.data"})

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            code = tlbench.cli.main(["data", *argv])
        except SystemExit as exc:  # argparse errors and --help
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return run
