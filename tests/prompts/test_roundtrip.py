"""Every prompt format renders, and its own rendering of a gold call round-trips through its parser."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tlbench.backends.base import truncate_at_stop
from tlbench.parsers import parse
from tlbench.prompts import PROMPT_FORMATS, format_call, get_format, native_tools, parser_for, render
from tlbench.types import ToolCall, ToolDoc

DOCS = (
    ToolDoc(
        name="get_weather",
        description="Current weather for a city.",
        parameters={
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name"},
                "days": {"type": "integer", "description": "Forecast days"},
                "metric": {"type": "boolean"},
                "tags": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["city"],
        },
        required=("city",),
    ),
    ToolDoc(
        name="search_news",
        description="Search news.",
        parameters={"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]},
        required=("query",),
    ),
)

CALLS = [
    ToolCall("get_weather", {"city": "Paris"}),
    ToolCall("get_weather", {"city": 'São Paulo "centre"', "days": 3, "metric": True, "tags": ["a", "b"]}),
    ToolCall("search_news", {"query": "it's 50% off: {sale}\nnow"}),
]
TEXT_FORMATS = [n for n in PROMPT_FORMATS.names() if n not in ("openai", "chat-template")]
USER = {"role": "user", "content": "What is the weather in Paris?"}


def _same(parsed: ToolCall, gold: ToolCall) -> bool:
    return parsed.name == gold.name and dict(parsed.arguments) == dict(gold.arguments)


def _continuation(fmt: str, call: ToolCall, tokenizer: Any = None) -> str:
    """What the model would have to generate: full rendering minus the generation prompt."""
    assistant = {"role": "assistant", "content": "I should look it up.", "tool_calls": [call]}
    prompt = render(fmt, [USER], DOCS, tokenizer=tokenizer)
    full = render(fmt, [USER, assistant], DOCS, tokenizer=tokenizer, add_generation_prompt=False)
    assert isinstance(prompt, str) and isinstance(full, str)
    assert full.startswith(prompt), f"{fmt}: the rendered turn does not continue the prompt"
    pf = get_format(fmt)
    text, _ = truncate_at_stop(full[len(prompt) :], pf.stop + pf.eos)
    return text


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
@pytest.mark.parametrize("call", CALLS, ids=["simple", "typed", "quotes"])
def test_rendered_assistant_turn_parses_back_to_the_call(fmt: str, call: ToolCall) -> None:
    text = _continuation(fmt, call)
    result = parse(text, parser_for(fmt), DOCS)
    assert result.ok, (fmt, text, result.failure)
    assert len(result.calls) == 1 and _same(result.calls[0], call), (fmt, text, result.calls)


@pytest.mark.parametrize("fmt", PROMPT_FORMATS.names())
@pytest.mark.parametrize("call", CALLS, ids=["simple", "typed", "quotes"])
def test_format_call_parses_back(fmt: str, call: ToolCall, qwen_like_tokenizer: Any) -> None:
    text = format_call(fmt, call, "thinking", tokenizer=qwen_like_tokenizer)
    result = parse(text, parser_for(fmt, qwen_like_tokenizer), DOCS)
    assert result.ok and len(result.calls) == 1 and _same(result.calls[0], call), (fmt, text, result)


def test_openai_format_renders_messages_and_native_tools() -> None:
    call = CALLS[1]
    msgs = render(
        "openai",
        [USER, {"role": "assistant", "tool_calls": [call]}, {"role": "tool", "content": "20C"}],
        DOCS,
    )
    assert isinstance(msgs, list)
    assert [m["role"] for m in msgs] == ["user", "assistant", "tool"]  # no system message of our own
    assert msgs[2]["tool_call_id"] == msgs[1]["tool_calls"][0]["id"]
    result = parse(json.dumps(msgs[1]), "openai", DOCS)
    assert result.ok and _same(result.calls[0], call)
    tools = native_tools("openai", DOCS)
    assert tools and tools[0]["function"]["name"] == "get_weather"
    assert native_tools("qwen25", DOCS) is None


@pytest.mark.parametrize("call", CALLS, ids=["simple", "typed", "quotes"])
def test_chat_template_renders_through_the_tokenizer_and_round_trips(
    call: ToolCall, qwen_like_tokenizer: Any
) -> None:
    prompt = render("chat-template", [USER], DOCS, tokenizer=qwen_like_tokenizer)
    assert isinstance(prompt, str) and "<tools>" in prompt and prompt.endswith("<|im_start|>assistant\n")
    text = _continuation("chat-template", call, qwen_like_tokenizer)
    assert parser_for("chat-template", qwen_like_tokenizer) == "qwen"
    result = parse(text, "qwen", DOCS)
    assert result.ok and _same(result.calls[0], call), (text, result)


def test_chat_template_without_tokenizer_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="tokenizer"):
        render("chat-template", [USER], DOCS)


@pytest.mark.parametrize("fmt", PROMPT_FORMATS.names())
def test_every_format_lists_the_tools_and_the_query(fmt: str, qwen_like_tokenizer: Any) -> None:
    out = render(fmt, [USER], DOCS, tokenizer=qwen_like_tokenizer)
    text = out if isinstance(out, str) else json.dumps(out) + json.dumps(native_tools(fmt, DOCS))
    assert "get_weather" in text and "search_news" in text and "What is the weather in Paris?" in text
