"""``score --model NAME --backend openai``: a real HTTP server on 127.0.0.1 with scripted replies.

The server answers every prompt's first request with 429 (the backend must back off and retry), then with
a native tool call (``tool_calls``) that is the item's first gold call, so the run must score 100 CF.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from benchmarks import BENCHMARKS
from tlbench.runner import RunConfig, run


@pytest.fixture()
def gold_server(data_dir: Path) -> Iterator[tuple[str, dict[str, int]]]:
    gold: dict[str, dict] = {}
    for it in BENCHMARKS.get("bfcl-v3-exec").load(data_dir)[:4]:
        user = [m["content"] for m in it.messages if m["role"] == "user"][-1]
        gold[user] = it.gold[0][0].to_dict()
    seen: dict[str, int] = {}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            user = [m["content"] for m in body["messages"] if m["role"] == "user"][-1]
            with lock:
                seen[user] = seen.get(user, 0) + 1
                first = seen[user] == 1
            if first:
                data, status = {"error": "slow down"}, 429
            else:
                call = gold[user]
                msg = {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "c1",
                            "type": "function",
                            "function": {"name": call["name"], "arguments": json.dumps(call["arguments"])},
                        }
                    ],
                }
                assert body.get("tools"), "the openai format must send native tools"
                data = {"choices": [{"message": msg, "finish_reason": "tool_calls"}], "usage": {}}
                status = 200
            raw = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            if status == 429:
                self.send_header("Retry-After", "0")
            self.end_headers()
            self.wfile.write(raw)

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}/v1", seen
    finally:
        srv.shutdown()
        srv.server_close()


def test_openai_server_run_scores_native_tool_calls(
    tmp_path: Path, data_dir: Path, gold_server: tuple[str, dict[str, int]]
) -> None:
    url, seen = gold_server
    cfg = RunConfig(
        model="served-model",
        backend="openai",
        base_url=url,
        out=tmp_path / "run",
        data_dir=data_dir,
        benchmarks=("bfcl-v3-exec",),
        limit=4,
        cache_dir=tmp_path / "cache",
        resamples=20,
    )
    manifest = run(cfg)
    assert manifest["status"] == "complete" and manifest["backend"] == "openai"
    assert manifest["prompt_formats"] == {"bfcl-v3-exec": "openai"}
    assert sorted(seen.values()) == [2, 2, 2, 2]  # one 429 then one answer per prompt
    summary = json.loads((tmp_path / "run" / "bfcl-v3-exec" / "results.json").read_text())["summary"]
    assert summary["CF"] == 100.0 and summary["exec_accuracy"] == 100.0
    again = run(cfg)  # the cache answers everything: the server sees no new request
    assert again["generations"] == 0 and again["cache_hits"] == 4
    assert sorted(seen.values()) == [2, 2, 2, 2]
