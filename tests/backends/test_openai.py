"""The openai backend against a real HTTP server on 127.0.0.1 with scripted replies and failures."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tlbench.backends.base import GenConfig
from tlbench.backends.openai_http import OpenAIBackend

KEY = "sk-test-SECRET-123"


class Script:
    """What the server does per prompt text; counts requests."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.auth: list[str] = []
        self.bodies: list[dict] = []
        self.lock = threading.Lock()


def make_handler(script: Script) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep test output quiet
            pass

        def _send(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            key = body.get("prompt") or body["messages"][-1]["content"]
            with script.lock:
                script.hits[key] += 1
                n = script.hits[key]
                script.auth.append(self.headers.get("Authorization", ""))
                script.bodies.append(body)
            usage = {"prompt_tokens": 5, "completion_tokens": 3}
            if key == "flaky" and n <= 2:
                return self._send(429 if n == 1 else 503, {"error": "busy"}, {"Retry-After": "0"})
            if key == "always500":
                return self._send(500, {"error": "down"})
            if key == "bad400":
                return self._send(400, {"error": "bad"})
            if key == "slow" and n == 1:
                time.sleep(1.0)
            if key == "garbage":
                self.send_response(200)
                self.send_header("Content-Length", "3")
                self.end_headers()
                self.wfile.write(b"<h1")
                return None
            if self.path.endswith("/chat/completions"):
                if body.get("tools"):
                    call = {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                    }
                    msg = {"role": "assistant", "content": None, "tool_calls": [call]}
                    return self._send(
                        200, {"choices": [{"message": msg, "finish_reason": "tool_calls"}], "usage": usage}
                    )
                msg = {"role": "assistant", "content": f"chat:{key} STOP tail"}
                return self._send(
                    200, {"choices": [{"message": msg, "finish_reason": "stop"}], "usage": usage}
                )
            return self._send(
                200, {"choices": [{"text": f"done:{key}", "finish_reason": "length"}], "usage": usage}
            )

    return Handler


@pytest.fixture()
def server() -> Iterator[tuple[str, Script]]:
    script = Script()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(script))
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", script
    httpd.shutdown()
    httpd.server_close()


def backend(url: str, **kw: object) -> OpenAIBackend:
    opts = {
        "api_key_env": "TLB_TEST_KEY",
        "timeout": 0.5,
        "max_retries": 2,
        "backoff": 0.01,
        "concurrency": 4,
    }
    opts.update(kw)
    return OpenAIBackend(url, "served-model", **opts)  # type: ignore[arg-type]


def test_retries_then_per_item_errors_never_a_crash(
    server: tuple[str, Script], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    url, script = server
    monkeypatch.setenv("TLB_TEST_KEY", KEY)
    caplog.set_level(logging.DEBUG)
    prompts = ["ok", "flaky", "always500", "bad400", "slow", "garbage"]
    b = backend(url)
    gens = b.generate(prompts, GenConfig(max_new_tokens=8))
    by = dict(zip(prompts, gens, strict=True))
    assert by["ok"].text == "done:ok" and by["ok"].finish_reason == "length"
    assert by["ok"].n_prompt_tokens == 5 and by["ok"].n_new_tokens == 3
    assert by["flaky"].ok and script.hits["flaky"] == 3  # 429, 503, then success
    assert by["slow"].ok and script.hits["slow"] == 2  # timed out once, retried
    assert not by["always500"].ok and "HTTP 500 after 3 attempts" in by["always500"].error
    assert script.hits["always500"] == 3
    assert not by["bad400"].ok and script.hits["bad400"] == 1  # a plain 4xx is not retried
    assert not by["garbage"].ok
    assert set(script.auth) == {f"Bearer {KEY}"}
    assert KEY not in repr(b) and KEY not in caplog.text
    assert all(KEY not in g.error for g in gens)


def test_chat_tools_and_stop_strings(server: tuple[str, Script]) -> None:
    url, script = server
    b = backend(url, api_key_env=None)
    msgs = [{"role": "user", "content": "hello"}]
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    plain, native = b.generate([msgs, msgs], GenConfig(stop=("STOP",)), tools=[None, tools])
    assert plain.text == "chat:hello "
    call = json.loads(native.text)
    assert call["tool_calls"][0]["function"]["name"] == "get_weather"
    assert script.bodies[-1]["model"] == "served-model" or script.bodies[0]["model"] == "served-model"
    assert any(body.get("tools") == tools for body in script.bodies)
    assert all("Authorization" not in a for a in script.auth if a) and set(script.auth) == {""}


def test_unreachable_server_gives_error_records(monkeypatch: pytest.MonkeyPatch) -> None:
    b = OpenAIBackend("http://127.0.0.1:9", "m", max_retries=1, backoff=0.01, timeout=0.5)
    gens = b.generate(["a", "b"], GenConfig())
    assert [g.finish_reason for g in gens] == ["error", "error"]
    assert "connection error" in gens[0].error
    assert b.base_url.endswith("/v1") and b.identity == "http://127.0.0.1:9/v1#m"
