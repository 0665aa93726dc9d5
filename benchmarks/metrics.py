"""Shared aggregation of per-item scores: TS/PI/CF percentages, per-scenario breakdowns, bootstrap CIs.

Why one module: every benchmark reports the same shape (``summary``, ``per_scenario``, ``ci95``), and the
numbers must be computed the same way everywhere. Percentages are ``100 * hits / n`` rounded to two
decimals as in the paper, over ALL items of the benchmark file (a missing prediction counts as wrong).

Confidence intervals are percentile bootstraps over items (default 1,000 resamples, seed 0) so that small
test sets (RoTBench clean has 105 items) are not over-read; the same resampled index sets serve every
metric, so the intervals are reproducible run to run. Ratio metrics (ToolEyes' per-call DE/CE rates) are
resampled by episode with :func:`ratio_ci`.

A benchmark may replace the default aggregation by defining ``aggregate(scores, *, resamples, seed) ->
Aggregate`` (ToolEyes does: its headline is DE/CE/VA, not TS/PI/CF).
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from benchmarks.base import ItemScore

__all__ = [
    "RESAMPLES",
    "SEED",
    "Aggregate",
    "pct",
    "bootstrap_indices",
    "bootstrap_ci",
    "ratio_ci",
    "summary",
    "per_scenario",
    "ci95",
    "aggregate",
    "aggregate_for",
]

RESAMPLES = 1000
SEED = 0
_LEVEL = 0.95


@dataclass(frozen=True, slots=True)
class Aggregate:
    """The headline figures of one scored benchmark run (all percentages, two decimals)."""

    summary: Mapping[str, Any]
    per_scenario: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    ci95: Mapping[str, tuple[float, float]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (CIs as ``[low, high]`` lists)."""
        return {
            "summary": dict(self.summary),
            "per_scenario": {k: dict(v) for k, v in self.per_scenario.items()},
            "ci95": {k: [lo, hi] for k, (lo, hi) in self.ci95.items()},
        }


def pct(hits: float, n: float) -> float:
    """``100 * hits / n`` rounded to two decimals; 0.0 when ``n`` is 0."""
    return round(100.0 * hits / n, 2) if n else 0.0


def bootstrap_indices(n: int, resamples: int = RESAMPLES, seed: int = SEED) -> Sequence[Sequence[int]]:
    """``resamples`` tuples of ``n`` indices drawn with replacement from a ``random.Random(seed)``.

    The draws depend on ``(n, resamples, seed)`` only, so they are computed once per process and shared
    (read-only tuples): the ten RoTBench variants of a run have the same ``n`` and reuse one set.
    """
    return _draws(n, resamples, seed)


@functools.lru_cache(maxsize=32)
def _draws(n: int, resamples: int, seed: int) -> tuple[tuple[int, ...], ...]:
    rng = random.Random(seed)
    population = range(n)
    return tuple(tuple(rng.choices(population, k=n)) for _ in range(resamples)) if n else ()


def _percentiles(stats: list[float], level: float = _LEVEL) -> tuple[float, float]:
    if not stats:
        return (0.0, 0.0)
    stats.sort()
    tail = (1.0 - level) / 2.0
    lo = stats[int(tail * len(stats))]
    hi = stats[min(len(stats) - 1, int((1.0 - tail) * len(stats)))]
    return (round(lo, 2), round(hi, 2))


def bootstrap_ci(
    values: Sequence[float],
    resamples: int = RESAMPLES,
    seed: int = SEED,
    *,
    indices: Sequence[Sequence[int]] | None = None,
) -> tuple[float, float]:
    """95% percentile-bootstrap interval of ``100 * mean(values)`` (values are 0/1 or fractions)."""
    n = len(values)
    if n == 0:
        return (0.0, 0.0)
    draws = indices if indices is not None else bootstrap_indices(n, resamples, seed)
    pick = list(values).__getitem__  # map() over a bound __getitem__: the sums run in C
    return _percentiles([100.0 * sum(map(pick, idx)) / n for idx in draws])


