"""A scripted backend for tests: no model, deterministic replies, and counters to assert on.

Replies come from (first match wins) a callable ``reply(prompt) -> str``, a mapping from prompt text to
reply, or a list consumed in order (cycled when exhausted); otherwise ``default``. ``fail_after`` makes the
N-th ``generate`` call raise, which is how tests simulate a run killed in the middle of a batch job.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from tlbench.backends.base import (
    BackendInfo,
    GenConfig,
    Generation,
    Prompt,
    ToolList,
    prompt_key_text,
    truncate_at_stop,
)
from tlbench.backends.options import BackendOptions

__all__ = ["MockBackend", "SimulatedKill", "create"]


class SimulatedKill(RuntimeError):
    """Raised by :class:`MockBackend` when ``fail_after`` is reached (stands in for a killed process)."""


class MockBackend:
    """Scripted replies with call counters (``calls``, ``prompts_seen``, ``closed``)."""

    name = "mock"
    #: what :meth:`info` declares (test doubles override them to stand in for other backends)
    episode_schedule = "lockstep"
    preferred_chunk = 0
    thread_safe = False

    def __init__(
        self,
        replies: Sequence[str] | Mapping[str, str] | Callable[[Prompt], str] | None = None,
        *,
        default: str = "",
        model: str = "mock-model",
        fail_after: int | None = None,
    ) -> None:
        self._replies = replies
        self._default = default
        self._model = model
        self._fail_after = fail_after
        self._cursor = 0
        self.calls = 0
        self.closed = 0
        self.prompts_seen: list[Prompt] = []

    @property
    def identity(self) -> str:
        """The scripted model's name."""
        return f"mock:{self._model}"

    def _reply(self, prompt: Prompt) -> str:
        r = self._replies
        if callable(r):
            return r(prompt)
        if isinstance(r, Mapping):
            return r.get(prompt_key_text(prompt), self._default)
        if r:
            text = r[self._cursor % len(r)]
            self._cursor += 1
            return text
        return self._default

    def generate(
        self,
        prompts: Sequence[Prompt],
        config: GenConfig,
        tools: Sequence[ToolList] | None = None,
    ) -> list[Generation]:
        """Scripted replies, cut at stop strings and at ``max_new_tokens`` whitespace-separated words."""
        self.calls += 1
        if self._fail_after is not None and self.calls > self._fail_after:
            raise SimulatedKill(f"mock backend killed on generate call {self.calls}")
        out: list[Generation] = []
        for p in prompts:
            self.prompts_seen.append(p)
            text, _ = truncate_at_stop(self._reply(p), config.stop)
            words = text.split(" ")
            reason = "stop"
            if len(words) > config.max_new_tokens:
                text, reason = " ".join(words[: config.max_new_tokens]), "length"
            n_prompt = (
                len(p.split()) if isinstance(p, str) else sum(len(str(m.get("content", ""))) for m in p)
            )
            out.append(
                Generation(text=text, n_prompt_tokens=n_prompt, n_new_tokens=len(words), finish_reason=reason)
            )
        return out

    def close(self) -> None:
        """Nothing to release; counted so that tests can check who closes the backend."""
        self.closed += 1

    def start(self) -> None:
        """No engine to start."""

    def info(self) -> BackendInfo:
        """A scripted model: no tokenizer, no context limit, the class's declared scheduling."""
        return BackendInfo(
            name=self.name,
            identity=self.identity,
            episode_schedule=self.episode_schedule,
            preferred_chunk=self.preferred_chunk,
            thread_safe=self.thread_safe,
        )

    def stats(self) -> Mapping[str, Any]:
        """Nothing counted."""
        return {}


def create(model: str | Path, options: BackendOptions) -> MockBackend:
    """The registry's factory: scripted default replies under the name ``model``."""
    return MockBackend(model=str(model))
