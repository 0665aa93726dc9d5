"""Fault injection: seeded, at the configured rates, every text classified as tool instability."""

from __future__ import annotations

import collections
from typing import Any

import pytest

from tlbench.classify import classify_feedback
from tlbench.errors import UsageError
from tlbench.types import ErrorKind, ToolCall, ToolDoc
from tools_env.base import CallContext, ToolCallFailed, ToolUnstable
from tools_env.faults import FAULT_KINDS, FaultInjector, fault_text
from tools_env.simulate import SimulatedExecutor

RATES = {"timeout": 0.05, "connection": 0.04, "http_5xx": 0.03, "truncated": 0.02, "garbled": 0.01}
MARKERS = {
    "timeout": "Read timed out",
    "connection": "Connection refused",
    "http_5xx": "Server Error",
    "truncated": "IncompleteRead",
    "garbled": "ChunkedEncodingError",
}


def _kind_of(text: str) -> str:
    return next(k for k, m in MARKERS.items() if m in text)


def _run(inj: FaultInjector, ctx: CallContext, n: int) -> list[str | None]:
    doc = ToolDoc(name="search")
    out: list[str | None] = []
    for i in range(n):
        try:
            inj.execute(ToolCall("search", {"q": i % 500}), doc, ctx)
            out.append(None)
        except ToolUnstable as exc:
            out.append(str(exc))
    return out


def test_rates_within_tolerance_over_2000_calls(ctx: CallContext) -> None:
    texts = _run(FaultInjector(SimulatedExecutor(), RATES, seed=3), ctx, 2000)
    counts = collections.Counter(_kind_of(t) for t in texts if t is not None)
    for kind, rate in RATES.items():
        expected = 2000 * rate
        sd = (2000 * rate * (1 - rate)) ** 0.5
        assert abs(counts[kind] - expected) <= 4 * sd + 1, (kind, counts[kind], expected)
    total = sum(counts.values())
    assert abs(total - 2000 * sum(RATES.values())) <= 4 * (2000 * 0.15 * 0.85) ** 0.5


def test_every_injected_text_is_tool_instability(ctx: CallContext) -> None:
    texts = [
        t
        for t in _run(FaultInjector(SimulatedExecutor(), {k: 0.2 for k in FAULT_KINDS}, seed=1), ctx, 400)
        if t
    ]
    assert {_kind_of(t) for t in texts} == set(FAULT_KINDS)
    for t in texts:
        assert classify_feedback(t) is ErrorKind.TOOL_INSTABILITY, t[:200]
    for kind in FAULT_KINDS:
        for draw in range(8):
            for payload in ("", '{"a": 1}', "x" * 5000, "[" * 10):
                text = fault_text(kind, "get_weather", draw, payload)
                assert classify_feedback(text) is ErrorKind.TOOL_INSTABILITY, (kind, text[:200])


def test_same_seed_same_faults_different_seed_different_faults(ctx: CallContext) -> None:
    a = _run(FaultInjector(SimulatedExecutor(), RATES, seed=3), ctx, 600)
    b = _run(FaultInjector(SimulatedExecutor(), RATES, seed=3), ctx, 600)
    c = _run(FaultInjector(SimulatedExecutor(), RATES, seed=4), ctx, 600)
    assert a == b and a != c


def test_decision_is_independent_of_other_calls(ctx: CallContext) -> None:
    one = FaultInjector(SimulatedExecutor(), RATES, seed=9)
    two = FaultInjector(SimulatedExecutor(), RATES, seed=9)
    for i in range(100):
        two.decide("other", {"i": i})  # unrelated traffic in between
    assert [one.decide("t", {"x": 1}) for _ in range(50)] == [two.decide("t", {"x": 1}) for _ in range(50)]


def test_truncated_and_garbled_carry_the_real_payload(ctx: CallContext) -> None:
    class Fixed:
        name = "fixed"

        def execute(self, call: ToolCall, doc: ToolDoc, ctx: CallContext) -> Any:
            return {"answer": "forty-two and a long enough payload to cut somewhere"}

    with pytest.raises(ToolUnstable) as info:
        FaultInjector(Fixed(), {"truncated": 1.0}).execute(ToolCall("t"), ToolDoc("t"), ctx)
    assert 'partial body: {"answer": "' in str(info.value)
    assert 'forty-two and a long enough payload to cut somewhere"}' not in str(info.value)
    with pytest.raises(ToolUnstable) as info:
        FaultInjector(Fixed(), {"garbled": 1.0}).execute(ToolCall("t"), ToolDoc("t"), ctx)
    assert str(info.value).count("\ufffd") >= 3


def test_inner_errors_pass_through_and_zero_rates_are_transparent(ctx: CallContext) -> None:
    class Failing:
        name = "failing"

        def execute(self, call: ToolCall, doc: ToolDoc, ctx: CallContext) -> Any:
            raise ToolCallFailed("division by zero")

    with pytest.raises(ToolCallFailed, match="division by zero"):
        FaultInjector(Failing(), {}).execute(ToolCall("t"), ToolDoc("t"), ctx)
    assert all(t is None for t in _run(FaultInjector(SimulatedExecutor(), {}, seed=1), ctx, 200))


@pytest.mark.parametrize(
    "rates",
    [
        {"timeouts": 0.1},
        {"timeout": -0.1},
        {"timeout": 1.5},
        {"timeout": 0.6, "garbled": 0.6},
        {"timeout": "0.1"},
    ],
)
def test_bad_rates_are_usage_errors(rates: dict) -> None:
    with pytest.raises(UsageError):
        FaultInjector(SimulatedExecutor(), rates)
