"""NexusRaven-V2 template (paper Appendix B): Python signatures with docstrings, parser ``python``.

Sources/assumptions: NexusRaven-V2's model card prompt is a list of ``Function:\\ndef name(arg: type):``
blocks with Google-style docstrings, then ``User Query: {query}<human_end>``; the model answers
``Call: name(arg=value)`` followed by ``<bot_end>`` and an optional ``Thought:`` (RoTBench's version 2
evaluator reads that ``Call:`` line). NexusRaven is single-turn; for multi-turn history this module
appends each earlier call as ``Call: ...<bot_end>`` and each observation as
``Observation: ...<human_end>`` (our assumption), so the next ``Call:`` follows naturally.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tlbench.prompts.base import Msg, PromptFormat, py_call
from tlbench.types import ToolCall, ToolDoc

__all__ = ["NEXUSRAVEN", "nexusraven_functions"]

_PY_TYPES = {
    "string": "str",
    "integer": "int",
    "number": "float",
    "boolean": "bool",
    "array": "list",
    "object": "dict",
}


def _py_type(schema: Any) -> str:
    t = schema.get("type") if isinstance(schema, Mapping) else None
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), None)
    return _PY_TYPES.get(t, "Any") if isinstance(t, str) else "Any"


def nexusraven_functions(tools: Sequence[ToolDoc]) -> str:
    """The ``Function:`` blocks for a tool list (required parameters first, optional ``= None``)."""
    blocks = []
    for doc in tools:
        props = doc.properties
        required = [p for p in doc.required if p in props]
        optional = [p for p in props if p not in required]
        sig = [f"{p}: {_py_type(props[p])}" for p in required]
        sig += [f"{p}: {_py_type(props[p])} = None" for p in optional]
        lines = [
            "Function:",
            f"def {doc.name}({', '.join(sig)}):",
            '    """',
            f"    {doc.description}".rstrip(),
        ]
        if props:
            lines += ["", "    Args:"]
            for p in required + optional:
                desc = props[p].get("description", "") if isinstance(props[p], Mapping) else ""
                lines.append(f"        {p} ({_py_type(props[p])}): {desc}".rstrip())
        lines.append('    """')
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def nexusraven_call(call: ToolCall, thought: str = "") -> str:
    """``Call: name(k=v)`` (NexusRaven prints the call first; a thought, if any, comes after)."""
    return f"Call: {py_call(call)}"


def _render(msgs: Sequence[Msg], tools: Sequence[ToolDoc], add_generation_prompt: bool) -> str:
    head = nexusraven_functions(tools)
    # NexusRaven prompts (model card, RoTBench's NexusRaven_Prompt.py, BFCL's NexusHandler) carry no system
    # text: a benchmark's own system prompt (RoTBench/ToolEyes ReAct instructions) is dropped when there are tools
    system = "" if tools else "\n".join(m.content for m in msgs if m.role == "system")
    text = head + ("\n\n" + system if system else "") + "\n\n"
    for m in msgs:
        if m.role == "user":
            text += f"User Query: {m.content}<human_end>"
        elif m.role == "assistant":
            body = "\n".join(nexusraven_call(c) for c in m.calls) or m.content
            text += f"\n{body}<bot_end>"
        elif m.role == "tool":
            text += f"\nObservation: {m.content}<human_end>"
    return text + "\n" if add_generation_prompt else text


NEXUSRAVEN = PromptFormat(
    name="nexusraven",
    parser="python",
    family="NexusRaven-V2 (python signatures + docstrings)",
    render=_render,
    call=nexusraven_call,
    stop=("<bot_end>", "\nThought:"),
    eos=("</s>",),
)
