"""The ``openai`` backend: any OpenAI-compatible HTTP server (vLLM serve, TGI, SGLang, llama.cpp server,
hosted APIs) through ``requests``.

* Text prompts go to ``/v1/completions``; chat prompts go to ``/v1/chat/completions`` (with ``tools=`` for
  models that take tools natively; a reply with ``tool_calls`` comes back as the assistant message in JSON,
  which the ``openai`` parser reads).
* Requests run concurrently in a thread pool (``concurrency``), each with a timeout.
* 429, 5xx, timeouts and connection errors are retried with exponential backoff (``Retry-After`` honoured,
  capped); other 4xx are not retried. An item that still fails becomes a per-item error record
  (``finish_reason="error"``: an infrastructure failure, never scored), never an exception, so one flaky
  request cannot sink a benchmark run.
* Once a request has used up its retries on connection errors, the server is taken to be down: later
  requests get one attempt each until one succeeds, so a dead server fails the rest of a run in seconds
  instead of minutes of backoff (a re-run asks for those items again).
* A 400 to a request that carried ``tools=`` is what vLLM answers when it was started without a tool-call
  parser; that failure carries a hint (:data:`TOOLS_400_HINT`) which ``score``/``collect`` print once.
* The API key is read from the environment variable named by ``api_key_env`` at request time and only
  ever placed in the ``Authorization`` header: it is not stored on the object, logged, or put in errors.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

from tlbench import jsonio
from tlbench.backends.base import BackendInfo, GenConfig, Generation, Prompt, ToolList, truncate_at_stop
from tlbench.backends.options import BackendOptions
from tlbench.errors import UsageError

__all__ = ["OpenAIBackend", "RETRY_STATUS", "TOOLS_400_HINT", "create"]

log = logging.getLogger(__name__)

#: HTTP statuses that are worth retrying.
RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
_MAX_API_STOPS = 4  # the OpenAI API accepts at most four stop strings; the rest are applied locally
_MAX_RESPONSE_BYTES = 64 << 20  # a larger response body is an error, not a memory spike
#: What to do when the server answers 400 to requests that carry ``tools=``.
TOOLS_400_HINT = (
    "the server rejected a request with tools= (HTTP 400): start it with a tool-call parser "
    "(vLLM: --enable-auto-tool-choice --tool-call-parser hermes) or pick a text --prompt-format "
    "(e.g. qwen25 or toolllama-react)"
)


class _Retryable(Exception):
    """A failure worth another attempt (status, timeout, connection)."""

    def __init__(self, message: str, retry_after: float | None = None, *, connection: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.connection = connection


class _Refused(ValueError):
    """An HTTP error status that another attempt would not change (4xx other than 408/409/425/429)."""

    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(f"HTTP {status}: {_error_text(body)}")
        self.status = status


def _error_text(body: bytes) -> str:
    """The server's error message (``{"message"}`` or ``{"error": {"message"}}``), else the body's start."""
    try:
        data = jsonio.parse(body)
    except ValueError:
        data = None
    if isinstance(data, dict):
        inner = data.get("error")
        message = inner.get("message") if isinstance(inner, dict) else data.get("message") or inner
        if isinstance(message, str) and message.strip():
            return message.strip()[:300]
    return body[:200].decode("utf-8", "replace")


class OpenAIBackend:
    """Concurrent client for an OpenAI-compatible server."""

    name = "openai"
    #: episodes send their next request as soon as their tools have answered (single requests from a
    #: thread pool: :class:`~tlbench.backends.stream.ThreadedStream`); the server batches what arrives
    episode_schedule = "independent"
    #: ``generate`` may run in several threads at once (one ``requests.Session`` per thread)
    thread_safe = True

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key_env: str | None = "OPENAI_API_KEY",
        concurrency: int = 8,
        timeout: float = 120.0,
        max_retries: int = 4,
        backoff: float = 0.5,
        backoff_max: float = 20.0,
    ) -> None:
        if concurrency < 1 or max_retries < 0 or timeout <= 0:
            raise ValueError("concurrency >= 1, max_retries >= 0 and timeout > 0 are required")
        url = base_url.rstrip("/")
        self.base_url = url if url.endswith("/v1") else url + "/v1"
        self.model = model
        self.api_key_env = api_key_env
        self.concurrency = concurrency
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.backoff_max = backoff_max
        self._local = threading.local()
        self._down = threading.Event()  # set when the server stopped answering (see the module docstring)
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()

    def __repr__(self) -> str:  # never shows the key: it is not even an attribute
        return f"OpenAIBackend(base_url={self.base_url!r}, model={self.model!r}, api_key_env={self.api_key_env!r})"

    @property
    def identity(self) -> str:
        """Server URL and model name (a server does not tell us its weights)."""
        return f"{self.base_url}#{self.model}"

    def _session(self) -> requests.Session:
        s = getattr(self._local, "session", None)
        if s is None:
            s = requests.Session()
            self._local.session = s
            with self._sessions_lock:
                self._sessions.append(s)
        return s

    def close(self) -> None:
        """Close every thread's HTTP session (their pooled connections); a later request opens new ones."""
        with self._sessions_lock:
            sessions, self._sessions = self._sessions, []
            self._local = threading.local()
        for s in sessions:
            s.close()

    def start(self) -> None:
        """Nothing to start: the server is already running (sessions open on first use)."""

    def info(self) -> BackendInfo:
        """A server: no local tokenizer, context length or dtype; independent episodes, thread-safe."""
        return BackendInfo(
            name=self.name,
            identity=self.identity,
            episode_schedule=self.episode_schedule,
            thread_safe=self.thread_safe,
        )

    def stats(self) -> Mapping[str, Any]:
        """Nothing counted."""
        return {}

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(self.api_key_env) if self.api_key_env else None
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def _body(self, prompt: Prompt, config: GenConfig, tools: ToolList) -> tuple[str, dict[str, Any]]:
        body: dict[str, Any] = {
            "model": self.model,
            "max_tokens": config.max_new_tokens,
            "temperature": config.temperature,
            "n": 1,
        }
        if not config.greedy:
            body.update(top_p=config.top_p, seed=config.seed)
            if config.top_k:
                body["top_k"] = config.top_k
        if config.stop:
            body["stop"] = list(config.stop[:_MAX_API_STOPS])
        if isinstance(prompt, str):
            body["prompt"] = prompt
            return "/completions", body
        body["messages"] = [dict(m) for m in prompt]
        if tools:
            body["tools"] = [dict(t) for t in tools]
        return "/chat/completions", body

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        # ``timeout`` bounds the whole request: requests' own timeout is per socket read, so a server that
        # trickles a byte now and then would otherwise hold the item (and the run) for ever
        deadline = time.monotonic() + self.timeout
        try:
            resp = self._session().post(
                self.base_url + path,
                data=jsonio.dumps(body).encode("utf-8"),
                headers=self._headers(),
                timeout=self.timeout,
                stream=True,
            )
            with resp:
                raw = bytearray()
                for chunk in _chunks(resp):
                    raw += chunk
                    if time.monotonic() > deadline:
                        raise requests.Timeout()
                    if len(raw) > _MAX_RESPONSE_BYTES:
                        raise ValueError(f"response larger than {_MAX_RESPONSE_BYTES} bytes")
        except requests.Timeout:
            raise _Retryable(f"timeout after {self.timeout:g} s") from None
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            raise _Retryable(f"connection error: {type(exc).__name__}", connection=True) from None
        if resp.status_code in RETRY_STATUS:
            raise _Retryable(f"HTTP {resp.status_code}", _retry_after(resp.headers.get("Retry-After")))
        if resp.status_code >= 400:
            raise _Refused(resp.status_code, bytes(raw[:4096]))
        try:
            data = jsonio.parse(bytes(raw))
        except ValueError:
            raise _Retryable("response is not JSON") from None
        if not isinstance(data, dict):
            raise ValueError("response is not a JSON object")
        return data

    def _one(self, prompt: Prompt, config: GenConfig, tools: ToolList) -> Generation:
        path, body = self._body(prompt, config, tools)
        last = ""
        attempts = 0
        for attempt in range(self.max_retries + 1):
            attempts = attempt + 1
            try:
                gen = _to_generation(self._post(path, body), config)
            except _Retryable as exc:
                last = str(exc)
                if attempt == self.max_retries:
                    if exc.connection:
                        self._down.set()
                    break
                if exc.connection and self._down.is_set():
                    break  # the server is down: one attempt, not the whole backoff ladder
                delay = min(self.backoff_max, self.backoff * 2**attempt)
                if exc.retry_after is not None:
                    delay = min(self.backoff_max, max(delay, exc.retry_after))
                log.info("openai backend: %s; retry %d in %.2f s", last, attempt + 1, delay)
                time.sleep(delay)
            except _Refused as exc:
                hint = TOOLS_400_HINT if exc.status == 400 and "tools" in body else ""
                return Generation.failed(f"bad request or response: {exc}", hint=hint)
            except (ValueError, KeyError, TypeError, IndexError) as exc:
                return Generation.failed(f"bad request or response: {exc}")
            else:
                self._down.clear()
                return gen
        return Generation.failed(f"{last} after {attempts} attempt{'s' if attempts > 1 else ''}")

    def generate(
        self,
        prompts: Sequence[Prompt],
        config: GenConfig,
        tools: Sequence[ToolList] | None = None,
    ) -> list[Generation]:
        """One result per prompt, in order; requests run ``concurrency`` at a time."""
        tool_lists = list(tools) if tools is not None else [None] * len(prompts)
        if len(prompts) <= 1 or self.concurrency == 1:
            return [self._one(p, config, t) for p, t in zip(prompts, tool_lists, strict=True)]
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(prompts))) as pool:
            return list(
                pool.map(lambda pt: self._one(pt[0], config, pt[1]), zip(prompts, tool_lists, strict=True))
            )


