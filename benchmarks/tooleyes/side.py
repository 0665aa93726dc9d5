"""Upstream's rule-based side statistics of one episode (``Format_alignment_score`` and
``Tool_selection_score`` of ``Code/Evaluation/util/utils.py``), quirks included in upstream mode (see the
package docstring).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from benchmarks.tooleyes.react import is_forced, judge_prompts_ok, react_split
from tlbench.types import ToolDoc

#: The side statistics of one episode, in the official scorer's names (``eval_single_data``).
SIDE_KEYS = ("Ans_pass", "IF", "tool_reality", "format_err_cnt", "conv_react_err", "conv_json_err")


def upstream_side_stats(
    messages: Sequence[Mapping[str, str]], docs: Sequence[ToolDoc], quirks: bool = True
) -> dict[str, Any]:
    """ToolEyes' rule-based statistics of one sample (``util/utils.py``: ``Format_alignment_score`` and
    ``Tool_selection_score``, research note §5.2), and whether the official pipeline would crash on it.

    ``quirks`` (upstream mode): the final message is every assistant message equal to the conversation's
    last message of ANY role; ``Ans_pass`` starts at 1; the tool-hallucination gate is cumulative; the
    ``required`` list is one mutable copy per sample. Without quirks (fixed mode) the final message is the
    last assistant message, a sample without one has ``Ans_pass`` 0, every call is checked against a fresh
    doc, and no input crashes.
    """
    index: dict[str, ToolDoc] = {}
    for d in docs:
        index.setdefault(d.name, d)  # upstream takes the first doc of a name
    required = {name: list(d.required) for name, d in index.items()}
    roles = [str(m.get("role")) for m in messages]
    texts = [m.get("content") if isinstance(m.get("content"), str) else "" for m in messages]
    assistant = [k for k, r in enumerate(roles) if r == "assistant"]
    last_value = texts[-1] if texts else None
    last_k = assistant[-1] if assistant else -1
    out = {"Ans_pass": 1 if quirks or assistant else 0, "format_err_cnt": 0, "conv_react_err": 0}
    out.update(conv_json_err=0, conv_force_terminated=0)
    crash: str | None = None
    if quirks:
        if not messages or roles[0] != "system":
            crash = "judge prompts: no system prompt to read the tool document from"
        elif any(not judge_prompts_ok(texts[k]) for k in [*assistant, len(texts) - 1]):
            crash = "judge prompts: a message without 'Action:' / 'Input' / 'Action Input:' (AttributeError)"
    answered = format_ok = calls = tool_hallu = param_hallu = undecided = 0
    for k in assistant:
        text = texts[k]
        is_last = text == last_value if quirks else k == last_k
        answered += 1
        if is_last and is_forced(text):
            out["Ans_pass"] = 0
            out["conv_force_terminated"] += 1
            out["format_err_cnt"] += 1
            continue
        split = react_split(text)
        if is_last and split.react_ok:
            out["Ans_pass"] = 1
            format_ok += 1
            continue
        if split.parsed is not None and split.parsed.status == "undecided":
            undecided += 1
        if not split.react_ok:
            out["conv_react_err"] += 1
        elif not split.args_ok:
            out["conv_json_err"] += 1
        if not (split.react_ok and split.args_ok):
            out["format_err_cnt"] += 1
            continue
        format_ok += 1
        calls += 1
        doc = index.get(split.action)
        if doc is None:
            tool_hallu += 1
            continue
        if quirks and tool_hallu:
            continue  # upstream: after the first tool hallucination no parameter is checked again
        if quirks and (split.parsed is None or not split.parsed.is_dict):
            crash = (
                crash
                or "tool selection: the Action Input of a documented tool is not a dict (AttributeError)"
            )
            continue
        keys = split.parsed.dict_keys() if split.parsed is not None else ()
        req = required[split.action] if quirks else list(doc.required)
        for key in keys:
            if key in req:
                req.remove(key)
        props = list(doc.properties)
        unknown = sum(1 for key in keys if key not in props)
        param_hallu += min(int(bool(req)) + unknown, 1)
    out["IF"] = format_ok / answered if answered else 0
    out["tool_reality"] = 1 - (tool_hallu + param_hallu) / calls if calls else 0
    out["calls"] = calls
    out["eval_undecided"] = undecided
    out["crash"] = crash
    return out
