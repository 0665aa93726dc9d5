"""LLaMA-3.1 JSON tool-calling template (paper Appendix B), parser ``llama3``.

Source/assumptions: Meta's Llama 3.1 prompt-format documentation, "JSON based tool calling" with tools
in the first user message: header tokens ``<|start_header_id|>role<|end_header_id|>\\n\\n``, turns ended
by ``<|eot_id|>``, a system turn with ``Cutting Knowledge Date`` / ``Today Date`` (a fixed date here so
prompts are reproducible), then the user turn "Given the following functions, please respond with a JSON
for a function call with its proper arguments that best answers the given prompt. Respond in the format
{"name": function name, "parameters": dictionary of argument name and its value}. Do not use variables."
followed by each function's JSON and the question. The model answers ``{"name": ..., "parameters":
{...}}``; tool results come back in an ``ipython`` turn.
"""

from __future__ import annotations

from collections.abc import Sequence

from tlbench import jsonio
from tlbench.prompts.base import Msg, PromptFormat, openai_tool
from tlbench.types import ToolCall, ToolDoc

__all__ = ["LLAMA31_JSON"]

SYSTEM = "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n"
INSTRUCTION = (
    "Given the following functions, please respond with a JSON for a function call with its proper "
    "arguments that best answers the given prompt.\n\n"
    'Respond in the format {"name": function name, "parameters": dictionary of argument name and its '
    "value}. Do not use variables.\n\n"
)


def llama_call(call: ToolCall, thought: str = "") -> str:
    """``{"name": ..., "parameters": {...}}``."""
    return jsonio.dumps({"name": call.name, "parameters": dict(call.arguments)})


def _turn(role: str, body: str) -> str:
    return f"<|start_header_id|>{role}<|end_header_id|>\n\n{body}<|eot_id|>"


def _render(msgs: Sequence[Msg], tools: Sequence[ToolDoc], add_generation_prompt: bool) -> str:
    given = "\n".join(m.content for m in msgs if m.role == "system")
    text = "<|begin_of_text|>" + _turn("system", SYSTEM + given)
    first_user = True
    for m in msgs:
        if m.role == "system":
            continue
        if m.role == "user" and first_user and tools:
            first_user = False
            funcs = "\n\n".join(jsonio.dumps(openai_tool(d), indent=4) for d in tools)
            text += _turn("user", f"{INSTRUCTION}{funcs}\n\nQuestion: {m.content}")
        elif m.role == "assistant":
            text += _turn("assistant", "\n".join(llama_call(c) for c in m.calls) or m.content)
        else:
            text += _turn("ipython" if m.role == "tool" else "user", m.content)
    return text + "<|start_header_id|>assistant<|end_header_id|>\n\n" if add_generation_prompt else text


LLAMA31_JSON = PromptFormat(
    name="llama31-json",
    parser="llama3",
    family="LLaMA-3.1 JSON tool calling",
    render=_render,
    call=llama_call,
    stop=("<|eot_id|>", "<|eom_id|>"),
    eos=("<|eot_id|>", "<|eom_id|>", "<|end_of_text|>"),
)
