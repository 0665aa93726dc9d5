"""The ``openai`` format: a chat-completions assistant message, as a dict or as its JSON text.

::

    {"role": "assistant", "content": null,
     "tool_calls": [{"id": "c0", "type": "function",
                     "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]}

Also accepted: a whole completion response (``{"choices": [{"message": {...}}]}``) or one choice
(``{"message": {...}}``), and the legacy ``function_call`` field. ``arguments`` is a JSON string (or
already an object); a string that is not a JSON object is a ``ParseFailure``.

Rules (documented contract): with ``tool_calls`` the message's ``content`` is the thought; without them the
``content`` (a string, or a list of ``{"type": "text", "text": ...}`` parts) is the final answer, and a
message with neither is ``ParseFailure("no_call")``. Text that does not start with ``{`` is taken as the
content of a plain assistant message (a final answer); text that starts with ``{`` must decode.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tlbench.parsers._util import Failed, call_from_obj, guarded, load_json, result_from_calls
from tlbench.parsers.json_format import calls_from_tool_calls
from tlbench.types import ParseResult, ToolDoc, canonical_json

__all__ = ["parse_openai"]


def _content_text(content: Any) -> str | None:
    """The text of a message ``content``: a string, or the joined text parts of a list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text") for p in content if isinstance(p, dict)]
        return "".join(p for p in parts if isinstance(p, str))
    return None


def _message(obj: Any) -> Mapping[str, Any]:
    """Unwrap a completion response or a choice down to the message."""
    if isinstance(obj, Mapping) and isinstance(obj.get("choices"), list) and obj["choices"]:
        obj = obj["choices"][0]
    if isinstance(obj, Mapping) and isinstance(obj.get("message"), Mapping):
        obj = obj["message"]
    if not isinstance(obj, Mapping):
        raise Failed("not_object", f"expected a message object, got {type(obj).__name__}")
    return obj


@guarded(allow_mapping=True)
def parse_openai(text: str | Mapping[str, Any], docs: Sequence[ToolDoc] | None = None) -> ParseResult:
    """Parse an assistant message (module docstring); ``docs`` is unused. Never raises."""
    del docs
    if isinstance(text, str):
        body = text.strip()
        if not body.startswith("{"):
            return ParseResult(final_answer=body)
        msg = _message(load_json(body))
    else:
        msg = _message(text)
    content = _content_text(msg.get("content"))
    tool_calls = msg.get("tool_calls")
    if tool_calls:
        return result_from_calls(calls_from_tool_calls(tool_calls), thought=(content or "").strip())
    if isinstance(msg.get("function_call"), Mapping):
        fc = dict(msg["function_call"])
        return result_from_calls([call_from_obj(fc, canonical_json(fc))], thought=(content or "").strip())
    if content is not None and content.strip():
        return ParseResult(final_answer=content.strip())
    raise Failed("no_call", "the message has neither tool_calls nor content")
