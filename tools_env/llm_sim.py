"""An LLM-backed tool simulator over any OpenAI-compatible chat-completions endpoint (like StableToolBench's
virtual API server), with every answer cached in the replay store so that a second run sends no request.

:class:`ChatEndpoint` is the small HTTP client shared with the simulated user (:mod:`tools_env.user`). The API
key is read from the environment variable the endpoint *names* (``api_key_env``), at call time; it is sent in
the ``Authorization`` header only, and never appears in cache keys, error texts or logs (errors are scrubbed).

Failures: timeouts, connection errors, HTTP 429/5xx and malformed completions raise ``ToolUnstable`` (the
classifier's tool instability); HTTP 401/403/404 and a missing key variable are configuration mistakes and
raise ``UsageError`` so that the run stops with one clear line instead of feeding the model noise.

Cache key: the tool name and canonical arguments, under the namespace ``llm_sim/<model>/<digest>`` where the
digest covers the documentation and (by default) the earlier responses of the episode, since the prompt
includes them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tlbench import jsonio
from tlbench.errors import UsageError
from tlbench.types import ToolCall, ToolDoc, canonical_json
from tools_env.base import CallContext, ToolUnstable
from tools_env.replay import ReplayStore

__all__ = ["ChatEndpoint", "LLMSimulatedExecutor", "simulator_messages", "parse_completion_json"]

MAX_HISTORY = 6  # earlier (call, response) pairs shown to the simulator
MAX_RESPONSE_CHARS = 4000  # of each earlier response in the prompt


@dataclass(frozen=True, slots=True)
class ChatEndpoint:
    """An OpenAI-compatible ``/chat/completions`` endpoint.

    ``base_url`` is the API root (``http://127.0.0.1:8000/v1``); ``api_key_env`` names the environment
    variable that holds the key (None: send no key, e.g. a local vLLM server).
    """

    base_url: str
    model: str
    api_key_env: str | None = None
    timeout_s: float = 60.0
    temperature: float = 0.0
    max_tokens: int = 1024

    def complete(self, messages: Sequence[Mapping[str, str]]) -> str:
        """The assistant text for ``messages``; ToolUnstable / UsageError as described in the module doc."""
        import requests  # imported here: the offline executors need no HTTP stack

        key = self._key()
        headers = {"Content-Type": "application/json"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        body = {
            "model": self.model,
            "messages": [dict(m) for m in messages],
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
        }
        url = self.base_url.rstrip("/") + "/chat/completions"
        try:
            resp = requests.post(
                url, json=body, headers=headers, timeout=self.timeout_s, allow_redirects=False
            )
        except requests.Timeout:
            raise ToolUnstable(
                f"LLM endpoint {self.base_url}: Read timed out. (timeout={self.timeout_s})"
            ) from None
        except requests.RequestException as exc:
            raise ToolUnstable(
                _scrub(f"Connection error: LLM endpoint {self.base_url}: {exc}", key)
            ) from None
        if resp.status_code in (401, 403, 404):
            raise UsageError(
                f"LLM endpoint {url} answered HTTP {resp.status_code}: check base_url, model and "
                f"the key variable {self.api_key_env or '(none)'}"
            )
        if resp.status_code == 429 or resp.status_code >= 500:
            raise ToolUnstable(
                f"{resp.status_code} Server Error: {resp.reason} (LLM endpoint, service unavailable)"
            )
        if resp.status_code >= 300:
            raise ToolUnstable(f"Tool temporarily unavailable: LLM endpoint answered HTTP {resp.status_code}")
        try:
            content = resp.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise ToolUnstable(
                "Tool temporarily unavailable: malformed chat completion from LLM endpoint"
            ) from None
        if not isinstance(content, str):
            raise ToolUnstable("Tool temporarily unavailable: chat completion without text content")
        return content

    def _key(self) -> str | None:
        if not self.api_key_env:
            return None
        key = os.environ.get(self.api_key_env)
        if not key:
            raise UsageError(
                f"environment variable {self.api_key_env} is not set (API key for {self.base_url})"
            )
        return key


def _scrub(text: str, secret: str | None) -> str:
    return text.replace(secret, "***") if secret else text


_FENCE = re.compile(r"^\s*```[A-Za-z0-9_-]*\s*\n?(.*?)\n?```\s*$", re.DOTALL)


def parse_completion_json(text: str) -> Any:
    """The JSON value in a completion (code fences stripped); the plain text when it is not JSON."""
    m = _FENCE.match(text)
    body = (m.group(1) if m else text).strip()
    if body[:1] in "{[":
        try:
            return json.loads(body)
        except (ValueError, RecursionError):
            pass
    return body


def simulator_messages(
    call: ToolCall, doc: ToolDoc, history: Sequence[tuple[ToolCall, Any]] = ()
) -> list[dict[str, str]]:
    """The chat prompt: the tool's documentation, earlier calls with their responses, then this call."""
    system = (
        "You are simulating a real-world API for testing an AI agent. Given the API documentation and a "
        "call, reply with ONLY the response body the real API would return: a JSON value, realistic and "
        "concise, consistent with the documentation, the arguments and the earlier responses. If the "
        "arguments are invalid, return the JSON error the API would return. Never add explanations.\n\n"
        f"API documentation:\n{jsonio.dumps(doc.to_dict())}"
    )
    lines = []
    for past, response in list(history)[-MAX_HISTORY:]:
        shown = response if isinstance(response, str) else jsonio.dumps(response, default=str)
        lines.append(
            f"Call: {past.name}({canonical_json(dict(past.arguments))})\nResponse: {shown[:MAX_RESPONSE_CHARS]}"
        )
    user = ""
    if lines:
        user += "Earlier calls in this session:\n" + "\n\n".join(lines) + "\n\n"
    user += f"Call: {call.name}({canonical_json(dict(call.arguments))})\nResponse:"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


class LLMSimulatedExecutor:
    """Executor: asks ``endpoint`` to play the tool, caching every answer in ``store`` (if given)."""

    name = "llm_sim"

    def __init__(
        self, endpoint: ChatEndpoint, store: ReplayStore | None = None, use_history: bool = True
    ) -> None:
        self.endpoint = endpoint
        self.store = store
        self.use_history = use_history

    def execute(self, call: ToolCall, doc: ToolDoc, ctx: CallContext) -> Any:
        """The simulated response (cached)."""
        history = [(c, fb.payload if fb.payload is not None else fb.text) for c, fb in ctx.history if fb.ok]
        history = history[-MAX_HISTORY:] if self.use_history else []
        namespace = self.namespace(doc, history)
        args = dict(call.arguments)
        if self.store is not None:
            hit = self.store.get(call.name, args, namespace)
            if hit is not None:
                return hit.unwrap()
        result = parse_completion_json(self.endpoint.complete(simulator_messages(call, doc, history)))
        if self.store is not None:
            self.store.put(call.name, args, "ok", result, namespace)
        return result

    def namespace(self, doc: ToolDoc, history: Sequence[tuple[ToolCall, Any]]) -> str:
        """The cache namespace: model plus a digest of the documentation and the history (no secrets)."""
        context = canonical_json([doc.to_dict(), [[c.name, dict(c.arguments), r] for c, r in history]])
        digest = hashlib.sha256(context.encode("utf-8")).hexdigest()[:16]
        return f"llm_sim/{self.endpoint.model}/{digest}"
