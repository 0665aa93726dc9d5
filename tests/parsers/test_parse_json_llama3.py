"""Table-driven tests of the ``json`` and ``llama3`` parsers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tlbench.parsers import parse

Calls = list[tuple[str, dict[str, Any]]]

JSON_OK: list[tuple[str, str, Calls]] = [
    ("single", '{"name": "f", "arguments": {"a": 1}}', [("f", {"a": 1})]),
    (
        "arguments as json string",
        json.dumps({"name": "f", "arguments": json.dumps({"a": [1]})}),
        [("f", {"a": [1]})],
    ),
    ("empty arguments string", '{"name": "f", "arguments": ""}', [("f", {})]),
    ("no arguments", '{"name": "f"}', [("f", {})]),
    ("parameters alias", '{"name": "f", "parameters": {"a": 1}}', [("f", {"a": 1})]),
    ("function wrapper", '{"function": {"name": "f", "arguments": "{\\"a\\": 1}"}}', [("f", {"a": 1})]),
    (
        "list",
        '[{"name": "f", "arguments": {}}, {"name": "g", "arguments": {"b": 2}}]',
        [("f", {}), ("g", {"b": 2})],
    ),
    ("fenced", 'Sure:\n```json\n{"name": "f", "arguments": {"a": "}"}}\n```', [("f", {"a": "}"})]),
    ("prose with citation first", 'See [1] and {"x": 1}. Call: {"name": "f", "arguments": {}}', [("f", {})]),
    (
        "tool_calls message",
        '{"tool_calls": [{"type": "function", "function": {"name": "f", "arguments": "{}"}}]}',
        [("f", {})],
    ),
    ("first call only", '{"name": "f", "arguments": {}} {"name": "g", "arguments": {}}', [("f", {})]),
]

JSON_FAIL: list[tuple[str, str, str]] = [
    ("truncated", '{"name": "f", "arguments": {"a": 1', "unterminated"),
    ("no name", '{"arguments": {"a": 1}}', "not_call"),
    ("invalid json", "{'name': 'f'}", "bad_json"),
    ("name not string", '{"name": 3, "arguments": {}}', "bad_name"),
    ("arguments list", '{"name": "f", "arguments": [1]}', "not_object"),
    ("arguments bad string", '{"name": "f", "arguments": "{oops"}', "unterminated"),
    ("huge int", '{"name": "f", "arguments": {"a": ' + "9" * 5000 + "}}", "bad_json"),
    ("too deep", "[" * 200 + "]" * 200, "too_deep"),
    ("mismatched", '{"name": "f"]', "bad_json"),
]


def _pairs(r: Any) -> Calls:
    return [(c.name, dict(c.arguments)) for c in r.calls]


@pytest.mark.parametrize(("label", "text", "calls"), JSON_OK, ids=[c[0] for c in JSON_OK])
def test_json_ok(label: str, text: str, calls: Calls) -> None:
    r = parse(text, "json")
    assert r.ok, r.failure
    assert _pairs(r) == calls


@pytest.mark.parametrize(("label", "text", "reason"), JSON_FAIL, ids=[c[0] for c in JSON_FAIL])
def test_json_failures(label: str, text: str, reason: str) -> None:
    r = parse(text, "json")
    assert r.failure is not None and r.failure.reason == reason, r


@pytest.mark.parametrize("fmt", ["json", "llama3"])
def test_plain_text_is_final_answer(fmt: str) -> None:
    r = parse("  The weather in Paris is sunny [1].  ", fmt)
    assert r.ok and r.calls == () and r.final_answer == "The weather in Paris is sunny [1]."


@pytest.mark.parametrize("fmt", ["json", "llama3"])
def test_finish_call_sets_final_answer(fmt: str) -> None:
    key = "arguments" if fmt == "json" else "parameters"
    r = parse(json.dumps({"name": "finish", key: {"answer": "done"}}), fmt)
    assert r.final_answer == "done" and r.calls[0].is_finish


LLAMA_OK: list[tuple[str, str, Calls]] = [
    ("single", '{"name": "f", "parameters": {"a": 1}}', [("f", {"a": 1})]),
    ("python tag", '<|python_tag|>{"name": "f", "parameters": {"a": 1}}<|eom_id|>', [("f", {"a": 1})]),
    (
        "semicolons",
        '{"name": "f", "parameters": {}}; {"name": "g", "parameters": {"b": 2}}',
        [("f", {}), ("g", {"b": 2})],
    ),
    ("newlines", '{"name": "f", "parameters": {}}\n{"name": "g", "parameters": {}}', [("f", {}), ("g", {})]),
    ("arguments alias", '{"name": "f", "arguments": {"a": 1}}', [("f", {"a": 1})]),
]

LLAMA_FAIL: list[tuple[str, str, str]] = [
    ("truncated", '<|python_tag|>{"name": "f", "parameters": {"a": ', "unterminated"),
    ("second truncated", '{"name": "f", "parameters": {}}; {"name": "g", "parameters": {', "unterminated"),
    ("tag only", "<|python_tag|>", "empty"),
    ("not a call", '{"a": 1}', "not_call"),
]


@pytest.mark.parametrize(("label", "text", "calls"), LLAMA_OK, ids=[c[0] for c in LLAMA_OK])
def test_llama3_ok(label: str, text: str, calls: Calls) -> None:
    r = parse(text, "llama3")
    assert r.ok, r.failure
    assert _pairs(r) == calls


@pytest.mark.parametrize(("label", "text", "reason"), LLAMA_FAIL, ids=[c[0] for c in LLAMA_FAIL])
def test_llama3_failures(label: str, text: str, reason: str) -> None:
    r = parse(text, "llama3")
    assert r.failure is not None and r.failure.reason == reason, r
