"""Leaderboard tables shaped like the TL-Training paper's Tables 3, 4 and 5, and the rules that decorate them.

* **Columns** come from the registry: every benchmark that lists a table in ``Benchmark.tables`` adds its
  headline metrics (``Benchmark.headline``, optional ones left out) under its ``title``, benchmarks in
  registry order (:func:`table_specs`).

* One row per run (plus the paper's published rows with ``--with-paper``), then an **Avg** row: the mean of
  the rows above that have a value in the column.
* **Bold**: the best value of each column among the rows (ties all bold); the highest, except for the error
  rates DE and CE where the lowest is best. The Avg row is never bold.
* **Shade** (HTML colouring): each cell is compared with a reference, the Avg row or a chosen baseline row
  (ablations). ``gap = value - reference``, sign-flipped for lower-is-better columns, so a positive gap is
  always *better*. The darkness is ``ceil(4 * |gap| / max |gap| in the column)``, 1..4; ``shade`` is +level
  for better, -level for worse, 0 for equal, missing, the reference row itself and the Avg row.

* **Incomplete runs**: a run with items left unscored by infrastructure failures (their generation failed)
  in a table's benchmarks is named ``"<name> (incomplete)"`` there, with a ``note`` giving the count; a
  benchmark where nothing was scored has no value (``-``), never a zero.

Rendering lives in :mod:`tlbench.report.render`; this module only computes values and decorations.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from tlbench.errors import UsageError
from tlbench.report.runs import Run

__all__ = [
    "Column",
    "TableSpec",
    "Row",
    "Table",
    "TITLES",
    "table_specs",
    "SHADE_LEVELS",
    "INCOMPLETE",
    "build_table",
    "build_tables",
]

#: The paper's tables by key, with their titles; the columns are the registry's (:func:`table_specs`).
TITLES: Mapping[str, str] = {
    "3": "Table 3: single-turn tool use (TS / PI / CF, %)",
    "4": "Table 4: ToolEyes multi-turn (DE, CE lower is better; VA, %)",
    "5": "Table 5: ablations (ToolAlpaca, RoTBench, ToolEyes)",
}
#: Number of darkness levels of the HTML colouring.
SHADE_LEVELS = 4
#: Appended to the name of a run row with items left unscored by infrastructure failures.
INCOMPLETE = " (incomplete)"


@dataclass(frozen=True, slots=True)
class Column:
    """One numeric column: a metric of one benchmark, shown under a group header."""

    group: str
    benchmark: str
    metric: str
    #: True for the error rates DE and CE (the paper marks them with a down arrow).
    lower_is_better: bool = False

    @property
    def label(self) -> str:
        """``"<group> <metric>"``, the flat header of the text formats."""
        return f"{self.group} {self.metric}"


@dataclass(frozen=True, slots=True)
class TableSpec:
    """Which columns a paper table has."""

    key: str
    title: str
    columns: tuple[Column, ...]


def table_specs() -> dict[str, TableSpec]:
    """The tables by key ("3", "4", "5"), their columns from the registered benchmarks (module docstring)."""
    from benchmarks import BENCHMARKS

    columns: dict[str, list[Column]] = {key: [] for key in TITLES}
    for bench in BENCHMARKS.all():
        for key in bench.tables:
            if key not in columns:
                raise ValueError(f"benchmark {bench.name!r} lists table {key!r}; tables: {', '.join(TITLES)}")
            columns[key] += [
                Column(bench.title, bench.name, m.key, m.lower_is_better)
                for m in bench.headline
                if not m.optional
            ]
    return {key: TableSpec(key, title, tuple(columns[key])) for key, title in TITLES.items()}


def __getattr__(name: str) -> Any:
    if name == "TABLES":  # computed from the registry (a registered benchmark adds its columns)
        return table_specs()
    raise AttributeError(f"module 'tlbench.report.tables' has no attribute {name!r}")


@dataclass(frozen=True, slots=True)
class Row:
    """One table row: ``kind`` is ``run``, ``paper`` or ``avg``; ``values`` align with the columns."""

    name: str
    kind: str
    values: tuple[float | None, ...]
    bold: tuple[bool, ...]
    shade: tuple[int, ...]
    source: str = ""
    #: Why the row needs a footnote (an incomplete run), or empty.
    note: str = ""


@dataclass(frozen=True, slots=True)
class Table:
    """A decorated table: its spec, rows (data rows then Avg) and the name of the colouring reference."""

    spec: TableSpec
    rows: tuple[Row, ...]
    reference: str

    @property
    def columns(self) -> tuple[Column, ...]:
        """The spec's columns."""
        return self.spec.columns


def _value(run: Run, col: Column) -> float | None:
    summary = run.summary(col.benchmark)
    if summary.get("n") == 0:  # nothing scored (e.g. every generation failed): no value, not a zero
        return None
    raw = summary.get(col.metric)
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None
    return float(raw)


