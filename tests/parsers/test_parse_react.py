"""Table-driven tests of the ``react`` parser: lenient (default) and strict (RoTBench upstream) modes."""

from __future__ import annotations

from typing import Any

import pytest

from tlbench.parsers import parse, parse_react

OK: list[tuple[str, str, str, dict[str, Any], str | None]] = [
    # (label, text, name, arguments, final_answer)
    (
        "single",
        'Thought: look up\nAction: get_weather\nAction Input: {"city": "Paris"}',
        "get_weather",
        {"city": "Paris"},
        None,
    ),
    ("qwen2 observation after", 'Action: f\nAction Input: {"a": 1}\nObservation: 3', "f", {"a": 1}, None),
    (
        "python dict input",
        "Action: f\nAction Input: {'a': 'x', 'b': True, 'c': None}",
        "f",
        {"a": "x", "b": True, "c": None},
        None,
    ),
    ("prose after input", 'Action: f\nAction Input: {"a": 1} and then I wait', "f", {"a": 1}, None),
    (
        "multiline json",
        'Action: f\nAction Input: {\n  "a": [1, 2],\n  "b": "line\nbreak"\n}',
        "f",
        {"a": [1, 2], "b": "line\nbreak"},
        None,
    ),
    ("empty input", "Action: get_today\nAction Input: ", "get_today", {}, None),
    ("no input line", "Thought: t\nAction: get_today", "get_today", {}, None),
    ("backticked name", 'Action: `f`\nAction Input: {"a": 1}', "f", {"a": 1}, None),
    (
        "first of two blocks",
        'Action: f\nAction Input: {"a": 1}\nThought: again\nAction: g\nAction Input: {"b": 2}',
        "f",
        {"a": 1},
        None,
    ),
    (
        "finish",
        'Thought: done\nAction: finish\nAction Input: {"answer": "It is 42."}',
        "finish",
        {"answer": "It is 42."},
        "It is 42.",
    ),
    (
        "toolllama Finish",
        'Action: Finish\nAction Input: {"return_type": "give_answer", "final_answer": "ok"}',
        "Finish",
        {"return_type": "give_answer", "final_answer": "ok"},
        "ok",
    ),
    (
        "non-ascii",
        'Action: traduire\nAction Input: {"texte": "déjà vu ✓"}',
        "traduire",
        {"texte": "déjà vu ✓"},
        None,
    ),
]

FAIL: list[tuple[str, str, str]] = [
    ("no action", "I think the answer is 4.", "no_call"),
    ("truncated json", 'Action: f\nAction Input: {"a": "Paris"', "unterminated"),
    ("empty name", 'Action: \nAction Input: {"a": 1}', "bad_name"),
    ("list input", "Action: f\nAction Input: [1, 2]", "not_object"),
    ("string input", 'Action: f\nAction Input: "Paris"', "not_object"),
    ("bad syntax both ways", "Action: f\nAction Input: {a: b c}", "bad_json"),
    ("code payload", "Action: f\nAction Input: {'a': __import__('os').system('ls')}", "bad_json"),
    ("too deep", "Action: f\nAction Input: " + "{" * 500, "too_deep"),
    ("empty", "   \n ", "empty"),
]


@pytest.mark.parametrize(("label", "text", "name", "args", "final"), OK, ids=[c[0] for c in OK])
def test_react_ok(label: str, text: str, name: str, args: dict[str, Any], final: str | None) -> None:
    r = parse(text, "react")
    assert r.ok, r.failure
    assert len(r.calls) == 1
    assert r.calls[0].name == name
    assert dict(r.calls[0].arguments) == args
    assert r.final_answer == final
    assert r.calls[0].raw.startswith("Action:")


@pytest.mark.parametrize(("label", "text", "reason"), FAIL, ids=[c[0] for c in FAIL])
def test_react_failures(label: str, text: str, reason: str) -> None:
    r = parse(text, "react")
    assert not r.ok and not r.calls
    assert r.failure is not None and r.failure.reason == reason


def test_final_answer_without_action() -> None:
    r = parse("Thought: I now know the final answer\nFinal Answer: Paris is sunny.", "react")
    assert r.ok and r.calls == () and r.final_answer == "Paris is sunny."
    assert r.thought == "I now know the final answer"


def test_final_answer_after_action_is_ignored_in_favour_of_action() -> None:
    r = parse('Action: f\nAction Input: {"a": 1}\nFinal Answer: x', "react")
    assert r.calls[0].name == "f" and r.final_answer is None


def test_thought_is_kept() -> None:
    r = parse('Thought: I need the weather.\nAction: f\nAction Input: {"a": 1}', "react")
    assert r.thought == "I need the weather."


STRICT: list[tuple[str, str, str | None]] = [
    # (label, text, failure reason or None when accepted)
    ("strict json ok", 'Action: f\nAction Input: {"a": 1}\n', None),
    ("python dict rejected", "Action: f\nAction Input: {'a': 1}", "bad_json"),
    ("trailing prose rejected", 'Action: f\nAction Input: {"a": 1} done', "bad_json"),
    ("second block rejected", 'Action: f\nAction Input: {"a": 1}\nAction: g\nAction Input: {}', "bad_json"),
    ("raw newline in string rejected", 'Action: f\nAction Input: {"a": "x\ny"}', "bad_json"),
    ("missing input", "Action: f", "no_action_input"),
    ("list rejected", "Action: f\nAction Input: [1]", "not_object"),
]


@pytest.mark.parametrize(("label", "text", "reason"), STRICT, ids=[c[0] for c in STRICT])
def test_react_strict(label: str, text: str, reason: str | None) -> None:
    r = parse_react(text, strict=True)
    if reason is None:
        assert r.ok and dict(r.calls[0].arguments) == {"a": 1}
    else:
        assert r.failure is not None and r.failure.reason == reason
    # the lenient default accepts everything strict accepts
    if reason is None:
        assert parse(text, "react").calls == r.calls
