"""The ``react`` format: ``Thought: / Action: / Action Input:`` as ToolLLaMA, Qwen-2 ReAct, RoTBench and
ToolEyes print it.

::

    Thought: I need the weather.
    Action: get_weather
    Action Input: {"city": "Paris"}

Rules (documented contract):

* The first ``Action:`` starts the call; its name is the rest of that line (whitespace and backticks
  stripped). Several Action blocks: only the first is read (the model should stop after one action and wait
  for the observation); in lenient mode the arguments end at the next ``\\nObservation:``, ``\\nThought:``
  or ``\\nAction:``.
* ``Action Input:`` is JSON. Lenient mode (the default) also accepts a Python dict literal (ToolEyes
  evaluates the input as Python; we read it with :mod:`ast` only), ignores prose after the value, and
  treats a missing ``Action Input:`` or an empty one as ``{}``.
  Strict mode (``parse_react(text, strict=True)``, for RoTBench's upstream scorer, research note §2.2):
  the whole remainder after ``Action Input:`` must be one strict JSON object - double quotes only, no raw
  control characters in strings, nothing after it (so a second Action block is a failure).
* ``Action: finish`` (or ``Finish``/``final_answer``) is a call named as written; ``final_answer`` is its
  ``answer`` (or ToolLLaMA's ``final_answer``) argument.
* No ``Action:`` at all: ``Final Answer: ...`` gives a final answer (Qwen-2 ReAct); otherwise the output is
  ``ParseFailure("no_call")`` - a ReAct agent must always act.
"""

from __future__ import annotations

from collections.abc import Sequence

from tlbench.parsers._literal import parse_literal
from tlbench.parsers._util import (
    Failed,
    fail,
    fast_decode,
    guarded,
    load_json,
    load_json_text,
    result_from_calls,
    scan_balanced,
)
from tlbench.types import ParseResult, ToolCall, ToolDoc

__all__ = ["parse_react"]

_ACTION = "Action:"
_INPUT = "Action Input:"
_FINAL = "Final Answer:"
_THOUGHT = "Thought:"
_ENDS = ("\nObservation:", "\nThought:", "\nAction:")


def _thought(text: str, end: int) -> str:
    """The reasoning before ``end``, without its ``Thought:`` label."""
    head = text[:end]
    at = head.find(_THOUGHT)
    return (head[at + len(_THOUGHT) :] if at >= 0 else head).strip()


def _lenient_args(region: str) -> dict[str, object]:
    """Arguments from the text after ``Action Input:``: JSON first, then a Python dict literal."""
    region = region.strip()
    if not region:
        return {}
    at = region.find("{")
    if at < 0:
        raise Failed("not_object", "Action Input is not an object", region)
    fast = fast_decode(region, at)
    if fast is not None and isinstance(fast[0], dict):
        return fast[0]
    errors: list[Failed] = []
    for python in (False, True):
        try:
            span = scan_balanced(region, at, python=python)
            piece = region[span.start : span.end]
            value = parse_literal(piece) if python else load_json_text(piece)
        except Failed as exc:
            errors.append(exc)
            continue
        if isinstance(value, dict):
            return value
        errors.append(Failed("not_object", "Action Input is not an object", region))
    # report the JSON attempt's reason: that is the format the prompt asks for
    raise errors[0]


@guarded()
def parse_react(text: str, docs: Sequence[ToolDoc] | None = None, *, strict: bool = False) -> ParseResult:
    """Parse a ReAct output (rules in the module docstring); ``docs`` is unused. Never raises."""
    del docs
    i_act = text.find(_ACTION)
    i_final = text.find(_FINAL)
    if i_act < 0 or 0 <= i_final < i_act:
        if i_final >= 0:
            return ParseResult(
                final_answer=text[i_final + len(_FINAL) :].strip(), thought=_thought(text, i_final)
            )
        return fail("no_call", "no 'Action:' and no 'Final Answer:'", text)
    name_start = i_act + len(_ACTION)
    i_in = text.find(_INPUT, name_start)
    line_end = text.find("\n", name_start)
    name_end = min(e for e in (line_end, i_in, len(text)) if e >= 0)
    name = text[name_start:name_end].strip().strip("`").strip()
    if not name:
        return fail("bad_name", "empty tool name after 'Action:'", text[i_act : i_act + 200])
    raw_end = len(text)
    if i_in < 0:
        if strict:
            return fail("no_action_input", "no 'Action Input:' after 'Action:'", text[i_act:])
        args: dict[str, object] = {}
    else:
        start = i_in + len(_INPUT)
        if strict:
            value = load_json(text[start:], strict=True)
            if not isinstance(value, dict):
                return fail("not_object", "Action Input is not a JSON object", text[start:])
            args = value
        else:
            ends = [e for e in (text.find(m, start) for m in _ENDS) if e >= 0]
            raw_end = min(ends) if ends else len(text)
            args = _lenient_args(text[start:raw_end])
    call = ToolCall(name=name, arguments=args, raw=text[i_act:raw_end].strip())
    return result_from_calls([call], thought=_thought(text, i_act))
