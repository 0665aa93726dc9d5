"""The one small interface every inference backend implements, and the values it trades in.

A backend turns a batch of prompts into a batch of :class:`Generation` results, in the same order::

    backend.generate(prompts, GenConfig(max_new_tokens=256, stop=("Observation:",)), tools=None)

A prompt is either a rendered string (most of the paper's Appendix B templates are plain text) or a list of
chat messages (``{"role": ..., "content": ...}``) for backends/servers that apply a chat template
themselves. ``tools`` (optional, aligned with ``prompts``) carries OpenAI-style tool lists for models that
take tools natively (the ``openai`` prompt format).

Greedy decoding is the default because the paper evaluates greedily. Backends never raise for one bad
item: a failed item comes back as a ``Generation`` with ``finish_reason="error"`` and ``error`` set, so a
batch job always completes and the failure is recorded per item.

``finish_reason="error"`` always means an *infrastructure* failure (an HTTP error, a lost connection, a
time-out, an exception inside the backend): the model produced nothing. It is never a model output, so such
an item is never cached, never parsed and never scored; the runner counts it, keeps it out of the scores,
marks the run ``incomplete`` and asks for it again on the next run (see :mod:`tlbench.runner`).
``close()`` releases what a backend holds (an engine's worker processes, HTTP connections, cached
keys/values). Whoever runs a backend calls it in a ``finally`` (:func:`close_backend`): a vLLM engine left
running keeps its EngineCore process alive, and the interpreter then hangs at exit joining it.

A backend *declares* what its callers need to know about it (:meth:`Backend.info`: tokenizer, context
length, episode schedule, preferred chunk, ...) and what it counted while it ran (:meth:`Backend.stats`),
so that the runner, the stream and ``tlbench collect`` never probe it for optional attributes.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, runtime_checkable

from tlbench.types import canonical_json

__all__ = [
    "Prompt",
    "ToolList",
    "GenConfig",
    "Generation",
    "Backend",
    "BackendInfo",
    "FINISH_REASONS",
    "truncate_at_stop",
    "prompt_key_text",
    "close_backend",
]

log = logging.getLogger(__name__)

#: A rendered text prompt, or chat messages for a backend that applies the chat template itself.
Prompt = str | Sequence[Mapping[str, Any]]
#: OpenAI-style ``tools`` list (``[{"type": "function", "function": {...}}]``) for one prompt, or None.
ToolList = Sequence[Mapping[str, Any]] | None

#: ``stop``: EOS or a stop string; ``length``: hit ``max_new_tokens``; ``error``: the item failed for an
#: infrastructure reason (no model output at all).
FINISH_REASONS = ("stop", "length", "error")


@dataclass(frozen=True, slots=True)
class GenConfig:
    """Sampling parameters, part of the generation cache key.

    ``temperature == 0`` means greedy (the default, as in the paper); ``top_k == 0`` disables top-k.
    ``stop`` strings end a generation; the returned text never contains the stop string itself.
    ``seed`` only matters when sampling.
    """

    max_new_tokens: int = 512
    temperature: float = 0.0
    top_p: float = 1.0
    top_k: int = 0
    stop: tuple[str, ...] = ()
    seed: int = 0

    def __post_init__(self) -> None:
        if self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be >= 1, got {self.max_new_tokens}")
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if isinstance(self.stop, str):  # a common slip: stop="x" would become ("x",) by hand
            object.__setattr__(self, "stop", (self.stop,))
        object.__setattr__(self, "stop", tuple(s for s in self.stop if s))

    @property
    def greedy(self) -> bool:
        """True when decoding is deterministic argmax."""
        return self.temperature == 0.0

    def key(self) -> str:
        """A stable text form used in cache keys (greedy configs ignore top_p/top_k/seed)."""
        d = asdict(self)
        d["stop"] = list(self.stop)
        if self.greedy:
            d.update(top_p=1.0, top_k=0, seed=0)
        return canonical_json(d)


@dataclass(frozen=True, slots=True)
class Generation:
    """One generated continuation.

    ``text`` is the decoded continuation, cut before the first stop string. ``token_ids`` are the generated
    ids (empty when a server does not return them). For native tool calls through the ``openai`` backend,
    ``text`` is the assistant message as JSON (what the ``openai`` parser reads).
    """

    text: str
    token_ids: tuple[int, ...] = ()
    n_prompt_tokens: int = 0
    n_new_tokens: int = 0
    finish_reason: str = "stop"
    error: str = ""
    cached: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """False when the item failed for an infrastructure reason (no model output: nothing to score)."""
        return self.finish_reason != "error"

    @property
    def hint(self) -> str:
        """For a failed item, what the user can do about it (e.g. a server without a tool-call parser)."""
        return str(self.extra.get("hint") or "")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "text": self.text,
            "token_ids": list(self.token_ids),
            "n_prompt_tokens": self.n_prompt_tokens,
            "n_new_tokens": self.n_new_tokens,
            "finish_reason": self.finish_reason,
            "error": self.error,
            "cached": self.cached,
            "extra": dict(self.extra),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Generation:
        """Inverse of :meth:`to_dict`."""
        return cls(
            text=str(data.get("text", "")),
            token_ids=tuple(int(t) for t in data.get("token_ids", ())),
            n_prompt_tokens=int(data.get("n_prompt_tokens", 0)),
            n_new_tokens=int(data.get("n_new_tokens", 0)),
            finish_reason=str(data.get("finish_reason", "stop")),
            error=str(data.get("error", "")),
            cached=bool(data.get("cached", False)),
            extra=dict(data.get("extra") or {}),
        )

    @classmethod
    def failed(cls, message: str, hint: str = "") -> Generation:
        """A per-item infrastructure-failure record; ``hint`` says what would fix it, when known."""
        return cls(text="", finish_reason="error", error=message, extra={"hint": hint} if hint else {})


#: ``BackendInfo.episode_schedule`` values (see :mod:`tlbench.episode_scheduler`).
EPISODE_SCHEDULES = ("lockstep", "independent")


@dataclass(frozen=True, slots=True)
class BackendInfo:
    """What a backend declares about itself (:meth:`Backend.info`); the runner reads nothing else.

    ``tokenizer``: the local tokenizer prompts are rendered and trimmed with (None: none, e.g. a server).
    ``max_context``: prompt + new tokens must fit in it (0: unknown, prompts are not trimmed).
    ``model_path``: the local model folder (its files pick the ``auto`` prompt format), else None.
    ``dtype``: what the weights run in (None: not known here, e.g. a server).
    ``episode_schedule``: how episodes share it by default (``lockstep`` rounds or ``independent``).
    ``episode_wave``: episodes a lockstep round steps together (None: all of them).
    ``preferred_chunk``: prompts per ``generate`` call it wants at least (0: no preference).
    ``thread_safe``: ``generate`` may run in several threads at once.
    """

    name: str
    identity: str
    tokenizer: Any = None
    max_context: int = 0
    model_path: str | None = None
    dtype: str | None = None
    episode_schedule: str = "lockstep"
    episode_wave: int | None = None
    preferred_chunk: int = 0
    thread_safe: bool = False

    def __post_init__(self) -> None:
        if self.episode_schedule not in EPISODE_SCHEDULES:
            raise ValueError(
                f"episode_schedule must be one of {EPISODE_SCHEDULES}, got {self.episode_schedule!r}"
            )


@runtime_checkable
class Backend(Protocol):
    """What every backend offers.

    ``name`` is the backend kind (``"transformers"``, ``"vllm"``, ``"openai"``, ``"mock"``);
    ``identity`` names the model precisely enough for the generation cache (path + weights hash, or the
    server URL + model name).
    """

    name: str

    @property
    def identity(self) -> str:
        """Model identity for cache keys."""
        ...

    def generate(
        self,
        prompts: Sequence[Prompt],
        config: GenConfig,
        tools: Sequence[ToolList] | None = None,
    ) -> list[Generation]:
        """One ``Generation`` per prompt, in order; never raises for a single bad item."""
        ...

    def close(self) -> None:
        """Release engine processes, connections and caches now. Idempotent; a later ``generate`` may
        start them again."""
        ...

    def start(self) -> None:
        """Start the engine now (vLLM: 20-50 s on a CPU) rather than inside the first ``generate``, so that
        callers can time it apart; a backend without an engine to start does nothing."""
        ...

    def info(self) -> BackendInfo:
        """What the backend declares about itself (may start the engine: vLLM's tokenizer comes from it)."""
        ...

    def stats(self) -> Mapping[str, Any]:
        """What the backend counted so far, JSON-ready (the transformers backend: ``prefix_reuse``); empty
        when it counts nothing."""
        ...


def close_backend(backend: object) -> None:
    """``backend.close()`` for code that must not fail while cleaning up: a backend without ``close``
    (a third-party or test double) is left alone, and an error in ``close`` is logged, not raised, so it
    never hides the error that ended a run."""
    close = getattr(backend, "close", None)
    if not callable(close):
        return
    try:
        close()
    except Exception as exc:  # noqa: BLE001 - cleanup must not mask the run's own outcome
        log.warning(
            "closing the %s backend failed: %s: %s", getattr(backend, "name", "?"), type(exc).__name__, exc
        )


def truncate_at_stop(text: str, stop: Sequence[str]) -> tuple[str, bool]:
    """Cut ``text`` before the earliest stop string; returns (text, whether a stop string was found)."""
    cut = -1
    for s in stop:
        i = text.find(s)
        if i != -1 and (cut == -1 or i < cut):
            cut = i
    return (text, False) if cut == -1 else (text[:cut], True)


def prompt_key_text(prompt: Prompt, tools: ToolList = None) -> str:
    """The exact text that identifies a prompt (and its native tools) in the cache."""
    if isinstance(prompt, str):
        body: Any = prompt
    else:
        body = [dict(m) for m in prompt]
    if tools:
        return canonical_json({"prompt": body, "tools": [dict(t) for t in tools]})
    return body if isinstance(body, str) else canonical_json(body)


def sha256_text(text: str) -> str:
    """Hex SHA-256 of a text (UTF-8)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
