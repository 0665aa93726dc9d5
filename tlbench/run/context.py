"""What every benchmark of one run shares (:class:`RunContext`), and rendering a prompt with it."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from tlbench.backends import Backend
from tlbench.run.config import RunConfig

__all__ = ["RunContext", "no_failures", "render"]


def no_failures() -> dict[str, Any]:
    """The ``infra_failures`` record of a run with no failure yet."""
    return {"count": 0, "n_items": 0, "first_error": None, "hint": None, "benchmarks": {}}


@dataclass(slots=True)
class RunContext:
    """The working state of one run: the generating backend (through the cache), how prompts are rendered,
    and the counters that the manifest reports (mutable: every stage adds to them)."""

    cfg: RunConfig
    backend: Backend
    tokenizer: Any
    budget: int | None
    formats: dict[str, str]
    stats: dict[str, int] = field(default_factory=lambda: {"tokens": 0, "new": 0, "hits": 0, "new_tokens": 0})
    log: TextIO = sys.stderr
    checkpoint: Callable[[], None] | None = None
    #: Items whose generation failed for infrastructure reasons (the manifest's ``infra_failures``).
    infra: dict[str, Any] = field(default_factory=no_failures)
    #: prompts per generate call (and per cache write): see :func:`tlbench.run.single_shot.generate_chunk`
    chunk: int = 8


def render(ctx: RunContext, fmt: str, messages: Sequence[Mapping[str, Any]], tools: Sequence[Any]) -> Any:
    """One prompt in format ``fmt``, trimmed to the run's token budget with its tokenizer."""
    from tlbench.prompts import render as render_prompt

    return render_prompt(fmt, messages, tools, tokenizer=ctx.tokenizer, budget=ctx.budget)
