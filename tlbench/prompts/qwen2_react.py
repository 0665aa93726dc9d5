"""Qwen-2 ReAct template (paper Appendix B), parser ``react``.

Source/assumptions: Qwen's published ReAct prompt (Qwen-7B/Qwen2 examples): a ChatML conversation whose
user turn says "Answer the following questions as best you can. You have access to the following tools:",
one line per tool ``name: Call this tool to interact with the name API. What is the name API useful for?
<description> Parameters: <JSON schema> Format the arguments as a JSON object.``, the
Thought/Action/Action Input/Observation format and ``Begin!\\n\\nQuestion: <query>``. The whole trajectory
lives in one open assistant turn: each observation is appended as ``\\nObservation: <result>\\n`` and the
model continues with ``Thought:``; generation stops at ``Observation:``.
"""

from __future__ import annotations

from collections.abc import Sequence

from tlbench import jsonio
from tlbench.prompts.base import Msg, PromptFormat, first_user_query
from tlbench.prompts.toolllama import react_call
from tlbench.types import ToolDoc

__all__ = ["QWEN2_REACT"]

TOOL_DESC = (
    "{name}: Call this tool to interact with the {name} API. What is the {name} API useful for? "
    "{description} Parameters: {parameters} Format the arguments as a JSON object."
)

REACT_PROMPT = """Answer the following questions as best you can. You have access to the following tools:

{tool_descs}

Use the following format:

Question: the input question you must answer
Thought: you should always think about what to do
Action: the action to take, should be one of [{tool_names}]
Action Input: the input to the action
Observation: the result of the action
... (this Thought/Action/Action Input/Observation can be repeated zero or more times)
Thought: I now know the final answer
Final Answer: the final answer to the original input question

Begin!

Question: {query}"""


def _render(msgs: Sequence[Msg], tools: Sequence[ToolDoc], add_generation_prompt: bool) -> str:
    descs = "\n\n".join(
        TOOL_DESC.format(
            name=d.name,
            description=d.description,
            parameters=jsonio.dumps(dict(d.parameters)),
        )
        for d in tools
    )
    system = "\n".join(m.content for m in msgs if m.role == "system") or "You are a helpful assistant."
    user = REACT_PROMPT.format(
        tool_descs=descs, tool_names=",".join(d.name for d in tools), query=first_user_query(msgs)
    )
    text = (
        f"<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n"
    )
    seen_query = False
    steps: list[str] = []
    for m in msgs:
        if m.role == "user" and not seen_query:
            seen_query = True
            continue
        if m.role == "assistant":
            steps.append(
                "\n".join(react_call(c, m.content if k == 0 else "") for k, c in enumerate(m.calls))
                or m.content
            )
        elif m.role in ("tool", "user"):
            steps.append(f"Observation: {m.content}\n")
    text += "\n".join(steps)
    if steps and not steps[-1].endswith("\n") and add_generation_prompt:
        text += "\n"
    return text if add_generation_prompt else text + "<|im_end|>"


QWEN2_REACT = PromptFormat(
    name="qwen2-react",
    parser="react",
    family="Qwen-2 ReAct (Qwen's ReAct prompting, ChatML)",
    render=_render,
    call=react_call,
    stop=("Observation:", "\nObservation"),
    eos=("<|im_end|>", "<|endoftext|>"),
)
