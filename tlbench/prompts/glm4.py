"""ChatGLM-4 (GLM-4-9B-Chat) tool template (paper Appendix B), parser ``glm``.

Source: BFCL's ``GLMHandler._format_prompt`` (``ShishirPatil/gorilla@d6b5fb8``), which writes glm-4-9b-chat's
chat template by hand; byte-identical (tests/prompts/test_prompt_parity.py). ``[gMASK]<sop>``, then, when
there are tools, a system turn with the ChatGLM self-introduction, ``# 可用工具`` and per tool ``## name``, the
function JSON (indent 4) and ``在调用上述函数时，请使用 Json 格式表示调用的参数。``; then every message as
``<|role|>\\n<content>`` (a system message is its own turn after the tools; tool results use
``<|observation|>``; an empty message is skipped, as the template does). A tool call is the assistant turn
``<|assistant|>name\\n{json args}``. The model ends a turn by emitting the next role token, hence the stop
strings.
"""

from __future__ import annotations

from collections.abc import Sequence

from tlbench import jsonio
from tlbench.prompts.base import Msg, PromptFormat, json_args, openai_tool
from tlbench.types import ToolCall, ToolDoc

__all__ = ["GLM4"]

GLM_SYSTEM = (
    "你是一个名为 ChatGLM 的人工智能助手。你是基于智谱AI训练的语言模型 GLM-4 模型开发的，"
    "你的任务是针对用户的问题和要求提供适当的答复和支持。"
)


def glm_call(call: ToolCall, thought: str = "") -> str:
    """``name\\n{json}`` (GLM-4 prints the function name on its own line, then the JSON arguments)."""
    return f"{call.name}\n{json_args(call)}"


def _render(msgs: Sequence[Msg], tools: Sequence[ToolDoc], add_generation_prompt: bool) -> str:
    text = "[gMASK]<sop>"
    if tools:
        text += f"<|system|>\n{GLM_SYSTEM}\n\n# 可用工具"
        for d in tools:
            text += f"\n\n## {d.name}\n\n" + jsonio.dumps(openai_tool(d)["function"], indent=4)
            text += "\n在调用上述函数时，请使用 Json 格式表示调用的参数。"
    for m in msgs:
        if m.role == "assistant" and m.calls:
            for c in m.calls:
                text += f"<|assistant|>{glm_call(c)}"
        elif m.content:
            tag = {
                "system": "<|system|>",
                "user": "<|user|>",
                "assistant": "<|assistant|>",
                "tool": "<|observation|>",
            }
            text += f"{tag[m.role]}\n{m.content}"
    return text + "<|assistant|>" if add_generation_prompt else text


GLM4 = PromptFormat(
    name="glm4",
    parser="glm",
    family="ChatGLM-4 (GLM-4-9B-Chat tools)",
    render=_render,
    call=glm_call,
    stop=("<|user|>", "<|observation|>"),
    eos=("<|endoftext|>",),
)
