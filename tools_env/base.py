"""The contract between tools_env's environment core and its executors.

An *executor* turns a validated ``ToolCall`` into a JSON-ready result, or raises one of the two exceptions
below. It never builds a ``Feedback`` itself: the environment does that, with the category decided by the
shared classifier (``tlbench.classify``), so every error category has one source of truth.

::

    ToolExecError              base class
    ├── ToolCallFailed         the tool rejected or failed on the call (bad value, exception inside the tool)
    │                          -> ErrorKind.TOOL_CALL_FAILURE
    └── ToolUnstable           timeout, connection error, HTTP 5xx, truncated / garbled payload, not recorded
                               -> ErrorKind.TOOL_INSTABILITY

The three ways a call can end are named by :data:`Status` (``ok`` / ``failed`` / ``unstable``); components
that carry an outcome as data instead of an exception (the sandbox's answers, the replay store's rows) use
these names and :func:`error_for` to turn one back into the exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from tlbench.types import Feedback, ToolCall, ToolDoc

__all__ = [
    "CallContext",
    "CONTEXT_PARAMS",
    "Executor",
    "ToolExecError",
    "ToolCallFailed",
    "ToolUnstable",
    "Status",
    "STATUSES",
    "error_for",
    "failure_text",
]


class ToolExecError(Exception):
    """Base class of the errors an executor may raise; ``str(exc)`` is the observation text."""


class ToolCallFailed(ToolExecError):
    """The tool failed on this call (ToolEyes shows ``str(e)`` of the exception as the observation)."""


class ToolUnstable(ToolExecError):
    """The tool could not be reached or answered garbage: the paper's 'tool instability'."""


#: How one call ended: ``ok`` (a result), ``failed`` (:class:`ToolCallFailed`) or ``unstable``
#: (:class:`ToolUnstable`).
Status = Literal["ok", "failed", "unstable"]
STATUSES: tuple[Status, ...] = ("ok", "failed", "unstable")


def error_for(status: Status, text: str) -> ToolExecError:
    """The exception a non-``ok`` status stands for, with ``text`` as its observation text."""
    if status == "failed":
        return ToolCallFailed(text)
    if status == "unstable":
        return ToolUnstable(text)
    raise ValueError(f"status {status!r} is not an error")


#: Keyword-only parameters of a tool function that are filled from the :class:`CallContext` (the episode's
#: directory, the run seed, the item's pinned date), never from the model.
CONTEXT_PARAMS = frozenset({"workdir", "seed", "today"})


@dataclass(frozen=True, slots=True)
class CallContext:
    """What an executor may know about the call besides the call itself.

    ``workdir`` is the episode's private directory (the only place file tools may touch); ``seed`` makes
    simulators and fault injection reproducible; ``history`` holds the earlier (call, feedback) pairs of the
    episode; ``item`` is the benchmark item's metadata (scripted user answers live there).
    """

    workdir: Path
    seed: int = 0
    history: tuple[tuple[ToolCall, Feedback], ...] = ()
    item: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class Executor(Protocol):
    """Runs one call of a documented tool and returns a JSON-ready value, or raises ``ToolExecError``."""

    name: str

    def execute(self, call: ToolCall, doc: ToolDoc, ctx: CallContext) -> Any:
        """Run ``call`` (already validated against ``doc``)."""
        ...


def failure_text(exc: BaseException, name: str | None = None) -> str:
    """The observation text of an exception raised inside a tool: ``str(e)`` as ToolEyes shows it when the
    shared classifier reads it as an error (or when it is one of the executor exceptions above), else
    ``"<name>: <message>"`` so that it still reads as a tool-call failure. ``name`` defaults to the type's."""
    text = str(exc)
    name = name or type(exc).__name__
    if name in ("ToolCallFailed", "ToolUnstable") and text:
        return text
    from tlbench.classify import classify_feedback
    from tlbench.types import ErrorKind

    if text and classify_feedback(text) is not ErrorKind.CORRECT:
        return text
    return f"{name}: {text}" if text else name
