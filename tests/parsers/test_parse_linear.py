"""Linear time on adversarial input: 1 MB outputs finish fast, and doubling the input about doubles the time.

Bounds are generous (CI machines are slow and shared); a quadratic parser still fails them by far: at
1 MB a quadratic scan costs minutes, and its doubling ratio is ~4 where a linear one is ~2.
"""

from __future__ import annotations

import time
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


def _time(text: object, fmt: str, repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = parse(text, fmt)
        best = min(best, time.perf_counter() - start)
        assert result.failure is None or result.failure.reason != "internal_error", result.failure
    return best


@pytest.mark.parametrize("name", list(HOSTILE))
def test_one_megabyte_hostile_output(name: str) -> None:
    text = HOSTILE[name](MB)
    total = sum(_time(text, fmt) for fmt in FORMATS)
    assert total < 20.0, f"{name}: {total:.2f}s for 7 formats"


@pytest.mark.parametrize(
    ("fmt", "text"),
    [
        ("react", 'Action: f\nAction Input: {"a": "' + "x" * MB + '"}'),
        ("json", '{"name": "f", "arguments": {"a": "' + "x" * MB + '"}}'),
        ("python", "f(a='" + "x" * MB + "')"),
        ("qwen", '<tool_call>{"name": "f", "arguments": {"a": "' + "x" * MB + '"}}</tool_call>'),
        ("glm", 'f\n{"a": "' + "x" * MB + '"}'),
    ],
    ids=lambda v: v if len(v) < 20 else "1MB",
)
def test_one_megabyte_valid_call(fmt: str, text: str) -> None:
    start = time.perf_counter()
    result = parse(text, fmt)
    assert time.perf_counter() - start < 5.0
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
def test_quadrupling_input_stays_far_from_quadratic(fmt: str, make: Callable[[int], str]) -> None:
    # 4x the input: linear work takes ~4x the time, quadratic ~16x. The bound sits between the two with a wide
    # margin, so a loaded machine (other processes, GC) does not make it flaky while quadratic still fails.
    n = 60_000
    small = _time(make(n), fmt, repeat=5)
    large = _time(make(4 * n), fmt, repeat=5)
    if large < 0.01:  # too fast to measure reliably: already far from quadratic at this size
        return
    assert large / max(small, 1e-4) < 9.0, f"{fmt}: {small:.4f}s -> {large:.4f}s"
