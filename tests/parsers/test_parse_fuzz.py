"""Property tests: every parser, any input -> a ParseResult, never an exception, never "internal_error".

Example budget (hypothesis ``max_examples``, all formats drawn inside each test):

=====================================  ========
strategy                                examples
=====================================  ========
random unicode text                        3,000
structural token soup (adversarial)        4,000
valid calls round-trip (7 formats)         1,400
adversarial patterns repeated (<=64 KB)      800
openai message dicts (random shapes)         800
=====================================  ========
total                                     10,000

The 1 MB inputs live in ``test_parse_linear.py`` (deterministic, timed).
"""

from __future__ import annotations

import json
import keyword
import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tlbench.parsers import FORMATS, parse
from tlbench.types import ParseResult, ToolCall, ToolDoc, canonical_json

DOCS = [ToolDoc("f", parameters={"type": "object", "properties": {"a": {}, "b": {}}})]
FMT = st.sampled_from(FORMATS)
FAST = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow], "database": None}


def check(result: object) -> ParseResult:
    """The invariants every parse result must satisfy."""
    assert isinstance(result, ParseResult)
    if result.failure is not None:
        assert result.failure.reason != "internal_error", result.failure
        assert not result.calls and result.final_answer is None
        assert isinstance(result.failure.reason, str) and result.failure.reason
    else:
        assert result.calls or result.final_answer is not None
    for call in result.calls:
        assert isinstance(call, ToolCall)
        assert isinstance(call.name, str) and call.name
        assert isinstance(call.arguments, dict)
        assert all(isinstance(k, str) for k in call.arguments)
        canonical_json(call.arguments)  # JSON-shaped values only
    json.dumps(result.to_dict(), default=str)
    return result


TOKENS = [
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    '"',
    "'",
    "\\",
    ":",
    ",",
    ";",
    "=",
    " ",
    "\n",
    "\x00",
    "\u2028",
    "Action:",
    "Action Input:",
    "Thought:",
    "Final Answer:",
    "Observation:",
    "\nAction: f\nAction Input: ",
    "<tool_call>",
    "</tool_call>",
    "<|python_tag|>",
    "<|eom_id|>",
    "```",
    "```json\n",
    "Call: ",
    '"name"',
    '"arguments"',
    '"parameters"',
    '"function"',
    '"tool_calls"',
    '"content"',
    '"answer"',
    '{"name": "f", "arguments": ',
    '{"a": 1}',
    "f(",
    "f(a=",
    "math.sqrt(",
    "finish",
    "finish(answer=",
    "__import__('os').system('ls')",
    "eval(",
    "lambda x: x",
    "1e999",
    "-",
    "+",
    "**",
    "9**9**9",
    "1/0",
    "9" * 5000,
    "NaN",
    "Infinity",
    "true",
    "null",
    "None",
    "True",
    "'''",
    '"""',
    "\\u0000",
    "\\ud800",
    "\u00e9",
    "\U0001f600",
    "\r\n",
    "\t",
    "b'x'",
    "{1, 2}",
    "**kw",
    "*args",
    "x = ",
    "[f(a=1), g(b=2)]",
]
soup = st.lists(st.sampled_from(TOKENS) | st.text(max_size=5), max_size=60).map("".join)


@settings(max_examples=3000, **FAST)
@given(text=st.text(max_size=300), fmt=FMT)
def test_random_text(text: str, fmt: str) -> None:
    check(parse(text, fmt, DOCS))


@settings(max_examples=4000, **FAST)
@given(text=soup, fmt=FMT)
def test_token_soup(text: str, fmt: str) -> None:
    check(parse(text, fmt, DOCS))


json_scalar = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_value = st.recursive(
    json_scalar,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
identifier = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True).filter(
    lambda s: s not in {"finish", "true", "false", "null"} and not keyword.iskeyword(s)
)
kwname = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True).filter(lambda s: not keyword.iskeyword(s))


def _py(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_py(k)}: {_py(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_py(v) for v in value) + "]"
    return repr(value)


def render(name: str, args: dict[str, Any], fmt: str) -> Any:
    j = json.dumps(args)
    if fmt == "react":
        return f"Thought: t\nAction: {name}\nAction Input: {j}"
    if fmt == "json":
        return json.dumps({"name": name, "arguments": args})
    if fmt == "python":
        return f"{name}(" + ", ".join(f"{k}={_py(v)}" for k, v in args.items()) + ")"
    if fmt == "qwen":
        return "<tool_call>\n" + json.dumps({"name": name, "arguments": args}) + "\n</tool_call>"
    if fmt == "llama3":
        return json.dumps({"name": name, "parameters": args})
    if fmt == "glm":
        return f"{name}\n{j}"
    return {
        "role": "assistant",
        "tool_calls": [{"type": "function", "function": {"name": name, "arguments": j}}],
    }


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


@settings(max_examples=1400, **FAST)
@given(name=identifier, args=st.dictionaries(kwname, json_value, max_size=4), fmt=FMT)
def test_valid_calls_round_trip(name: str, args: dict[str, Any], fmt: str) -> None:
    r = check(parse(render(name, args, fmt), fmt, DOCS))
    assert r.ok, (fmt, r.failure)
    assert [c.name for c in r.calls] == [name]
    assert _same(dict(r.calls[0].arguments), args), (fmt, dict(r.calls[0].arguments), args)


ADVERSARIAL = [
    "{",
    "[",
    "(",
    '"',
    "'",
    "\\",
    '{"a": "',
    "f(a=",
    "[f(a=1),",
    "<tool_call>",
    "<tool_call>{",
    "Action:",
    "Action: f\nAction Input: {",
    "\x00",
    "9",
    "1+",
    "-",
    "**",
    "{}",
    "[]",
    '{"name": 1}',
    "__import__('os').system('x');",
    "{'a': ",
    "```",
    "Call: ",
    "\n",
    '"\\',
    "\\u",
]


@settings(max_examples=800, **FAST)
@given(
    prefix=st.sampled_from(
        ["", "f(a=", '{"name": "f", "arguments": ', "Action: f\nAction Input: ", "f\n", "<tool_call>"]
    ),
    unit=st.sampled_from(ADVERSARIAL),
    times=st.integers(min_value=1, max_value=16_000),
    suffix=st.sampled_from(["", ")", "}", "]", '"', "</tool_call>"]),
    fmt=FMT,
)
def test_adversarial_repeats(prefix: str, unit: str, times: int, suffix: str, fmt: str) -> None:
    check(parse(prefix + unit * times + suffix, fmt, DOCS))


message = st.recursive(
    json_value,
    lambda inner: (
        st.dictionaries(
            st.sampled_from(
                [
                    "role",
                    "content",
                    "tool_calls",
                    "function",
                    "name",
                    "arguments",
                    "choices",
                    "message",
                    "function_call",
                    "type",
                    "text",
                ]
            ),
            inner,
            max_size=5,
        )
        | st.lists(inner, max_size=3)
    ),
    max_leaves=15,
)


@settings(max_examples=800, **FAST)
@given(msg=message)
def test_openai_any_message_object(msg: Any) -> None:
    check(parse(msg, "openai"))
    check(parse(json.dumps(msg), "openai"))
