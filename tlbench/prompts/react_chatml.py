"""``react-chatml``: the RoTBench / ToolEyes ReAct prompt inside ChatML turns, parser ``react``.

Why: RoTBench and ToolEyes items carry their own ReAct system prompt (the tool list and the
``Thought / Action / Action Input`` instructions). Upstream sends it to every model in ToolLLaMA's plain
``System: ... User: ... Assistant:`` layout (:data:`~tlbench.prompts.toolllama.TOOLLLAMA_REACT`); an
instruction-tuned ChatML model (SmolLM2, the default model; Qwen) follows the same instructions better
inside its own ``<|im_start|>role ... <|im_end|>`` turns. The content is the same as ``toolllama-react``
(the item's system prompt verbatim, else the generic ReAct system prompt with the tools as JSON; earlier
model turns as upstream keeps them, :func:`~tlbench.prompts.toolllama.upstream_turn`); only the turn markup
differs. No official code renders these benchmarks in ChatML, so there is no golden to match (docs/prompts.md). Tool observations go back as a user turn ``Observation: ...`` (ChatML has no tool
role every template accepts).
"""

from __future__ import annotations

from collections.abc import Sequence

from tlbench import jsonio
from tlbench.prompts.base import Msg, PromptFormat, openai_tool
from tlbench.prompts.toolllama import REACT_SYSTEM, react_call, upstream_turn
from tlbench.types import ToolDoc

__all__ = ["REACT_CHATML"]


def _render(msgs: Sequence[Msg], tools: Sequence[ToolDoc], add_generation_prompt: bool) -> str:
    given = [m.content for m in msgs if m.role == "system"]
    if given:
        system = "\n".join(given)
    else:
        system = REACT_SYSTEM.format(tools=jsonio.dumps([openai_tool(d)["function"] for d in tools]))
    text = f"<|im_start|>system\n{system}<|im_end|>\n"
    for m in msgs:
        if m.role == "system":
            continue
        if m.role == "assistant":
            body = "\n".join(react_call(c, m.content if k == 0 else "") for k, c in enumerate(m.calls))
            text += f"<|im_start|>assistant\n{body or upstream_turn(m.content)}<|im_end|>\n"
        elif m.role == "tool":
            text += f"<|im_start|>user\nObservation: {m.content}<|im_end|>\n"
        else:
            text += f"<|im_start|>user\n{m.content}<|im_end|>\n"
    return text + "<|im_start|>assistant\n" if add_generation_prompt else text


REACT_CHATML = PromptFormat(
    name="react-chatml",
    parser="react",
    family="RoTBench/ToolEyes ReAct prompt in ChatML turns (SmolLM2, Qwen)",
    render=_render,
    call=react_call,
    stop=("<|im_end|>", "\nObservation:"),
    eos=("<|im_end|>", "<|endoftext|>"),
)
