"""Qwen-2 ReAct template (paper Appendix B), parser ``react``.

Source: Qwen's multi-turn ReAct implementation, ``QwenLM/Qwen`` ``examples/react_demo.py``
(``build_input_text`` and ``llm_with_plugin``; byte-identical, tests/prompts/test_prompt_parity.py). A ChatML
conversation whose user turn says "Answer the following questions as best you can. You have access to the
following APIs:", one line per tool ``name: Call this tool to interact with the name API. What is the name
API useful for? <description> Parameters: <JSON schema> Format the arguments as a JSON object.``, the
Thought/Action/Action Input/Observation format and ``Begin!\\n\\nQuestion: <query>`` (stripped). The whole
trajectory lives in one open assistant turn: each model turn is cut before its ``\\nObservation:`` (as
``parse_latest_plugin_call`` does), and each result is appended as ``\\nObservation: <result>\\nThought:``,
so the model continues the thought. Tools are described by their JSON schema (react_demo's plugins carry a
list of parameters instead).
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

REACT_PROMPT = """Answer the following questions as best you can. You have access to the following APIs:

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

_NEXT = "\nThought:"


def _cut(text: str) -> str:
    """A model turn as ``parse_latest_plugin_call`` keeps it: up to its ``\\nObservation:`` when it acts."""
    i, j, k = text.rfind("\nAction:"), text.rfind("\nAction Input:"), text.rfind("\nObservation:")
    if 0 <= i < j:
        return text[:k] if k >= j else text.rstrip()
    return text


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
        tool_descs=descs, tool_names=", ".join(d.name for d in tools), query=first_user_query(msgs)
    )
    user = user.lstrip("\n").rstrip()
    text = (
        f"<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n"
    )
    seen_query = False
    trajectory = ""
    for m in msgs:
        if m.role == "user" and not seen_query:
            seen_query = True
            continue
        if m.role == "assistant":
            body = "\n".join(react_call(c, m.content if k == 0 else "") for k, c in enumerate(m.calls))
            if body and trajectory.endswith(_NEXT):  # the prompt already says "Thought:"
                body = body.removeprefix("Thought:")
            trajectory += _cut(body or m.content)
        elif m.role in ("tool", "user"):
            trajectory += f"\nObservation: {m.content}{_NEXT}"
    text += trajectory
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