def ratio_ci(
    numerators: Sequence[float],
    denominators: Sequence[float],
    resamples: int = RESAMPLES,
    seed: int = SEED,
    *,
    indices: Sequence[Sequence[int]] | None = None,
) -> tuple[float, float]:
    """95% interval of ``100 * sum(num) / sum(den)`` resampling units (e.g. episodes) with replacement."""
    n = len(numerators)
    if n == 0:
        return (0.0, 0.0)
    draws = indices if indices is not None else bootstrap_indices(n, resamples, seed)
    stats = []
    num_at, den_at = list(numerators).__getitem__, list(denominators).__getitem__
    for idx in draws:
        den = sum(map(den_at, idx))
        stats.append(100.0 * sum(map(num_at, idx)) / den if den else 0.0)
    return _percentiles(stats)


def _is_missing(score: ItemScore) -> bool:
    return bool(score.detail.get("missing"))


def summary(scores: Sequence[ItemScore]) -> dict[str, Any]:
    """``n``, ``TS``/``PI``/``CF``/``correct`` percentages, ``missing`` count, ``parse_failure_rate``
    (over the items that have a prediction), and for executable benchmarks ``exec_accuracy`` (over the
    items whose ``exec`` is not None) with ``exec_n``."""
    n = len(scores)
    present = [s for s in scores if not _is_missing(s)]
    out: dict[str, Any] = {
        "n": n,
        "TS": pct(sum(s.ts for s in scores), n),
        "PI": pct(sum(s.pi for s in scores), n),
        "CF": pct(sum(s.cf for s in scores), n),
        "correct": pct(sum(s.correct for s in scores), n),
        "missing": n - len(present),
        "parse_failure_rate": pct(sum(not s.parsed for s in present), len(present)),
    }
    executed = [s for s in scores if s.exec is not None]
    if executed:
        out["exec_accuracy"] = pct(sum(bool(s.exec) for s in executed), len(executed))
        out["exec_n"] = len(executed)
    return out


def per_scenario(scores: Sequence[ItemScore]) -> dict[str, dict[str, Any]]:
    """The same percentages per scenario/category, scenarios in first-seen order."""
    groups: dict[str, list[ItemScore]] = {}
    for s in scores:
        groups.setdefault(s.scenario or "-", []).append(s)
    out = {}
    for name, group in groups.items():
        n = len(group)
        row: dict[str, Any] = {
            "n": n,
            "TS": pct(sum(s.ts for s in group), n),
            "PI": pct(sum(s.pi for s in group), n),
            "CF": pct(sum(s.cf for s in group), n),
            "correct": pct(sum(s.correct for s in group), n),
        }
        executed = [s for s in group if s.exec is not None]
        if executed:
            row["exec_accuracy"] = pct(sum(bool(s.exec) for s in executed), len(executed))
        out[name] = row
    return out


def ci95(
    scores: Sequence[ItemScore], resamples: int = RESAMPLES, seed: int = SEED
) -> dict[str, tuple[float, float]]:
    """Bootstrap 95% intervals of TS, PI, CF, correct (and exec_accuracy), from shared resamples."""
    draws = bootstrap_indices(len(scores), resamples, seed)
    out = {
        key: bootstrap_ci([float(getattr(s, attr)) for s in scores], indices=draws)
        for key, attr in (("TS", "ts"), ("PI", "pi"), ("CF", "cf"), ("correct", "correct"))
    }
    if any(s.exec is not None for s in scores):
        out["exec_accuracy"] = ratio_ci(
            [float(bool(s.exec)) for s in scores], [float(s.exec is not None) for s in scores], indices=draws
        )
    return out


def aggregate(scores: Sequence[ItemScore], *, resamples: int = RESAMPLES, seed: int = SEED) -> Aggregate:
    """The default aggregation: :func:`summary`, :func:`per_scenario`, :func:`ci95`."""
    return Aggregate(summary(scores), per_scenario(scores), ci95(scores, resamples, seed))


def aggregate_for(
    benchmark: object, scores: Sequence[ItemScore], *, resamples: int = RESAMPLES, seed: int = SEED
) -> Aggregate:
    """The benchmark's own ``aggregate`` when it defines one, else the default."""
    custom: Callable[..., Aggregate] | None = getattr(benchmark, "aggregate", None)
    if custom is not None:
        return custom(scores, resamples=resamples, seed=seed)
    return aggregate(scores, resamples=resamples, seed=seed)
