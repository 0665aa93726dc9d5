"""Gold answers read from their many upstream shapes into alternatives of parallel calls
(:func:`gold_alternatives`), the form :func:`tlbench.classify.classify` takes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tlbench import jsonio
from tlbench.types import ToolCall, ToolDoc

__all__ = ["gold_alternatives"]


def _call_from_any(value: Any) -> ToolCall | None:
    """A gold call from ``{"name", "arguments"|"parameters"}``, ToolAlpaca's ``{"Action", "Action_Input"}`` or a
    ToolCall; None when the value is not one."""
    if isinstance(value, ToolCall):
        return value
    if not isinstance(value, Mapping):
        return None
    if "Action" in value:
        value = {"name": value.get("Action"), "arguments": value.get("Action_Input") or {}}
    inner = value.get("function")
    if isinstance(inner, Mapping) and "name" in inner:  # OpenAI tool_calls entry
        value = inner
    name = value.get("name")
    if not isinstance(name, str):
        return None
    args = value.get("arguments", value.get("parameters", {}))
    if isinstance(args, str):
        try:
            args = jsonio.parse(args) if args.strip() else {}
        except ValueError:
            return None
    if not isinstance(args, Mapping):
        return None
    return ToolCall(name=name, arguments=dict(args))


def gold_alternatives(
    value: Any, fmt: str | None = None, docs: Sequence[ToolDoc] = ()
) -> list[list[ToolCall]] | None:
    """Normalise a loose gold value into alternatives (each a list of parallel calls), or None when absent.

    Accepted: a call dict / ToolCall (one alternative of one call); a list of calls (alternatives, each one
    call: RoTBench's answer lists); a list of lists (alternatives of parallel calls); a JSON string of any of
    these; and, when ``fmt`` is given, gold *text* in the model's output format (``"Action: f\nAction Input:
    {...}"``, ``"f(a='x')"``), or a list of such texts, parsed with the same parser as the predictions.
    Raises ValueError for a value it cannot read.
    """
    if value is None:
        return None
    if isinstance(value, str):
        s = value.strip()
        if s[:1] in "[{":
            try:
                return gold_alternatives(jsonio.parse(s), fmt, docs)
            except ValueError:
                pass
        return [_gold_text(s, fmt, docs)]
    call = _call_from_any(value)
    if call is not None:
        return [[call]]
    if isinstance(value, Mapping):
        raise ValueError("gold call needs a string 'name' and object 'arguments'")
    if not isinstance(value, Sequence):
        raise ValueError(
            f"gold must be a call, a list of calls or a list of lists, not {type(value).__name__}"
        )
    alts: list[list[ToolCall]] = []
    for entry in value:
        one = _call_from_any(entry)
        if one is not None:
            alts.append([one])
        elif isinstance(entry, str):
            alts.append(_gold_text(entry, fmt, docs))
        elif isinstance(entry, Sequence) and not isinstance(entry, bytes):
            calls = [_call_from_any(c) for c in entry]
            if any(c is None for c in calls):
                raise ValueError("every call of a gold alternative needs 'name' and 'arguments'")
            alts.append([c for c in calls if c is not None])
        else:
            raise ValueError("gold entries must be calls or lists of calls")
    return alts


def _gold_text(text: str, fmt: str | None, docs: Sequence[ToolDoc]) -> list[ToolCall]:
    if fmt is None:
        raise ValueError("gold given as text needs a format to parse it")
    from tlbench.parsers import parse

    result = parse(text, fmt, list(docs))
    if not result.ok:
        raise ValueError(f"gold text does not parse as {fmt}: {result.failure}")
    return list(result.calls)
