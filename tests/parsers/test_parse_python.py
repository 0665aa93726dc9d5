"""Table-driven tests of the ``python`` (call syntax) parser and its BFCL options."""

from __future__ import annotations

from typing import Any

import pytest

from tlbench.parsers import parse, parse_python
from tlbench.types import ToolDoc

DOCS = [
    ToolDoc(
        "calc_binomial_probability",
        parameters={"type": "object", "properties": {"n": {}, "k": {}, "p": {}}},
        required=("n", "k", "p"),
    ),
    ToolDoc("calculate_mean", parameters={"type": "object", "properties": {"numbers": {}}}),
]

Calls = list[tuple[str, dict[str, Any]]]

OK: list[tuple[str, str, Calls]] = [
    ("single", "get_weather(city='Paris', days=2)", [("get_weather", {"city": "Paris", "days": 2})]),
    ("spaces around =", "search_advice(query = 'love')", [("search_advice", {"query": "love"})]),
    ("bfcl list", "[f(a=1), g(b='x')]", [("f", {"a": 1}), ("g", {"b": "x"})]),
    ("statements", "f(a=1); g(b=2)\nh()", [("f", {"a": 1}), ("g", {"b": 2}), ("h", {})]),
    ("dotted name", "math.sqrt(x=2)", [("math.sqrt", {"x": 2})]),
    (
        "arithmetic",
        "f(p=1/6, a=500*500, b=-2, c=+3, d=2**3, e=7//2, g=7%3, h=1.5-0.5)",
        [("f", {"p": 1 / 6, "a": 250000, "b": -2, "c": 3, "d": 8, "e": 3, "g": 1, "h": 1.0})],
    ),
    (
        "containers",
        "f(a=[1, (2, 3)], b={'k': None}, c=(), d=True, e=False)",
        [("f", {"a": [1, [2, 3]], "b": {"k": None}, "c": [], "d": True, "e": False})],
    ),
    ("json spellings", "f(a=true, b=false, c=null)", [("f", {"a": True, "b": False, "c": None})]),
    (
        "positional by doc order",
        "calc_binomial_probability(20, 5, p=0.6)",
        [("calc_binomial_probability", {"n": 20, "k": 5, "p": 0.6})],
    ),
    ("positional list arg", "calculate_mean([1, 3, 4])", [("calculate_mean", {"numbers": [1, 3, 4]})]),
    ("positional without doc", "unknown_tool('x', 2)", [("unknown_tool", {"_0": "x", "_1": 2})]),
    ("fenced", "```python\n[f(a='x')]\n```", [("f", {"a": "x"})]),
    ("fenced tool_code", "Let me call it.\n```tool_code\nf(a=1)\n```", [("f", {"a": 1})]),
    ("nexusraven call prefix", "Call: f(a='x')\nThought: because", [("f", {"a": "x"})]),
    (
        "lambda string",
        "estimate_derivative(function='lambda x: 3*x**2', x=1)",
        [("estimate_derivative", {"function": "lambda x: 3*x**2", "x": 1})],
    ),
    ("non-ascii", "traduire(texte='déjà vu ✓', n=1)", [("traduire", {"texte": "déjà vu ✓", "n": 1})]),
]

FAIL: list[tuple[str, str, str]] = [
    ("unclosed", "get_weather(city='Paris'", "bad_syntax"),
    ("import payload", "__import__('os').system('rm -rf /')", "bad_call"),
    ("call value", "f(a=open('/etc/passwd'))", "bad_value"),
    ("name value", "f(a=foo)", "bad_value"),
    ("string arithmetic", "f(a='x' * 10**9)", "bad_value"),
    ("huge power", "f(a=9**9**9)", "bad_value"),
    ("huge float power", "f(a=10.0**400)", "bad_value"),
    ("division by zero", "f(a=1/0)", "bad_value"),
    ("bytes", "f(a=b'x')", "bad_value"),
    ("set", "f(a={1, 2})", "bad_value"),
    ("kwargs unpack", "f(**{'a': 1})", "bad_call"),
    ("star args", "f(*[1])", "bad_call"),
    ("duplicate via positional", "calculate_mean([1], numbers=[2])", "bad_call"),
    ("called call", "f()()", "bad_call"),
    ("empty list", "[]", "no_call"),
    ("mixed list", "[f(a=1), 3]", "not_call"),
    ("assignment", "x = f(a=1)", "not_call"),
    ("too deep", "f(a=" + "[" * 300 + "]" * 300 + ")", "too_deep"),
    ("nul byte", "f(a='\x00')", "bad_syntax"),
    ("huge int literal", "f(a=" + "9" * 5000 + ")", "bad_syntax"),
]


def _pairs(r: Any) -> Calls:
    return [(c.name, dict(c.arguments)) for c in r.calls]


@pytest.mark.parametrize(("label", "text", "calls"), OK, ids=[c[0] for c in OK])
def test_python_ok(label: str, text: str, calls: Calls) -> None:
    r = parse(text, "python", DOCS)
    assert r.ok, r.failure
    assert _pairs(r) == calls


@pytest.mark.parametrize(("label", "text", "reason"), FAIL, ids=[c[0] for c in FAIL])
def test_python_failures(label: str, text: str, reason: str) -> None:
    r = parse(text, "python", DOCS)
    assert r.failure is not None and r.failure.reason == reason, r


def test_raw_is_the_call_source() -> None:
    r = parse("[f(a='é'), g(b=2)]", "python")
    assert [c.raw for c in r.calls] == ["f(a='é')", "g(b=2)"]


@pytest.mark.parametrize("text", ["The answer is 4 (four).", "Paris", "Sure, I can help"])
def test_prose_is_final_answer(text: str) -> None:
    r = parse(text, "python")
    assert r.ok and r.calls == () and r.final_answer == text


def test_final_answer_label_and_finish_call() -> None:
    assert parse("Final Answer: 42", "python").final_answer == "42"
    r = parse("finish(answer='It is sunny.')", "python")
    assert r.final_answer == "It is sunny." and r.calls[0].is_finish


def test_positional_options() -> None:
    text = "calc_binomial_probability(20, k=5, p=0.6)"
    assert dict(parse_python(text, DOCS, positional="drop").calls[0].arguments) == {"k": 5, "p": 0.6}
    r = parse_python(text, DOCS, positional="error")
    assert r.failure is not None and r.failure.reason == "positional"
    assert dict(parse_python(text, DOCS).calls[0].arguments) == {"n": 20, "k": 5, "p": 0.6}


def test_unary_plus_option() -> None:
    assert parse_python("f(a=+3, b=-2)").calls[0].arguments == {"a": 3, "b": -2}
    assert parse_python("f(a=+3, b=-2)", unary_plus="minus").calls[0].arguments == {"a": -3, "b": -2}


def test_dotted_doc_lookup_with_underscores() -> None:
    docs = [ToolDoc("math_sqrt", parameters={"type": "object", "properties": {"x": {}}})]
    assert parse("math.sqrt(4)", "python", docs).calls[0].arguments == {"x": 4}
