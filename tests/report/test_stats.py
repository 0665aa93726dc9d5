"""compare: the exact McNemar test and the paired bootstrap against known values, and the command."""

from __future__ import annotations

import itertools
import json
import math
from collections import Counter
from fractions import Fraction
from pathlib import Path

import pytest
from runbuilder import write_items_run

from tlbench.cli import main
from tlbench.report.compare import compare_benchmark
from tlbench.report.stats import compare_booleans, compare_ratios, mcnemar_exact, paired_bootstrap


@pytest.mark.parametrize(
    ("b", "c", "expected"),
    [
        (0, 0, 1.0),
        (1, 9, 2 * (1 + 10) / 1024),  # 2 * P(X <= 1), X ~ Bin(10, 1/2) = 22/1024
        (9, 1, 22 / 1024),
        (0, 5, 2 / 32),
        (0, 10, 2 / 1024),
        (5, 5, 1.0),
        (2, 8, 2 * (1 + 10 + 45) / 1024),  # 0.109375
        (3, 4, 1.0),  # 2 * 64/128 = 1
    ],
)
def test_mcnemar_exact_known_values(b: int, c: int, expected: float) -> None:
    assert mcnemar_exact(b, c) == pytest.approx(expected, abs=1e-15)


def test_mcnemar_matches_a_direct_binomial_sum() -> None:
    for n in range(1, 30):
        for b in range(n + 1):
            c = n - b
            k = min(b, c)
            direct = 2 * sum(
                Fraction(math.factorial(n), math.factorial(j) * math.factorial(n - j)) for j in range(k + 1)
            )
            assert mcnemar_exact(b, c) == pytest.approx(float(min(Fraction(1), direct / 2**n)), rel=1e-12)
    assert mcnemar_exact(0, 63) == pytest.approx(2.0 / 2**63, rel=1e-12)


def test_mcnemar_rejects_negative_counts() -> None:
    with pytest.raises(ValueError):
        mcnemar_exact(-1, 2)


def test_bootstrap_constant_difference_is_a_point() -> None:
    a = [True] * 10
    b = [False] * 10
    cmp = compare_booleans("x", "TS", a, b, resamples=200, seed=3)
    assert cmp.diff == -100.0
    assert cmp.ci == (-100.0, -100.0)
    assert (cmp.only_a, cmp.only_b) == (10, 0)
    assert cmp.p_value == pytest.approx(2 / 1024)


def test_bootstrap_percentiles_match_the_exact_bootstrap_distribution() -> None:
    """For n = 4 all 4^4 resamples are equally likely: the exact 2.5%/97.5% quantiles are known."""
    diffs = [1.0, 1.0, 0.0, -1.0]
    n = len(diffs)
    dist = Counter(sum(diffs[i] for i in idx) / n for idx in itertools.product(range(n), repeat=n))
    total = sum(dist.values())
    cdf, acc = [], 0
    for value in sorted(dist):
        acc += dist[value]
        cdf.append((value, acc / total))
    lo_exact = next(v for v, p in cdf if p > 0.025)
    hi_exact = next(v for v, p in cdf if p > 0.975)  # the value at sorted position floor(0.975 N)
    # well-posed: no CDF step is within 0.005 of the two levels, so 20,000 resamples land on the same atom
    assert all(abs(p - 0.025) > 0.005 and abs(p - 0.975) > 0.005 for _, p in cdf)
    lo, hi = paired_bootstrap(lambda idx: sum(diffs[i] for i in idx) / n, n, resamples=20_000, seed=1)
    assert (lo, hi) == (lo_exact, hi_exact) == (-0.5, 1.0)


