"""``chat-template``: the model's own tokenizer template, ``tokenizer.apply_chat_template(tools=...)``.

Use it for models whose template knows tools (Qwen2.5, Llama-3.1, Mistral, Hermes, ...). Messages are
passed in the Hugging Face tool-use convention (assistant ``tool_calls`` with ``arguments`` as a dict,
``tool`` role results). The paired parser is guessed from the template text: ``<tool_call>`` -> ``qwen``,
``<|python_tag|>``/``ipython`` -> ``llama3``, ``<|observation|>`` -> ``glm``, otherwise ``json``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from typing import Any

from tlbench import jsonio
from tlbench.prompts.base import Msg, PromptFormat, openai_tool
from tlbench.prompts.qwen25 import qwen_call
from tlbench.types import ToolCall, ToolDoc

__all__ = [
    "CHAT_TEMPLATE",
    "render_with_tokenizer",
    "template_parser",
    "template_call",
    "template_ignores_tools",
]


def _template_text(tokenizer: Any) -> str:
    t = getattr(tokenizer, "chat_template", None)
    if isinstance(t, dict):
        t = t.get("tool_use") or t.get("default") or next(iter(t.values()), "")
    return t if isinstance(t, str) else ""


def template_parser(tokenizer: Any) -> str:
    """The parser that reads what this template makes the model print."""
    t = _template_text(tokenizer)
    if "<tool_call>" in t:
        return "qwen"
    if "<|python_tag|>" in t or "ipython" in t:
        return "llama3"
    if "<|observation|>" in t:
        return "glm"
    return "json"


def template_call(tokenizer: Any, call: ToolCall, thought: str = "") -> str:
    """How a model with this template prints one call (matching :func:`template_parser`)."""
    parser = template_parser(tokenizer)
    if parser == "qwen":
        return qwen_call(call, thought)
    if parser == "llama3":
        return jsonio.dumps({"name": call.name, "parameters": dict(call.arguments)})
    if parser == "glm":
        return f"{call.name}\n{jsonio.dumps(dict(call.arguments))}"
    return jsonio.dumps({"name": call.name, "arguments": dict(call.arguments)})


def hf_messages(msgs: Sequence[Msg]) -> list[dict[str, Any]]:
    """Messages in the Hugging Face tool-use convention."""
    out: list[dict[str, Any]] = []
    for m in msgs:
        if m.role == "assistant" and m.calls:
            calls = [
                {"type": "function", "function": {"name": c.name, "arguments": dict(c.arguments)}}
                for c in m.calls
            ]
            out.append({"role": "assistant", "content": m.content, "tool_calls": calls})
        else:
            out.append({"role": m.role, "content": m.content})
    return out


def render_with_tokenizer(
    tokenizer: Any, msgs: Sequence[Msg], tools: Sequence[ToolDoc], add_generation_prompt: bool
) -> str:
    """``apply_chat_template`` (text, not ids) with the tools as OpenAI-style function schemas."""
    if tokenizer is None or not _template_text(tokenizer):
        raise ValueError("prompt format 'chat-template' needs a tokenizer that has a chat template")
    kwargs: dict[str, Any] = {"tokenize": False, "add_generation_prompt": add_generation_prompt}
    if tools:
        kwargs["tools"] = [openai_tool(d) for d in tools]
    return str(tokenizer.apply_chat_template(hf_messages(msgs), **kwargs))


_PROBE_TOOL = {
    "type": "function",
    "function": {
        "name": "tlbench_probe_lookup",
        "description": "Look up a word.",
        "parameters": {"type": "object", "properties": {"word": {"type": "string"}}, "required": ["word"]},
    },
}


def template_ignores_tools(tokenizer: Any) -> bool | None:
    """Whether this tokenizer's chat template drops ``tools``: a one-message conversation is rendered with
    and without one probe function; the template ignores tools when both renderings are the same or the
    function's name is nowhere in the one with tools. None when the template cannot render at all.

    Why: the ``openai`` and ``chat-template`` formats leave the function docs to the template, and a
    template without tool support (SmolLM2's) renders the conversation as if there were none.
    """
    if tokenizer is None or not _template_text(tokenizer):
        return None
    messages = [{"role": "user", "content": "Look up the word 'tool'."}]
    kwargs: dict[str, Any] = {"tokenize": False, "add_generation_prompt": True}
    try:
        plain = str(tokenizer.apply_chat_template(messages, **kwargs))
        with_tools = str(tokenizer.apply_chat_template(messages, tools=[_PROBE_TOOL], **kwargs))
    except Exception:  # noqa: BLE001 - a template that cannot render this is reported as unknown
        return None
    return with_tools == plain or _PROBE_TOOL["function"]["name"] not in with_tools


def _no_tokenizer(msgs: Sequence[Msg], tools: Sequence[ToolDoc], add_generation_prompt: bool) -> str:
    return render_with_tokenizer(None, msgs, tools, add_generation_prompt)  # raises: needs a tokenizer


def _for_tokenizer(tokenizer: Any) -> PromptFormat:
    """``chat-template`` bound to ``tokenizer``: its template renders, and its text picks the call syntax
    and the parser (:func:`template_parser`)."""
    return replace(
        CHAT_TEMPLATE,
        parser=template_parser(tokenizer),
        render=partial(render_with_tokenizer, tokenizer),
        call=partial(template_call, tokenizer),
        for_tokenizer=None,
    )


CHAT_TEMPLATE = PromptFormat(
    name="chat-template",
    parser="json",  # replaced per tokenizer by template_parser() (see _for_tokenizer)
    family="the tokenizer's own chat template (apply_chat_template(tools=...))",
    render=_no_tokenizer,
    call=qwen_call,
    for_tokenizer=_for_tokenizer,
)
