"""TL-CodeLLaMA-2 template (the TL-Training model itself), parser ``python``.

Source: TL-Training ``code/mae/mae.py`` and ``code/pkt/finetune.py`` (byte-identical,
tests/prompts/test_prompt_parity.py). Tools are listed as ``Function:\\ndef name(req: string, opt: integer =
None):`` blocks with docstrings (mae.py style, :func:`tlbench.docs.docs_to_python_signatures`), the whole
System turn (other system text is dropped when there are tools); roles map
system->``System``, user->``User``, tool->``Output``, assistant->``Assistant``; turns are
``Role: content`` joined by ``\\n``, and the prompt ends with ``\\nAssistant:``. The model writes
`` name(key="value")`` then ``</s>``. Calls use mae.py's surface form (keyword arguments, no spaces around
``=``, double-quoted strings); booleans/null are written as Python ``True/False/None`` (mae.py would
write JSON ``true``, which no Python-syntax parser accepts).
"""

from __future__ import annotations

from collections.abc import Sequence

from tlbench.docs import docs_to_python_signatures
from tlbench.prompts.base import Msg, PromptFormat, py_call
from tlbench.types import ToolCall, ToolDoc

__all__ = ["TL_CODELLAMA"]

_ROLE = {"system": "System", "user": "User", "assistant": "Assistant", "tool": "Output"}


def tl_call(call: ToolCall, thought: str = "") -> str:
    """`` name(k="v")`` with the leading space the model emits after ``Assistant:``."""
    return " " + py_call(call)


def _render(msgs: Sequence[Msg], tools: Sequence[ToolDoc], add_generation_prompt: bool) -> str:
    # mae.py's System turn is the Function: blocks alone; a benchmark's own system prompt (RoTBench/ToolEyes
    # ReAct instructions that restate the tools as JSON) is not shown, as in TL-Training's data
    given = "\n".join(m.content for m in msgs if m.role == "system")
    system = docs_to_python_signatures(tools) if tools else given
    turns = [f"System: {system}"]
    for m in msgs:
        if m.role == "system":
            continue
        body = "\n".join(tl_call(c).strip() for c in m.calls) if m.calls else m.content
        turns.append(f"{_ROLE[m.role]}: {body}")
    text = "\n".join(turns)
    return text + "\nAssistant:" if add_generation_prompt else text + "</s>"


TL_CODELLAMA = PromptFormat(
    name="tl-codellama",
    parser="python",
    family="TL-CodeLLaMA-2 (TL-Training PKT/IRM template)",
    render=_render,
    call=tl_call,
    stop=("\nOutput:", "\nUser:"),
    eos=("</s>",),
)