def _mean(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(sum(present) / len(present), 2) if present else None


def _best(values: Sequence[float | None], lower: bool) -> float | None:
    present = [v for v in values if v is not None]
    if not present:
        return None
    return min(present) if lower else max(present)


def _shade(value: float | None, ref: float | None, lower: bool, max_gap: float) -> int:
    if value is None or ref is None or max_gap <= 0:
        return 0
    gap = (ref - value) if lower else (value - ref)
    if abs(gap) < 1e-9:
        return 0
    level = min(SHADE_LEVELS, max(1, math.ceil(SHADE_LEVELS * abs(gap) / max_gap - 1e-9)))
    return level if gap > 0 else -level


def build_table(
    spec: TableSpec,
    data: Sequence[tuple[str, str, Sequence[float | None], str]],
    baseline: str | None = None,
) -> Table:
    """Decorate rows ``(name, kind, values, source)``: Avg row, bold best, shades against Avg or ``baseline``."""
    cols = spec.columns
    names = [d[0] for d in data]
    if baseline is not None and baseline not in names:
        raise UsageError(f"--baseline {baseline!r} is not a row of the table; rows: {', '.join(names)}")
    matrix = [list(d[2]) for d in data]
    avg = [_mean([row[j] for row in matrix]) for j in range(len(cols))]
    ref_row = avg if baseline is None else matrix[names.index(baseline)]
    best = [_best([row[j] for row in matrix], c.lower_is_better) for j, c in enumerate(cols)]
    max_gap: list[float] = []
    for j in range(len(cols)):
        gaps = [abs(row[j] - ref_row[j]) for row in matrix if row[j] is not None and ref_row[j] is not None]
        max_gap.append(max(gaps, default=0.0))
    rows: list[Row] = []
    for (name, kind, _, source), values in zip(data, matrix, strict=True):
        is_ref = baseline is not None and name == baseline
        rows.append(
            Row(
                name=name,
                kind=kind,
                values=tuple(values),
                bold=tuple(v is not None and v == best[j] for j, v in enumerate(values)),
                shade=tuple(
                    0 if is_ref else _shade(v, ref_row[j], c.lower_is_better, max_gap[j])
                    for j, (v, c) in enumerate(zip(values, cols, strict=True))
                ),
                source=source,
            )
        )
    if data:
        rows.append(Row("Avg", "avg", tuple(avg), (False,) * len(cols), (0,) * len(cols)))
    return Table(spec, tuple(rows), baseline or "Avg")


def _mark_incomplete(table: Table, runs: Sequence[Run]) -> Table:
    """Rename and annotate the rows of runs with unscored items in this table's benchmarks."""
    benches = {c.benchmark for c in table.columns}
    failed = {r.name: sum(r.failed_items(b) for b in benches) for r in runs}
    rows = tuple(
        replace(
            row,
            name=row.name + INCOMPLETE,
            note=f"{failed[row.name]} item(s) not scored: their generation failed (infrastructure); "
            "re-run the same `tlbench score` command to retry them",
        )
        if row.kind == "run" and failed.get(row.name)
        else row
        for row in table.rows
    )
    return Table(table.spec, rows, table.reference)


def build_tables(
    runs: Sequence[Run],
    *,
    keys: Sequence[str] | None = None,
    paper_rows: Mapping[str, Sequence[tuple[str, Sequence[float | None], str]]] | None = None,
    baseline: str | None = None,
    keep_empty: bool = False,
) -> list[Table]:
    """The requested tables (default: every table with at least one run value), runs first then paper rows.

    A table with no run value at all is left out unless ``keep_empty`` (or it was asked for by key).
    """
    specs = table_specs()
    wanted = list(keys) if keys else list(specs)
    unknown = [k for k in wanted if k not in specs]
    if unknown:
        raise UsageError(f"unknown table {unknown[0]!r}; choose from {', '.join(specs)}")
    tables = []
    used_baseline = False
    for key in wanted:
        spec = specs[key]
        data: list[tuple[str, str, Sequence[float | None], str]] = [
            (r.name, "run", [_value(r, c) for c in spec.columns], str(r.path)) for r in runs
        ]
        benches = {c.benchmark for c in spec.columns}
        failed = {r.name for r in runs if any(r.failed_items(b) for b in benches)}
        has_runs = any(v is not None for _, _, vals, _ in data for v in vals)
        if has_runs:  # a run without any benchmark of this table gets no row in it (unless it failed there)
            data = [d for d in data if d[0] in failed or any(v is not None for v in d[2])]
        if not has_runs and not keep_empty and not keys:
            continue
        for name, values, source in (paper_rows or {}).get(key, ()):
            data.append((name, "paper", list(values), source))
        table_baseline = baseline if baseline in [d[0] for d in data] else None
        used_baseline = used_baseline or table_baseline is not None
        tables.append(_mark_incomplete(build_table(spec, data, table_baseline), runs))
    if baseline is not None and not used_baseline:
        raise UsageError(f"--baseline {baseline!r} names no row; rows: {', '.join(r.name for r in runs)}")
    return tables
