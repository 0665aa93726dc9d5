"""ChatGLM-4 (GLM-4-9B-Chat) tool template (paper Appendix B), parser ``glm``.

Source/assumptions: GLM-4's chat template starts with ``[gMASK]<sop>``, puts the tools in the system turn
under ``# 可用工具`` as ``## name`` + the function JSON (indent 4) + the instruction
``在调用上述函数时，请使用 Json 格式表示调用的参数。``, and uses role tokens ``<|system|>``, ``<|user|>``,
``<|assistant|>``, ``<|observation|>``, each followed by a newline. A tool call is the assistant turn
``<|assistant|>name\\n{json args}``; the result comes back in an ``<|observation|>`` turn. The model ends a
turn by emitting the next role token, hence the stop strings.
"""

from __future__ import annotations

from collections.abc import Sequence

from tlbench import jsonio
from tlbench.prompts.base import Msg, PromptFormat, json_args, openai_tool
from tlbench.types import ToolCall, ToolDoc

__all__ = ["GLM4"]

GLM_SYSTEM = (
    "你是一个名为 GLM-4 的人工智能助手。你是基于智谱AI训练的语言模型 GLM-4 模型开发的，"
    "你的任务是针对用户的问题和要求提供适当的答复和支持。"
)


def glm_call(call: ToolCall, thought: str = "") -> str:
    """``name\\n{json}`` (GLM-4 prints the function name on its own line, then the JSON arguments)."""
    return f"{call.name}\n{json_args(call)}"


def _render(msgs: Sequence[Msg], tools: Sequence[ToolDoc], add_generation_prompt: bool) -> str:
    given = "\n".join(m.content for m in msgs if m.role == "system")
    system = given or GLM_SYSTEM
    if tools:
        system += "\n\n# 可用工具"
        for d in tools:
            system += f"\n\n## {d.name}\n\n" + jsonio.dumps(openai_tool(d)["function"], indent=4)
            system += "\n在调用上述函数时，请使用 Json 格式表示调用的参数。"
    text = f"[gMASK]<sop><|system|>\n{system}"
    for m in msgs:
        if m.role == "system":
            continue
        if m.role == "assistant" and m.calls:
            for c in m.calls:
                text += f"<|assistant|>{glm_call(c)}"
        else:
            tag = {"user": "<|user|>", "assistant": "<|assistant|>", "tool": "<|observation|>"}[m.role]
            text += f"{tag}\n{m.content}"
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
