"""Qwen-2.5 ``<tool_call>`` template (paper Appendix B), parser ``qwen``.

Source/assumptions: Qwen2.5-Instruct's chat template (ChatML). With tools, the system turn is the default
system text plus ``# Tools`` ... ``<tools>`` one JSON function per line ``</tools>`` and the instruction to
answer with ``<tool_call>\\n{"name": <function-name>, "arguments": <args-json-object>}\\n</tool_call>``.
Tool results go back in a user turn wrapped in ``<tool_response>\\n...\\n</tool_response>``. SmolLM2 (the
built-in model) uses the same ChatML tokens, so this is also its default format.
"""

from __future__ import annotations

from collections.abc import Sequence

from tlbench import jsonio
from tlbench.prompts.base import Msg, PromptFormat, openai_tool
from tlbench.types import ToolCall, ToolDoc

__all__ = ["QWEN25"]

DEFAULT_SYSTEM = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."
TOOLS_HEADER = (
    "\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
    "You are provided with function signatures within <tools></tools> XML tags:\n<tools>"
)
TOOLS_FOOTER = (
    "\n</tools>\n\nFor each function call, return a json object with function name and arguments within "
    "<tool_call></tool_call> XML tags:\n<tool_call>\n"
    '{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call>'
)


def qwen_call(call: ToolCall, thought: str = "") -> str:
    """An optional thought, then ``<tool_call>\\n{json}\\n</tool_call>``."""
    body = jsonio.dumps({"name": call.name, "arguments": dict(call.arguments)})
    prefix = thought.strip() + "\n" if thought.strip() else ""
    return f"{prefix}<tool_call>\n{body}\n</tool_call>"


def _render(msgs: Sequence[Msg], tools: Sequence[ToolDoc], add_generation_prompt: bool) -> str:
    system = "\n".join(m.content for m in msgs if m.role == "system") or DEFAULT_SYSTEM
    if tools:
        system += TOOLS_HEADER
        for d in tools:
            system += "\n" + jsonio.dumps(openai_tool(d))
        system += TOOLS_FOOTER
    text = f"<|im_start|>system\n{system}<|im_end|>\n"
    rest = [m for m in msgs if m.role != "system"]
    for i, m in enumerate(rest):
        if m.role == "assistant":
            body = "\n".join(qwen_call(c, m.content if k == 0 else "") for k, c in enumerate(m.calls))
            text += f"<|im_start|>assistant\n{body or m.content}<|im_end|>\n"
        elif m.role == "tool":
            opening = i == 0 or rest[i - 1].role != "tool"
            closing = i == len(rest) - 1 or rest[i + 1].role != "tool"
            text += (
                "<|im_start|>user" if opening else ""
            ) + f"\n<tool_response>\n{m.content}\n</tool_response>"
            text += "<|im_end|>\n" if closing else ""
        else:
            text += f"<|im_start|>user\n{m.content}<|im_end|>\n"
    return text + "<|im_start|>assistant\n" if add_generation_prompt else text


QWEN25 = PromptFormat(
    name="qwen25",
    parser="qwen",
    family="Qwen-2.5 <tool_call> (Hermes-style)",
    render=_render,
    call=qwen_call,
    stop=("<|im_end|>", "<tool_response>"),
    eos=("<|im_end|>", "<|endoftext|>"),
)
