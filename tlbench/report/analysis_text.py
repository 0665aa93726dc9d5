"""Text tables of the error breakdown and the robustness curves (tabulate)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tlbench.report.analysis import CATEGORY_ROWS, ROBUSTNESS_LEVELS, Breakdown

__all__ = ["group_by_benchmark", "visible_rows", "breakdown_tables", "robustness_table"]


def group_by_benchmark(breakdowns: Sequence[Breakdown]) -> dict[str, list[Breakdown]]:
    """Breakdowns per benchmark, benchmarks in first-seen order."""
    out: dict[str, list[Breakdown]] = {}
    for b in breakdowns:
        out.setdefault(b.benchmark, []).append(b)
    return out


def visible_rows(group: Sequence[Breakdown]) -> list[tuple[str, str]]:
    """The category rows with a count in some run (a parent is kept when a sub-type shows)."""
    used = {k for b in group for k, v in b.counts.items() if v}
    parents = {k.split(":")[0] for k in used}
    return [(k, label) for k, label in CATEGORY_ROWS if k in used or (":" not in k and k in parents)]


def breakdown_tables(breakdowns: Sequence[Breakdown]) -> str:
    """One table per benchmark: rows = categories, columns = runs, cells = ``count (share%)``."""
    from tabulate import tabulate

    parts = []
    for bench, group in group_by_benchmark(breakdowns).items():
        unit = group[0].unit
        head = f"{bench}: errors per category (% of {unit})"
        rows = [["erroneous", *(f"{b.errors} ({100.0 * b.errors / b.n if b.n else 0:.2f}%)" for b in group)]]
        for key, label in visible_rows(group):
            rows.append([label, *(f"{b.counts.get(key, 0)} ({b.share(key):.2f}%)" for b in group)])
        headers = ["category", *(f"{b.run} (n={b.n})" for b in group)]
        parts.append(head + "\n" + tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True))
    return "\n\n".join(parts)


def robustness_table(curves: Mapping[str, Mapping[str, Mapping[str, float]]]) -> str:
    """TS/PI/CF per RoTBench level (first turn), one row per run and metric."""
    from tabulate import tabulate

    rows = []
    for run, levels in curves.items():
        for metric in ("TS", "PI", "CF"):
            cells = [f"{levels[lv][metric]:.2f}" if lv in levels else "-" for lv in ROBUSTNESS_LEVELS]
            rows.append([run, metric, *cells])
    headers = ["run", "metric", *ROBUSTNESS_LEVELS]
    body = tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True)
    return "RoTBench robustness (first turn, %)\n" + body
