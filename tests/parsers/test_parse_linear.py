"""Adversarial and huge inputs: 1 MB hostile outputs parse without an internal error, 1 MB valid calls parse
whole, and inputs that grow by pieces parse too.

How fast (linear time: 1 MB in seconds, 4x the input in ~4x the time) is a speed target, measured with these
same inputs by ``tests/perf/bench_worst_case.py`` (``python tests/perf/run_all.py`` checks its targets).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tlbench.parsers import FORMATS, parse

MB = 1_000_000

#: 1 MB inputs that are hostile to naive scanners (unbalanced, unterminated, huge numbers, many tags).
HOSTILE: dict[str, Callable[[int], str]] = {
    "open braces": lambda n: "{" * n,
    "quotes": lambda n: '"' * n,
    "unterminated string": lambda n: '{"name": "f", "arguments": {"a": "' + "x" * n,
    "backslashes": lambda n: '{"a": "' + "\\" * n,
    "huge number": lambda n: '{"name": "f", "arguments": {"a": ' + "9" * n + "}}",
    "nul bytes": lambda n: "\x00" * n,
    "tags": lambda n: "<tool_call>{" * (n // 12),
    "actions": lambda n: "Action: f\nAction Input: {" * (n // 25),
    "import payloads": lambda n: "__import__('os').system('rm -rf /');" * (n // 36),
    "prose": lambda n: "The weather (mostly) is fine [citation needed]. " * (n // 48),
}


#: 1 MB valid calls, one per format family: (format, text); the argument "a" holds 1 MB.
VALID_1MB: list[tuple[str, str]] = [
    ("react", 'Action: f\nAction Input: {"a": "' + "x" * MB + '"}'),
    ("json", '{"name": "f", "arguments": {"a": "' + "x" * MB + '"}}'),
    ("python", "f(a='" + "x" * MB + "')"),
    ("qwen", '<tool_call>{"name": "f", "arguments": {"a": "' + "x" * MB + '"}}</tool_call>'),
    ("glm", 'f\n{"a": "' + "x" * MB + '"}'),
]


def _no_internal_error(text: str, fmt: str) -> None:
    result = parse(text, fmt)
    assert result.failure is None or result.failure.reason != "internal_error", result.failure


@pytest.mark.parametrize("name", list(HOSTILE))
def test_one_megabyte_hostile_output(name: str) -> None:
    text = HOSTILE[name](MB)
    for fmt in FORMATS:
        _no_internal_error(text, fmt)


@pytest.mark.parametrize(("fmt", "text"), VALID_1MB, ids=[f for f, _ in VALID_1MB])
def test_one_megabyte_valid_call(fmt: str, text: str) -> None:
    result = parse(text, fmt)
    assert result.ok and len(result.calls[0].arguments["a"]) == MB


#: Inputs whose work grows with the number of pieces (calls, objects, tags, candidates).
GROWING: list[tuple[str, Callable[[int], str]]] = [
    ("json", lambda n: "{}" * (n // 2)),
    ("llama3", lambda n: '{"name": "f", "parameters": {}};' * (n // 32)),
    ("python", lambda n: "[" + "f(a=1)," * (n // 7) + "]"),
    ("qwen", lambda n: '<tool_call>{"name": "f"}</tool_call>' * (n // 36)),
    ("qwen", lambda n: '<tool_call>{"name": "f"}' * (n // 24)),  # no closing tags at all
    ("react", lambda n: "Action: f\nAction Input: " + "{'a': [" * 40 + "1" * n),
    ("json", lambda n: "[" * 50 + "]" * 49 + "x" * n),
]


@pytest.mark.parametrize(("fmt", "make"), GROWING, ids=[f"{f}-{i}" for i, (f, _) in enumerate(GROWING)])
def test_inputs_growing_by_pieces_parse_without_internal_error(fmt: str, make: Callable[[int], str]) -> None:
    _no_internal_error(make(240_000), fmt)
