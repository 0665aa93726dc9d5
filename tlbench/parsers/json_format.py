"""The ``json`` and ``llama3`` formats: tool calls as JSON objects inside (or instead of) prose.

``json`` (OpenAI function-call style)::

    {"name": "get_weather", "arguments": {"city": "Paris"}}          arguments may be a JSON string
    [{"name": "f", "arguments": {...}}, {"name": "g", ...}]           several calls
    {"function": {"name": "f", "arguments": "{...}"}}                 OpenAI nesting
    {"tool_calls": [{"type": "function", "function": {...}}]}         a whole assistant message
    ```json ... ```  or prose around it                              the first call-shaped value is read

``llama3`` (Llama-3.1 JSON tool calling)::

    <|python_tag|>{"name": "get_weather", "parameters": {"city": "Paris"}}
    {"name": "f", "parameters": {...}}; {"name": "g", "parameters": {...}}   every call-shaped value is read

Rules (documented contract): values are found with the linear scanner of :mod:`tlbench.parsers._util`
(first ``{``/``[``, balanced, then ``json.loads``). ``json`` reads the first call-shaped value only;
``llama3`` reads all of them, in order. Output with no call-shaped value is a final answer (a plain
assistant message) unless it is a call attempt - it starts with ``{``, ``[`` or a fence, or mentions
``"name"`` - in which case it is a ``ParseFailure`` (``bad_json``, ``unterminated``, ``not_call`` ...).
A ``finish`` call sets ``final_answer`` from its ``answer`` argument.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tlbench.parsers._util import (
    Failed,
    call_from_obj,
    guarded,
    iter_json_values,
    looks_like_call,
    result_from_calls,
)
from tlbench.types import ParseResult, ToolCall, ToolDoc, canonical_json

__all__ = ["parse_json", "parse_llama3", "calls_from_tool_calls"]

_LLAMA_PREFIX = "<|python_tag|>"
_LLAMA_SUFFIXES = ("<|eom_id|>", "<|eot_id|>")


def calls_from_tool_calls(items: Any) -> list[ToolCall]:
    """Calls from an OpenAI ``tool_calls`` list (``[{"type": "function", "function": {...}}]``).

    Each call's ``raw`` is the canonical JSON of its entry.
    """
    if not isinstance(items, list):
        raise Failed("not_call", "'tool_calls' must be a list")
    calls = []
    for item in items:
        if not isinstance(item, Mapping):
            raise Failed("not_call", "a tool_calls entry must be an object")
        fn = item.get("function", item)
        calls.append(call_from_obj(fn, canonical_json(item)))
    return calls


def _calls_of(value: Any, raw: str, keys: Sequence[str]) -> list[ToolCall] | None:
    """The calls a decoded value holds, or None when it is not call-shaped (plain data)."""
    if isinstance(value, dict):
        if looks_like_call(value):
            return [call_from_obj(value, raw, keys)]
        if "tool_calls" in value:
            return calls_from_tool_calls(value["tool_calls"])
        return None
    if isinstance(value, list) and value and all(looks_like_call(v) for v in value):
        return [call_from_obj(v, raw, keys) for v in value]
    return None


def _is_attempt(text: str) -> bool:
    """Whether prose without a decodable call was nonetheless trying to print one."""
    head = text.lstrip()[:1]
    return head in ("{", "[") or text.lstrip().startswith("```") or '"name"' in text


def _json_calls(text: str, keys: Sequence[str], take_all: bool) -> ParseResult:
    calls: list[ToolCall] = []
    first_error: Failed | None = None
    thought_end: int | None = None
    values = iter_json_values(text)
    while True:
        try:
            value, span, error = next(values)
        except StopIteration:
            break
        except Failed:  # unterminated / too deep / mismatched: the rest of the text is unusable
            if not calls and not _is_attempt(text):
                break  # prose with a stray bracket: a final answer
            raise  # a truncated call (also after complete ones: the output is cut off)
        if error is not None:
            first_error = first_error or error
            continue
        found = _calls_of(value, text[span.start : span.end], keys)  # a bad call object raises Failed
        if found is None:
            continue
        if thought_end is None:
            thought_end = span.start
        calls.extend(found)
        if not take_all:
            break
    if calls:
        thought = text[: thought_end or 0].strip().removesuffix("```json").removesuffix("```").strip()
        return result_from_calls(calls, thought)
    if _is_attempt(text):
        if first_error is not None:
            raise first_error
        raise Failed("not_call", "JSON found, but no call object with a 'name'", text)
    return ParseResult(final_answer=text.strip())


@guarded()
def parse_json(text: str, docs: Sequence[ToolDoc] | None = None) -> ParseResult:
    """Parse the ``json`` format (module docstring); ``docs`` is unused. Never raises."""
    del docs
    return _json_calls(text, ("arguments", "parameters"), take_all=False)


@guarded()
def parse_llama3(text: str, docs: Sequence[ToolDoc] | None = None) -> ParseResult:
    """Parse the ``llama3`` format (module docstring); ``docs`` is unused. Never raises."""
    del docs
    body = text.strip()
    if body.startswith(_LLAMA_PREFIX):
        body = body[len(_LLAMA_PREFIX) :]
    for suffix in _LLAMA_SUFFIXES:
        body = body.removesuffix(suffix)
    if not body.strip():
        return ParseResult(failure=Failed("empty", "nothing after <|python_tag|>").failure)
    return _json_calls(body, ("parameters", "arguments"), take_all=True)