def test_compare_booleans_hand_example() -> None:
    a = [True, True, True, False, False]
    b = [True, False, True, True, True]
    cmp = compare_booleans("x", "CF", a, b, resamples=100)
    assert (cmp.a, cmp.b_value, cmp.diff) == (60.0, 80.0, 20.0)
    assert (cmp.only_a, cmp.only_b) == (1, 2)
    assert cmp.p_value == 1.0  # 2 * P(X <= 1 | Bin(3, 1/2)) = 2 * 4/8
    assert cmp.ci[0] <= 20.0 <= cmp.ci[1]


def test_compare_ratios_pooled_difference() -> None:
    # A: 2 errors / 10 attempts = 20%; B: 1 / 10 = 10% -> -10 points (a gain for DE)
    cmp = compare_ratios("tooleyes", "DE", [1, 1, 0], [5, 3, 2], [0, 1, 0], [4, 4, 2], resamples=100)
    assert (cmp.a, cmp.b_value, cmp.diff) == (20.0, 10.0, -10.0)
    assert cmp.p_value is None and cmp.lower_is_better


def _rec(index: int, ok: bool, **extra: object) -> dict[str, object]:
    return {
        "id": str(index),
        "index": index,
        "scenario": "s",
        "ts": ok,
        "pi": ok,
        "cf": ok,
        "correct": ok,
        **extra,
    }


def test_items_are_paired_by_index() -> None:
    a = [_rec(0, True), _rec(1, True), _rec(2, False)]
    b = [_rec(2, True), _rec(0, True), _rec(7, True)]  # order differs; 1 and 7 are unpaired
    rows, unpaired = compare_benchmark("rotbench-first-clean", a, b, resamples=50)
    assert unpaired == 2
    cf = next(r for r in rows if r.metric == "CF")
    assert cf.n == 2 and (cf.only_a, cf.only_b) == (0, 1) and cf.diff == 50.0


def test_cli_compare_on_scored_runs(
    scored_runs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = scored_runs
    code = main(
        ["compare", str(a), str(b), "--benchmark", "rotbench-first-clean", "--json", "--resamples", "200"]
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    by_metric = {c["metric"]: c for c in out["comparisons"]}
    assert set(by_metric) == {"TS", "PI", "CF"}
    cf = by_metric["CF"]
    assert (cf["A"], cf["B"], cf["diff"], cf["n"]) == (92.38, 32.38, -60.0, 105)
    assert (cf["a_only_correct"], cf["b_only_correct"]) == (63, 0)
    assert cf["mcnemar_p"] == pytest.approx(2.0 / 2**63)
    assert cf["ci95"][1] < 0
    assert main(["compare", str(a), str(b)]) == 0
    text = capsys.readouterr().out
    assert "rotbench-first-clean" in text and "worse" in text and "63/0" in text


def test_cli_compare_episodes_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def ep(index: int, de: int, ce: int, att: int, va: bool) -> dict[str, object]:
        return _rec(index, va, detail={"de": de, "ce": ce, "attempts": att})

    a = write_items_run(tmp_path, "a", "tooleyes", [ep(0, 2, 0, 4, False), ep(1, 0, 2, 4, True)])
    b = write_items_run(tmp_path, "b", "tooleyes", [ep(0, 0, 0, 4, True), ep(1, 0, 1, 4, True)])
    assert main(["compare", str(a), str(b), "--json"]) == 0
    rows = {c["metric"]: c for c in json.loads(capsys.readouterr().out)["comparisons"]}
    assert (rows["DE"]["A"], rows["DE"]["B"], rows["DE"]["diff"]) == (25.0, 0.0, -25.0)
    assert (rows["CE"]["A"], rows["CE"]["B"], rows["CE"]["diff"]) == (25.0, 12.5, -12.5)
    assert (rows["VA"]["a_only_correct"], rows["VA"]["b_only_correct"]) == (0, 1)
    other = write_items_run(tmp_path, "c", "rotbench-first-clean", [_rec(0, True)])
    assert main(["compare", str(a), str(other)]) == 2
    assert "share no scored benchmark" in capsys.readouterr().err
    assert main(["compare", str(a), str(b), "--resamples", "0"]) == 2
