"""LLaMA-3.1 JSON tool-calling template (paper Appendix B), parser ``llama3``.

Source: the ``chat_template`` of Llama-3.1-8B-Instruct (``tokenizer_config.json``; the text BFCL's
``LlamaFCHandler`` quotes), byte-identical with ``tools_in_user_message`` (its default) and the template's
default date (tests/prompts/test_prompt_parity.py). Header tokens ``<|start_header_id|>role<|end_header_id|>
\\n\\n``, turns ended by ``<|eot_id|>``; the system turn is ``Environment: ipython`` (when there are tools),
``Cutting Knowledge Date`` / ``Today Date`` and the first message if it is a system message (trimmed); the
first message after it carries the instruction "Given the following functions, please respond with a JSON
for a function call ..." and each tool as ``{"type": "function", "function": ...}`` JSON (indent 4), then its
own text (trimmed). The model answers ``{"name": ..., "parameters": {...}}``; tool results come back in an
``ipython`` turn, JSON-encoded as the template does (a string result is written as a JSON string). The
template refuses an assistant turn with several calls; here they are written one per line.
"""

from __future__ import annotations

from collections.abc import Sequence

from tlbench import jsonio
from tlbench.prompts.base import Msg, PromptFormat, openai_tool
from tlbench.types import ToolCall, ToolDoc

__all__ = ["LLAMA31_JSON"]

DATE = "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n"
INSTRUCTION = (
    "Given the following functions, please respond with a JSON for a function call "
    "with its proper arguments that best answers the given prompt.\n\n"
    'Respond in the format {"name": function name, "parameters": dictionary of argument name and its value}.'
    "Do not use variables.\n\n"
)


def llama_call(call: ToolCall, thought: str = "") -> str:
    """``{"name": ..., "parameters": {...}}`` (the template's own concatenation)."""
    return f'{{"name": "{call.name}", "parameters": {jsonio.dumps(dict(call.arguments))}}}'


def _turn(role: str, body: str) -> str:
    return f"<|start_header_id|>{role}<|end_header_id|>\n\n{body}<|eot_id|>"


def _render(msgs: Sequence[Msg], tools: Sequence[ToolDoc], add_generation_prompt: bool) -> str:
    rest = list(msgs)
    system = ""
    if rest and rest[0].role == "system":
        system, rest = rest[0].content.strip(), rest[1:]
    env = "Environment: ipython\n" if tools else ""
    text = "<|begin_of_text|>" + _turn("system", env + DATE + system)
    if tools and rest:  # tools_in_user_message: the first remaining message carries them
        funcs = "".join(jsonio.dumps(openai_tool(d), indent=4) + "\n\n" for d in tools)
        text += _turn("user", INSTRUCTION + funcs + rest[0].content.strip())
        rest = rest[1:]
    for m in rest:
        if m.role == "assistant" and m.calls:
            text += _turn("assistant", "\n".join(llama_call(c) for c in m.calls))
        elif m.role == "tool":
            text += _turn("ipython", jsonio.dumps(m.content))  # the template's ``content | tojson``
        else:
            text += _turn(m.role, m.content.strip())
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
