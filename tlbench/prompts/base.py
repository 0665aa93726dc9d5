"""Shared pieces of the prompt formats: the message shape, the format record, history trimming.

Messages are plain mappings, OpenAI-style: ``{"role": ..., "content": ...}`` with roles ``system``, ``user``,
``assistant`` and ``tool`` (``function``, ``observation``, ``ipython`` and ``output`` are accepted as
aliases of ``tool``). An assistant message may carry ``tool_calls``: :class:`~tlbench.types.ToolCall`
objects or ``{"name", "arguments"}`` / OpenAI ``{"function": {"name", "arguments"}}`` mappings; its
``content`` is then the thought that precedes the call. Each format prints those calls in its own surface
syntax (:attr:`PromptFormat.call`), which is exactly what its paired parser reads back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tlbench import jsonio
from tlbench.types import ToolCall, ToolDoc

__all__ = [
    "Msg",
    "PromptFormat",
    "TRIM_MARKER",
    "normalise_messages",
    "to_tool_call",
    "json_args",
    "openai_tool",
    "trim_to_budget",
    "first_user_query",
    "py_literal",
    "py_call",
]

#: What a trimmed observation is replaced by (keeps the turn structure valid for every format).
TRIM_MARKER = "[observation removed to fit the context window]"

_ROLE_ALIASES = {
    "system": "system",
    "user": "user",
    "human": "user",
    "assistant": "assistant",
    "gpt": "assistant",
    "tool": "tool",
    "function": "tool",
    "observation": "tool",
    "ipython": "tool",
    "output": "tool",
}


@dataclass(frozen=True, slots=True)
class Msg:
    """One normalised message (``calls`` only on assistant turns)."""

    role: str
    content: str = ""
    calls: tuple[ToolCall, ...] = ()
    tool_call_id: str = ""


@dataclass(frozen=True, slots=True)
class PromptFormat:
    """A prompt template family paired with the parser that reads its model outputs.

    ``render(messages, tools, add_generation_prompt)`` returns text (or chat messages for ``openai``);
    ``call(call, thought)`` is how the model is expected to print one call; ``stop`` are stop strings to
    generate with; ``eos`` are end-of-turn texts that a model may print and that are not part of the call.
    """

    name: str
    parser: str
    family: str
    render: Callable[[Sequence[Msg], Sequence[ToolDoc], bool], str | list[dict[str, Any]]]
    call: Callable[[ToolCall, str], str]
    stop: tuple[str, ...] = ()
    eos: tuple[str, ...] = ()
    chat: bool = False
    join_calls: str = "\n"
    #: the tools go beside the prompt as a native ``tools=`` list (they are not embedded in the text)
    native_tools: bool = False
    #: this format specialised to a tokenizer (a format whose rendering, call syntax and parser come from
    #: the tokenizer, e.g. its chat template); None: the format does not depend on one
    for_tokenizer: Callable[[Any], PromptFormat] | None = None


def to_tool_call(value: Any) -> ToolCall:
    """A ToolCall from a ToolCall, ``{"name", "arguments"}`` or OpenAI ``{"function": {...}}`` mapping."""
    if isinstance(value, ToolCall):
        return value
    if isinstance(value, Mapping):
        fn = value.get("function")
        return ToolCall.from_dict(fn if isinstance(fn, Mapping) else value)
    raise TypeError(f"not a tool call: {type(value).__name__}")


def normalise_messages(messages: Sequence[Mapping[str, Any]]) -> list[Msg]:
    """Validate and normalise messages (unknown roles raise ValueError with the index)."""
    out: list[Msg] = []
    for i, m in enumerate(messages):
        if not isinstance(m, Mapping):
            raise ValueError(f"message {i} is not a mapping")
        role = _ROLE_ALIASES.get(str(m.get("role", m.get("from", ""))).lower())
        if role is None:
            raise ValueError(f"message {i}: unknown role {m.get('role')!r}")
        content = m.get("content", m.get("value"))
        calls = tuple(to_tool_call(c) for c in (m.get("tool_calls") or ())) if role == "assistant" else ()
        out.append(Msg(role, "" if content is None else str(content), calls, str(m.get("tool_call_id", ""))))
    return out


def json_args(call: ToolCall) -> str:
    """The call's arguments as one-line JSON (non-ASCII kept)."""
    return jsonio.dumps(dict(call.arguments))


def openai_tool(doc: ToolDoc) -> dict[str, Any]:
    """OpenAI ``tools`` entry for a ToolDoc."""
    return {
        "type": "function",
        "function": {"name": doc.name, "description": doc.description, "parameters": dict(doc.parameters)},
    }


def first_user_query(msgs: Sequence[Msg]) -> str:
    """The first user message (the task), or ""."""
    return next((m.content for m in msgs if m.role == "user"), "")


def trim_to_budget(
    msgs: Sequence[Msg],
    render: Callable[[Sequence[Msg]], str],
    budget: int,
    count: Callable[[str], int],
) -> list[Msg]:
    """Replace the oldest observations by :data:`TRIM_MARKER` until the rendering fits ``budget``.

    Why oldest observations first: they are the longest and least relevant part of a multi-turn history
    (ToolEyes' inference drops the oldest ``Function`` blocks the same way); the task, the calls and the
    latest observation stay. When nothing is left to trim the history is returned as it stands and the
    backend cuts the prompt from the left.
    """
    cur = list(msgs)
    tool_idx = [i for i, m in enumerate(cur) if m.role == "tool"]
    for i in tool_idx:
        if count(render(cur)) <= budget:
            break
        cur[i] = Msg("tool", TRIM_MARKER, (), cur[i].tool_call_id)
    return cur


def py_literal(value: Any) -> str:
    """A Python literal for a JSON value (strings double-quoted JSON-style, non-ASCII kept)."""
    if isinstance(value, bool):
        return "True" if value else "False"
    if value is None:
        return "None"
    if isinstance(value, str):
        return jsonio.dumps(value)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{py_literal(str(k))}: {py_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(py_literal(v) for v in value) + "]"
    return jsonio.dumps(str(value))


def py_call(call: ToolCall) -> str:
    """``name(k="v", n=3)``: keyword call syntax read by the ``python`` parser."""
    return f"{call.name}(" + ", ".join(f"{k}={py_literal(v)}" for k, v in call.arguments.items()) + ")"
