"""Shared aggregation: percentages, per-scenario rows, seeded bootstrap intervals."""

from __future__ import annotations

from benchmarks.base import ItemScore
from benchmarks.metrics import (
    aggregate,
    bootstrap_ci,
    bootstrap_indices,
    ci95,
    pct,
    per_scenario,
    ratio_ci,
    summary,
)


def _s(i: int, scen: str, ts: bool, pi: bool, cf: bool, parsed: bool = True, **kw) -> ItemScore:
    return ItemScore(id=str(i), index=i, scenario=scen, ts=ts, pi=pi, cf=cf, correct=cf, parsed=parsed, **kw)


SCORES = [
    _s(0, "A", True, True, True),
    _s(1, "A", True, True, False),
    _s(2, "B", True, False, False),
    _s(3, "B", False, False, False, parsed=False),
]


def test_rot_pct_rounding() -> None:
    assert pct(97, 105) == 92.38 and pct(0, 0) == 0.0 and pct(1, 3) == 33.33


def test_rot_summary_and_scenarios() -> None:
    s = summary(SCORES)
    assert (s["TS"], s["PI"], s["CF"], s["correct"]) == (75.0, 50.0, 25.0, 25.0)
    assert s["parse_failure_rate"] == 25.0 and s["missing"] == 0 and "exec_accuracy" not in s
    rows = per_scenario(SCORES)
    assert list(rows) == ["A", "B"]
    assert rows["A"] == {"n": 2, "TS": 100.0, "PI": 100.0, "CF": 50.0, "correct": 50.0}


def test_rot_missing_excluded_from_parse_failure_rate() -> None:
    missing = _s(4, "B", False, False, False, parsed=False, detail={"missing": True})
    s = summary([*SCORES, missing])
    assert s["missing"] == 1 and s["parse_failure_rate"] == 25.0 and s["TS"] == 60.0


def test_rot_exec_accuracy_over_executable_items() -> None:
    scores = [
        _s(0, "A", True, True, True, exec=True),
        _s(1, "A", True, True, True, exec=False),
        _s(2, "A", 1, 1, 1),
    ]
    s = summary(scores)
    assert s["exec_accuracy"] == 50.0 and s["exec_n"] == 2
    assert "exec_accuracy" in ci95(scores)


def test_rot_bootstrap_is_seeded_and_brackets_the_mean() -> None:
    values = [1.0] * 80 + [0.0] * 25
    a = bootstrap_ci(values, seed=0)
    assert a == bootstrap_ci(values, seed=0)
    assert a != bootstrap_ci(values, seed=1) or a == bootstrap_ci(
        values, seed=1
    )  # determinism is what matters
    assert a[0] < 76.19 < a[1] and a[1] - a[0] < 20
    assert bootstrap_ci([1.0] * 10) == (100.0, 100.0)
    assert bootstrap_ci([]) == (0.0, 0.0)
    assert len(bootstrap_indices(5, 7, 0)) == 7


def test_rot_ratio_ci() -> None:
    lo, hi = ratio_ci([1, 0, 2, 0], [2, 2, 2, 2])
    assert 0.0 <= lo <= 37.5 <= hi <= 100.0
    assert ratio_ci([0, 0], [0, 0]) == (0.0, 0.0)


def test_rot_aggregate_to_dict_shape() -> None:
    d = aggregate(SCORES, resamples=50).to_dict()
    assert set(d) == {"summary", "per_scenario", "ci95"}
    assert set(d["ci95"]) == {"TS", "PI", "CF", "correct"} and all(len(v) == 2 for v in d["ci95"].values())
