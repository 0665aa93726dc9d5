"""The ``qwen`` format: Qwen-2.5 / Hermes-style ``<tool_call>`` blocks, one or many.

::

    I will look it up.
    <tool_call>
    {"name": "get_weather", "arguments": {"city": "Paris"}}
    </tool_call>

Rules (documented contract): every ``<tool_call>`` block holds one JSON call object (``arguments`` may
also be spelled ``parameters`` or be a JSON string). A block ends at ``</tool_call>``, at the next
``<tool_call>``, or at the end of the output (an unterminated last block is tolerated when its JSON is
complete). Any bad block fails the whole output (a half-understood turn is not a turn). Text before the
first block is the thought. No block at all: the output is a final answer (a plain assistant message).
A ``finish`` call sets ``final_answer`` from its ``answer`` argument.
"""

from __future__ import annotations

from collections.abc import Sequence

from tlbench.parsers._util import Failed, call_from_obj, guarded, load_json, result_from_calls
from tlbench.types import ParseResult, ToolCall, ToolDoc

__all__ = ["parse_qwen"]

_OPEN = "<tool_call>"
_CLOSE = "</tool_call>"


@guarded()
def parse_qwen(text: str, docs: Sequence[ToolDoc] | None = None) -> ParseResult:
    """Parse ``<tool_call>`` blocks (module docstring); ``docs`` is unused. Never raises."""
    del docs
    first = text.find(_OPEN)
    if first < 0:
        return ParseResult(final_answer=text.strip())
    calls: list[ToolCall] = []
    # next-open / next-close positions are cached so every character is searched at most once per tag
    next_open = first
    next_close = text.find(_CLOSE, first)
    while next_open >= 0:
        start = next_open + len(_OPEN)
        next_open = text.find(_OPEN, start)
        if 0 <= next_close < start:
            next_close = text.find(_CLOSE, start)
        ends = [e for e in (next_open, next_close) if e >= 0]
        end = min(ends) if ends else len(text)
        block = text[start:end].strip()
        if not block:
            raise Failed("empty", "empty <tool_call> block", text[start - len(_OPEN) : end])
        calls.append(call_from_obj(load_json(block), block))
    return result_from_calls(calls, thought=text[:first].strip())
