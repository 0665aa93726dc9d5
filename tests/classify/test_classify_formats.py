"""Table-driven: every category, for every output format, through parse + classify + IRM reward.

Each case is a predicted call (or an unparsable text) rendered in each format by the small renderers below;
the verdict and reward must not depend on the format.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tlbench.classify import classify_output
from tlbench.reward import irm_reward
from tlbench.types import ErrorKind, ToolCall, ToolDoc, WrongToolKind

E = ErrorKind
FORMATS = ("react", "json", "python", "qwen", "llama3", "glm", "openai")

DOCS = (
    ToolDoc(
        name="get_weather",
        parameters={
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "days": {"type": "integer"},
                "unit": {"type": "string"},
            },
            "required": ["city"],
        },
        required=("city",),
    ),
    ToolDoc(
        name="get_weather_forecast",
        parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        required=("city",),
    ),
    ToolDoc(
        name="search_news",
        parameters={"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]},
        required=("query",),
    ),
)
GOLD = [[ToolCall("get_weather", {"city": "Paris", "days": 3})]]


def _py(value: Any) -> str:
    """A Python literal for a JSON value (what a model prints in call syntax)."""
    if isinstance(value, bool):
        return "True" if value else "False"
    if value is None:
        return "None"
    if isinstance(value, str | int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_py(v) for v in value) + "]"
    return "{" + ", ".join(f"{_py(k)}: {_py(v)}" for k, v in value.items()) + "}"


def render(call: ToolCall, fmt: str) -> str:
    """``call`` as a model would print it in ``fmt``."""
    args = dict(call.arguments)
    j = json.dumps(args)
    if fmt == "react":
        return f"Thought: I should call a tool.\nAction: {call.name}\nAction Input: {j}"
    if fmt == "json":
        return json.dumps({"name": call.name, "arguments": args})
    if fmt == "python":
        return f"{call.name}(" + ", ".join(f"{k}={_py(v)}" for k, v in args.items()) + ")"
    if fmt == "qwen":
        return "<tool_call>\n" + json.dumps({"name": call.name, "arguments": args}) + "\n</tool_call>"
    if fmt == "llama3":
        return json.dumps({"name": call.name, "parameters": args})
    if fmt == "glm":
        return f"{call.name}\n{j}"
    if fmt == "openai":
        fn = {"name": call.name, "arguments": j}
        return json.dumps(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"id": "c0", "type": "function", "function": fn}],
            }
        )
    raise AssertionError(fmt)


UNPARSABLE = {
    "react": 'Thought: x\nAction: get_weather\nAction Input: {"city": "Paris"',
    "json": '{"name": "get_weather", "arguments": {"city": "Paris"',
    "python": "get_weather(city='Paris'",
    "qwen": '<tool_call>\n{"name": "get_weather", "arguments": {"city": \n</tool_call>',
    "llama3": '{"name": "get_weather", "parameters": {"city": "Paris"',
    "glm": 'get_weather\n{"city": "Paris"',
    "openai": json.dumps(
        {
            "role": "assistant",
            "tool_calls": [
                {"type": "function", "function": {"name": "get_weather", "arguments": '{"city": '}}
            ],
        }
    ),
}


def C(name: str, **args: Any) -> ToolCall:
    return ToolCall(name=name, arguments=args)


# (label, call, kind, reward, extra check)
CASES: list[tuple[str, ToolCall, ErrorKind, float, dict[str, Any]]] = [
    ("correct", C("get_weather", city="Paris", days=3), E.CORRECT, 1.0, {}),
    ("tool hallucination", C("get_wether", city="Paris", days=3), E.TOOL_HALLUCINATION, -2.0, {}),
    (
        "wrong tool, first token",
        C("search_news", query="Paris"),
        E.WRONG_TOOL,
        -1.5,
        {"wrong_tool": WrongToolKind.FIRST_TOKEN},
    ),
    (
        "wrong tool, shared prefix",
        C("get_weather_forecast", city="Paris"),
        E.WRONG_TOOL,
        -1.5,
        {"wrong_tool": WrongToolKind.SHARED_PREFIX},
    ),
    (
        "parameter hallucination",
        C("get_weather", city="Paris", days=3, zz="1"),
        E.PARAMETER_HALLUCINATION,
        -0.8,
        {},
    ),
    (
        "redundant parameter",
        C("get_weather", city="Paris", days=3, unit="c"),
        E.REDUNDANT_PARAMETER,
        -0.5,
        {},
    ),
    ("missing parameter", C("get_weather", city="Paris"), E.MISSING_PARAMETER, -0.5, {}),
    ("hallucinated+missing", C("get_weather", city="Paris", zz="1"), E.PARAMETER_HALLUCINATION, -1.3, {}),
    ("all parameter issues", C("get_weather", unit="c", zz="1"), E.PARAMETER_HALLUCINATION, -1.8, {}),
    (
        "content error",
        C("get_weather", city="London", days=3),
        E.CONTENT_ERROR,
        -0.25,
        {"content_normalised_equal": False},
    ),
    (
        "content error, normalised equal",
        C("get_weather", city=" PARIS", days=3),
        E.CONTENT_ERROR,
        -0.25,
        {"content_normalised_equal": True},
    ),
    ("type mismatch", C("get_weather", city="Paris", days="3"), E.TYPE_MISMATCH, -0.25, {}),
]


def _classify(text: str, fmt: str, gold: Any = GOLD):
    return classify_output(text, fmt, DOCS, gold)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("label", "call", "kind", "reward", "extra"), CASES, ids=[c[0] for c in CASES])
def test_category_in_every_format(
    fmt: str, label: str, call: ToolCall, kind: ErrorKind, reward: float, extra: dict[str, Any]
) -> None:
    verdict = _classify(render(call, fmt), fmt)
    assert verdict.kind is kind, (fmt, verdict.to_dict())
    assert irm_reward(verdict) == reward
    for attr, value in extra.items():
        assert getattr(verdict.calls[0], attr) == value


@pytest.mark.parametrize("fmt", FORMATS)
def test_unparsable_in_every_format(fmt: str) -> None:
    verdict = _classify(UNPARSABLE[fmt], fmt)
    assert verdict.kind is E.UNPARSABLE
    assert irm_reward(verdict) == -2.0


@pytest.mark.parametrize("fmt", FORMATS)
def test_doc_only_type_mismatch_in_every_format(fmt: str) -> None:
    verdict = _classify(render(C("get_weather", city="Paris", days="soon"), fmt), fmt, gold=None)
    assert verdict.kind is E.TYPE_MISMATCH
    assert verdict.calls[0].mismatched_params == ("days",)
