"""The calculator's safe evaluator: right answers, and refusal of everything that is not arithmetic."""

from __future__ import annotations

import operator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tlbench.classify import classify_feedback
from tlbench.types import ErrorKind
from tools_env.base import ToolCallFailed
from tools_env.impls.local import run_local_tool
from tools_env.impls.safe_arith import MAX_INT_BITS, evaluate


@pytest.mark.parametrize(
    ("expr", "want"),
    [
        ("400/1400", 400 / 1400),
        ("2^10", 1024),
        ("2**10", 1024),
        ("(1 + 2) * 3", 9),
        ("-3**2", -9),
        ("10 // 3", 3),
        ("7 % 3", 1),
        ("2 ** -1", 0.5),
        ("3 × 4 ÷ 2", 6),
        ("1.5e3 + 1", 1501.0),
        ("+4 - -4", 8),
    ],
)
def test_arithmetic(expr: str, want: float) -> None:
    assert evaluate(expr) == pytest.approx(want)


@pytest.mark.parametrize(
    "expr",
    [
        "__import__('os').system('true')",
        "().__class__.__bases__[0].__subclasses__()",
        "open('/etc/passwd')",
        "x + 1",
        "'a' * 3",
        "[1, 2]",
        "1 if 1 else 2",
        "lambda: 1",
        "1 < 2",
        "True + 1",
        "",
        "1 +",
    ],
)
def test_rejects_non_arithmetic(expr: str) -> None:
    with pytest.raises(ValueError):
        evaluate(expr)


#: Exponents whose value would take minutes or all memory: refused before computing (how fast: < 0.5 s each,
#: measured by tests/perf/bench_worst_case.py).
HUGE_EXPONENTS = ["9**9**9", "2**100000", "10**10**10", "(2**5000)**(2**5000)", "2.0**1e300"]


@pytest.mark.parametrize("expr", HUGE_EXPONENTS)
def test_huge_exponents_are_refused(expr: str) -> None:
    with pytest.raises(ValueError):
        evaluate(expr)


def test_size_and_nesting_bounds() -> None:
    with pytest.raises(ValueError, match="too long"):
        evaluate("1+" * 600 + "1")
    with pytest.raises(ValueError, match="nested too deeply"):
        evaluate("(" * 300 + "1" + ")" * 300)
    with pytest.raises(ValueError, match="nested too deeply"):
        evaluate("-" * 100 + "1")
    big = evaluate("2**" + str(MAX_INT_BITS - 1))
    assert isinstance(big, int) and big.bit_length() == MAX_INT_BITS


def test_division_by_zero_and_overflow() -> None:
    with pytest.raises(ZeroDivisionError):
        evaluate("1/0")
    with pytest.raises(ValueError, match="out of range"):
        evaluate("1e308 * 10")
    with pytest.raises(ValueError, match="not a real number"):
        evaluate("(-8) ** 0.5")


_OPS = {"+": operator.add, "-": operator.sub, "*": operator.mul}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("+-*"), st.integers(-1000, 1000)), min_size=1, max_size=8))
def test_matches_left_to_right_evaluation_of_parenthesised_chains(terms: list[tuple[str, int]]) -> None:
    expr, want = "0", 0
    for op, n in terms:
        expr = f"({expr}) {op} ({n})"
        want = _OPS[op](want, n)
    assert evaluate(expr) == want


def test_calculator_tool_failures_are_classified_as_call_failures(tmp_path) -> None:
    for query in ("__import__('os')", "1/0", "9**9**9"):
        with pytest.raises(ToolCallFailed) as info:
            run_local_tool("calculator", {"input_query": query}, str(tmp_path))
        assert classify_feedback(str(info.value)) is ErrorKind.TOOL_CALL_FAILURE, str(info.value)
    assert run_local_tool("calculator", {"input_query": "400/1400"}, str(tmp_path)) == pytest.approx(
        0.285714, 1e-5
    )
