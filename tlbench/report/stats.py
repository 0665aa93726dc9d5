"""Paired comparison of two runs: differences, paired bootstrap 95% intervals, exact McNemar tests.

Items are paired by their ``index`` in the benchmark file (items present in only one run are dropped and
counted). For a boolean metric (TS, PI, CF, correct, exec, VA) the difference is
``100 * (mean_B - mean_A)`` in percentage points; for a pooled ratio (ToolEyes' DE and CE: errors per call
attempt) it is ``100 * (sum err_B / sum att_B - sum err_A / sum att_A)``.

The bootstrap resamples *items* (the same index sets for both runs, so the pairing is kept, and for every
metric of a benchmark), with the seeded index lists of :func:`benchmarks.metrics.bootstrap_indices`; the interval is the 2.5th and 97.5th
percentile of the resampled differences (the same percentile rule as ``benchmarks.metrics``).

McNemar's exact test uses the discordant pairs only: ``b`` = items right in A and wrong in B, ``c`` = wrong
in A and right in B; under the null each discordant pair is a fair coin, so the two-sided p-value is
``min(1, 2 * P(X <= min(b, c)))`` for ``X ~ Binomial(b + c, 1/2)``, computed exactly with integers (no scipy).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from benchmarks.metrics import bootstrap_indices

__all__ = [
    "mcnemar_exact",
    "percentile_interval",
    "paired_bootstrap",
    "MetricComparison",
    "compare_booleans",
    "compare_ratios",
]


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value from the discordant counts ``b`` and ``c`` (1.0 when both are 0)."""
    if b < 0 or c < 0:
        raise ValueError("discordant counts must be >= 0")
    n = b + c
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, k) for k in range(min(b, c) + 1))
    return float(min(Fraction(1), Fraction(2 * tail, 2**n)))


def percentile_interval(stats: Sequence[float], level: float = 0.95) -> tuple[float, float]:
    """The ``(1-level)/2`` and ``(1+level)/2`` percentiles by the rule of ``benchmarks.metrics``."""
    if not stats:
        return (0.0, 0.0)
    ordered = sorted(stats)
    tail = (1.0 - level) / 2.0
    lo = ordered[int(tail * len(ordered))]
    hi = ordered[min(len(ordered) - 1, int((1.0 - tail) * len(ordered)))]
    return (lo, hi)


def paired_bootstrap(
    statistic: Callable[[Sequence[int]], float],
    n: int,
    resamples: int = 1000,
    seed: int = 0,
    *,
    indices: Sequence[Sequence[int]] | None = None,
) -> tuple[float, float]:
    """95% percentile interval of ``statistic(indices)`` over ``resamples`` seeded index draws of size ``n``
    (or over the given ``indices``, so that several metrics share one set of draws)."""
    if n == 0:
        return (0.0, 0.0)
    draws = indices if indices is not None else bootstrap_indices(n, resamples, seed)
    return percentile_interval([statistic(idx) for idx in draws])


@dataclass(frozen=True, slots=True)
class MetricComparison:
    """One metric of one benchmark, A against B (percentage points; ``b``/``c``/``p`` None for ratios)."""

    benchmark: str
    metric: str
    n: int
    a: float
    b_value: float
    diff: float
    ci: tuple[float, float]
    only_a: int | None = None
    only_b: int | None = None
    p_value: float | None = None
    lower_is_better: bool = False

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "benchmark": self.benchmark,
            "metric": self.metric,
            "n": self.n,
            "A": self.a,
            "B": self.b_value,
            "diff": self.diff,
            "ci95": list(self.ci),
            "a_only_correct": self.only_a,
            "b_only_correct": self.only_b,
            "mcnemar_p": self.p_value,
            "lower_is_better": self.lower_is_better,
        }


def compare_booleans(
    benchmark: str,
    metric: str,
    a: Sequence[bool],
    b: Sequence[bool],
    resamples: int = 1000,
    seed: int = 0,
    *,
    indices: Sequence[Sequence[int]] | None = None,
) -> MetricComparison:
    """Difference of means (points), paired bootstrap interval and exact McNemar for paired booleans."""
    n = len(a)
    da = [float(x) for x in a]
    db = [float(x) for x in b]
    diffs = [y - x for x, y in zip(da, db, strict=True)]

    def stat(idx: Sequence[int]) -> float:
        return 100.0 * sum(diffs[i] for i in idx) / n

    only_a = sum(1 for x, y in zip(a, b, strict=True) if x and not y)
    only_b = sum(1 for x, y in zip(a, b, strict=True) if y and not x)
    lo, hi = paired_bootstrap(stat, n, resamples, seed, indices=indices)
    mean_a = 100.0 * sum(da) / n if n else 0.0
    mean_b = 100.0 * sum(db) / n if n else 0.0
    return MetricComparison(
        benchmark,
        metric,
        n,
        round(mean_a, 2),
        round(mean_b, 2),
        round(mean_b - mean_a, 2),
        (round(lo, 2), round(hi, 2)),
        only_a,
        only_b,
        mcnemar_exact(only_a, only_b),
    )


def compare_ratios(
    benchmark: str,
    metric: str,
    num_a: Sequence[float],
    den_a: Sequence[float],
    num_b: Sequence[float],
    den_b: Sequence[float],
    resamples: int = 1000,
    seed: int = 0,
    lower_is_better: bool = True,
    *,
    indices: Sequence[Sequence[int]] | None = None,
) -> MetricComparison:
    """Difference of pooled ratios (points) with a paired bootstrap over units; no McNemar (not boolean)."""
    n = len(num_a)

    def ratio(num: Sequence[float], den: Sequence[float], idx: Sequence[int]) -> float:
        d = sum(den[i] for i in idx)
        return 100.0 * sum(num[i] for i in idx) / d if d else 0.0

    def stat(idx: Sequence[int]) -> float:
        return ratio(num_b, den_b, idx) - ratio(num_a, den_a, idx)

    every = range(n)
    ra, rb = ratio(num_a, den_a, every), ratio(num_b, den_b, every)
    lo, hi = paired_bootstrap(stat, n, resamples, seed, indices=indices)
    return MetricComparison(
        benchmark,
        metric,
        n,
        round(ra, 2),
        round(rb, 2),
        round(rb - ra, 2),
        (round(lo, 2), round(hi, 2)),
        lower_is_better=lower_is_better,
    )
