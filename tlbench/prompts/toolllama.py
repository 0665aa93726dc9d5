"""ToolLLaMA-2 (ToolBench) templates: ReAct and AutoGPT (paper Appendix B), parser ``react``.

Sources/assumptions: ToolLLaMA's conversation template ``tool-llama-single-round`` joins turns as
``System: ...\\nUser: ...\\nAssistant: ...\\nFunction: ...\\nAssistant:`` and the model answers
``Thought: ...\\nAction: <name>\\nAction Input: <JSON>``. RoTBench and ToolEyes run every model with the
same ``System/User/Assistant/Function`` layout (``Code/tool_conversation.py`` template ``tool-single-round``;
byte-identical on their items, tests/prompts/test_prompt_parity.py), with a ReAct system prompt that lists
the tools as JSON; earlier model turns are shown as upstream keeps them (:func:`upstream_turn`). The AutoGPT variant uses ToolBench's "You are AutoGPT ..." system instruction
(written here from its published wording, lightly condensed) with the functions as JSON. When the
messages already contain a system prompt (RoTBench/ToolEyes items carry one that lists the tools) it is
used verbatim and the tools are not listed a second time.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tlbench import jsonio
from tlbench.prompts.base import Msg, PromptFormat, json_args, openai_tool
from tlbench.types import ToolCall, ToolDoc

__all__ = ["TOOLLLAMA_REACT", "TOOLLLAMA_AUTOGPT", "react_call"]

REACT_SYSTEM = (
    "You are a helpful assistant that can use tools. Answer the user's request by calling the tools below, "
    "one call per turn, and call `finish` with the final answer when you are done.\n"
    "Use exactly this format:\n"
    "Thought: <your reasoning>\n"
    "Action: <the tool name>\n"
    "Action Input: <the arguments as a JSON object>\n\n"
    "Available tools:\n{tools}"
)

AUTOGPT_SYSTEM = (
    "You are AutoGPT, you can use many tools(functions) to do the following task.\n"
    "First I will give you the task description, and your task start.\n"
    "At each step, you need to give your thought to analyze the status now and what to do next, with a "
    "function call to actually excute your step. Your output should follow this format:\n"
    "Thought:\nAction\nAction Input:\n\n"
    "After the call, you will get the call result, and you are now in a new state.\n"
    "Then you will analyze your status now, then decide what to do next...\n"
    "After many (Thought-call) pairs, you finally perform the task, then you can give your finial answer.\n"
    "Remember:\n"
    "1.the state change is irreversible, you can't go back to one of the former state.\n"
    "2.All the thought is short, at most in 5 sentence.\n"
    "3.You can do more then one trys, so if your plan is to continusly try some conditions, you can do one "
    "of the conditions per try.\n"
    "Let's Begin!\n"
    "Task description: You should use functions to help handle the real time user querys. Remember:\n"
    '1.ALWAYS call "Finish" function at the end of the task. And the final answer should contain enough '
    "information to show to the user.\n"
    "Specifically, you have access to the following APIs: {tools}"
)

_ROLE = {"system": "System", "user": "User", "assistant": "Assistant", "tool": "Function"}


def react_call(call: ToolCall, thought: str = "") -> str:
    """``Thought: ...\\nAction: name\\nAction Input: {json}`` (the Thought line always present)."""
    return f"Thought: {thought.strip()}\nAction: {call.name}\nAction Input: {json_args(call)}"


def upstream_turn(output: str) -> str:
    """A model turn as RoTBench/ToolEyes keep it in the history (``Code/Inference/models.py`` ``Tool.parse``).

    Upstream strips the generation and rebuilds it from ``react_parser``'s three parts: the text from
    ``Thought:`` up to the first ``Action:``, from ``Action:`` up to ``Action Input:``, and from ``Action
    Input:`` to the end with every newline removed; a missing part becomes ``Thought: \\n`` / ``Action: \\n`` /
    ``Action Input: {}``. Later rounds show the model this text, not its raw output. Text already in that
    shape (RoTBench's Third_Turn history) comes back unchanged.
    """
    text = output.strip()
    m = _THOUGHT.search(text)
    thought = m.group().replace("Action:", "") if m else "Thought: \n"
    m = _ACTION.search(text)
    action = m.group().replace("Action Input:", "") if m else "Action: \n"
    m = _ACTION_INPUT.search(text)
    action_input = m.group().replace("\n ", "").replace("\n", "") if m else "Action Input: {}"
    return thought + action + action_input


_THOUGHT = re.compile("Thought:.*?Action:", re.DOTALL)
_ACTION = re.compile("Action:.*?Action Input:", re.DOTALL)
_ACTION_INPUT = re.compile("Action Input:.*", re.DOTALL)


def _render(system_template: str) -> object:
    def render(msgs: Sequence[Msg], tools: Sequence[ToolDoc], add_generation_prompt: bool) -> str:
        given = [m.content for m in msgs if m.role == "system"]
        if given:
            system = "\n".join(given)
        else:
            tool_json = jsonio.dumps([openai_tool(d)["function"] for d in tools])
            system = system_template.format(tools=tool_json)
        turns = [("System", system)]
        for m in msgs:
            if m.role == "system":
                continue
            if m.calls:
                body = "\n".join(react_call(c, m.content if k == 0 else "") for k, c in enumerate(m.calls))
            else:
                body = upstream_turn(m.content) if m.role == "assistant" else m.content
            turns.append((_ROLE[m.role], body))
        # FastChat's ONLY_LAST_ASSISTANT style (RoTBench Code/tool_conversation.py): "Role: text\n" per
        # message, and an empty message is a bare "Role:" with no separator after it
        text = "".join(f"{role}: {body}\n" if body else f"{role}:" for role, body in turns)
        return text + "Assistant:" if add_generation_prompt else text.removesuffix("\n")

    return render


TOOLLLAMA_REACT = PromptFormat(
    name="toolllama-react",
    parser="react",
    family="ToolLLaMA-2 ReAct (ToolBench; RoTBench/ToolEyes layout)",
    render=_render(REACT_SYSTEM),  # type: ignore[arg-type]
    call=react_call,
    stop=("\nFunction:", "\nUser:"),
    eos=("</s>",),
)

TOOLLLAMA_AUTOGPT = PromptFormat(
    name="toolllama-autogpt",
    parser="react",
    family="ToolLLaMA-2 AutoGPT (ToolBench DFSDT/CoT system prompt)",
    render=_render(AUTOGPT_SYSTEM),  # type: ignore[arg-type]
    call=react_call,
    stop=("\nFunction:", "\nUser:"),
    eos=("</s>",),
)
