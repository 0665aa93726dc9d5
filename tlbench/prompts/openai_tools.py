"""OpenAI tools format (paper Appendix B: GPT-3.5/GPT-4 function calling), parser ``openai``.

Renders chat messages, not text: the tools travel natively (``tools=`` on the request, see
:func:`openai_tools`), an assistant call is ``{"role": "assistant", "content": <thought or None>,
"tool_calls": [{"id", "type": "function", "function": {"name", "arguments": <JSON string>}}]}`` and each
result is a ``{"role": "tool", "tool_call_id", "content"}`` message. The model's reply, as returned by
the ``openai`` backend, is that assistant message serialised as JSON, which the ``openai`` parser reads.
The messages are the conversation's own (no default system message): on BFCL, ``messages=`` and ``tools=``
are byte-identical to BFCL's ``OpenAIHandler`` (tests/prompts/test_prompt_parity.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tlbench import jsonio
from tlbench.prompts.base import Msg, PromptFormat, json_args, openai_tool
from tlbench.types import ToolCall, ToolDoc

__all__ = ["OPENAI_TOOLS", "openai_tools", "assistant_message"]


def openai_tools(tools: Sequence[ToolDoc]) -> list[dict[str, Any]]:
    """The ``tools=`` list for a request."""
    return [openai_tool(d) for d in tools]


def assistant_message(calls: Sequence[ToolCall], thought: str = "", first_id: int = 0) -> dict[str, Any]:
    """An assistant message carrying ``calls`` (ids ``call_<n>``)."""
    return {
        "role": "assistant",
        "content": thought or None,
        "tool_calls": [
            {
                "id": f"call_{first_id + k}",
                "type": "function",
                "function": {"name": c.name, "arguments": json_args(c)},
            }
            for k, c in enumerate(calls)
        ],
    }


def openai_call(call: ToolCall, thought: str = "") -> str:
    """The assistant message for one call, as JSON text (what the backend hands to the parser)."""
    return jsonio.dumps(assistant_message([call], thought))


def _render(
    msgs: Sequence[Msg], tools: Sequence[ToolDoc], add_generation_prompt: bool
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []  # no system message of our own: BFCL's OpenAIHandler sends none either
    n_calls = 0
    pending: list[str] = []
    for m in msgs:
        if m.role == "assistant" and m.calls:
            msg = assistant_message(m.calls, m.content, n_calls)
            pending = [tc["id"] for tc in msg["tool_calls"]]
            n_calls += len(m.calls)
            out.append(msg)
        elif m.role == "tool":
            call_id = m.tool_call_id or (pending.pop(0) if pending else f"call_{n_calls}")
            out.append({"role": "tool", "tool_call_id": call_id, "content": m.content})
        else:
            out.append({"role": m.role, "content": m.content})
    return out


OPENAI_TOOLS = PromptFormat(
    name="openai",
    parser="openai",
    family="OpenAI tools (native function calling)",
    render=_render,
    call=openai_call,
    chat=True,
    native_tools=True,
)
