"""The C fast paths of the parsers give exactly what the precise Python scanner gives.

``fast_decode`` (one ``json.JSONDecoder.raw_decode``) answers first in ``iter_json_values``, ``load_json``
and ReAct's lenient arguments; ``too_deep`` answers the depth check from bracket counts. These tests run
the same inputs through the scanner-only path (the fast path switched off) and require identical values,
spans and failure reasons, on hand-made edge cases and on hypothesis-generated bracket/string soup.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tlbench.parsers import FORMATS, _util, parse, react
from tlbench.parsers._util import MAX_DEPTH, Failed, fast_decode, load_json, max_depth, too_deep

SETTINGS = settings(
    max_examples=1500, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


def _no_fast(text: str, at: int, strict: bool = False) -> None:
    return None


def _outcome(fn: Any, *args: Any) -> tuple[str, Any]:
    try:
        return ("value", fn(*args))
    except Failed as exc:
        return ("failed", exc.failure.reason)


def _values(text: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    try:
        for value, span, error in _util.iter_json_values(text):
            out.append(
                (json.dumps(value, sort_keys=True), span.start, span.end, error and error.failure.reason)
            )
    except Failed as exc:
        out.append(("failed", exc.failure.reason))
    return out


def _switch_off(m: pytest.MonkeyPatch) -> None:
    """Every user of the fast path falls back to the scanner."""
    m.setattr(_util, "fast_decode", _no_fast)
    m.setattr(react, "fast_decode", _no_fast)


def _both(monkeypatch: pytest.MonkeyPatch, fn: Any, *args: Any) -> tuple[Any, Any]:
    fast = fn(*args)
    with monkeypatch.context() as m:
        _switch_off(m)
        slow = fn(*args)
    return fast, slow


EDGE_CASES = [
    '{"name": "f", "arguments": {"a": 1}}',
    'prose {"name": "f"} more {"name": "g", "arguments": {}} end',
    '[{"name": "f"}, {"name": "g"}]',
    '{"a": "}{[" , "b": ["]"]}',
    '{"a": 1} trailing',
    '{"a": 1',
    '{"a": [1, 2}',
    '{"a": "unterminated}',
    '{"a": NaN, "b": Infinity}',
    '{"a": ' + "9" * 5000 + "}",
    "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
    "[" * MAX_DEPTH + "]" * MAX_DEPTH,
    '{"k": "' + "[" * 300 + '"}',  # many brackets inside a string: fast path declines, scanner accepts
    "[" * 3000 + "]" * 3000,
    '{"a": 1}{"b": 2}',
    "{'python': 'dict'}",
    '{"a": "\\u00e9\\n", "b": "raw\nnewline"}',
    "[]",
    "{}",
    "[1, 2, 3] then {}",
]


@pytest.mark.parametrize("text", EDGE_CASES)
def test_iter_json_values_fast_equals_scanner(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, slow = _both(monkeypatch, _values, text)
    # spans found by the fast path carry depth -1; start, end, value and error must match the scanner's
    assert fast == slow


@pytest.mark.parametrize("text", EDGE_CASES)
@pytest.mark.parametrize("strict", [False, True])
def test_load_json_fast_equals_scanner(text: str, strict: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, slow = _both(monkeypatch, _outcome, load_json, text, strict)
    assert fast == slow


@pytest.mark.parametrize("text", EDGE_CASES)
@pytest.mark.parametrize("fmt", FORMATS)
def test_parsers_fast_equals_scanner(text: str, fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for body in (text, f"Action: f\nAction Input: {text}", f"<tool_call>{text}</tool_call>"):
        fast, slow = _both(monkeypatch, parse, body, fmt)
        assert fast == slow, (fmt, body[:80])


def test_fast_decode_declines_what_it_cannot_vouch_for() -> None:
    assert fast_decode('{"a": 1} x', 0) == ({"a": 1}, 8)
    assert fast_decode('{"a": 1', 0) is None  # invalid: the scanner says why
    deep = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    assert fast_decode(deep, 0) is None  # possibly too deep: the scanner measures
    assert fast_decode("[" * 5000 + "]" * 5000, 0) is None  # RecursionError inside the C decoder
    assert fast_decode('{"a": ' + "9" * 5000 + "}", 0) is None  # int digit limit


SOUP = st.lists(
    st.sampled_from(
        ["{", "}", "[", "]", '"', "\\", ":", ",", " ", "a", "1", '"k"', '"v"', '{"name": "f"', "'", "(", ")"]
    ),
    max_size=60,
).map("".join)


@SETTINGS
@given(SOUP)
def test_soup_fast_equals_scanner(text: str) -> None:
    with pytest.MonkeyPatch.context() as mp:
        fast = (_values(text), _outcome(load_json, text, False), [parse(text, f) for f in FORMATS])
        _switch_off(mp)
        slow = (_values(text), _outcome(load_json, text, False), [parse(text, f) for f in FORMATS])
    assert fast == slow


@SETTINGS
@given(SOUP, st.booleans())
def test_too_deep_agrees_with_max_depth(text: str, python: bool) -> None:
    assert too_deep(text, python) == (max_depth(text, python) > MAX_DEPTH)


def test_too_deep_on_deep_and_wide_text() -> None:
    wide = "[" + ",".join(["[]"] * 500) + "]"  # 501 brackets, depth 2: counted, then measured
    assert not too_deep(wide) and not too_deep(wide, python=False)
    deep = "(" * (MAX_DEPTH + 1) + ")" * (MAX_DEPTH + 1)
    assert too_deep(deep) and not too_deep(deep, python=False)  # JSON does not count parentheses
