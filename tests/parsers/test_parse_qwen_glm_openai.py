"""Table-driven tests of the ``qwen``, ``glm`` and ``openai`` parsers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tlbench.parsers import parse

Calls = list[tuple[str, dict[str, Any]]]


def _tc(name: str, args: dict[str, Any]) -> str:
    return "<tool_call>\n" + json.dumps({"name": name, "arguments": args}) + "\n</tool_call>"


def _msg(*calls: tuple[str, Any], content: Any = None) -> dict[str, Any]:
    tool_calls = [
        {"id": f"c{i}", "type": "function", "function": {"name": n, "arguments": a}}
        for i, (n, a) in enumerate(calls)
    ]
    out: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        out["tool_calls"] = tool_calls
    return out


OK: list[tuple[str, str, Any, Calls, str | None]] = [
    # (label, fmt, output, calls, final_answer)
    ("qwen single", "qwen", _tc("f", {"a": 1}), [("f", {"a": 1})], None),
    (
        "qwen many",
        "qwen",
        "Thinking.\n" + _tc("f", {}) + "\n" + _tc("g", {"b": [2]}),
        [("f", {}), ("g", {"b": [2]})],
        None,
    ),
    (
        "qwen unterminated last",
        "qwen",
        _tc("f", {}) + '\n<tool_call>\n{"name": "g", "arguments": {}}',
        [("f", {}), ("g", {})],
        None,
    ),
    (
        "qwen no close at all",
        "qwen",
        '<tool_call>{"name": "g", "arguments": {"x": "</"}}',
        [("g", {"x": "</"})],
        None,
    ),
    ("qwen finish", "qwen", _tc("finish", {"answer": "ok"}), [("finish", {"answer": "ok"})], "ok"),
    ("qwen plain answer", "qwen", "It is sunny.", [], "It is sunny."),
    ("glm single", "glm", 'get_weather\n{"city": "Paris"}', [("get_weather", {"city": "Paris"})], None),
    ("glm zero args", "glm", "get_time\n{}", [("get_time", {})], None),
    ("glm fenced", "glm", 'f\n```json\n{"a": 1}\n```', [("f", {"a": 1})], None),
    ("glm plain answer", "glm", "Paris is sunny.\n{not a call}", [], "Paris is sunny.\n{not a call}"),
    ("glm one word", "glm", "Yes", [], "Yes"),
    ("openai text", "openai", json.dumps(_msg(("f", '{"a": 1}'))), [("f", {"a": 1})], None),
    (
        "openai dict",
        "openai",
        _msg(("f", '{"a": 1}'), ("g", {"b": 2})),
        [("f", {"a": 1}), ("g", {"b": 2})],
        None,
    ),
    ("openai empty args", "openai", _msg(("f", "")), [("f", {})], None),
    ("openai response", "openai", {"choices": [{"message": _msg(("f", "{}"))}]}, [("f", {})], None),
    (
        "openai legacy",
        "openai",
        {"role": "assistant", "function_call": {"name": "f", "arguments": "{}"}},
        [("f", {})],
        None,
    ),
    ("openai content", "openai", _msg(content="It is sunny."), [], "It is sunny."),
    (
        "openai content parts",
        "openai",
        _msg(content=[{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]),
        [],
        "ab",
    ),
    ("openai plain text", "openai", "It is sunny.", [], "It is sunny."),
    ("openai finish", "openai", _msg(("finish", '{"answer": "x"}')), [("finish", {"answer": "x"})], "x"),
]

FAIL: list[tuple[str, str, Any, str]] = [
    (
        "qwen truncated",
        "qwen",
        '<tool_call>\n{"name": "f", "arguments": {"a": \n</tool_call>',
        "unterminated",
    ),
    ("qwen empty block", "qwen", "<tool_call>\n</tool_call>", "empty"),
    ("qwen not a call", "qwen", "<tool_call>[1]</tool_call>", "not_call"),
    ("qwen one bad of two", "qwen", _tc("f", {}) + "<tool_call>{oops}</tool_call>", "bad_json"),
    ("glm truncated", "glm", 'f\n{"a": 1', "unterminated"),
    ("glm trailing comma", "glm", 'f\n{"a": 1,}', "bad_json"),
    ("glm trailing text", "glm", 'f\n{"a": 1} thanks', "bad_json"),
    ("openai bad arguments", "openai", json.dumps(_msg(("f", '{"a": '))), "unterminated"),
    ("openai arguments list", "openai", _msg(("f", "[1]")), "not_object"),
    ("openai nothing", "openai", {"role": "assistant", "content": None}, "no_call"),
    ("openai broken json", "openai", '{"role": "assistant", ', "unterminated"),
    ("openai tool_calls not list", "openai", {"tool_calls": "f"}, "not_call"),
    ("openai nameless", "openai", _msg(("", "{}")), "bad_name"),
]


def _pairs(r: Any) -> Calls:
    return [(c.name, dict(c.arguments)) for c in r.calls]


@pytest.mark.parametrize(("label", "fmt", "output", "calls", "final"), OK, ids=[c[0] for c in OK])
def test_ok(label: str, fmt: str, output: Any, calls: Calls, final: str | None) -> None:
    r = parse(output, fmt)
    assert r.ok, r.failure
    assert _pairs(r) == calls
    assert r.final_answer == final


@pytest.mark.parametrize(("label", "fmt", "output", "reason"), FAIL, ids=[c[0] for c in FAIL])
def test_failures(label: str, fmt: str, output: Any, reason: str) -> None:
    r = parse(output, fmt)
    assert r.failure is not None and r.failure.reason == reason, r


def test_thoughts() -> None:
    assert parse("Let me check.\n" + _tc("f", {}), "qwen").thought == "Let me check."
    assert parse(_msg(("f", "{}"), content="Checking."), "openai").thought == "Checking."
