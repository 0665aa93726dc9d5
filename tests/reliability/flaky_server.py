"""A local OpenAI-compatible server on 127.0.0.1 that misbehaves on request, for the reliability tests.

The behaviour is chosen by the prompt text (completions) or the last message (chat): the first word that is
a known mode decides, so a test states in its prompts what each request will meet. Every request is counted
per prompt and every ``Authorization`` header is recorded, so tests can assert retries and key handling.
``reply_body`` (instead of ``reply``) answers from the whole request body, in the request's own thread, so a
test can script multi-turn conversations and make some requests slower than others.

=============  ====================================================================================
mode           answer
=============  ====================================================================================
``ok``         200 with a completion ``"reply to <prompt>"``
``r429x2``     429 (Retry-After: 0) on the first two requests for this prompt, then ``ok``
``r500x2``     500 on the first two, then ``ok``
``always500``  500 forever
``always429``  429 forever
``garbage``    200 with a body that is not JSON
``notobj``     200 with a JSON list
``nochoices``  200 with ``{"object": "text_completion"}`` (no choices)
``slow``       sleeps 30 s before answering (the client times out)
``trickle``    200 headers at once, then one body byte every 0.2 s for ever (a slow stream)
``hangup``     closes the connection without answering
``bad400``     400 with an error JSON (not retried)
``deep``       200 with a JSON body nested 100,000 deep (``json.loads`` raises RecursionError on it)
``tools400``   400 with vLLM's answer to ``tools=`` when it runs without a tool-call parser, for every
               request that carries ``tools``; ``ok`` for the others
=============  ====================================================================================

``die_after=N`` makes the server die after answering N requests: it stops listening (new connections are
refused) and hangs up on every request it still gets on open connections, as a killed ``vllm serve``
would. :meth:`FlakyServer.restart` brings it back on the same port, healthy.

Run it as a program to try the CLI against it (prints the URL; stops after ``--seconds``)::

    python tests/reliability/flaky_server.py --mode tools400 --seconds 60
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODES = (
    "ok r429x2 r500x2 always500 always429 garbage notobj nochoices slow trickle hangup bad400 deep tools400"
).split()
#: vLLM's body for a ``tools=`` request when it was started without ``--enable-auto-tool-choice``.
VLLM_TOOLS_400 = json.dumps(
    {
        "object": "error",
        "message": '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set',
        "type": "BadRequestError",
        "param": None,
        "code": 400,
    }
).encode()


class FlakyServer:
    """Start with ``with FlakyServer() as srv:``; ``srv.url`` is the base URL (``.../v1``)."""

    def __init__(
        self,
        reply: Callable[[str], str] | None = None,
        delay_s: float = 0.0,
        *,
        die_after: int | None = None,
        port: int = 0,
        reply_body: Callable[[dict[str, Any]], str] | None = None,
    ) -> None:
        self.reply = reply or (lambda prompt: f"reply to {prompt}")
        self.reply_body = reply_body
        self.delay_s = delay_s
        self.die_after = die_after
        self.dead = False
        self.answered = 0  # requests answered (any status) since start or restart
        self.force_mode = ""  # when set, every request meets this mode (e.g. "always500")
        # real prompts may contain mode words: never misbehave then
        self.reply_only = reply is not None or reply_body is not None
        self.counts: Counter[str] = Counter()
        #: requests per whole conversation (all messages, or the prompt): unique even where many episodes end on
        #: the same message, such as the environment's format-error feedback
        self.conversations: Counter[str] = Counter()
        self.auth_headers: list[str] = []
        self.healthy = False  # when True every request is answered ``ok`` (a server that recovered)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._closed = threading.Event()  # set once a dead server has stopped listening
        self._handler = self._make_handler()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), self._handler)
        self._httpd.daemon_threads = True
        self.port = int(self._httpd.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def _make_handler(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                return

            def do_POST(self) -> None:  # noqa: N802 - http.server API
                n = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(n) or b"{}")
                outer._serve(self, body)

        return Handler

    def __enter__(self) -> FlakyServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if not self.dead:
            self._httpd.shutdown()
            self._httpd.server_close()

    def die(self) -> None:
        """Stop listening and hang up on every later request (open keep-alive connections included)."""
        with self._lock:
            first = not self.dead
            self.dead = True
        if first:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._closed.set()
        self._closed.wait(10)

    def restart(self) -> None:
        """Listen again on the same port, healthy (``die_after`` no longer applies)."""
        self.die()
        self._closed.clear()
        self.die_after = None
        self.answered = 0
        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self.dead = False
        self._thread.start()

    def _serve(self, h: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        if "messages" in body:
            prompt = str(body["messages"][-1].get("content", ""))
        else:
            prompt = str(body.get("prompt", ""))
        with self._lock:
            dying = self.dead or (self.die_after is not None and self.answered >= self.die_after)
            if not dying:
                self.answered += 1
                self.counts[prompt] += 1
                self.conversations[json.dumps(body.get("messages", body.get("prompt")), sort_keys=True)] += 1
                count = self.counts[prompt]
                self.auth_headers.append(h.headers.get("Authorization") or "")
        if dying:  # a dead server answers nothing: hang up, and stop listening (from another thread)
            if not self.dead:
                threading.Thread(target=self.die, daemon=True).start()
            h.close_connection = True
            with contextlib.suppress(OSError):
                h.connection.shutdown(socket.SHUT_RDWR)
            return
        if self.delay_s:
            time.sleep(self.delay_s)
        mode = next((w for w in prompt.split() if w in MODES), "ok")
        if self.healthy or self.reply_only:
            mode = "ok"
        if self.force_mode:
            mode = self.force_mode
        if mode == "tools400":
            mode = "ok" if not body.get("tools") else mode
        if mode == "r429x2":
            mode = "always429" if count <= 2 else "ok"
        if mode == "r500x2":
            mode = "always500" if count <= 2 else "ok"
        chat = "messages" in body
        if mode == "ok":
            reply = self.reply_body(body) if self.reply_body is not None else self.reply(prompt)
            choice = {"message": {"role": "assistant", "content": reply}} if chat else {"text": reply}
            data = {"choices": [{**choice, "finish_reason": "stop"}], "usage": {"completion_tokens": 3}}
            self._send(h, 200, json.dumps(data).encode())
        elif mode == "always429":
            self._send(h, 429, b'{"error": "rate limited"}', {"Retry-After": "0"})
        elif mode == "always500":
            self._send(h, 500, b'{"error": "internal"}')
        elif mode == "garbage":
            self._send(h, 200, b'{"choices": [{"text": "cut')
        elif mode == "notobj":
            self._send(h, 200, b"[1, 2, 3]")
        elif mode == "nochoices":
            self._send(h, 200, b'{"object": "text_completion"}')
        elif mode == "bad400":
            self._send(h, 400, b'{"error": {"message": "bad request"}}')
        elif mode == "deep":
            self._send(h, 200, b"[" * 100_000)
        elif mode == "tools400":
            self._send(h, 400, VLLM_TOOLS_400)
        elif mode == "slow":
            self._stop.wait(30)
            self._send(h, 200, b"{}")
        elif mode == "hangup":
            h.close_connection = True
            h.connection.shutdown(socket.SHUT_RDWR)
        elif mode == "trickle":
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", "100000")
            h.end_headers()
            try:
                while not self._stop.is_set():
                    h.wfile.write(b" ")
                    h.wfile.flush()
                    time.sleep(0.2)
            except OSError:
                return

    @staticmethod
    def _send(
        h: BaseHTTPRequestHandler, status: int, data: bytes, headers: dict[str, str] | None = None
    ) -> None:
        try:
            h.send_response(status)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                h.send_header(k, v)
            h.end_headers()
            h.wfile.write(data)
        except OSError:
            return


def main(argv: list[str] | None = None) -> None:
    """Serve on 127.0.0.1 for ``--seconds`` (default 300), printing the base URL first."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--mode", default="", choices=["", *MODES], help="every request meets this mode")
    parser.add_argument("--die-after", type=int, default=None, metavar="N", help="die after N answers")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0, metavar="S", help="answer each request after S s")
    parser.add_argument("--seconds", type=float, default=300.0, help="stop after this long (default 300)")
    args = parser.parse_args(argv)
    reply = None
    if not args.mode:  # a fixed, well-formed ReAct reply: never a mode word
        reply = lambda prompt: 'Thought: t\nAction: finish\nAction Input: {"answer": "ok"}'  # noqa: E731
    with FlakyServer(reply, args.delay, die_after=args.die_after, port=args.port) as srv:
        srv.force_mode = args.mode
        print(srv.url, flush=True)
        srv._stop.wait(args.seconds)


if __name__ == "__main__":
    main()
