"""ToolEyes' reading of one assistant message (the official scorer's ``process_message`` rules) and the way
its inference loop stores a generation (see the package docstring)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from benchmarks.pyeval import PyEval, jsonable, python_eval

_FORCED_MARK = "I cannot handle the task."


_FORCED_WHY = ("trying too many times", "During execution, an error occurs.")


@dataclass(frozen=True, slots=True)
class ReactSplit:
    """One assistant message read with the official scorer's rule (``util/utils.py``: ``process_message``,
    ``reasoning_format_check``, ``json_format_check``).

    ``react_ok``: the three markers split and the action is non-empty; ``args_ok``: ``eval`` of the input
    succeeds (decided by :func:`benchmarks.pyeval.python_eval`, assumed for an undecided input);
    ``arguments``: the input as a JSON-shaped dict when it is one; ``parsed``: the eval outcome (None when
    the markers do not split).
    """

    react_ok: bool
    args_ok: bool = False
    action: str = ""
    arguments: Mapping[str, Any] | None = None
    parsed: PyEval | None = None


def _segments(text: str) -> tuple[str, str] | None:
    """Upstream ``process_message``: (action, action input), or None when one of its regexes fails.

    ``Thought:.*?Action:`` needs an ``Action:`` after the first ``Thought:``; the action is the text from the
    first ``Action:`` to the next ``Action Input:`` with every literal ``\\n`` (backslash, n), ``Action:`` and
    ``Action Input:`` removed, then stripped; the input is everything after the first ``Action Input:`` with
    every ``Action Input:`` removed, stripped.
    """
    i_th = text.find("Thought:")
    if i_th < 0 or text.find("Action:", i_th + 8) < 0:
        return None
    i_act = text.find("Action:")
    j = text.find("Action Input:", i_act + 7)
    i_in = text.find("Action Input:")
    if j < 0 or i_in < 0:
        return None
    action = (
        text[i_act : j + 13].replace("\\n", "").replace("Action:", "").replace("Action Input:", "").strip()
    )
    return action, text[i_in:].replace("Action Input:", "").strip()


def react_split(text: object) -> ReactSplit:
    """Read one assistant message as the official scorer does (see :class:`ReactSplit`); never evaluates."""
    if not isinstance(text, str):
        return ReactSplit(False)
    seg = _segments(text)
    if seg is None:
        return ReactSplit(False)
    action, source = seg
    parsed = python_eval(source)
    args = None
    if parsed.is_dict:
        value = parsed.value if parsed.status == "value" else dict.fromkeys(parsed.dict_keys())
        args = jsonable(value)
    return ReactSplit(bool(action), parsed.ok, action, args, parsed)


def judge_prompts_ok(text: str) -> bool:
    """Whether upstream's judge-prompt builder (``util/process_utils.py``: ``process_message``) can split
    ``text``: it needs ``Action:``, then ``Input`` after it, and ``Action Input:``, and crashes otherwise."""
    i_act = text.find("Action:")
    return i_act >= 0 and text.find("Input", i_act + 7) >= 0 and "Action Input:" in text


def stored_text(raw: str) -> str:
    """The assistant message upstream's inference loop stores for a raw generation (``Code/Inference/
    utils.py``: ``react_parser``): the ``Thought:...Action:`` span without ``Action:``, the
    ``Action:...Action Input:`` span without ``Action Input:`` and the ``Action Input:...`` rest without
    newlines, each replaced by an empty default when its marker is missing, concatenated; a ``finish``
    whose input does not end with ``"}`` gets ``"}`` appended (``inference.py``: the truncation repair)."""
    i_th = raw.find("Thought:")
    j = raw.find("Action:", i_th + 8) if i_th >= 0 else -1
    thought = raw[i_th : j + 7].replace("Action:", "") if j >= 0 else "Thought: \n"
    i_act = raw.find("Action:")
    k = raw.find("Action Input:", i_act + 7) if i_act >= 0 else -1
    action = raw[i_act : k + 13].replace("Action Input:", "") if k >= 0 else "Action: \n"
    i_in = raw.find("Action Input:")
    action_input = raw[i_in:].replace("\n ", "").replace("\n", "") if i_in >= 0 else "Action Input: {}"
    text = thought + action + action_input
    name = action.replace("Action: ", "").strip()
    if name.lower() == "finish" and action_input.replace("Action Input: ", "").strip()[-2:] != '"}':
        text += '"}'
    return text


def rendered_call(thought: str, name: str, arguments: str) -> str:
    """A native tool call as ToolEyes' function-calling path writes it (``models.py``, ``mode ==
    "function_call"``): ``Thought: <content>`` / ``Action: <name>`` / ``Action Input: <arguments>``; a
    reply without a call has an empty action and ``{}``."""
    flat = arguments.replace("\n  ", "").replace("\n", "")
    return f"Thought: {thought}\nAction: {name}\nAction Input: {flat}"


def is_forced(text: str) -> bool:
    return _FORCED_MARK in text and any(w in text for w in _FORCED_WHY)