def _chunks(resp: requests.Response) -> Iterator[bytes]:
    """The body in pieces as they arrive: ``read1`` returns after ONE socket read (``iter_content`` keeps
    reading until its chunk is full, so a trickling server would never let the deadline be checked)."""
    read1 = getattr(resp.raw, "read1", None)
    if read1 is None:  # urllib3 < 2
        yield from resp.iter_content(1024)
        return
    while True:
        chunk = read1(1 << 16, decode_content=True)
        if not chunk:
            return
        yield chunk


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _to_generation(data: Mapping[str, Any], config: GenConfig) -> Generation:
    """Map a completions or chat-completions response to a Generation."""
    if "error" in data and "choices" not in data:
        raise ValueError(f"server error: {str(data['error'])[:200]}")
    choice = data["choices"][0]
    usage = data.get("usage") or {}
    reason = str(choice.get("finish_reason") or "stop")
    message = choice.get("message")
    if isinstance(message, Mapping):
        if message.get("tool_calls"):
            text = jsonio.dumps(
                {"role": "assistant", "content": message.get("content"), "tool_calls": message["tool_calls"]},
            )
            reason = "stop"
        else:
            text = str(message.get("content") or "")
    else:
        text = str(choice.get("text") or "")
    text, hit = truncate_at_stop(text, config.stop)
    if reason not in ("stop", "length"):
        reason = "stop" if hit or reason in ("tool_calls", "eos", "end_turn") else "length"
    return Generation(
        text=text,
        n_prompt_tokens=int(usage.get("prompt_tokens") or 0),
        n_new_tokens=int(usage.get("completion_tokens") or 0),
        finish_reason=reason,
    )


def create(model: str | Path, options: BackendOptions) -> OpenAIBackend:
    """The registry's factory: ``model`` is the server-side model name; ``options.base_url`` is required."""
    if not options.base_url:
        raise UsageError("--backend openai needs --base-url (e.g. http://127.0.0.1:8000/v1)")
    return OpenAIBackend(
        options.base_url,
        str(model),
        api_key_env=options.api_key_env,
        concurrency=options.concurrency,
        timeout=options.timeout,
    )
