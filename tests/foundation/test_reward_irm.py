"""IRM reward values equal the paper's table exactly, for single calls, combos and turns."""

from __future__ import annotations

import json

import pytest

from tlbench.classify import classify
from tlbench.reward import (
    PARAMETER_REWARDS,
    call_reward,
    completion_text,
    irm_reward,
    irm_reward_fn,
    openrlhf_reward_func,
    verl_compute_score,
)
from tlbench.types import CallVerdict, ErrorKind, ParseFailure, ParseResult, ToolCall, ToolDoc, Verdict

E = ErrorKind

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
    ToolDoc(name="search_news", parameters={"type": "object", "properties": {"q": {"type": "string"}}}),
)
GOLD = [[ToolCall("get_weather", {"city": "Paris", "days": 3})]]


def C(name: str, **args) -> ToolCall:
    return ToolCall(name=name, arguments=args)


CASES = [
    ("correct", [C("get_weather", city="Paris", days=3)], 1.0),
    ("tool hallucination", [C("get_wether", city="Paris", days=3)], -2.0),
    ("wrong tool", [C("search_news", q="Paris")], -1.5),
    ("hallucinated", [C("get_weather", city="Paris", days=3, zz=1)], -0.8),
    ("redundant", [C("get_weather", city="Paris", days=3, unit="c")], -0.5),
    ("missing", [C("get_weather", city="Paris")], -0.5),
    ("hallucinated+redundant", [C("get_weather", city="Paris", days=3, zz=1, unit="c")], -1.3),
    ("hallucinated+missing", [C("get_weather", city="Paris", zz=1)], -1.3),
    ("redundant+missing", [C("get_weather", city="Paris", unit="c")], -1.0),
    ("all three", [C("get_weather", city="Paris", unit="c", zz=1)], -1.8),
    ("content", [C("get_weather", city="Rome", days=3)], -0.25),
    ("content + param issue: param decides", [C("get_weather", city="Rome")], -0.5),
    ("type mismatch = content", [C("get_weather", city="Paris", days="3")], -0.25),
    ("parallel: worst call", [C("get_weather", city="Paris", days=3), C("get_wether")], -2.0),
]


@pytest.mark.parametrize(("label", "calls", "reward"), CASES, ids=[c[0] for c in CASES])
def test_reward_table(label: str, calls: list[ToolCall], reward: float) -> None:
    assert irm_reward(classify(calls, DOCS, GOLD)) == reward


def test_unparsable_is_minus_two() -> None:
    assert irm_reward(classify(ParseResult(failure=ParseFailure("no_call")), DOCS, GOLD)) == -2.0


def test_indicator_sum_is_exact() -> None:
    for (h, r, m), value in PARAMETER_REWARDS.items():
        assert value == round(-0.8 * h - 0.5 * r - 0.5 * m, 10)
    assert sorted(set(PARAMETER_REWARDS.values())) == [-1.8, -1.3, -1.0, -0.8, -0.5]


def test_headline_only_verdicts_and_execution_kinds() -> None:
    expected = {
        E.CORRECT: 1.0,
        E.UNPARSABLE: -2.0,
        E.TOOL_HALLUCINATION: -2.0,
        E.WRONG_TOOL: -1.5,
        E.PARAMETER_HALLUCINATION: -0.8,
        E.MISSING_PARAMETER: -0.5,
        E.REDUNDANT_PARAMETER: -0.5,
        E.TYPE_MISMATCH: -0.25,
        E.CONTENT_ERROR: -0.25,
        E.TOOL_CALL_FAILURE: -0.25,
        E.TOOL_INSTABILITY: 0.0,
        E.OTHER: 0.0,
    }
    for kind, value in expected.items():
        assert irm_reward(Verdict(kind=kind)) == value
        assert call_reward(CallVerdict(call=None, kinds=(kind,) if kind.is_error else ())) == value


def test_doc_only_rewards_without_gold() -> None:
    assert irm_reward(classify([C("get_weather", city="x")], DOCS)) == 1.0
    assert irm_reward(classify([C("get_weather")], DOCS)) == -0.5
    assert irm_reward(classify([C("nope")], DOCS)) == -2.0


# ----------------------------------------------------------------------------------- trl reward fn


class _FakeParse:
    """Stands in for tlbench.parsers.parse: reads ``name|{json}`` so the reward fn is testable alone."""

    def __call__(self, text, fmt, docs=None):
        if not isinstance(text, str) or "|" not in text:
            return ParseResult(failure=ParseFailure("no_call"))
        name, _, args = text.partition("|")
        try:
            return ParseResult(calls=(ToolCall(name, json.loads(args)),))
        except ValueError:
            return ParseResult(failure=ParseFailure("bad_json"))


@pytest.fixture()
def fake_parse(monkeypatch):
    import tlbench.parsers

    monkeypatch.setattr(tlbench.parsers, "parse", _FakeParse())


def test_reward_fn_columns_and_completion_shapes(fake_parse) -> None:
    tools = [d.to_dict() for d in DOCS]
    gold = [{"name": "get_weather", "arguments": {"city": "Paris", "days": 3}}]
    completions = [
        'get_weather|{"city": "Paris", "days": 3}',
        [{"role": "assistant", "content": 'get_weather|{"city": "Paris"}'}],
        "garbage",
        'get_weather|{"city": "Rome", "days": 3}',
    ]
    rewards = irm_reward_fn(
        ["p"] * 4,
        completions,
        tools=[json.dumps(tools), tools, tools, tools],
        gold=[json.dumps(gold), gold, gold, gold],
        format="glm",
    )
    assert rewards == [1.0, -0.5, -2.0, -0.25]


def test_reward_fn_matches_plain_reward(fake_parse) -> None:
    text = 'get_weather|{"city": "Paris", "zz": 1}'
    import tlbench.parsers

    verdict = classify(tlbench.parsers.parse(text, "glm", DOCS), DOCS, GOLD)
    got = irm_reward_fn(None, [text], tools=[[d.to_dict() for d in DOCS]], gold=[GOLD[0][0].to_dict()])
    assert got == [irm_reward(verdict)] == [-1.3]


def test_reward_fn_tolerates_bad_columns(fake_parse) -> None:
    rewards = irm_reward_fn(
        None, ['get_weather|{"city": "x"}'] * 3, tools=["not json", None, 3], gold=["{broken", None, 7]
    )
    assert rewards == [-2.0, -2.0, -2.0]  # no readable docs: the call is a hallucination


def test_completion_text() -> None:
    assert completion_text("x") == "x"
    assert completion_text([{"role": "user", "content": "u"}, {"role": "assistant", "content": "a"}]) == "a"
    assert completion_text([{"role": "assistant", "content": [{"type": "text", "text": "t"}]}]) == "t"
    msg = {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"function": {"name": "f", "arguments": "{}"}}],
    }
    assert completion_text([msg]) == msg
    assert completion_text([]) == ""


def test_verl_and_openrlhf_wrappers(fake_parse) -> None:
    tools = [d.to_dict() for d in DOCS]
    gold = json.dumps([{"name": "get_weather", "arguments": {"city": "Paris", "days": 3}}])
    text = 'get_weather|{"city": "Paris"}'
    assert verl_compute_score("tlbench", text, gold, {"tools": tools, "format": "glm"}) == -0.5
    label = json.dumps({"tools": tools, "gold": gold, "format": "glm"})
    out = openrlhf_reward_func(["P:" + text, "P:garbage"], ["P:", "P:"], [label, label])
    assert out.tolist() == [-0.5, -2.0]
