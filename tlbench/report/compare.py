"""Compare two runs benchmark by benchmark on the item-level verdicts of their ``items.jsonl``.

Metrics: TS, PI, CF (and ``exec`` where items carry an execution verdict) for single-turn benchmarks;
DE and CE (pooled per call attempt, lower is better) and VA for ToolEyes episodes. See
:mod:`tlbench.report.stats` for the statistics.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from benchmarks.metrics import bootstrap_indices
from tlbench.report.runs import Run, item_bool
from tlbench.report.stats import MetricComparison, compare_booleans, compare_ratios

__all__ = ["compare_runs", "is_episodic"]


def is_episodic(benchmark: str) -> bool:
    """Whether the benchmark's items are episodes scored DE / CE / VA (``Benchmark.episodic``); False for a
    name this code does not register."""
    from benchmarks import BENCHMARKS

    bench = BENCHMARKS.find(benchmark)
    return bench is not None and bench.episodic


def _num(record: Mapping[str, Any], key: str) -> float:
    detail = record.get("detail") if isinstance(record.get("detail"), Mapping) else {}
    value = detail.get(key, 0)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _pair(
    items_a: Sequence[dict[str, Any]], items_b: Sequence[dict[str, Any]]
) -> tuple[list[tuple[dict[str, Any], dict[str, Any]]], int]:
    by_b = {it.get("index"): it for it in items_b}
    pairs = [(it, by_b[it.get("index")]) for it in items_a if it.get("index") in by_b]
    unpaired = len(items_a) + len(items_b) - 2 * len(pairs)
    return pairs, unpaired


def compare_benchmark(
    benchmark: str,
    items_a: Sequence[dict[str, Any]],
    items_b: Sequence[dict[str, Any]],
    resamples: int = 1000,
    seed: int = 0,
) -> tuple[list[MetricComparison], int]:
    """Comparisons of one benchmark and the number of items that could not be paired."""
    pairs, unpaired = _pair(items_a, items_b)
    out: list[MetricComparison] = []
    if not pairs:
        return out, unpaired
    draws = bootstrap_indices(len(pairs), resamples, seed)  # one set of draws for every metric
    if is_episodic(benchmark):
        for metric, key in (("DE", "de"), ("CE", "ce")):
            out.append(
                compare_ratios(
                    benchmark,
                    metric,
                    [_num(a, key) for a, _ in pairs],
                    [_num(a, "attempts") for a, _ in pairs],
                    [_num(b, key) for _, b in pairs],
                    [_num(b, "attempts") for _, b in pairs],
                    resamples,
                    seed,
                    indices=draws,
                )
            )
        a_va = [item_bool(a, "correct") for a, _ in pairs]
        b_va = [item_bool(b, "correct") for _, b in pairs]
        out.append(compare_booleans(benchmark, "VA", a_va, b_va, resamples, seed, indices=draws))
        return out, unpaired
    for metric, key in (("TS", "ts"), ("PI", "pi"), ("CF", "cf")):
        a_vals = [item_bool(a, key) for a, _ in pairs]
        b_vals = [item_bool(b, key) for _, b in pairs]
        out.append(compare_booleans(benchmark, metric, a_vals, b_vals, resamples, seed, indices=draws))
    executed = [(a, b) for a, b in pairs if a.get("exec") is not None and b.get("exec") is not None]
    if executed:
        out.append(
            compare_booleans(
                benchmark,
                "exec",
                [item_bool(a, "exec") for a, _ in executed],
                [item_bool(b, "exec") for _, b in executed],
                resamples,
                seed,
            )
        )
    return out, unpaired


def compare_runs(
    run_a: Run,
    run_b: Run,
    benchmarks: Sequence[str] | None = None,
    resamples: int = 1000,
    seed: int = 0,
) -> tuple[list[MetricComparison], list[str]]:
    """Every benchmark both runs scored (or those asked for), and warnings (unpaired items, absent benchmarks,
    items an incomplete run did not score)."""
    shared = [b for b in run_a.benchmarks if b in run_b.results]
    names = list(benchmarks) if benchmarks else shared
    warnings: list[str] = []
    rows: list[MetricComparison] = []
    for bench in names:
        if bench not in shared:
            warnings.append(f"{bench}: not scored in both runs; skipped")
            continue
        got, unpaired = compare_benchmark(bench, run_a.items(bench), run_b.items(bench), resamples, seed)
        for run in (run_a, run_b):
            failed = run.failed_items(bench)
            if failed:
                warnings.append(
                    f"{bench}: {failed} item(s) of the incomplete run {run.name} were not scored (their "
                    "generation failed) and are left out of the comparison"
                )
                unpaired -= failed
        if unpaired > 0:
            warnings.append(f"{bench}: {unpaired} item(s) present in only one run were left out")
        if not got:
            warnings.append(f"{bench}: no paired items (items.jsonl empty or absent)")
        rows.extend(got)
    return rows, warnings
